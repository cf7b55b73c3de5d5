//! Shared folders (share-admin.md R9–R19, R27, R36).
//!
//! * `GET /api/access/folders` — the caller's folders; `POST` `{name, defaults?:
//!   {manage_users, manage_records, can_edit, can_share}}` (R9).
//! * `GET /api/access/folders/{folder}` — folder view (R36); `DELETE` (R27).
//! * `PATCH /api/access/folders/{folder}/defaults` `{manage_users?, manage_records?,
//!   can_edit?, can_share?}` (R18).
//! * `PUT /api/access/folders/{folder}/members/{user}` `{manage_users?, manage_records?}`
//!   adds a member or changes their flags (R10, R11); `DELETE …?new_owner=EMAIL` (R12).
//! * `PUT /api/access/folders/{folder}/records/{connection}` `{can_edit?, can_share?}`
//!   links the connection (R14) or, when it is already placed, sets the placement flags
//!   (R19); `DELETE …` unlinks it (R15, R16); `POST …/move` `{to}` (R17).

use super::{body, run, Caller, DryRun};
use crate::api::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use porthole_access::model::FolderDefaults;
use porthole_access::{Command, Outcome};
use serde::Deserialize;
use serde_json::Value;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/access/folders", get(list).post(create))
        .route(
            "/api/access/folders/{folder}",
            get(view).delete(delete_folder),
        )
        .route("/api/access/folders/{folder}/defaults", patch(defaults))
        .route(
            "/api/access/folders/{folder}/members/{user}",
            put(share_user).delete(remove_user),
        )
        .route(
            "/api/access/folders/{folder}/records/{connection}",
            put(put_record).delete(unlink),
        )
        .route(
            "/api/access/folders/{folder}/records/{connection}/move",
            post(move_record),
        )
}

type Peer = ConnectInfo<SocketAddr>;
type J<T> = Result<Json<T>, JsonRejection>;

async fn list(State(state): State<AppState>, Authed(me): Authed) -> Result<Json<Value>, ApiError> {
    let s = state.access.read();
    serde_json::to_value(porthole_access::views::my_folders(&s, &me.user.id))
        .map(Json)
        .map_err(ApiError::internal)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFolder {
    name: String,
    #[serde(default)]
    defaults: Option<FolderDefaults>,
}

async fn create(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Query(q): Query<DryRun>,
    b: J<NewFolder>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let cmd = Command::CreateFolder {
        id: crate::store::new_id(),
        name: b.name,
        defaults: b.defaults.unwrap_or_default(),
    };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

async fn view(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(folder): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = state.access.read();
    let v =
        porthole_access::views::folder_view(&s, &me.user.id, &folder).map_err(ApiError::denied)?;
    serde_json::to_value(v)
        .map(Json)
        .map_err(ApiError::internal)
}

async fn delete_folder(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(folder): Path<String>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    run(
        &state,
        &Caller::new(me, peer),
        Command::DeleteFolder { folder },
        q.dry_run,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Defaults {
    manage_users: Option<bool>,
    manage_records: Option<bool>,
    can_edit: Option<bool>,
    can_share: Option<bool>,
}

async fn defaults(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path(folder): Path<String>,
    Query(q): Query<DryRun>,
    b: J<Defaults>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let cmd = Command::SetFolderDefaults {
        folder,
        manage_users: b.manage_users,
        manage_records: b.manage_records,
        can_edit: b.can_edit,
        can_share: b.can_share,
    };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MemberFlags {
    manage_users: Option<bool>,
    manage_records: Option<bool>,
}

async fn share_user(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((folder, user)): Path<(String, String)>,
    Query(q): Query<DryRun>,
    b: Option<Json<MemberFlags>>,
) -> Result<Json<Outcome>, ApiError> {
    let b = b.map(|Json(b)| b).unwrap_or_default();
    let cmd = Command::ShareFolderUser {
        folder,
        user,
        manage_users: b.manage_users,
        manage_records: b.manage_records,
    };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

#[derive(Deserialize)]
struct RemoveQ {
    #[serde(default)]
    new_owner: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

async fn remove_user(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((folder, user)): Path<(String, String)>,
    Query(q): Query<RemoveQ>,
) -> Result<Json<Outcome>, ApiError> {
    let cmd = Command::RemoveFolderUser {
        folder,
        user,
        new_owner: q.new_owner,
    };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RecordFlags {
    can_edit: Option<bool>,
    can_share: Option<bool>,
}

async fn put_record(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((folder, connection)): Path<(String, String)>,
    Query(q): Query<DryRun>,
    b: Option<Json<RecordFlags>>,
) -> Result<Json<Outcome>, ApiError> {
    let b = b.map(|Json(b)| b).unwrap_or_default();
    let placed = state
        .access
        .read()
        .folders_holding(&connection)
        .contains(&folder);
    let cmd = if placed {
        Command::SetPlacementFlags {
            folder,
            connection,
            can_edit: b.can_edit,
            can_share: b.can_share,
        }
    } else {
        Command::LinkConnection {
            connection,
            folder,
            can_edit: b.can_edit,
            can_share: b.can_share,
        }
    };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

async fn unlink(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((folder, connection)): Path<(String, String)>,
    Query(q): Query<DryRun>,
) -> Result<Json<Outcome>, ApiError> {
    let cmd = Command::UnlinkConnection { connection, folder };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    to: String,
}

async fn move_record(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): Peer,
    Path((folder, connection)): Path<(String, String)>,
    Query(q): Query<DryRun>,
    b: J<MoveBody>,
) -> Result<Json<Outcome>, ApiError> {
    let b = body(b)?;
    let cmd = Command::MoveConnection {
        connection,
        from: folder,
        to: b.to,
    };
    run(&state, &Caller::new(me, peer), cmd, q.dry_run).await
}
