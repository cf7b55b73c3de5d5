//! One simulated guacd connection: its users and the task that owns its display.
//!
//! Every connection has a single *display task*. It is the only writer of broadcast
//! output: frames of the synthetic desktop (or segments of a recording), join/leave
//! `msg`s to the owner, state replays for pending joiners, pointer updates. User tasks
//! send it [`Cmd`]s; it sends each user [`Out`] messages over that user's bounded
//! queue, whose writer task owns the socket's write half. Frames are built once and
//! shared (`Bytes`) by all users. When a queue is full the display task waits, so the
//! slowest user paces everyone, as in guacd (guacamole-wire.md §3.4); a user whose
//! queue stays full for `user_timeout` is dropped.

use super::desktop::Desktop;
use super::records::{ConnectionInfo, UserInfo};
use super::replay::ReplayData;
use super::wire::{self, Rect};
use super::{lock, now_ms, Inner};
use bytes::{Bytes, BytesMut};
use porthole_protocol::handshake::ProtocolVersion;
use porthole_protocol::Status;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Notify};
use tracing::debug;

/// "None" for the atomics below.
pub(crate) const UNSET: u64 = u64::MAX;

/// Something for a user's writer task.
#[derive(Debug)]
pub(crate) enum Out {
    Data(Bytes),
    /// A frame shared by every user.
    Chunks(Arc<Vec<Bytes>>),
    /// Flush, close the socket's write side, stop.
    Close,
}

/// A user as every part of the simulator sees it.
#[derive(Debug)]
pub(crate) struct UserShared {
    pub id: String,
    pub name: Option<String>,
    pub owner: bool,
    pub read_only: bool,
    pub version: Option<ProtocolVersion>,
    pub pending: AtomicBool,
    pub last_echo: AtomicU64,
    pub lag_ms: AtomicU64,
}

impl UserShared {
    pub fn new(
        id: String,
        name: Option<String>,
        owner: bool,
        read_only: bool,
        version: Option<ProtocolVersion>,
    ) -> Self {
        UserShared {
            id,
            name,
            owner,
            read_only,
            version,
            pending: AtomicBool::new(!owner),
            last_echo: AtomicU64::new(UNSET),
            lag_ms: AtomicU64::new(UNSET),
        }
    }

    fn info(&self) -> UserInfo {
        let opt = |v: u64| (v != UNSET).then_some(v);
        UserInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            owner: self.owner,
            read_only: self.read_only,
            pending: self.pending.load(Ordering::Relaxed),
            version: self.version,
            last_sync_echo: opt(self.last_echo.load(Ordering::Relaxed)),
            processing_lag_ms: opt(self.lag_ms.load(Ordering::Relaxed)),
        }
    }
}

/// The display task's handle on a user.
#[derive(Debug, Clone)]
pub(crate) struct UserHandle {
    pub shared: Arc<UserShared>,
    pub tx: mpsc::Sender<Out>,
    /// Tells the user's reader task to stop (its output has been dealt with).
    pub stop: Arc<Notify>,
}

/// Requests to a display task.
#[derive(Debug)]
pub(crate) enum Cmd {
    Join {
        user: UserHandle,
        reply: oneshot::Sender<()>,
    },
    Leave {
        user_id: String,
    },
    Kick {
        user_id: String,
    },
    Mouse {
        user_id: String,
        x: i64,
        y: i64,
        mask: i64,
    },
    Key {
        keysym: u32,
    },
    Resize {
        w: u32,
        h: u32,
    },
    Kill {
        status: Status,
        message: String,
    },
    Broadcast {
        data: Bytes,
    },
    SendTo {
        user_id: String,
        data: Bytes,
    },
    RemoteClipboard {
        mimetype: String,
        data: Vec<u8>,
    },
}

/// What the rest of the simulator knows about a connection.
#[derive(Debug)]
pub(crate) struct ConnShared {
    pub id: String,
    pub protocol: String,
    pub params: Arc<Vec<String>>,
    pub cmd: mpsc::UnboundedSender<Cmd>,
    pub users: Mutex<Vec<Arc<UserShared>>>,
    /// Highest `sync` timestamp sent to any user.
    pub last_sent_ts: AtomicU64,
    pub frames: AtomicU64,
    pub width: AtomicU32,
    pub height: AtomicU32,
    /// Recent (timestamp, send time) pairs, for processing-lag estimates.
    sync_log: Mutex<VecDeque<(u64, Instant)>>,
}

impl ConnShared {
    /// Notes a `sync` about to be sent.
    fn note_sync(&self, ts: u64, frames: u64) {
        self.last_sent_ts.fetch_max(ts, Ordering::SeqCst);
        self.frames.fetch_add(frames, Ordering::Relaxed);
        let mut log = lock(&self.sync_log);
        if log.len() >= 1024 {
            log.pop_front();
        }
        log.push_back((ts, Instant::now()));
    }

    /// Milliseconds since the frame with this timestamp was sent, if remembered.
    pub fn lag_for(&self, ts: u64) -> Option<u64> {
        let log = lock(&self.sync_log);
        log.iter()
            .rev()
            .find(|(t, _)| *t == ts)
            .map(|(_, at)| at.elapsed().as_millis() as u64)
    }

    pub fn info(&self) -> ConnectionInfo {
        ConnectionInfo {
            id: self.id.clone(),
            protocol: self.protocol.clone(),
            users: lock(&self.users).iter().map(|u| u.info()).collect(),
            last_sync: self.last_sent_ts.load(Ordering::SeqCst),
            frames: self.frames.load(Ordering::Relaxed),
            width: self.width.load(Ordering::Relaxed),
            height: self.height.load(Ordering::Relaxed),
        }
    }

    pub fn has_user(&self, user_id: &str) -> bool {
        lock(&self.users).iter().any(|u| u.id == user_id)
    }
}

/// Creates a connection for an owner who has just received `ready`, registers it for
/// joining and starts its display task.
pub(crate) fn start(
    inner: &Arc<Inner>,
    id: String,
    protocol: &str,
    params: Arc<Vec<String>>,
    owner: UserHandle,
    size: (u32, u32),
) -> Arc<ConnShared> {
    let (cmd, rx) = mpsc::unbounded_channel();
    let replay = inner.replay.clone();
    let (w, h) = if replay.is_some() { (0, 0) } else { size };
    let conn = Arc::new(ConnShared {
        id: id.clone(),
        protocol: protocol.to_owned(),
        params,
        cmd,
        users: Mutex::new(vec![owner.shared.clone()]),
        last_sent_ts: AtomicU64::new(0),
        frames: AtomicU64::new(0),
        width: AtomicU32::new(w),
        height: AtomicU32::new(h),
        sync_log: Mutex::new(VecDeque::new()),
    });
    lock(&inner.conns).insert(id, conn.clone());
    inner.bump();
    let owner_version = owner.shared.version;
    let task = DisplayTask {
        inner: inner.clone(),
        conn: conn.clone(),
        owner: Some(owner.shared.id.clone()),
        owner_version,
        users: vec![owner],
        desktop: Desktop::new(size.0, size.1),
        ops: BytesMut::new(),
        noise: Vec::new(),
        dirty: Vec::new(),
        prev_dirty: Vec::new(),
        pointer_dirty: false,
        mover: None,
        anim_n: 0,
        noise_next: 0,
        noise_last: None,
        noise_credit: 0.0,
        noise_sized: false,
        last_frames: 0,
        replay: replay.map(|data| ReplayState {
            data,
            pos: 0,
            started: tokio::time::Instant::now(),
            sent_others_end: 0,
            done: false,
        }),
        send_limit: inner.cfg.user_timeout,
    };
    tokio::spawn(task.run(rx));
    conn
}

struct ReplayState {
    data: Arc<ReplayData>,
    pos: usize,
    started: tokio::time::Instant,
    /// End (in `others`) of what has been broadcast: a joiner's replay.
    sent_others_end: usize,
    done: bool,
}

struct DisplayTask {
    inner: Arc<Inner>,
    conn: Arc<ConnShared>,
    /// The owner's user id while the owner is attached.
    owner: Option<String>,
    owner_version: Option<ProtocolVersion>,
    users: Vec<UserHandle>,
    desktop: Desktop,
    /// Drawing instructions of the frame being built.
    ops: BytesMut,
    /// Filler chunks of the frame being built.
    noise: Vec<Bytes>,
    dirty: Vec<Rect>,
    /// Dirty rectangles of the last frame, copied into buffer -1 at the next one.
    prev_dirty: Vec<Rect>,
    pointer_dirty: bool,
    mover: Option<String>,
    anim_n: u64,
    noise_next: usize,
    noise_last: Option<usize>,
    noise_credit: f64,
    noise_sized: bool,
    last_frames: u32,
    replay: Option<ReplayState>,
    send_limit: Duration,
}

async fn tick(t: &mut Option<tokio::time::Interval>) {
    match t {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl DisplayTask {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Cmd>) {
        let cfg = &self.inner.cfg;
        let rate = if self.replay.is_some() {
            0.0
        } else if cfg.frame_rate > 0.0 {
            cfg.frame_rate
        } else if cfg.bitrate > 0 {
            10.0
        } else {
            0.0
        };
        let mut frame_tick = (rate > 0.0).then(|| {
            let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.min(1000.0)));
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            t
        });
        let mut pending_tick =
            tokio::time::interval(cfg.pending_interval.max(Duration::from_millis(1)));
        pending_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut shutdown = self.inner.shutdown.clone();
        let stopped = async move {
            let _ = shutdown.wait_for(|v| *v).await;
        };
        tokio::pin!(stopped);

        self.start_owner().await;
        'main: loop {
            if self.users.is_empty() {
                break;
            }
            let has_pending = self
                .users
                .iter()
                .any(|u| u.shared.pending.load(Ordering::Relaxed));
            let replay_due = self.replay_deadline();
            tokio::select! {
                biased;
                _ = &mut stopped => {
                    self.close_all(None).await;
                    break;
                }
                cmd = rx.recv() => {
                    let Some(cmd) = cmd else { break };
                    if !self.handle(cmd).await {
                        break;
                    }
                    while let Ok(cmd) = rx.try_recv() {
                        if !self.handle(cmd).await {
                            break 'main;
                        }
                    }
                    self.flush().await;
                }
                _ = pending_tick.tick(), if has_pending => self.promote().await,
                _ = tick(&mut frame_tick), if frame_tick.is_some() => {
                    self.animate(rate);
                    self.flush().await;
                }
                _ = sleep_until(replay_due), if replay_due.is_some() => self.replay_step().await,
            }
        }
        lock(&self.inner.conns).remove(&self.conn.id);
        lock(&self.conn.users).clear();
        self.inner.bump();
        debug!(connection = %self.conn.id, "connection ended");
    }

    fn refresh_users(&self) {
        *lock(&self.conn.users) = self.users.iter().map(|u| u.shared.clone()).collect();
        self.inner.bump();
    }

    /// Sends to one user; false if the user is gone or has been stuck for too long.
    async fn send(&self, u: &UserHandle, out: Out) -> bool {
        matches!(
            tokio::time::timeout(self.send_limit, u.tx.send(out)).await,
            Ok(Ok(()))
        )
    }

    /// Sends `make(user)` to every non-pending user; drops users that fail.
    async fn broadcast(&mut self, mut make: impl FnMut(&UserHandle) -> Vec<Out>) {
        let mut failed = Vec::new();
        for u in &self.users {
            if u.shared.pending.load(Ordering::Relaxed) {
                continue;
            }
            for out in make(u) {
                if !self.send(u, out).await {
                    failed.push(u.shared.id.clone());
                    break;
                }
            }
        }
        for id in failed {
            debug!(user = %id, "dropping a user whose output failed");
            if let Some(u) = self.users.iter().find(|u| u.shared.id == id) {
                u.stop.notify_one();
            }
            self.remove_user(&id).await;
        }
    }

    async fn start_owner(&mut self) {
        let Some(owner) = self.users.first().cloned() else {
            return;
        };
        if let Some(r) = &mut self.replay {
            r.started = tokio::time::Instant::now();
            return;
        }
        let ts0 = now_ms();
        let ts1 = now_ms();
        let bytes = self
            .desktop
            .initial_frames(&self.inner.assets.cursor_png, ts0, ts1)
            .freeze();
        self.conn.note_sync(ts0, 1);
        self.conn.note_sync(ts1, 1);
        self.last_frames = 1;
        self.prev_dirty = vec![self.desktop.full()];
        if !self.send(&owner, Out::Data(bytes)).await {
            owner.stop.notify_one();
            self.remove_user(&owner.shared.id).await;
        }
    }

    /// Handles a command; false when the connection must end now.
    async fn handle(&mut self, cmd: Cmd) -> bool {
        match cmd {
            Cmd::Join { user, reply } => {
                let id = user.shared.id.clone();
                let name = user.shared.name.clone().unwrap_or_default();
                user.shared.pending.store(true, Ordering::Relaxed);
                self.users.push(user);
                self.refresh_users();
                self.notify_owner(1, &id, &name).await;
                let _ = reply.send(());
            }
            Cmd::Leave { user_id } => self.remove_user(&user_id).await,
            Cmd::Kick { user_id } => {
                if let Some(u) = self.users.iter().find(|u| u.shared.id == user_id).cloned() {
                    let _ = self.send(&u, Out::Data(wire::bare("disconnect"))).await;
                    let _ = self.send(&u, Out::Close).await;
                    u.stop.notify_one();
                    self.remove_user(&user_id).await;
                }
            }
            Cmd::Mouse {
                user_id,
                x,
                y,
                mask,
            } => {
                self.desktop.pointer = (x, y, mask);
                self.pointer_dirty = true;
                self.mover = Some(user_id);
            }
            Cmd::Key { keysym } => {
                if self.replay.is_none() {
                    self.desktop.key(keysym, &mut self.ops, &mut self.dirty);
                }
            }
            Cmd::Resize { w, h } => {
                if self.replay.is_none() {
                    self.desktop.resize(w, h, &mut self.ops, &mut self.dirty);
                    self.prev_dirty.clear();
                    self.conn.width.store(w, Ordering::Relaxed);
                    self.conn.height.store(h, Ordering::Relaxed);
                }
            }
            Cmd::Kill { status, message } => {
                self.close_all(Some(wire::error(&message, status.code())))
                    .await;
                return false;
            }
            Cmd::Broadcast { data } => {
                self.flush().await;
                self.broadcast(|_| vec![Out::Data(data.clone())]).await;
            }
            Cmd::SendTo { user_id, data } => {
                self.flush().await;
                if let Some(u) = self.users.iter().find(|u| u.shared.id == user_id).cloned() {
                    if !self.send(&u, Out::Data(data)).await {
                        u.stop.notify_one();
                        self.remove_user(&user_id).await;
                    }
                }
            }
            Cmd::RemoteClipboard { mimetype, data } => {
                self.flush().await;
                let mut buf = BytesMut::new();
                porthole_protocol::InstructionWriter::new(&mut buf, "clipboard")
                    .arg_int(1)
                    .arg(&mimetype)
                    .finish();
                for b in wire::blob_chunks(1, &data) {
                    buf.extend_from_slice(&b);
                }
                wire::end(&mut buf, 1);
                let bytes = buf.freeze();
                self.broadcast(|_| vec![Out::Data(bytes.clone())]).await;
            }
        }
        true
    }

    /// `msg` to the owner, if still attached and speaking ≥ 1.5.0 (§3.1).
    async fn notify_owner(&mut self, code: u32, user_id: &str, name: &str) {
        let Some(owner_id) = self.owner.clone() else {
            return;
        };
        if !self
            .owner_version
            .is_some_and(ProtocolVersion::supports_msg)
        {
            return;
        }
        if let Some(owner) = self.users.iter().find(|u| u.shared.id == owner_id).cloned() {
            let _ = self
                .send(&owner, Out::Data(wire::msg(code, user_id, name)))
                .await;
        }
    }

    async fn remove_user(&mut self, user_id: &str) {
        let Some(i) = self.users.iter().position(|u| u.shared.id == user_id) else {
            return;
        };
        let u = self.users.remove(i);
        self.refresh_users();
        if u.shared.owner {
            self.owner = None;
        } else {
            let name = u.shared.name.clone().unwrap_or_default();
            self.notify_owner(2, user_id, &name).await;
        }
    }

    /// Every user gets `first` (if any) and is closed; the connection is over.
    async fn close_all(&mut self, first: Option<Bytes>) {
        let limit = Duration::from_secs(1);
        for u in std::mem::take(&mut self.users) {
            if let Some(b) = &first {
                let _ = tokio::time::timeout(limit, u.tx.send(Out::Data(b.clone()))).await;
            }
            let _ = tokio::time::timeout(limit, u.tx.send(Out::Close)).await;
            u.stop.notify_one();
        }
        self.refresh_users();
    }

    fn animate(&mut self, rate: f64) {
        let cfg = &self.inner.cfg;
        if cfg.frame_rate > 0.0 {
            self.desktop
                .march(self.anim_n, &mut self.ops, &mut self.dirty);
            self.anim_n += 1;
        }
        let assets = &self.inner.assets;
        let tile = assets.noise_tile_len();
        if cfg.bitrate > 0 && tile > 0 && rate > 0.0 {
            self.noise_credit += cfg.bitrate as f64 / rate;
            let k = (self.noise_credit / tile as f64).floor() as usize;
            if k > 0 {
                self.noise_credit -= (k * tile) as f64;
                if !self.noise_sized {
                    wire::size(
                        &mut self.ops,
                        super::desktop::NOISE_LAYER,
                        super::desktop::NOISE_SIZE,
                        super::desktop::NOISE_SIZE,
                    );
                    self.noise_sized = true;
                }
                assets.noise_chunks(self.noise_next, k, &mut self.noise);
                self.noise_last = Some(self.noise_next + k - 1);
                self.noise_next += k;
            }
        }
    }

    /// Sends the frame being built (if anything changed), ending it with `sync`.
    async fn flush(&mut self) {
        if self.ops.is_empty() && self.noise.is_empty() && !self.pointer_dirty {
            return;
        }
        if self.replay.is_some() {
            // Recorded timestamps are not ours: pointer updates go out without a sync.
            if self.pointer_dirty {
                self.pointer_dirty = false;
                let mover = self.mover.take();
                let (x, y, m) = self.desktop.pointer;
                let mut b = BytesMut::new();
                wire::mouse(
                    &mut b,
                    x,
                    y,
                    m,
                    self.conn.last_sent_ts.load(Ordering::SeqCst),
                );
                let b = b.freeze();
                self.broadcast(|u| {
                    if Some(&u.shared.id) == mover.as_ref() {
                        vec![]
                    } else {
                        vec![Out::Data(b.clone())]
                    }
                })
                .await;
            }
            self.ops.clear();
            return;
        }
        let mut head = BytesMut::with_capacity(self.ops.len() + 64 * self.prev_dirty.len());
        for r in self.prev_dirty.drain(..) {
            wire::copy(&mut head, 0, -1, r);
        }
        head.extend_from_slice(&self.ops);
        self.ops.clear();
        let mut chunks = Vec::with_capacity(1 + self.noise.len());
        chunks.push(head.freeze());
        chunks.append(&mut self.noise);
        let chunks = Arc::new(chunks);
        let ts = now_ms();
        self.conn.note_sync(ts, 1);
        self.last_frames = 1;
        let mut sync = BytesMut::new();
        wire::sync(&mut sync, ts, 1);
        let sync = sync.freeze();
        let with_mouse = if self.pointer_dirty {
            let (x, y, m) = self.desktop.pointer;
            let mut b = BytesMut::new();
            wire::mouse(&mut b, x, y, m, ts);
            b.extend_from_slice(&sync);
            Some(b.freeze())
        } else {
            None
        };
        let mover = self.mover.take();
        self.pointer_dirty = false;
        self.prev_dirty = std::mem::take(&mut self.dirty);
        self.broadcast(|u| {
            let tail = match &with_mouse {
                Some(m) if Some(&u.shared.id) != mover.as_ref() => m.clone(),
                _ => sync.clone(),
            };
            vec![Out::Chunks(chunks.clone()), Out::Data(tail)]
        })
        .await;
    }

    /// Gives every pending user the state replay and makes it a normal user (§2.5).
    async fn promote(&mut self) {
        self.flush().await;
        let pending: Vec<UserHandle> = self
            .users
            .iter()
            .filter(|u| u.shared.pending.load(Ordering::Relaxed))
            .cloned()
            .collect();
        if pending.is_empty() {
            return;
        }
        let replay = match &self.replay {
            Some(r) => r.data.others.slice(0..r.sent_others_end),
            None => {
                let mut extra = BytesMut::new();
                if let Some(i) = self.noise_last {
                    self.inner.assets.noise_replay(i, &mut extra);
                }
                let ts = self.conn.last_sent_ts.load(Ordering::SeqCst);
                self.desktop
                    .join_replay(&self.inner.assets.cursor_png, ts, self.last_frames, &extra)
                    .freeze()
            }
        };
        for u in pending {
            let ok = replay.is_empty() || self.send(&u, Out::Data(replay.clone())).await;
            u.shared.pending.store(false, Ordering::Relaxed);
            if !ok {
                u.stop.notify_one();
                self.remove_user(&u.shared.id).await;
            }
        }
        self.refresh_users();
    }

    fn replay_deadline(&self) -> Option<tokio::time::Instant> {
        let r = self.replay.as_ref()?;
        if r.done {
            return None;
        }
        let seg = r.data.segments.get(r.pos)?;
        Some(r.started + seg.at)
    }

    async fn replay_step(&mut self) {
        let Some(r) = self.replay.as_mut() else {
            return;
        };
        let Some(seg) = r.data.segments.get(r.pos).cloned() else {
            r.done = true;
            return;
        };
        let owner_bytes = r.data.owner.slice(seg.owner.clone());
        let other_bytes = r.data.others.slice(seg.others.clone());
        r.sent_others_end = seg.others.end;
        r.pos += 1;
        if r.pos >= r.data.segments.len() {
            if r.data.looped {
                r.pos = 0;
                r.started = tokio::time::Instant::now();
            } else {
                r.done = true;
            }
        }
        if let Some(ts) = seg.last_ts {
            self.conn.note_sync(ts, seg.syncs);
            self.last_frames = seg.last_frames;
            if let Some(p) = &self.inner.cfg.sync_probe {
                p.record(ts);
            }
        }
        self.broadcast(|u| {
            let b = if u.shared.owner {
                owner_bytes.clone()
            } else {
                other_bytes.clone()
            };
            if b.is_empty() {
                vec![]
            } else {
                vec![Out::Data(b)]
            }
        })
        .await;
    }
}
