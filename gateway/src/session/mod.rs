//! Live sessions.
//!
//! A session is one live remote desktop: the originator's upstream connection plus,
//! later, everyone who joined it. [`registry`] holds a handle to each live session so
//! any request (admin listing, ending a session, draining at shutdown) can find it.

pub mod registry;
