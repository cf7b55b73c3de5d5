//! The audit trail (administrators only).
//!
//! * `GET /api/audit?page=1&per_page=50` → `{"total", "page", "per_page", "events"}`,
//!   newest first: every attempted change, allowed or denied, with its actor, target and
//!   the authority that decided it. Paging as in [`super::history::Paging`].

use super::history::{Paging, PagingQuery};
use super::Authed;
use crate::access;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::audit::{self, AuditEvent};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/audit", get(list))
}

#[derive(Serialize)]
struct EventPage {
    total: i64,
    page: i64,
    per_page: i64,
    events: Vec<AuditEvent>,
}

async fn list(
    State(state): State<AppState>,
    Authed(me): Authed,
    q: Result<Query<PagingQuery>, QueryRejection>,
) -> Result<Json<EventPage>, ApiError> {
    if !access::can_read_audit(&me.user) {
        return Err(ApiError::forbidden(
            "only administrators can read the audit trail",
        ));
    }
    let paging = Paging::from_query(q)?;
    let (events, total) = audit::list(&state.store, paging.per_page, paging.offset().unwrap_or(0))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(EventPage {
        total,
        page: paging.page,
        per_page: paging.per_page,
        events,
    }))
}
