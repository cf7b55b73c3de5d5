//! The VNC back end against a real TigerVNC `Xvnc` (scripts/install-vnc-deps.sh).
//!
//! Each test starts its own Xvnc on a free display and port, draws with X clients,
//! connects the driver, decodes Porthole's own Guacamole output with a headless display
//! (`common`) and compares it with the X server's screenshot (`xwd`), exactly. Input,
//! clipboard both ways, resize, late joiners, slow viewers, VNC authentication and the
//! server dying are checked from the X side.
//!
//! Without Xvnc the tests skip with a message, except under `CI=true`, where they fail.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Display;
use porthole_protocol::Status;
use porthole_vnc::fanout::Subscriber;
use porthole_vnc::{FanoutConfig, VncConfig, VncError, VncSession};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

fn tools_present() -> bool {
    let ok = [
        "Xvnc",
        "xsetroot",
        "xwd",
        "xdotool",
        "xclip",
        "xev",
        "vncpasswd",
    ]
    .iter()
    .all(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("Xvnc or the X tools are missing: run scripts/install-vnc-deps.sh");
        }
        eprintln!("skipping: Xvnc or the X tools are missing (scripts/install-vnc-deps.sh)");
    }
    ok
}

static NEXT_DISPLAY: AtomicU32 = AtomicU32::new(0);

fn free_display() -> u32 {
    let base = 40 + (std::process::id() % 20) * 10;
    loop {
        let n = base + NEXT_DISPLAY.fetch_add(1, Ordering::SeqCst) % 300;
        let lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
        let sock = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        if !lock.exists() && !sock.exists() {
            return n;
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Xvnc {
    child: Child,
    display: u32,
    port: u16,
    dir: PathBuf,
}

impl Xvnc {
    fn start(geometry: &str, password: Option<&str>) -> Xvnc {
        let display = free_display();
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("porthole-xvnc-{}-{display}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = Command::new("Xvnc");
        cmd.arg(format!(":{display}"))
            .args(["-geometry", geometry, "-depth", "24", "-rfbport"])
            .arg(port.to_string())
            .args(["-localhost", "-nolisten", "tcp", "-AlwaysShared"]);
        match password {
            None => {
                cmd.args(["-SecurityTypes", "None"]);
            }
            Some(pw) => {
                let file = dir.join("passwd");
                let mut p = Command::new("vncpasswd")
                    .arg("-f")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                p.stdin
                    .take()
                    .unwrap()
                    .write_all(format!("{pw}\n").as_bytes())
                    .unwrap();
                let out = p.wait_with_output().unwrap();
                assert_eq!(
                    out.stdout,
                    porthole_vnc::rfb::auth::password_file(pw),
                    "vncpasswd -f and our DES disagree"
                );
                std::fs::write(&file, &out.stdout).unwrap();
                cmd.args(["-SecurityTypes", "VncAuth", "-PasswordFile"])
                    .arg(&file);
            }
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("xvnc.log")).unwrap())
            .spawn()
            .expect("start Xvnc");
        let x = Xvnc {
            child,
            display,
            port,
            dir,
        };
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
            || !PathBuf::from(format!("/tmp/.X11-unix/X{display}")).exists()
        {
            assert!(t0.elapsed() < Duration::from_secs(15), "Xvnc did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        x
    }

    fn x(&self, prog: &str, args: &[&str]) -> String {
        let out = Command::new(prog)
            .args(args)
            .env("DISPLAY", format!(":{}", self.display))
            .output()
            .unwrap_or_else(|e| panic!("{prog}: {e}"));
        assert!(
            out.status.success(),
            "{prog} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn config(&self) -> VncConfig {
        VncConfig::new("127.0.0.1", self.port)
    }

    /// The root window as RGB.
    fn screenshot(&self) -> (usize, usize, Vec<[u8; 3]>) {
        let out = Command::new("xwd")
            .args(["-root", "-silent"])
            .env("DISPLAY", format!(":{}", self.display))
            .output()
            .unwrap();
        assert!(out.status.success());
        parse_xwd(&out.stdout)
    }
}

impl Drop for Xvnc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn parse_xwd(b: &[u8]) -> (usize, usize, Vec<[u8; 3]>) {
    let f = |i: usize| u32::from_be_bytes([b[i * 4], b[i * 4 + 1], b[i * 4 + 2], b[i * 4 + 3]]);
    let (header, w, h) = (f(0) as usize, f(4) as usize, f(5) as usize);
    let (byte_order, bpp, bpl) = (f(7), f(11) as usize, f(12) as usize);
    let (rm, gm, bm) = (f(14), f(15), f(16));
    let ncolors = f(19) as usize;
    assert_eq!(bpp, 32, "xwd depth");
    let data = &b[header + ncolors * 12..];
    let ch = |v: u32, m: u32| ((v & m) >> m.trailing_zeros()) as u8;
    let mut px = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let o = y * bpl + x * 4;
            let raw = [data[o], data[o + 1], data[o + 2], data[o + 3]];
            let v = if byte_order == 0 {
                u32::from_le_bytes(raw)
            } else {
                u32::from_be_bytes(raw)
            };
            px.push([ch(v, rm), ch(v, gm), ch(v, bm)]);
        }
    }
    (w, h, px)
}

/// Counts pixels of the display's root layer that differ from the screenshot.
fn mismatches(d: &Display, shot: &(usize, usize, Vec<[u8; 3]>)) -> usize {
    let Some(l) = d.layers.get(&0) else {
        return usize::MAX;
    };
    if (l.w, l.h) != (shot.0, shot.1) {
        return usize::MAX;
    }
    (0..l.w * l.h)
        .filter(|&i| l.rgb(i % l.w, i / l.w) != shot.2[i])
        .count()
}

/// A viewer in the test: applies frames, acknowledges them if it is the originator.
struct Viewer {
    sub: Subscriber,
    d: Display,
    snapshots: usize,
    frames: usize,
}

impl Viewer {
    fn new(s: &VncSession) -> Viewer {
        Viewer {
            sub: s.subscribe(),
            d: Display::new(),
            snapshots: 0,
            frames: 0,
        }
    }

    /// Applies every frame arriving within `idle`; returns how many.
    async fn drain(&mut self, s: Option<&VncSession>, idle: Duration) -> usize {
        let mut n = 0;
        while let Ok(r) = tokio::time::timeout(idle, self.sub.next()).await {
            let f = r.expect("session ended");
            self.d.apply(&f.bytes);
            if f.snapshot {
                self.snapshots += 1;
            } else {
                self.frames += 1;
            }
            if let Some(s) = s {
                s.ack(f.sync_ts);
            }
            n += 1;
        }
        n
    }

    /// Reads frames until the display equals the X server's screen.
    async fn until_matches(&mut self, s: Option<&VncSession>, x: &Xvnc, what: &str) {
        let t0 = Instant::now();
        loop {
            self.drain(s, Duration::from_millis(150)).await;
            let shot = x.screenshot();
            let bad = mismatches(&self.d, &shot);
            if bad == 0 {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "{what}: {bad} pixels still differ from the X screen"
            );
        }
    }
}

const XBM: &str = "#define t_width 16\n#define t_height 16\nstatic unsigned char t_bits[] = {\n\
0xff,0x00,0x81,0x00,0x81,0x3c,0x81,0x24,0x81,0x24,0x81,0x3c,0x81,0x00,0xff,0x00,\n\
0x00,0xff,0x00,0x81,0x3c,0x81,0x24,0x81,0x24,0x81,0x3c,0x81,0x00,0x81,0x00,0xff};\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pixels_match_late_joiner_and_slow_viewer() {
    if !tools_present() {
        return;
    }
    let x = Xvnc::start("1024x768", None);
    x.x("xsetroot", &["-solid", "#3366cc"]);
    let mut cfg = x.config();
    cfg.fanout = FanoutConfig {
        max_frames: 4,
        max_bytes: 1 << 20,
    };
    let s = VncSession::connect(cfg).await.expect("connect");
    assert_eq!((s.info().width, s.info().height), (1024, 768));
    let mut owner = Viewer::new(&s);
    // A viewer that will not read for a while.
    let mut slow = Viewer::new(&s);
    owner.until_matches(Some(&s), &x, "solid root").await;
    assert!(owner.d.cursor.is_some(), "no cursor received");

    let xbm = x.dir.join("tile.xbm");
    std::fs::write(&xbm, XBM).unwrap();
    x.x(
        "xsetroot",
        &[
            "-bitmap",
            xbm.to_str().unwrap(),
            "-fg",
            "#ff0000",
            "-bg",
            "#10e020",
        ],
    );
    owner.until_matches(Some(&s), &x, "tiled root").await;
    assert!(
        !owner.d.images.contains_key("image/jpeg"),
        "lossy images for a pattern"
    );

    // Many changes while `slow` reads nothing: more frames than the ring holds.
    for i in 0..12 {
        x.x(
            "xsetroot",
            &["-solid", &format!("#{:02x}40{:02x}", i * 20, 255 - i * 20)],
        );
        owner.drain(Some(&s), Duration::from_millis(60)).await;
    }
    x.x(
        "xsetroot",
        &["-mod", "5", "7", "-fg", "#222222", "-bg", "#eeeeee"],
    );
    owner.until_matches(Some(&s), &x, "plaid root").await;
    slow.until_matches(None, &x, "slow viewer").await;
    assert!(
        slow.snapshots >= 2,
        "the slow viewer should have been resynchronised by snapshot ({} snapshots, {} frames)",
        slow.snapshots,
        slow.frames
    );
    assert_eq!(owner.snapshots, 1, "the originator was never behind");

    // A late joiner's first delivery is a snapshot equal to the screen.
    let mut late = Viewer::new(&s);
    late.drain(None, Duration::from_millis(500)).await;
    assert_eq!(late.snapshots, 1);
    assert_eq!(
        mismatches(&late.d, &x.screenshot()),
        0,
        "late joiner differs"
    );
    assert!(late.d.cursor.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hextile_and_raw_from_a_real_server() {
    if !tools_present() {
        return;
    }
    use porthole_vnc::rfb::Encoding;
    let x = Xvnc::start("640x480", None);
    let xbm = x.dir.join("tile.xbm");
    std::fs::write(&xbm, XBM).unwrap();
    x.x(
        "xsetroot",
        &[
            "-bitmap",
            xbm.to_str().unwrap(),
            "-fg",
            "#0000ff",
            "-bg",
            "#ffff00",
        ],
    );
    for encodings in [
        vec![Encoding::Hextile, Encoding::CopyRect, Encoding::Raw],
        vec![Encoding::Raw],
    ] {
        let mut cfg = x.config();
        cfg.rfb.encodings = encodings.clone();
        let s = VncSession::connect(cfg).await.expect("connect");
        let mut v = Viewer::new(&s);
        v.until_matches(Some(&s), &x, &format!("{encodings:?}"))
            .await;
        x.x(
            "xsetroot",
            &["-mod", "3", "4", "-fg", "#123456", "-bg", "#fedcba"],
        );
        v.until_matches(Some(&s), &x, &format!("{encodings:?} after change"))
            .await;
        s.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_reaches_x() {
    if !tools_present() {
        return;
    }
    let x = Xvnc::start("800x600", None);
    let s = VncSession::connect(x.config()).await.expect("connect");
    s.pointer(123, 456, 0).await.unwrap();
    let t0 = Instant::now();
    loop {
        let loc = x.x("xdotool", &["getmouselocation", "--shell"]);
        if loc.contains("X=123") && loc.contains("Y=456") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "pointer not moved: {loc}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Keys: xev on the root window (no window manager: focus follows the pointer root).
    let mut xev = Command::new("xev")
        .args(["-root", "-event", "keyboard"])
        .env("DISPLAY", format!(":{}", x.display))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = xev.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Xvnc gives a keysym that is not on its keyboard (eacute) a keycode on the fly; a
    // client that has not yet processed that MappingNotify (xev, here) decodes the first
    // press as NoSymbol. So the keys go twice, the second time after the map changed.
    for round in 0..2 {
        for k in [0x71u32, 0xe9, 0xff0d] {
            // q, eacute, Return
            s.key(k, true).await.unwrap();
            s.key(k, false).await.unwrap();
        }
        if round == 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let mut seen = String::new();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(5) {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push_str(&l);
            seen.push('\n');
        }
        if seen.contains("keysym 0x71, q")
            && seen.contains("keysym 0xe9, eacute")
            && seen.contains("keysym 0xff0d, Return")
        {
            break;
        }
    }
    let _ = xev.kill();
    let _ = xev.wait();
    assert!(seen.contains("keysym 0x71, q"), "{seen}");
    assert!(seen.contains("keysym 0xe9, eacute"), "{seen}");
    assert!(seen.contains("keysym 0xff0d, Return"), "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clipboard_both_ways_and_resize() {
    if !tools_present() {
        return;
    }
    let x = Xvnc::start("1024x768", None);
    let s = VncSession::connect(x.config()).await.expect("connect");
    let mut v = Viewer::new(&s);
    v.drain(Some(&s), Duration::from_millis(300)).await;

    // X → viewers: a UTF-8 clipboard (Extended Clipboard).
    let text = "héllo wörld ✓";
    let mut xclip = Command::new("xclip")
        .args(["-selection", "clipboard", "-i"])
        .env("DISPLAY", format!(":{}", x.display))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    xclip
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let _ = xclip.wait();
    let t0 = Instant::now();
    while v.d.clipboard.as_deref() != Some(text) {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "clipboard {:?}",
            v.d.clipboard
        );
        v.drain(Some(&s), Duration::from_millis(100)).await;
    }

    // Viewer → X.
    let mine = "from Porthole — ünïcode";
    s.clipboard(mine.into()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = tokio::task::spawn_blocking({
        let display = x.display;
        move || {
            Command::new("xclip")
                .args(["-selection", "clipboard", "-o"])
                .env("DISPLAY", format!(":{display}"))
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&got.stdout), mine);

    // Resize through SetDesktopSize.
    s.resize(800, 600).await.unwrap();
    let t0 = Instant::now();
    loop {
        v.drain(Some(&s), Duration::from_millis(100)).await;
        if v.d.layers.get(&0).is_some_and(|l| (l.w, l.h) == (800, 600)) {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "no resize");
    }
    assert!(x.x("xdpyinfo", &[]).contains("800x600 pixels"));
    assert_eq!(s.size(), (800, 600));
    x.x("xsetroot", &["-solid", "#abcdef"]);
    v.until_matches(Some(&s), &x, "after resize").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vnc_auth_and_server_death() {
    if !tools_present() {
        return;
    }
    let x = Xvnc::start("640x480", Some("s3cret!"));
    let mut bad = x.config();
    bad.rfb.password = Some("wrong".into());
    let e = VncSession::connect(bad).await.unwrap_err();
    assert!(matches!(e, VncError::AuthFailed { .. }), "{e:?}");
    assert_eq!(e.status(), Status::ClientUnauthorized);
    let e = VncSession::connect(x.config()).await.unwrap_err();
    assert_eq!(e, VncError::PasswordRequired);

    let mut good = x.config();
    good.rfb.password = Some("s3cret!".into());
    let s = VncSession::connect(good)
        .await
        .expect("connect with password");
    x.x("xsetroot", &["-solid", "#804020"]);
    let mut v = Viewer::new(&s);
    v.until_matches(Some(&s), &x, "vncauth session").await;

    // Kill the server: every viewer learns within a second.
    let mut x = x;
    let t0 = Instant::now();
    x.child.kill().unwrap();
    let _ = x.child.wait();
    let end = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            match v.sub.next().await {
                Ok(_) => continue,
                Err(e) => return e,
            }
        }
    })
    .await
    .expect("no end within 1 s");
    assert_eq!(end.status, Status::UpstreamError, "{end:?}");
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert!(s.ended().borrow().is_some());
    assert!(s.key(0x61, true).await.is_err());
}

#[tokio::test]
async fn unreachable_server() {
    let port = free_port();
    let e = VncSession::connect(VncConfig::new("127.0.0.1", port))
        .await
        .unwrap_err();
    assert!(matches!(e, VncError::Unreachable { .. }), "{e:?}");
    assert_eq!(e.status(), Status::UpstreamNotFound);
}
