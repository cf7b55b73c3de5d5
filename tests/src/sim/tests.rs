//! Unit tests of the simulator, driven by a raw TCP client.

use super::*;
use crate::sim::desktop::{key_colour, march_colour, march_position};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::BytesMut;
use porthole_protocol::{Limits, Parser};
use std::collections::HashMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const T: Duration = Duration::from_secs(5);

fn recording(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/guacd-recordings")
        .join(name)
}

#[derive(Debug, PartialEq)]
enum End {
    Eof,
    Timeout,
}

/// A bare Guacamole client over TCP.
struct Client {
    io: TcpStream,
    buf: BytesMut,
    parser: Parser,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        Client {
            io: TcpStream::connect(addr).await.unwrap(),
            buf: BytesMut::new(),
            parser: Parser::new(Limits::UPSTREAM),
        }
    }

    async fn send(&mut self, op: &str, args: &[&str]) {
        let b = porthole_protocol::encode_to_bytes(op, args);
        self.io.write_all(&b).await.unwrap();
    }

    async fn read(&mut self, t: Duration) -> Result<Instruction, End> {
        let deadline = tokio::time::Instant::now() + t;
        loop {
            if let Some(i) = self.parser.next(&mut self.buf).unwrap() {
                return Ok(i);
            }
            self.buf.reserve(64 * 1024);
            match tokio::time::timeout_at(deadline, self.io.read_buf(&mut self.buf)).await {
                Err(_) => return Err(End::Timeout),
                Ok(Ok(0)) | Ok(Err(_)) => return Err(End::Eof),
                Ok(Ok(_)) => {}
            }
        }
    }

    async fn expect(&mut self) -> Instruction {
        self.read(T).await.unwrap()
    }

    /// Reads up to and including the first instruction matching `pred`.
    async fn read_until(&mut self, pred: impl Fn(&Instruction) -> bool) -> Vec<Instruction> {
        let mut out = Vec::new();
        loop {
            let i = self.expect().await;
            let done = pred(&i);
            out.push(i);
            if done {
                return out;
            }
        }
    }

    /// Everything that arrives within `t`, then how the wait ended.
    async fn drain(&mut self, t: Duration) -> (Vec<Instruction>, End) {
        let deadline = tokio::time::Instant::now() + t;
        let mut out = Vec::new();
        loop {
            match self.read(deadline - tokio::time::Instant::now()).await {
                Ok(i) => out.push(i),
                Err(e) => return (out, e),
            }
        }
    }

    /// Full handshake; returns the client, the advertised names and the ready id.
    async fn handshake(
        addr: SocketAddr,
        select: &str,
        version: &str,
        name: Option<&str>,
        values: &[(&str, &str)],
    ) -> (Client, Vec<String>, String) {
        let mut c = Client::connect(addr).await;
        c.send("select", &[select]).await;
        let args = c.expect().await;
        assert_eq!(args.opcode(), "args");
        assert_eq!(args.arg(0), Some("VERSION_1_5_0"));
        let names: Vec<String> = args.args().skip(1).map(str::to_owned).collect();
        c.send("size", &["1024", "768", "96"]).await;
        c.send("audio", &[]).await;
        c.send("video", &[]).await;
        c.send("image", &["image/png", "image/jpeg", "image/webp"])
            .await;
        c.send("timezone", &["UTC"]).await;
        if let Some(n) = name {
            c.send("name", &[n]).await;
        }
        let map: HashMap<&str, &str> = values.iter().copied().collect();
        let mut connect = vec![version.to_owned()];
        connect.extend(
            names
                .iter()
                .map(|n| map.get(n.as_str()).unwrap_or(&"").to_string()),
        );
        let refs: Vec<&str> = connect.iter().map(String::as_str).collect();
        c.send("connect", &refs).await;
        let ready = c.expect().await;
        assert_eq!(ready.opcode(), "ready");
        let id = ready.arg(0).unwrap().to_owned();
        (c, names, id)
    }
}

/// A minimal display model: layers, PNG img streams, rect+cfill, copy.
#[derive(Default)]
struct Screen {
    layers: HashMap<i64, (u32, u32, Vec<u8>)>,
    streams: HashMap<i64, (i64, u32, u32, Vec<u8>)>,
    path: HashMap<i64, (u32, u32, u32, u32)>,
    syncs: Vec<u64>,
}

fn decode_png(data: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(data));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        other => panic!("unexpected colour type {other:?}"),
    };
    (info.width, info.height, rgba)
}

impl Screen {
    fn layer(&mut self, l: i64) -> &mut (u32, u32, Vec<u8>) {
        self.layers.entry(l).or_insert((0, 0, Vec::new()))
    }

    fn put(&mut self, l: i64, x: u32, y: u32, px: [u8; 4]) {
        let (w, h, data) = self.layer(l);
        if x < *w && y < *h {
            let i = ((y * *w + x) * 4) as usize;
            data[i..i + 4].copy_from_slice(&px);
        }
    }

    fn get(&self, l: i64, x: u32, y: u32) -> Option<[u8; 3]> {
        let (w, h, data) = self.layers.get(&l)?;
        if x >= *w || y >= *h {
            return None;
        }
        let i = ((y * *w + x) * 4) as usize;
        Some([data[i], data[i + 1], data[i + 2]])
    }

    fn apply(&mut self, i: &Instruction) {
        let n = |k: usize| i.arg(k).unwrap().parse::<i64>().unwrap();
        match i.opcode() {
            "size" => {
                let (w, h) = (n(1) as u32, n(2) as u32);
                *self.layer(n(0)) = (w, h, vec![0; (w * h * 4) as usize]);
            }
            "img" => {
                assert_eq!(n(0) % 2, 1, "broadcast streams are odd");
                assert_eq!(i.arg(3), Some("image/png"));
                self.streams
                    .insert(n(0), (n(2), n(4) as u32, n(5) as u32, Vec::new()));
            }
            "blob" => {
                let b64 = i.arg(1).unwrap();
                assert!(b64.len() <= 8064, "blob of {} chars", b64.len());
                let s = self
                    .streams
                    .get_mut(&n(0))
                    .expect("blob for an open stream");
                s.3.extend(STANDARD.decode(b64).unwrap());
            }
            "end" => {
                let (l, x, y, data) = self.streams.remove(&n(0)).expect("end of an open stream");
                let (w, h, px) = decode_png(&data);
                for yy in 0..h {
                    for xx in 0..w {
                        let k = ((yy * w + xx) * 4) as usize;
                        let p = [px[k], px[k + 1], px[k + 2], px[k + 3]];
                        if p[3] == 255 {
                            self.put(l, x + xx, y + yy, p);
                        }
                    }
                }
            }
            "rect" => {
                self.path
                    .insert(n(0), (n(1) as u32, n(2) as u32, n(3) as u32, n(4) as u32));
            }
            "cfill" if n(0) == 14 && n(5) == 255 => {
                let (x, y, w, h) = self.path[&n(1)];
                let c = [n(2) as u8, n(3) as u8, n(4) as u8, 255];
                for yy in y..y + h {
                    for xx in x..x + w {
                        self.put(n(1), xx, yy, c);
                    }
                }
            }
            "copy" => {
                let (src, sx, sy, w, h, dst, dx, dy) = (
                    n(0),
                    n(1) as u32,
                    n(2) as u32,
                    n(3) as u32,
                    n(4) as u32,
                    n(6),
                    n(7) as u32,
                    n(8) as u32,
                );
                let (sw, sh, sdata) = self.layers[&src].clone();
                if !self.layers.contains_key(&dst) {
                    *self.layer(dst) = (sw, sh, vec![0; (sw * sh * 4) as usize]);
                }
                let (dw, dh, ddata) = self.layer(dst);
                for yy in 0..h {
                    let (syy, dyy) = (sy + yy, dy + yy);
                    if syy >= sh || dyy >= *dh {
                        continue;
                    }
                    let cols = w.min(sw.saturating_sub(sx)).min(dw.saturating_sub(dx));
                    let s0 = ((syy * sw + sx) * 4) as usize;
                    let d0 = ((dyy * *dw + dx) * 4) as usize;
                    let len = (cols * 4) as usize;
                    ddata[d0..d0 + len].copy_from_slice(&sdata[s0..s0 + len]);
                }
            }
            "sync" => self.syncs.push(n(0) as u64),
            _ => {}
        }
    }

    fn apply_all(&mut self, v: &[Instruction]) {
        for i in v {
            self.apply(i);
        }
    }
}

fn vnc_owner() -> Vec<(&'static str, &'static str)> {
    vec![("hostname", "127.0.0.1"), ("port", "5901")]
}

async fn sim(cfg: SimConfig) -> Simulator {
    Simulator::start(cfg).await.unwrap()
}

#[tokio::test]
async fn owner_handshake_ready_and_initial_frame() {
    let sim = sim(SimConfig::default()).await;
    let (mut c, names, id) = Client::handshake(
        sim.addr(),
        "vnc",
        "VERSION_1_5_0",
        Some("owner"),
        &vnc_owner(),
    )
    .await;
    assert_eq!(names, params::VNC);
    assert!(id.starts_with('$') && id.len() == 37, "{id}");
    assert_eq!(id, id.to_lowercase());
    let frames = c
        .read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    assert_eq!(frames[0].opcode(), "size");
    assert_eq!(frames[0].args().collect::<Vec<_>>(), ["-2", "11", "16"]);
    assert_eq!(frames[1].args().collect::<Vec<_>>(), ["0", "1024", "768"]);
    let first_sync = frames.iter().find(|i| i.opcode() == "sync").unwrap();
    assert_eq!(first_sync.arg(1), Some("0"));
    let mut s = Screen::default();
    s.apply_all(&frames);
    assert_eq!(s.get(0, 0, 0), Some(WHITE));
    assert_eq!(s.get(0, 63, 63), Some(WHITE));
    assert_eq!(s.get(0, 64, 0), Some(BACKGROUND));
    assert_eq!(s.get(0, 0, 64), Some(BACKGROUND));
    assert_eq!(s.get(0, 500, 400), Some(BACKGROUND));
    assert_eq!(s.get(0, 1023, 767), Some(BACKGROUND));
    // The cursor buffer holds the arrow (opaque black at its tip).
    assert_eq!(s.get(-2, 0, 0), Some([0, 0, 0]));

    let hs = sim
        .wait_for_handshake(|h| h.connection_id.as_deref() == Some(id.as_str()), T)
        .await
        .unwrap();
    assert_eq!(hs.outcome, HandshakeOutcome::Ready);
    assert_eq!(hs.select, "vnc");
    assert!(!hs.join);
    assert_eq!(hs.name.as_deref(), Some("owner"));
    assert_eq!(hs.timezone.as_deref(), Some("UTC"));
    assert_eq!(
        hs.size.map(|s| (s.width, s.height, s.dpi)),
        Some((1024, 768, 96))
    );
    assert_eq!(hs.image.as_deref().map(<[String]>::len), Some(3));
    assert_eq!(hs.audio, Some(vec![]));
    assert_eq!(hs.version, Some(ProtocolVersion::V1_5_0));
    assert_eq!(hs.value("hostname"), Some("127.0.0.1"));
    assert_eq!(
        hs.order,
        ["size", "audio", "video", "image", "timezone", "name", "connect"]
    );

    let conns = sim.connections();
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0].id, id);
    assert_eq!(conns[0].protocol, "vnc");
    let owner = conns[0].owner().unwrap();
    assert!(owner.id.starts_with('@') && owner.id.len() == 37);
    assert_eq!(owner.name.as_deref(), Some("owner"));

    // Echo the last sync: recorded as processed, lag measured.
    let last = *s.syncs.last().unwrap();
    c.send("sync", &[&last.to_string()]).await;
    let r = sim
        .wait_for_input(|r| r.opcode() == "sync", T)
        .await
        .unwrap();
    assert!(r.accepted && r.owner);
    sim.shutdown().await;
}

use porthole_protocol::handshake::ProtocolVersion;

#[tokio::test]
async fn rdp_args_exceed_64_elements() {
    let sim = sim(SimConfig::default()).await;
    let (_c, names, _id) = Client::handshake(sim.addr(), "rdp", "VERSION_1_5_0", None, &[]).await;
    assert_eq!(names.len(), 88);
    sim.shutdown().await;
}

#[tokio::test]
async fn join_with_unknown_id_gets_516() {
    let sim = sim(SimConfig::default()).await;
    let mut c = Client::connect(sim.addr()).await;
    c.send("select", &["$00000000-0000-4000-8000-000000000000"])
        .await;
    let e = c.expect().await;
    assert_eq!(e.opcode(), "error");
    assert_eq!(e.args().collect::<Vec<_>>(), ["No such connection.", "516"]);
    assert_eq!(c.read(T).await.unwrap_err(), End::Eof);
    sim.shutdown().await;
}

#[tokio::test]
async fn read_only_joiner_gets_replay_and_is_restricted() {
    let sim = sim(SimConfig::default()).await;
    let (mut owner, names, id) = Client::handshake(
        sim.addr(),
        "vnc",
        "VERSION_1_5_0",
        Some("owner"),
        &vnc_owner(),
    )
    .await;
    owner
        .read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    // The owner types: the replay must show the current screen, markers included.
    owner.send("key", &["97", "1"]).await;
    owner.send("key", &["97", "0"]).await;
    owner.read_until(|i| i.opcode() == "sync").await;

    let (mut viewer, vnames, vid) = Client::handshake(
        sim.addr(),
        &id,
        "VERSION_1_5_0",
        Some("viewer"),
        &[("read-only", "true")],
    )
    .await;
    assert_eq!(vid, id);
    assert_eq!(vnames, names);
    let t0 = Instant::now();
    let replay = viewer.read_until(|i| i.opcode() == "sync").await;
    assert!(
        t0.elapsed() < Duration::from_millis(600),
        "{:?}",
        t0.elapsed()
    );
    let mut ops: Vec<&str> = replay.iter().map(Instruction::opcode).collect();
    ops.dedup_by(|a, b| *a == "blob" && *b == "blob");
    assert_eq!(
        ops,
        [
            "size", "img", "blob", "end", "copy", "size", "img", "blob", "end", "copy", "set",
            "cursor", "mouse", "sync"
        ]
    );
    let mut s = Screen::default();
    s.apply_all(&replay);
    assert_eq!(s.get(0, 10, 10), Some(WHITE));
    assert_eq!(s.get(0, 900, 600), Some(BACKGROUND));
    assert_eq!(s.get(0, 75, 10), Some(key_colour(97)));
    assert_eq!(s.get(-1, 75, 10), Some(key_colour(97)));
    let sync_ts: u64 = replay.last().unwrap().arg(0).unwrap().parse().unwrap();
    assert_eq!(sync_ts, sim.connection(&id).unwrap().last_sync);

    viewer.send("key", &["65", "1"]).await;
    viewer.send("mouse", &["10", "10", "1"]).await;
    viewer.send("size", &["800", "600"]).await;
    viewer.send("clipboard", &["0", "text/plain"]).await;
    viewer.send("blob", &["0", "aGk="]).await;
    viewer.send("end", &["0"]).await;
    viewer.send("sync", &[&sync_ts.to_string()]).await;
    viewer.send("nop", &[]).await;
    let a1 = viewer.expect().await;
    let a2 = viewer.expect().await;
    for a in [&a1, &a2] {
        assert_eq!(a.opcode(), "ack");
        assert_eq!(a.arg(0), Some("0"));
        assert_eq!(a.arg(2), Some("256"));
    }
    sim.wait_for_input(|r| r.opcode() == "nop" && !r.owner, T)
        .await
        .unwrap();
    let mine: Vec<ReceivedInput> = sim.received().into_iter().filter(|r| r.read_only).collect();
    let disp: Vec<(&str, Disposition)> = mine
        .iter()
        .map(|r| (r.opcode(), r.disposition.clone()))
        .collect();
    assert_eq!(
        disp,
        [
            ("key", Disposition::Dropped),
            ("mouse", Disposition::Dropped),
            ("size", Disposition::Dropped),
            ("clipboard", Disposition::Refused { status: 256 }),
            ("blob", Disposition::Refused { status: 256 }),
            ("end", Disposition::Processed),
            ("sync", Disposition::Processed),
            ("nop", Disposition::Processed),
        ]
    );
    assert!(mine
        .iter()
        .all(|r| r.user_name.as_deref() == Some("viewer") && !r.owner));
    assert!(sim.clipboards().is_empty());
    // The owner did not get the viewer's pointer either (it was dropped).
    let (got, _) = owner.drain(Duration::from_millis(300)).await;
    assert!(got.iter().all(|i| i.opcode() != "mouse"), "{got:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn msg_join_leave_only_for_v1_5_owner() {
    let sim = sim(SimConfig::default()).await;
    // 1.5.0 owner.
    let (mut owner, _, id) = Client::handshake(
        sim.addr(),
        "vnc",
        "VERSION_1_5_0",
        Some("owner"),
        &vnc_owner(),
    )
    .await;
    owner
        .read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    let (mut viewer, _, _) = Client::handshake(
        sim.addr(),
        &id,
        "VERSION_1_5_0",
        Some("viewer"),
        &[("read-only", "true")],
    )
    .await;
    let joined = owner
        .read_until(|i| i.opcode() == "msg")
        .await
        .pop()
        .unwrap();
    let vid = sim
        .connection(&id)
        .unwrap()
        .users
        .into_iter()
        .find(|u| !u.owner)
        .unwrap()
        .id;
    assert_eq!(
        joined.args().collect::<Vec<_>>(),
        ["1", vid.as_str(), "viewer"]
    );
    viewer.read_until(|i| i.opcode() == "sync").await;
    viewer.send("disconnect", &[]).await;
    let (rest, end) = viewer.drain(T).await;
    assert_eq!(end, End::Eof);
    assert_eq!(rest.last().map(Instruction::opcode), Some("disconnect"));
    let left = owner
        .read_until(|i| i.opcode() == "msg")
        .await
        .pop()
        .unwrap();
    assert_eq!(
        left.args().collect::<Vec<_>>(),
        ["2", vid.as_str(), "viewer"]
    );
    // An anonymous joiner: empty name.
    let (mut anon, _, _) = Client::handshake(sim.addr(), &id, "VERSION_1_5_0", None, &[]).await;
    let joined = owner
        .read_until(|i| i.opcode() == "msg")
        .await
        .pop()
        .unwrap();
    assert_eq!(joined.arg(2), Some(""));
    anon.read_until(|i| i.opcode() == "sync").await;
    let (anon_got, _) = anon.drain(Duration::from_millis(300)).await;
    assert!(anon_got.iter().all(|i| i.opcode() != "msg"));

    // 1.1.0 owner: no msg at all.
    let (mut old, _, id2) = Client::handshake(
        sim.addr(),
        "vnc",
        "VERSION_1_1_0",
        Some("old"),
        &vnc_owner(),
    )
    .await;
    old.read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    let (mut v2, _, _) = Client::handshake(
        sim.addr(),
        &id2,
        "VERSION_1_5_0",
        Some("viewer"),
        &[("read-only", "true")],
    )
    .await;
    v2.read_until(|i| i.opcode() == "sync").await;
    v2.send("disconnect", &[]).await;
    let (_, end) = v2.drain(T).await;
    assert_eq!(end, End::Eof);
    let (got, _) = old.drain(Duration::from_millis(600)).await;
    assert!(got.iter().all(|i| i.opcode() != "msg"), "{got:?}");
    let hs = sim
        .wait_for_handshake(|h| h.name.as_deref() == Some("old"), T)
        .await
        .unwrap();
    assert_eq!(hs.version, Some(ProtocolVersion::V1_1_0));
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_version_string_disables_msg() {
    let sim = sim(SimConfig::default()).await;
    let (mut owner, _, id) = Client::handshake(
        sim.addr(),
        "vnc",
        "VERSION_1_6_0",
        Some("owner"),
        &vnc_owner(),
    )
    .await;
    owner
        .read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    let (mut v, _, _) = Client::handshake(sim.addr(), &id, "VERSION_1_5_0", None, &[]).await;
    v.read_until(|i| i.opcode() == "sync").await;
    let (got, _) = owner.drain(Duration::from_millis(400)).await;
    assert!(got.iter().all(|i| i.opcode() != "msg"));
    let hs = sim
        .wait_for_handshake(|h| h.name.as_deref() == Some("owner"), T)
        .await
        .unwrap();
    assert_eq!(hs.version_string.as_deref(), Some("VERSION_1_6_0"));
    assert_eq!(hs.version, None);
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_protocol_is_silent() {
    let sim = sim(SimConfig::default()).await;
    let mut c = Client::connect(sim.addr()).await;
    c.send("select", &["telnet"]).await;
    assert_eq!(
        c.read(Duration::from_millis(700)).await.unwrap_err(),
        End::Timeout
    );
    let hs = sim
        .wait_for_handshake(|h| h.select == "telnet", T)
        .await
        .unwrap();
    assert_eq!(hs.outcome, HandshakeOutcome::UnknownProtocol);
    sim.shutdown().await;
}

#[tokio::test]
async fn silent_user_times_out_with_776() {
    let cfg = SimConfig {
        user_timeout: Duration::from_millis(300),
        ..SimConfig::default()
    };
    let sim = sim(cfg).await;
    let (mut c, _, _) =
        Client::handshake(sim.addr(), "vnc", "VERSION_1_5_0", None, &vnc_owner()).await;
    let t0 = Instant::now();
    let (got, end) = c.drain(T).await;
    assert_eq!(end, End::Eof);
    let n = got.len();
    assert_eq!(got[n - 2].opcode(), "error");
    assert_eq!(
        got[n - 2].args().collect::<Vec<_>>(),
        ["User is not responding.", "776"]
    );
    assert_eq!(got[n - 1].opcode(), "disconnect");
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert!(sim.wait_until(|s| s.connections().is_empty(), T).await);
    sim.shutdown().await;
}

#[tokio::test]
async fn keepalive_nop_after_output_silence() {
    let cfg = SimConfig {
        keepalive_interval: Duration::from_millis(200),
        ..SimConfig::default()
    };
    let sim = sim(cfg).await;
    let (mut c, _, _) =
        Client::handshake(sim.addr(), "vnc", "VERSION_1_5_0", None, &vnc_owner()).await;
    c.read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    let nop = c.expect().await;
    assert_eq!(nop.opcode(), "nop");
    sim.shutdown().await;
}

#[tokio::test]
async fn connect_count_mismatch_gets_ready_then_close() {
    let sim = sim(SimConfig::default()).await;
    let mut c = Client::connect(sim.addr()).await;
    c.send("select", &["vnc"]).await;
    c.expect().await;
    c.send("size", &["800", "600"]).await;
    c.send("connect", &["VERSION_1_5_0", "127.0.0.1", "5901"])
        .await;
    let ready = c.expect().await;
    assert_eq!(ready.opcode(), "ready");
    assert_eq!(c.read(T).await.unwrap_err(), End::Eof);
    let hs = sim
        .wait_for_handshake(|h| h.select == "vnc", T)
        .await
        .unwrap();
    assert_eq!(hs.outcome, HandshakeOutcome::ArgCountMismatch);
    assert!(sim.connections().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn handshake_errors_close_silently() {
    let cfg = SimConfig {
        handshake_timeout: Duration::from_millis(300),
        ..SimConfig::default()
    };
    let sim = sim(cfg).await;
    // size with one argument.
    let mut c = Client::connect(sim.addr()).await;
    c.send("select", &["vnc"]).await;
    c.expect().await;
    c.send("size", &["800"]).await;
    assert_eq!(c.read(T).await.unwrap_err(), End::Eof);
    // Timeout mid-handshake; unknown opcodes in between are ignored.
    let mut c = Client::connect(sim.addr()).await;
    c.send("select", &["ssh"]).await;
    c.expect().await;
    c.send("bogus", &["1"]).await;
    let t0 = Instant::now();
    assert_eq!(c.read(T).await.unwrap_err(), End::Eof);
    assert!(t0.elapsed() >= Duration::from_millis(250));
    // Not select first.
    let mut c = Client::connect(sim.addr()).await;
    c.send("size", &["1", "2"]).await;
    assert_eq!(c.read(T).await.unwrap_err(), End::Eof);
    let outcomes: Vec<HandshakeOutcome> = sim.handshakes().into_iter().map(|h| h.outcome).collect();
    assert_eq!(
        outcomes,
        [HandshakeOutcome::Malformed, HandshakeOutcome::Timeout]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_sync_disconnects_the_user() {
    let sim = sim(SimConfig::default()).await;
    let (mut c, _, _) =
        Client::handshake(sim.addr(), "vnc", "VERSION_1_5_0", None, &vnc_owner()).await;
    c.read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    c.send("sync", &["999999999999"]).await;
    let (got, end) = c.drain(T).await;
    assert_eq!(end, End::Eof);
    assert_eq!(got.last().map(Instruction::opcode), Some("disconnect"));
    let r = sim
        .wait_for_input(|r| r.opcode() == "sync", T)
        .await
        .unwrap();
    assert_eq!(r.disposition, Disposition::Fatal);
    sim.shutdown().await;
}

#[tokio::test]
async fn kill_connection_aborts_every_user() {
    let sim = sim(SimConfig::default()).await;
    let (mut owner, _, id) =
        Client::handshake(sim.addr(), "vnc", "VERSION_1_5_0", None, &vnc_owner()).await;
    owner
        .read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    let (mut v, _, _) = Client::handshake(sim.addr(), &id, "VERSION_1_5_0", None, &[]).await;
    v.read_until(|i| i.opcode() == "sync").await;
    assert!(sim.kill_connection(&id, Status::SessionClosed));
    for c in [&mut owner, &mut v] {
        let (got, end) = c.drain(T).await;
        assert_eq!(end, End::Eof);
        let e = got.iter().find(|i| i.opcode() == "error").unwrap();
        assert_eq!(e.args().collect::<Vec<_>>(), ["Aborted. See logs.", "523"]);
    }
    assert!(sim.wait_until(|s| s.connections().is_empty(), T).await);
    sim.shutdown().await;
}

#[tokio::test]
async fn joiners_outlive_the_owner_and_see_pointer_and_keys() {
    let sim = sim(SimConfig::default()).await;
    let (mut owner, _, id) =
        Client::handshake(sim.addr(), "vnc", "VERSION_1_5_0", None, &vnc_owner()).await;
    owner
        .read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    let (mut w, _, _) =
        Client::handshake(sim.addr(), &id, "VERSION_1_5_0", Some("writer"), &[]).await;
    let mut s = Screen::default();
    s.apply_all(&w.read_until(|i| i.opcode() == "sync").await);
    owner.read_until(|i| i.opcode() == "msg").await;
    // The writable joiner moves the pointer: the owner sees it, the joiner does not.
    w.send("mouse", &["100", "200", "1"]).await;
    let got = owner.read_until(|i| i.opcode() == "sync").await;
    let m = got.iter().find(|i| i.opcode() == "mouse").unwrap();
    assert_eq!(m.args().take(3).collect::<Vec<_>>(), ["100", "200", "1"]);
    let mine = w.read_until(|i| i.opcode() == "sync").await;
    assert!(mine.iter().all(|i| i.opcode() != "mouse"));
    // The owner leaves; the joiner keeps the connection alive and still draws.
    owner.send("disconnect", &[]).await;
    assert!(
        sim.wait_until(|s| s.connection(&id).is_some_and(|c| c.users.len() == 1), T)
            .await
    );
    w.send("key", &["98", "1"]).await;
    s.apply_all(&w.read_until(|i| i.opcode() == "sync").await);
    assert_eq!(s.get(0, 75, 10), Some(key_colour(98)));
    w.send("clipboard", &["2", "text/plain"]).await;
    w.send("blob", &["2", &STANDARD.encode("héllo")]).await;
    w.send("end", &["2"]).await;
    assert!(sim.wait_until(|s| !s.clipboards().is_empty(), T).await);
    assert_eq!(sim.clipboards()[0].text(), "héllo");
    w.send("disconnect", &[]).await;
    assert!(sim.wait_until(|s| s.connections().is_empty(), T).await);
    sim.shutdown().await;
}

#[tokio::test]
async fn animation_marches_and_replay_shows_current_screen() {
    let cfg = SimConfig {
        frame_rate: 50.0,
        bitrate: 200_000,
        ..SimConfig::default()
    };
    let sim = sim(cfg).await;
    let (mut owner, _, id) =
        Client::handshake(sim.addr(), "vnc", "VERSION_1_5_0", None, &vnc_owner()).await;
    let mut bytes = 0usize;
    let t0 = Instant::now();
    let mut frames = 0;
    while t0.elapsed() < Duration::from_millis(500) {
        let i = owner.expect().await;
        bytes += i.encoded_len();
        frames += (i.opcode() == "sync") as u32;
    }
    assert!(frames >= 10, "{frames} frames");
    assert!(bytes >= 50_000, "{bytes} bytes");
    // Everything drawn so far is consistent: the square is somewhere on row 700.
    let (v, _, _) = Client::handshake(sim.addr(), &id, "VERSION_1_5_0", None, &[]).await;
    let mut v = v;
    let mut vs = Screen::default();
    vs.apply_all(&v.read_until(|i| i.opcode() == "sync").await);
    let row: Vec<[u8; 3]> = (0..1024).map(|x| vs.get(0, x, 708).unwrap()).collect();
    let coloured = row.iter().filter(|p| **p != BACKGROUND).count();
    assert_eq!(coloured, 16, "exactly one 16 px square on the row");
    let x = row.iter().position(|p| *p != BACKGROUND).unwrap() as u32;
    let n = (0..64u64)
        .find(|n| march_position(*n, 1024, 768) == Some((x, 700)))
        .unwrap();
    assert!((0..8).any(|k| march_colour(n + 64 * k) == row[x as usize]));
    drop(v);
    sim.shutdown().await;
}

#[tokio::test]
async fn replay_is_byte_identical() {
    let path = recording("typing-owner.guac");
    let expected = std::fs::read(&path).unwrap();
    let cfg = SimConfig {
        replay: Some(ReplaySource::flat(&path)),
        ..SimConfig::default()
    };
    let sim = sim(cfg).await;
    let (mut c, _, _) = Client::handshake(
        sim.addr(),
        "vnc",
        "VERSION_1_5_0",
        Some("owner"),
        &vnc_owner(),
    )
    .await;
    let mut got = c.buf.split().to_vec();
    while got.len() < expected.len() {
        let mut chunk = vec![0u8; 64 * 1024];
        let n = tokio::time::timeout(T, c.io.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "EOF after {} bytes", got.len());
        got.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "replayed bytes differ from the recording");
    // Nothing more (no nop before 5 s of silence).
    let mut more = [0u8; 16];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), c.io.read(&mut more))
            .await
            .is_err()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn replay_joiner_gets_stream_so_far_without_msgs() {
    let path = recording("typing-owner.guac");
    let cfg = SimConfig {
        replay: Some(ReplaySource::flat(&path)),
        ..SimConfig::default()
    };
    let sim = sim(cfg).await;
    let (mut owner, _, id) = Client::handshake(
        sim.addr(),
        "vnc",
        "VERSION_1_5_0",
        Some("owner"),
        &vnc_owner(),
    )
    .await;
    let all = owner
        .read_until(|i| i.opcode() == "msg" && i.arg(0) == Some("2"))
        .await;
    assert!(all.len() > 500);
    let last_ts = sim.connection(&id).unwrap().last_sync;
    let (mut v, _, _) = Client::handshake(sim.addr(), &id, "VERSION_1_5_0", Some("v"), &[]).await;
    let mut n = 0;
    let (got, _) = v.drain(Duration::from_millis(800)).await;
    for i in &got {
        assert_ne!(i.opcode(), "msg");
        n += 1;
    }
    assert!(n > 1000, "{n}");
    assert_eq!(got.last().unwrap().opcode(), "sync");
    assert_eq!(
        got.last().unwrap().arg(0).unwrap().parse::<u64>().unwrap(),
        last_ts
    );
    let joined = owner
        .read_until(|i| i.opcode() == "msg")
        .await
        .pop()
        .unwrap();
    assert_eq!(joined.arg(2), Some("v"));
    sim.shutdown().await;
}

#[tokio::test]
async fn faults() {
    let sim = sim(SimConfig {
        fault: Some(Fault::Silent),
        ..SimConfig::default()
    })
    .await;
    let mut c = Client::connect(sim.addr()).await;
    c.send("select", &["vnc"]).await;
    assert_eq!(
        c.read(Duration::from_millis(300)).await.unwrap_err(),
        End::Timeout
    );

    sim.set_fault(Some(Fault::ErrorAfterReady {
        message: "Aborted. See logs.".into(),
        status: Status::UpstreamNotFound,
    }));
    let (mut c, _, _) =
        Client::handshake(sim.addr(), "vnc", "VERSION_1_5_0", None, &vnc_owner()).await;
    let e = c.expect().await;
    assert_eq!(e.args().collect::<Vec<_>>(), ["Aborted. See logs.", "519"]);
    assert_eq!(c.read(T).await.unwrap_err(), End::Eof);

    sim.set_fault(Some(Fault::CloseMidFrame { after_bytes: 100 }));
    let (mut c, _, _) =
        Client::handshake(sim.addr(), "vnc", "VERSION_1_5_0", None, &vnc_owner()).await;
    let mut rest = c.buf.split().to_vec();
    c.io.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest.len(), 100);

    sim.set_fault(Some(Fault::CloseAfterSelect));
    let mut c = Client::connect(sim.addr()).await;
    c.send("select", &["vnc"]).await;
    assert_eq!(c.read(T).await.unwrap_err(), End::Eof);

    sim.set_fault(Some(Fault::NoReady));
    let mut c = Client::connect(sim.addr()).await;
    c.send("select", &["vnc"]).await;
    c.expect().await;
    c.send("connect", &["VERSION_1_5_0"]).await;
    assert_eq!(
        c.read(Duration::from_millis(300)).await.unwrap_err(),
        End::Timeout
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn legacy_args_strict_order() {
    let sim = sim(SimConfig {
        legacy_args: true,
        ..SimConfig::default()
    })
    .await;
    let mut c = Client::connect(sim.addr()).await;
    c.send("select", &["ssh"]).await;
    let args = c.expect().await;
    assert_eq!(args.arg(0), Some("hostname"));
    assert_eq!(args.arg_count(), params::SSH.len());
    c.send("size", &["640", "480", "96"]).await;
    c.send("audio", &[]).await;
    c.send("video", &[]).await;
    c.send("image", &["image/png"]).await;
    let values = vec![""; params::SSH.len()];
    c.send("connect", &values).await;
    assert_eq!(c.expect().await.opcode(), "ready");
    let frames = c
        .read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    assert_eq!(frames[1].args().collect::<Vec<_>>(), ["0", "640", "480"]);
    // Out of order: closed.
    let mut c = Client::connect(sim.addr()).await;
    c.send("select", &["ssh"]).await;
    c.expect().await;
    c.send("audio", &[]).await;
    assert_eq!(c.read(T).await.unwrap_err(), End::Eof);
    sim.shutdown().await;
}

#[tokio::test]
async fn tls_listener() {
    let id = TlsIdentity::self_signed(&["localhost"]).unwrap();
    let sim = sim(SimConfig {
        tls: Some(id.clone()),
        ..SimConfig::default()
    })
    .await;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut id.cert_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = TcpStream::connect(sim.addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(&porthole_protocol::encode_to_bytes(
        "select",
        &["nonexistent-proto-x"],
    ))
    .await
    .unwrap();
    tls.write_all(b"").await.unwrap();
    let mut c2 = connector
        .connect(
            rustls::pki_types::ServerName::try_from("localhost").unwrap(),
            TcpStream::connect(sim.addr()).await.unwrap(),
        )
        .await
        .unwrap();
    c2.write_all(&porthole_protocol::encode_to_bytes("select", &["vnc"]))
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = c2.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"4.args,13.VERSION_1_5_0,8.hostname,"));
    sim.shutdown().await;
}

#[tokio::test]
async fn realtime_pacing_follows_the_sidecar() {
    let cfg = SimConfig {
        replay: Some(ReplaySource {
            path: recording("typing-owner.guac"),
            pacing: Pacing::RealTime,
            looped: false,
        }),
        ..SimConfig::default()
    };
    let sim = sim(cfg).await;
    let (mut c, _, _) =
        Client::handshake(sim.addr(), "vnc", "VERSION_1_5_0", None, &vnc_owner()).await;
    let mut got = c.buf.split().to_vec();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(700);
    let mut chunk = vec![0u8; 64 * 1024];
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, c.io.read(&mut chunk)).await {
        assert!(n > 0);
        got.extend_from_slice(&chunk[..n]);
    }
    // Rows: 0.633 s → offset 4324, 0.767 s → 4771.
    assert!(
        (4324..4771).contains(&got.len()),
        "{} bytes after 0.7 s",
        got.len()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_output_and_remote_clipboard() {
    let sim = sim(SimConfig::default()).await;
    let (mut c, _, id) = Client::handshake(sim.addr(), "ssh", "VERSION_1_5_0", None, &[]).await;
    c.read_until(|i| i.opcode() == "sync" && i.arg(1) == Some("1"))
        .await;
    assert!(sim.set_remote_clipboard(&id, "from the desktop"));
    let got = c.read_until(|i| i.opcode() == "end").await;
    assert_eq!(got[0].args().collect::<Vec<_>>(), ["1", "text/plain"]);
    assert_eq!(
        STANDARD.decode(got[1].arg(1).unwrap()).unwrap(),
        b"from the desktop"
    );
    assert!(sim.broadcast(
        &id,
        porthole_protocol::encode_to_bytes("required", &["password"])
    ));
    assert_eq!(c.expect().await.opcode(), "required");
    let uid = sim.connection(&id).unwrap().owner().unwrap().id.clone();
    assert!(sim.send_to_user(&uid, porthole_protocol::encode_to_bytes("name", &["title"])));
    assert_eq!(c.expect().await.arg(0), Some("title"));
    // ssh: argv for a tunable parameter is accepted, others are not allowed.
    c.send("argv", &["4", "text/plain", "font-size"]).await;
    let ack = c.expect().await;
    assert_eq!(
        ack.args().collect::<Vec<_>>(),
        ["4", "Ready for updated parameter.", "0"]
    );
    c.send("argv", &["5", "text/plain", "hostname"]).await;
    assert_eq!(c.expect().await.arg(2), Some("771"));
    c.send("blob", &["600", "AA=="]).await;
    let ack = c.expect().await;
    assert_eq!(
        ack.args().collect::<Vec<_>>(),
        ["600", "Invalid stream index", "768"]
    );
    assert!(sim.disconnect_user(&uid));
    let (rest, end) = c.drain(T).await;
    assert_eq!(end, End::Eof);
    assert_eq!(rest.last().map(Instruction::opcode), Some("disconnect"));
    sim.shutdown().await;
}
