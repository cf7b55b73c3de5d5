//! A guacd simulator faithful to `shared/docs/guacamole-wire.md` §2–§4, for
//! integration tests (in-process, on `127.0.0.1:0`) and benchmarks.
//!
//! # Use
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use porthole_testsuite::sim::{SimConfig, Simulator};
//! use std::time::Duration;
//! let sim = Simulator::start(SimConfig::default()).await?;
//! let guacd_addr = sim.addr(); // point the gateway here
//! // ... drive the gateway ...
//! let key = sim
//!     .wait_for_input(|r| r.opcode() == "key", Duration::from_secs(5))
//!     .await;
//! assert!(key.is_some_and(|r| r.accepted));
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Public API
//!
//! * [`Simulator::start`]`(SimConfig) -> io::Result<Simulator>` binds `cfg.listen`;
//!   [`Simulator::addr`] is the bound address.
//! * Observation: [`Simulator::connections`] (live connections and their users),
//!   [`Simulator::received`] (every instruction users sent after `ready`, with its
//!   [`Disposition`]), [`Simulator::handshakes`] (what each socket sent during the
//!   handshake), [`Simulator::clipboards`] (clipboard data from writable users), and the
//!   waiting forms [`Simulator::wait_for_input`], [`Simulator::wait_for_handshake`],
//!   [`Simulator::wait_until`]. Waits also consider what was recorded before the call.
//! * Control: [`Simulator::kill_connection`] (every user gets
//!   `error,Aborted. See logs.,<status>`, then close), [`Simulator::disconnect_user`],
//!   [`Simulator::broadcast`], [`Simulator::send_to_user`],
//!   [`Simulator::set_remote_clipboard`], [`Simulator::set_fault`],
//!   [`Simulator::shutdown`].
//!
//! # Behaviour
//!
//! * **Handshake** (§2): `select` first with one argument (else silent close) →
//!   `args,VERSION_1_5_0,<names>` (no version with [`SimConfig::legacy_args`], which
//!   also enforces the strict 1.0.0 order); `size`/`audio`/`video`/`image`/`timezone`/
//!   `name` in any order, repeated (last wins), unknown opcodes ignored, each read
//!   bounded by [`SimConfig::handshake_timeout`]; timeout, parse error or `size` with
//!   fewer than two arguments → silent close; `ready,$<uuid>` is sent *before* the
//!   `connect` count is checked (wrong count → close after `ready`); unknown protocol →
//!   no answer, socket kept open; unknown `$id` → `error,No such connection.,516`,
//!   close; joiners get the connection's own parameter names. The version slot maps through
//!   [`ProtocolVersion::from_wire`](porthole_protocol::handshake::ProtocolVersion::from_wire);
//!   the *owner's* version decides whether `msg` is sent.
//! * **Users** (§2.3–§2.5): the first user of a connection is its owner; joiners are
//!   pending until the next 250 ms tick, when they receive a state replay (cursor
//!   buffer, one full-screen PNG of the current screen, `copy 0→-1`, `multi-touch`,
//!   `cursor`, `mouse`, `sync,<last ts>,<frames>`) and join the broadcast. A ≥ 1.5.0
//!   owner gets `msg,1,<@id>,<name>` at join and `msg,2,…` at leave. A connection ends
//!   when its last user leaves, not when the owner does.
//! * **Display**: see [`desktop`]. Frames end with `sync,<monotonic ms>,<frames>`;
//!   images are PNG streams on odd indices 1 and 3, interleaved, blobs ≤ 8064 chars;
//!   each frame begins by copying the previous frame's dirty area into buffer -1.
//! * **Input** (§4): read-only users' `key`/`mouse`/`touch`/`size` are dropped;
//!   `clipboard`/`file`/`pipe`/`argv`/`audio` are refused with `ack,<i>,<text>,256` and
//!   so are their blobs; `sync`/`ack`/`nop`/`disconnect`/`end` are processed. Writable
//!   users: `mouse` moves the pointer (broadcast as `mouse,x,y,mask,ts` to the other
//!   users), key presses paint markers, `size` resizes (VNC: owner only), clipboard
//!   streams are recorded (not acknowledged, not echoed). Per-plugin rules of §4.2 for
//!   `file`/`pipe`/`argv`/`audio`/`touch`.
//! * **Timers** (§3.5): no instruction from a user for `user_timeout` →
//!   `error,User is not responding.,776`, `disconnect`, close; `nop` after
//!   `keepalive_interval` of output silence; a `sync` echo greater than the last
//!   timestamp sent → `disconnect`, close. Parse error or EOF → `disconnect`, close.
//! * **Replay**: see [`ReplaySource`]. The owner gets the recording byte for byte;
//!   joiners get everything broadcast so far in the current pass (without the
//!   recording's own `msg`s), then the live stream, at frame boundaries.
//!
//! # Simplifications
//!
//! * Every protocol shows the same synthetic desktop; terminal protocols send no
//!   `argv` streams (neither at start nor in the join replay) and nothing sends
//!   `required` by itself (inject it with [`Simulator::send_to_user`]).
//! * Frame output is not throttled by the users' processing lag (the lag is measured
//!   and exposed in [`UserInfo`]); a user whose queue stays full for `user_timeout` is
//!   dropped instead of stalling everyone forever.
//! * A new connection becomes joinable once the owner's `connect` count is checked
//!   (guacd registers it right after `select`).
//! * Writable users' clipboard streams are not acknowledged; RDP file uploads are
//!   acknowledged with a generic `OK`/0 per blob; `get`/`put` are always dropped
//!   (no filesystem objects are exposed).
//! * `nop` comes exactly `keepalive_interval` after the last output (guacd checks every
//!   5 s, so 5–10 s); the user timeout is measured per instruction read.
//! * An unknown protocol's socket is read and discarded (never answered) until the
//!   peer closes; the display is capped at 4096×4096; the bitrate filler draws into an
//!   extra buffer (-4), replayed to joiners as its last tile.

pub mod config;
mod connection;
pub mod desktop;
pub mod params;
pub mod records;
mod replay;
mod session;
mod tls;
mod wire;

#[cfg(test)]
mod tests;

pub use config::{Fault, Pacing, ProtocolDef, ReplaySource, SimConfig, SyncProbe, TlsIdentity};
pub use desktop::{BACKGROUND, WHITE};
pub use records::{
    ClipboardRecord, ConnectionInfo, Disposition, HandshakeOutcome, HandshakeRecord, ReceivedInput,
    UserInfo,
};

use bytes::Bytes;
use connection::{Cmd, ConnShared, UserShared};
use desktop::Assets;
use porthole_protocol::{Instruction, Status};
use replay::ReplayData;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, info};

/// Locks a mutex, ignoring poisoning (a panicked holder leaves plain data behind).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Resolves once the shutdown flag is set (or its sender is gone).
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// guacd-style timestamps: milliseconds of a monotonic clock with an arbitrary epoch.
pub fn now_ms() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    let base = BASE.get_or_init(Instant::now);
    // Start well above zero, as guacd's CLOCK_MONOTONIC does on a running host.
    1_000_000 + base.elapsed().as_millis() as u64
}

/// State shared by every task of one simulator.
pub(crate) struct Inner {
    pub cfg: SimConfig,
    fault: Mutex<Option<Fault>>,
    pub conns: Mutex<HashMap<String, Arc<ConnShared>>>,
    inputs: Mutex<VecDeque<ReceivedInput>>,
    seq: AtomicU64,
    handshakes: Mutex<Vec<HandshakeRecord>>,
    pub clipboards: Mutex<Vec<ClipboardRecord>>,
    /// Bumped whenever something observable changes; waiters subscribe.
    events: watch::Sender<u64>,
    pub shutdown: watch::Receiver<bool>,
    pub assets: Assets,
    pub replay: Option<Arc<ReplayData>>,
}

impl Inner {
    pub fn bump(&self) {
        self.events.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub fn fault(&self) -> Option<Fault> {
        lock(&self.fault).clone()
    }

    pub fn connection(&self, id: &str) -> Option<Arc<ConnShared>> {
        lock(&self.conns).get(id).cloned()
    }

    pub fn push_handshake(&self, rec: HandshakeRecord) {
        lock(&self.handshakes).push(rec);
        self.bump();
    }

    pub fn record_input(
        &self,
        connection_id: &str,
        user: &UserShared,
        instruction: Instruction,
        disposition: Disposition,
    ) {
        if !self.cfg.record_inputs {
            return;
        }
        let rec = ReceivedInput {
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
            connection_id: connection_id.to_owned(),
            user_id: user.id.clone(),
            user_name: user.name.clone(),
            owner: user.owner,
            read_only: user.read_only,
            instruction,
            accepted: disposition == Disposition::Processed,
            disposition,
            at: Instant::now(),
        };
        {
            let mut q = lock(&self.inputs);
            while q.len() >= self.cfg.max_recorded_inputs.max(1) {
                q.pop_front();
            }
            q.push_back(rec);
        }
        self.bump();
    }

    fn conn_of_user(&self, user_id: &str) -> Option<Arc<ConnShared>> {
        lock(&self.conns)
            .values()
            .find(|c| c.has_user(user_id))
            .cloned()
    }
}

/// A running guacd simulator. Dropping it stops it (like [`Simulator::shutdown`],
/// without waiting).
pub struct Simulator {
    inner: Arc<Inner>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    accept: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Loads the recording (if any), binds `cfg.listen` and starts accepting.
    pub async fn start(cfg: SimConfig) -> std::io::Result<Simulator> {
        let replay = match &cfg.replay {
            Some(src) => Some(Arc::new(ReplayData::load(src)?)),
            None => None,
        };
        let tls = cfg.tls.as_ref().map(tls::acceptor).transpose()?;
        let listener = TcpListener::bind(cfg.listen).await?;
        let addr = listener.local_addr()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let inner = Arc::new(Inner {
            fault: Mutex::new(cfg.fault.clone()),
            conns: Mutex::new(HashMap::new()),
            inputs: Mutex::new(VecDeque::new()),
            seq: AtomicU64::new(0),
            handshakes: Mutex::new(Vec::new()),
            clipboards: Mutex::new(Vec::new()),
            events: watch::channel(0).0,
            shutdown: shutdown_rx,
            assets: Assets::new(cfg.bitrate > 0),
            replay,
            cfg,
        });
        info!(%addr, tls = tls.is_some(), "guacd simulator listening");
        let accept = tokio::spawn(accept_loop(inner.clone(), listener, tls));
        Ok(Simulator {
            inner,
            addr,
            shutdown,
            accept: Some(accept),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.inner.cfg
    }

    /// Live connections, with their users.
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        lock(&self.inner.conns).values().map(|c| c.info()).collect()
    }

    /// One live connection.
    pub fn connection(&self, id: &str) -> Option<ConnectionInfo> {
        self.inner.connection(id).map(|c| c.info())
    }

    /// Every instruction received from users after `ready`, oldest first.
    pub fn received(&self) -> Vec<ReceivedInput> {
        lock(&self.inner.inputs).iter().cloned().collect()
    }

    /// Forgets the received instructions recorded so far.
    pub fn clear_received(&self) {
        lock(&self.inner.inputs).clear();
    }

    /// The first received instruction (already recorded or arriving within `timeout`)
    /// for which `pred` holds.
    pub async fn wait_for_input(
        &self,
        pred: impl Fn(&ReceivedInput) -> bool,
        timeout: Duration,
    ) -> Option<ReceivedInput> {
        self.wait_for(
            || lock(&self.inner.inputs).iter().find(|r| pred(r)).cloned(),
            timeout,
        )
        .await
    }

    /// Handshake records, in the order the handshakes ended.
    pub fn handshakes(&self) -> Vec<HandshakeRecord> {
        lock(&self.inner.handshakes).clone()
    }

    /// The first handshake record (existing or arriving within `timeout`) for which
    /// `pred` holds.
    pub async fn wait_for_handshake(
        &self,
        pred: impl Fn(&HandshakeRecord) -> bool,
        timeout: Duration,
    ) -> Option<HandshakeRecord> {
        self.wait_for(
            || {
                lock(&self.inner.handshakes)
                    .iter()
                    .find(|r| pred(r))
                    .cloned()
            },
            timeout,
        )
        .await
    }

    /// Waits until `cond(self)` holds (re-checked on every observable change); false
    /// on timeout.
    pub async fn wait_until(&self, cond: impl Fn(&Simulator) -> bool, timeout: Duration) -> bool {
        self.wait_for(|| cond(self).then_some(()), timeout)
            .await
            .is_some()
    }

    async fn wait_for<T>(
        &self,
        mut probe: impl FnMut() -> Option<T>,
        timeout: Duration,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = self.inner.events.subscribe();
        loop {
            rx.borrow_and_update();
            if let Some(v) = probe() {
                return Some(v);
            }
            // Connection snapshots also change without a bump (lag, echoes): poll too.
            let tick = tokio::time::sleep(Duration::from_millis(50));
            tokio::select! {
                _ = rx.changed() => {}
                _ = tick => {}
                _ = tokio::time::sleep_until(deadline) => return probe(),
            }
        }
    }

    /// Clipboard data received from writable users.
    pub fn clipboards(&self) -> Vec<ClipboardRecord> {
        lock(&self.inner.clipboards).clone()
    }

    /// Aborts a whole connection: every user gets `error,Aborted. See logs.,<status>`
    /// and is closed. False if there is no such connection.
    pub fn kill_connection(&self, id: &str, status: Status) -> bool {
        self.command(
            id,
            Cmd::Kill {
                status,
                message: "Aborted. See logs.".to_owned(),
            },
        )
    }

    /// Stops one user as guacd does on its `disconnect`: `disconnect`, then close.
    pub fn disconnect_user(&self, user_id: &str) -> bool {
        match self.inner.conn_of_user(user_id) {
            Some(c) => c
                .cmd
                .send(Cmd::Kick {
                    user_id: user_id.to_owned(),
                })
                .is_ok(),
            None => false,
        }
    }

    /// Sends raw instruction bytes to every attached (non-pending) user of a connection,
    /// between two frames.
    pub fn broadcast(&self, connection_id: &str, data: Bytes) -> bool {
        self.command(connection_id, Cmd::Broadcast { data })
    }

    /// Sends raw instruction bytes to one user, between two frames.
    pub fn send_to_user(&self, user_id: &str, data: Bytes) -> bool {
        match self.inner.conn_of_user(user_id) {
            Some(c) => c
                .cmd
                .send(Cmd::SendTo {
                    user_id: user_id.to_owned(),
                    data,
                })
                .is_ok(),
            None => false,
        }
    }

    /// The remote desktop's clipboard changes: every attached user receives a
    /// `clipboard` stream (index 1, `text/plain`) with `text`.
    pub fn set_remote_clipboard(&self, connection_id: &str, text: &str) -> bool {
        self.command(
            connection_id,
            Cmd::RemoteClipboard {
                mimetype: "text/plain".to_owned(),
                data: text.as_bytes().to_vec(),
            },
        )
    }

    /// Changes the misbehaviour applied to sockets accepted from now on.
    pub fn set_fault(&self, fault: Option<Fault>) {
        *lock(&self.inner.fault) = fault;
    }

    fn command(&self, connection_id: &str, cmd: Cmd) -> bool {
        match self.inner.connection(connection_id) {
            Some(c) => c.cmd.send(cmd).is_ok(),
            None => false,
        }
    }

    /// Stops accepting, closes every socket and waits (up to 2 s) for connections to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(h) = self.accept.take() {
            let _ = h.await;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while !lock(&self.inner.conns).is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn accept_loop(
    inner: Arc<Inner>,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let mut shutdown = inner.shutdown.clone();
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stopped(&mut shutdown) => break,
        };
        let _ = tcp.set_nodelay(true);
        let inner = inner.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            if inner.fault() == Some(Fault::Silent) {
                session::hold_silent(&inner, tcp).await;
                return;
            }
            match tls {
                None => session::serve(inner, tcp, peer).await,
                Some(acceptor) => {
                    let limit = inner.cfg.handshake_timeout;
                    match tokio::time::timeout(limit, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => session::serve(inner, stream, peer).await,
                        Ok(Err(e)) => debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
}
