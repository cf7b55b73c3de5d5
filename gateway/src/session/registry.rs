//! The registry of live sessions: session id → handle.
//!
//! The map holds handles, never logic: a handle carries the session's descriptive
//! fields and a way to ask its owner task to end it. Ending is a request — the owning
//! task closes its browser with the given status and its upstream with `disconnect`.

use dashmap::DashMap;
use porthole_protocol::Status;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::watch;

/// What is known about a live session.
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    pub id: String,
    pub connection_id: String,
    pub connection_name: String,
    pub protocol: String,
    pub user_id: String,
    pub username: String,
    pub remote_addr: String,
    /// guacd's connection id (`$uuid`).
    pub upstream_id: String,
    /// Milliseconds since the Unix epoch.
    pub started_at: i64,
}

/// A live session's handle.
#[derive(Debug)]
pub struct SessionHandle {
    pub info: SessionInfo,
    end: watch::Sender<Option<Status>>,
}

impl SessionHandle {
    /// Creates a handle and the receiver its owner task watches for an end request.
    pub fn new(info: SessionInfo) -> (Arc<SessionHandle>, watch::Receiver<Option<Status>>) {
        let (tx, rx) = watch::channel(None);
        (Arc::new(SessionHandle { info, end: tx }), rx)
    }

    /// Asks the session to end with `status`.
    pub fn end(&self, status: Status) {
        let _ = self.end.send(Some(status));
    }
}

/// All live sessions of this process.
#[derive(Debug, Default)]
pub struct Registry {
    sessions: DashMap<String, Arc<SessionHandle>>,
}

impl Registry {
    pub fn insert(&self, h: Arc<SessionHandle>) {
        self.sessions.insert(h.info.id.clone(), h);
    }

    pub fn remove(&self, id: &str) {
        self.sessions.remove(id);
    }

    pub fn get(&self, id: &str) -> Option<Arc<SessionHandle>> {
        self.sessions.get(id).map(|h| h.clone())
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Snapshot of every live session's info, oldest first.
    pub fn list(&self) -> Vec<SessionInfo> {
        let mut v: Vec<SessionInfo> = self.sessions.iter().map(|h| h.info.clone()).collect();
        v.sort_by_key(|i| i.started_at);
        v
    }

    /// Live sessions of one connection.
    pub fn count_for_connection(&self, connection_id: &str) -> usize {
        self.sessions
            .iter()
            .filter(|h| h.info.connection_id == connection_id)
            .count()
    }

    /// Asks every session to end (shutdown).
    pub fn end_all(&self, status: Status) {
        for h in self.sessions.iter() {
            h.end(status);
        }
    }
}

impl Registry {
    /// A sharing profile was deleted: every live link minted from it is revoked and
    /// everyone who joined through it is disconnected.
    pub fn profile_deleted(&self, profile_id: &str) {
        for h in self.sessions.iter() {
            h.profile_deleted(profile_id);
        }
    }
}

impl SessionHandle {
    /// Revokes this session's links of a deleted profile and disconnects its viewers.
    pub fn profile_deleted(&self, profile_id: &str) {
        // Sessions gain links and viewers with the session hub; until a session has
        // any, there is nothing to revoke.
        let _ = profile_id;
    }
}
