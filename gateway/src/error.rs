//! REST errors, rendered in one place.
//!
//! Every handler returns `Result<_, ApiError>`; an `ApiError` becomes an HTTP status and
//! a JSON body `{"error": "<what happened and what to do>"}`. Internal failures are
//! logged with their cause and shown to the client only as a generic sentence.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answered to a REST client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after_secs: Option<u64>,
    /// The share-admin.md §5 reason code of an access-model denial.
    pub reason: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after_secs: None,
            reason: None,
        }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    pub fn unauthorized(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, m)
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, m)
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, m)
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, m)
    }
    pub fn too_many(m: impl Into<String>, retry_after_secs: u64) -> Self {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: m.into(),
            retry_after_secs: Some(retry_after_secs),
            reason: None,
        }
    }
    /// An access-model denial: `{"error": message, "reason": code}` with the status of
    /// [`crate::access::http_status`] (404 `not_found`, 400 usage, 409 `name_conflict`,
    /// 403 the rest).
    pub fn denied(reason: porthole_access::ReasonCode) -> Self {
        let mut e = Self::new(crate::access::http_status(reason), reason.message());
        e.reason = Some(reason.as_str());
        e
    }
    /// An internal failure: logged with its cause, answered generically.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error while serving a request");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; the gateway log has the details",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(match self.reason {
                Some(r) => serde_json::json!({ "error": self.message, "reason": r }),
                None => serde_json::json!({ "error": self.message }),
            }),
        )
            .into_response();
        if let Some(s) = self.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}
