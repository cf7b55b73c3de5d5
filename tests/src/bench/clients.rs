//! Benchmark clients that read a Guacamole stream as fast as they can and answer every
//! `sync` like a browser (`sync,<same timestamp>` back, at once):
//!
//! * [`run_direct`] — straight to a guacd (the simulator) over TCP, doing the guacd
//!   handshake itself, exactly what a gateway does: the baseline;
//! * [`run_ws`] — through a gateway's WebSocket tunnel (Porthole or guacamole-lite),
//!   as `Guacamole.WebSocketTunnel` does: one message per `sync` echo.
//!
//! Both count the instruction bytes received into shared [`Counters`] so a controller
//! can sample them at the edges of a measurement window, and stop when told.

use super::scan::SyncScanner;
use anyhow::{anyhow, bail, Context, Result};
use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use porthole_protocol::{encode, Limits, Parser};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A client-side WebSocket.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What a reading client has received so far.
#[derive(Debug, Default)]
pub struct Counters {
    /// Instruction bytes (TCP payload, or WebSocket message payload).
    pub bytes: AtomicU64,
    /// `sync`s received (and answered).
    pub syncs: AtomicU64,
}

impl Counters {
    /// `(bytes, syncs)` now.
    pub fn snapshot(&self) -> (u64, u64) {
        (self.bytes.load(Relaxed), self.syncs.load(Relaxed))
    }
}

/// The display a benchmark client asks for.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    pub width: u32,
    pub height: u32,
}

impl Default for Screen {
    fn default() -> Self {
        Screen {
            width: 1920,
            height: 1080,
        }
    }
}

fn sync_echo(out: &mut BytesMut, ts: &str) {
    encode(out, "sync", &[ts]);
}

/// Connects to a guacd and performs the owner's handshake for `vnc` as the recordings'
/// capture client did; returns the socket and any bytes received after `ready`.
pub async fn guacd_handshake(addr: SocketAddr, screen: Screen) -> Result<(TcpStream, BytesMut)> {
    let mut tcp = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to guacd at {addr}"))?;
    tcp.set_nodelay(true)?;
    let mut out = BytesMut::new();
    encode(&mut out, "select", &["vnc"]);
    tcp.write_all(&out).await?;
    out.clear();
    let mut parser = Parser::new(Limits::UPSTREAM);
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let args = expect(&mut tcp, &mut parser, &mut buf, "args").await?;
    let (w, h) = (screen.width.to_string(), screen.height.to_string());
    encode(&mut out, "size", &[w.as_str(), h.as_str(), "96"]);
    encode::<&str>(&mut out, "audio", &[]);
    encode::<&str>(&mut out, "video", &[]);
    encode(
        &mut out,
        "image",
        &["image/png", "image/jpeg", "image/webp"],
    );
    encode(&mut out, "timezone", &["UTC"]);
    encode(&mut out, "name", &["bench"]);
    let values: Vec<&str> = args
        .args()
        .map(|name| match name {
            n if n.starts_with("VERSION_") => "VERSION_1_5_0",
            "hostname" => "127.0.0.1",
            "port" => "5900",
            _ => "",
        })
        .collect();
    encode(&mut out, "connect", &values);
    tcp.write_all(&out).await?;
    expect(&mut tcp, &mut parser, &mut buf, "ready").await?;
    Ok((tcp, buf))
}

async fn expect(
    tcp: &mut TcpStream,
    parser: &mut Parser,
    buf: &mut BytesMut,
    opcode: &str,
) -> Result<porthole_protocol::Instruction> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        while let Some(i) = parser.next(buf)? {
            if i.opcode() == opcode {
                return Ok(i);
            }
            if i.opcode() == "error" {
                bail!("guacd refused the handshake: {:?}", i.arg(0));
            }
        }
        buf.reserve(8 * 1024);
        let n = tokio::time::timeout_at(deadline, tcp.read_buf(buf))
            .await
            .map_err(|_| anyhow!("no '{opcode}' from guacd within 15 s"))??;
        if n == 0 {
            bail!("guacd closed the connection before '{opcode}'");
        }
    }
}

/// Reads a guacd's stream directly (after [`guacd_handshake`]) until `stop` turns true
/// or the stream ends, answering every `sync` at once (all the echoes of one read in one
/// write).
pub async fn run_direct(
    addr: SocketAddr,
    screen: Screen,
    counters: &Counters,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let (mut tcp, first) = guacd_handshake(addr, screen).await?;
    let mut scanner = SyncScanner::new();
    let mut echoes = BytesMut::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut pending: Vec<u8> = first.to_vec();
    loop {
        if !pending.is_empty() {
            counters.bytes.fetch_add(pending.len() as u64, Relaxed);
            scanner.feed(&pending, |ts| sync_echo(&mut echoes, ts))?;
            pending.clear();
        }
        if !echoes.is_empty() {
            counters.syncs.fetch_add(scanner.syncs, Relaxed);
            scanner.syncs = 0;
            tcp.write_all(&echoes).await?;
            echoes.clear();
        }
        let n = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return Ok(()),
            r = tcp.read(&mut buf) => r?,
        };
        if n == 0 {
            return Ok(());
        }
        counters.bytes.fetch_add(n as u64, Relaxed);
        scanner.feed(&buf[..n], |ts| sync_echo(&mut echoes, ts))?;
    }
}

/// Opens a WebSocket tunnel (`guacamole` subprotocol, Nagle off like browsers).
pub async fn ws_connect(url: &str, read_buffer: usize) -> Result<Ws> {
    let mut req = url.into_client_request()?;
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("guacamole"),
    );
    let config = WebSocketConfig::default()
        .read_buffer_size(read_buffer)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
        .await
        .with_context(|| format!("WebSocket upgrade of {url} failed"))?;
    Ok(ws)
}

/// Reads a WebSocket tunnel until `stop` turns true or it closes, answering every
/// `sync` with its own message (as guacamole-common-js does), flushed once per
/// received message. Fails on a close before `stop`, with the close's reason.
pub async fn run_ws(url: &str, counters: &Counters, mut stop: watch::Receiver<bool>) -> Result<()> {
    let mut ws = ws_connect(url, 128 * 1024).await?;
    let mut scanner = SyncScanner::new();
    let mut echoes: Vec<String> = Vec::new();
    loop {
        let msg = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => None,
            m = ws.next() => Some(m),
        };
        let Some(msg) = msg else {
            let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
            return Ok(());
        };
        let data = match msg {
            None => bail!("the tunnel closed without a close frame"),
            Some(Err(e)) => bail!("the tunnel failed: {e}"),
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(c))) => bail!("the tunnel was closed: {c:?}"),
            Some(Ok(_)) => continue,
        };
        counters.bytes.fetch_add(data.len() as u64, Relaxed);
        scanner.feed(data.as_bytes(), |ts| {
            let mut b = BytesMut::new();
            sync_echo(&mut b, ts);
            echoes.push(String::from_utf8_lossy(&b).into_owned());
        })?;
        if !echoes.is_empty() {
            counters.syncs.fetch_add(echoes.len() as u64, Relaxed);
            for e in echoes.drain(..) {
                ws.feed(Message::text(e)).await?;
            }
            ws.flush().await?;
        }
    }
}
