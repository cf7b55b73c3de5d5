//! Connection definitions.
//!
//! * `GET /api/connections` — the connections the caller may open, each with the number
//!   of live sessions on it.
//! * `GET /api/connections/{id}` — one connection; secret parameters (passwords, keys)
//!   are never returned, only named in `secret_parameters_set`.
//! * `POST /api/connections`, `PUT /api/connections/{id}`, `DELETE /api/connections/{id}`
//!   — administrators only. On `PUT`, a secret parameter left out keeps its stored
//!   value; send it as `""` to clear it. Deleting a connection ends its live sessions.

use super::Authed;
use crate::access;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::connections::{self, Connection, ConnectionInput, GuacdTarget};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use porthole_protocol::Status;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/connections", get(list).post(create))
        .route(
            "/api/connections/{id}",
            get(read).put(replace).delete(remove),
        )
}

/// Parameter names whose values are secrets.
pub fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "passphrase",
        "private-key",
        "client-key",
        "secret",
        "token",
    ]
    .iter()
    .any(|s| n.contains(s))
}

#[derive(Serialize)]
struct Summary {
    id: String,
    name: String,
    protocol: String,
    backend: String,
    active_sessions: usize,
    /// People on the connection's live sessions: originators plus viewers.
    active_users: usize,
    /// The shared folder the caller reaches it through, if any (the client groups by it).
    folder: Option<String>,
}

#[derive(Serialize)]
struct Detail {
    id: String,
    name: String,
    protocol: String,
    backend: String,
    parameters: BTreeMap<String, String>,
    secret_parameters_set: Vec<String>,
    guacd: Option<GuacdTarget>,
    owner_id: Option<String>,
    active_sessions: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    name: String,
    protocol: String,
    /// `guacd` (default) or `builtin` (Porthole's own VNC client; protocol `vnc`).
    #[serde(default)]
    backend: Option<String>,
    #[serde(default)]
    parameters: BTreeMap<String, String>,
    #[serde(default)]
    guacd: Option<GuacdTarget>,
    #[serde(default)]
    owner_id: Option<String>,
}

fn detail(state: &AppState, c: Connection) -> Detail {
    let (secret, public): (BTreeMap<_, _>, BTreeMap<_, _>) =
        c.parameters.into_iter().partition(|(k, _)| is_secret(k));
    Detail {
        active_sessions: state.sessions.count_for_connection(&c.id),
        id: c.id,
        name: c.name,
        protocol: c.protocol,
        backend: c.backend,
        parameters: public,
        secret_parameters_set: secret
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, _)| k)
            .collect(),
        guacd: c.guacd,
        owner_id: c.owner_id,
    }
}

fn validate(b: &Body) -> Result<(), ApiError> {
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(ApiError::bad_request("name must be 1 to 128 characters"));
    }
    let p = &b.protocol;
    if p.is_empty()
        || p.len() > 32
        || !p
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err(ApiError::bad_request(
            "protocol must be a guacd protocol name such as vnc, rdp or ssh",
        ));
    }
    match b.backend.as_deref().unwrap_or("guacd") {
        "guacd" => {}
        "builtin" => {
            if b.protocol != "vnc" {
                return Err(ApiError::bad_request(
                    "the built-in back end serves VNC only: use protocol 'vnc' or backend 'guacd'",
                ));
            }
            if b.parameters
                .get("hostname")
                .is_none_or(|h| h.trim().is_empty())
            {
                return Err(ApiError::bad_request(
                    "a built-in VNC connection needs the 'hostname' parameter",
                ));
            }
            if let Some(p) = b.parameters.get("port").filter(|p| !p.is_empty()) {
                if p.parse::<u16>().map_or(true, |n| n == 0) {
                    return Err(ApiError::bad_request(
                        "'port' must be a number from 1 to 65535",
                    ));
                }
            }
        }
        _ => {
            return Err(ApiError::bad_request(
                "backend must be 'guacd' or 'builtin'",
            ))
        }
    }
    if b.parameters.len() > 256 {
        return Err(ApiError::bad_request("at most 256 parameters"));
    }
    for (k, v) in &b.parameters {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(ApiError::bad_request(
                "parameter names must be 1 to 128 characters",
            ));
        }
        if v.chars().count() > 4096 {
            return Err(ApiError::bad_request(format!(
                "parameter '{k}' is longer than 4096 characters"
            )));
        }
    }
    if let Some(g) = &b.guacd {
        if g.host.trim().is_empty() || g.port == 0 {
            return Err(ApiError::bad_request(
                "guacd needs a host and a non-zero port",
            ));
        }
    }
    Ok(())
}

fn require_admin(me: &crate::auth::AuthUser) -> Result<(), ApiError> {
    if access::can_manage_connections(&me.user) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only administrators can change connections",
        ))
    }
}

async fn list(
    State(state): State<AppState>,
    Authed(me): Authed,
) -> Result<Json<Vec<Summary>>, ApiError> {
    let all = connections::list(&state.store)
        .await
        .map_err(ApiError::internal)?;
    let folder_of = |conn: &str| {
        let s = state.access.read();
        let mine = s.folders_of(&me.user.id);
        s.folders_holding(conn)
            .iter()
            .filter(|f| mine.contains(*f))
            .filter_map(|f| s.folder(f))
            .map(|f| f.name.clone())
            .min()
    };
    Ok(Json(
        all.into_iter()
            .filter(|c| access::decide::can_access(&state, &me.user.id, &c.id))
            .map(|c| Summary {
                folder: folder_of(&c.id),
                active_sessions: state.sessions.count_for_connection(&c.id),
                active_users: state.sessions.users_on_connection(&c.id),
                id: c.id,
                name: c.name,
                protocol: c.protocol,
                backend: c.backend,
            })
            .collect(),
    ))
}

async fn load_visible(
    state: &AppState,
    me: &crate::auth::AuthUser,
    id: &str,
) -> Result<Connection, ApiError> {
    let c = connections::get(&state.store, id)
        .await
        .map_err(ApiError::internal)?
        .filter(|c| access::decide::can_see_connection(state, &me.user.id, &c.id))
        .ok_or_else(|| ApiError::not_found("no such connection"))?;
    Ok(c)
}

async fn read(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(id): Path<String>,
) -> Result<Json<Detail>, ApiError> {
    let c = load_visible(&state, &me, &id).await?;
    Ok(Json(detail(&state, c)))
}

async fn create(
    State(state): State<AppState>,
    Authed(me): Authed,
    Json(b): Json<Body>,
) -> Result<(StatusCode, Json<Detail>), ApiError> {
    require_admin(&me)?;
    validate(&b)?;
    let input = ConnectionInput {
        name: b.name.trim().to_owned(),
        protocol: b.protocol,
        backend: b.backend.unwrap_or_else(|| "guacd".into()),
        parameters: b.parameters,
        guacd: b.guacd,
        owner_id: b.owner_id.or_else(|| Some(me.user.id.clone())),
    };
    let c = connections::create(&state.store, &input)
        .await
        .map_err(ApiError::internal)?;
    access::refresh(&state).await?;
    tracing::info!(connection = %c.id, by = %me.user.username, "connection created");
    Ok((StatusCode::CREATED, Json(detail(&state, c))))
}

async fn replace(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(id): Path<String>,
    Json(b): Json<Body>,
) -> Result<Json<Detail>, ApiError> {
    require_admin(&me)?;
    validate(&b)?;
    let old = load_visible(&state, &me, &id).await?;
    let mut parameters = b.parameters;
    for (k, v) in old.parameters.iter().filter(|(k, _)| is_secret(k)) {
        parameters.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let input = ConnectionInput {
        name: b.name.trim().to_owned(),
        protocol: b.protocol,
        backend: b.backend.unwrap_or(old.backend),
        parameters,
        guacd: b.guacd,
        owner_id: b.owner_id.or(old.owner_id),
    };
    if !connections::update(&state.store, &id, &input)
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::not_found("no such connection"));
    }
    access::refresh(&state).await?;
    // The write succeeded; answer with what was saved even when the caller no longer
    // reaches the connection (e.g. it just handed it to someone else).
    let c = connections::get(&state.store, &id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("no such connection"))?;
    tracing::info!(connection = %id, by = %me.user.username, "connection updated");
    Ok(Json(detail(&state, c)))
}

async fn remove(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&me)?;
    load_visible(&state, &me, &id).await?;
    connections::delete(&state.store, &id)
        .await
        .map_err(ApiError::internal)?;
    access::refresh(&state).await?;
    for s in state
        .sessions
        .list()
        .into_iter()
        .filter(|s| s.info.connection_id == id)
    {
        state.sessions.end_session(
            &state,
            &s,
            Status::SessionClosed,
            "the connection was deleted",
        );
    }
    tracing::info!(connection = %id, by = %me.user.username, "connection deleted");
    Ok(StatusCode::NO_CONTENT)
}
