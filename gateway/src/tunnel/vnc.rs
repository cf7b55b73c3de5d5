//! The built-in VNC back end's side of a tunnel.
//!
//! A `builtin` connection has no guacd: the session owns one [`VncSession`] (one RFB
//! connection) whose frames are encoded once and handed to every participant through its
//! fan-out. Each tunnel — originator or viewer — subscribes and writes what it gets as
//! WebSocket frames: first a snapshot of the whole screen, then live frames; a tunnel that
//! falls behind skips superseded frames and gets a fresh snapshot (the fan-out's policy),
//! so nothing queues without bound and no viewer slows anyone.
//!
//! Membership, links, notices, the roster, history, admin watch/join/end are the same
//! [`Session`] as for guacd sessions: only the upstream differs.
//!
//! Input goes through the same [`super::filter::BrowserFilter`] (read-only viewers' input
//! is dropped or refused exactly as for guacd sessions), then to the RFB client: keys and
//! the pointer from anyone with control, `size` from the originator only (as guacd's VNC
//! plugin), text clipboard streams from anyone with control. The originator's `sync`
//! echoes pace the frames; viewers' echoes are ignored.

use super::relay::{
    browser_message, draining, kicked, merge_kick, originator_finished, record_session_start,
    while_connecting, Browser, Control, Role, Stop, TunnelEnd,
};
use crate::auth::AuthUser;
use crate::session::{JoinRequest, Session, SessionInfo, Upstream};
use crate::state::AppState;
use crate::store::{self, connections::Connection};
use base64::Engine;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use porthole_protocol::opcode::ClientOpcode;
use porthole_protocol::{encode_to_bytes, Instruction, Limits, Parser, Status};
use porthole_vnc::{VncConfig, VncSession};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::info;

/// Largest clipboard text accepted from a browser, in bytes.
const MAX_CLIPBOARD: usize = 256 * 1024;

/// The RFB client configuration for a connection.
fn config(state: &AppState, conn: &Connection, browser: &Browser) -> Result<VncConfig, TunnelEnd> {
    let host = conn
        .parameters
        .get("hostname")
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            TunnelEnd::new(
                Status::ServerError,
                "the connection has no 'hostname' parameter",
            )
        })?;
    let port = match conn
        .parameters
        .get("port")
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
    {
        None => 5900,
        Some(p) => p.parse::<u16>().map_err(|_| {
            TunnelEnd::new(
                Status::ServerError,
                format!("the connection's port '{p}' is not a number"),
            )
        })?,
    };
    let mut cfg = VncConfig::new(host, port);
    cfg.rfb.password = conn
        .parameters
        .get("password")
        .filter(|p| !p.is_empty())
        .cloned();
    cfg.encoder.jpeg = browser.params.image.iter().any(|m| m == "image/jpeg");
    cfg.connect_timeout = Duration::from_millis(state.config.guacd.connect_timeout_ms);
    cfg.handshake_timeout = Duration::from_millis(state.config.guacd.handshake_timeout_ms);
    Ok(cfg)
}

/// `GUAC_TYPE=c` on a `builtin` connection: connect to the VNC server, start a session.
pub(super) async fn originate(
    state: &AppState,
    browser: &mut Browser,
    user: &AuthUser,
    conn: &Connection,
) -> TunnelEnd {
    let cfg = match config(state, conn, browser) {
        Ok(c) => c,
        Err(end) => return end,
    };
    let addr = format!("{}:{}", cfg.host, cfg.port);
    let connect = async {
        VncSession::connect(cfg).await.map_err(|e| {
            tracing::warn!(error = %e, vnc = %addr, "VNC connection failed");
            TunnelEnd::new(e.status(), e.to_string())
        })
    };
    // Input that arrives before the desktop exists has nowhere to go.
    let vnc = match while_connecting(state, browser, connect).await {
        Ok((v, _early)) => v,
        Err(end) => return end,
    };
    let info = SessionInfo {
        id: uuid::Uuid::new_v4().to_string(),
        connection_id: conn.id.clone(),
        connection_name: conn.name.clone(),
        protocol: conn.protocol.clone(),
        user_id: user.user.id.clone(),
        username: user.user.username.clone(),
        remote_addr: browser.peer.ip().to_string(),
        upstream_id: format!("builtin-vnc:{addr}"),
        started_at: store::now_ms(),
    };
    let (session, kick) = Session::new(
        info.clone(),
        Upstream::Vnc(vnc.clone()),
        browser.tunnel_id.clone(),
        browser.notice_tx.clone(),
    );
    let session = Arc::new(session);
    state.sessions.insert(session.clone(), &browser.tunnel_id);
    state.metrics.sessions_open.fetch_add(1, Relaxed);
    let _ = browser
        .notice_tx
        .try_send(crate::session::roster::encode(std::iter::empty()));
    record_session_start(state, &info);
    info!(session = %info.id, connection = %conn.id, user = %user.user.username, vnc = %addr, "session started (built-in VNC)");
    let _ = vnc.set_paced(true).await;
    let stop = run(state, browser, Role::Originator, &vnc, kick).await;
    // With no originator attached, frames are no longer paced by its acknowledgements.
    let _ = vnc.set_paced(false).await;
    originator_finished(state, browser, session, stop)
}

/// The originator's page came back (reload) to its built-in VNC session.
pub(super) async fn reattach(
    state: &AppState,
    browser: &mut Browser,
    session: Arc<Session>,
) -> TunnelEnd {
    let Some(vnc) = session.vnc().cloned() else {
        return TunnelEnd::new(Status::ServerError, "not a built-in VNC session");
    };
    let Ok(kick) = session.reattach_owner(browser.tunnel_id.clone(), browser.notice_tx.clone())
    else {
        return TunnelEnd::new(
            Status::SessionClosed,
            "the session ended while reconnecting",
        );
    };
    state
        .sessions
        .map_tunnel(&browser.tunnel_id, &session.info.id);
    info!(session = %session.info.id, "originator re-attached (built-in VNC)");
    let _ = vnc.set_paced(true).await;
    let stop = run(state, browser, Role::Originator, &vnc, kick).await;
    let _ = vnc.set_paced(false).await;
    originator_finished(state, browser, session, stop)
}

/// A viewer of a built-in VNC session.
pub(super) async fn view(
    state: &AppState,
    browser: &mut Browser,
    session: Arc<Session>,
    join: JoinRequest,
) -> TunnelEnd {
    let invalid = || {
        TunnelEnd::new(
            Status::ResourceNotFound,
            "this share link is no longer valid",
        )
    };
    let Some(vnc) = session.vnc().cloned() else {
        return invalid();
    };
    let remote = browser.peer.ip().to_string();
    let Ok((viewer_id, kick)) = session.add_viewer(state, &join, &remote) else {
        return invalid();
    };
    info!(session = %session.info.id, viewer = %viewer_id, read_only = join.read_only, "viewer joined (built-in VNC)");
    let kick = merge_kick(kick, session.subscribe_end());
    let end = match run(state, browser, Role::Viewer, &vnc, kick).await {
        Stop::End { end, .. } => end,
        Stop::Overflow => TunnelEnd::new(
            Status::ClientTimeout,
            "this viewer cannot keep up with the session",
        ),
    };
    session.remove_viewer(state, &viewer_id, &end.message);
    end
}

/// A text clipboard stream being received from a browser.
#[derive(Default)]
struct ClipboardIn {
    stream: Option<String>,
    data: Vec<u8>,
    overflow: bool,
}

fn parse(bytes: &Bytes) -> Option<Instruction> {
    let mut p = Parser::new(Limits::BROWSER);
    let mut buf = BytesMut::from(&bytes[..]);
    p.next(&mut buf).ok().flatten()
}

fn ack(stream: &str, text: &str, status: Status) -> Control {
    Control::Text(encode_to_bytes(
        "ack",
        &[stream, text, &status.code().to_string()],
    ))
}

/// Relays between one browser and the session's VNC fan-out.
async fn run(
    state: &AppState,
    browser: &mut Browser,
    role: Role,
    vnc: &VncSession,
    mut kick: watch::Receiver<Option<Status>>,
) -> Stop {
    let mut sub = vnc.subscribe();
    let mut shutdown = state.shutdown.clone();
    let timeout = Duration::from_millis(state.config.tunnel.browser_timeout_ms);
    let mut clip = ClipboardIn::default();
    loop {
        tokio::select! {
            frame = sub.next() => match frame {
                Ok(f) => {
                    state.metrics.bytes_to_browser.fetch_add(f.bytes.len() as u64, Relaxed);
                    // Waiting here only delays this tunnel's subscriber, which skips
                    // ahead to a snapshot if it falls too far behind.
                    if browser.data_tx.send(f.bytes).await.is_err() {
                        return Stop::End { end: TunnelEnd::new(Status::Success, "the browser went away"), deliberate: false };
                    }
                }
                Err(end) => {
                    return Stop::End { end: TunnelEnd::new(end.status, end.message), deliberate: true };
                }
            },
            msg = tokio::time::timeout(timeout, browser.stream.next()) => {
                let forward = match browser_message(msg, &mut browser.filter, &browser.ctl_tx, state).await {
                    Ok(f) => f,
                    Err(end) => return Stop::End { end, deliberate: false },
                };
                for (class, raw) in forward {
                    if let Some(stop) = input(role, vnc, &browser.ctl_tx, &mut clip, class, &raw).await {
                        return stop;
                    }
                }
            }
            status = kicked(&mut kick) => {
                return Stop::End { end: TunnelEnd::new(status, "the session ended"), deliberate: true };
            }
            _ = draining(&mut shutdown) => {
                return Stop::End {
                    end: TunnelEnd::new(Status::ServerBusy, "the gateway is shutting down; reconnect in a moment"),
                    deliberate: true,
                };
            }
        }
    }
}

/// Applies one filtered browser instruction to the VNC session.
async fn input(
    role: Role,
    vnc: &VncSession,
    ctl: &tokio::sync::mpsc::Sender<Control>,
    clip: &mut ClipboardIn,
    class: ClientOpcode,
    raw: &Bytes,
) -> Option<Stop> {
    let i = parse(raw)?;
    let num = |k: usize| i.arg(k).and_then(|v| v.parse::<i64>().ok());
    match class {
        ClientOpcode::Key => {
            if let (Some(k), Some(p)) = (num(0), i.arg(1)) {
                let _ = vnc.key(k.clamp(0, u32::MAX as i64) as u32, p == "1").await;
            }
        }
        ClientOpcode::Mouse => {
            if let (Some(x), Some(y), Some(m)) = (num(0), num(1), num(2)) {
                let clamp = |v: i64| v.clamp(0, u16::MAX as i64) as u16;
                let _ = vnc.pointer(clamp(x), clamp(y), m.clamp(0, 255) as u8).await;
            }
        }
        ClientOpcode::Size if role == Role::Originator => {
            if let (Some(w), Some(h)) = (num(0), num(1)) {
                if w > 0 && h > 0 {
                    let _ = vnc.resize(w.min(8192) as u16, h.min(8192) as u16).await;
                }
            }
        }
        ClientOpcode::Clipboard => {
            let stream = i.arg(0).unwrap_or("0").to_owned();
            if i.arg(1).is_some_and(|m| m.starts_with("text/plain")) {
                *clip = ClipboardIn {
                    stream: Some(stream.clone()),
                    ..Default::default()
                };
                let _ = ctl.send(ack(&stream, "OK", Status::Success)).await;
            } else {
                let _ = ctl
                    .send(ack(
                        &stream,
                        "only text/plain clipboard is supported",
                        Status::ClientBadType,
                    ))
                    .await;
            }
        }
        ClientOpcode::Blob => {
            let stream = i.arg(0).unwrap_or("0");
            if clip.stream.as_deref() == Some(stream) {
                match base64::engine::general_purpose::STANDARD.decode(i.arg(1).unwrap_or("")) {
                    Ok(d) if clip.data.len() + d.len() <= MAX_CLIPBOARD => {
                        clip.data.extend_from_slice(&d)
                    }
                    _ => clip.overflow = true,
                }
                let _ = ctl.send(ack(stream, "OK", Status::Success)).await;
            } else {
                let _ = ctl
                    .send(ack(stream, "no such stream", Status::ResourceClosed))
                    .await;
            }
        }
        ClientOpcode::End if clip.stream.as_deref() == i.arg(0) => {
            let done = std::mem::take(clip);
            if !done.overflow {
                let text = String::from_utf8_lossy(&done.data).into_owned();
                let _ = vnc.clipboard(text).await;
            }
        }
        ClientOpcode::File
        | ClientOpcode::Pipe
        | ClientOpcode::Argv
        | ClientOpcode::Audio
        | ClientOpcode::Put => {
            let idx = class.stream_arg().and_then(|k| i.arg(k)).unwrap_or("0");
            let _ = ctl
                .send(ack(
                    idx,
                    &format!("{} unsupported", class.as_str()),
                    Status::Unsupported,
                ))
                .await;
        }
        ClientOpcode::Sync if role == Role::Originator => {
            if let Some(ts) = num(0) {
                vnc.ack(ts.max(0) as u64);
            }
        }
        ClientOpcode::Disconnect => {
            return Some(Stop::End {
                end: TunnelEnd::new(Status::Success, "the browser disconnected"),
                deliberate: true,
            });
        }
        // Acknowledgements of the session's own streams, viewers' syncs, nop, get, a
        // viewer's resize: nothing to do.
        _ => {}
    }
    None
}
