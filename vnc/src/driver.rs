//! The async driver: one VNC connection per session, its frames fanned out to every
//! viewer.
//!
//! [`VncSession::connect`] opens the TCP connection, runs the RFB handshake (each step
//! under a timeout) and spawns two tasks:
//!
//! ```text
//!  VNC server ──read──► core task ──spawn_blocking: decode, apply, encode──► FrameBus ──► Subscriber × N
//!  VNC server ◄──write── writer task ◄──input queue── VncSession::{key, pointer} (encoded in place)
//!                                      ◄── core task (update requests, clipboard, resize)
//! ```
//!
//! * **Core task** owns the [`RfbClient`], the [`Framebuffer`] and the [`FrameEncoder`]
//!   (boxed together and moved into `spawn_blocking` for every batch of bytes read and
//!   every frame encoded, so decoding and image codecs never run on the async runtime).
//!   Each complete FramebufferUpdate becomes one frame, published on the [`FrameBus`].
//! * **Pacing by frame credit.** The core sends the next FramebufferUpdateRequest only
//!   while fewer than [`Pacing::max_unacked`] published frames are unacknowledged
//!   ([`VncSession::ack`], fed with the originator's `sync` echoes), or when the oldest
//!   has waited [`Pacing::max_wait`]. Meanwhile the VNC server merges changes itself, so
//!   a slow originator gets fewer, larger frames rather than a queue. The request for
//!   the next update goes out before the current one is encoded, overlapping the
//!   server's work with ours. Viewers never pace anything: they skip (see
//!   [`crate::fanout`]).
//! * **Writer task** writes whatever is queued to the server. Its queue holds
//!   [`INPUT_QUEUE`] messages; when full, input methods wait (back-pressure to the
//!   browser that sends input), and the core task waits too.
//! * The session ends when the server closes, a protocol error occurs, or
//!   [`VncSession::close`] is called (or the last handle is dropped); the reason is
//!   published on the bus ([`crate::fanout::End`]) and [`VncSession::ended`].

use crate::encode::{EncoderConfig, FrameEncoder, FrameExtras};
use crate::error::VncError;
use crate::fanout::{End, FanoutConfig, FrameBus, Subscriber};
use crate::framebuffer::Framebuffer;
use crate::rfb::{messages, ClientConfig, Event, RfbClient, RfbError};
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, timeout};

/// Messages waiting to be written to the VNC server. Full: the sender waits.
pub const INPUT_QUEUE: usize = 256;
/// Commands to the core task. Full: the sender waits.
const COMMAND_QUEUE: usize = 32;
/// Bytes read from the server per read call.
const READ_CHUNK: usize = 64 * 1024;

/// Frame pacing by the originator's acknowledgements.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// Whether to pace at all (off: request the next update as soon as one arrives).
    pub enabled: bool,
    /// Frames that may be published and not yet acknowledged.
    pub max_unacked: usize,
    /// After this long without an acknowledgement, the next frame is allowed anyway (a
    /// stalled originator slows everyone to one frame per `max_wait`, not to a halt).
    pub max_wait: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            enabled: true,
            max_unacked: 2,
            max_wait: Duration::from_secs(1),
        }
    }
}

/// Everything a VNC session needs.
#[derive(Debug, Clone)]
pub struct VncConfig {
    pub host: String,
    pub port: u16,
    pub rfb: ClientConfig,
    pub encoder: EncoderConfig,
    pub fanout: FanoutConfig,
    pub pacing: Pacing,
    pub connect_timeout: Duration,
    pub handshake_timeout: Duration,
}

impl VncConfig {
    /// Defaults for `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        VncConfig {
            host: host.into(),
            port,
            rfb: ClientConfig::default(),
            encoder: EncoderConfig::default(),
            fanout: FanoutConfig::default(),
            pacing: Pacing::default(),
            connect_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// The remote desktop as the handshake described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopInfo {
    pub name: String,
    pub width: u16,
    pub height: u16,
}

/// Counters of one session (for metrics and benchmarks).
#[derive(Debug, Default)]
pub struct DriverStats {
    pub frames: AtomicU64,
    pub frame_bytes: AtomicU64,
    pub snapshots: AtomicU64,
    pub snapshot_bytes: AtomicU64,
    pub png_bytes: AtomicU64,
    pub jpeg_bytes: AtomicU64,
    pub refined_pixels: AtomicU64,
    pub updates: AtomicU64,
    /// Microseconds spent encoding frames and snapshots.
    pub encode_us: AtomicU64,
    /// Microseconds from the read that completed the last FramebufferUpdate to its
    /// frame's publish (decode, apply, encode).
    pub last_latency_us: AtomicU64,
    /// The same for the most recent [`LATENCY_SAMPLES`] frames (oldest dropped first).
    latencies_us: Mutex<VecDeque<u32>>,
}

/// How many frame latencies [`DriverStats`] keeps.
pub const LATENCY_SAMPLES: usize = 4096;

impl DriverStats {
    fn record_latency(&self, us: u64) {
        self.last_latency_us.store(us, Relaxed);
        let mut l = self
            .latencies_us
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if l.len() == LATENCY_SAMPLES {
            l.pop_front();
        }
        l.push_back(u32::try_from(us).unwrap_or(u32::MAX));
    }

    /// The `p`-th percentile (0–100) of the kept frame latencies, in microseconds.
    pub fn latency_percentile(&self, p: f64) -> Option<u32> {
        let mut v: Vec<u32> = self
            .latencies_us
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        v.get(i.min(v.len() - 1)).copied()
    }

    /// Forgets the kept latencies.
    pub fn reset_latencies(&self) {
        self.latencies_us
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

enum Command {
    Clipboard(String),
    Resize(u16, u16),
    SetJpeg(bool),
    SetPaced(bool),
    Close,
}

struct Shared {
    bus: Arc<FrameBus>,
    cmd: mpsc::Sender<Command>,
    out: mpsc::Sender<Bytes>,
    acked: watch::Sender<u64>,
    pointer: watch::Sender<(u16, u16)>,
    size: Arc<AtomicU32>,
    ended: watch::Receiver<Option<End>>,
    stats: Arc<DriverStats>,
    info: DesktopInfo,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A live VNC session: the handle a Porthole session owns. Cheap to clone; the
/// connection closes when the last clone is dropped or [`VncSession::close`] is called.
#[derive(Clone)]
pub struct VncSession {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for VncSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VncSession")
            .field("info", &self.shared.info)
            .finish_non_exhaustive()
    }
}

struct Core {
    client: RfbClient,
    fb: Framebuffer,
    enc: FrameEncoder,
    clipboard: Option<String>,
}

#[derive(Default)]
struct Processed {
    out: Option<Bytes>,
    updates: u32,
    clipboard: bool,
    resized: Option<(u16, u16)>,
    err: Option<RfbError>,
}

impl Core {
    fn process(&mut self, data: BytesMut) -> Processed {
        self.client.feed_bytes(data);
        let mut p = Processed::default();
        loop {
            match self.client.poll_event() {
                Ok(Some(ev)) => match ev {
                    Event::Rect(r) => self.fb.apply(&r),
                    Event::Cursor(c) => self.fb.set_cursor(c),
                    Event::Resize { width, height, .. } => {
                        self.fb.resize(width, height);
                        p.resized = Some((width, height));
                    }
                    Event::UpdateEnd => p.updates += 1,
                    Event::ServerCutText(t) => {
                        self.clipboard = Some(t);
                        p.clipboard = true;
                    }
                    Event::UpdateBegin
                    | Event::Bell
                    | Event::ResizeRefused { .. }
                    | Event::Ready(_) => {}
                },
                Ok(None) => break,
                Err(e) => {
                    p.err = Some(e);
                    break;
                }
            }
        }
        if p.resized.is_some() {
            // The content after a resize comes in full; ask for it explicitly too.
            self.client.request_update(false);
        }
        p.out = self.client.take_output();
        p
    }
}

fn pack(w: u16, h: u16) -> u32 {
    (u32::from(w) << 16) | u32::from(h)
}

impl VncSession {
    /// Connects to the VNC server and completes the handshake.
    pub async fn connect(cfg: VncConfig) -> Result<VncSession, VncError> {
        let addr = format!("{}:{}", cfg.host, cfg.port);
        let stream = match timeout(
            cfg.connect_timeout,
            TcpStream::connect((cfg.host.as_str(), cfg.port)),
        )
        .await
        {
            Err(_) => return Err(VncError::Timeout { addr }),
            Ok(Err(e)) => {
                return Err(VncError::Unreachable {
                    addr,
                    reason: e.to_string(),
                })
            }
            Ok(Ok(s)) => s,
        };
        let _ = stream.set_nodelay(true);
        let (mut rd, mut wr) = stream.into_split();
        let mut client = RfbClient::new(cfg.rfb.clone());
        let init = match timeout(
            cfg.handshake_timeout,
            handshake(&mut client, &mut rd, &mut wr),
        )
        .await
        {
            Err(_) => return Err(VncError::Timeout { addr }),
            Ok(r) => r?,
        };
        let info = DesktopInfo {
            name: init.name.clone(),
            width: init.width,
            height: init.height,
        };
        let bus = FrameBus::new(cfg.fanout);
        let (out_tx, out_rx) = mpsc::channel::<Bytes>(INPUT_QUEUE);
        let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(COMMAND_QUEUE);
        let (acked, acked_rx) = watch::channel(0u64);
        let (pointer, pointer_rx) = watch::channel((0u16, 0u16));
        let (end_tx, end_rx) = watch::channel(None);
        let stats = Arc::new(DriverStats::default());
        let size = Arc::new(AtomicU32::new(pack(init.width, init.height)));
        let core = Box::new(Core {
            client,
            fb: Framebuffer::new(init.width, init.height),
            enc: FrameEncoder::new(cfg.encoder.clone()),
            clipboard: None,
        });
        let writer = tokio::spawn(write_loop(wr, out_rx, end_rx.clone()));
        let ctx = CoreCtx {
            bus: bus.clone(),
            out: out_tx.clone(),
            acked: acked_rx,
            pointer: pointer_rx,
            pacing: cfg.pacing,
            stats: stats.clone(),
            size: size.clone(),
        };
        let bus2 = bus.clone();
        let core_task = tokio::spawn(async move {
            let r = run_core(core, rd, cmd_rx, ctx).await;
            let end = match r {
                Ok(()) => End {
                    status: VncError::Shutdown.status(),
                    message: VncError::Shutdown.to_string(),
                },
                Err(e) => {
                    tracing::info!(error = %e, "vnc session ended");
                    End {
                        status: e.status(),
                        message: e.to_string(),
                    }
                }
            };
            bus2.close(end.clone());
            let _ = end_tx.send(Some(end));
        });
        let shared = Shared {
            bus,
            cmd: cmd_tx,
            out: out_tx,
            acked,
            pointer,
            size,
            ended: end_rx,
            stats,
            info,
            tasks: vec![writer, core_task],
        };
        Ok(VncSession {
            shared: Arc::new(shared),
        })
    }

    /// The desktop as announced at connect time.
    pub fn info(&self) -> &DesktopInfo {
        &self.shared.info
    }

    /// The current framebuffer size.
    pub fn size(&self) -> (u16, u16) {
        let v = self.shared.size.load(Relaxed);
        ((v >> 16) as u16, v as u16)
    }

    /// A new viewer of the session: its first delivery is a snapshot, then live frames.
    pub fn subscribe(&self) -> Subscriber {
        self.shared.bus.subscribe()
    }

    /// The session's frame bus (for metrics).
    pub fn bus(&self) -> &Arc<FrameBus> {
        &self.shared.bus
    }

    /// Counters.
    pub fn stats(&self) -> &Arc<DriverStats> {
        &self.shared.stats
    }

    async fn send_raw(&self, b: Bytes) -> Result<(), VncError> {
        if self.shared.ended.borrow().is_some() {
            return Err(self.end_error());
        }
        self.shared.out.send(b).await.map_err(|_| self.end_error())
    }

    fn end_error(&self) -> VncError {
        match self.shared.ended.borrow().as_ref() {
            Some(e) if e.status == porthole_protocol::Status::Success => VncError::Shutdown,
            Some(e) => VncError::Io(e.message.clone()),
            None => VncError::Shutdown,
        }
    }

    /// A key press or release (an X11 keysym, as in Guacamole's `key`).
    pub async fn key(&self, keysym: u32, pressed: bool) -> Result<(), VncError> {
        let mut b = BytesMut::with_capacity(8);
        messages::key_event(&mut b, keysym, pressed);
        self.send_raw(b.freeze()).await
    }

    /// The pointer position and button mask (Guacamole's `mouse` bits are RFB's).
    pub async fn pointer(&self, x: u16, y: u16, buttons: u8) -> Result<(), VncError> {
        let (w, h) = self.size();
        let (x, y) = (x.min(w.saturating_sub(1)), y.min(h.saturating_sub(1)));
        self.shared.pointer.send_replace((x, y));
        let mut b = BytesMut::with_capacity(6);
        messages::pointer_event(&mut b, x, y, buttons);
        self.send_raw(b.freeze()).await
    }

    /// Where the pointer last was (for `mouse` instructions to viewers not moving it).
    pub fn pointer_position(&self) -> watch::Receiver<(u16, u16)> {
        self.shared.pointer.subscribe()
    }

    async fn command(&self, c: Command) -> Result<(), VncError> {
        if self.shared.ended.borrow().is_some() {
            return Err(self.end_error());
        }
        self.shared.cmd.send(c).await.map_err(|_| self.end_error())
    }

    /// Sets the remote clipboard (UTF-8 when the server speaks the Extended Clipboard,
    /// else Latin-1).
    pub async fn clipboard(&self, text: String) -> Result<(), VncError> {
        self.command(Command::Clipboard(text)).await
    }

    /// Asks the server to resize the desktop (ignored when it cannot); the new size
    /// arrives in a frame as `size,0,W,H`.
    pub async fn resize(&self, width: u16, height: u16) -> Result<(), VncError> {
        self.command(Command::Resize(width, height)).await
    }

    /// Allows JPEG or restricts frames to PNG (call with the intersection of every
    /// viewer's `image` mimetypes).
    pub async fn set_jpeg(&self, allowed: bool) -> Result<(), VncError> {
        self.command(Command::SetJpeg(allowed)).await
    }

    /// Turns pacing by acknowledgements on (an originator is attached) or off.
    pub async fn set_paced(&self, paced: bool) -> Result<(), VncError> {
        self.command(Command::SetPaced(paced)).await
    }

    /// The originator acknowledged every frame up to `sync_ts` (its `sync` echo).
    pub fn ack(&self, sync_ts: u64) {
        self.shared.acked.send_if_modified(|v| {
            if sync_ts > *v {
                *v = sync_ts;
                true
            } else {
                false
            }
        });
    }

    /// Ends the session (viewers get [`porthole_protocol::Status::Success`]).
    pub async fn close(&self) {
        let _ = self.shared.cmd.send(Command::Close).await;
    }

    /// Becomes `Some` when the session has ended, with why.
    pub fn ended(&self) -> watch::Receiver<Option<End>> {
        self.shared.ended.clone()
    }
}

async fn handshake(
    client: &mut RfbClient,
    rd: &mut OwnedReadHalf,
    wr: &mut OwnedWriteHalf,
) -> Result<crate::rfb::ServerInit, VncError> {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        match client.poll_event() {
            Ok(Some(Event::Ready(init))) => {
                if let Some(out) = client.take_output() {
                    wr.write_all(&out)
                        .await
                        .map_err(|e| VncError::Io(e.to_string()))?;
                }
                return Ok(init);
            }
            Ok(Some(_)) => return Err(VncError::Protocol(RfbError::Unexpected)),
            Ok(None) => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(out) = client.take_output() {
            wr.write_all(&out)
                .await
                .map_err(|e| VncError::Io(e.to_string()))?;
        }
        buf.reserve(4096);
        match rd.read_buf(&mut buf).await {
            Ok(0) => return Err(VncError::Closed),
            Ok(_) => client.feed(&buf.split()),
            Err(e) => return Err(VncError::Io(e.to_string())),
        }
    }
}

/// Writes queued messages; ends when every sender is gone, a write fails or the session
/// ended.
async fn write_loop(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Bytes>,
    mut ended: watch::Receiver<Option<End>>,
) {
    loop {
        tokio::select! {
            b = rx.recv() => match b {
                Some(b) => {
                    if wr.write_all(&b).await.is_err() {
                        return;
                    }
                }
                None => break,
            },
            _ = async { let _ = ended.wait_for(Option::is_some).await; } => break,
        }
    }
    let _ = wr.shutdown().await;
}

struct CoreCtx {
    bus: Arc<FrameBus>,
    out: mpsc::Sender<Bytes>,
    acked: watch::Receiver<u64>,
    pointer: watch::Receiver<(u16, u16)>,
    pacing: Pacing,
    stats: Arc<DriverStats>,
    size: Arc<AtomicU32>,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, VncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| VncError::Internal(e.to_string()))
}

async fn run_core(
    mut core: Box<Core>,
    mut rd: OwnedReadHalf,
    mut cmd_rx: mpsc::Receiver<Command>,
    mut ctx: CoreCtx,
) -> Result<(), VncError> {
    let start = Instant::now();
    let now_ms = move || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX) + 1;
    let send = |out: &mpsc::Sender<Bytes>, b: Option<Bytes>| {
        let out = out.clone();
        async move {
            if let Some(b) = b {
                out.send(b).await.map_err(|_| VncError::Closed)?;
            }
            Ok::<(), VncError>(())
        }
    };
    // Sent by the handshake: the first, full update request.
    let mut request_outstanding = true;
    let mut paced = ctx.pacing.enabled;
    let mut unacked: VecDeque<u64> = VecDeque::new();
    let mut last_publish = Instant::now();
    let mut last_ts = 0u64;
    let mut frame_pending = false;
    let mut snapshot_pending = false;
    let mut update_done_at = Instant::now();
    let mut buf = BytesMut::with_capacity(READ_CHUNK);

    loop {
        let refine_at = core
            .enc
            .next_refine_at()
            .map(|ms| start + Duration::from_millis(ms));
        let credit_ok = |unacked: &VecDeque<u64>, last: Instant, paced: bool| {
            !paced
                || unacked.len() < ctx.pacing.max_unacked
                || last.elapsed() >= ctx.pacing.max_wait
        };
        let pace_at = (!request_outstanding && !credit_ok(&unacked, last_publish, paced))
            .then(|| last_publish + ctx.pacing.max_wait);
        let wake = match (refine_at, pace_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        tokio::select! {
            biased;
            cmd = cmd_rx.recv() => match cmd {
                None | Some(Command::Close) => return Ok(()),
                Some(Command::Clipboard(t)) => {
                    core.client.set_clipboard(&t);
                    send(&ctx.out, core.client.take_output()).await?;
                }
                Some(Command::Resize(w, h)) => {
                    core.client.set_desktop_size(w, h);
                    send(&ctx.out, core.client.take_output()).await?;
                }
                Some(Command::SetJpeg(b)) => core.enc.set_jpeg(b),
                Some(Command::SetPaced(p)) => paced = p,
            },
            _ = ctx.bus.snapshot_wanted() => snapshot_pending = true,
            r = ctx.acked.changed() => {
                if r.is_err() {
                    return Ok(());
                }
            }
            r = rd.read_buf(&mut buf) => match r {
                Ok(0) => return Err(VncError::Closed),
                Err(e) => return Err(VncError::Io(e.to_string())),
                Ok(_) => {
                    let read_at = Instant::now();
                    let data = buf.split();
                    let (c, p) = blocking(move || {
                        let p = core.process(data);
                        (core, p)
                    })
                    .await?;
                    core = c;
                    send(&ctx.out, p.out).await?;
                    if let Some(e) = p.err {
                        return Err(e.into());
                    }
                    if let Some((w, h)) = p.resized {
                        ctx.size.store(pack(w, h), Relaxed);
                    }
                    if p.updates > 0 {
                        request_outstanding = false;
                        frame_pending = true;
                        update_done_at = read_at;
                        ctx.stats.updates.fetch_add(u64::from(p.updates), Relaxed);
                    }
                    frame_pending |= p.clipboard;
                    buf.reserve(READ_CHUNK);
                }
            },
            _ = async { match wake { Some(t) => sleep_until(t.into()).await, None => std::future::pending().await } } => {}
        }

        let acked = *ctx.acked.borrow();
        while unacked.front().is_some_and(|&t| t <= acked) {
            unacked.pop_front();
        }
        let now = now_ms();
        let refine_due = core.enc.next_refine_at().is_some_and(|t| t <= now);
        let mut can_request = credit_ok(&unacked, last_publish, paced);
        // Only frames made of a server update have a latency worth recording.
        let measure = frame_pending;
        let encode_now = frame_pending
            || (refine_due && can_request && !core.client.in_update())
            || (snapshot_pending && core.fb.has_changes());
        if encode_now {
            // Ask for the next update first: the server works while we encode.
            if !request_outstanding && can_request && frame_pending {
                core.client.request_update(true);
                request_outstanding = true;
                send(&ctx.out, core.client.take_output()).await?;
            }
            let ts = now.max(last_ts + 1);
            let extras = FrameExtras {
                clipboard: core.clipboard.take(),
            };
            let t0 = Instant::now();
            let (c, frame) = blocking(move || {
                let mut core = core;
                let f = {
                    let Core { fb, enc, .. } = &mut *core;
                    enc.encode_frame(fb, now, ts, extras)
                };
                (core, f)
            })
            .await?;
            core = c;
            frame_pending = false;
            if let Some(f) = frame {
                ctx.stats
                    .encode_us
                    .fetch_add(t0.elapsed().as_micros() as u64, Relaxed);
                last_ts = ts;
                ctx.stats.frames.fetch_add(1, Relaxed);
                ctx.stats
                    .frame_bytes
                    .fetch_add(f.bytes.len() as u64, Relaxed);
                ctx.stats.png_bytes.fetch_add(f.stats.png_bytes, Relaxed);
                ctx.stats.jpeg_bytes.fetch_add(f.stats.jpeg_bytes, Relaxed);
                ctx.stats
                    .refined_pixels
                    .fetch_add(f.stats.refined_pixels, Relaxed);
                ctx.bus.publish(ts, f.bytes);
                if measure {
                    ctx.stats
                        .record_latency(update_done_at.elapsed().as_micros() as u64);
                }
                if paced {
                    unacked.push_back(ts);
                    if unacked.len() > 1024 {
                        unacked.pop_front();
                    }
                }
                last_publish = Instant::now();
            }
        }
        if snapshot_pending {
            snapshot_pending = false;
            if !ctx.bus.snapshot_is_current() {
                let ts = if last_ts == 0 {
                    last_ts = now_ms();
                    last_ts
                } else {
                    last_ts
                };
                let pointer = *ctx.pointer.borrow();
                let now = now_ms();
                let seq = ctx.bus.newest();
                let t0 = Instant::now();
                let (c, snap) = blocking(move || {
                    let mut core = core;
                    let s = {
                        let Core { fb, enc, .. } = &mut *core;
                        enc.snapshot(fb, Some(pointer), now, ts)
                    };
                    (core, s)
                })
                .await?;
                core = c;
                ctx.stats
                    .encode_us
                    .fetch_add(t0.elapsed().as_micros() as u64, Relaxed);
                ctx.stats.snapshots.fetch_add(1, Relaxed);
                ctx.stats
                    .snapshot_bytes
                    .fetch_add(snap.len() as u64, Relaxed);
                ctx.bus.publish_snapshot(seq, ts, snap);
            }
        }
        can_request = credit_ok(&unacked, last_publish, paced);
        if !request_outstanding && can_request && !core.client.in_update() {
            core.client.request_update(true);
            request_outstanding = true;
            send(&ctx.out, core.client.take_output()).await?;
        }
    }
}
