//! Configuration: one TOML file, `PORTHOLE_*` environment overrides, then CLI flags.
//!
//! Every key has a default (see `config/porthole.toml`, which documents each one), so
//! Porthole starts with no file at all. Loading goes file → environment → flags into a
//! [`Config`], then [`Config::validate`] checks it and resolves derived values (the
//! database URL, the allowed WebSocket origins). An environment variable names a key as
//! `PORTHOLE_<SECTION>_<KEY>` in upper case, e.g. `PORTHOLE_GUACD_PORT=4823` or
//! `PORTHOLE_SERVER_PUBLIC_URL=https://porthole.example.com`.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub guacd: GuacdConfig,
    pub auth: AuthConfig,
    pub tunnel: TunnelConfig,
    pub sharing: SharingConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on. Port 0 picks a free port (printed at start).
    pub listen: String,
    /// The URL browsers use to reach Porthole. Share links are built from it and
    /// WebSocket upgrades are only accepted from its origin (plus the listen address).
    /// Empty: `http(s)://<listen address>`.
    pub public_url: String,
    /// PEM certificate chain; with `tls_key`, Porthole serves HTTPS.
    pub tls_cert: String,
    /// PEM private key for `tls_cert`.
    pub tls_key: String,
    /// Directory for the embedded database and other state.
    pub data_dir: PathBuf,
    /// Seconds to wait for sessions to close after SIGTERM before exiting anyway.
    pub shutdown_grace_secs: u64,
    /// On the very first start, if a VNC server answers here, a ready "Demo desktop"
    /// connection to it is created (`scripts/demo-desktop.sh` starts one). Empty: never.
    pub demo_vnc: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            data_dir: PathBuf::from("data"),
            shutdown_grace_secs: 5,
            demo_vnc: "127.0.0.1:5901".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`. Empty: SQLite file `porthole.db` in `data_dir`.
    pub url: String,
    /// Maximum pooled connections.
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuacdConfig {
    /// Default guacd host for connections that do not name their own.
    pub host: String,
    /// Default guacd port.
    pub port: u16,
    /// Connect to guacd over TLS.
    pub tls: bool,
    /// PEM file of CA certificates trusted for guacd's TLS certificate. Empty: the
    /// bundled web PKI roots.
    pub ca_file: String,
    /// Name to verify in guacd's certificate. Empty: the host.
    pub tls_server_name: String,
    /// Milliseconds to wait for the TCP/TLS connection to guacd.
    pub connect_timeout_ms: u64,
    /// Milliseconds to wait for each handshake reply (`args`, `ready`). guacd stays
    /// silent for an unknown protocol, so this bounds that wait.
    pub handshake_timeout_ms: u64,
}

impl Default for GuacdConfig {
    fn default() -> Self {
        GuacdConfig {
            host: "127.0.0.1".into(),
            port: 4822,
            tls: false,
            ca_file: String::new(),
            tls_server_name: String::new(),
            connect_timeout_ms: 5_000,
            handshake_timeout_ms: 15_000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Lifetime of a sign-in token, in seconds.
    pub token_ttl_secs: u64,
    /// Failed sign-ins allowed per user (and per address) before sign-in is slowed.
    pub max_failed_logins: u32,
    /// Seconds of lockout after too many failures; doubles with each further failure,
    /// up to `max_lockout_secs`.
    pub lockout_secs: u64,
    /// Longest lockout, in seconds.
    pub max_lockout_secs: u64,
    /// Name of the administrator created on first start.
    pub initial_admin: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            token_ttl_secs: 12 * 3600,
            max_failed_logins: 5,
            lockout_secs: 30,
            max_lockout_secs: 15 * 60,
            initial_admin: "admin".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TunnelConfig {
    /// Most tunnels open at once; further upgrades get 513 (server busy).
    pub max_tunnels: usize,
    /// Largest element accepted from guacd, in code points.
    pub upstream_max_element: usize,
    /// Largest instruction accepted from guacd, in bytes.
    pub upstream_max_instruction_bytes: usize,
    /// Send `nop` to guacd after this many ms without sending it anything (guacd drops
    /// users silent for 15 s).
    pub upstream_keepalive_ms: u64,
    /// Close a tunnel whose browser has sent nothing for this many ms.
    pub browser_timeout_ms: u64,
    /// Bytes of guacd output queued toward one browser before reading from guacd
    /// pauses (back-pressure on the owner's path).
    pub browser_queue_bytes: usize,
}

impl Default for TunnelConfig {
    fn default() -> Self {
        TunnelConfig {
            max_tunnels: 10_000,
            upstream_max_element: porthole_protocol::Limits::UPSTREAM.max_element_len,
            upstream_max_instruction_bytes: porthole_protocol::Limits::UPSTREAM
                .max_instruction_bytes,
            upstream_keepalive_ms: 5_000,
            browser_timeout_ms: 20_000,
            browser_queue_bytes: 4 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharingConfig {
    /// Seconds a session with viewers waits for its originator's page to come back after
    /// its tunnel dropped without an explicit disconnect (a reload).
    pub owner_reconnect_grace_secs: u64,
    /// Bytes of output queued toward one viewer. When a viewer falls this far behind, it
    /// is resynchronised (its queue drains, then a fresh join replays the screen).
    pub viewer_queue_bytes: usize,
    /// Milliseconds a lagging viewer gets to drain its queue before it is disconnected
    /// with 776 (client too slow).
    pub viewer_drain_timeout_ms: u64,
    /// Resynchronisations allowed per viewer per minute; one more disconnects it.
    pub viewer_resyncs_per_minute: u32,
    /// Most live links per session.
    pub max_links_per_session: usize,
}

impl Default for SharingConfig {
    fn default() -> Self {
        SharingConfig {
            owner_reconnect_grace_secs: 15,
            viewer_queue_bytes: 2 * 1024 * 1024,
            viewer_drain_timeout_ms: 10_000,
            viewer_resyncs_per_minute: 3,
            max_links_per_session: 100,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `human` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `porthole_gateway=debug,info`. `RUST_LOG` wins.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: "human".into(),
            level: "info".into(),
        }
    }
}

/// Flags that override the file and the environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<String>,
}

/// Values derived from a validated configuration.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub listen: SocketAddr,
    pub database_url: String,
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Config {
    /// Loads the file (if any), applies `PORTHOLE_*` variables from `env`, then flags.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        flags: &Overrides,
    ) -> Result<Config> {
        let mut value: toml::Table = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read config file {}", p.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("config file {} is not valid TOML", p.display()))?
            }
            None => toml::Table::new(),
        };
        apply_env(&mut value, env)?;
        let mut cfg: Config = toml::Value::Table(value)
            .try_into()
            .context("configuration does not match the expected keys and types")?;
        if let Some(v) = &flags.listen {
            cfg.server.listen = v.clone();
        }
        if let Some(v) = &flags.public_url {
            cfg.server.public_url = v.clone();
        }
        if let Some(v) = &flags.data_dir {
            cfg.server.data_dir = v.clone();
        }
        if let Some(v) = &flags.database_url {
            cfg.database.url = v.clone();
        }
        if let Some(v) = &flags.log_format {
            cfg.log.format = v.clone();
        }
        Ok(cfg)
    }

    /// Checks every value and derives what the server needs.
    pub fn validate(&self) -> Result<Resolved> {
        let listen: SocketAddr = self.server.listen.parse().with_context(|| {
            format!(
                "server.listen '{}' is not an address like 127.0.0.1:8080",
                self.server.listen
            )
        })?;
        if !self.server.public_url.is_empty() {
            let u = url::Url::parse(&self.server.public_url).with_context(|| {
                format!(
                    "server.public_url '{}' is not an absolute URL",
                    self.server.public_url
                )
            })?;
            if u.scheme() != "http" && u.scheme() != "https" {
                bail!("server.public_url must start with http:// or https://");
            }
        }
        let tls = match (
            self.server.tls_cert.is_empty(),
            self.server.tls_key.is_empty(),
        ) {
            (true, true) => None,
            (false, false) => Some((
                PathBuf::from(&self.server.tls_cert),
                PathBuf::from(&self.server.tls_key),
            )),
            _ => bail!("server.tls_cert and server.tls_key must be set together"),
        };
        if let Some((c, k)) = &tls {
            for p in [c, k] {
                if !p.is_file() {
                    bail!("TLS file {} does not exist", p.display());
                }
            }
        }
        if self.guacd.host.is_empty() {
            bail!("guacd.host must not be empty");
        }
        if self.guacd.port == 0 {
            bail!("guacd.port must not be 0");
        }
        if !self.guacd.ca_file.is_empty() && !Path::new(&self.guacd.ca_file).is_file() {
            bail!("guacd.ca_file {} does not exist", self.guacd.ca_file);
        }
        if self.guacd.handshake_timeout_ms == 0 || self.guacd.connect_timeout_ms == 0 {
            bail!("guacd timeouts must be above 0");
        }
        if self.tunnel.upstream_keepalive_ms == 0 || self.tunnel.upstream_keepalive_ms >= 15_000 {
            bail!("tunnel.upstream_keepalive_ms must be between 1 and 14999 (guacd drops users silent for 15 s)");
        }
        if self.tunnel.upstream_max_element < 8192 {
            bail!("tunnel.upstream_max_element must be at least 8192 (guacd's own element size)");
        }
        if self.tunnel.upstream_max_instruction_bytes < 32 * 1024 {
            bail!("tunnel.upstream_max_instruction_bytes must be at least 32768");
        }
        if self.tunnel.browser_queue_bytes < 64 * 1024 {
            bail!("tunnel.browser_queue_bytes must be at least 65536");
        }
        if self.sharing.viewer_queue_bytes < 64 * 1024 {
            bail!("sharing.viewer_queue_bytes must be at least 65536");
        }
        if self.sharing.max_links_per_session == 0 {
            bail!("sharing.max_links_per_session must be above 0");
        }
        if self.auth.token_ttl_secs == 0 {
            bail!("auth.token_ttl_secs must be above 0");
        }
        if self.auth.initial_admin.trim().is_empty() {
            bail!("auth.initial_admin must not be empty");
        }
        match self.log.format.as_str() {
            "human" | "json" => {}
            other => bail!("log.format '{other}' must be 'human' or 'json'"),
        }
        let database_url = if self.database.url.is_empty() {
            let path = self.server.data_dir.join("porthole.db");
            format!("sqlite://{}?mode=rwc", path.display())
        } else if self.database.url.starts_with("sqlite:")
            || self.database.url.starts_with("postgres:")
            || self.database.url.starts_with("postgresql:")
        {
            self.database.url.clone()
        } else {
            bail!("database.url must start with sqlite: or postgres:");
        };
        Ok(Resolved {
            listen,
            database_url,
            tls,
        })
    }

    /// Milliseconds as a [`Duration`] helper for the guacd handshake timeout.
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_millis(self.guacd.handshake_timeout_ms)
    }
}

/// Applies `PORTHOLE_<SECTION>_<KEY>` variables onto the TOML table. The value is parsed
/// as TOML when it can be (numbers, booleans), else taken as a string.
fn apply_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<()> {
    const SECTIONS: [&str; 7] = [
        "server", "database", "guacd", "auth", "tunnel", "sharing", "log",
    ];
    for (k, v) in env {
        let Some(rest) = k.strip_prefix("PORTHOLE_") else {
            continue;
        };
        let rest = rest.to_ascii_lowercase();
        let Some(section) = SECTIONS.iter().find(|s| rest.starts_with(&format!("{s}_"))) else {
            continue; // e.g. PORTHOLE_ADMIN_PASSWORD, read elsewhere
        };
        let key = &rest[section.len() + 1..];
        let parsed = format!("v = {v}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(v.clone()));
        // Keep strings as strings for keys whose default is a string.
        let is_string_key = matches!(
            toml::Value::try_from(Config::default())
                .ok()
                .and_then(|c| c.get(*section).and_then(|s| s.get(key)).cloned()),
            Some(toml::Value::String(_))
        );
        let value = if is_string_key {
            toml::Value::String(v)
        } else {
            parsed
        };
        let entry = table
            .entry((*section).to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        match entry {
            toml::Value::Table(t) => {
                t.insert(key.to_string(), value);
            }
            _ => bail!("config section [{section}] is not a table"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let c = Config::load(None, vec![], &Overrides::default()).unwrap();
        let r = c.validate().unwrap();
        assert_eq!(r.listen.port(), 8080);
        assert!(r.database_url.starts_with("sqlite://"));
    }

    #[test]
    fn env_then_flags_override() {
        let env = vec![
            ("PORTHOLE_GUACD_PORT".to_string(), "4999".to_string()),
            ("PORTHOLE_GUACD_HOST".to_string(), "10.0.0.1".to_string()),
            (
                "PORTHOLE_SERVER_LISTEN".to_string(),
                "0.0.0.0:1".to_string(),
            ),
            ("PORTHOLE_ADMIN_PASSWORD".to_string(), "x".to_string()),
        ];
        let flags = Overrides {
            listen: Some("127.0.0.1:0".into()),
            ..Default::default()
        };
        let c = Config::load(None, env, &flags).unwrap();
        assert_eq!(c.guacd.port, 4999);
        assert_eq!(c.guacd.host, "10.0.0.1");
        assert_eq!(c.server.listen, "127.0.0.1:0");
    }

    #[test]
    fn documented_example_is_exactly_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/porthole.toml");
        let c = Config::load(Some(&path), vec![], &Overrides::default()).unwrap();
        assert_eq!(
            toml::to_string(&c).unwrap(),
            toml::to_string(&Config::default()).unwrap(),
            "config/porthole.toml must document every key with its default"
        );
    }

    #[test]
    fn bad_values_explained() {
        let env = vec![("PORTHOLE_LOG_FORMAT".to_string(), "xml".to_string())];
        let c = Config::load(None, env, &Overrides::default()).unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("log.format"), "{e}");
        let env = vec![("PORTHOLE_GUACD_PORT".to_string(), "many".to_string())];
        assert!(Config::load(None, env, &Overrides::default()).is_err());
    }
}
