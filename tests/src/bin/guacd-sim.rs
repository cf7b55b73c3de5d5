//! `guacd-sim`: the guacd simulator of `porthole_testsuite::sim` as a standalone server.
//!
//! Prints exactly `listening on <addr>` as its first line on stdout once bound, then
//! serves until SIGINT/SIGTERM. Logs go to stderr (`RUST_LOG`, default `info`).

use anyhow::Context;
use clap::{Parser, ValueEnum};
use porthole_protocol::Status;
use porthole_testsuite::sim::{Fault, Pacing, ReplaySource, SimConfig, Simulator, TlsIdentity};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PacingArg {
    Flat,
    Realtime,
}

/// A guacd (1.5/1.6) simulator for Porthole's tests and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "guacd-sim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:4822")]
    listen: SocketAddr,
    /// Animation frames per second of the synthetic desktop (0 = static).
    #[arg(long, default_value_t = 0.0)]
    frame_rate: f64,
    /// Extra bytes per second of noise image tiles, for load tests.
    #[arg(long, default_value_t = 0)]
    bitrate: u64,
    /// Replay this guacd recording (.guac) to every owner instead of the desktop.
    #[arg(long)]
    replay: Option<PathBuf>,
    /// Pacing of --replay.
    #[arg(long, value_enum, default_value = "flat")]
    pacing: PacingArg,
    /// Restart the recording when it ends.
    #[arg(long = "loop")]
    looped: bool,
    /// Close users that send nothing for this long (guacd: 15000).
    #[arg(long, default_value_t = 15_000)]
    user_timeout_ms: u64,
    /// Longest wait for each handshake instruction (guacd: 15000).
    #[arg(long, default_value_t = 15_000)]
    handshake_timeout_ms: u64,
    /// PEM certificate chain: serve TLS (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Advertise no protocol version in `args` (guacd < 1.1.0).
    #[arg(long)]
    legacy_args: bool,
    /// Misbehave: accept TCP connections but never answer.
    #[arg(long)]
    silent: bool,
    /// Misbehave: after `ready`, send `error,Aborted. See logs.,<STATUS>` and close.
    #[arg(long, value_name = "STATUS")]
    error_after_ready: Option<u16>,
    /// Misbehave: after `ready`, send this many bytes of output and close abruptly.
    #[arg(long, value_name = "BYTES")]
    close_mid_frame_after: Option<usize>,
}

fn config(args: &Args) -> anyhow::Result<SimConfig> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(TlsIdentity {
            cert_pem: std::fs::read_to_string(c)
                .with_context(|| format!("reading {}", c.display()))?,
            key_pem: std::fs::read_to_string(k)
                .with_context(|| format!("reading {}", k.display()))?,
        }),
        _ => None,
    };
    let fault = if args.silent {
        Some(Fault::Silent)
    } else if let Some(code) = args.error_after_ready {
        let status = Status::from_code(code).with_context(|| format!("unknown status {code}"))?;
        Some(Fault::ErrorAfterReady {
            message: "Aborted. See logs.".to_owned(),
            status,
        })
    } else {
        args.close_mid_frame_after
            .map(|after_bytes| Fault::CloseMidFrame { after_bytes })
    };
    Ok(SimConfig {
        listen: args.listen,
        tls,
        legacy_args: args.legacy_args,
        handshake_timeout: Duration::from_millis(args.handshake_timeout_ms),
        user_timeout: Duration::from_millis(args.user_timeout_ms),
        frame_rate: args.frame_rate,
        bitrate: args.bitrate,
        replay: args.replay.as_ref().map(|p| ReplaySource {
            path: p.clone(),
            pacing: match args.pacing {
                PacingArg::Flat => Pacing::Flat,
                PacingArg::Realtime => Pacing::RealTime,
            },
            looped: args.looped,
        }),
        fault,
        // A long-running server must not accumulate every instruction it receives.
        max_recorded_inputs: 10_000,
        ..SimConfig::default()
    })
}

async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let cfg = config(&args)?;
    let sim = Simulator::start(cfg)
        .await
        .context("starting the simulator")?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", sim.addr())?;
        out.flush()?;
    }
    terminated().await;
    sim.shutdown().await;
    Ok(())
}
