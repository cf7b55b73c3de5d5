//! Porthole's performance harness, driven by the `porthole-bench` binary and
//! `scripts/bench-relay.sh`; the method and the numbers are in `BENCHMARKS.md`.
//!
//! * [`relay`] — throughput of one tunnel carrying a recorded guacd stream replayed
//!   flat out, through the real `porthole` binary against a direct TCP read of the same
//!   simulator (and, optionally, through guacamole-lite), with each relay's CPU time.
//! * [`latency`] — the time Porthole adds to each `sync` round trip at a steady
//!   10 MB/s, measured by a paced guacd stand-in that timestamps every `sync` it writes
//!   and every echo it reads.
//! * [`memory`] — resident memory of the `porthole` process per idle tunnel.
//!
//! Helpers: [`scan`] finds `sync`s in a stream cheaply, [`clients`] are the reading
//! clients, [`procs`] starts `guacd-sim` and guacamole-lite, [`procfs`] reads CPU time
//! and RSS from `/proc`, [`stats`] gives medians and percentiles.

pub mod clients;
pub mod latency;
pub mod memory;
pub mod procfs;
pub mod procs;
pub mod relay;
pub mod scan;
pub mod stats;

use crate::gateway::{Gateway, GatewayOptions};
use anyhow::Result;
use clients::Screen;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the benchmark's inputs and binaries are.
#[derive(Debug, Clone)]
pub struct BenchEnv {
    /// The `porthole` binary (release).
    pub porthole_bin: PathBuf,
    /// The `guacd-sim` binary (release).
    pub sim_bin: PathBuf,
    /// The folder of `.guac` recordings.
    pub recordings: PathBuf,
    /// `tests/bench-node` (guacamole-lite and its server script).
    pub node_dir: PathBuf,
}

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

impl Default for BenchEnv {
    /// Release binaries of `CARGO_TARGET_DIR` (or `<workspace>/target`), recordings in
    /// `PORTHOLE_RECORDINGS` (or `<workspace>/../shared/data/guacd-recordings`).
    fn default() -> Self {
        let root = workspace_root();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let recordings = std::env::var_os("PORTHOLE_RECORDINGS")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("../shared/data/guacd-recordings"));
        BenchEnv {
            porthole_bin: target.join("release/porthole"),
            sim_bin: target.join("release/guacd-sim"),
            recordings,
            node_dir: root.join("tests/bench-node"),
        }
    }
}

impl BenchEnv {
    /// A recording given by name (`scrolling-owner`) or path.
    pub fn recording(&self, name: &str) -> PathBuf {
        let p = Path::new(name);
        if p.exists() || name.contains('/') {
            return p.to_path_buf();
        }
        let file = if name.ends_with(".guac") {
            name.to_owned()
        } else {
            format!("{name}.guac")
        };
        self.recordings.join(file)
    }
}

/// A started Porthole with a signed-in administrator and one `vnc` connection to
/// `guacd`.
pub struct Porthole {
    pub gateway: Gateway,
    pub token: String,
    pub connection: String,
}

impl Porthole {
    /// Starts the binary at `PORTHOLE_BIN` with logging at `warn` plus `env`.
    pub async fn start(guacd: SocketAddr, env: &[(&str, String)]) -> Result<Porthole> {
        let mut vars = vec![("RUST_LOG".to_owned(), "warn".to_owned())];
        vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let gateway = Gateway::start_with(GatewayOptions {
            env: vars,
            ..GatewayOptions::default()
        })
        .await?;
        let token = gateway.admin_token().await?;
        let connection = gateway
            .create_connection(&token, "bench", "vnc", guacd)
            .await?;
        Ok(Porthole {
            gateway,
            token,
            connection,
        })
    }

    /// The process id.
    pub fn pid(&self) -> Result<u32> {
        self.gateway
            .pid()
            .ok_or_else(|| anyhow::anyhow!("porthole has exited"))
    }

    /// The tunnel URL a browser of `screen` size would open.
    pub fn tunnel_url(&self, screen: Screen) -> String {
        self.gateway.tunnel_url(&format!(
            "token={}&GUAC_ID={}&GUAC_TYPE=c&GUAC_WIDTH={}&GUAC_HEIGHT={}&GUAC_DPI=96\
             &GUAC_TIMEZONE=UTC&GUAC_IMAGE=image/png&GUAC_IMAGE=image/jpeg&GUAC_IMAGE=image/webp",
            self.token, self.connection, screen.width, screen.height
        ))
    }
}

/// Formats a float with `d` decimals, or `—` for NaN.
pub fn fmt(v: f64, d: usize) -> String {
    if v.is_finite() {
        format!("{v:.d$}")
    } else {
        "—".to_owned()
    }
}
