//! Porthole's end-to-end tests: the real `porthole` binary, started on 127.0.0.1:0 with a
//! fresh database, against the in-process guacd simulator, driven through its REST API
//! and its WebSocket tunnel exactly as guacamole-common-js drives it.
//!
//! One binary, one module per area. Every test asserts what a user or an operator would
//! observe: statuses, pixels, what reached guacd.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code fails loudly

mod access_cli;
mod access_faq;
mod access_rules;
mod auth;
mod bad_input;
mod fixture;
mod history_audit;
mod lifecycle;
mod postgres;
mod profiles;
mod sharing;
mod tunnel;
mod vnc;
