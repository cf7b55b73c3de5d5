//! One tunnel's life: greet, authorise, handshake with guacd, relay, close.
//!
//! A tunnel is either a session's **originator** (`GUAC_TYPE=c`: open a connection, or
//! re-attach to one's own session after a page reload) or a **viewer** (`GUAC_TYPE=s`
//! with a join ticket from a share link or an administrator's watch/join). Both run the
//! same relay; the role changes three things:
//!
//! | | originator | viewer |
//! |---|---|---|
//! | guacd's `sync` | acknowledged by the browser (its real pace) | acknowledged by the gateway as soon as it holds the frame; the browser's echoes are dropped |
//! | full output queue | the reader waits: back-pressure to guacd | the viewer is resynchronised (drain, re-join, guacd replays the screen) or closed with 776 |
//! | notices | receives `msg` join/leave and the roster | receives none |
//!
//! so guacd never sees a viewer's lag and no viewer can slow the originator.
//!
//! Tasks and queues of one tunnel (each bounded, its overflow policy beside it):
//!
//! ```text
//!  guacd ──read──► upstream reader ──data queue──► WebSocket writer ──► browser
//!  browser ──► browser reader ──upstream queue──► guacd writer ──► guacd
//!              └──control queue (pings, refusals, close)──► WebSocket writer
//!  session ──notice queue (msg, roster)──► WebSocket writer (originator only)
//! ```
//!
//! The upstream reader batches every complete instruction of one read into one
//! WebSocket text frame (flush when the read side drains) and never sends a partial
//! instruction. Whichever side ends first decides the [`TunnelEnd`]; the browser gets a
//! close frame whose reason is the decimal status, guacd gets `disconnect`.

use super::filter::{BrowserFilter, Verdict};
use super::params::ConnectParams;
use crate::session::{JoinKind, JoinRequest, Session, SessionInfo, Upstream};
use crate::state::AppState;
use crate::store::{self, history};
use crate::upstream::guacd::{GuacdIo, GuacdSession, HandshakeRequest};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::{Bytes, BytesMut};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use porthole_protocol::opcode::ClientOpcode;
use porthole_protocol::{encode_to_bytes, Limits, ParseErrorKind, Parser, Status};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn, Instrument};

/// Control messages to the browser (ping echoes, stream refusals, the close). Full: the
/// browser reader waits.
const CONTROL_QUEUE: usize = 32;
/// Notices from the session to its originator. Full: the notice is dropped — the
/// roster sent after every change carries the full state.
const NOTICE_QUEUE: usize = 64;
/// Browser instructions waiting for guacd. Full: the browser reader waits (a viewer's
/// sync acknowledgements are skipped instead).
const UPSTREAM_QUEUE: usize = 256;
/// Browser instructions kept while guacd is still handshaking; more are dropped (the
/// stock client sends nothing but pings and keep-alives before it is connected).
const EARLY_INPUT: usize = 64;
/// Largest read from guacd.
const READ_CHUNK: usize = 64 * 1024;
/// First read size from guacd. The read buffer doubles while reads fill it (up to
/// READ_CHUNK) and is given back when it empties after a small read, so an idle tunnel
/// holds a few KiB, not a burst-sized buffer.
const MIN_READ: usize = 4 * 1024;
/// Largest WebSocket message sent, give or take one instruction. Bigger frames (VNC
/// snapshots) are cut at instruction boundaries into slices of the same bytes: the
/// WebSocket library keeps a staging buffer as large as the largest message it ever
/// sent, per tunnel. guacd frames (one read, ≤ 64 KiB) are never scanned: cutting them
/// to 16 KiB doubled the CPU per GB relayed (BENCHMARKS.md, "Relay").
const MESSAGE_TARGET: usize = 256 * 1024;
/// How long closing may take before the tasks are abandoned.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// How and why a tunnel ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelEnd {
    pub status: Status,
    pub message: String,
}

impl TunnelEnd {
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        TunnelEnd {
            status,
            message: message.into(),
        }
    }
}

pub(super) enum Control {
    Text(Bytes),
    Close(TunnelEnd),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Originator,
    Viewer,
}

/// Why a relay stopped.
#[derive(Debug)]
pub(super) enum Stop {
    /// The tunnel is over.
    End {
        end: TunnelEnd,
        /// The browser asked to leave (`disconnect`), or guacd ended the connection:
        /// an originator's session ends at once rather than waiting for a reload.
        deliberate: bool,
    },
    /// A viewer's queue overflowed: resynchronise it.
    Overflow,
}

/// Counts an open tunnel for its lifetime.
struct OpenGuard(Arc<crate::metrics::Metrics>);
impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.tunnels_open.fetch_sub(1, Relaxed);
    }
}

/// The browser side of a tunnel, as the relay uses it.
pub(super) struct Browser {
    pub(super) tunnel_id: String,
    pub(super) stream: SplitStream<WebSocket>,
    pub(super) data_tx: mpsc::Sender<Bytes>,
    pub(super) ctl_tx: mpsc::Sender<Control>,
    pub(super) notice_tx: mpsc::Sender<Bytes>,
    pub(super) filter: BrowserFilter,
    pub(super) peer: SocketAddr,
    /// The browser's connect data (image formats, size) for back ends that need it.
    pub(super) params: ConnectParams,
}

/// Runs one upgraded WebSocket to the end.
pub async fn run_tunnel(
    state: AppState,
    socket: WebSocket,
    params: ConnectParams,
    peer: SocketAddr,
) {
    let tunnel_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("tunnel", tunnel = %tunnel_id, %peer);
    async move {
        state.metrics.tunnels_total.fetch_add(1, Relaxed);
        let open = state.metrics.tunnels_open.fetch_add(1, Relaxed) + 1;
        let _guard = OpenGuard(state.metrics.clone());

        let (sink, stream) = socket.split();
        let viewer = params.kind.as_deref() == Some("s");
        // Originator: `tunnel.browser_queue_bytes` of frames, back-pressure when full.
        // Viewer: `sharing.viewer_queue_bytes`, resynchronised when full. Frames hold one
        // read each (at most READ_CHUNK plus the tail of one instruction).
        let bytes = if viewer {
            state.config.sharing.viewer_queue_bytes
        } else {
            state.config.tunnel.browser_queue_bytes
        };
        let (data_tx, data_rx) = mpsc::channel::<Bytes>(bytes.div_ceil(READ_CHUNK).max(1));
        let (ctl_tx, ctl_rx) = mpsc::channel::<Control>(CONTROL_QUEUE);
        let (notice_tx, notice_rx) = mpsc::channel::<Bytes>(NOTICE_QUEUE);
        let writer = tokio::spawn(ws_writer(sink, data_rx, ctl_rx, notice_rx));
        let _ = ctl_tx
            .send(Control::Text(encode_to_bytes("", &[tunnel_id.as_str()])))
            .await;

        let mut browser = Browser {
            tunnel_id,
            stream,
            data_tx,
            ctl_tx,
            notice_tx,
            filter: BrowserFilter::new(false),
            peer,
            params: params.clone(),
        };
        let end = if open as usize > state.config.tunnel.max_tunnels {
            TunnelEnd::new(
                Status::ServerBusy,
                "too many tunnels are open; try again shortly",
            )
        } else {
            match params.kind.as_deref().unwrap_or("c") {
                "c" => serve_originator(&state, &mut browser, &params).await,
                "s" => serve_viewer(&state, &mut browser, &params).await,
                _ => TunnelEnd::new(
                    Status::ClientBadRequest,
                    "GUAC_TYPE must be 'c' (a connection) or 's' (a shared session)",
                ),
            }
        };
        if end.status.is_error() {
            info!(status = %end.status, reason = %end.message, "tunnel closed");
        } else {
            debug!(reason = %end.message, "tunnel closed");
        }
        let Browser {
            data_tx,
            ctl_tx,
            notice_tx,
            ..
        } = browser;
        drop(data_tx);
        drop(notice_tx);
        let _ = ctl_tx.send(Control::Close(end)).await;
        drop(ctl_tx);
        if tokio::time::timeout(CLOSE_GRACE, writer).await.is_err() {
            debug!("browser did not take the close frame in time");
        }
    }
    .instrument(span)
    .await
}

/// `GUAC_TYPE=c`: open a connection (or re-attach to one's own session after a reload).
async fn serve_originator(
    state: &AppState,
    browser: &mut Browser,
    params: &ConnectParams,
) -> TunnelEnd {
    let (user, conn) = match super::authorize(state, params).await {
        Ok(v) => v,
        Err(end) => return end,
    };
    let target = conn
        .guacd
        .clone()
        .unwrap_or_else(|| state.guacd.default_target().clone());
    let name = Some(user.user.username.clone());

    // A page reload: the same user's session on this connection waits for them.
    if let Some(session) = state.sessions.detached_session(&conn.id, &user.user.id) {
        let guacd = match &session.upstream {
            Upstream::Guacd(t) => t.clone(),
            Upstream::Vnc(_) => return super::vnc::reattach(state, browser, session).await,
        };
        let req = HandshakeRequest {
            select: session.info.upstream_id.clone(),
            parameters: conn.parameters.clone(),
            client: params.client_info(name),
        };
        let (upstream, early) = match connect_upstream(state, browser, &guacd, &req).await {
            Ok(v) => v,
            Err(end) => return end,
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
        info!(session = %session.info.id, "originator re-attached");
        return run_originator(state, browser, session, upstream, early, kick).await;
    }

    if conn.backend == "builtin" {
        return super::vnc::originate(state, browser, &user, &conn).await;
    }
    let req = HandshakeRequest {
        select: conn.protocol.clone(),
        parameters: conn.parameters.clone(),
        client: params.client_info(name),
    };
    let (upstream, early) = match connect_upstream(state, browser, &target, &req).await {
        Ok(v) => v,
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
        upstream_id: upstream.connection_id.clone(),
        started_at: store::now_ms(),
    };
    let (session, kick) = Session::new(
        info.clone(),
        Upstream::Guacd(target),
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
    info!(session = %info.id, connection = %conn.id, user = %user.user.username, guacd_connection = %info.upstream_id, "session started");
    run_originator(state, browser, session, upstream, early, kick).await
}

pub(super) fn record_session_start(state: &AppState, info: &SessionInfo) {
    let store = state.store.clone();
    let rec = history::SessionRecord {
        id: info.id.clone(),
        connection_id: info.connection_id.clone(),
        connection_name: info.connection_name.clone(),
        protocol: info.protocol.clone(),
        user_id: info.user_id.clone(),
        username: info.username.clone(),
        remote_addr: info.remote_addr.clone(),
        started_at: info.started_at,
        ended_at: None,
        end_status: None,
        end_reason: None,
    };
    tokio::spawn(async move {
        if let Err(e) = history::session_started(&store, &rec).await {
            tracing::error!(error = %e, "recording a session start failed");
        }
    });
}

/// Relays for the originator, then decides whether the session ends or waits for a
/// reload.
async fn run_originator(
    state: &AppState,
    browser: &mut Browser,
    session: Arc<Session>,
    upstream: GuacdSession,
    early: Vec<Bytes>,
    kick: watch::Receiver<Option<Status>>,
) -> TunnelEnd {
    let stop = relay(state, browser, Role::Originator, upstream, early, kick).await;
    originator_finished(state, browser, session, stop)
}

/// After an originator's relay: end the session, or keep it for a reload.
pub(super) fn originator_finished(
    state: &AppState,
    browser: &Browser,
    session: Arc<Session>,
    stop: Stop,
) -> TunnelEnd {
    let (end, deliberate) = match stop {
        Stop::End { end, deliberate } => (end, deliberate),
        // Originators use back-pressure, never overflow; treat it as an end.
        Stop::Overflow => (
            TunnelEnd::new(Status::ServerError, "unexpected overflow"),
            true,
        ),
    };
    state.sessions.unmap_tunnel(&browser.tunnel_id);
    let grace = Duration::from_secs(state.config.sharing.owner_reconnect_grace_secs);
    if !deliberate
        && !session.is_ended()
        && session.detach_owner(&browser.tunnel_id)
        && !grace.is_zero()
    {
        info!(session = %session.info.id, grace_secs = grace.as_secs(), "originator left; viewers stay while waiting for a reload");
        let state = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            if !session.is_ended() && !session.owner_attached() {
                state.sessions.end_session(
                    &state,
                    &session,
                    Status::SessionClosed,
                    "the originator left",
                );
                info!(session = %session.info.id, "session ended: the originator did not come back");
            }
        });
    } else {
        let reason = if end.status.is_error() {
            end.message.clone()
        } else {
            "the originator left".into()
        };
        let viewers_status = if end.status == Status::Success {
            Status::SessionClosed
        } else {
            end.status
        };
        state
            .sessions
            .end_session(state, &session, viewers_status, &reason);
        info!(session = %session.info.id, status = %end.status, "session ended");
    }
    end
}

/// `GUAC_TYPE=s`: join a live session with a ticket.
async fn serve_viewer(
    state: &AppState,
    browser: &mut Browser,
    params: &ConnectParams,
) -> TunnelEnd {
    let invalid = || {
        TunnelEnd::new(
            Status::ResourceNotFound,
            "this share link is no longer valid",
        )
    };
    let Some(ticket) = state
        .sessions
        .take_ticket(params.id.as_deref().unwrap_or(""))
    else {
        return invalid();
    };
    let Some(session) = state
        .sessions
        .get(&ticket.session_id)
        .filter(|s| !s.is_ended())
    else {
        return invalid();
    };
    let mut join: JoinRequest = ticket.join;
    // A signed-in viewer shows by name even when the ticket came from a link.
    if join.user_id.is_none() {
        if let Some(tok) = params.token.as_deref().filter(|t| !t.is_empty()) {
            if let Ok(u) = crate::auth::authenticate(state, tok).await {
                join.user_id = Some(u.user.id.clone());
                join.name = Some(u.user.username.clone());
            }
        }
    }
    browser.filter = BrowserFilter::new(join.read_only);
    let guacd = match &session.upstream {
        Upstream::Guacd(t) => t.clone(),
        Upstream::Vnc(_) => return super::vnc::view(state, browser, session, join).await,
    };
    let mut end_rx = session.subscribe_end();
    let req = HandshakeRequest {
        select: session.info.upstream_id.clone(),
        parameters: join.parameters.clone(),
        client: params.client_info(Some(join.name.clone().unwrap_or_default())),
    };
    let (mut upstream, mut early) = match connect_upstream(state, browser, &guacd, &req).await {
        Ok(v) => v,
        Err(end) if end.status == Status::ResourceNotFound => return invalid(),
        Err(end) => return end,
    };
    let remote = browser.peer.ip().to_string();
    let Ok((viewer_id, kick)) = session.add_viewer(state, &join, &remote) else {
        return invalid();
    };
    info!(session = %session.info.id, viewer = %viewer_id, name = join.name.as_deref().unwrap_or("Anonymous"), read_only = join.read_only, kind = join.kind.as_str(), "viewer joined");
    let mut resyncs: VecDeque<Instant> = VecDeque::new();
    let allowed = state.config.sharing.viewer_resyncs_per_minute as usize;
    let end = loop {
        let kick_or_end = merge_kick(kick.clone(), end_rx.clone());
        match relay(
            state,
            browser,
            Role::Viewer,
            upstream,
            std::mem::take(&mut early),
            kick_or_end,
        )
        .await
        {
            Stop::End { end, .. } => break end,
            Stop::Overflow => {
                let now = Instant::now();
                while resyncs
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
                {
                    resyncs.pop_front();
                }
                if resyncs.len() >= allowed {
                    break TunnelEnd::new(
                        Status::ClientTimeout,
                        "this viewer cannot keep up with the session",
                    );
                }
                resyncs.push_back(now);
                state.metrics.viewer_resyncs.fetch_add(1, Relaxed);
                info!(viewer = %viewer_id, "viewer fell behind: draining, then re-joining");
                let drain = Duration::from_millis(state.config.sharing.viewer_drain_timeout_ms);
                if !drained(&browser.data_tx, drain).await {
                    break TunnelEnd::new(
                        Status::ClientTimeout,
                        "this viewer cannot keep up with the session",
                    );
                }
                if session.is_ended() || end_rx.borrow_and_update().is_some() {
                    break TunnelEnd::new(Status::SessionClosed, "the shared session ended");
                }
                match connect_upstream(state, browser, &guacd, &req).await {
                    Ok((u, e)) => {
                        upstream = u;
                        early = e;
                    }
                    Err(end) => break end,
                }
            }
        }
    };
    session.remove_viewer(state, &viewer_id, &end.message);
    info!(session = %session.info.id, viewer = %viewer_id, status = %end.status, "viewer left");
    end
}

/// A receiver that fires when either the viewer is kicked or the session ends.
pub(super) fn merge_kick(
    mut kick: watch::Receiver<Option<Status>>,
    mut end: watch::Receiver<Option<Status>>,
) -> watch::Receiver<Option<Status>> {
    let initial = (*kick.borrow()).or(*end.borrow());
    let (tx, rx) = watch::channel(initial);
    if initial.is_none() {
        tokio::spawn(async move {
            let status = tokio::select! {
                r = kick.wait_for(|s| s.is_some()) => r.ok().and_then(|s| *s),
                r = end.wait_for(|s| s.is_some()) => r.ok().and_then(|s| *s),
                _ = tx.closed() => None,
            };
            if let Some(s) = status {
                let _ = tx.send(Some(s));
            }
        });
    }
    rx
}

/// Waits until a viewer's data queue is empty (its browser caught up).
async fn drained(tx: &mpsc::Sender<Bytes>, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tx.capacity() < tx.max_capacity() {
        if tokio::time::Instant::now() >= deadline || tx.is_closed() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// Connects and handshakes with guacd while answering the browser's pings. Returns the
/// guacd session and the browser instructions that arrived meanwhile.
async fn connect_upstream(
    state: &AppState,
    browser: &mut Browser,
    target: &crate::store::connections::GuacdTarget,
    req: &HandshakeRequest,
) -> Result<(GuacdSession, Vec<Bytes>), TunnelEnd> {
    let handshake = async {
        state.guacd.connect(target, req).await.map_err(|e| {
            state.metrics.handshake_failed(e.kind());
            warn!(error = %e, guacd = %format!("{}:{}", target.host, target.port), "guacd handshake failed");
            TunnelEnd::new(e.status(), e.to_string())
        })
    };
    while_connecting(state, browser, handshake).await
}

/// Runs `fut` (an upstream's connect and handshake) while answering the browser's pings,
/// closing a silent browser, and giving up when the gateway drains. Returns the result
/// with the browser instructions that arrived meanwhile (at most EARLY_INPUT).
pub(super) async fn while_connecting<T>(
    state: &AppState,
    browser: &mut Browser,
    fut: impl std::future::Future<Output = Result<T, TunnelEnd>>,
) -> Result<(T, Vec<Bytes>), TunnelEnd> {
    let mut early: Vec<Bytes> = Vec::new();
    tokio::pin!(fut);
    let browser_timeout = Duration::from_millis(state.config.tunnel.browser_timeout_ms);
    let mut shutdown = state.shutdown.clone();
    loop {
        tokio::select! {
            r = &mut fut => return r.map(|v| (v, early)),
            msg = tokio::time::timeout(browser_timeout, browser.stream.next()) => {
                let forward = browser_message(msg, &mut browser.filter, &browser.ctl_tx, state).await?;
                for (_, b) in forward {
                    if early.len() < EARLY_INPUT { early.push(b); }
                }
            }
            _ = draining(&mut shutdown) => {
                return Err(TunnelEnd::new(Status::ServerBusy, "the gateway is shutting down; reconnect in a moment"));
            }
        }
    }
}

/// Relays between the browser and guacd until one ends, the participant is kicked, the
/// gateway drains, or (viewers) the output queue overflows.
async fn relay(
    state: &AppState,
    browser: &mut Browser,
    role: Role,
    upstream: GuacdSession,
    early: Vec<Bytes>,
    mut kick: watch::Receiver<Option<Status>>,
) -> Stop {
    let GuacdSession {
        io, parser, buf, ..
    } = upstream;
    let (up_r, up_w) = tokio::io::split(io);
    let (up_tx, up_rx) = mpsc::channel::<Bytes>(UPSTREAM_QUEUE);
    let keepalive = Duration::from_millis(state.config.tunnel.upstream_keepalive_ms);
    let up_writer = tokio::spawn(upstream_writer(
        up_w,
        up_rx,
        keepalive,
        state.metrics.clone(),
    ));
    for b in early {
        let _ = up_tx.send(b).await;
    }
    let mut shutdown = state.shutdown.clone();
    let data_tx = browser.data_tx.clone();
    let stop = tokio::select! {
        s = upstream_reader(up_r, parser, buf, &data_tx, &up_tx, role, state) => s,
        s = browser_reader(browser, &up_tx, role, state) => s,
        status = kicked(&mut kick) => Stop::End {
            end: TunnelEnd::new(status, match status {
                Status::SessionClosed => "the session was ended",
                _ => "the session ended",
            }),
            deliberate: true,
        },
        _ = draining(&mut shutdown) => Stop::End {
            end: TunnelEnd::new(Status::ServerBusy, "the gateway is shutting down; reconnect in a moment"),
            deliberate: true,
        },
    };
    drop(up_tx);
    if tokio::time::timeout(CLOSE_GRACE, up_writer).await.is_err() {
        debug!("guacd did not take the disconnect in time");
    }
    stop
}

/// Handles one message (or timeout) from the browser: returns the instructions to
/// forward with their class, or why the tunnel must end.
pub(super) async fn browser_message(
    msg: Result<Option<Result<Message, axum::Error>>, tokio::time::error::Elapsed>,
    filter: &mut BrowserFilter,
    ctl_tx: &mpsc::Sender<Control>,
    state: &AppState,
) -> Result<Vec<(ClientOpcode, Bytes)>, TunnelEnd> {
    let data: Bytes = match msg {
        Err(_) => {
            return Err(TunnelEnd::new(
                Status::ClientTimeout,
                "the browser sent nothing for too long",
            ))
        }
        Ok(None) => return Err(TunnelEnd::new(Status::Success, "the browser went away")),
        Ok(Some(Err(e))) => {
            return Err(TunnelEnd::new(
                Status::ClientBadRequest,
                format!("WebSocket error from the browser: {e}"),
            ))
        }
        Ok(Some(Ok(Message::Close(_)))) => {
            return Err(TunnelEnd::new(
                Status::Success,
                "the browser closed the tunnel",
            ))
        }
        Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => return Ok(Vec::new()),
        Ok(Some(Ok(Message::Text(t)))) => Bytes::from(t),
        Ok(Some(Ok(Message::Binary(b)))) => b,
    };
    let mut parser = Parser::new(Limits::BROWSER);
    let mut buf = BytesMut::from(&data[..]);
    let mut forward = Vec::new();
    loop {
        match parser.next(&mut buf) {
            Ok(Some(instr)) => match filter.check(&instr) {
                Verdict::Forward(class) => forward.push((class, instr.into_bytes())),
                Verdict::Drop => {}
                Verdict::Reply(b) => {
                    if ctl_tx.send(Control::Text(b)).await.is_err() {
                        return Err(TunnelEnd::new(Status::Success, "the browser went away"));
                    }
                }
                Verdict::Fatal(status, why) => {
                    state
                        .metrics
                        .browser_instructions_rejected
                        .fetch_add(1, Relaxed);
                    return Err(TunnelEnd::new(status, why));
                }
            },
            Ok(None) if buf.is_empty() => return Ok(forward),
            Ok(None) => {
                state
                    .metrics
                    .browser_instructions_rejected
                    .fetch_add(1, Relaxed);
                return Err(TunnelEnd::new(
                    Status::ClientBadRequest,
                    "a WebSocket message ended inside an instruction",
                ));
            }
            Err(e) => {
                state
                    .metrics
                    .browser_instructions_rejected
                    .fetch_add(1, Relaxed);
                let status = match e.kind {
                    ParseErrorKind::ElementTooLong { .. }
                    | ParseErrorKind::TooManyElements { .. }
                    | ParseErrorKind::InstructionTooLong { .. } => Status::ClientOverrun,
                    _ => Status::ClientBadRequest,
                };
                return Err(TunnelEnd::new(
                    status,
                    format!("malformed instruction: {e}"),
                ));
            }
        }
    }
}

async fn browser_reader(
    browser: &mut Browser,
    up_tx: &mpsc::Sender<Bytes>,
    role: Role,
    state: &AppState,
) -> Stop {
    let timeout = Duration::from_millis(state.config.tunnel.browser_timeout_ms);
    loop {
        let msg = tokio::time::timeout(timeout, browser.stream.next()).await;
        match browser_message(msg, &mut browser.filter, &browser.ctl_tx, state).await {
            Ok(forward) => {
                for (class, b) in forward {
                    match class {
                        // A viewer's frames were acknowledged when the gateway got them.
                        ClientOpcode::Sync if role == Role::Viewer => continue,
                        ClientOpcode::Disconnect => {
                            let _ = up_tx.send(b).await;
                            return Stop::End {
                                end: TunnelEnd::new(Status::Success, "the browser disconnected"),
                                deliberate: true,
                            };
                        }
                        _ => {}
                    }
                    if up_tx.send(b).await.is_err() {
                        return Stop::End {
                            end: TunnelEnd::new(
                                Status::UpstreamError,
                                "the connection to guacd failed",
                            ),
                            deliberate: false,
                        };
                    }
                }
            }
            Err(end) => {
                return Stop::End {
                    end,
                    deliberate: false,
                }
            }
        }
    }
}

async fn upstream_reader(
    mut io: ReadHalf<Box<dyn GuacdIo>>,
    mut parser: Parser,
    mut buf: BytesMut,
    data_tx: &mpsc::Sender<Bytes>,
    up_tx: &mpsc::Sender<Bytes>,
    role: Role,
    state: &AppState,
) -> Stop {
    // Each batch is allocated at the size it needs and handed over whole (`split`).
    let mut batch = BytesMut::new();
    let mut want = MIN_READ;
    loop {
        let mut ended: Option<TunnelEnd> = None;
        loop {
            match parser.next(&mut buf) {
                Ok(Some(instr)) => {
                    match instr.opcode() {
                        "error" => {
                            let status = instr
                                .arg(1)
                                .and_then(Status::from_wire)
                                .unwrap_or(Status::UpstreamError);
                            let msg = instr.arg(0).unwrap_or("").to_owned();
                            ended = Some(TunnelEnd::new(status, format!("guacd: {msg}")));
                        }
                        "disconnect" => {
                            ended =
                                Some(TunnelEnd::new(Status::Success, "guacd ended the session"));
                        }
                        // The gateway is the one source of join/leave notices.
                        "msg" if matches!(instr.arg(0), Some("1" | "2")) => continue,
                        "sync" if role == Role::Viewer => {
                            // Acknowledge at once: guacd must never see a viewer's lag.
                            if let Some(ts) = instr.arg(0) {
                                let _ = up_tx.try_send(encode_to_bytes("sync", &[ts]));
                            }
                        }
                        _ => {}
                    }
                    batch.extend_from_slice(instr.as_bytes());
                    if ended.is_some() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    ended = Some(TunnelEnd::new(
                        Status::UpstreamError,
                        format!("guacd sent a malformed instruction: {e}"),
                    ));
                    break;
                }
            }
        }
        if !batch.is_empty() {
            // Take the whole buffer: `split()` would leave the burst's spare capacity
            // alive in `batch` for the tunnel's life (~97 KiB measured).
            let frame = std::mem::take(&mut batch).freeze();
            state
                .metrics
                .bytes_to_browser
                .fetch_add(frame.len() as u64, Relaxed);
            match role {
                Role::Originator => {
                    if data_tx.send(frame).await.is_err() {
                        return gone();
                    }
                }
                Role::Viewer => match data_tx.try_send(frame) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => return Stop::Overflow,
                    Err(mpsc::error::TrySendError::Closed(_)) => return gone(),
                },
            }
        }
        if let Some(end) = ended {
            return Stop::End {
                end,
                deliberate: true,
            };
        }
        if buf.is_empty() && buf.capacity() > MIN_READ && parser.at_boundary(&buf) {
            // Drained after a burst: give the buffer back; the next read reserves anew.
            buf = BytesMut::new();
        }
        if buf.capacity() - buf.len() < want / 4 {
            buf.reserve(want);
        }
        let room = buf.capacity() - buf.len();
        let read = io.read_buf(&mut buf).await;
        if let Ok(n) = read {
            if n >= room && want < READ_CHUNK {
                want *= 2;
            } else if n < MIN_READ / 2 && want > MIN_READ {
                want /= 2;
            }
        }
        match read {
            Ok(0) if buf.is_empty() => {
                return Stop::End {
                    end: TunnelEnd::new(Status::Success, "guacd closed the connection"),
                    deliberate: true,
                }
            }
            Ok(0) => {
                return Stop::End {
                    end: TunnelEnd::new(
                        Status::UpstreamError,
                        "guacd closed the connection in the middle of an instruction",
                    ),
                    deliberate: true,
                }
            }
            Ok(_) => {}
            Err(e) => {
                return Stop::End {
                    end: TunnelEnd::new(
                        Status::UpstreamError,
                        format!("reading from guacd failed: {e}"),
                    ),
                    deliberate: true,
                }
            }
        }
    }
}

fn gone() -> Stop {
    Stop::End {
        end: TunnelEnd::new(Status::Success, "the browser went away"),
        deliberate: false,
    }
}

/// Writes browser instructions to guacd, sends `nop` when nothing was sent for
/// `keepalive` (guacd drops users silent for 15 s), and `disconnect` when the tunnel
/// ends (the queue closes).
async fn upstream_writer(
    mut io: WriteHalf<Box<dyn GuacdIo>>,
    mut rx: mpsc::Receiver<Bytes>,
    keepalive: Duration,
    metrics: Arc<crate::metrics::Metrics>,
) {
    const NOP: &[u8] = b"3.nop;";
    const DISCONNECT: &[u8] = b"10.disconnect;";
    loop {
        match tokio::time::timeout(keepalive, rx.recv()).await {
            Ok(Some(b)) => {
                metrics.bytes_to_upstream.fetch_add(b.len() as u64, Relaxed);
                if io.write_all(&b).await.is_err() {
                    return;
                }
                while let Ok(b) = rx.try_recv() {
                    metrics.bytes_to_upstream.fetch_add(b.len() as u64, Relaxed);
                    if io.write_all(&b).await.is_err() {
                        return;
                    }
                }
                if io.flush().await.is_err() {
                    return;
                }
            }
            Ok(None) => {
                let _ = io.write_all(DISCONNECT).await;
                let _ = io.flush().await;
                let _ = io.shutdown().await;
                return;
            }
            Err(_) => {
                if io.write_all(NOP).await.is_err() || io.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Owns the WebSocket's sending half: control messages first, then notices and data
/// frames, and at the end every data frame still queued followed by the close frame.
async fn ws_writer(
    mut sink: SplitSink<WebSocket, Message>,
    mut data_rx: mpsc::Receiver<Bytes>,
    mut ctl_rx: mpsc::Receiver<Control>,
    mut notice_rx: mpsc::Receiver<Bytes>,
) {
    let mut data_open = true;
    let mut notices_open = true;
    loop {
        tokio::select! {
            biased;
            ctl = ctl_rx.recv() => match ctl {
                Some(Control::Text(b)) => {
                    if send_text(&mut sink, b).await.is_err() { return; }
                }
                Some(Control::Close(end)) => {
                    while let Some(b) = data_rx.recv().await {
                        if feed_frame(&mut sink, b).await.is_err() { return; }
                    }
                    if sink.flush().await.is_err() { return; }
                    let frame = CloseFrame {
                        code: end.status.websocket_close_code(),
                        reason: Utf8Bytes::from(end.status.close_reason()),
                    };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    let _ = sink.close().await;
                    return;
                }
                None => return,
            },
            n = notice_rx.recv(), if notices_open => match n {
                Some(b) => {
                    if send_text(&mut sink, b).await.is_err() { return; }
                }
                None => notices_open = false,
            },
            data = data_rx.recv(), if data_open => match data {
                Some(b) => {
                    if feed_frame(&mut sink, b).await.is_err() { return; }
                    while let Ok(b) = data_rx.try_recv() {
                        if feed_frame(&mut sink, b).await.is_err() { return; }
                    }
                    if sink.flush().await.is_err() { return; }
                }
                None => data_open = false,
            },
        }
    }
}

/// Feeds one frame as WebSocket messages of about MESSAGE_TARGET bytes each, cut at
/// instruction boundaries (zero-copy slices of the frame).
async fn feed_frame(sink: &mut SplitSink<WebSocket, Message>, b: Bytes) -> Result<(), axum::Error> {
    if b.len() <= MESSAGE_TARGET {
        return sink.feed(text(b)).await;
    }
    let mut start = 0;
    for end in porthole_protocol::split_points(&b, MESSAGE_TARGET) {
        sink.feed(text(b.slice(start..end))).await?;
        start = end;
    }
    Ok(())
}

fn text(b: Bytes) -> Message {
    // Instructions are validated UTF-8 elements joined by ASCII, so this conversion
    // only fails for a bug upstream of here; such a frame is replaced by nothing.
    match Utf8Bytes::try_from(b) {
        Ok(t) => Message::Text(t),
        Err(_) => Message::Text(Utf8Bytes::from_static("")),
    }
}

async fn send_text(sink: &mut SplitSink<WebSocket, Message>, b: Bytes) -> Result<(), axum::Error> {
    sink.send(text(b)).await
}

/// Resolves once the process starts draining.
pub(super) async fn draining(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// Resolves with the status once the participant is kicked.
pub(super) async fn kicked(rx: &mut watch::Receiver<Option<Status>>) -> Status {
    let status = match rx.wait_for(|s| s.is_some()).await {
        Ok(s) => Some((*s).unwrap_or(Status::SessionClosed)),
        Err(_) => None,
    };
    match status {
        Some(s) => s,
        None => std::future::pending().await,
    }
}

/// The join request for a share link's profile.
pub fn link_join(link: &crate::session::Link) -> JoinRequest {
    let mut parameters = link.parameters.clone();
    if link.read_only {
        parameters.insert("read-only".into(), "true".into());
    }
    JoinRequest {
        kind: JoinKind::Link,
        read_only: link.read_only,
        user_id: None,
        name: None,
        link_id: Some(link.id.clone()),
        profile_id: Some(link.profile_id.clone()),
        profile_name: Some(link.profile_name.clone()),
        parameters,
    }
}
