//! Process metrics in the Prometheus text format, served at `/metrics`.
//!
//! Plain atomic counters and gauges; no registry crate is needed for this handful, and
//! every increment is one relaxed atomic add on the hot path.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Reasons a guacd handshake can fail, each counted separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeFailure {
    Unreachable,
    Timeout,
    Refused,
    Protocol,
    Closed,
}

impl HandshakeFailure {
    const ALL: [HandshakeFailure; 5] = [
        HandshakeFailure::Unreachable,
        HandshakeFailure::Timeout,
        HandshakeFailure::Refused,
        HandshakeFailure::Protocol,
        HandshakeFailure::Closed,
    ];
    fn label(self) -> &'static str {
        match self {
            HandshakeFailure::Unreachable => "unreachable",
            HandshakeFailure::Timeout => "timeout",
            HandshakeFailure::Refused => "refused",
            HandshakeFailure::Protocol => "protocol",
            HandshakeFailure::Closed => "closed",
        }
    }
}

/// All counters of the process.
#[derive(Debug, Default)]
pub struct Metrics {
    pub tunnels_open: AtomicU64,
    pub tunnels_total: AtomicU64,
    pub sessions_open: AtomicU64,
    pub bytes_to_browser: AtomicU64,
    pub bytes_to_upstream: AtomicU64,
    pub browser_instructions_rejected: AtomicU64,
    pub logins_failed: AtomicU64,
    pub viewer_resyncs: AtomicU64,
    handshake_failures: [AtomicU64; 5],
}

impl Metrics {
    pub fn handshake_failed(&self, why: HandshakeFailure) {
        self.handshake_failures[why as usize].fetch_add(1, Relaxed);
    }

    /// The Prometheus exposition text.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(2048);
        let mut g = |name: &str, kind: &str, help: &str, v: u64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        };
        g(
            "porthole_tunnels_open",
            "gauge",
            "WebSocket tunnels currently open.",
            self.tunnels_open.load(Relaxed),
        );
        g(
            "porthole_tunnels_total",
            "counter",
            "WebSocket tunnels opened since start.",
            self.tunnels_total.load(Relaxed),
        );
        g(
            "porthole_sessions_open",
            "gauge",
            "Live remote-desktop sessions.",
            self.sessions_open.load(Relaxed),
        );
        g(
            "porthole_bytes_to_browser_total",
            "counter",
            "Bytes relayed to browsers.",
            self.bytes_to_browser.load(Relaxed),
        );
        g(
            "porthole_bytes_to_upstream_total",
            "counter",
            "Bytes relayed to guacd.",
            self.bytes_to_upstream.load(Relaxed),
        );
        g(
            "porthole_browser_instructions_rejected_total",
            "counter",
            "Browser instructions refused (limits, arity, opcode).",
            self.browser_instructions_rejected.load(Relaxed),
        );
        g(
            "porthole_viewer_resyncs_total",
            "counter",
            "Viewers resynchronised after falling behind.",
            self.viewer_resyncs.load(Relaxed),
        );
        g(
            "porthole_logins_failed_total",
            "counter",
            "Failed sign-in attempts.",
            self.logins_failed.load(Relaxed),
        );
        let _ = writeln!(
            s,
            "# HELP porthole_guacd_handshake_failures_total guacd handshakes that failed, by reason.\n# TYPE porthole_guacd_handshake_failures_total counter"
        );
        for why in HandshakeFailure::ALL {
            let _ = writeln!(
                s,
                "porthole_guacd_handshake_failures_total{{reason=\"{}\"}} {}",
                why.label(),
                self.handshake_failures[why as usize].load(Relaxed)
            );
        }
        s
    }
}
