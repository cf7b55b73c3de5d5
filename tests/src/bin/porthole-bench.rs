//! `porthole-bench`: Porthole's relay benchmarks (see `BENCHMARKS.md`, sections "Relay"
//! and "Memory", and `scripts/bench-relay.sh`, which builds and runs all of them).
//!
//! ```text
//! porthole-bench relay   [--recording NAME]... [--runs 3] [--min-secs 5] [--min-mb 200] [--guacamole-lite]
//! porthole-bench latency [--recording NAME]... [--runs 3] [--rate-mb 10] [--secs 10]
//! porthole-bench memory  [--tunnels 1000] [--runs 3] [--guacamole-lite] [--first-screen NAME]
//! ```
//!
//! It starts the release `porthole` and `guacd-sim` binaries as separate processes (so
//! each one's CPU time is its own), prints a Markdown table per benchmark with every run
//! and the medians, and with `--summary FILE` appends the median tables to FILE.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use porthole_testsuite::bench::clients::Screen;
use porthole_testsuite::bench::latency::{self, LatencyOptions};
use porthole_testsuite::bench::memory::{self, MemoryOptions};
use porthole_testsuite::bench::relay::{self, RelayOptions};
use porthole_testsuite::bench::{procfs, BenchEnv};
use std::io::Write;
use std::path::PathBuf;

/// Porthole's relay benchmarks: throughput, added sync latency, memory per tunnel.
#[derive(Debug, Parser)]
#[command(name = "porthole-bench")]
struct Cli {
    /// The porthole binary [default: <target>/release/porthole].
    #[arg(long, global = true)]
    porthole_bin: Option<PathBuf>,
    /// The guacd-sim binary [default: <target>/release/guacd-sim].
    #[arg(long, global = true)]
    sim_bin: Option<PathBuf>,
    /// Folder of the guacd recordings [default: ../shared/data/guacd-recordings].
    #[arg(long, global = true)]
    recordings_dir: Option<PathBuf>,
    /// Append the tables of medians to this file.
    #[arg(long, global = true)]
    summary: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Throughput of one tunnel, flat-out replay: direct vs Porthole (vs guacamole-lite).
    Relay(RelayArgs),
    /// Added latency per sync round trip at a steady byte rate.
    Latency(LatencyArgs),
    /// Resident memory per idle tunnel.
    Memory(MemoryArgs),
}

#[derive(Debug, Args)]
struct ScreenArgs {
    /// Display width the client asks for.
    #[arg(long, default_value_t = 1920)]
    width: u32,
    /// Display height the client asks for.
    #[arg(long, default_value_t = 1080)]
    height: u32,
}

#[derive(Debug, Args)]
struct RelayArgs {
    /// Recording name (in the recordings folder) or path; repeat for several.
    #[arg(long = "recording", default_values_t = ["scrolling-owner".to_string(), "fullscreen-owner".to_string()])]
    recordings: Vec<String>,
    /// Runs per recording; medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds of reading before the window opens.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Shortest measurement window, seconds.
    #[arg(long, default_value_t = 5.0)]
    min_secs: f64,
    /// Fewest MB (10^6 bytes) in a window (unless --max-secs pass first).
    #[arg(long, default_value_t = 200.0)]
    min_mb: f64,
    /// Longest measurement window, seconds.
    #[arg(long, default_value_t = 20.0)]
    max_secs: f64,
    /// Also measure guacamole-lite 1.2 (needs `npm ci` in tests/bench-node).
    #[arg(long)]
    guacamole_lite: bool,
    #[command(flatten)]
    screen: ScreenArgs,
}

#[derive(Debug, Args)]
struct LatencyArgs {
    /// Recording name or path; repeat for several.
    #[arg(long = "recording", default_values_t = ["scrolling-owner".to_string(), "windows-owner".to_string()])]
    recordings: Vec<String>,
    /// Runs per recording; medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Output rate, MB/s.
    #[arg(long, default_value_t = 10.0)]
    rate_mb: f64,
    /// Seconds of output per measurement.
    #[arg(long, default_value_t = 10.0)]
    secs: f64,
    /// Seconds of samples dropped at the start.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    #[command(flatten)]
    screen: ScreenArgs,
}

#[derive(Debug, Args)]
struct MemoryArgs {
    /// Idle tunnels to open.
    #[arg(long, default_value_t = 1000)]
    tunnels: usize,
    /// Runs; medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds to wait before each RSS reading.
    #[arg(long, default_value_t = 3.0)]
    settle: f64,
    /// Tunnels being opened at once.
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    /// Display width the clients ask for.
    #[arg(long, default_value_t = 1024)]
    width: u32,
    /// Display height the clients ask for.
    #[arg(long, default_value_t = 768)]
    height: u32,
    /// Also measure guacamole-lite 1.2.
    #[arg(long)]
    guacamole_lite: bool,
    /// Start each session with this recording's first frames (name or path) instead
    /// of the simulator's synthetic desktop.
    #[arg(long)]
    first_screen: Option<String>,
    /// How many frames (syncs) of --first-screen.
    #[arg(long, default_value_t = 3)]
    first_syncs: usize,
    /// Extra gateway setting for the run, KEY=VALUE (e.g. PORTHOLE_TUNNEL_…); repeatable.
    #[arg(long = "porthole-env", value_parser = parse_kv)]
    porthole_env: Vec<(String, String)>,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {s}"))
}

fn append(path: &Option<PathBuf>, text: &str) -> Result<()> {
    if let Some(p) = path {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .with_context(|| format!("opening {}", p.display()))?;
        f.write_all(text.as_bytes())?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let mut env = BenchEnv::default();
    if let Some(p) = cli.porthole_bin {
        env.porthole_bin = p;
    }
    if let Some(p) = cli.sim_bin {
        env.sim_bin = p;
    }
    if let Some(p) = cli.recordings_dir {
        env.recordings = p;
    }
    for (what, p) in [("porthole", &env.porthole_bin), ("guacd-sim", &env.sim_bin)] {
        anyhow::ensure!(
            p.is_file(),
            "no {what} binary at {} (cargo build --release -p porthole-gateway -p porthole-testsuite)",
            p.display()
        );
    }
    // The gateway launcher takes the binary from PORTHOLE_BIN; set it before any
    // thread exists.
    std::env::set_var("PORTHOLE_BIN", &env.porthole_bin);

    println!(
        "machine: {}; load average {}; porthole {}",
        procfs::machine(),
        procfs::loadavg(),
        env.porthole_bin.display()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let bench = async {
        match cli.command {
            Command::Relay(a) => {
                let rows = relay::run(
                    &env,
                    &RelayOptions {
                        recordings: a.recordings,
                        runs: a.runs.max(1),
                        warmup_secs: a.warmup,
                        min_secs: a.min_secs,
                        min_mb: a.min_mb,
                        max_secs: a.max_secs.max(a.min_secs),
                        guacamole_lite: a.guacamole_lite,
                        screen: Screen {
                            width: a.screen.width,
                            height: a.screen.height,
                        },
                    },
                )
                .await?;
                append(
                    &cli.summary,
                    &format!(
                        "\nRelay throughput (medians; load {}):\n\n{}",
                        procfs::loadavg(),
                        relay::summary_table(&rows)
                    ),
                )
            }
            Command::Latency(a) => {
                let rows = latency::run(
                    &env,
                    &LatencyOptions {
                        recordings: a.recordings,
                        runs: a.runs.max(1),
                        rate_mb: a.rate_mb,
                        secs: a.secs,
                        warmup_secs: a.warmup,
                        screen: Screen {
                            width: a.screen.width,
                            height: a.screen.height,
                        },
                    },
                )
                .await?;
                append(
                    &cli.summary,
                    &format!(
                        "\nSync round-trip latency (medians; load {}):\n\n{}",
                        procfs::loadavg(),
                        latency::summary_table(&rows)
                    ),
                )
            }
            Command::Memory(a) => {
                let rows = memory::run(
                    &env,
                    &MemoryOptions {
                        tunnels: a.tunnels.max(1),
                        runs: a.runs.max(1),
                        settle_secs: a.settle,
                        concurrency: a.concurrency,
                        screen: Screen {
                            width: a.width,
                            height: a.height,
                        },
                        guacamole_lite: a.guacamole_lite,
                        porthole_env: a.porthole_env,
                        first_screen: a.first_screen.as_deref().map(|r| env.recording(r)),
                        first_syncs: a.first_syncs,
                    },
                )
                .await?;
                append(
                    &cli.summary,
                    &format!(
                        "\nMemory per idle tunnel (medians; load {}):\n\n{}",
                        procfs::loadavg(),
                        memory::summary_table(&rows)
                    ),
                )
            }
        }
    };
    // On Ctrl-C or SIGTERM the benchmark future is dropped, which kills the child
    // processes (they are spawned with kill_on_drop) instead of orphaning them.
    rt.block_on(async {
        tokio::select! {
            r = bench => r,
            _ = interrupted() => anyhow::bail!("interrupted"),
        }
    })
}

async fn interrupted() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => t,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
