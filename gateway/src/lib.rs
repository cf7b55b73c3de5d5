//! Porthole's gateway: an HTTP/WebSocket server that relays the Guacamole protocol
//! between browsers (the stock guacamole-common-js) and guacd.
//!
//! Code map (ARCHITECTURE.md has the full picture):
//! * [`config`] — file, environment and flags into a validated configuration.
//! * [`server`] — start, serve, drain.
//! * [`api`] — REST endpoints, one file per area; [`error`] renders their failures.
//! * [`tunnel`] — the WebSocket tunnel and the per-viewer input filter.
//! * [`upstream`] — guacd connections and their handshake.
//! * [`session`] — live sessions and their registry.
//! * [`auth`] — passwords, tokens, sign-in throttling.
//! * [`access`] — every authorisation decision.
//! * [`store`] — the database (SQLite by default, PostgreSQL-ready).
//! * [`metrics`], [`web`] — `/metrics` and the embedded browser client.
#![forbid(unsafe_code)]

pub mod access;
pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod events;
pub mod metrics;
pub mod server;
pub mod session;
pub mod state;
pub mod store;
pub mod tunnel;
pub mod upstream;
pub mod web;
