//! Added latency per `sync` round trip at a steady byte rate (10 MB/s by default).
//!
//! The guacd side is a paced stand-in owned by this module (not the simulator, which
//! has no per-`sync` timestamps): it accepts one connection, answers the owner's
//! handshake (`args,VERSION_1_5_0,hostname,port` … `ready`), then writes the recording
//! frame by frame (a frame ends with its `sync`), each frame due when the bytes before
//! it are due at the chosen rate, from blocking threads:
//!
//! * the writer writes each frame's body, notes `Instant::now()`, then writes the frame's
//!   `sync` (a few bytes: it goes straight into the socket), so the echo can never
//!   precede the timestamp;
//! * the reader notes `Instant::now()` right after the `read` that completed the echo
//!   `sync,<ts>`.
//!
//! Echoes come back in order (TCP, and Porthole forwards in order), so the n-th echo
//! belongs to the n-th `sync` written; the timestamps are checked to agree. The round
//! trip is measured for the same client (answering at once) reading the stand-in
//! directly and through Porthole, one after the other; the added latency is the
//! difference of the two distributions' percentiles. Samples of the first `warmup`
//! seconds (connection start, the first full screen) are left out.

use super::clients::{run_direct, run_ws, Counters, Screen};
use super::procfs;
use super::scan::SyncScanner;
use super::stats::{median, Spread};
use super::{fmt, BenchEnv, Porthole};
use anyhow::{anyhow, bail, Context, Result};
use bytes::{Bytes, BytesMut};
use porthole_protocol::{encode, Limits, Parser};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

/// Options of `porthole-bench latency`.
#[derive(Debug, Clone)]
pub struct LatencyOptions {
    pub recordings: Vec<String>,
    /// Output rate of the stand-in, MB/s (10^6 bytes).
    pub rate_mb: f64,
    /// Seconds of output per measurement.
    pub secs: f64,
    /// Seconds at the start whose samples are dropped.
    pub warmup_secs: f64,
    pub runs: usize,
    pub screen: Screen,
}

/// A recording cut after each `sync`.
#[derive(Debug, Clone)]
pub struct Frames {
    data: Bytes,
    /// (offset of the `sync`, offset just after it, its timestamp)
    ends: Vec<(usize, usize, String)>,
}

impl Frames {
    /// Loads and cuts a recording; bytes after its last `sync` are left out.
    pub fn load(path: &std::path::Path) -> Result<Frames> {
        let data = Bytes::from(
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        );
        let mut buf = BytesMut::from(&data[..]);
        let mut parser = Parser::new(Limits::UPSTREAM);
        let mut ends = Vec::new();
        let mut offset = 0;
        while let Some(i) = parser.next(&mut buf)? {
            let start = offset;
            offset += i.encoded_len();
            if i.opcode() == "sync" {
                ends.push((start, offset, i.arg(0).unwrap_or("").to_owned()));
            }
        }
        if ends.is_empty() {
            bail!("{} has no sync", path.display());
        }
        Ok(Frames { data, ends })
    }

    /// Frame `i`: the bytes before its `sync`, the `sync` itself, its timestamp.
    fn frame(&self, i: usize) -> (Bytes, Bytes, &str) {
        let start = if i == 0 { 0 } else { self.ends[i - 1].1 };
        let (sync, end, ts) = &self.ends[i];
        (
            self.data.slice(start..*sync),
            self.data.slice(*sync..*end),
            ts,
        )
    }
}

/// What one paced session measured.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// Round trips after the warm-up, µs.
    pub rtt_us: Vec<f64>,
    /// MB/s actually written.
    pub rate_mb: f64,
    pub syncs_sent: usize,
    pub echoes: usize,
    /// Echoes whose timestamp did not match the `sync` of the same rank.
    pub mismatched: usize,
    /// Porthole's CPU seconds per wall second during the session (NaN for direct).
    pub relay_cores: f64,
}

fn read_until(
    sock: &mut TcpStream,
    parser: &mut Parser,
    buf: &mut BytesMut,
    opcode: &str,
) -> Result<()> {
    let mut chunk = [0u8; 8192];
    loop {
        while let Some(i) = parser.next(buf)? {
            if i.opcode() == opcode {
                return Ok(());
            }
        }
        let n = sock.read(&mut chunk)?;
        if n == 0 {
            bail!("the client closed during the handshake (waiting for '{opcode}')");
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Serves one connection on `listener`: handshake, then `frames` at `rate` bytes/s for
/// `secs` (looping), then waits `tail` for the last echoes. `writing_done` fires when
/// the writing is over; the function returns once the peer has closed (or after 5 s).
fn serve_paced(
    listener: TcpListener,
    frames: &Frames,
    rate: f64,
    secs: f64,
    warmup: f64,
    writing_done: oneshot::Sender<()>,
) -> Result<Session> {
    let (mut sock, _) = listener.accept()?;
    sock.set_nodelay(true)?;
    let mut parser = Parser::new(Limits::UPSTREAM);
    let mut buf = BytesMut::new();
    read_until(&mut sock, &mut parser, &mut buf, "select")?;
    let mut out = BytesMut::new();
    encode(&mut out, "args", &["VERSION_1_5_0", "hostname", "port"]);
    sock.write_all(&out)?;
    read_until(&mut sock, &mut parser, &mut buf, "connect")?;
    out.clear();
    encode(&mut out, "ready", &["$bench-paced"]);
    sock.write_all(&out)?;

    let echoes: Arc<Mutex<Vec<(String, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut reader = sock.try_clone()?;
    reader.set_read_timeout(Some(Duration::from_secs(5)))?;
    let sink = echoes.clone();
    let rd = std::thread::spawn(move || {
        let mut scanner = SyncScanner::new();
        let mut chunk = vec![0u8; 64 * 1024];
        // Bytes the handshake parser already buffered are handshake leftovers, not
        // echoes: the client cannot echo before the first frame.
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let at = Instant::now();
            let mut got = Vec::new();
            if scanner
                .feed(&chunk[..n], |ts| got.push((ts.to_owned(), at)))
                .is_err()
            {
                return;
            }
            if !got.is_empty() {
                if let Ok(mut e) = sink.lock() {
                    e.extend(got);
                }
            }
        }
    });

    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(secs);
    let mut sent: Vec<(String, Instant)> = Vec::new();
    let mut bytes = 0usize;
    let n = frames.ends.len();
    let mut i = 0usize;
    let mut result = Ok(());
    while Instant::now() < end {
        let due = t0 + Duration::from_secs_f64(bytes as f64 / rate);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let (body, sync, ts) = frames.frame(i % n);
        // The clock is read after the frame's body is in the kernel and before its
        // `sync` is handed over: the echo cannot come earlier, even if this thread is
        // descheduled around the write.
        let at = sock.write_all(&body).map(|()| Instant::now());
        let at = match at.and_then(|at| sock.write_all(&sync).map(|()| at)) {
            Ok(at) => at,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        sent.push((ts.to_owned(), at));
        bytes += body.len() + sync.len();
        i += 1;
    }
    let wrote_for = t0.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(300));
    let _ = writing_done.send(());
    let _ = rd.join();
    let _ = sock.shutdown(Shutdown::Both);
    result.context("writing to the client")?;

    let echoes = echoes.lock().map(|e| e.clone()).unwrap_or_default();
    let skip_before = t0 + Duration::from_secs_f64(warmup);
    let mut s = Session {
        rate_mb: bytes as f64 / 1e6 / wrote_for,
        syncs_sent: sent.len(),
        echoes: echoes.len(),
        ..Session::default()
    };
    for ((ts, at), (ets, eat)) in sent.iter().zip(echoes.iter()) {
        if ts != ets {
            s.mismatched += 1;
            continue;
        }
        if *at >= skip_before {
            s.rtt_us
                .push(eat.saturating_duration_since(*at).as_secs_f64() * 1e6);
        }
    }
    Ok(s)
}

async fn measure(
    frames: &Arc<Frames>,
    opts: &LatencyOptions,
    porthole: Option<&Porthole>,
    listener: TcpListener,
) -> Result<Session> {
    let addr: SocketAddr = listener.local_addr()?;
    let (done_tx, done_rx) = oneshot::channel();
    let f = frames.clone();
    let (rate, secs, warmup) = (opts.rate_mb * 1e6, opts.secs, opts.warmup_secs);
    let source =
        tokio::task::spawn_blocking(move || serve_paced(listener, &f, rate, secs, warmup, done_tx));
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let c = counters.clone();
    let screen = opts.screen;
    let url = porthole.map(|p| p.tunnel_url(screen));
    let relay_pid = porthole.map(Porthole::pid).transpose()?;
    let cpu0 = relay_pid.map(procfs::cpu_seconds).transpose()?;
    let t0 = Instant::now();
    let client = tokio::spawn(async move {
        match url {
            None => run_direct(addr, screen, &c, stop_rx).await,
            Some(u) => run_ws(&u, &c, stop_rx).await,
        }
    });
    let _ = done_rx.await;
    let cpu1 = relay_pid.map(procfs::cpu_seconds).transpose()?;
    let wall = t0.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    let client_result = tokio::time::timeout(Duration::from_secs(10), client)
        .await
        .map_err(|_| anyhow!("the client did not stop"))?;
    let mut s = source.await??;
    client_result??;
    s.relay_cores = match (cpu0, cpu1) {
        (Some(a), Some(b)) => (b - a) / wall,
        _ => f64::NAN,
    };
    Ok(s)
}

/// One run: direct and Porthole round trips, Porthole's MB/s and cores.
type Row = (Spread, Spread, f64, f64);

/// One recording's medians over the runs, µs.
#[derive(Debug, Clone)]
pub struct LatencySummary {
    pub recording: String,
    pub runs: usize,
    pub rate_mb: f64,
    pub samples: usize,
    pub direct_p50: f64,
    pub direct_p99: f64,
    pub porthole_p50: f64,
    pub porthole_p99: f64,
    pub added_p50: f64,
    pub added_p99: f64,
    pub porthole_cores: f64,
    pub load: String,
}

/// Runs the latency benchmark; prints a table per recording; returns the medians.
pub async fn run(env: &BenchEnv, opts: &LatencyOptions) -> Result<Vec<LatencySummary>> {
    let mut out = Vec::new();
    for rec in &opts.recordings {
        let path = env.recording(rec);
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| rec.clone());
        let frames = Arc::new(Frames::load(&path)?);
        println!(
            "\n### latency: {name} at {} MB/s for {} s (first {} s dropped; load {})\n",
            opts.rate_mb,
            opts.secs,
            opts.warmup_secs,
            procfs::loadavg()
        );
        println!("| run | path | MB/s | syncs | echoes | p50 µs | p90 µs | p99 µs | max µs | Porthole cores |");
        println!("|---|---|---|---|---|---|---|---|---|---|");
        let mut rows: Vec<Row> = Vec::new();
        let mut samples = 0;
        for run in 1..=opts.runs {
            // A fresh stand-in (and Porthole) each run: Porthole's connection points
            // at this run's listener.
            let direct_listener = TcpListener::bind("127.0.0.1:0")?;
            let direct = measure(&frames, opts, None, direct_listener).await?;
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let porthole = Porthole::start(listener.local_addr()?, &[]).await?;
            let through = measure(&frames, opts, Some(&porthole), listener)
                .await
                .map_err(|e| {
                    anyhow!(
                        "{e:#}\n--- porthole stderr ---\n{}",
                        porthole.gateway.stderr()
                    )
                })?;
            drop(porthole);
            let mut spreads = Vec::new();
            for (label, s) in [("direct", &direct), ("porthole", &through)] {
                if s.mismatched > 0 {
                    bail!("{label}: {} echoes did not match their sync", s.mismatched);
                }
                let sp = Spread::of(&s.rtt_us);
                samples += sp.count;
                println!(
                    "| {run} | {label} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    fmt(s.rate_mb, 2),
                    s.syncs_sent,
                    s.echoes,
                    fmt(sp.p50, 0),
                    fmt(sp.p90, 0),
                    fmt(sp.p99, 0),
                    fmt(sp.max, 0),
                    fmt(s.relay_cores, 3),
                );
                spreads.push(sp);
            }
            rows.push((spreads[0], spreads[1], through.rate_mb, through.relay_cores));
        }
        let med = |f: &dyn Fn(&Row) -> f64| median(&rows.iter().map(f).collect::<Vec<_>>());
        let s = LatencySummary {
            recording: name,
            runs: opts.runs,
            rate_mb: med(&|r| r.2),
            samples,
            direct_p50: med(&|r| r.0.p50),
            direct_p99: med(&|r| r.0.p99),
            porthole_p50: med(&|r| r.1.p50),
            porthole_p99: med(&|r| r.1.p99),
            added_p50: med(&|r| r.1.p50 - r.0.p50),
            added_p99: med(&|r| r.1.p99 - r.0.p99),
            porthole_cores: med(&|r| r.3),
            load: procfs::loadavg(),
        };
        println!("\n{}", summary_table(std::slice::from_ref(&s)));
        out.push(s);
    }
    Ok(out)
}

/// A Markdown table of latency medians.
pub fn summary_table(rows: &[LatencySummary]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "| recording | runs | MB/s | samples | direct p50/p99 µs | Porthole p50/p99 µs | added p50 µs | added p99 µs (≤ 200) | Porthole cores |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|---|");
    for s in rows {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} / {} | {} / {} | {} | {} | {} |",
            s.recording,
            s.runs,
            fmt(s.rate_mb, 2),
            s.samples,
            fmt(s.direct_p50, 0),
            fmt(s.direct_p99, 0),
            fmt(s.porthole_p50, 0),
            fmt(s.porthole_p99, 0),
            fmt(s.added_p50, 0),
            fmt(s.added_p99, 0),
            fmt(s.porthole_cores, 3),
        );
    }
    t
}
