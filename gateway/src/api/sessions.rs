//! Live sessions and their share links.
//!
//! Every decision is the access model's (share-admin.md R43–R47, R51; see
//! [`access::decide`]); denials answer `{error, reason}` with the §5 reason code.
//!
//! Originator (minting: R43, `share` on the connection):
//! * `GET /api/tunnels/{tunnel}/session` — the session behind a tunnel UUID (what the
//!   page knows), with the connection's sharing profiles.
//! * `POST /api/sessions/{id}/links` `{profile_id, expires_in_secs?, max_uses?}` → 201
//!   `{id, url, …}`. The URL carries a 256-bit key in its fragment
//!   (`<public url>/#/share/<key>`), so it never reaches access logs, proxies or Referer
//!   headers; only the key's hash is kept, so the URL is shown once.
//! * `GET /api/sessions/{id}/links`, `DELETE /api/sessions/{id}/links/{link}` (revoking
//!   a link also disconnects whoever joined through it).
//! * `DELETE /api/sessions/{id}` — end the session (R47: originator, owner, record-tier
//!   Share Admin, `monitor_sessions`).
//!
//! Overseers (R45, R46, R51: the connection's owner, record-tier Share Admins,
//! `monitor_sessions` holders):
//! * `GET /api/sessions` (everyone sees their own), `GET /api/sessions/{id}`.
//! * `POST /api/sessions/{id}/watch` (read-only) and `POST /api/sessions/{id}/join`
//!   (with control) → `{ticket}` for a `GUAC_TYPE=s&GUAC_ID=<ticket>` tunnel.
//!
//! Anyone:
//! * `POST /api/share/redeem` `{key}` → `{ticket, read_only, connection_name, shared_by,
//!   profile_name}`; any dead, revoked, expired, used-up or forged key gets the same 404
//!   "this share link is no longer valid". Failed redemptions are throttled per address.
//!
//! Every attempt is audited.

use super::Authed;
use crate::access;
use crate::error::ApiError;
use crate::events::{audit, Actor, Attempt};
use crate::session::{JoinKind, JoinRequest, Link, Session, SessionSnapshot};
use crate::state::AppState;
use crate::store::{self, links, profiles};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use porthole_access::Decision;
use porthole_protocol::Status;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tunnels/{tunnel}/session", get(by_tunnel))
        .route("/api/sessions", get(list))
        .route("/api/sessions/{id}", get(read).delete(end))
        .route("/api/sessions/{id}/links", get(list_links).post(mint))
        .route("/api/sessions/{id}/links/{link}", delete(revoke))
        .route("/api/sessions/{id}/watch", post(watch))
        .route("/api/sessions/{id}/join", post(join))
        .route("/api/share/redeem", post(redeem))
}

/// Longest link lifetime a client may ask for: 30 days.
const MAX_EXPIRY_SECS: u64 = 30 * 24 * 3600;
/// Most uses a client may ask for.
const MAX_USES: u64 = 100_000;
const INVALID_LINK: &str = "this share link is no longer valid";

fn live(state: &AppState, id: &str) -> Result<Arc<Session>, ApiError> {
    state
        .sessions
        .get(id)
        .filter(|s| !s.is_ended())
        .ok_or_else(|| ApiError::not_found("no such live session"))
}

fn actor(me: &crate::auth::AuthUser, peer: SocketAddr) -> Actor {
    Actor::user(&me.user, Some(peer.ip().to_string()))
}

#[derive(Serialize)]
struct SessionView {
    #[serde(flatten)]
    snapshot: SessionSnapshot,
    sharing_profiles: Vec<profiles::SharingProfile>,
}

async fn by_tunnel(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(tunnel): Path<String>,
) -> Result<Json<SessionView>, ApiError> {
    let s = state
        .sessions
        .by_tunnel(&tunnel)
        .filter(|s| access::decide::see_session(&state, &me.user.id, s))
        .ok_or_else(|| ApiError::not_found("no live session for this tunnel"))?;
    let sharing_profiles = profiles::list_for_connection(&state.store, &s.info.connection_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(SessionView {
        snapshot: s.snapshot(),
        sharing_profiles,
    }))
}

async fn list(State(state): State<AppState>, Authed(me): Authed) -> Json<Vec<SessionSnapshot>> {
    Json(
        state
            .sessions
            .list()
            .into_iter()
            .filter(|s| !s.is_ended() && access::decide::see_session(&state, &me.user.id, s))
            .map(|s| s.snapshot())
            .collect(),
    )
}

async fn read(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(id): Path<String>,
) -> Result<Json<SessionSnapshot>, ApiError> {
    let s = live(&state, &id)?;
    if !access::decide::see_session(&state, &me.user.id, &s) {
        return Err(ApiError::not_found("no such live session"));
    }
    Ok(Json(s.snapshot()))
}

async fn end(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let s = live(&state, &id)?;
    if let Decision::Deny(r) =
        access::decide::kill_session(&state, &actor(&me, peer), &me.user.id, &s)
    {
        return Err(ApiError::denied(r));
    }
    state.sessions.end_session(
        &state,
        &s,
        Status::SessionClosed,
        &format!("ended by {}", me.user.username),
    );
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MintBody {
    profile_id: String,
    #[serde(default)]
    expires_in_secs: Option<u64>,
    #[serde(default)]
    max_uses: Option<u64>,
}

#[derive(Serialize)]
struct Minted {
    #[serde(flatten)]
    link: Link,
    url: String,
}

/// The base of share URLs: the configured public URL, else the listen address's origin.
fn public_base(state: &AppState) -> String {
    let configured = state.config.server.public_url.trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_owned();
    }
    state.allowed_origins.first().cloned().unwrap_or_default()
}

async fn mint(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Json(b): Json<MintBody>,
) -> Result<(StatusCode, Json<Minted>), ApiError> {
    let s = live(&state, &id)?;
    let permit =
        access::decide::mint_link(&state, &actor(&me, peer), &me.user.id, &s, &b.profile_id)
            .map_err(ApiError::denied)?;
    if let Some(e) = b.expires_in_secs {
        if e == 0 || e > MAX_EXPIRY_SECS {
            return Err(ApiError::bad_request(
                "expires_in_secs must be between 1 and 2592000 (30 days)",
            ));
        }
    }
    if let Some(m) = b.max_uses {
        if m == 0 || m > MAX_USES {
            return Err(ApiError::bad_request(
                "max_uses must be between 1 and 100000",
            ));
        }
    }
    let profile = profiles::get(&state.store, &b.profile_id)
        .await
        .map_err(ApiError::internal)?
        .filter(|p| p.connection_id == s.info.connection_id)
        .ok_or_else(|| ApiError::not_found("this connection has no such sharing profile"))?;
    if s.snapshot().links.len() >= state.config.sharing.max_links_per_session {
        return Err(ApiError::conflict(format!(
            "this session already has {} live links; revoke some first",
            state.config.sharing.max_links_per_session
        )));
    }
    let key = crate::auth::generate_token();
    let now = store::now_ms();
    let link = Link {
        id: store::new_id(),
        key_hash: crate::auth::hash_token(&key.0),
        profile_id: profile.id.clone(),
        profile_name: profile.name.clone(),
        read_only: profile.read_only,
        parameters: profile
            .joiner_parameters()
            .into_iter()
            .filter(|(k, _)| k != "read-only")
            .collect(),
        created_by: me.user.username.clone(),
        created_at: now,
        expires_at: b.expires_in_secs.map(|e| now + (e as i64) * 1000),
        max_uses: b.max_uses,
        uses: 0,
    };
    links::insert(
        &state.store,
        &links::LinkRow {
            id: &link.id,
            key_hash: &link.key_hash,
            session_id: &s.info.id,
            connection_id: &s.info.connection_id,
            profile_id: &link.profile_id,
            profile_name: &link.profile_name,
            read_only: link.read_only,
            created_by: &link.created_by,
            created_at: link.created_at,
            expires_at: link.expires_at,
            max_uses: link.max_uses.map(|m| m as i64),
        },
    )
    .await
    .map_err(ApiError::internal)?;
    state
        .sessions
        .add_link(&s, link.clone())
        .map_err(|_| ApiError::not_found("no such live session"))?;
    audit(
        &state,
        &actor(&me, peer),
        Attempt {
            action: "link.mint",
            target_type: "share_link",
            target_id: &link.id,
            allowed: true,
            authority: permit.authority.as_str(),
            detail: json!({"session_id": s.info.id, "profile": profile.name, "read_only": profile.read_only,
            "expires_at": link.expires_at, "max_uses": link.max_uses}),
        },
    );
    let url = format!("{}/#/share/{}", public_base(&state), key.0);
    Ok((StatusCode::CREATED, Json(Minted { link, url })))
}

async fn list_links(
    State(state): State<AppState>,
    Authed(me): Authed,
    Path(id): Path<String>,
) -> Result<Json<Vec<Link>>, ApiError> {
    let s = live(&state, &id)?;
    if !access::decide::see_session(&state, &me.user.id, &s) {
        return Err(ApiError::not_found("no such live session"));
    }
    Ok(Json(s.snapshot().links))
}

async fn revoke(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((id, link_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let s = live(&state, &id)?;
    let found = s
        .link(&link_id)
        .ok_or_else(|| ApiError::not_found("no such live link"))?;
    if let Decision::Deny(r) =
        access::decide::revoke_link(&state, &actor(&me, peer), &me.user.id, &s, &found)
    {
        return Err(ApiError::denied(r));
    }
    let link = s
        .remove_link(&link_id)
        .ok_or_else(|| ApiError::not_found("no such live link"))?;
    state.sessions.forget_links(std::slice::from_ref(&link));
    for v in s.snapshot().viewers {
        if v.link_id.as_deref() == Some(link_id.as_str()) {
            s.kick_viewer(&v.id, Status::SessionClosed);
        }
    }
    links::end(&state.store, &link_id, "revoked")
        .await
        .map_err(ApiError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct TicketOut {
    ticket: String,
    read_only: bool,
    connection_name: String,
    shared_by: String,
    profile_name: Option<String>,
}

async fn admin_ticket(
    state: &AppState,
    me: &crate::auth::AuthUser,
    peer: SocketAddr,
    id: &str,
    control: bool,
) -> Result<Json<TicketOut>, ApiError> {
    let s = live(state, id)?;
    if let Decision::Deny(r) =
        access::decide::join_session(state, &actor(me, peer), &me.user.id, &s, control)
    {
        return Err(ApiError::denied(r));
    }
    let mut parameters = std::collections::BTreeMap::new();
    if !control {
        parameters.insert("read-only".to_string(), "true".to_string());
    }
    let ticket = state.sessions.issue_ticket(
        &s.info.id,
        JoinRequest {
            kind: if control {
                JoinKind::AdminJoin
            } else {
                JoinKind::AdminWatch
            },
            read_only: !control,
            user_id: Some(me.user.id.clone()),
            name: Some(me.user.username.clone()),
            link_id: None,
            profile_id: None,
            profile_name: None,
            parameters,
        },
    );
    Ok(Json(TicketOut {
        ticket,
        read_only: !control,
        connection_name: s.info.connection_name.clone(),
        shared_by: s.info.username.clone(),
        profile_name: None,
    }))
}

async fn watch(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> Result<Json<TicketOut>, ApiError> {
    admin_ticket(&state, &me, peer, &id, false).await
}

async fn join(
    State(state): State<AppState>,
    Authed(me): Authed,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> Result<Json<TicketOut>, ApiError> {
    admin_ticket(&state, &me, peer, &id, true).await
}

#[derive(Deserialize)]
struct RedeemBody {
    key: String,
}

async fn redeem(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(b): Json<RedeemBody>,
) -> Result<Json<TicketOut>, ApiError> {
    let throttle_key = [format!("share:{}", peer.ip())];
    if let Some(wait) = state.throttle.locked(&throttle_key) {
        let secs = wait.as_secs().max(1);
        return Err(ApiError::too_many(
            format!("too many invalid share links; try again in {secs} s"),
            secs,
        ));
    }
    // A signed-in viewer is named; a bad token simply makes the viewer anonymous.
    let user = match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        Some(t) => crate::auth::authenticate(&state, t.trim()).await.ok(),
        None => None,
    };
    let who = match &user {
        Some(u) => Actor::user(&u.user, Some(peer.ip().to_string())),
        None => Actor::anonymous(Some(peer.ip().to_string())),
    };
    let key = b.key.trim();
    let found = (key.len() <= 128)
        .then(|| state.sessions.by_key_hash(&crate::auth::hash_token(key)))
        .flatten();
    let outcome = match &found {
        None => Err("unknown"),
        // R44: the minter must still hold `share`, the profile and connection exist.
        Some((s, link_id)) => match s.link(link_id) {
            Some(l) if !access::decide::use_link(&state, s, &l).is_allowed() => Err("revoked"),
            _ => s.use_link(link_id).map(|l| (s.clone(), l)),
        },
    };
    let (s, link) = match outcome {
        Ok(v) => v,
        Err(why) => {
            state.throttle.failure(&throttle_key);
            let target = found
                .as_ref()
                .map(|(_, l)| l.clone())
                .unwrap_or_else(|| "unknown".into());
            audit(
                &state,
                &who,
                Attempt {
                    action: "link.redeem",
                    target_type: "share_link",
                    target_id: &target,
                    allowed: false,
                    authority: why,
                    detail: json!({}),
                },
            );
            if let Some((s, l)) = &found {
                // An expired or used-up link is gone for good.
                if matches!(why, "expired" | "used-up") {
                    if let Some(link) = s.remove_link(l) {
                        state.sessions.forget_links(std::slice::from_ref(&link));
                        let _ = links::end(&state.store, l, why).await;
                    }
                }
            }
            return Err(ApiError::not_found(INVALID_LINK));
        }
    };
    links::count_use(&state.store, &link.id)
        .await
        .map_err(ApiError::internal)?;
    audit(
        &state,
        &who,
        Attempt {
            action: "link.redeem",
            target_type: "share_link",
            target_id: &link.id,
            allowed: true,
            authority: "share-link",
            detail: json!({"session_id": s.info.id, "profile": link.profile_name, "read_only": link.read_only}),
        },
    );
    let mut join = crate::tunnel::relay::link_join(&link);
    if let Some(u) = &user {
        join.user_id = Some(u.user.id.clone());
        join.name = Some(u.user.username.clone());
    }
    let ticket = state.sessions.issue_ticket(&s.info.id, join);
    Ok(Json(TicketOut {
        ticket,
        read_only: link.read_only,
        connection_name: s.info.connection_name.clone(),
        shared_by: s.info.username.clone(),
        profile_name: Some(link.profile_name.clone()),
    }))
}
