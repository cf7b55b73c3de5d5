//! Connections as records (share-admin.md R20–R26, R36).
//!
//! * `GET /api/access/openable` — every connection the caller can open, with how (R40).
//! * `GET /api/access/connections/{connection}` — connection view (R36); `PATCH`
//!   `{name}` (R21); `DELETE` moves it to the owner's trash (R22).
//! * `PUT /api/access/connections/{connection}/grants/{user}` `{can_edit?, can_share?}`
//!   grants or changes a direct share (R20); `DELETE …?can_edit=true&can_share=true`
//!   clears those flags, or without flags removes the grant.
//! * `POST /api/access/connections/{connection}/owner` `{user}` — ownership transfer
//!   (R24, R25).
//! * `POST /api/access/transfers` `{connections: [..], to}` — bulk transfer (R26): each
//!   connection on its own; `{ok, total, successful, failed, results: [{connection,
//!   status}]}` (status `ok` or the reason code), 200 even when some fail.
//! * `POST /api/access/cancel-shares` `{user}` — every grant the caller's connections give
//!   the user (R20 `cancel`).

use super::{body, run, Caller, DryRun};
use crate::api::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use porthole_access::{Command, Outcome};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/access/openable", get(openable))
        .route(
            "/api/access/connections/{connection}",
            get(view).patch(edit).delete(delete_connection),
        )
        .route(
            "/api/access/connections/{connection}/grants/{user}",
            put(grant).delete(revoke),
        )
        .route("/api/access/connections/{connection}/owner", post(transfer))
        .route("/api/access/transfers", post(transfer_bulk))
        .route("/api/access/cancel-shares", post(cancel))
}

type Peer = ConnectInfo<SocketAddr>;
type J<T> = Result<Json<T>, JsonRejection>;

async fn openable(
    State(state): State<AppState>,
    Authed(me): Authed,
) -> Result<Json<Value>, ApiError> {
    let s = state.access.read();
    serde_json::to_value(porthole_access::views::openable(&s, &me.user.id))
        .map(Json)
        .map_err(ApiError::internal)
}

async fn view(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(connection): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = state.access.read();
    let v = porthole_access::views::connection_view(&s, &me.user.id, &connection)
        .map_err(ApiError::denied)?;
    serde_json::to_value(v)
        .map(Json)
        .map_err(ApiError::internal)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    name: Option<String>,
}

async fn edit(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(connection): Path<String>,
    Query(q): Query<DryRun>,
    b: J<EditBody>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let cmd = Command::EditConnection {
        connection,
        name: b.name,
    };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

async fn delete_connection(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(connection): Path<String>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    let cmd = Command::DeleteConnection { connection };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    can_edit: Option<bool>,
    can_share: Option<bool>,
}

async fn grant(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((connection, user)): Path<(String, String)>,
    Query(q): Query<DryRun>,
    b: Option<Json<GrantBody>>,
) -> Result<Json<Outcome>, ApiError> {
    let b = b.map(|Json(b)| b).unwrap_or_default();
    let cmd = Command::Grant {
        connection,
        user,
        can_edit: b.can_edit,
        can_share: b.can_share,
    };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

#[derive(Deserialize)]
struct RevokeQ {
    #[serde(default)]
    can_edit: bool,
    #[serde(default)]
    can_share: bool,
    #[serde(default)]
    dry_run: bool,
}

async fn revoke(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((connection, user)): Path<(String, String)>,
    Query(q): Query<RevokeQ>,
) -> Result<Json<Outcome>, ApiError> {
    let cmd = Command::Revoke {
        connection,
        user,
        can_edit: q.can_edit,
        can_share: q.can_share,
    };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    user: String,
}

async fn transfer(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(connection): Path<String>,
    Query(q): Query<DryRun>,
    b: J<UserBody>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let cmd = Command::Transfer {
        connection,
        user: b.user,
    };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkBody {
    connections: Vec<String>,
    to: String,
}

async fn transfer_bulk(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Query(q): Query<DryRun>,
    b: J<BulkBody>,
) -> Result<Json<Value>, ApiError> {
    let b = body(b)?;
    if b.connections.is_empty() {
        return Err(ApiError::bad_request("name at least one connection"));
    }
    let c = Caller::new(me, peer);
    let mut results = Vec::new();
    let mut ok = 0;
    for conn in &b.connections {
        let cmd = Command::Transfer {
            connection: conn.clone(),
            user: b.to.clone(),
        };
        // With --dry-run every item is decided against the same state; a repeated
        // connection is `already_owner` as in the engine's bulk transfer.
        let status = if q.dry_run
            && results
                .iter()
                .any(|r: &Value| r["connection"] == json!(conn) && r["status"] == "ok")
        {
            "already_owner".to_owned()
        } else {
            match crate::access::run_command(&state, &c.actor, c.id(), &cmd, q.dry_run).await {
                Ok(_) => "ok".to_owned(),
                Err(e) => match e.reason {
                    Some(r) => r.to_owned(),
                    None => return Err(e),
                },
            }
        };
        if status == "ok" {
            ok += 1;
        }
        results.push(json!({"connection": conn, "status": status}));
    }
    let total = results.len();
    Ok(Json(json!({
        "ok": ok == total, "total": total, "successful": ok, "failed": total - ok,
        "results": results,
    })))
}

async fn cancel(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Query(q): Query<DryRun>,
    b: J<UserBody>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let cmd = Command::CancelShares { user: b.user };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}
