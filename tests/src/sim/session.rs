//! One accepted socket: the guacd handshake (guacamole-wire.md §2), then the user's
//! input loop (§3.4, §3.5, §4).
//!
//! Handshake rules implemented: `select` must come first with exactly one argument
//! (otherwise silent close); an unknown protocol gets no answer at all; an unknown
//! `$id` gets `error,No such connection.,516`; `size`/`audio`/`video`/`image`/
//! `timezone`/`name` in any order, repeated (last wins), unknown opcodes ignored, each
//! read bounded by the handshake timeout; `size` with fewer than two arguments, a parse
//! error or a timeout closes silently; `ready` is sent *before* the `connect` count is
//! checked. In legacy mode the order is strict and there is no version slot.

use super::config::{Fault, ProtocolDef};
use super::connection::{self, Cmd, ConnShared, Out, UserHandle, UserShared};
use super::records::{ClipboardRecord, Disposition, HandshakeOutcome, HandshakeRecord};
use super::wire::{self, atoi};
use super::{desktop::Desktop, lock, now_ms, Inner};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::{Bytes, BytesMut};
use porthole_protocol::handshake::{HandshakeInstruction, ProtocolVersion, Size};
use porthole_protocol::opcode::ClientOpcode;
use porthole_protocol::{Instruction, Limits, ParseError, Parser};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tracing::debug;
use uuid::Uuid;

/// Largest display the simulator agrees to draw (memory bound).
const MAX_DIM: u32 = 4096;
/// Most bytes kept from one input stream.
const MAX_STREAM_DATA: usize = 16 * 1024 * 1024;

#[derive(Debug)]
pub(crate) enum ReadError {
    Timeout,
    Eof,
    Io(io::Error),
    Parse(ParseError),
    Shutdown,
}

/// A socket (or its read half) with a parser and its buffer.
pub(crate) struct Wire<S> {
    pub io: S,
    buf: BytesMut,
    parser: Parser,
    shutdown: watch::Receiver<bool>,
}

impl<S: AsyncRead + Unpin> Wire<S> {
    fn new(io: S, shutdown: watch::Receiver<bool>) -> Self {
        Wire {
            io,
            buf: BytesMut::with_capacity(16 * 1024),
            parser: Parser::new(Limits::LIBGUAC),
            shutdown,
        }
    }

    /// The next instruction; waits at most `limit` for it.
    async fn read(&mut self, limit: Duration) -> Result<Instruction, ReadError> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match self.parser.next(&mut self.buf) {
                Ok(Some(i)) => return Ok(i),
                Ok(None) => {}
                Err(e) => return Err(ReadError::Parse(e)),
            }
            if self.buf.capacity() - self.buf.len() < 4096 {
                self.buf.reserve(16 * 1024);
            }
            let n = tokio::select! {
                r = tokio::time::timeout_at(deadline, self.io.read_buf(&mut self.buf)) => match r {
                    Err(_) => return Err(ReadError::Timeout),
                    Ok(Err(e)) => return Err(ReadError::Io(e)),
                    Ok(Ok(n)) => n,
                },
                _ = super::stopped(&mut self.shutdown) => return Err(ReadError::Shutdown),
            };
            if n == 0 {
                return Err(ReadError::Eof);
            }
        }
    }

    /// Answers nothing, ever: reads and discards until the peer closes or shutdown.
    async fn hold_silent(&mut self) {
        let mut scratch = vec![0u8; 4096];
        loop {
            tokio::select! {
                r = self.io.read(&mut scratch) => match r {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                _ = super::stopped(&mut self.shutdown) => return,
            }
        }
    }
}

/// [`Fault::Silent`]: hold a socket without ever answering.
pub(crate) async fn hold_silent<S: AsyncRead + Unpin>(inner: &Inner, io: S) {
    Wire::new(io, inner.shutdown.clone()).hold_silent().await;
}

enum Target {
    New(ProtocolDef),
    Join(Arc<ConnShared>),
}

fn outcome_of(e: &ReadError) -> HandshakeOutcome {
    match e {
        ReadError::Timeout => HandshakeOutcome::Timeout,
        ReadError::Parse(_) => HandshakeOutcome::Malformed,
        ReadError::Eof | ReadError::Io(_) | ReadError::Shutdown => HandshakeOutcome::Closed,
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn clamp_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// Applies one handshake instruction other than `connect`.
fn apply(rec: &mut HandshakeRecord, i: &Instruction) -> Result<(), HandshakeOutcome> {
    if i.opcode() == "size" {
        // guacd's handler needs two arguments and reads them with atoi.
        if i.arg_count() < 2 {
            return Err(HandshakeOutcome::Malformed);
        }
        let n = |k: usize| clamp_u32(atoi(i.arg(k).unwrap_or("")));
        rec.size = Some(Size {
            width: n(0),
            height: n(1),
            dpi: if i.arg_count() > 2 { n(2) } else { 96 },
        });
        return Ok(());
    }
    match HandshakeInstruction::parse(i) {
        Ok(HandshakeInstruction::Audio(v)) => rec.audio = Some(v),
        Ok(HandshakeInstruction::Video(v)) => rec.video = Some(v),
        Ok(HandshakeInstruction::Image(v)) => rec.image = Some(v),
        Ok(HandshakeInstruction::Timezone(t)) => rec.timezone = non_empty(t),
        Ok(HandshakeInstruction::Name(n)) => rec.name = non_empty(n),
        // Anything else is ignored during the handshake, as guacd does.
        _ => {}
    }
    Ok(())
}

async fn negotiate<S: AsyncRead + Unpin>(
    wire: &mut Wire<S>,
    rec: &mut HandshakeRecord,
    legacy: bool,
    limit: Duration,
) -> Result<Instruction, HandshakeOutcome> {
    const LEGACY_ORDER: [&str; 5] = ["size", "audio", "video", "image", "connect"];
    let mut step = 0usize;
    loop {
        let i = wire.read(limit).await.map_err(|e| outcome_of(&e))?;
        rec.order.push(i.opcode().to_owned());
        if legacy {
            if LEGACY_ORDER.get(step) != Some(&i.opcode()) {
                return Err(HandshakeOutcome::Malformed);
            }
            step += 1;
        }
        if i.opcode() == "connect" {
            return Ok(i);
        }
        apply(rec, &i)?;
    }
}

async fn write_and_close<S: AsyncWrite + Unpin>(io: &mut S, data: &[u8]) {
    let _ = io.write_all(data).await;
    let _ = io.flush().await;
    let _ = io.shutdown().await;
}

/// The owner's normal output, for [`Fault::CloseMidFrame`].
fn owner_output(inner: &Inner, size: (u32, u32), at_least: usize) -> Bytes {
    if let Some(r) = &inner.replay {
        return r.owner.clone();
    }
    let mut d = Desktop::new(size.0, size.1);
    let ts = now_ms();
    let mut buf = d.initial_frames(&inner.assets.cursor_png, ts, ts);
    let mut n = 0;
    while buf.len() <= at_least && n < 100_000 {
        let mut dirty = Vec::new();
        d.march(n, &mut buf, &mut dirty);
        wire::sync(&mut buf, ts + n + 1, 1);
        n += 1;
    }
    buf.freeze()
}

/// Serves one accepted (and, with TLS, decrypted) socket until it closes.
pub(crate) async fn serve<S>(inner: Arc<Inner>, io: S, peer: SocketAddr)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let cfg = &inner.cfg;
    let hs_limit = cfg.handshake_timeout;
    let mut wire = Wire::new(io, inner.shutdown.clone());
    let first = match wire.read(hs_limit).await {
        Ok(i) => i,
        Err(e) => {
            debug!(%peer, ?e, "closed before select");
            return;
        }
    };
    if first.opcode() != "select" || first.arg_count() != 1 {
        debug!(%peer, opcode = first.opcode(), "first instruction is not a valid select");
        return;
    }
    let select = first.arg(0).unwrap_or("").to_owned();
    let mut rec = HandshakeRecord::new(peer, select.clone());
    let fault = inner.fault();
    if fault == Some(Fault::CloseAfterSelect) {
        rec.outcome = HandshakeOutcome::Faulted;
        inner.push_handshake(rec);
        return;
    }
    let target = if rec.join {
        match inner.connection(&select) {
            Some(c) => Target::Join(c),
            None => {
                rec.outcome = HandshakeOutcome::NoSuchConnection;
                inner.push_handshake(rec);
                write_and_close(&mut wire.io, &wire::error("No such connection.", 516)).await;
                return;
            }
        }
    } else {
        match cfg.protocols.iter().find(|p| p.name == select) {
            Some(p) => Target::New(p.clone()),
            None => {
                debug!(%peer, protocol = %select, "unknown protocol: staying silent");
                rec.outcome = HandshakeOutcome::UnknownProtocol;
                inner.push_handshake(rec);
                wire.hold_silent().await;
                return;
            }
        }
    };
    let (protocol, names) = match &target {
        Target::New(p) => (p.name.clone(), Arc::new(p.params.clone())),
        Target::Join(c) => (c.protocol.clone(), c.params.clone()),
    };
    let legacy = cfg.legacy_args;
    let mut args = BytesMut::new();
    {
        let mut w = porthole_protocol::InstructionWriter::new(&mut args, "args");
        if !legacy {
            w.arg(ProtocolVersion::V1_5_0.as_wire());
        }
        for n in names.iter() {
            w.arg(n);
        }
        w.finish();
    }
    if wire.io.write_all(&args).await.is_err() || wire.io.flush().await.is_err() {
        rec.outcome = HandshakeOutcome::Closed;
        inner.push_handshake(rec);
        return;
    }

    let connect = match negotiate(&mut wire, &mut rec, legacy, hs_limit).await {
        Ok(c) => c,
        Err(outcome) => {
            debug!(%peer, ?outcome, "handshake failed");
            rec.outcome = outcome;
            inner.push_handshake(rec);
            let _ = wire.io.shutdown().await;
            return;
        }
    };
    rec.connect_args = connect.args().map(str::to_owned).collect();
    let values: &[String] = if legacy {
        &rec.connect_args
    } else {
        rec.version_string = Some(rec.connect_args.first().cloned().unwrap_or_default());
        rec.version = rec
            .version_string
            .as_deref()
            .and_then(ProtocolVersion::from_wire);
        rec.connect_args.get(1..).unwrap_or(&[])
    };
    let count_ok = values.len() == names.len();
    let values: BTreeMap<String, String> = if count_ok {
        names.iter().cloned().zip(values.iter().cloned()).collect()
    } else {
        BTreeMap::new()
    };
    let conn_id = match &target {
        Target::Join(c) => c.id.clone(),
        Target::New(_) => format!("${}", Uuid::new_v4()),
    };
    let user_id = format!("@{}", Uuid::new_v4());
    rec.connection_id = Some(conn_id.clone());
    rec.user_id = Some(user_id.clone());
    let is_new = matches!(target, Target::New(_));
    if is_new && fault == Some(Fault::NoReady) {
        rec.outcome = HandshakeOutcome::Faulted;
        inner.push_handshake(rec);
        wire.hold_silent().await;
        return;
    }
    // guacd sends ready before checking the count (§2.1).
    let mut ready = BytesMut::new();
    HandshakeInstruction::Ready(conn_id.clone()).encode(&mut ready);
    if wire.io.write_all(&ready).await.is_err() || wire.io.flush().await.is_err() {
        rec.outcome = HandshakeOutcome::Closed;
        inner.push_handshake(rec);
        return;
    }
    if !count_ok {
        debug!(%peer, got = connect.arg_count(), "connect argument count mismatch");
        rec.outcome = HandshakeOutcome::ArgCountMismatch;
        inner.push_handshake(rec);
        let _ = wire.io.shutdown().await;
        return;
    }
    let flag = |name: &str| values.get(name).map(String::as_str) == Some("true");
    rec.read_only = flag("read-only");
    rec.connect_values = values.clone();
    let size = match rec.size {
        Some(s) if s.width > 0 && s.height > 0 => (s.width.min(MAX_DIM), s.height.min(MAX_DIM)),
        _ => cfg.default_size,
    };
    if is_new {
        match &fault {
            Some(Fault::ErrorAfterReady { message, status }) => {
                rec.outcome = HandshakeOutcome::Faulted;
                inner.push_handshake(rec);
                write_and_close(&mut wire.io, &wire::error(message, status.code())).await;
                return;
            }
            Some(Fault::CloseMidFrame { after_bytes }) => {
                rec.outcome = HandshakeOutcome::Faulted;
                inner.push_handshake(rec);
                let out = owner_output(&inner, size, *after_bytes);
                let n = (*after_bytes).min(out.len());
                let _ = wire.io.write_all(&out[..n]).await;
                let _ = wire.io.flush().await;
                return; // dropping the socket closes it
            }
            _ => {}
        }
    }

    // Attach the user.
    let Wire {
        io,
        buf,
        parser,
        shutdown,
    } = wire;
    let (rd, wr) = tokio::io::split(io);
    let reader = Wire {
        io: rd,
        buf,
        parser,
        shutdown,
    };
    let (tx, rx) = mpsc::channel(cfg.channel_capacity.max(1));
    let writer = tokio::spawn(writer_task(wr, rx, cfg.keepalive_interval));
    let user = Arc::new(UserShared::new(
        user_id,
        rec.name.clone(),
        is_new,
        rec.read_only,
        rec.version,
    ));
    let stop = Arc::new(Notify::new());
    let handle = UserHandle {
        shared: user.clone(),
        tx: tx.clone(),
        stop: stop.clone(),
    };
    let conn = match target {
        Target::New(_) => connection::start(&inner, conn_id, &protocol, names, handle, size),
        Target::Join(c) => {
            let (reply, rx) = oneshot::channel();
            let sent = c.cmd.send(Cmd::Join {
                user: handle,
                reply,
            });
            if sent.is_err() || rx.await.is_err() {
                rec.outcome = HandshakeOutcome::ConnectionGone;
                inner.push_handshake(rec);
                let _ = tx.send(Out::Close).await;
                let _ = writer.await;
                return;
            }
            c
        }
    };
    rec.outcome = HandshakeOutcome::Ready;
    inner.push_handshake(rec);
    let session = Session {
        inner: inner.clone(),
        kind: Kind::of(&conn.protocol),
        conn,
        user,
        tx,
        streams: HashMap::new(),
        disable_paste: flag("disable-paste"),
        enable_touch: flag("enable-touch"),
        enable_audio_input: flag("enable-audio-input"),
        disable_display_resize: flag("disable-display-resize"),
    };
    session.run(reader, stop, writer).await;
}

/// Writes a user's queue to its socket; `nop` after `keepalive` of silence (§3.5).
async fn writer_task<W: AsyncWrite + Unpin>(
    mut w: W,
    mut rx: mpsc::Receiver<Out>,
    keepalive: Duration,
) {
    const DIRECT: usize = 32 * 1024;
    let nop = wire::bare("nop");
    let mut batch = Vec::with_capacity(64);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    async fn put<W: AsyncWrite + Unpin>(
        w: &mut W,
        buf: &mut BytesMut,
        b: &Bytes,
    ) -> io::Result<()> {
        if b.len() >= DIRECT {
            if !buf.is_empty() {
                w.write_all(buf).await?;
                buf.clear();
            }
            w.write_all(b).await
        } else {
            buf.extend_from_slice(b);
            if buf.len() >= DIRECT {
                w.write_all(buf).await?;
                buf.clear();
            }
            Ok(())
        }
    }
    'outer: loop {
        let n = match tokio::time::timeout(keepalive, rx.recv_many(&mut batch, 64)).await {
            Err(_) => {
                if w.write_all(&nop).await.is_err() || w.flush().await.is_err() {
                    break;
                }
                continue;
            }
            Ok(n) => n,
        };
        if n == 0 {
            break;
        }
        let mut close = false;
        for out in batch.drain(..) {
            let r = match out {
                Out::Data(b) => put(&mut w, &mut buf, &b).await,
                Out::Chunks(c) => {
                    let mut r = Ok(());
                    for b in c.iter() {
                        r = put(&mut w, &mut buf, b).await;
                        if r.is_err() {
                            break;
                        }
                    }
                    r
                }
                Out::Close => {
                    close = true;
                    break;
                }
            };
            if r.is_err() {
                break 'outer;
            }
        }
        if !buf.is_empty() {
            if w.write_all(&buf).await.is_err() {
                break;
            }
            buf.clear();
        }
        if w.flush().await.is_err() || close {
            break;
        }
    }
    let _ = w.shutdown().await;
}

/// Which plugin's input rules apply (guacamole-wire.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Vnc,
    Rdp,
    /// SSH, telnet, Kubernetes.
    Terminal,
}

impl Kind {
    fn of(protocol: &str) -> Kind {
        match protocol {
            "rdp" => Kind::Rdp,
            "ssh" | "telnet" | "kubernetes" => Kind::Terminal,
            _ => Kind::Vnc,
        }
    }

    /// Parameters that may be changed with an `argv` stream.
    fn tunable(self, name: &str) -> bool {
        match self {
            Kind::Vnc => matches!(name, "username" | "password"),
            Kind::Rdp => matches!(name, "username" | "password" | "domain"),
            Kind::Terminal => matches!(name, "color-scheme" | "font-name" | "font-size"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Clipboard,
    File,
    Pipe,
    Argv,
    Audio,
}

struct InStream {
    purpose: Purpose,
    /// Refused at open: every blob gets the same refusal.
    refused: Option<&'static str>,
    mimetype: String,
    data: Vec<u8>,
}

enum StopReason {
    Eof,
    ParseError,
    Timeout,
    Disconnect,
    BadSync,
    Stopped,
    Shutdown,
}

enum Flow {
    Continue,
    Stop(StopReason),
}

struct Session {
    inner: Arc<Inner>,
    conn: Arc<ConnShared>,
    user: Arc<UserShared>,
    tx: mpsc::Sender<Out>,
    kind: Kind,
    streams: HashMap<i64, InStream>,
    disable_paste: bool,
    enable_touch: bool,
    enable_audio_input: bool,
    disable_display_resize: bool,
}

impl Session {
    async fn run<R: AsyncRead + Unpin>(
        mut self,
        mut reader: Wire<R>,
        stop: Arc<Notify>,
        mut writer: tokio::task::JoinHandle<()>,
    ) {
        let limit = self.inner.cfg.user_timeout;
        let reason = loop {
            let r = tokio::select! {
                r = reader.read(limit) => r,
                _ = stop.notified() => break StopReason::Stopped,
            };
            match r {
                Ok(i) => {
                    if let Flow::Stop(r) = self.handle(i).await {
                        break r;
                    }
                }
                Err(ReadError::Timeout) => break StopReason::Timeout,
                Err(ReadError::Eof) => break StopReason::Eof,
                Err(ReadError::Io(e)) => {
                    debug!(user = %self.user.id, error = %e, "read failed");
                    break StopReason::Eof;
                }
                Err(ReadError::Parse(e)) => {
                    debug!(user = %self.user.id, error = %e, "unparseable input");
                    break StopReason::ParseError;
                }
                Err(ReadError::Shutdown) => break StopReason::Shutdown,
            }
        };
        let mut last: Vec<Bytes> = Vec::new();
        match reason {
            StopReason::Timeout => {
                last.push(wire::error("User is not responding.", 776));
                last.push(wire::bare("disconnect"));
            }
            StopReason::Eof
            | StopReason::ParseError
            | StopReason::Disconnect
            | StopReason::BadSync => last.push(wire::bare("disconnect")),
            StopReason::Stopped | StopReason::Shutdown => {}
        }
        if !matches!(reason, StopReason::Stopped) {
            let limit = Duration::from_secs(1);
            let mut ok = true;
            for b in last {
                ok = ok
                    && matches!(
                        tokio::time::timeout(limit, self.tx.send(Out::Data(b))).await,
                        Ok(Ok(()))
                    );
            }
            if !ok
                || tokio::time::timeout(limit, self.tx.send(Out::Close))
                    .await
                    .is_err()
            {
                writer.abort();
            }
        }
        let _ = self.conn.cmd.send(Cmd::Leave {
            user_id: self.user.id.clone(),
        });
        drop(self.tx);
        if tokio::time::timeout(Duration::from_secs(5), &mut writer)
            .await
            .is_err()
        {
            writer.abort();
        }
        drop(reader);
    }

    async fn reply(&self, b: Bytes) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.tx.send(Out::Data(b))).await;
    }

    async fn handle(&mut self, instr: Instruction) -> Flow {
        let (disposition, flow) = self.dispatch(&instr).await;
        self.inner
            .record_input(&self.conn.id, &self.user, instr, disposition);
        flow
    }

    async fn refuse(&mut self, stream: i64, text: &'static str, purpose: Purpose) -> Disposition {
        self.streams.insert(
            stream,
            InStream {
                purpose,
                refused: Some(text),
                mimetype: String::new(),
                data: Vec::new(),
            },
        );
        self.reply(wire::ack(stream, text, 256)).await;
        Disposition::Refused { status: 256 }
    }

    fn open(&mut self, stream: i64, purpose: Purpose, mimetype: &str) {
        self.streams.insert(
            stream,
            InStream {
                purpose,
                refused: None,
                mimetype: mimetype.to_owned(),
                data: Vec::new(),
            },
        );
    }

    async fn dispatch(&mut self, instr: &Instruction) -> (Disposition, Flow) {
        use Disposition::*;
        let cont = |d| (d, Flow::Continue);
        let Some(op) = ClientOpcode::from_opcode(instr.opcode()) else {
            return cont(Ignored);
        };
        if op == ClientOpcode::Internal {
            return cont(Ignored);
        }
        if op.arity().is_some_and(|n| instr.arg_count() < n) {
            return cont(Malformed);
        }
        let a = |i: usize| instr.arg(i).unwrap_or("");
        let ro = self.user.read_only;
        let owner = self.user.owner;
        let stream = op.stream_arg().map(|i| atoi(a(i)));
        if let Some(s) = stream {
            if !(0..i64::from(porthole_protocol::opcode::MAX_STREAMS)).contains(&s) {
                self.reply(wire::ack(s, "Invalid stream index", 768)).await;
                return cont(Refused { status: 768 });
            }
        }
        let s = stream.unwrap_or(0);
        let d = match op {
            ClientOpcode::Key => {
                if ro {
                    Dropped
                } else {
                    if atoi(a(1)) != 0 {
                        let keysym = u32::try_from(atoi(a(0))).unwrap_or(0);
                        let _ = self.conn.cmd.send(Cmd::Key { keysym });
                    }
                    Processed
                }
            }
            ClientOpcode::Mouse => {
                if ro {
                    Dropped
                } else {
                    let _ = self.conn.cmd.send(Cmd::Mouse {
                        user_id: self.user.id.clone(),
                        x: atoi(a(0)),
                        y: atoi(a(1)),
                        mask: atoi(a(2)),
                    });
                    Processed
                }
            }
            ClientOpcode::Touch => {
                if !ro && self.kind == Kind::Rdp && self.enable_touch {
                    Processed
                } else {
                    Dropped
                }
            }
            ClientOpcode::Size => {
                let allowed = !ro
                    && match self.kind {
                        Kind::Vnc => owner && !self.disable_display_resize,
                        Kind::Rdp | Kind::Terminal => true,
                    };
                let (w, h) = (atoi(a(0)), atoi(a(1)));
                let valid =
                    (1..=i64::from(MAX_DIM)).contains(&w) && (1..=i64::from(MAX_DIM)).contains(&h);
                if allowed && valid {
                    let _ = self.conn.cmd.send(Cmd::Resize {
                        w: clamp_u32(w),
                        h: clamp_u32(h),
                    });
                    Processed
                } else {
                    Dropped
                }
            }
            ClientOpcode::Clipboard => {
                if !ro && !self.disable_paste {
                    self.open(s, Purpose::Clipboard, a(1));
                    Processed
                } else {
                    self.refuse(s, "Clipboard unsupported", Purpose::Clipboard)
                        .await
                }
            }
            ClientOpcode::File => {
                if !ro && self.kind == Kind::Rdp {
                    self.open(s, Purpose::File, a(1));
                    self.reply(wire::ack(s, "OK", 0)).await;
                    Processed
                } else {
                    self.refuse(s, "File transfer unsupported", Purpose::File)
                        .await
                }
            }
            ClientOpcode::Pipe => {
                if !ro && self.kind != Kind::Vnc {
                    self.open(s, Purpose::Pipe, a(1));
                    Processed
                } else {
                    self.refuse(s, "Named pipes unsupported", Purpose::Pipe)
                        .await
                }
            }
            ClientOpcode::Audio => {
                if owner && self.kind == Kind::Rdp && self.enable_audio_input {
                    self.open(s, Purpose::Audio, a(1));
                    Processed
                } else {
                    self.refuse(s, "Audio input unsupported", Purpose::Audio)
                        .await
                }
            }
            ClientOpcode::Argv => {
                let allowed = match self.kind {
                    Kind::Vnc => owner,
                    Kind::Rdp => owner && !ro,
                    Kind::Terminal => !ro,
                };
                if !allowed {
                    self.refuse(
                        s,
                        "Reconfiguring in-progress connections unsupported",
                        Purpose::Argv,
                    )
                    .await
                } else if self.kind.tunable(a(2)) {
                    self.open(s, Purpose::Argv, a(1));
                    self.reply(wire::ack(s, "Ready for updated parameter.", 0))
                        .await;
                    Processed
                } else {
                    self.reply(wire::ack(s, "Not allowed.", 771)).await;
                    Refused { status: 771 }
                }
            }
            ClientOpcode::Put | ClientOpcode::Get => Dropped,
            ClientOpcode::Blob => match self.streams.get_mut(&s) {
                Some(st) => match st.refused {
                    Some(text) => {
                        self.reply(wire::ack(s, text, 256)).await;
                        Refused { status: 256 }
                    }
                    None => {
                        if let Ok(bytes) = STANDARD.decode(a(1)) {
                            if st.data.len() + bytes.len() <= MAX_STREAM_DATA {
                                st.data.extend_from_slice(&bytes);
                            }
                        }
                        if st.purpose == Purpose::File {
                            self.reply(wire::ack(s, "OK", 0)).await;
                        }
                        Processed
                    }
                },
                None => Dropped,
            },
            ClientOpcode::End => {
                if let Some(st) = self.streams.remove(&s) {
                    if st.purpose == Purpose::Clipboard && st.refused.is_none() {
                        lock(&self.inner.clipboards).push(ClipboardRecord {
                            connection_id: self.conn.id.clone(),
                            user_id: self.user.id.clone(),
                            mimetype: st.mimetype,
                            data: st.data,
                        });
                        self.inner.bump();
                    }
                }
                Processed
            }
            ClientOpcode::Ack | ClientOpcode::Nop => Processed,
            ClientOpcode::Sync => {
                let ts = atoi(a(0));
                let last = self.conn.last_sent_ts.load(Ordering::SeqCst);
                if ts > 0 && ts as u64 > last {
                    debug!(user = %self.user.id, ts, last, "sync for a frame never sent");
                    return (Fatal, Flow::Stop(StopReason::BadSync));
                }
                if ts >= 0 {
                    let ts = ts as u64;
                    self.user.last_echo.store(ts, Ordering::Relaxed);
                    if let Some(lag) = self.conn.lag_for(ts) {
                        self.user.lag_ms.store(lag, Ordering::Relaxed);
                    }
                }
                Processed
            }
            ClientOpcode::Disconnect => return (Processed, Flow::Stop(StopReason::Disconnect)),
            ClientOpcode::Internal => Ignored,
        };
        cont(d)
    }
}
