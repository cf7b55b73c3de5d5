//! The owner's trash (share-admin.md R28).
//!
//! * `GET /api/access/trash` — the caller's trashed connections; `GET …/{connection}`.
//! * `POST /api/access/trash/{connection}/restore`, `…/unshare`.
//! * `DELETE /api/access/trash/{connection}` — purge for good.

use super::{run, Caller, DryRun};
use crate::api::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use porthole_access::{Command, Outcome};
use serde_json::Value;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/access/trash", get(list))
        .route("/api/access/trash/{connection}", get(read).delete(purge))
        .route("/api/access/trash/{connection}/restore", post(restore))
        .route("/api/access/trash/{connection}/unshare", post(unshare))
}

type Peer = ConnectInfo<SocketAddr>;

async fn list(State(state): State<AppState>, Authed(me): Authed) -> Result<Json<Value>, ApiError> {
    let s = state.access.read();
    serde_json::to_value(porthole_access::views::trash_list(&s, &me.user.id))
        .map(Json)
        .map_err(ApiError::internal)
}

async fn read(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(connection): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = state.access.read();
    let v = porthole_access::views::trash_get(&s, &me.user.id, &connection)
        .map_err(ApiError::denied)?;
    serde_json::to_value(v)
        .map(Json)
        .map_err(ApiError::internal)
}

async fn restore(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(connection): Path<String>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    let cmd = Command::TrashRestore { connection };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

async fn unshare(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(connection): Path<String>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    let cmd = Command::TrashUnshare { connection };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

async fn purge(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(connection): Path<String>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    let cmd = Command::TrashPurge { connection };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}
