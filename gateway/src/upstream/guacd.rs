//! guacd upstream: connect over TCP or TLS and perform the handshake (guacamole-wire.md
//! §2) for an owner (`select <protocol>`) or a joiner (`select $id`).
//!
//! The handshake is bounded in time at every step: the TCP/TLS connect by
//! `guacd.connect_timeout_ms`, and each awaited reply (`args`, `ready`) by
//! `guacd.handshake_timeout_ms` — guacd stays silent for an unknown protocol, so without
//! this bound a tunnel would hang. A guacd `error` during the handshake becomes its own
//! status for the browser; a silent close becomes UPSTREAM_ERROR.
//!
//! `ready` does not prove success (guacd sends it before checking the `connect` count),
//! so the caller treats the first output or EOF after `ready` as the real verdict.
//! Bytes guacd pipelines right after `ready` are kept in [`GuacdSession::buf`] and must
//! be processed before reading more.

use crate::config::GuacdConfig;
use crate::store::connections::GuacdTarget;
use anyhow::Context;
use bytes::BytesMut;
use porthole_protocol::handshake::{
    encode_client_reply, AdvertisedVersion, ClientInfo, HandshakeInstruction, ProtocolVersion,
};
use porthole_protocol::{Instruction, Limits, Parser, Status};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types::ServerName};
use tokio_rustls::TlsConnector;

/// A byte stream to guacd, plain or TLS.
pub trait GuacdIo: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> GuacdIo for T {}

/// Why a guacd handshake failed. Each maps to one Guacamole status for the browser.
#[derive(Debug, Error)]
pub enum UpstreamError {
    #[error("guacd at {addr} is unreachable: {source}")]
    Unreachable {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("guacd at {addr} did not accept the connection within {ms} ms")]
    ConnectTimeout { addr: String, ms: u64 },
    #[error("TLS to guacd at {addr} failed: {reason}")]
    Tls { addr: String, reason: String },
    #[error("guacd did not answer '{waiting_for}' within {ms} ms")]
    HandshakeTimeout { waiting_for: &'static str, ms: u64 },
    #[error("guacd closed the connection during the handshake (waiting for '{waiting_for}')")]
    Closed { waiting_for: &'static str },
    #[error("guacd refused: {message} ({status})")]
    Refused { status: Status, message: String },
    #[error("guacd sent something that is not the Guacamole protocol: {0}")]
    Protocol(String),
    #[error("i/o error talking to guacd: {0}")]
    Io(#[from] std::io::Error),
}

impl UpstreamError {
    /// The status the browser gets for this failure.
    pub fn status(&self) -> Status {
        match self {
            UpstreamError::Unreachable { .. } | UpstreamError::Tls { .. } => {
                Status::UpstreamNotFound
            }
            UpstreamError::ConnectTimeout { .. } | UpstreamError::HandshakeTimeout { .. } => {
                Status::UpstreamTimeout
            }
            UpstreamError::Refused { status, .. } => *status,
            UpstreamError::Closed { .. } | UpstreamError::Protocol(_) | UpstreamError::Io(_) => {
                Status::UpstreamError
            }
        }
    }

    /// The metrics label for this failure.
    pub fn kind(&self) -> crate::metrics::HandshakeFailure {
        use crate::metrics::HandshakeFailure as H;
        match self {
            UpstreamError::Unreachable { .. } | UpstreamError::Tls { .. } => H::Unreachable,
            UpstreamError::ConnectTimeout { .. } | UpstreamError::HandshakeTimeout { .. } => {
                H::Timeout
            }
            UpstreamError::Refused { .. } => H::Refused,
            UpstreamError::Protocol(_) => H::Protocol,
            UpstreamError::Closed { .. } | UpstreamError::Io(_) => H::Closed,
        }
    }
}

/// What to ask guacd for.
#[derive(Debug, Clone)]
pub struct HandshakeRequest {
    /// A protocol name (`vnc`, `rdp`, …) for a new connection, or `$id` to join one.
    pub select: String,
    /// Values for the parameters guacd will name in `args`.
    pub parameters: BTreeMap<String, String>,
    /// The browser's size, formats, timezone and the user's name.
    pub client: ClientInfo,
}

/// A guacd connection after `ready`.
pub struct GuacdSession {
    pub io: Box<dyn GuacdIo>,
    /// guacd's connection id (`$uuid`), used by joiners.
    pub connection_id: String,
    /// The version negotiated (`None` for a legacy guacd).
    pub version: Option<ProtocolVersion>,
    /// The parameter names guacd advertised.
    pub arg_names: Vec<String>,
    /// Parser state and unprocessed bytes received after `ready`.
    pub parser: Parser,
    pub buf: BytesMut,
}

impl std::fmt::Debug for GuacdSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuacdSession")
            .field("connection_id", &self.connection_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Connects to guacd daemons with the configured timeouts and TLS trust.
pub struct GuacdConnector {
    default: GuacdTarget,
    tls_server_name: String,
    tls: TlsConnector,
    connect_timeout: Duration,
    handshake_timeout: Duration,
    limits: Limits,
}

impl GuacdConnector {
    /// Builds the connector from configuration (loads the CA file, if any).
    pub fn new(cfg: &GuacdConfig, limits: Limits) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        if cfg.ca_file.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        } else {
            let pem = std::fs::read(&cfg.ca_file)
                .with_context(|| format!("cannot read guacd.ca_file {}", cfg.ca_file))?;
            let mut n = 0;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.with_context(|| format!("bad PEM in {}", cfg.ca_file))?;
                roots
                    .add(cert)
                    .with_context(|| format!("bad certificate in {}", cfg.ca_file))?;
                n += 1;
            }
            if n == 0 {
                anyhow::bail!("guacd.ca_file {} holds no certificate", cfg.ca_file);
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(GuacdConnector {
            default: GuacdTarget {
                host: cfg.host.clone(),
                port: cfg.port,
                tls: cfg.tls,
            },
            tls_server_name: cfg.tls_server_name.clone(),
            tls: TlsConnector::from(Arc::new(tls)),
            connect_timeout: Duration::from_millis(cfg.connect_timeout_ms),
            handshake_timeout: Duration::from_millis(cfg.handshake_timeout_ms),
            limits,
        })
    }

    /// The guacd used when a connection names none.
    pub fn default_target(&self) -> &GuacdTarget {
        &self.default
    }

    /// Opens the byte stream to a guacd.
    pub async fn open(&self, target: &GuacdTarget) -> Result<Box<dyn GuacdIo>, UpstreamError> {
        let addr = format!("{}:{}", target.host, target.port);
        let tcp = match tokio::time::timeout(self.connect_timeout, TcpStream::connect(&addr)).await
        {
            Err(_) => {
                return Err(UpstreamError::ConnectTimeout {
                    addr,
                    ms: self.connect_timeout.as_millis() as u64,
                })
            }
            Ok(Err(source)) => return Err(UpstreamError::Unreachable { addr, source }),
            Ok(Ok(s)) => s,
        };
        let _ = tcp.set_nodelay(true);
        if !target.tls {
            return Ok(Box::new(tcp));
        }
        let name = if self.tls_server_name.is_empty() {
            target.host.clone()
        } else {
            self.tls_server_name.clone()
        };
        let server_name = ServerName::try_from(name.clone()).map_err(|e| UpstreamError::Tls {
            addr: addr.clone(),
            reason: format!("'{name}' is not a valid server name: {e}"),
        })?;
        match tokio::time::timeout(self.connect_timeout, self.tls.connect(server_name, tcp)).await {
            Err(_) => Err(UpstreamError::ConnectTimeout {
                addr,
                ms: self.connect_timeout.as_millis() as u64,
            }),
            Ok(Err(e)) => Err(UpstreamError::Tls {
                addr,
                reason: e.to_string(),
            }),
            Ok(Ok(s)) => Ok(Box::new(s)),
        }
    }

    /// Connects and performs the whole handshake.
    pub async fn connect(
        &self,
        target: &GuacdTarget,
        req: &HandshakeRequest,
    ) -> Result<GuacdSession, UpstreamError> {
        let io = self.open(target).await?;
        self.handshake(io, req).await
    }

    /// Performs the handshake on an open stream.
    pub async fn handshake(
        &self,
        mut io: Box<dyn GuacdIo>,
        req: &HandshakeRequest,
    ) -> Result<GuacdSession, UpstreamError> {
        let mut out = BytesMut::new();
        HandshakeInstruction::Select(req.select.clone()).encode(&mut out);
        io.write_all(&out).await?;
        out.clear();

        let mut parser = Parser::new(self.limits);
        let mut buf = BytesMut::with_capacity(4 * 1024);
        let args = self.expect(&mut io, &mut parser, &mut buf, "args").await?;
        let (version, names) = match HandshakeInstruction::parse(&args) {
            Ok(HandshakeInstruction::Args { version, names }) => (version, names),
            _ => return Err(UpstreamError::Protocol("malformed 'args'".into())),
        };
        let negotiated = encode_client_reply(&mut out, &version, &names, &req.client, |n| {
            req.parameters.get(n).map(String::as_str)
        });
        if let AdvertisedVersion::Newer(v) = &version {
            tracing::debug!(advertised = %v, "guacd is newer than Porthole; speaking VERSION_1_5_0");
        }
        io.write_all(&out).await?;
        io.flush().await?;

        let ready = self.expect(&mut io, &mut parser, &mut buf, "ready").await?;
        let connection_id = ready.arg(0).unwrap_or("").to_owned();
        if connection_id.is_empty() {
            return Err(UpstreamError::Protocol(
                "'ready' without a connection id".into(),
            ));
        }
        Ok(GuacdSession {
            io,
            connection_id,
            version: negotiated,
            arg_names: names,
            parser,
            buf,
        })
    }

    /// Reads instructions until `opcode` arrives, each read bounded by the handshake
    /// timeout. `error` and `disconnect` end the handshake; anything else is skipped
    /// (guacd may interleave `log` or `nop`).
    async fn expect(
        &self,
        io: &mut Box<dyn GuacdIo>,
        parser: &mut Parser,
        buf: &mut BytesMut,
        opcode: &'static str,
    ) -> Result<Instruction, UpstreamError> {
        let deadline = tokio::time::Instant::now() + self.handshake_timeout;
        loop {
            match parser.next(buf) {
                Err(e) => return Err(UpstreamError::Protocol(e.to_string())),
                Ok(Some(i)) if i.opcode() == opcode => return Ok(i),
                Ok(Some(i)) if i.opcode() == "error" => {
                    let status = i
                        .arg(1)
                        .and_then(Status::from_wire)
                        .unwrap_or(Status::UpstreamError);
                    return Err(UpstreamError::Refused {
                        status,
                        message: i.arg(0).unwrap_or("").to_owned(),
                    });
                }
                Ok(Some(i)) if i.opcode() == "disconnect" => {
                    return Err(UpstreamError::Closed {
                        waiting_for: opcode,
                    })
                }
                Ok(Some(_)) => continue,
                Ok(None) => {}
            }
            buf.reserve(4 * 1024);
            match tokio::time::timeout_at(deadline, io.read_buf(buf)).await {
                Err(_) => {
                    return Err(UpstreamError::HandshakeTimeout {
                        waiting_for: opcode,
                        ms: self.handshake_timeout.as_millis() as u64,
                    })
                }
                Ok(Ok(0)) => {
                    return Err(UpstreamError::Closed {
                        waiting_for: opcode,
                    })
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(UpstreamError::Io(e)),
            }
        }
    }
}
