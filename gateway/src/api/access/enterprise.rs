//! Enterprise, nodes and roles (share-admin.md R1, R3–R6).
//!
//! * `GET /api/access/enterprise` — the caller's enterprise: `{id, name, root, nodes:
//!   [{id, name, parent}], roles: [{id, name, home_node, new_user, default_admin}]}`.
//! * `POST /api/access/nodes` `{name, parent}` → outcome (`id` in the first change);
//!   `PATCH /api/access/nodes/{node}` `{name?, parent?}`.
//! * `POST /api/access/roles` `{name, home_node, new_user?}`; `GET /api/access/roles/{role}`
//!   (members, managed nodes with privileges); `PATCH` `{name?, new_user?}`; `DELETE`.
//! * `PUT /api/access/roles/{role}/members/{user}`, `DELETE …` (user by id or email).
//! * `PUT /api/access/roles/{role}/nodes/{node}` `{cascade?}`, `DELETE …`.
//! * `POST /api/access/roles/{role}/privileges` `{node, add?: [..], remove?: [..]}`.

use super::{body, node_id, role_id, run, Caller, DryRun};
use crate::api::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use porthole_access::{Command, Outcome, ReasonCode};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/access/enterprise", get(enterprise))
        .route("/api/access/nodes", post(create_node))
        .route("/api/access/nodes/{node}", patch(update_node))
        .route("/api/access/roles", post(create_role))
        .route(
            "/api/access/roles/{role}",
            get(read_role).patch(update_role).delete(delete_role),
        )
        .route(
            "/api/access/roles/{role}/members/{user}",
            put(add_member).delete(remove_member),
        )
        .route(
            "/api/access/roles/{role}/nodes/{node}",
            put(add_node).delete(remove_node),
        )
        .route("/api/access/roles/{role}/privileges", post(privileges))
}

type J<T> = Result<Json<T>, JsonRejection>;
type Peer = ConnectInfo<SocketAddr>;

async fn enterprise(
    State(state): State<AppState>,
    Authed(me): Authed,
) -> Result<Json<Value>, ApiError> {
    let s = state.access.read();
    let e = s
        .ent(&me.user.id)
        .and_then(|e| s.enterprise(e))
        .ok_or(ApiError::denied(ReasonCode::NotFound))?;
    let mut nodes: Vec<Value> = s
        .nodes()
        .filter(|n| n.enterprise == e.id)
        .map(|n| json!({"id": n.id, "name": n.name, "parent": n.parent}))
        .collect();
    nodes.sort_by_key(|n| n["name"].as_str().unwrap_or_default().to_owned());
    let mut roles: Vec<Value> = s
        .roles()
        .filter(|r| r.enterprise == e.id)
        .map(|r| {
            json!({"id": r.id, "name": r.name, "home_node": r.home_node,
                   "new_user": r.new_user, "default_admin": r.default_admin})
        })
        .collect();
    roles.sort_by_key(|r| r["name"].as_str().unwrap_or_default().to_owned());
    Ok(Json(
        json!({"id": e.id, "name": e.name, "root": e.root, "nodes": nodes, "roles": roles}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNode {
    name: String,
    parent: String,
}

async fn create_node(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Query(q): Query<DryRun>,
    b: J<NewNode>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let c = Caller::new(me, peer);
    let parent = node_id(&state, &c, &b.parent)?;
    let cmd = Command::CreateNode {
        id: crate::store::new_id(),
        name: b.name,
        parent,
    };
    run(&state, &c, cmd, q.dry_run).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodePatch {
    name: Option<String>,
    parent: Option<String>,
}

async fn update_node(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(node): Path<String>,
    Query(q): Query<DryRun>,
    b: J<NodePatch>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let c = Caller::new(me, peer);
    let node = node_id(&state, &c, &node)?;
    let parent = match b.parent {
        Some(p) => Some(node_id(&state, &c, &p)?),
        None => None,
    };
    let cmd = Command::UpdateNode {
        node,
        name: b.name,
        parent,
    };
    run(&state, &c, cmd, q.dry_run).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRole {
    name: String,
    home_node: String,
    #[serde(default)]
    new_user: bool,
}

async fn create_role(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Query(q): Query<DryRun>,
    b: J<NewRole>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let c = Caller::new(me, peer);
    let home_node = node_id(&state, &c, &b.home_node)?;
    let cmd = Command::CreateRole {
        id: crate::store::new_id(),
        name: b.name,
        home_node,
        new_user: b.new_user,
    };
    run(&state, &c, cmd, q.dry_run).await
}

async fn read_role(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(role): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let c = Caller::new(me, peer);
    let role = role_id(&state, &c, &role)?;
    let s = state.access.read();
    let v = porthole_access::views::role_view(&s, c.id(), &role).map_err(ApiError::denied)?;
    serde_json::to_value(v)
        .map(Json)
        .map_err(ApiError::internal)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolePatch {
    name: Option<String>,
    new_user: Option<bool>,
}

async fn update_role(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(role): Path<String>,
    Query(q): Query<DryRun>,
    b: J<RolePatch>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let c = Caller::new(me, peer);
    let role = role_id(&state, &c, &role)?;
    let cmd = Command::UpdateRole {
        role,
        name: b.name,
        new_user: b.new_user,
    };
    run(&state, &c, cmd, q.dry_run).await
}

async fn delete_role(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(role): Path<String>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    let c = Caller::new(me, peer);
    let role = role_id(&state, &c, &role)?;
    run(&state, &c, Command::DeleteRole { role }, q.dry_run).await
}

async fn add_member(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((role, user)): Path<(String, String)>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    let c = Caller::new(me, peer);
    let role = role_id(&state, &c, &role)?;
    run(&state, &c, Command::AddRoleMember { role, user }, q.dry_run).await
}

async fn remove_member(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((role, user)): Path<(String, String)>,
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NodeEntry {
    cascade: Option<bool>,
}

async fn add_node(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((role, node)): Path<(String, String)>,
    Query(q): Query<DryRun>,
    b: Option<Json<NodeEntry>>,
) -> Result<Json<Outcome>, ApiError> {
    let c = Caller::new(me, peer);
    let role = role_id(&state, &c, &role)?;
    let node = node_id(&state, &c, &node)?;
    let cascade = b.and_then(|Json(b)| b.cascade);
    let cmd = Command::AddManagedNode {
        role,
        node,
        cascade,
    };
    run(&state, &c, cmd, q.dry_run).await
}

async fn remove_node(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((role, node)): Path<(String, String)>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    let c = Caller::new(me, peer);
    let role = role_id(&state, &c, &role)?;
    let node = node_id(&state, &c, &node)?;
    run(
        &state,
        &c,
        Command::RemoveManagedNode { role, node },
        q.dry_run,
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Privileges {
    node: Option<String>,
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

/// Adds then removes privileges of one entry; answers the last outcome (the add's when
/// nothing is removed).
async fn privileges(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(role): Path<String>,
    Query(q): Query<DryRun>,
    b: J<Privileges>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let c = Caller::new(me, peer);
    let role = role_id(&state, &c, &role)?;
    let node = match b.node {
        Some(n) => Some(node_id(&state, &c, &n)?),
        None => None,
    };
    if b.add.is_empty() && b.remove.is_empty() {
        return Err(ApiError::bad_request("name privileges to add or remove"));
    }
    let mut last = None;
    if !b.add.is_empty() {
        let cmd = Command::AddPrivileges {
            roles: vec![role.clone()],
            node: node.clone(),
            privileges: b.add,
        };
        last = Some(run(&state, &c, cmd, q.dry_run).await?);
    }
    if !b.remove.is_empty() {
        let cmd = Command::RemovePrivileges {
            roles: vec![role],
            node,
            privileges: b.remove,
        };
        last = Some(run(&state, &c, cmd, q.dry_run).await?);
    }
    last.ok_or_else(|| ApiError::bad_request("name privileges to add or remove"))
}
