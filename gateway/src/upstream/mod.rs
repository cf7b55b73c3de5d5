//! Upstreams: the remote-desktop back ends a session is served by.
//!
//! * [`guacd`] — a guacd daemon over TCP or TLS: the handshake of guacamole-wire.md §2,
//!   for owners (`select <protocol>`) and joiners (`select $id`).

pub mod guacd;
