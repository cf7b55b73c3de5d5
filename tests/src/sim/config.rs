//! Configuration of the guacd simulator: [`SimConfig`] and the types it is made of.

use super::params;
use porthole_protocol::Status;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// A protocol the simulator pretends to have a plugin for, with the parameter names it
/// advertises in `args` (in that order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolDef {
    pub name: String,
    pub params: Vec<String>,
}

impl ProtocolDef {
    /// A protocol with the given parameter names.
    pub fn new(name: &str, params: &[&str]) -> Self {
        ProtocolDef {
            name: name.to_owned(),
            params: params.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// `vnc` with 51 parameter names.
    pub fn vnc() -> Self {
        Self::new("vnc", params::VNC)
    }

    /// `rdp` with 88 parameter names (more than 64 elements in `args`/`connect`).
    pub fn rdp() -> Self {
        Self::new("rdp", params::RDP)
    }

    /// `ssh` with 43 parameter names.
    pub fn ssh() -> Self {
        Self::new("ssh", params::SSH)
    }
}

/// How a recording is paced when replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// As fast as the slowest user reads.
    Flat,
    /// At the recorded times: the sidecar's `sync_arrival_times.rows` if the `.json`
    /// sidecar exists, otherwise the differences between `sync` timestamps.
    RealTime,
}

/// A raw guacd recording (see `shared/data/guacd-recordings/README.md`) replayed to
/// every owner instead of the synthetic desktop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaySource {
    /// The `.guac` file: guacd's bytes right after `ready`.
    pub path: PathBuf,
    pub pacing: Pacing,
    /// Start again from the beginning after the last byte.
    pub looped: bool,
}

impl ReplaySource {
    /// Flat-paced, not looped.
    pub fn flat(path: impl Into<PathBuf>) -> Self {
        ReplaySource {
            path: path.into(),
            pacing: Pacing::Flat,
            looped: false,
        }
    }
}

/// A certificate chain and private key, both PEM, for the TLS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsIdentity {
    pub cert_pem: String,
    pub key_pem: String,
}

impl TlsIdentity {
    /// A fresh self-signed certificate (rcgen) for the given DNS names / IP literals,
    /// e.g. `&["localhost", "127.0.0.1"]`.
    pub fn self_signed(names: &[&str]) -> anyhow::Result<TlsIdentity> {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let ck = rcgen::generate_simple_self_signed(names)?;
        Ok(TlsIdentity {
            cert_pem: ck.cert.pem(),
            key_pem: ck.key_pair.serialize_pem(),
        })
    }
}

/// Deliberate misbehaviour, for testing how a gateway copes with a broken guacd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Every accepted TCP connection is held open without reading or answering
    /// anything (no TLS handshake either) until the peer closes or the simulator stops.
    Silent,
    /// `select` is read, then the socket is closed without an answer (joins too).
    CloseAfterSelect,
    /// New connections (not joins): the whole handshake is read, `ready` never comes.
    NoReady,
    /// New connections: after `ready`, the first `after_bytes` bytes of the normal output
    /// (initial frames, or the recording) are written, then the socket is closed
    /// abruptly, usually in the middle of an instruction.
    CloseMidFrame { after_bytes: usize },
    /// New connections: after `ready`, `error,<message>,<status>` then close — what guacd
    /// does when the remote desktop cannot be reached (e.g. 519 UPSTREAM_NOT_FOUND).
    ErrorAfterReady { message: String, status: Status },
}

/// Timestamps of replayed frames, for benchmarks: each replayed `sync` is recorded with
/// the instant its frame was handed to the users' output queues. Bounded: the oldest
/// entries are dropped beyond [`SyncProbe::CAPACITY`].
#[derive(Debug, Clone, Default)]
pub struct SyncProbe(
    std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<(u64, std::time::Instant)>>>,
);

impl SyncProbe {
    /// Most entries kept.
    pub const CAPACITY: usize = 1 << 20;

    pub(crate) fn record(&self, ts: u64) {
        let mut q = super::lock(&self.0);
        if q.len() >= Self::CAPACITY {
            q.pop_front();
        }
        q.push_back((ts, std::time::Instant::now()));
    }

    /// Everything recorded so far, oldest first.
    pub fn entries(&self) -> Vec<(u64, std::time::Instant)> {
        super::lock(&self.0).iter().copied().collect()
    }
}

impl PartialEq for SyncProbe {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Everything the simulator can be told. `SimConfig::default()` is a faithful guacd on
/// `127.0.0.1:0` serving `vnc`, `rdp` and `ssh` with a static synthetic desktop.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free one ([`super::Simulator::addr`] tells which).
    pub listen: SocketAddr,
    /// Serve TLS instead of plain TCP.
    pub tls: Option<TlsIdentity>,
    /// Known protocols; `select` of anything else (not starting with `$`) gets no answer.
    pub protocols: Vec<ProtocolDef>,
    /// Advertise no version in `args` (guacd < 1.1.0): strict handshake order
    /// `size`,`audio`,`video`,`image`,`connect`, and `connect` has no version slot.
    pub legacy_args: bool,
    /// Longest wait for each handshake instruction (guacd: 15 s).
    pub handshake_timeout: Duration,
    /// A user that sends nothing for this long gets `error,User is not responding.,776`,
    /// `disconnect`, and is closed (guacd: 15 s).
    pub user_timeout: Duration,
    /// A user whose output has been silent this long gets `nop` (guacd: 5 s).
    pub keepalive_interval: Duration,
    /// How often pending joiners get their state replay and join the broadcast
    /// (guacd 1.5.4+: 250 ms).
    pub pending_interval: Duration,
    /// Display size when the owner's handshake has no `size` (or a zero one).
    pub default_size: (u32, u32),
    /// Animation frames per second of the synthetic desktop; 0 = static.
    pub frame_rate: f64,
    /// Extra bytes per second of noise image tiles (into off-screen buffer -4), for load
    /// tests; 0 = none. Sent at `frame_rate`, or at 10 frames/s if that is 0.
    pub bitrate: u64,
    /// Replay a recording to owners instead of the synthetic desktop.
    pub replay: Option<ReplaySource>,
    /// Misbehaviour; can be changed later with [`super::Simulator::set_fault`].
    pub fault: Option<Fault>,
    /// Record every instruction users send after `ready` ([`super::Simulator::received`]).
    pub record_inputs: bool,
    /// Keep at most this many received instructions (oldest dropped first).
    pub max_recorded_inputs: usize,
    /// Per-user output queue length in messages; a full queue makes the broadcast wait
    /// (guacd's slowest user throttles everyone).
    pub channel_capacity: usize,
    /// Record when each replayed `sync` is sent (benchmarks).
    pub sync_probe: Option<SyncProbe>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tls: None,
            protocols: vec![ProtocolDef::vnc(), ProtocolDef::rdp(), ProtocolDef::ssh()],
            legacy_args: false,
            handshake_timeout: Duration::from_secs(15),
            user_timeout: Duration::from_secs(15),
            keepalive_interval: Duration::from_secs(5),
            pending_interval: Duration::from_millis(250),
            default_size: (1024, 768),
            frame_rate: 0.0,
            bitrate: 0,
            replay: None,
            fault: None,
            record_inputs: true,
            max_recorded_inputs: 200_000,
            channel_capacity: 64,
            sync_probe: None,
        }
    }
}

impl SimConfig {
    /// The default configuration listening on `127.0.0.1:0`.
    pub fn loopback() -> Self {
        Self::default()
    }
}
