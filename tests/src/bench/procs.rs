//! Child processes of a benchmark run: the `guacd-sim` binary and the guacamole-lite
//! comparison relay under Node.js. Each prints `listening on <address>` as its first
//! line; the rest of its output is drained (the last lines of stderr are kept for error
//! messages), and it is killed when dropped.

use anyhow::{anyhow, bail, Context, Result};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A started child process that announced its address.
pub struct Server {
    child: Child,
    /// What followed `listening on ` in its first line.
    pub address: String,
    stderr: Arc<Mutex<VecDeque<String>>>,
    name: String,
}

impl Server {
    /// Spawns `cmd` and waits (up to 30 s) for its `listening on …` line.
    pub async fn spawn(name: &str, mut cmd: Command) -> Result<Server> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(err) = child.stderr.take() {
            let sink = stderr.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    if let Ok(mut s) = sink.lock() {
                        if s.len() >= 50 {
                            s.pop_front();
                        }
                        s.push_back(l);
                    }
                }
            });
        }
        let out = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("{name}: no stdout"))?;
        let mut lines = BufReader::new(out).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .map_err(|_| anyhow!("{name} did not start within 30 s"))??;
        let mut server = Server {
            child,
            address: String::new(),
            stderr,
            name: name.to_owned(),
        };
        let Some(first) = first else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            bail!("{name} exited before listening: {}", server.stderr_tail());
        };
        server.address = first
            .strip_prefix("listening on ")
            .ok_or_else(|| anyhow!("{name}: unexpected first line {first:?}"))?
            .trim()
            .to_owned();
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(server)
    }

    /// The process id.
    pub fn pid(&self) -> Result<u32> {
        self.child
            .id()
            .ok_or_else(|| anyhow!("{} has exited", self.name))
    }

    /// The last lines the process wrote to stderr.
    pub fn stderr_tail(&self) -> String {
        self.stderr
            .lock()
            .map(|s| s.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    /// The address as a socket address (for `guacd-sim`).
    pub fn socket_addr(&self) -> Result<SocketAddr> {
        self.address
            .parse()
            .with_context(|| format!("{}: bad address {}", self.name, self.address))
    }
}

/// Options of a `guacd-sim` child.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// A recording to replay (flat) instead of the synthetic desktop.
    pub replay: Option<PathBuf>,
    /// Replay it again and again (else once, then the session stays idle).
    pub looped: bool,
    /// Close users silent for this long (the benchmarks keep it long).
    pub user_timeout_ms: u64,
}

/// Starts `guacd-sim` (the release binary at `bin`) on a free port.
pub async fn start_sim(bin: &Path, opts: &SimOptions) -> Result<Server> {
    let mut cmd = Command::new(bin);
    cmd.args(["--listen", "127.0.0.1:0"])
        .args([
            "--user-timeout-ms",
            &opts.user_timeout_ms.max(1000).to_string(),
        ])
        .env("RUST_LOG", "warn");
    if let Some(r) = &opts.replay {
        cmd.arg("--replay").arg(r).args(["--pacing", "flat"]);
        if opts.looped {
            cmd.arg("--loop");
        }
    }
    Server::spawn("guacd-sim", cmd).await
}

/// Starts the guacamole-lite relay (`tests/bench-node/guacamole-lite-server.js`) in
/// front of the guacd at `guacd`; its address is the complete WebSocket URL, token
/// included.
pub async fn start_guacamole_lite(node_dir: &Path, guacd: SocketAddr) -> Result<Server> {
    let script = node_dir.join("guacamole-lite-server.js");
    if !node_dir.join("node_modules/guacamole-lite").is_dir() {
        bail!(
            "guacamole-lite is not installed: run `npm ci` in {}",
            node_dir.display()
        );
    }
    let mut cmd = Command::new("node");
    cmd.arg(&script)
        .env("GUACD_HOST", guacd.ip().to_string())
        .env("GUACD_PORT", guacd.port().to_string())
        .current_dir(node_dir);
    Server::spawn("guacamole-lite", cmd).await
}
