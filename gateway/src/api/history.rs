//! Session history: the sessions that ran, and who joined them.
//!
//! * `GET /api/history?page=1&per_page=50` → `{"total", "page", "per_page", "sessions"}`,
//!   newest first. Administrators see every session; anyone else sees the sessions they
//!   originated (`total` counts what the caller may see).
//! * `GET /api/history/{session_id}` → `{"session", "participants"}` (participants newest
//!   first); 404 for an unknown session and for one the caller may not read.
//!
//! `page` starts at 1; `per_page` is 1 to 500 (default 50). [`Paging`] is shared with
//! the audit trail.

use super::Authed;
use crate::access;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::history::{self, ParticipantRecord, SessionRecord};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/history", get(list))
        .route("/api/history/{session_id}", get(read))
}

/// Default page size of listings.
pub const DEFAULT_PER_PAGE: i64 = 50;
/// Largest page size of listings.
pub const MAX_PER_PAGE: i64 = 500;

/// `?page=&per_page=` as sent: parsed by hand so a bad value gets a clear message.
#[derive(Deserialize)]
pub struct PagingQuery {
    page: Option<String>,
    per_page: Option<String>,
}

/// A validated page of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    /// Validates `?page=&per_page=`: page ≥ 1 (default 1), per_page 1..=500 (default 50).
    pub fn from_query(q: Result<Query<PagingQuery>, QueryRejection>) -> Result<Paging, ApiError> {
        let Query(q) = q.map_err(|_| {
            ApiError::bad_request("page and per_page may each be given once, as whole numbers")
        })?;
        let page = match q.page.as_deref().map(str::trim) {
            None | Some("") => 1,
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| ApiError::bad_request("page must be a whole number from 1"))?,
        };
        let per_page = match q.per_page.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_PER_PAGE,
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_PER_PAGE).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "per_page must be a whole number from 1 to {MAX_PER_PAGE}"
                    ))
                })?,
        };
        let p = Paging { page, per_page };
        p.offset()
            .map(|_| p)
            .ok_or_else(|| ApiError::bad_request("page is too large"))
    }

    /// Rows to skip; `None` on overflow.
    pub fn offset(&self) -> Option<i64> {
        (self.page - 1).checked_mul(self.per_page)
    }
}

#[derive(Serialize)]
struct SessionPage {
    total: i64,
    page: i64,
    per_page: i64,
    sessions: Vec<SessionRecord>,
}

#[derive(Serialize)]
struct SessionDetail {
    session: SessionRecord,
    participants: Vec<ParticipantRecord>,
}

async fn list(
    State(state): State<AppState>,
    Authed(me): Authed,
    q: Result<Query<PagingQuery>, QueryRejection>,
) -> Result<Json<SessionPage>, ApiError> {
    let paging = Paging::from_query(q)?;
    let offset = paging.offset().unwrap_or(0);
    let (sessions, total) = if access::can_read_history(&me.user) {
        history::list_sessions(&state.store, paging.per_page, offset).await
    } else {
        history::list_sessions_for_user(&state.store, &me.user.id, paging.per_page, offset).await
    }
    .map_err(ApiError::internal)?;
    Ok(Json(SessionPage {
        total,
        page: paging.page,
        per_page: paging.per_page,
        sessions,
    }))
}

async fn read(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(session_id): Path<String>,
) -> Result<Json<SessionDetail>, ApiError> {
    let session = history::get_session(&state.store, &session_id)
        .await
        .map_err(ApiError::internal)?
        .filter(|s| access::can_read_session_record(&me.user, s))
        .ok_or_else(|| ApiError::not_found("no such session in the history"))?;
    let participants = history::participants(&state.store, &session.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(SessionDetail {
        session,
        participants,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(page: Option<&str>, per_page: Option<&str>) -> Result<Paging, ApiError> {
        Paging::from_query(Ok(Query(PagingQuery {
            page: page.map(Into::into),
            per_page: per_page.map(Into::into),
        })))
    }

    #[test]
    fn paging_defaults_and_bounds() {
        assert_eq!(
            page(None, None).unwrap(),
            Paging {
                page: 1,
                per_page: 50
            }
        );
        assert_eq!(page(Some("3"), Some("500")).unwrap().offset(), Some(1000));
        for (p, n, needle) in [
            (Some("0"), None, "page"),
            (Some("x"), None, "page"),
            (None, Some("0"), "per_page"),
            (None, Some("501"), "per_page"),
            (None, Some("-1"), "per_page"),
            (Some(&*i64::MAX.to_string()), Some("2"), "too large"),
        ] {
            let e = page(p, n).unwrap_err();
            assert!(e.message.contains(needle), "{p:?} {n:?}: {}", e.message);
        }
    }
}
