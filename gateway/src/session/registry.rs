//! The registry of live sessions, and the indexes that lead to them.
//!
//! * sessions by id;
//! * share-key hash → (session, link), so redeeming a key is one lookup and a key dies
//!   with its session;
//! * tunnel UUID → session, so the originator's page can find its session from the UUID
//!   the tunnel announced;
//! * tickets: short-lived, single-use join tickets (hash → what they allow). A ticket
//!   is what a viewer's tunnel presents, so a share key never appears in a WebSocket
//!   URL. At most [`MAX_TICKETS`] are outstanding; expired ones are swept when full.
//!
//! The maps hold handles, never logic: all state changes happen in [`Session`].

use super::{JoinRequest, Link, Session, SessionEnded};
use crate::state::AppState;
use dashmap::DashMap;
use porthole_protocol::Status;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most outstanding join tickets.
pub const MAX_TICKETS: usize = 100_000;
/// How long a join ticket is valid.
pub const TICKET_TTL: Duration = Duration::from_secs(60);

/// What a ticket lets its holder do.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub session_id: String,
    pub join: JoinRequest,
    expires: Instant,
}

/// All live sessions of this process.
#[derive(Debug)]
pub struct Registry {
    store: crate::store::Store,
    sessions: DashMap<String, Arc<Session>>,
    keys: DashMap<String, (String, String)>,
    tunnels: DashMap<String, String>,
    tickets: DashMap<String, Ticket>,
}

impl Registry {
    pub fn new(store: crate::store::Store) -> Self {
        Registry {
            store,
            sessions: DashMap::new(),
            keys: DashMap::new(),
            tunnels: DashMap::new(),
            tickets: DashMap::new(),
        }
    }

    /// Registers a new session reached through `tunnel`.
    pub fn insert(&self, s: Arc<Session>, tunnel: &str) {
        self.tunnels.insert(tunnel.to_owned(), s.info.id.clone());
        self.sessions.insert(s.info.id.clone(), s);
    }

    /// Maps another tunnel (a re-attached originator) to a session.
    pub fn map_tunnel(&self, tunnel: &str, session_id: &str) {
        self.tunnels
            .insert(tunnel.to_owned(), session_id.to_owned());
    }

    /// Forgets a tunnel mapping.
    pub fn unmap_tunnel(&self, tunnel: &str) {
        self.tunnels.remove(tunnel);
    }

    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.sessions.get(id).map(|h| h.clone())
    }

    /// The session an originator's tunnel belongs to.
    pub fn by_tunnel(&self, tunnel: &str) -> Option<Arc<Session>> {
        let id = self.tunnels.get(tunnel)?.clone();
        self.get(&id)
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Every live session, oldest first.
    pub fn list(&self) -> Vec<Arc<Session>> {
        let mut v: Vec<Arc<Session>> = self.sessions.iter().map(|h| h.clone()).collect();
        v.sort_by_key(|s| s.info.started_at);
        v
    }

    /// Live sessions of one connection.
    pub fn count_for_connection(&self, connection_id: &str) -> usize {
        self.sessions
            .iter()
            .filter(|h| h.info.connection_id == connection_id)
            .count()
    }

    /// People on a connection's live sessions: each attached originator and viewer.
    pub fn users_on_connection(&self, connection_id: &str) -> usize {
        self.sessions
            .iter()
            .filter(|h| h.info.connection_id == connection_id && !h.is_ended())
            .map(|h| usize::from(h.owner_attached()) + h.viewer_count())
            .sum()
    }

    /// A session of `connection_id` by `user_id` whose originator is detached (waiting
    /// for a page reload).
    pub fn detached_session(&self, connection_id: &str, user_id: &str) -> Option<Arc<Session>> {
        self.sessions
            .iter()
            .find(|h| {
                h.info.connection_id == connection_id
                    && h.info.user_id == user_id
                    && !h.is_ended()
                    && !h.owner_attached()
            })
            .map(|h| h.clone())
    }

    /// Registers a link's key hash.
    pub fn add_link(&self, session: &Session, link: Link) -> Result<(), SessionEnded> {
        let hash = link.key_hash.clone();
        let id = link.id.clone();
        session.add_link(link)?;
        self.keys.insert(hash, (session.info.id.clone(), id));
        if session.is_ended() {
            // Lost a race with the end: make sure the key does not outlive it.
            self.forget_links(&session.remove_link_all());
            return Err(SessionEnded);
        }
        Ok(())
    }

    /// The session and link a key hash belongs to.
    pub fn by_key_hash(&self, hash: &str) -> Option<(Arc<Session>, String)> {
        let (sid, lid) = self.keys.get(hash)?.clone();
        Some((self.get(&sid)?, lid))
    }

    /// Forgets keys of links that ended.
    pub fn forget_links(&self, links: &[Link]) {
        for l in links {
            self.keys.remove(&l.key_hash);
        }
    }

    /// Issues a single-use ticket; returns the ticket secret.
    pub fn issue_ticket(&self, session_id: &str, join: JoinRequest) -> String {
        if self.tickets.len() >= MAX_TICKETS {
            let now = Instant::now();
            self.tickets.retain(|_, t| t.expires > now);
        }
        let secret = crate::auth::generate_token().0;
        self.tickets.insert(
            crate::auth::hash_token(&secret),
            Ticket {
                session_id: session_id.to_owned(),
                join,
                expires: Instant::now() + TICKET_TTL,
            },
        );
        secret
    }

    /// Consumes a ticket; `None` if unknown, used or expired.
    pub fn take_ticket(&self, secret: &str) -> Option<Ticket> {
        let (_, t) = self.tickets.remove(&crate::auth::hash_token(secret))?;
        (t.expires > Instant::now()).then_some(t)
    }

    /// Ends a session and forgets it everywhere.
    pub fn end_session(&self, state: &AppState, session: &Session, status: Status, reason: &str) {
        if let Some(links) = session.end(state, status, reason) {
            self.forget_links(&links);
        }
        if self.sessions.remove(&session.info.id).is_some() {
            state
                .metrics
                .sessions_open
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.tunnels.retain(|_, sid| sid != &session.info.id);
        self.tickets.retain(|_, t| t.session_id != session.info.id);
    }

    /// Asks every session to end (shutdown).
    pub fn end_all(&self, state: &AppState, status: Status, reason: &str) {
        for s in self.list() {
            self.end_session(state, &s, status, reason);
        }
    }

    /// A sharing profile was deleted: every live link minted from it is revoked and
    /// everyone who joined through it is disconnected.
    pub fn profile_deleted(&self, profile_id: &str) {
        for s in self.list() {
            let removed = s.profile_deleted(profile_id);
            self.forget_links(&removed);
            for l in removed {
                let store = self.store.clone();
                tokio::spawn(async move {
                    let _ = crate::store::links::end(&store, &l.id, "profile-deleted").await;
                });
            }
        }
    }
}
