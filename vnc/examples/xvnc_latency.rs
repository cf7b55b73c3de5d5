//! Frame latency against a real Xvnc at 1920×1080: from the read that completes a
//! FramebufferUpdate to the frame's publish on the bus (decode, apply, encode; the
//! gateway's WebSocket send follows at once), p50/p99, for two workloads:
//!
//! * **typing** — xdotool types prose into an xterm at ~10 characters/s;
//! * **full-screen** — `xwud` shows two different full-screen photo-like images in turn.
//!
//! One viewer acknowledges every frame at once (an attentive originator). Needs
//! scripts/install-vnc-deps.sh.
//!
//! `cargo run --release -p porthole-vnc --example xvnc_latency`

// A measuring tool: failing loudly is right.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use porthole_vnc::{VncConfig, VncSession};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const W: usize = 1920;
const H: usize = 1080;

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn x(display: u32, prog: &str, args: &[&str]) -> Child {
    Command::new(prog)
        .args(args)
        .env("DISPLAY", format!(":{display}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{prog}: {e}"))
}

/// Writes a photo-like `W × H` XWD file (smooth gradients plus noise).
fn photo_xwd(path: &Path, seed: u32) {
    let name = b"photo\0";
    let header_size = 100 + name.len() as u32;
    let fields: [u32; 25] = [
        header_size,
        7,
        2,
        24,
        W as u32,
        H as u32,
        0,
        0,
        32,
        0,
        32,
        32,
        (W * 4) as u32,
        4,
        0xff0000,
        0xff00,
        0xff,
        8,
        256,
        0,
        W as u32,
        H as u32,
        0,
        0,
        0,
    ];
    let mut b: Vec<u8> = fields.iter().flat_map(|f| f.to_be_bytes()).collect();
    b.extend(name);
    let mut s = seed | 1;
    for y in 0..H {
        for xx in 0..W {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let r = ((xx * 255 / W) as u32 + (s & 15)) as u8;
            let g = ((y * 255 / H) as u32 + ((s >> 8) & 15)) as u8;
            let bl =
                ((((xx + y) * 255 / (W + H)) as u32 + seed * 40 + ((s >> 16) & 31)) & 255) as u8;
            b.extend([bl, g, r, 0]);
        }
    }
    std::fs::write(path, b).unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let display = 90 + std::process::id() % 9;
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("porthole-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _xvnc = Kill(
        Command::new("Xvnc")
            .arg(format!(":{display}"))
            .args(["-geometry", &format!("{W}x{H}"), "-depth", "24", "-rfbport"])
            .arg(port.to_string())
            .args(["-localhost", "-nolisten", "tcp", "-SecurityTypes", "None"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvnc (scripts/install-vnc-deps.sh)"),
    );
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        || !PathBuf::from(format!("/tmp/.X11-unix/X{display}")).exists()
    {
        assert!(t0.elapsed() < Duration::from_secs(15), "Xvnc did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let s = VncSession::connect(VncConfig::new("127.0.0.1", port))
        .await
        .unwrap();
    let mut sub = s.subscribe();
    let acker = {
        let s = s.clone();
        tokio::spawn(async move {
            while let Ok(f) = sub.next().await {
                s.ack(f.sync_ts);
            }
        })
    };

    // Typing.
    let _term = Kill(x(
        display,
        "xterm",
        &["-geometry", "200x55+0+0", "-fa", "", "-fn", "fixed"],
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    x(display, "xdotool", &["mousemove", "300", "300"])
        .wait()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.stats().reset_latencies();
    for c in [
        &s.stats().frame_bytes,
        &s.stats().jpeg_bytes,
        &s.stats().png_bytes,
    ] {
        c.store(0, std::sync::atomic::Ordering::Relaxed);
    }
    println!("| workload | frames | p50 | p99 | max | bytes: all / JPEG / PNG |");
    println!("|---|---:|---:|---:|---:|---|");
    let text = "The quick brown fox jumps over the lazy dog while the gateway encodes once. ";
    let frames0 = s.stats().frames.load(std::sync::atomic::Ordering::Relaxed);
    x(
        display,
        "xdotool",
        &["type", "--delay", "100", &text.repeat(2)],
    )
    .wait()
    .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let frames = s.stats().frames.load(std::sync::atomic::Ordering::Relaxed) - frames0;
    report("typing (xterm, ~10 chars/s)", &s, frames);

    // Full-screen photo changes.
    let (a, b) = (dir.join("a.xwd"), dir.join("b.xwd"));
    photo_xwd(&a, 1);
    photo_xwd(&b, 2);
    s.stats().reset_latencies();
    let frames0 = s.stats().frames.load(std::sync::atomic::Ordering::Relaxed);
    for i in 0..12 {
        let f = if i % 2 == 0 { &a } else { &b };
        let w = Kill(x(
            display,
            "xwud",
            &["-in", f.to_str().unwrap(), "-geometry", "+0+0"],
        ));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        drop(w);
    }
    let frames = s.stats().frames.load(std::sync::atomic::Ordering::Relaxed) - frames0;
    report("full-screen photo (xwud, every 1.5 s)", &s, frames);
    acker.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

fn report(what: &str, s: &VncSession, frames: u64) {
    let st = s.stats();
    let p = |q| {
        st.latency_percentile(q).map_or("-".to_string(), |us| {
            format!("{:.2} ms", f64::from(us) / 1000.0)
        })
    };
    let get = |a: &std::sync::atomic::AtomicU64| a.swap(0, std::sync::atomic::Ordering::Relaxed);
    println!(
        "| {what} | {frames} | {} | {} | {} | {} / {} / {} |",
        p(50.0),
        p(99.0),
        p(100.0),
        get(&st.frame_bytes),
        get(&st.jpeg_bytes),
        get(&st.png_bytes)
    );
}
