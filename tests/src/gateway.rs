//! Starts the real `porthole` binary for end-to-end tests and benchmarks.
//!
//! The binary is taken from `PORTHOLE_BIN`, else from the workspace's target directory
//! (`CARGO_TARGET_DIR` or `<workspace>/target`, debug then release). If it is missing it
//! is built once with `cargo build -p porthole-gateway`. Each [`Gateway`] gets its own
//! temporary data directory (a fresh SQLite database), listens on 127.0.0.1:0, and is
//! killed when dropped; its stderr is kept for failure messages.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The administrator password every test gateway is started with.
pub const ADMIN_PASSWORD: &str = "test-admin-password";

/// Options for a test gateway.
#[derive(Debug, Clone, Default)]
pub struct GatewayOptions {
    /// Extra `PORTHOLE_*` environment variables (config overrides).
    pub env: Vec<(String, String)>,
    /// Extra command-line arguments after `serve`.
    pub args: Vec<String>,
    /// A config file to pass with `--config`.
    pub config_file: Option<PathBuf>,
}

/// A running `porthole` process.
pub struct Gateway {
    child: Child,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    pub port: u16,
    pub data_dir: PathBuf,
    stderr: Arc<Mutex<String>>,
    http: reqwest::Client,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Path of the `porthole` binary, building it if needed.
pub fn porthole_binary() -> Result<PathBuf> {
    static BIN: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| locate_or_build().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow!(e))
}

fn locate_or_build() -> Result<PathBuf> {
    if let Ok(p) = std::env::var("PORTHOLE_BIN") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        bail!("PORTHOLE_BIN={} does not exist", p.display());
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("target"));
    for profile in ["debug", "release"] {
        let p = target.join(profile).join("porthole");
        if p.is_file() {
            return Ok(p);
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "-p", "porthole-gateway", "--bin", "porthole"])
        .current_dir(workspace_root())
        .status()
        .context("cannot run cargo to build porthole")?;
    if !status.success() {
        bail!("cargo build -p porthole-gateway failed");
    }
    let p = target.join("debug").join("porthole");
    if p.is_file() {
        Ok(p)
    } else {
        bail!("porthole was built but {} is missing", p.display())
    }
}

impl Gateway {
    /// Starts a gateway with default options.
    pub async fn start() -> Result<Gateway> {
        Self::start_with(GatewayOptions::default()).await
    }

    /// Starts a gateway and waits for its `listening on` line.
    pub async fn start_with(opts: GatewayOptions) -> Result<Gateway> {
        let bin = porthole_binary()?;
        let data_dir = std::env::temp_dir().join(format!("porthole-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&data_dir)?;
        let mut cmd = Command::new(bin);
        if let Some(c) = &opts.config_file {
            cmd.arg("--config").arg(c);
        }
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
            .args(&opts.args)
            .env("PORTHOLE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            // Tests decide themselves whether a demo desktop exists.
            .env("PORTHOLE_SERVER_DEMO_VNC", "")
            .env(
                "RUST_LOG",
                std::env::var("PORTHOLE_TEST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(opts.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().context("cannot start porthole")?;
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let sink = stderr.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&l);
                        s.push('\n');
                    }
                }
            });
        }
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .map_err(|_| anyhow!("porthole did not start within 60 s"))??;
        let Some(line) = line else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let err = stderr.lock().map(|s| s.clone()).unwrap_or_default();
            bail!("porthole exited before listening; stderr:\n{err}");
        };
        let base = line
            .strip_prefix("listening on ")
            .ok_or_else(|| anyhow!("unexpected first line from porthole: {line}"))?
            .to_string();
        let port = base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| anyhow!("no port in {base}"))?;
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Gateway {
            child,
            base,
            port,
            data_dir,
            stderr,
            http: reqwest::Client::new(),
        })
    }

    /// Everything the gateway wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM and waits for the exit (up to `timeout`); returns the exit code.
    pub async fn terminate(&mut self, timeout: Duration) -> Result<Option<i32>> {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let st = tokio::time::timeout(timeout, self.child.wait())
            .await
            .map_err(|_| anyhow!("porthole did not exit within {timeout:?}"))??;
        Ok(st.code())
    }

    /// `ws://127.0.0.1:<port>/websocket-tunnel?<query>`
    pub fn tunnel_url(&self, query: &str) -> String {
        format!(
            "{}/websocket-tunnel?{query}",
            self.base.replacen("http", "ws", 1)
        )
    }

    /// A REST request; returns status and JSON body (Null when empty or not JSON).
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(u16, Value)> {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// Signs in and returns the token.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<String> {
        let (st, body) = self
            .request(
                reqwest::Method::POST,
                "/api/tokens",
                None,
                Some(serde_json::json!({"username": username, "password": password})),
            )
            .await?;
        if st != 200 {
            bail!("sign-in as {username} failed: {st} {body}");
        }
        body["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no token in {body}"))
    }

    /// Signs in as the administrator.
    pub async fn admin_token(&self) -> Result<String> {
        self.sign_in("admin", ADMIN_PASSWORD).await
    }

    /// Creates a connection served by the guacd at `guacd`; returns its id.
    pub async fn create_connection(
        &self,
        token: &str,
        name: &str,
        protocol: &str,
        guacd: std::net::SocketAddr,
    ) -> Result<String> {
        let (st, body) = self
            .request(
                reqwest::Method::POST,
                "/api/connections",
                Some(token),
                Some(serde_json::json!({
                    "name": name,
                    "protocol": protocol,
                    "parameters": {"hostname": "desktop.example", "port": "5900"},
                    "guacd": {"host": guacd.ip().to_string(), "port": guacd.port(), "tls": false}
                })),
            )
            .await?;
        if st != 201 {
            bail!("creating connection failed: {st} {body}");
        }
        body["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no id in {body}"))
    }

    /// Fetches `/metrics` as text.
    pub async fn metrics(&self) -> Result<String> {
        Ok(self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await?
            .text()
            .await?)
    }

    /// Reads one metric's value from `/metrics`.
    pub async fn metric(&self, name: &str) -> Result<f64> {
        let m = self.metrics().await?;
        m.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| anyhow!("metric {name} not found"))
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
