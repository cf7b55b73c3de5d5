//! Sign-in and sign-out.
//!
//! * `POST /api/tokens` `{"username", "password"}` → 200 `{"token", "username",
//!   "display_name", "is_admin", "expires_at"}`; 401 for a wrong name or password (one
//!   message for both, so names cannot be probed); 429 with `Retry-After` while the
//!   name or the client address is locked out after repeated failures.
//! * `DELETE /api/tokens/current` revokes the token used for the request.
//! * `GET /api/me` describes the signed-in user.

use super::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{tokens, users};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tokens", post(sign_in))
        .route("/api/tokens/current", delete(sign_out))
        .route("/api/me", get(me))
}

#[derive(Deserialize)]
pub struct SignIn {
    pub username: String,
    pub password: String,
}

#[derive(Serialize)]
pub struct SignedIn {
    pub token: String,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    /// RFC 3339.
    pub expires_at: String,
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(body): Json<SignIn>,
) -> Result<Json<SignedIn>, ApiError> {
    let login = body.username.trim();
    if login.is_empty() || body.password.is_empty() {
        return Err(ApiError::bad_request("enter a user name and a password"));
    }
    if login.len() > 256 || body.password.len() > 1024 {
        return Err(ApiError::bad_request("user name or password is too long"));
    }
    let keys = [
        format!("user:{}", login.to_lowercase()),
        format!("ip:{}", peer.ip()),
    ];
    if let Some(wait) = state.throttle.locked(&keys) {
        let secs = wait.as_secs().max(1);
        return Err(ApiError::too_many(
            format!("too many failed sign-ins; try again in {secs} s"),
            secs,
        ));
    }
    let user = users::find_login(&state.store, login)
        .await
        .map_err(ApiError::internal)?;
    let hash = match &user {
        Some(u) if !u.disabled => users::credentials(&state.store, &u.id)
            .await
            .map_err(ApiError::internal)?,
        _ => None,
    };
    let ok = match hash {
        Some(h) => crate::auth::verify_password(body.password.clone(), h)
            .await
            .map_err(ApiError::internal)?,
        None => {
            // Spend the same effort as a real check so timing does not reveal names.
            let _ = crate::auth::hash_password(body.password.clone()).await;
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        state.metrics.logins_failed.fetch_add(1, Relaxed);
        state.throttle.failure(&keys);
        tracing::info!(login = %login, peer = %peer.ip(), "sign-in failed");
        return Err(ApiError::unauthorized("wrong user name or password"));
    };
    state.throttle.success(&keys[0]);
    let (token, expires_at) =
        crate::auth::issue_token(&state, &user.id, Some(&peer.ip().to_string()))
            .await
            .map_err(ApiError::internal)?;
    tracing::info!(user = %user.username, peer = %peer.ip(), "signed in");
    Ok(Json(SignedIn {
        token: token.0,
        username: user.username,
        display_name: user.display_name,
        is_admin: user.is_admin,
        expires_at: rfc3339(expires_at),
    }))
}

async fn sign_out(
    State(state): State<AppState>,
    Authed(me): Authed,
) -> Result<StatusCode, ApiError> {
    tokens::revoke(&state.store, &me.token_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(Authed(me): Authed) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "id": me.user.id,
        "username": me.user.username,
        "email": me.user.email,
        "display_name": me.user.display_name,
        "is_admin": me.user.is_admin,
    }))
}
