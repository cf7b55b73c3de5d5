//! `porthole-fanout`: the sharing fan-out benchmark (BENCHMARKS.md, "Fan-out").
//!
//! One simulator session replays a recorded guacd stream at its recorded pace (looped),
//! the real `porthole` binary relays it to the originator and to N viewers who joined
//! through a read-only share link, and this program measures, per N:
//!
//! * the gateway's CPU (from `/proc/<pid>/stat`) and RSS during the steady state;
//! * delivery lag per frame: from the instant the simulator handed a `sync`'s frame to
//!   its output queues (`SimConfig::sync_probe`) to the instant a client read that
//!   `sync` — for the originator and for every viewer (p50/p99);
//! * join time: from `POST /api/share/redeem` to the first full frame (first `sync`);
//! * with `--stall`: the originator's p99 with one viewer that stops reading, against
//!   the same run without it, and the gateway's RSS growth;
//! * with `--idle N`: RSS per idle viewer on a static desktop.
//!
//! The simulator runs in this process; the gateway in its own, so its CPU and memory are
//! its own. Build with `--release` and point `PORTHOLE_BIN` at the release gateway (the
//! script `scripts/bench-fanout.sh` does both).

use anyhow::{anyhow, Context, Result};
use clap::Parser;
use porthole_testsuite::client::GuacClient;
use porthole_testsuite::gateway::{Gateway, GatewayOptions};
use porthole_testsuite::sim::{Pacing, ReplaySource, SimConfig, Simulator, SyncProbe};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

#[derive(Parser, Debug)]
#[command(about = "Porthole sharing fan-out benchmark")]
struct Args {
    /// Viewer counts to measure, comma-separated.
    #[arg(long, default_value = "1,10,100,500,1000")]
    viewers: String,
    /// Seconds of steady state measured per count.
    #[arg(long, default_value_t = 15.0)]
    secs: f64,
    /// The recording replayed (at its recorded pace, looped).
    #[arg(long)]
    recording: Option<PathBuf>,
    /// Also measure one stalled viewer's effect (10 viewers, with and without).
    #[arg(long)]
    stall: bool,
    /// Also measure RSS per idle viewer with this many viewers on a static desktop.
    #[arg(long)]
    idle: Option<usize>,
    /// Viewers joining at once.
    #[arg(long, default_value_t = 32)]
    join_concurrency: usize,
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Receipts of `sync`s: (timestamp, when read).
type Receipts = Arc<Mutex<Vec<(u64, Instant)>>>;

fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow!("bad stat"))?;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>()? + f[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}

fn rss_kib(pid: u32) -> Result<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("no VmRSS"))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Lags in ms of receipts within `[from, to)`, matched to the latest send of the same
/// timestamp that precedes the receipt.
fn lags(
    sent: &HashMap<u64, Vec<Instant>>,
    receipts: &[(u64, Instant)],
    from: Instant,
    to: Instant,
) -> Vec<f64> {
    let mut v: Vec<f64> = receipts
        .iter()
        .filter(|(_, t)| *t >= from && *t < to)
        .filter_map(|(ts, t)| {
            let sends = sent.get(ts)?;
            let s = sends.iter().rev().find(|s| *s <= t)?;
            Some(t.duration_since(*s).as_secs_f64() * 1000.0)
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Reads a tunnel until stopped, recording every `sync`; answers them if `answer`.
async fn reader(
    mut c: GuacClient,
    receipts: Receipts,
    answer: bool,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            r = c.next(Duration::from_secs(30)) => match r {
                Ok(Some(i)) if i.opcode() == "sync" => {
                    let now = Instant::now();
                    let ts = i.arg(0).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
                    if let Ok(mut r) = receipts.lock() { r.push((ts, now)); }
                    if answer {
                        let t = ts.to_string();
                        if c.send("sync", &[&t]).await.is_err() { return; }
                    }
                }
                Ok(Some(_)) => {}
                _ => return,
            },
        }
    }
}

struct Setup {
    _sim: Simulator,
    gw: Gateway,
    token: String,
    url: String,
    probe: SyncProbe,
    owner: Receipts,
    stop: watch::Sender<bool>,
}

async fn setup(replay: Option<&PathBuf>) -> Result<Setup> {
    let probe = SyncProbe::default();
    let sim = Simulator::start(SimConfig {
        replay: replay.map(|p| ReplaySource {
            path: p.clone(),
            pacing: Pacing::RealTime,
            looped: true,
        }),
        sync_probe: Some(probe.clone()),
        record_inputs: false,
        user_timeout: Duration::from_secs(120),
        channel_capacity: 1024,
        // guacd replays the screen to joiners on a 250 ms tick; the join time reported
        // here is the gateway's own (redeem, tunnel, guacd handshake, first frame), so
        // the simulator's tick is shortened to 5 ms.
        pending_interval: Duration::from_millis(5),
        ..SimConfig::default()
    })
    .await?;
    let gw = Gateway::start_with(GatewayOptions {
        env: vec![
            ("PORTHOLE_TUNNEL_BROWSER_TIMEOUT_MS".into(), "600000".into()),
            ("PORTHOLE_LOG_LEVEL".into(), "warn".into()),
            ("PORTHOLE_TEST_LOG".into(), "warn".into()),
        ],
        ..Default::default()
    })
    .await?;
    let token = gw.admin_token().await?;
    let conn = gw
        .create_connection(&token, "Fan-out", "vnc", sim.addr())
        .await?;
    let q = format!("token={token}&GUAC_ID={conn}&GUAC_TYPE=c&GUAC_WIDTH=1920&GUAC_HEIGHT=1080&GUAC_IMAGE=image%2Fpng&GUAC_IMAGE=image%2Fwebp");
    let mut owner = GuacClient::connect(&gw.tunnel_url(&q)).await?;
    owner.wait_for("sync", Duration::from_secs(20)).await?;
    let uuid = owner.uuid.clone().context("no tunnel uuid")?;
    let (_, s) = gw
        .request(
            reqwest::Method::GET,
            &format!("/api/tunnels/{uuid}/session"),
            Some(&token),
            None,
        )
        .await?;
    let session = s["id"].as_str().context("no session")?.to_owned();
    let (_, p) = gw
        .request(
            reqwest::Method::POST,
            &format!("/api/connections/{conn}/sharing-profiles"),
            Some(&token),
            Some(json!({"name": "bench", "read_only": true})),
        )
        .await?;
    let profile = p["id"].as_str().context("no profile")?.to_owned();
    let (_, l) = gw
        .request(
            reqwest::Method::POST,
            &format!("/api/sessions/{session}/links"),
            Some(&token),
            Some(json!({"profile_id": profile})),
        )
        .await?;
    let url = l["url"].as_str().context("no link url")?.to_owned();
    let owner_receipts: Receipts = Arc::default();
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(reader(owner, owner_receipts.clone(), true, stop_rx));
    Ok(Setup {
        _sim: sim,
        gw,
        token,
        url,
        probe,
        owner: owner_receipts,
        stop,
    })
}

/// Joins one viewer; returns its client (after the first full frame) and the join time.
async fn join(gw: &Gateway, url: &str) -> Result<(GuacClient, f64)> {
    let key = url.rsplit("#/share/").next().unwrap_or("");
    let t0 = Instant::now();
    let (st, r) = gw
        .request(
            reqwest::Method::POST,
            "/api/share/redeem",
            None,
            Some(json!({"key": key})),
        )
        .await?;
    if st != 200 {
        return Err(anyhow!("redeem: {st} {r}"));
    }
    let ticket = r["ticket"].as_str().context("no ticket")?;
    let q = format!("GUAC_TYPE=s&GUAC_ID={ticket}&GUAC_WIDTH=1920&GUAC_HEIGHT=1080&GUAC_IMAGE=image%2Fpng&GUAC_IMAGE=image%2Fwebp");
    let mut c = GuacClient::connect(&gw.tunnel_url(&q)).await?;
    c.wait_for("sync", Duration::from_secs(60)).await?;
    Ok((c, t0.elapsed().as_secs_f64() * 1000.0))
}

struct Row {
    viewers: usize,
    joined: usize,
    cpu_pct: f64,
    rss_mib: f64,
    rss_per_viewer_kib: f64,
    owner: (f64, f64),
    viewer: (f64, f64),
    join: (f64, f64),
}

async fn run(n: usize, secs: f64, recording: &PathBuf, conc: usize, stalled: usize) -> Result<Row> {
    let s = setup(Some(recording)).await?;
    let pid = s.gw.pid().context("no pid")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss0 = rss_kib(pid)?;
    let (vstop, vstop_rx) = watch::channel(false);
    let viewer_receipts: Receipts = Arc::default();
    let mut joins = Vec::new();
    let gw = Arc::new(&s.gw);
    let sem = Arc::new(tokio::sync::Semaphore::new(conc.max(1)));
    let mut handles = Vec::new();
    let mut stalled_clients = Vec::new();
    for _ in 0..stalled {
        let (c, _) = join(&s.gw, &s.url).await?;
        stalled_clients.push(c); // never read again
    }
    let mut futs = Vec::new();
    for _ in 0..n {
        let sem = sem.clone();
        let gw = gw.clone();
        let url = s.url.clone();
        futs.push(async move {
            let _p = sem.acquire().await;
            join(&gw, &url).await
        });
    }
    let results = futures_util::future::join_all(futs).await;
    let mut failed = 0;
    for r in results {
        match r {
            Ok((c, t)) => {
                joins.push(t);
                handles.push(tokio::spawn(reader(
                    c,
                    viewer_receipts.clone(),
                    false,
                    vstop_rx.clone(),
                )));
            }
            Err(e) => {
                failed += 1;
                if failed <= 3 {
                    eprintln!("join failed: {e:#}");
                }
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu0, t0) = (cpu_seconds(pid)?, Instant::now());
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let (cpu1, t1) = (cpu_seconds(pid)?, Instant::now());
    let rss1 = rss_kib(pid)?;
    let _ = vstop.send(true);
    let _ = s.stop.send(true);
    for h in handles {
        let _ = h.await;
    }
    let mut sent: HashMap<u64, Vec<Instant>> = HashMap::new();
    for (ts, at) in s.probe.entries() {
        sent.entry(ts).or_default().push(at);
    }
    let owner = lags(
        &sent,
        &s.owner.lock().map(|v| v.clone()).unwrap_or_default(),
        t0,
        t1,
    );
    let viewer = lags(
        &sent,
        &viewer_receipts
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default(),
        t0,
        t1,
    );
    joins.sort_by(f64::total_cmp);
    drop(stalled_clients);
    let _ = s.token;
    Ok(Row {
        viewers: n,
        joined: joins.len(),
        cpu_pct: (cpu1 - cpu0) / t1.duration_since(t0).as_secs_f64() * 100.0,
        rss_mib: rss1 as f64 / 1024.0,
        rss_per_viewer_kib: if n > 0 {
            (rss1.saturating_sub(rss0)) as f64 / n as f64
        } else {
            0.0
        },
        owner: (pct(&owner, 0.5), pct(&owner, 0.99)),
        viewer: (pct(&viewer, 0.5), pct(&viewer, 0.99)),
        join: (pct(&joins, 0.5), pct(&joins, 0.99)),
    })
}

async fn idle(n: usize, conc: usize) -> Result<(f64, usize)> {
    let s = setup(None).await?;
    let pid = s.gw.pid().context("no pid")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss0 = rss_kib(pid)?;
    let sem = Arc::new(tokio::sync::Semaphore::new(conc.max(1)));
    let mut futs = Vec::new();
    for _ in 0..n {
        let (sem, gw, url) = (sem.clone(), &s.gw, s.url.clone());
        futs.push(async move {
            let _p = sem.acquire().await;
            join(gw, &url).await
        });
    }
    let clients: Vec<GuacClient> = futures_util::future::join_all(futs)
        .await
        .into_iter()
        .filter_map(|r| r.ok().map(|(c, _)| c))
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss1 = rss_kib(pid)?;
    let joined = clients.len();
    drop(clients);
    Ok((
        (rss1.saturating_sub(rss0)) as f64 / joined.max(1) as f64,
        joined,
    ))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if std::env::var("PORTHOLE_BIN").is_err() {
        let release = workspace_root().join("target/release/porthole");
        if release.is_file() {
            std::env::set_var("PORTHOLE_BIN", release);
        }
    }
    let recording = args.recording.clone().unwrap_or_else(|| {
        workspace_root().join("../shared/data/guacd-recordings/windows-owner.guac")
    });
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "machine: {} cores; load before: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        load.trim()
    );
    println!(
        "recording: {} (recorded pace, looped); {} s measured per row\n",
        recording.display(),
        args.secs
    );
    println!("| viewers | joined | gateway CPU % | RSS MiB | RSS KiB/viewer | originator lag p50/p99 ms | viewer lag p50/p99 ms | join p50/p99 ms |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in args
        .viewers
        .split(',')
        .filter_map(|v| v.trim().parse::<usize>().ok())
    {
        match run(n, args.secs, &recording, args.join_concurrency, 0).await {
            Ok(r) => println!(
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} |",
                r.viewers, r.joined, r.cpu_pct, r.rss_mib, r.rss_per_viewer_kib, r.owner.0, r.owner.1, r.viewer.0, r.viewer.1, r.join.0, r.join.1
            ),
            Err(e) => println!("| {n} | error: {e:#} |"),
        }
    }
    if args.stall {
        println!("\nstalled viewer (10 reading viewers):\n");
        println!("| run | originator lag p50/p99 ms | viewer lag p50/p99 ms | RSS MiB |");
        println!("|---|---:|---:|---:|");
        for (name, stalled) in [
            ("without a stalled viewer", 0),
            ("with one stalled viewer", 1),
        ] {
            match run(10, args.secs, &recording, args.join_concurrency, stalled).await {
                Ok(r) => println!(
                    "| {name} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} |",
                    r.owner.0, r.owner.1, r.viewer.0, r.viewer.1, r.rss_mib
                ),
                Err(e) => println!("| {name} | error: {e:#} |"),
            }
        }
    }
    if let Some(n) = args.idle {
        match idle(n, args.join_concurrency).await {
            Ok((kib, joined)) => println!("\nidle viewers: {joined} joined, {kib:.1} KiB RSS each"),
            Err(e) => println!("\nidle viewers: error: {e:#}"),
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("\nload after: {}", load.trim());
    Ok(())
}
