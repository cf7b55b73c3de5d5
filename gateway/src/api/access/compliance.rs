//! Compliance reports (share-admin.md R39; `run_compliance_reports`).
//!
//! * `GET /api/access/compliance?node=N&owner=EMAIL&owner=…` — one row per (covered live
//!   connection, user with access): `{connection, connection_name, owner, user,
//!   permissions}`.
//! * `GET /api/access/compliance/shared-folders?node=N` — folders of covered owners with
//!   members and share admins.

use super::{node_id, Caller};
use crate::api::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/access/compliance", get(report))
        .route("/api/access/compliance/shared-folders", get(folders))
}

/// `node` and repeated `owner` parameters.
fn params(q: Option<String>) -> (Option<String>, Vec<String>) {
    let mut node = None;
    let mut owners = Vec::new();
    for (k, v) in url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "node" => node = Some(v.into_owned()),
            "owner" => owners.push(v.into_owned()),
            _ => {}
        }
    }
    (node, owners)
}

async fn report(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let (node, owners) = params(q);
    let c = Caller::new(me, peer);
    let node = match node {
        Some(n) => Some(node_id(&state, &c, &n)?),
        None => None,
    };
    let s = state.access.read();
    let rows = porthole_access::views::compliance_report(&s, c.id(), node.as_deref(), &owners)
        .map_err(ApiError::denied)?;
    serde_json::to_value(rows)
        .map(Json)
        .map_err(ApiError::internal)
}

async fn folders(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let (node, _) = params(q);
    let c = Caller::new(me, peer);
    let node = match node {
        Some(n) => Some(node_id(&state, &c, &n)?),
        None => None,
    };
    let s = state.access.read();
    let rows = porthole_access::views::shared_folder_report(&s, c.id(), node.as_deref())
        .map_err(ApiError::denied)?;
    serde_json::to_value(rows)
        .map(Json)
        .map_err(ApiError::internal)
}
