//! A headless Guacamole client over the WebSocket tunnel, for tests and load harnesses.
//!
//! It speaks to Porthole exactly as `Guacamole.WebSocketTunnel` does: subprotocol
//! `guacamole`, one instruction per sent message, internal `ping`s. Received messages are
//! parsed with the project's own parser; [`Display`] applies what it receives (`size`,
//! `img`/`blob`/`end` PNGs, `rect`+`cfill`, `copy`) to RGBA layers so tests can compare
//! pixels.

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use porthole_protocol::{encode_to_bytes, Instruction, Limits, Parser};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How the tunnel closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The WebSocket close code (1006 when the connection dropped without one).
    pub code: u16,
    /// The reason: the decimal Guacamole status for Porthole.
    pub reason: String,
}

impl Closed {
    /// The Guacamole status carried as the reason.
    pub fn status(&self) -> Option<u16> {
        self.reason.parse().ok()
    }
}

/// One tunnel.
pub struct GuacClient {
    ws: Ws,
    parser: Parser,
    buf: BytesMut,
    pending: VecDeque<Instruction>,
    /// The tunnel UUID, once received.
    pub uuid: Option<String>,
    closed: Option<Closed>,
    /// Bytes received in text frames.
    pub bytes_received: u64,
    /// The JSON of the last `porthole-roster` instruction received.
    pub last_roster: Option<String>,
}

/// Options for opening a tunnel.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// Origin header to send (none by default, as a non-browser client).
    pub origin: Option<String>,
}

impl GuacClient {
    /// Opens `url` (a `ws://…/websocket-tunnel?…` URL).
    pub async fn connect(url: &str) -> Result<GuacClient> {
        Self::connect_with(url, ConnectOptions::default()).await
    }

    /// Opens a `wss://` URL trusting only `root_pem` (a test CA or self-signed cert).
    pub async fn connect_tls(url: &str, root_pem: &str) -> Result<GuacClient> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut root_pem.as_bytes()) {
            roots.add(cert?)?;
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut req = url.into_client_request()?;
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("guacamole"),
        );
        let connector = tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(cfg));
        let (ws, _) =
            tokio_tungstenite::connect_async_tls_with_config(req, None, false, Some(connector))
                .await
                .context("secure websocket upgrade failed")?;
        Ok(Self::from_ws(ws))
    }

    fn from_ws(ws: Ws) -> GuacClient {
        GuacClient {
            ws,
            parser: Parser::new(Limits::UPSTREAM),
            buf: BytesMut::new(),
            pending: VecDeque::new(),
            uuid: None,
            closed: None,
            bytes_received: 0,
            last_roster: None,
        }
    }

    /// Opens `url` with options. Fails if the upgrade is refused.
    pub async fn connect_with(url: &str, opts: ConnectOptions) -> Result<GuacClient> {
        let mut req = url.into_client_request()?;
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("guacamole"),
        );
        if let Some(o) = &opts.origin {
            req.headers_mut()
                .insert("Origin", HeaderValue::from_str(o)?);
        }
        let (ws, resp) = tokio_tungstenite::connect_async(req)
            .await
            .context("websocket upgrade failed")?;
        let proto = resp
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok());
        if proto != Some("guacamole") {
            bail!("server did not select the guacamole subprotocol (got {proto:?})");
        }
        Ok(Self::from_ws(ws))
    }

    /// Sends one instruction in its own message.
    pub async fn send(&mut self, opcode: &str, args: &[&str]) -> Result<()> {
        let b = encode_to_bytes(opcode, args);
        self.send_raw(std::str::from_utf8(&b)?).await
    }

    /// Sends arbitrary text as one message.
    pub async fn send_raw(&mut self, text: &str) -> Result<()> {
        self.ws.send(Message::text(text.to_owned())).await?;
        Ok(())
    }

    /// Sends arbitrary bytes as a binary message.
    pub async fn send_binary(&mut self, data: Vec<u8>) -> Result<()> {
        self.ws.send(Message::binary(data)).await?;
        Ok(())
    }

    /// The close, once it happened.
    pub fn closed(&self) -> Option<&Closed> {
        self.closed.as_ref()
    }

    /// Next instruction (internal ones included), or `None` once closed. Errors on
    /// timeout.
    pub async fn next(&mut self, timeout: Duration) -> Result<Option<Instruction>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(i) = self.pending.pop_front() {
                return Ok(Some(i));
            }
            if self.closed.is_some() {
                return Ok(None);
            }
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .map_err(|_| anyhow!("no instruction within {timeout:?}"))?;
            match msg {
                None => {
                    self.closed.get_or_insert(Closed {
                        code: 1006,
                        reason: String::new(),
                    });
                }
                Some(Err(_)) => {
                    self.closed.get_or_insert(Closed {
                        code: 1006,
                        reason: String::new(),
                    });
                }
                Some(Ok(Message::Text(t))) => {
                    self.bytes_received += t.len() as u64;
                    self.buf.extend_from_slice(t.as_bytes());
                    while let Some(i) = self.parser.next(&mut self.buf)? {
                        if i.opcode().is_empty() && self.uuid.is_none() && i.arg_count() == 1 {
                            self.uuid = i.arg(0).map(str::to_owned);
                        }
                        if i.opcode() == "porthole-roster" {
                            self.last_roster = i.arg(0).map(str::to_owned);
                        }
                        self.pending.push_back(i);
                    }
                }
                Some(Ok(Message::Close(c))) => {
                    let (code, reason) = match c {
                        Some(f) => (u16::from(f.code), f.reason.to_string()),
                        None => (u16::from(CloseCode::Status), String::new()),
                    };
                    self.closed = Some(Closed { code, reason });
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Skips instructions until one with `opcode` arrives.
    pub async fn wait_for(&mut self, opcode: &str, timeout: Duration) -> Result<Instruction> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await? {
                Some(i) if i.opcode() == opcode => return Ok(i),
                Some(_) => {}
                None => bail!("tunnel closed ({:?}) before '{opcode}'", self.closed),
            }
        }
    }

    /// Reads until the tunnel closes; returns the close.
    pub async fn wait_closed(&mut self, timeout: Duration) -> Result<Closed> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if self.next(left).await?.is_none() {
                return self.closed.clone().ok_or_else(|| anyhow!("not closed"));
            }
        }
    }

    /// Reads until the first `sync`, applying everything to `display`; answers the
    /// sync as a browser does.
    pub async fn read_frame(&mut self, display: &mut Display, timeout: Duration) -> Result<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await? {
                Some(i) if i.opcode() == "sync" => {
                    let ts = i.arg(0).unwrap_or("0").to_owned();
                    self.send("sync", &[&ts]).await?;
                    return Ok(ts);
                }
                Some(i) => display.apply(&i)?,
                None => bail!("tunnel closed ({:?}) before a frame", self.closed),
            }
        }
    }

    /// Closes the WebSocket.
    pub async fn close(&mut self) -> Result<()> {
        let _ = self.ws.close(None).await;
        Ok(())
    }
}

/// An RGBA layer.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl Layer {
    fn resize(&mut self, w: u32, h: u32) {
        let mut n = vec![0u8; (w as usize) * (h as usize) * 4];
        for y in 0..h.min(self.height) {
            for x in 0..w.min(self.width) {
                let s = ((y * self.width + x) * 4) as usize;
                let d = ((y * w + x) * 4) as usize;
                n[d..d + 4].copy_from_slice(&self.rgba[s..s + 4]);
            }
        }
        self.width = w;
        self.height = h;
        self.rgba = n;
    }

    /// The RGB of a pixel.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = ((y * self.width + x) * 4) as usize;
        Some([self.rgba[i], self.rgba[i + 1], self.rgba[i + 2]])
    }

    fn put(&mut self, x: i64, y: i64, px: [u8; 4]) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let i = ((y as u32 * self.width + x as u32) * 4) as usize;
        self.rgba[i..i + 4].copy_from_slice(&px);
    }
}

struct PendingImage {
    layer: i64,
    x: i64,
    y: i64,
    mimetype: String,
    data: Vec<u8>,
}

/// The drawing state a browser would hold: layers and buffers, open image streams.
#[derive(Default)]
pub struct Display {
    pub layers: HashMap<i64, Layer>,
    streams: HashMap<String, PendingImage>,
    path: Option<(i64, i64, i64, i64, i64)>,
    /// Count of instructions applied, by opcode.
    pub counts: HashMap<String, u64>,
}

impl Display {
    /// The default layer (0).
    pub fn screen(&self) -> Option<&Layer> {
        self.layers.get(&0)
    }

    fn layer(&mut self, i: i64) -> &mut Layer {
        self.layers.entry(i).or_default()
    }

    /// Applies one server instruction.
    pub fn apply(&mut self, i: &Instruction) -> Result<()> {
        *self.counts.entry(i.opcode().to_owned()).or_default() += 1;
        let n = |k: usize| -> Result<i64> {
            i.arg(k)
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| anyhow!("{}: argument {k} is not a number", i.opcode()))
        };
        match i.opcode() {
            "size" if i.arg_count() >= 3 => {
                let (l, w, h) = (n(0)?, n(1)?, n(2)?);
                self.layer(l)
                    .resize(w.clamp(0, 16384) as u32, h.clamp(0, 16384) as u32);
            }
            "img" => {
                let stream = i.arg(0).unwrap_or("").to_owned();
                self.streams.insert(
                    stream,
                    PendingImage {
                        layer: n(2)?,
                        mimetype: i.arg(3).unwrap_or("").to_owned(),
                        x: n(4)?,
                        y: n(5)?,
                        data: Vec::new(),
                    },
                );
            }
            "blob" => {
                if let Some(p) = self.streams.get_mut(i.arg(0).unwrap_or("")) {
                    let d = base64::engine::general_purpose::STANDARD
                        .decode(i.arg(1).unwrap_or(""))
                        .context("blob is not base64")?;
                    p.data.extend_from_slice(&d);
                }
            }
            "end" => {
                if let Some(p) = self.streams.remove(i.arg(0).unwrap_or("")) {
                    if p.mimetype == "image/png" {
                        self.draw_png(&p)?;
                    }
                }
            }
            "rect" => {
                self.path = Some((n(0)?, n(1)?, n(2)?, n(3)?, n(4)?));
            }
            "cfill" => {
                if let Some((l, x, y, w, h)) = self.path.take() {
                    let target = n(1)?;
                    if target == l {
                        let px = [n(2)? as u8, n(3)? as u8, n(4)? as u8, n(5)? as u8];
                        let layer = self.layer(l);
                        for yy in y..y + h {
                            for xx in x..x + w {
                                layer.put(xx, yy, px);
                            }
                        }
                    }
                }
            }
            "copy" => {
                let (src, sx, sy, w, h) = (n(0)?, n(1)?, n(2)?, n(3)?, n(4)?);
                let (dst, dx, dy) = (n(6)?, n(7)?, n(8)?);
                let Some(s) = self.layers.get(&src).cloned() else {
                    return Ok(());
                };
                let d = self.layer(dst);
                for yy in 0..h {
                    for xx in 0..w {
                        if let Some(p) = s.pixel((sx + xx).max(0) as u32, (sy + yy).max(0) as u32) {
                            if sx + xx >= 0 && sy + yy >= 0 {
                                d.put(dx + xx, dy + yy, [p[0], p[1], p[2], 255]);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn draw_png(&mut self, p: &PendingImage) -> Result<()> {
        let mut dec = png::Decoder::new(p.data.as_slice());
        // Palette and low-bit-depth images become 8-bit RGB(A) or grey.
        dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = dec.read_info().context("bad PNG header")?;
        let mut out = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut out).context("bad PNG data")?;
        let bpp = match info.color_type {
            png::ColorType::Rgba => 4,
            png::ColorType::Rgb => 3,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Grayscale => 1,
            other => bail!("unsupported PNG colour type {other:?}"),
        };
        if info.bit_depth != png::BitDepth::Eight {
            bail!("unsupported PNG bit depth {:?}", info.bit_depth);
        }
        let layer = self.layer(p.layer);
        for y in 0..info.height {
            for x in 0..info.width {
                let i = ((y * info.width + x) as usize) * bpp;
                let (rgb, a) = match bpp {
                    4 => ([out[i], out[i + 1], out[i + 2]], out[i + 3]),
                    3 => ([out[i], out[i + 1], out[i + 2]], 255),
                    2 => ([out[i], out[i], out[i]], out[i + 1]),
                    _ => ([out[i], out[i], out[i]], 255),
                };
                if a == 0 {
                    continue;
                }
                layer.put(
                    p.x + i64::from(x),
                    p.y + i64::from(y),
                    [rgb[0], rgb[1], rgb[2], 255],
                );
            }
        }
        Ok(())
    }
}
