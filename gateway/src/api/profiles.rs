//! Sharing profiles: per connection, the named ways its live sessions can be shared.
//!
//! * `GET /api/connections/{id}/sharing-profiles` — the connection's profiles, by name,
//!   for anyone who may see the connection.
//! * `POST /api/connections/{id}/sharing-profiles` `{"name", "read_only", "parameters"?}`
//!   → 201 with the profile.
//! * `GET /api/sharing-profiles/{id}`; `PUT` (same body as `POST`) → the profile;
//!   `DELETE` → 204, after which every share link minted from it is revoked and everyone
//!   who joined through it is disconnected.
//! * `POST /api/sharing-profiles/{id}/clone` `{"name"}` → 201: a copy (read-only flag and
//!   parameters) under a new name on the same connection.
//!
//! Names are 1–128 characters after trimming and unique within a connection (409
//! otherwise). Parameters are the guacd `connect` values given to joiners: at most 64,
//! names of 1–128 characters, values of at most 4096; `read-only` is not one of them —
//! the `read_only` flag is the only source of truth for it.
//!
//! Changes need `edit` and `share` on the connection (R41, [`access::decide::manage_profiles`]):
//! its owner, stored flags or grants, or Share Admin record tier; denials carry the §5
//! reason (`missing_can_edit`, `missing_can_share`). A connection, or a profile of a connection,
//! that the caller may not see answers 404 exactly like a missing one. Every attempted
//! change, allowed or denied, is audited (`profile.create|update|delete|clone`).

use super::Authed;
use crate::access;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::events::{self, Actor, Attempt};
use crate::state::AppState;
use crate::store::connections::{self, Connection};
use crate::store::profiles::{self, ProfileInput, SharingProfile};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/connections/{id}/sharing-profiles",
            get(list).post(create),
        )
        .route(
            "/api/sharing-profiles/{id}",
            get(read).put(replace).delete(remove),
        )
        .route("/api/sharing-profiles/{id}/clone", post(clone))
}

/// Most parameters one profile may carry.
const MAX_PARAMETERS: usize = 64;
/// Longest profile or parameter name, in characters.
const MAX_NAME: usize = 128;
/// Longest parameter value, in characters.
const MAX_VALUE: usize = 4096;
/// Longest requested id copied into the audit trail (ids are 36-character UUIDs).
const MAX_AUDITED_ID: usize = 64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    name: String,
    read_only: bool,
    #[serde(default)]
    parameters: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloneBody {
    name: String,
}

/// The client's address, when the server recorded it.
type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

fn actor(me: &AuthUser, peer: &Peer) -> Actor {
    Actor::user(
        &me.user,
        peer.as_ref()
            .map(|Extension(ConnectInfo(a))| a.ip().to_string()),
    )
}

/// A request body, or a 400 that says what is wrong with it (415 without a JSON
/// content type).
fn parse<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(b)| b).map_err(|r| {
        let status = if r.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            r.status()
        } else {
            StatusCode::BAD_REQUEST
        };
        let text = r.body_text();
        let why = text.split_once(": ").map_or(text.as_str(), |(_, w)| w);
        ApiError::new(status, format!("invalid request body: {why}"))
    })
}

fn valid_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "name must be 1 to {MAX_NAME} characters"
        )));
    }
    Ok(name.to_owned())
}

fn validate(b: Body) -> Result<ProfileInput, ApiError> {
    let name = valid_name(&b.name)?;
    if b.parameters.len() > MAX_PARAMETERS {
        return Err(ApiError::bad_request(format!(
            "a sharing profile has at most {MAX_PARAMETERS} parameters"
        )));
    }
    for (k, v) in &b.parameters {
        if k.is_empty() || k.chars().count() > MAX_NAME {
            return Err(ApiError::bad_request(format!(
                "parameter names must be 1 to {MAX_NAME} characters"
            )));
        }
        if k.trim().eq_ignore_ascii_case("read-only") {
            return Err(ApiError::bad_request(
                "'read-only' cannot be a parameter: set the read_only flag instead",
            ));
        }
        if v.chars().count() > MAX_VALUE {
            return Err(ApiError::bad_request(format!(
                "parameter '{k}' is longer than {MAX_VALUE} characters"
            )));
        }
    }
    Ok(ProfileInput {
        name,
        read_only: b.read_only,
        parameters: b.parameters,
    })
}

fn duplicate(name: &str) -> ApiError {
    ApiError::conflict(format!(
        "a sharing profile named '{name}' already exists for this connection"
    ))
}

/// 409 when another profile of the connection (not `except`) already has `name`.
async fn ensure_unique(
    state: &AppState,
    connection_id: &str,
    name: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let taken = profiles::list_for_connection(&state.store, connection_id)
        .await
        .map_err(ApiError::internal)?
        .iter()
        .any(|p| p.name == name && Some(p.id.as_str()) != except);
    if taken {
        Err(duplicate(name))
    } else {
        Ok(())
    }
}

/// A store error, with a uniqueness violation (a concurrent request took the name)
/// answered as 409.
fn store_error(e: anyhow::Error, name: &str) -> ApiError {
    if profiles::is_unique_violation(&e) {
        duplicate(name)
    } else {
        ApiError::internal(e)
    }
}

/// Why a request found nothing it may use. `reason` is set when that was a decision
/// worth auditing (missing or hidden), not an internal failure.
struct Refusal {
    reason: Option<&'static str>,
    error: ApiError,
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal {
            reason: None,
            error,
        }
    }
}

/// A connection the caller may see.
async fn visible_connection(
    state: &AppState,
    me: &AuthUser,
    id: &str,
    not_found: &'static str,
) -> Result<Connection, Refusal> {
    match connections::get(&state.store, id)
        .await
        .map_err(ApiError::internal)?
    {
        Some(c) if access::decide::can_see_connection(state, &me.user.id, &c.id) => Ok(c),
        found => Err(Refusal {
            reason: Some(if found.is_some() {
                "connection-not-visible"
            } else {
                "not-found"
            }),
            error: ApiError::not_found(not_found),
        }),
    }
}

/// A profile whose connection the caller may see, with that connection.
async fn visible_profile(
    state: &AppState,
    me: &AuthUser,
    id: &str,
) -> Result<(SharingProfile, Connection), Refusal> {
    const NOT_FOUND: &str = "no such sharing profile";
    let p = profiles::get(&state.store, id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| Refusal {
            reason: Some("not-found"),
            error: ApiError::not_found(NOT_FOUND),
        })?;
    let c = visible_connection(state, me, &p.connection_id, NOT_FOUND).await?;
    Ok((p, c))
}

/// What a change attempt is, for its audit row.
struct Change<'a> {
    action: &'a str,
    target_type: &'a str,
    target_id: &'a str,
}

impl Change<'_> {
    fn deny(&self, state: &AppState, actor: &Actor, reason: &str, detail: serde_json::Value) {
        let mut id = self.target_id;
        if let Some((i, _)) = id.char_indices().nth(MAX_AUDITED_ID) {
            id = &id[..i];
        }
        events::audit(
            state,
            actor,
            Attempt {
                action: self.action,
                target_type: self.target_type,
                target_id: id,
                allowed: false,
                authority: reason,
                detail,
            },
        );
    }

    /// Audits an allowed attempt together with how it ended (`status`, and `error`
    /// when it failed).
    fn allow<T>(
        &self,
        state: &AppState,
        actor: &Actor,
        authority: &str,
        mut detail: serde_json::Value,
        outcome: &Result<T, ApiError>,
        ok: StatusCode,
    ) {
        if let Some(d) = detail.as_object_mut() {
            match outcome {
                Ok(_) => {
                    d.insert("status".into(), ok.as_u16().into());
                }
                Err(e) => {
                    d.insert("status".into(), e.status.as_u16().into());
                    d.insert("error".into(), e.message.clone().into());
                }
            }
        }
        events::audit(
            state,
            actor,
            Attempt {
                action: self.action,
                target_type: self.target_type,
                target_id: self.target_id,
                allowed: true,
                authority,
                detail,
            },
        );
    }

    /// Audits a refusal that was a decision; passes the error on.
    fn refused(&self, state: &AppState, actor: &Actor, r: Refusal) -> ApiError {
        if let Some(reason) = r.reason {
            self.deny(state, actor, reason, json!({}));
        }
        r.error
    }

    /// The rule allowing `me` to change the profiles of `conn`, or a denial (audited,
    /// answered 403: the caller can see the connection, so its existence is no secret).
    fn authorize(
        &self,
        state: &AppState,
        actor: &Actor,
        me: &AuthUser,
        conn: &Connection,
    ) -> Result<&'static str, ApiError> {
        match access::decide::manage_profiles(state, &me.user.id, &conn.id) {
            porthole_access::Decision::Allow { authority } => Ok(authority.as_str()),
            porthole_access::Decision::Deny(reason) => {
                self.deny(
                    state,
                    actor,
                    reason.as_str(),
                    json!({ "connection_id": conn.id }),
                );
                Err(ApiError::denied(reason))
            }
        }
    }
}

/// What an audit row says about a profile: names, never parameter values.
fn describe(p: &ProfileInput) -> serde_json::Value {
    json!({
        "name": p.name,
        "read_only": p.read_only,
        "parameters": p.parameters.keys().collect::<Vec<_>>(),
    })
}

async fn list(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(id): Path<String>,
) -> Result<Json<Vec<SharingProfile>>, ApiError> {
    let c = visible_connection(&state, &me, &id, "no such connection")
        .await
        .map_err(|r| r.error)?;
    Ok(Json(
        profiles::list_for_connection(&state.store, &c.id)
            .await
            .map_err(ApiError::internal)?,
    ))
}

async fn read(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(id): Path<String>,
) -> Result<Json<SharingProfile>, ApiError> {
    let (p, _) = visible_profile(&state, &me, &id)
        .await
        .map_err(|r| r.error)?;
    Ok(Json(p))
}

async fn create(
    State(state): State<AppState>,
    Authed(me): Authed,
    peer: Peer,
    Path(id): Path<String>,
    body: Result<Json<Body>, JsonRejection>,
) -> Result<(StatusCode, Json<SharingProfile>), ApiError> {
    let actor = actor(&me, &peer);
    let change = Change {
        action: "profile.create",
        target_type: "connection",
        target_id: &id,
    };
    let conn = visible_connection(&state, &me, &id, "no such connection")
        .await
        .map_err(|r| change.refused(&state, &actor, r))?;
    let authority = change.authorize(&state, &actor, &me, &conn)?;
    let mut detail = json!({});
    let outcome = async {
        let input = validate(parse(body)?)?;
        detail = describe(&input);
        ensure_unique(&state, &conn.id, &input.name, None).await?;
        let p = profiles::create(&state.store, &conn.id, &input)
            .await
            .map_err(|e| store_error(e, &input.name))?;
        if let Some(d) = detail.as_object_mut() {
            d.insert("profile_id".into(), p.id.clone().into());
        }
        Ok(p)
    }
    .await;
    change.allow(
        &state,
        &actor,
        authority,
        detail,
        &outcome,
        StatusCode::CREATED,
    );
    let out = outcome?;
    access::refresh(&state).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

async fn replace(
    State(state): State<AppState>,
    Authed(me): Authed,
    peer: Peer,
    Path(id): Path<String>,
    body: Result<Json<Body>, JsonRejection>,
) -> Result<Json<SharingProfile>, ApiError> {
    let actor = actor(&me, &peer);
    let change = Change {
        action: "profile.update",
        target_type: "sharing_profile",
        target_id: &id,
    };
    let (old, conn) = visible_profile(&state, &me, &id)
        .await
        .map_err(|r| change.refused(&state, &actor, r))?;
    let authority = change.authorize(&state, &actor, &me, &conn)?;
    let mut detail = json!({ "connection_id": conn.id, "old_name": old.name });
    let outcome = async {
        let input = validate(parse(body)?)?;
        if let (Some(d), serde_json::Value::Object(new)) =
            (detail.as_object_mut(), describe(&input))
        {
            d.extend(new);
        }
        ensure_unique(&state, &conn.id, &input.name, Some(&old.id)).await?;
        let found = profiles::update(&state.store, &old.id, &input)
            .await
            .map_err(|e| store_error(e, &input.name))?;
        let gone = || ApiError::not_found("no such sharing profile");
        if !found {
            return Err(gone());
        }
        profiles::get(&state.store, &old.id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(gone)
    }
    .await;
    change.allow(&state, &actor, authority, detail, &outcome, StatusCode::OK);
    let out = outcome?;
    access::refresh(&state).await?;
    Ok(Json(out))
}

async fn remove(
    State(state): State<AppState>,
    Authed(me): Authed,
    peer: Peer,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&me, &peer);
    let change = Change {
        action: "profile.delete",
        target_type: "sharing_profile",
        target_id: &id,
    };
    let (p, conn) = visible_profile(&state, &me, &id)
        .await
        .map_err(|r| change.refused(&state, &actor, r))?;
    let authority = change.authorize(&state, &actor, &me, &conn)?;
    let outcome = profiles::delete(&state.store, &p.id)
        .await
        .map_err(ApiError::internal);
    // Whether this request or a concurrent one removed the row, the profile is gone:
    // nothing may keep using it.
    if outcome.is_ok() {
        state.sessions.profile_deleted(&p.id);
    }
    change.allow(
        &state,
        &actor,
        authority,
        json!({ "connection_id": conn.id, "name": p.name }),
        &outcome,
        StatusCode::NO_CONTENT,
    );
    outcome?;
    access::refresh(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn clone(
    State(state): State<AppState>,
    Authed(me): Authed,
    peer: Peer,
    Path(id): Path<String>,
    body: Result<Json<CloneBody>, JsonRejection>,
) -> Result<(StatusCode, Json<SharingProfile>), ApiError> {
    let actor = actor(&me, &peer);
    let change = Change {
        action: "profile.clone",
        target_type: "sharing_profile",
        target_id: &id,
    };
    let (src, conn) = visible_profile(&state, &me, &id)
        .await
        .map_err(|r| change.refused(&state, &actor, r))?;
    let authority = change.authorize(&state, &actor, &me, &conn)?;
    let mut detail = json!({ "connection_id": conn.id, "source_name": src.name });
    let outcome = async {
        let name = valid_name(&parse(body)?.name)?;
        if let Some(d) = detail.as_object_mut() {
            d.insert("name".into(), name.clone().into());
        }
        ensure_unique(&state, &conn.id, &name, None).await?;
        let input = ProfileInput {
            name,
            read_only: src.read_only,
            parameters: src.parameters.clone(),
        };
        let p = profiles::create(&state.store, &conn.id, &input)
            .await
            .map_err(|e| store_error(e, &input.name))?;
        if let Some(d) = detail.as_object_mut() {
            d.insert("profile_id".into(), p.id.clone().into());
        }
        Ok(p)
    }
    .await;
    change.allow(
        &state,
        &actor,
        authority,
        detail,
        &outcome,
        StatusCode::CREATED,
    );
    let out = outcome?;
    access::refresh(&state).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(name: &str, params: &[(&str, &str)]) -> Body {
        Body {
            name: name.into(),
            read_only: true,
            parameters: params
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate(body("  View  ", &[])).unwrap().name, "View");
        assert!(validate(body("   ", &[])).is_err());
        assert!(validate(body(&"x".repeat(128), &[])).is_ok());
        assert!(validate(body(&"é".repeat(129), &[])).is_err());
    }

    #[test]
    fn read_only_is_a_flag_not_a_parameter() {
        for k in ["read-only", "READ-ONLY"] {
            let e = validate(body("v", &[(k, "true")])).err().unwrap();
            assert_eq!(e.status, StatusCode::BAD_REQUEST);
            assert!(e.message.contains("read_only flag"), "{}", e.message);
        }
    }

    #[test]
    fn parameter_limits_are_enforced() {
        let many: Vec<(String, String)> = (0..=MAX_PARAMETERS)
            .map(|i| (format!("p{i}"), String::new()))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (&**k, &**v)).collect();
        assert!(validate(body("v", &many[..MAX_PARAMETERS])).is_ok());
        assert!(validate(body("v", &many)).is_err());
        assert!(validate(body("v", &[("", "x")])).is_err());
        let long_name = "n".repeat(MAX_NAME + 1);
        assert!(validate(body("v", &[(&long_name, "x")])).is_err());
        let long_value = "v".repeat(MAX_VALUE + 1);
        let e = validate(body("v", &[("p", &long_value)])).err().unwrap();
        assert!(e.message.contains("'p'"), "{}", e.message);
        assert!(validate(body("v", &[("p", &long_value[1..])])).is_ok());
    }
}
