//! Memory per idle tunnel: resident memory of the relay process with N tunnels open
//! (WebSocket upgraded, guacd handshake done against the `guacd-sim` process, the first
//! frame received and its `sync` answered, then nothing but guacd's keep-alive `nop`s),
//! minus its resident memory before them, divided by N.
//!
//! Each run starts a fresh relay: Porthole (browser timeout raised so silent tunnels
//! stay open) and, optionally, guacamole-lite. Before the baseline is read, one tunnel
//! is opened and closed so that everything initialised on first use (the SQLite pool,
//! the TLS-free HTTP stack, the tunnel code's statics) is in the baseline, not in the
//! per-tunnel figure. RSS is `VmRSS` of `/proc/<pid>/status` after `settle` seconds.

use super::clients::{ws_connect, Screen};
use super::procfs;
use super::procs::{start_guacamole_lite, start_sim, Server, SimOptions};
use super::scan::SyncScanner;
use super::stats::median;
use super::{fmt, BenchEnv, Porthole};
use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use porthole_protocol::encode;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// Options of `porthole-bench memory`.
#[derive(Debug, Clone)]
pub struct MemoryOptions {
    pub tunnels: usize,
    pub runs: usize,
    pub settle_secs: f64,
    /// Tunnels being opened at once.
    pub concurrency: usize,
    pub screen: Screen,
    /// Also measure guacamole-lite.
    pub guacamole_lite: bool,
    /// Extra `PORTHOLE_*` variables for the gateway (to try settings).
    pub porthole_env: Vec<(String, String)>,
    /// Instead of the simulator's synthetic desktop, each session starts with this
    /// recording's first `first_syncs` frames (a real first screen), then stays idle.
    pub first_screen: Option<PathBuf>,
    pub first_syncs: usize,
}

/// A temporary file, removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes the start of a recording, up to and including its `syncs`-th `sync`, to a
/// temporary file; returns the file and its size.
fn first_screen_file(recording: &Path, syncs: usize) -> Result<(TempFile, usize)> {
    let data =
        std::fs::read(recording).with_context(|| format!("reading {}", recording.display()))?;
    let mut scanner = SyncScanner::new();
    let mut end = None;
    let mut seen = 0;
    // Feed byte ranges up to each ';' so the offset of the n-th sync's end is known.
    let mut start = 0;
    for (i, b) in data.iter().enumerate() {
        if *b == b';' {
            scanner.feed(&data[start..=i], |_| seen += 1)?;
            start = i + 1;
            if seen >= syncs.max(1) {
                end = Some(i + 1);
                break;
            }
        }
    }
    let end = end.ok_or_else(|| anyhow!("{} has fewer than {syncs} syncs", recording.display()))?;
    let path = std::env::temp_dir().join(format!(
        "porthole-bench-first-screen-{}-{}.guac",
        std::process::id(),
        syncs
    ));
    let file = TempFile(path);
    std::fs::write(&file.0, &data[..end])?;
    Ok((file, end))
}

/// One run's figures for one relay.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryRun {
    pub baseline: procfs::Rss,
    pub loaded: procfs::Rss,
    /// After every tunnel closed again.
    pub after: procfs::Rss,
    pub fds: usize,
    pub open_secs: f64,
}

impl MemoryRun {
    /// KiB of VmRSS per tunnel.
    pub fn per_tunnel_kib(&self, n: usize) -> f64 {
        (self.loaded.total_kib as f64 - self.baseline.total_kib as f64) / n as f64
    }
    /// KiB of RssAnon per tunnel.
    pub fn anon_per_tunnel_kib(&self, n: usize) -> f64 {
        (self.loaded.anon_kib as f64 - self.baseline.anon_kib as f64) / n as f64
    }
}

/// Opens one tunnel, reads until its first `sync`, answers it, reports `ready`, then
/// stays open answering `sync`s until `stop`.
async fn hold_tunnel(
    url: String,
    ready: Arc<AtomicUsize>,
    mut stop: watch::Receiver<bool>,
    mut permit: Option<OwnedSemaphorePermit>,
) -> Result<()> {
    // A small client read buffer: the client's memory is not what is measured, and a
    // thousand clients share this process.
    let mut ws = ws_connect(&url, 4096).await?;
    let mut scanner = SyncScanner::new();
    let mut counted = false;
    loop {
        let msg = tokio::select! {
            _ = stop.wait_for(|s| *s) => None,
            m = ws.next() => Some(m),
        };
        let Some(msg) = msg else {
            let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
            return Ok(());
        };
        let t = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(c))) => bail!("tunnel closed: {c:?}"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => bail!("tunnel failed: {e}"),
            None => bail!("tunnel ended"),
        };
        let mut echoes = Vec::new();
        scanner.feed(t.as_bytes(), |ts| {
            let mut b = bytes::BytesMut::new();
            encode(&mut b, "sync", &[ts]);
            echoes.push(String::from_utf8_lossy(&b).into_owned());
        })?;
        for e in echoes {
            ws.send(Message::text(e)).await?;
            if !counted {
                counted = true;
                ready.fetch_add(1, Relaxed);
                permit.take();
            }
        }
    }
}

/// Opens `n` tunnels to `url` and measures `pid` before, with them, and after.
async fn measure(url: &str, pid: u32, opts: &MemoryOptions) -> Result<MemoryRun> {
    // Warm-up tunnel.
    {
        let ready = Arc::new(AtomicUsize::new(0));
        let (stop_tx, stop_rx) = watch::channel(false);
        let h = vec![tokio::spawn(hold_tunnel(
            url.to_owned(),
            ready.clone(),
            stop_rx,
            None,
        ))];
        wait_ready(&ready, 1, Duration::from_secs(30), &h).await?;
        let _ = stop_tx.send(true);
        for h in h {
            h.await??;
        }
    }
    tokio::time::sleep(Duration::from_secs_f64(opts.settle_secs)).await;
    let baseline = procfs::rss(pid)?;

    let ready = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let started = Instant::now();
    let mut handles = Vec::with_capacity(opts.tunnels);
    for _ in 0..opts.tunnels {
        // The permit is released once the tunnel is ready (or has ended).
        let permit = gate.clone().acquire_owned().await?;
        handles.push(tokio::spawn(hold_tunnel(
            url.to_owned(),
            ready.clone(),
            stop_rx.clone(),
            Some(permit),
        )));
    }
    wait_ready(&ready, opts.tunnels, Duration::from_secs(300), &handles).await?;
    let open_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs_f64(opts.settle_secs)).await;
    if let Some(failed) = handles.iter().position(|h| h.is_finished()) {
        bail!("tunnel {failed} ended while idle");
    }
    let loaded = procfs::rss(pid)?;
    let fds = procfs::open_fds(pid);
    let _ = stop_tx.send(true);
    for h in handles {
        let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
    }
    tokio::time::sleep(Duration::from_secs_f64(opts.settle_secs)).await;
    let after = procfs::rss(pid)?;
    Ok(MemoryRun {
        baseline,
        loaded,
        after,
        fds,
        open_secs,
    })
}

/// Waits until `n` tunnels are ready; fails early if any of `tunnels` ended.
async fn wait_ready(
    ready: &AtomicUsize,
    n: usize,
    timeout: Duration,
    tunnels: &[JoinHandle<Result<()>>],
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while ready.load(Relaxed) < n {
        if Instant::now() > deadline {
            bail!(
                "only {} of {n} tunnels ready after {timeout:?}",
                ready.load(Relaxed)
            );
        }
        if let Some(i) = tunnels.iter().position(JoinHandle::is_finished) {
            bail!(
                "tunnel {i} ended before all were ready ({} ready)",
                ready.load(Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Medians of the runs for one relay.
#[derive(Debug, Clone)]
pub struct MemorySummary {
    pub relay: String,
    /// What each session showed before going idle.
    pub content: String,
    pub tunnels: usize,
    pub runs: usize,
    pub baseline_mib: f64,
    pub loaded_mib: f64,
    pub per_tunnel_kib: f64,
    pub anon_per_tunnel_kib: f64,
    pub after_mib: f64,
    pub load: String,
}

/// Runs the memory benchmark; prints a table; returns the medians per relay.
pub async fn run(env: &BenchEnv, opts: &MemoryOptions) -> Result<Vec<MemorySummary>> {
    if let Some(limit) = procfs::open_files_limit() {
        // Porthole holds two sockets per tunnel, this process one per tunnel.
        let need = (opts.tunnels as u64) * 2 + 200;
        if limit < need {
            bail!("open-files limit {limit} is below {need}: raise it (ulimit -n) first");
        }
    }
    let n = opts.tunnels;
    let first = match &opts.first_screen {
        Some(r) => Some(first_screen_file(r, opts.first_syncs)?),
        None => None,
    };
    let content = match (&first, &opts.first_screen) {
        (Some((_, bytes)), Some(r)) => format!(
            "first {} syncs of {} ({bytes} bytes)",
            opts.first_syncs,
            r.file_name()
                .map(|f| f.to_string_lossy())
                .unwrap_or_default()
        ),
        _ => "synthetic desktop".to_owned(),
    };
    println!(
        "\n### memory: {n} idle tunnels, screen {}x{}, {content} (load {})\n",
        opts.screen.width,
        opts.screen.height,
        procfs::loadavg()
    );
    println!("| run | relay | baseline MiB | with {n} MiB | KiB/tunnel (RSS) | KiB/tunnel (anon) | after close MiB | fds | open s |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut porthole_runs = Vec::new();
    let mut lite_runs = Vec::new();
    for run in 1..=opts.runs {
        let sim = start_sim(
            &env.sim_bin,
            &SimOptions {
                replay: first.as_ref().map(|(f, _)| f.0.clone()),
                looped: false,
                user_timeout_ms: 3_600_000,
            },
        )
        .await?;
        let sim_addr = sim.socket_addr()?;
        let mut vars: Vec<(&str, String)> = vec![
            ("PORTHOLE_TUNNEL_BROWSER_TIMEOUT_MS", "3600000".into()),
            (
                "PORTHOLE_TUNNEL_MAX_TUNNELS",
                (n * 2 + 100).max(10_000).to_string(),
            ),
        ];
        vars.extend(
            opts.porthole_env
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone())),
        );
        let porthole = Porthole::start(sim_addr, &vars).await?;
        let url = porthole.tunnel_url(opts.screen);
        let m = measure(&url, porthole.pid()?, opts).await.map_err(|e| {
            anyhow!(
                "{e:#}\n--- porthole stderr ---\n{}",
                porthole.gateway.stderr()
            )
        })?;
        print_row(run, "porthole", &m, n);
        porthole_runs.push(m);
        drop(porthole);
        if opts.guacamole_lite {
            let lite: Server = start_guacamole_lite(&env.node_dir, sim_addr).await?;
            let url = format!(
                "{}&width={}&height={}",
                lite.address, opts.screen.width, opts.screen.height
            );
            let m = measure(&url, lite.pid()?, opts).await.map_err(|e| {
                anyhow!(
                    "{e:#}\n--- guacamole-lite stderr ---\n{}",
                    lite.stderr_tail()
                )
            })?;
            print_row(run, "guacamole-lite", &m, n);
            lite_runs.push(m);
        }
        drop(sim);
    }
    let mut out = vec![summarise("porthole", &content, &porthole_runs, opts)];
    if !lite_runs.is_empty() {
        out.push(summarise("guacamole-lite", &content, &lite_runs, opts));
    }
    println!("\n{}", summary_table(&out));
    Ok(out)
}

fn print_row(run: usize, relay: &str, m: &MemoryRun, n: usize) {
    println!(
        "| {run} | {relay} | {} | {} | {} | {} | {} | {} | {} |",
        fmt(m.baseline.total_kib as f64 / 1024.0, 1),
        fmt(m.loaded.total_kib as f64 / 1024.0, 1),
        fmt(m.per_tunnel_kib(n), 1),
        fmt(m.anon_per_tunnel_kib(n), 1),
        fmt(m.after.total_kib as f64 / 1024.0, 1),
        m.fds,
        fmt(m.open_secs, 1),
    );
}

fn summarise(
    relay: &str,
    content: &str,
    runs: &[MemoryRun],
    opts: &MemoryOptions,
) -> MemorySummary {
    let n = opts.tunnels;
    let med = |f: &dyn Fn(&MemoryRun) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    MemorySummary {
        relay: relay.to_owned(),
        content: content.to_owned(),
        tunnels: n,
        runs: runs.len(),
        baseline_mib: med(&|m| m.baseline.total_kib as f64 / 1024.0),
        loaded_mib: med(&|m| m.loaded.total_kib as f64 / 1024.0),
        per_tunnel_kib: med(&|m| m.per_tunnel_kib(n)),
        anon_per_tunnel_kib: med(&|m| m.anon_per_tunnel_kib(n)),
        after_mib: med(&|m| m.after.total_kib as f64 / 1024.0),
        load: procfs::loadavg(),
    }
}

/// A Markdown table of memory medians.
pub fn summary_table(rows: &[MemorySummary]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "| relay | first screen | tunnels | runs | baseline MiB | loaded MiB | KiB/tunnel RSS (≤ 20) | KiB/tunnel anon | after close MiB |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|---|");
    for s in rows {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.relay,
            s.content,
            s.tunnels,
            s.runs,
            fmt(s.baseline_mib, 1),
            fmt(s.loaded_mib, 1),
            fmt(s.per_tunnel_kib, 1),
            fmt(s.anon_per_tunnel_kib, 1),
            fmt(s.after_mib, 1),
        );
    }
    t
}
