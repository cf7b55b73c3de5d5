//! `/api/access/…`: the access model's entities and commands over REST (share-admin.md §6
//! as HTTP). One file per area: [`enterprise`] (enterprise, nodes, roles with privileges),
//! [`users`] (node, roles, lock, search, user view), [`folders`] (folders, members,
//! defaults, placements), [`records`] (connection view, grants, ownership transfer single
//! and bulk, cancel), [`trash`], [`compliance`]. Plus `POST /api/access/commands`, which
//! takes any engine command as JSON (`{"command": "create_node", …}`).
//!
//! Every change runs through [`crate::access::run_command`] (decide → audit → persist →
//! commit → revalidate); `?dry_run=true` decides and audits without persisting. Allowed
//! changes answer 200 with the [`Outcome`] (`changes`, `authority`, `notices`,
//! `trashed`). Denials answer `{"error": message, "reason": code}` with the §5 reason
//! code: 404 `not_found`, 409 `name_conflict`, 400 the other usage reasons (§5 step 3),
//! 403 every other reason. Users are named by id or email, nodes and roles by id or name,
//! everything else by id. The whole API is described by `GET /api/openapi.json`.

pub mod compliance;
pub mod enterprise;
pub mod folders;
pub mod records;
pub mod trash;
pub mod users;

use super::Authed;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::events::Actor;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use porthole_access::{Command, Outcome, ReasonCode};
use serde::Deserialize;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/access/commands", post(command))
        .route("/api/openapi.json", get(openapi))
        .merge(enterprise::router())
        .merge(users::router())
        .merge(folders::router())
        .merge(records::router())
        .merge(trash::router())
        .merge(compliance::router())
}

/// The OpenAPI 3 description of the REST API.
const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Result<Json<serde_json::Value>, ApiError> {
    serde_json::from_str(OPENAPI)
        .map(Json)
        .map_err(ApiError::internal)
}

/// `?dry_run=true`.
#[derive(Deserialize, Default)]
pub struct DryRun {
    #[serde(default)]
    pub dry_run: bool,
}

/// The caller, for the pipeline and the audit trail.
pub struct Caller {
    pub me: AuthUser,
    pub actor: Actor,
}

impl Caller {
    pub fn new(me: AuthUser, peer: SocketAddr) -> Caller {
        let actor = Actor::user(&me.user, Some(peer.ip().to_string()));
        Caller { me, actor }
    }
    pub fn id(&self) -> &str {
        &self.me.user.id
    }
}

/// Runs one command through the pipeline.
pub async fn run(
    state: &AppState,
    c: &Caller,
    cmd: Command,
    dry_run: bool,
) -> Result<Json<Outcome>, ApiError> {
    crate::access::run_command(state, &c.actor, c.id(), &cmd, dry_run)
        .await
        .map(Json)
}

/// A node of the caller's enterprise by id or name (`not_found` otherwise).
pub fn node_id(state: &AppState, c: &Caller, node: &str) -> Result<String, ApiError> {
    let s = state.access.read();
    let ent = s
        .ent(c.id())
        .ok_or(ApiError::denied(ReasonCode::NotFound))?;
    s.find_node(ent, node)
        .map(|n| n.id.clone())
        .ok_or(ApiError::denied(ReasonCode::NotFound))
}

/// A role of the caller's enterprise by id or name (`not_found` otherwise).
pub fn role_id(state: &AppState, c: &Caller, role: &str) -> Result<String, ApiError> {
    let s = state.access.read();
    let ent = s
        .ent(c.id())
        .ok_or(ApiError::denied(ReasonCode::NotFound))?;
    s.find_role(ent, role)
        .map(|r| r.id.clone())
        .ok_or(ApiError::denied(ReasonCode::NotFound))
}

/// A JSON body, with deserialisation failures as 400 `{error}`.
pub fn body<T>(b: Result<Json<T>, axum::extract::rejection::JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(v)| v)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {}", e.body_text())))
}

async fn command(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<DryRun>,
    b: Result<Json<Command>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Outcome>, ApiError> {
    let cmd = body(b)?;
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}
