//! One tunnel's life: greet, authorise, handshake with guacd, relay, close.
//!
//! Tasks and queues of one tunnel (each queue bounded, its overflow policy beside it):
//!
//! ```text
//!  guacd ──read──► upstream reader ──data queue──► WebSocket writer ──► browser
//!                                   (`tunnel.browser_queue_bytes` of frames: the reader
//!                                    waits = back-pressure to guacd, which paces the
//!                                    owner as it always does)
//!  browser ──► browser reader ──upstream queue──► guacd writer ──► guacd
//!              │                (UPSTREAM_QUEUE instructions: the browser reader waits,
//!              │                 so a guacd that stops reading stops reading the socket)
//!              └──control queue──► WebSocket writer (ping echoes, refusals, close; served
//!                                   before data; CONTROL_QUEUE entries, the browser reader
//!                                   waits when full)
//! ```
//!
//! The upstream reader parses guacd's output with the upstream limits, batches every
//! complete instruction of one read into one WebSocket text frame (flush when the read
//! side drains: one read = what guacd had ready), never sends a partial instruction, and
//! watches for `error` and `disconnect`. The browser reader parses each WebSocket
//! message with libguac's limits and passes every instruction through
//! [`BrowserFilter`] before anything reaches guacd.
//!
//! Ending: whichever side ends first decides the [`TunnelEnd`]; the browser gets a close
//! frame whose reason is the decimal status, guacd gets `disconnect`.

use super::filter::{BrowserFilter, Verdict};
use super::params::ConnectParams;
use crate::session::registry::{SessionHandle, SessionInfo};
use crate::state::AppState;
use crate::store;
use crate::upstream::guacd::{GuacdSession, HandshakeRequest};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::{Bytes, BytesMut};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use porthole_protocol::{encode_to_bytes, Limits, ParseErrorKind, Parser, Status};
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tracing::{debug, info, warn, Instrument};

/// Control messages to the browser (ping echoes, stream refusals, the close). Full: the
/// browser reader waits.
const CONTROL_QUEUE: usize = 32;
/// Browser instructions waiting for guacd. Full: the browser reader waits.
const UPSTREAM_QUEUE: usize = 256;
/// Browser instructions kept while guacd is still handshaking; more are dropped (the
/// stock client sends nothing but pings and keep-alives before it is connected).
const EARLY_INPUT: usize = 64;
/// Read size from guacd.
const READ_CHUNK: usize = 64 * 1024;
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

enum Control {
    Text(Bytes),
    Close(TunnelEnd),
}

/// Counts an open tunnel for its lifetime.
struct OpenGuard(Arc<crate::metrics::Metrics>);
impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.tunnels_open.fetch_sub(1, Relaxed);
    }
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
        // Frames of guacd output waiting for the browser: `tunnel.browser_queue_bytes`
        // worth of reads (each at most READ_CHUNK, plus the tail of one instruction).
        // Full: the upstream reader waits, which back-pressures guacd, which paces the
        // owner's session as it always does.
        let frames = state
            .config
            .tunnel
            .browser_queue_bytes
            .div_ceil(READ_CHUNK)
            .max(1);
        let (data_tx, data_rx) = mpsc::channel::<Bytes>(frames);
        let (ctl_tx, ctl_rx) = mpsc::channel::<Control>(CONTROL_QUEUE);
        let writer = tokio::spawn(ws_writer(sink, data_rx, ctl_rx, state.metrics.clone()));
        let _ = ctl_tx
            .send(Control::Text(encode_to_bytes("", &[tunnel_id.as_str()])))
            .await;

        let end = if open as usize > state.config.tunnel.max_tunnels {
            TunnelEnd::new(
                Status::ServerBusy,
                "too many tunnels are open; try again shortly",
            )
        } else {
            serve(&state, stream, &data_tx, &ctl_tx, &params, peer).await
        };
        if end.status.is_error() {
            info!(status = %end.status, reason = %end.message, "tunnel closed");
        } else {
            debug!(reason = %end.message, "tunnel closed");
        }
        drop(data_tx);
        let _ = ctl_tx.send(Control::Close(end)).await;
        drop(ctl_tx);
        if tokio::time::timeout(CLOSE_GRACE, writer).await.is_err() {
            debug!("browser did not take the close frame in time");
        }
    }
    .instrument(span)
    .await
}

/// Authorises, connects to guacd, and relays. Returns why it ended.
async fn serve(
    state: &AppState,
    mut stream: SplitStream<WebSocket>,
    data_tx: &mpsc::Sender<Bytes>,
    ctl_tx: &mpsc::Sender<Control>,
    params: &ConnectParams,
    peer: SocketAddr,
) -> TunnelEnd {
    let (user, conn) = match super::authorize(state, params).await {
        Ok(v) => v,
        Err(end) => return end,
    };
    let target = conn
        .guacd
        .clone()
        .unwrap_or_else(|| state.guacd.default_target().clone());
    let req = HandshakeRequest {
        select: conn.protocol.clone(),
        parameters: conn.parameters.clone(),
        client: params.client_info(Some(user.user.username.clone())),
    };
    let mut filter = BrowserFilter::new(false);
    let mut shutdown = state.shutdown.clone();

    // Handshake with guacd while answering the browser's pings.
    let mut early: Vec<Bytes> = Vec::new();
    let handshake = state.guacd.connect(&target, &req);
    tokio::pin!(handshake);
    let browser_timeout = Duration::from_millis(state.config.tunnel.browser_timeout_ms);
    let session: GuacdSession = loop {
        tokio::select! {
            r = &mut handshake => match r {
                Ok(s) => break s,
                Err(e) => {
                    state.metrics.handshake_failed(e.kind());
                    warn!(error = %e, guacd = %format!("{}:{}", target.host, target.port), "guacd handshake failed");
                    return TunnelEnd::new(e.status(), e.to_string());
                }
            },
            msg = tokio::time::timeout(browser_timeout, stream.next()) => {
                match browser_message(msg, &mut filter, ctl_tx, state).await {
                    Ok(forward) => {
                        for b in forward {
                            if early.len() < EARLY_INPUT { early.push(b); }
                        }
                    }
                    Err(end) => return end,
                }
            }
            _ = draining(&mut shutdown) => {
                return TunnelEnd::new(Status::ServerBusy, "the gateway is shutting down; reconnect in a moment");
            }
        }
    };

    let session_id = uuid::Uuid::new_v4().to_string();
    let (handle, mut end_rx) = SessionHandle::new(SessionInfo {
        id: session_id.clone(),
        connection_id: conn.id.clone(),
        connection_name: conn.name.clone(),
        protocol: conn.protocol.clone(),
        user_id: user.user.id.clone(),
        username: user.user.username.clone(),
        remote_addr: peer.ip().to_string(),
        upstream_id: session.connection_id.clone(),
        started_at: store::now_ms(),
    });
    state.sessions.insert(handle);
    state.metrics.sessions_open.fetch_add(1, Relaxed);
    info!(session = %session_id, connection = %conn.id, user = %user.user.username, guacd_connection = %session.connection_id, "session started");

    let GuacdSession {
        io, parser, buf, ..
    } = session;
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

    let end = tokio::select! {
        end = upstream_reader(up_r, parser, buf, data_tx, state) => end,
        end = browser_reader(&mut stream, &mut filter, ctl_tx, &up_tx, state) => end,
        status = ended(&mut end_rx) => {
            TunnelEnd::new(status, "the session was ended")
        }
        _ = draining(&mut shutdown) => {
            TunnelEnd::new(Status::ServerBusy, "the gateway is shutting down; reconnect in a moment")
        }
    };
    drop(up_tx);
    if tokio::time::timeout(CLOSE_GRACE, up_writer).await.is_err() {
        debug!("guacd did not take the disconnect in time");
    }
    state.sessions.remove(&session_id);
    state.metrics.sessions_open.fetch_sub(1, Relaxed);
    info!(session = %session_id, status = %end.status, "session ended");
    end
}

/// Handles one message (or timeout) from the browser: returns the instructions to
/// forward, or why the tunnel must end.
async fn browser_message(
    msg: Result<Option<Result<Message, axum::Error>>, tokio::time::error::Elapsed>,
    filter: &mut BrowserFilter,
    ctl_tx: &mpsc::Sender<Control>,
    state: &AppState,
) -> Result<Vec<Bytes>, TunnelEnd> {
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
                Verdict::Forward(_) => forward.push(instr.into_bytes()),
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
    stream: &mut SplitStream<WebSocket>,
    filter: &mut BrowserFilter,
    ctl_tx: &mpsc::Sender<Control>,
    up_tx: &mpsc::Sender<Bytes>,
    state: &AppState,
) -> TunnelEnd {
    let timeout = Duration::from_millis(state.config.tunnel.browser_timeout_ms);
    loop {
        let msg = tokio::time::timeout(timeout, stream.next()).await;
        match browser_message(msg, filter, ctl_tx, state).await {
            Ok(forward) => {
                for b in forward {
                    if up_tx.send(b).await.is_err() {
                        return TunnelEnd::new(
                            Status::UpstreamError,
                            "the connection to guacd failed",
                        );
                    }
                }
            }
            Err(end) => return end,
        }
    }
}

async fn upstream_reader(
    mut io: ReadHalf<Box<dyn crate::upstream::guacd::GuacdIo>>,
    mut parser: Parser,
    mut buf: BytesMut,
    data_tx: &mpsc::Sender<Bytes>,
    state: &AppState,
) -> TunnelEnd {
    let mut batch = BytesMut::with_capacity(READ_CHUNK);
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
            let frame = batch.split().freeze();
            state
                .metrics
                .bytes_to_browser
                .fetch_add(frame.len() as u64, Relaxed);
            if data_tx.send(frame).await.is_err() {
                return TunnelEnd::new(Status::Success, "the browser went away");
            }
        }
        if let Some(end) = ended {
            return end;
        }
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
        match io.read_buf(&mut buf).await {
            Ok(0) if buf.is_empty() => {
                return TunnelEnd::new(Status::Success, "guacd closed the connection")
            }
            Ok(0) => {
                return TunnelEnd::new(
                    Status::UpstreamError,
                    "guacd closed the connection in the middle of an instruction",
                )
            }
            Ok(_) => {}
            Err(e) => {
                return TunnelEnd::new(
                    Status::UpstreamError,
                    format!("reading from guacd failed: {e}"),
                )
            }
        }
    }
}

/// Writes browser instructions to guacd, sends `nop` when nothing was sent for
/// `keepalive` (guacd drops users silent for 15 s), and `disconnect` when the tunnel
/// ends (the queue closes).
async fn upstream_writer(
    mut io: WriteHalf<Box<dyn crate::upstream::guacd::GuacdIo>>,
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

/// Owns the WebSocket's sending half: control messages first, then data frames, and at
/// the end every data frame still queued followed by the close frame.
async fn ws_writer(
    mut sink: SplitSink<WebSocket, Message>,
    mut data_rx: mpsc::Receiver<Bytes>,
    mut ctl_rx: mpsc::Receiver<Control>,
    _metrics: Arc<crate::metrics::Metrics>,
) {
    let mut data_open = true;
    loop {
        tokio::select! {
            biased;
            ctl = ctl_rx.recv() => match ctl {
                Some(Control::Text(b)) => {
                    if send_text(&mut sink, b).await.is_err() { return; }
                }
                Some(Control::Close(end)) => {
                    while let Some(b) = data_rx.recv().await {
                        if send_text(&mut sink, b).await.is_err() { return; }
                    }
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
            data = data_rx.recv(), if data_open => match data {
                Some(b) => {
                    if sink.feed(text(b)).await.is_err() { return; }
                    while let Ok(b) = data_rx.try_recv() {
                        if sink.feed(text(b)).await.is_err() { return; }
                    }
                    if sink.flush().await.is_err() { return; }
                }
                None => data_open = false,
            },
        }
    }
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
async fn draining(rx: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// Resolves with the status once the session is asked to end.
async fn ended(rx: &mut tokio::sync::watch::Receiver<Option<Status>>) -> Status {
    let status = match rx.wait_for(|s| s.is_some()).await {
        Ok(s) => Some((*s).unwrap_or(Status::SessionClosed)),
        Err(_) => None,
    };
    match status {
        Some(s) => s,
        None => std::future::pending().await,
    }
}
