//! The WebSocket tunnel spoken by the stock guacamole-common-js `Guacamole.WebSocketTunnel`
//! (guacamole-wire.md §5).
//!
//! * `GET /websocket-tunnel?token=…&GUAC_ID=…&GUAC_TYPE=c&GUAC_WIDTH=…` upgrades with the
//!   `guacamole` subprotocol, but only from an allowed Origin (cross-site WebSocket
//!   hijacking is refused with 403 before the upgrade).
//! * The first thing sent is the tunnel UUID as an internal instruction (`0.,36.<uuid>;`);
//!   internal `ping`s are echoed, from the very start, so the browser's 15 s receive
//!   timer is fed even while guacd is still handshaking.
//! * Authentication, the connection lookup and the guacd handshake happen after the
//!   upgrade, so every failure reaches the browser as a close frame whose reason is the
//!   decimal Guacamole status — the stock client shows the right message.
//! * Then [`relay`] moves instructions both ways until one side ends.

pub mod filter;
pub mod params;
pub mod relay;
pub mod vnc;

use crate::access;
use crate::state::AppState;
use crate::store::connections;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use params::ConnectParams;
use std::net::SocketAddr;

/// The WebSocket's read buffer. Browsers send one small instruction per message, so the
/// library's 128 KiB default would sit idle in every tunnel.
pub const BROWSER_READ_BUFFER: usize = 8 * 1024;

/// Largest WebSocket message accepted from a browser. One instruction per message is
/// what browsers send and libguac caps an instruction at 32 KiB; anything far larger is
/// refused by the WebSocket layer before it is buffered.
pub const MAX_BROWSER_MESSAGE: usize = 256 * 1024;

/// `GET /websocket-tunnel`: checks the Origin, then upgrades.
pub async fn handler(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !origin_allowed(&state.allowed_origins, origin) {
            tracing::warn!(%origin, %peer, "websocket upgrade refused: foreign origin");
            return (
                StatusCode::FORBIDDEN,
                "WebSocket upgrades are only accepted from this gateway's own pages",
            )
                .into_response();
        }
    }
    let params = ConnectParams::parse(query.as_deref().unwrap_or(""));
    ws.protocols(["guacamole"])
        .max_message_size(MAX_BROWSER_MESSAGE)
        .max_frame_size(MAX_BROWSER_MESSAGE)
        .read_buffer_size(BROWSER_READ_BUFFER)
        // Frames are already batched per guacd read; write each one out at once rather
        // than holding a 128 KiB staging buffer per tunnel.
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            relay::run_tunnel(state, socket, params, peer).await;
        })
}

/// Whether an Origin header value is one of the allowed origins (exact match of
/// scheme, host and port; case-insensitive).
pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    let origin = origin.trim_end_matches('/');
    allowed.iter().any(|a| a.eq_ignore_ascii_case(origin))
}

/// Resolves what a tunnel asks for: the user behind the token, and the connection they
/// may open. Each failure carries the status the browser is closed with.
pub(crate) async fn authorize(
    state: &AppState,
    params: &ConnectParams,
) -> Result<(crate::auth::AuthUser, connections::Connection), relay::TunnelEnd> {
    use porthole_protocol::Status;
    let user = crate::auth::authenticate(state, params.token.as_deref().unwrap_or(""))
        .await
        .map_err(|e| relay::TunnelEnd::new(Status::ClientUnauthorized, e.message))?;
    if params.kind.as_deref().unwrap_or("c") != "c" {
        return Err(relay::TunnelEnd::new(
            Status::ClientBadRequest,
            "GUAC_TYPE must be 'c' (a connection)",
        ));
    }
    let id = params.id.as_deref().unwrap_or("");
    let not_found = || relay::TunnelEnd::new(Status::ResourceNotFound, "no such connection");
    let conn = connections::get(&state.store, id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "connection lookup failed");
            relay::TunnelEnd::new(Status::ServerError, "connection lookup failed")
        })?
        .ok_or_else(not_found)?;
    let actor = crate::events::Actor::user(&user.user, None);
    if !access::decide::start_session(state, &actor, &user.user.id, &conn.id).is_allowed() {
        // Indistinguishable from a missing connection: ids are not disclosed.
        return Err(not_found());
    }
    Ok((user, conn))
}
