//! Enterprise users (share-admin.md R2, R3, R37, R38).
//!
//! * `GET /api/access/users?folder=F&q=TEXT` — user search for sharing folder `F` (R37).
//! * `GET /api/access/users/{user}` — user view (R38).
//! * `PUT /api/access/users/{user}/node` `{node}` — move (R2).
//! * `POST /api/access/users/{user}/lock`, `…/unlock` (R2, `manage_user`).
//! * `PUT /api/access/users/{user}/roles/{role}`, `DELETE …` (R3).

use super::{body, node_id, role_id, run, Caller, DryRun};
use crate::api::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use porthole_access::model::UserStatus;
use porthole_access::{Command, Outcome};
use serde::Deserialize;
use serde_json::Value;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/access/users", get(search))
        .route("/api/access/users/{user}", get(view))
        .route("/api/access/users/{user}/node", put(set_node))
        .route("/api/access/users/{user}/lock", post(lock))
        .route("/api/access/users/{user}/unlock", post(unlock))
        .route(
            "/api/access/users/{user}/roles/{role}",
            put(add_role).delete(remove_role),
        )
}

type Peer = ConnectInfo<SocketAddr>;

#[derive(Deserialize)]
struct SearchQ {
    folder: String,
    q: Option<String>,
}

async fn search(
    State(state): State<AppState>,
    Authed(me): Authed,
    Query(q): Query<SearchQ>,
) -> Result<Json<Value>, ApiError> {
    let s = state.access.read();
    let rows = porthole_access::views::user_search(&s, &me.user.id, &q.folder, q.q.as_deref())
        .map_err(ApiError::denied)?;
    serde_json::to_value(rows)
        .map(Json)
        .map_err(ApiError::internal)
}

async fn view(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(user): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = state.access.read();
    let v = porthole_access::views::user_view(&s, &me.user.id, &user).map_err(ApiError::denied)?;
    serde_json::to_value(v)
        .map(Json)
        .map_err(ApiError::internal)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeBody {
    node: String,
}

async fn set_node(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(user): Path<String>,
    Query(q): Query<DryRun>,
    b: Result<Json<NodeBody>, JsonRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let c = Caller::new(me, peer);
    let node = node_id(&state, &c, &b.node)?;
    run(&state, &c, Command::SetUserNode { user, node }, q.dry_run).await
}

async fn status(
    state: &AppState,
    c: Caller,
    user: String,
    status: UserStatus,
    dry_run: bool,
) -> Result<Json<Outcome>, ApiError> {
    run(state, &c, Command::SetUserStatus { user, status }, dry_run).await
}

async fn lock(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(user): Path<String>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    status(
        &state,
        Caller::new(me, peer),
        user,
        UserStatus::Locked,
        q.dry_run,
    )
    .await
}

async fn unlock(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(user): Path<String>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    status(
        &state,
        Caller::new(me, peer),
        user,
        UserStatus::Active,
        q.dry_run,
    )
    .await
}

async fn add_role(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((user, role)): Path<(String, String)>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    let c = Caller::new(me, peer);
    let role = role_id(&state, &c, &role)?;
    run(&state, &c, Command::AddRoleMember { role, user }, q.dry_run).await
}

async fn remove_role(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((user, role)): Path<(String, String)>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    let c = Caller::new(me, peer);
    let role = role_id(&state, &c, &role)?;
    run(
        &state,
        &c,
        Command::RemoveRoleMember { role, user },
        q.dry_run,
    )
    .await
}
