//! Relay throughput: one tunnel carrying a recorded guacd stream that the `guacd-sim`
//! process replays flat out (looped), read by a client that answers every `sync`.
//!
//! Each run measures, one after the other on the same simulator:
//! 1. **direct** — [`run_direct`]: the client does the guacd handshake itself and reads
//!    the simulator's socket (the ceiling: no relay at all);
//! 2. **porthole** — [`run_ws`] through the real `porthole` binary's WebSocket tunnel;
//! 3. **guacamole-lite** (optional) — the same client through guacamole-lite 1.2 under
//!    Node.js.
//!
//! A measurement opens a fresh session, waits for the first bytes, lets `warmup` pass,
//! then counts the bytes received over a window of at least `min_secs` that also holds
//! at least `min_mb` (unless `max_secs` pass first). The relay's, the simulator's and
//! this process's CPU seconds (`/proc/<pid>/stat` utime+stime) are sampled at the
//! window's edges.

use super::clients::{run_direct, run_ws, Counters, Screen};
use super::procfs;
use super::procs::{start_guacamole_lite, start_sim, Server, SimOptions};
use super::stats::median;
use super::{fmt, BenchEnv, Porthole};
use anyhow::{anyhow, bail, Result};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Options of `porthole-bench relay`.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// Recordings (names or paths), each measured separately.
    pub recordings: Vec<String>,
    /// Runs per recording (each: direct, porthole, guacamole-lite).
    pub runs: usize,
    pub warmup_secs: f64,
    pub min_secs: f64,
    pub min_mb: f64,
    pub max_secs: f64,
    /// Also measure guacamole-lite.
    pub guacamole_lite: bool,
    pub screen: Screen,
}

/// The way the stream takes from the simulator to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Direct,
    Porthole,
    GuacamoleLite,
}

impl Route {
    pub fn name(self) -> &'static str {
        match self {
            Route::Direct => "direct",
            Route::Porthole => "porthole",
            Route::GuacamoleLite => "guacamole-lite",
        }
    }
}

/// One measurement window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measurement {
    pub bytes: u64,
    pub syncs: u64,
    pub secs: f64,
    /// CPU seconds of the relay process (NaN for direct).
    pub relay_cpu: f64,
    pub sim_cpu: f64,
    pub client_cpu: f64,
    pub load1: f64,
}

impl Measurement {
    /// MB/s (10^6 bytes).
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.secs
    }
    fn per_gb(&self, cpu: f64) -> f64 {
        cpu / (self.bytes as f64 / 1e9)
    }
    /// Relay CPU seconds per GB relayed.
    pub fn relay_cpu_per_gb(&self) -> f64 {
        self.per_gb(self.relay_cpu)
    }
}

/// The medians of one recording's runs.
#[derive(Debug, Clone)]
pub struct RelaySummary {
    pub recording: String,
    pub runs: usize,
    pub direct_mbs: f64,
    pub porthole_mbs: f64,
    pub ratio: f64,
    pub porthole_cpu_per_gb: f64,
    pub porthole_cores: f64,
    pub lite_mbs: f64,
    pub lite_cpu_per_gb: f64,
    pub lite_cores: f64,
    pub porthole_over_lite: f64,
    pub load: String,
}

/// One run: direct, Porthole, guacamole-lite (if measured).
type Run = (Measurement, Measurement, Option<Measurement>);

struct Targets<'a> {
    sim: SocketAddr,
    sim_pid: u32,
    porthole: &'a Porthole,
    lite: Option<&'a Server>,
}

async fn measure(route: Route, t: &Targets<'_>, opts: &RelayOptions) -> Result<Measurement> {
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let relay_pid = match route {
        Route::Direct => None,
        Route::Porthole => Some(t.porthole.pid()?),
        Route::GuacamoleLite => Some(t.lite.ok_or_else(|| anyhow!("no guacamole-lite"))?.pid()?),
    };
    let c = counters.clone();
    let screen = opts.screen;
    let sim = t.sim;
    let url = match route {
        Route::Direct => String::new(),
        Route::Porthole => t.porthole.tunnel_url(screen),
        Route::GuacamoleLite => {
            let base = &t.lite.ok_or_else(|| anyhow!("no guacamole-lite"))?.address;
            format!("{base}&width={}&height={}", screen.width, screen.height)
        }
    };
    let mut client = tokio::spawn(async move {
        match route {
            Route::Direct => run_direct(sim, screen, &c, stop_rx).await,
            _ => run_ws(&url, &c, stop_rx).await,
        }
    });
    // First bytes, then the warm-up.
    let started = Instant::now();
    while counters.snapshot().0 == 0 {
        if client.is_finished() || started.elapsed() > Duration::from_secs(15) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_secs_f64(opts.warmup_secs)).await;
    if client.is_finished() {
        let r = (&mut client).await;
        bail!("{} client ended early: {r:?}", route.name());
    }
    let cpu = |pid: Option<u32>| pid.map_or(Ok(f64::NAN), procfs::cpu_seconds);
    let me = std::process::id();
    let t0 = Instant::now();
    let (b0, s0) = counters.snapshot();
    let (r0, m0, c0) = (
        cpu(relay_pid)?,
        procfs::cpu_seconds(t.sim_pid)?,
        procfs::cpu_seconds(me)?,
    );
    let min_bytes = (opts.min_mb * 1e6) as u64;
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let secs = t0.elapsed().as_secs_f64();
        let (b, _) = counters.snapshot();
        if secs >= opts.min_secs && (b - b0 >= min_bytes || secs >= opts.max_secs) {
            break;
        }
        if client.is_finished() {
            let r = (&mut client).await;
            bail!(
                "{} client ended during the measurement: {r:?}",
                route.name()
            );
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let (b1, s1) = counters.snapshot();
    let (r1, m1, c1) = (
        cpu(relay_pid)?,
        procfs::cpu_seconds(t.sim_pid)?,
        procfs::cpu_seconds(me)?,
    );
    let _ = stop_tx.send(true);
    match tokio::time::timeout(Duration::from_secs(5), client).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => bail!("{} client failed: {e:#}", route.name()),
        Ok(Err(e)) => bail!("{} client panicked: {e}", route.name()),
        Err(_) => bail!("{} client did not stop", route.name()),
    }
    // Let the relay tear the session down before the next measurement.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(Measurement {
        bytes: b1 - b0,
        syncs: s1 - s0,
        secs,
        relay_cpu: r1 - r0,
        sim_cpu: m1 - m0,
        client_cpu: c1 - c0,
        load1: procfs::load1(),
    })
}

/// Runs the throughput benchmark for every recording; prints a table per recording and
/// returns the medians.
pub async fn run(env: &BenchEnv, opts: &RelayOptions) -> Result<Vec<RelaySummary>> {
    let mut out = Vec::new();
    for rec in &opts.recordings {
        let path: PathBuf = env.recording(rec);
        if !path.is_file() {
            bail!("no recording at {}", path.display());
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| rec.clone());
        let sim = start_sim(
            &env.sim_bin,
            &SimOptions {
                replay: Some(path.clone()),
                looped: true,
                user_timeout_ms: 600_000,
            },
        )
        .await?;
        let sim_addr = sim.socket_addr()?;
        let porthole = Porthole::start(sim_addr, &[]).await?;
        let lite = if opts.guacamole_lite {
            Some(start_guacamole_lite(&env.node_dir, sim_addr).await?)
        } else {
            None
        };
        let targets = Targets {
            sim: sim_addr,
            sim_pid: sim.pid()?,
            porthole: &porthole,
            lite: lite.as_ref(),
        };
        println!(
            "\n### relay: {name} (window ≥ {} s and ≥ {} MB, at most {} s; load {})\n",
            opts.min_secs,
            opts.min_mb,
            opts.max_secs,
            procfs::loadavg()
        );
        println!(
            "| run | route | MB/s | GB | secs | syncs/s | relay CPU s/GB | relay cores | sim cores | client cores | load1 |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        let mut rows: Vec<Run> = Vec::new();
        for run in 1..=opts.runs {
            let mut routes = vec![Route::Direct, Route::Porthole];
            if lite.is_some() {
                routes.push(Route::GuacamoleLite);
            }
            let mut ms = Vec::new();
            for p in routes {
                let m = measure(p, &targets, opts).await.map_err(|e| {
                    let tail = match p {
                        Route::Porthole => porthole.gateway.stderr(),
                        Route::GuacamoleLite => {
                            lite.as_ref().map(|l| l.stderr_tail()).unwrap_or_default()
                        }
                        Route::Direct => sim.stderr_tail(),
                    };
                    anyhow!("{e:#}\n--- {} stderr ---\n{tail}", p.name())
                })?;
                println!(
                    "| {run} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    p.name(),
                    fmt(m.mb_per_s(), 1),
                    fmt(m.bytes as f64 / 1e9, 2),
                    fmt(m.secs, 1),
                    fmt(m.syncs as f64 / m.secs, 0),
                    fmt(m.relay_cpu_per_gb(), 2),
                    fmt(m.relay_cpu / m.secs, 2),
                    fmt(m.sim_cpu / m.secs, 2),
                    fmt(m.client_cpu / m.secs, 2),
                    fmt(m.load1, 2),
                );
                ms.push(m);
            }
            rows.push((ms[0], ms[1], ms.get(2).copied()));
        }
        let med = |f: &dyn Fn(&Run) -> f64| median(&rows.iter().map(f).collect::<Vec<_>>());
        let lite_of = |r: &Run, f: &dyn Fn(&Measurement) -> f64| r.2.as_ref().map_or(f64::NAN, f);
        let s = RelaySummary {
            recording: name.clone(),
            runs: opts.runs,
            direct_mbs: med(&|r| r.0.mb_per_s()),
            porthole_mbs: med(&|r| r.1.mb_per_s()),
            ratio: med(&|r| r.1.mb_per_s() / r.0.mb_per_s()),
            porthole_cpu_per_gb: med(&|r| r.1.relay_cpu_per_gb()),
            porthole_cores: med(&|r| r.1.relay_cpu / r.1.secs),
            lite_mbs: med(&|r| lite_of(r, &|m| m.mb_per_s())),
            lite_cpu_per_gb: med(&|r| lite_of(r, &|m| m.relay_cpu_per_gb())),
            lite_cores: med(&|r| lite_of(r, &|m| m.relay_cpu / m.secs)),
            porthole_over_lite: med(&|r| lite_of(r, &|m| r.1.mb_per_s() / m.mb_per_s())),
            load: procfs::loadavg(),
        };
        println!("\n{}", summary_table(std::slice::from_ref(&s)));
        out.push(s);
    }
    Ok(out)
}

/// A Markdown table of relay medians.
pub fn summary_table(rows: &[RelaySummary]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "| recording | runs | direct MB/s | Porthole MB/s | ratio (≥ 0.8) | Porthole CPU s/GB | Porthole cores | guacamole-lite MB/s | lite CPU s/GB | lite cores | Porthole ÷ lite |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|---|---|---|");
    for s in rows {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.recording,
            s.runs,
            fmt(s.direct_mbs, 1),
            fmt(s.porthole_mbs, 1),
            fmt(s.ratio, 3),
            fmt(s.porthole_cpu_per_gb, 2),
            fmt(s.porthole_cores, 2),
            fmt(s.lite_mbs, 1),
            fmt(s.lite_cpu_per_gb, 2),
            fmt(s.lite_cores, 2),
            fmt(s.porthole_over_lite, 1),
        );
    }
    t
}
