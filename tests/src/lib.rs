//! Porthole's end-to-end test harness.
//!
//! * [`sim`] — a guacd simulator (library and the `guacd-sim` binary) that speaks the
//!   Apache Guacamole protocol exactly as `shared/docs/guacamole-wire.md` describes
//!   guacd 1.5/1.6: handshake, joins with state replay, join/leave `msg`s, read-only
//!   enforcement, timeouts and keep-alives, a deterministic synthetic desktop or a
//!   replay of real guacd recordings, and switchable misbehaviour.
//! * [`gateway`] — starts the real `porthole` binary on `127.0.0.1:0`.
//! * [`pg`] — a throwaway PostgreSQL cluster, to run the gateway on PostgreSQL.
//! * [`xvnc`] — a real TigerVNC Xvnc for the built-in VNC back end's tests.
//! * [`client`] — a headless Guacamole client over the WebSocket tunnel, with a display
//!   model that decodes PNG images for pixel checks.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod bench;
pub mod client;
pub mod gateway;
pub mod pg;
pub mod sim;
pub mod xvnc;
