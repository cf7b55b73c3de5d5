//! Live sessions and everyone in them.
//!
//! A [`Session`] is one live remote desktop: the originator's guacd connection and every
//! viewer who joined it. It owns the session's membership, its share links and the
//! delivery of notices to the originator; tunnels talk to it through its methods, and
//! the [`registry::Registry`] finds it by id, by share-key hash, by ticket or by tunnel.
//!
//! Membership state sits behind one short `std::sync::Mutex` that is never held across
//! an `.await`: every method takes the lock, changes a few fields, collects what must be
//! sent, releases it, and only then sends (with `try_send`, so a stalled browser can
//! never block the session). Database writes (history, links) are spawned.
//!
//! Notices to the originator have one source: the gateway. guacd's own `msg` join/leave
//! instructions are stripped from the originator's stream (a resynchronised viewer would
//! otherwise appear to leave and join again), and the gateway sends
//! `msg,1|2,<attachment id>,<name or empty>` (Guacamole 1.5 semantics, shown by stock
//! clients) plus a [`roster`] instruction that stock clients ignore.
//!
//! The originator's page may reload: when its tunnel drops without an explicit
//! `disconnect` while viewers are present, the session waits
//! `sharing.owner_reconnect_grace_secs` for the same user to open the same connection
//! again (re-attaching through guacd's join), and ends otherwise. An explicit
//! `disconnect`, guacd ending the connection, or an administrator ends it at once; then
//! every viewer is closed with 523 and every link stops working.

pub mod registry;
pub mod roster;

use crate::state::AppState;
use crate::store::connections::GuacdTarget;
use crate::store::{self, history, links};
use bytes::Bytes;
use porthole_protocol::Status;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::{mpsc, watch};

/// Descriptive fields of a session, fixed at its start.
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    pub id: String,
    pub connection_id: String,
    pub connection_name: String,
    pub protocol: String,
    /// The originator.
    pub user_id: String,
    pub username: String,
    pub remote_addr: String,
    /// guacd's connection id (`$uuid`), which viewers join.
    pub upstream_id: String,
    /// Milliseconds since the Unix epoch.
    pub started_at: i64,
}

/// How someone came to be in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JoinKind {
    /// Through a share link.
    Link,
    /// An administrator watching (read-only).
    AdminWatch,
    /// An administrator with control.
    AdminJoin,
}

impl JoinKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            JoinKind::Link => "link",
            JoinKind::AdminWatch => "admin-watch",
            JoinKind::AdminJoin => "admin-join",
        }
    }
}

/// A share link while it lives. The key is gone: only its hash is kept.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub id: String,
    #[serde(skip)]
    pub key_hash: String,
    pub profile_id: String,
    pub profile_name: String,
    pub read_only: bool,
    /// Extra guacd parameters of the profile for joiners.
    #[serde(skip)]
    pub parameters: BTreeMap<String, String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub max_uses: Option<u64>,
    pub uses: u64,
}

impl Link {
    /// Why the link can no longer be used, if it cannot.
    pub fn unusable(&self, now: i64) -> Option<&'static str> {
        if self.expires_at.is_some_and(|t| now >= t) {
            return Some("expired");
        }
        if self.max_uses.is_some_and(|m| self.uses >= m) {
            return Some("used-up");
        }
        None
    }
}

/// Someone other than the originator, attached to the session.
#[derive(Debug, Clone, Serialize)]
pub struct Viewer {
    /// Attachment id, `@uuid`: unique per attachment, as guacd's user ids are.
    pub id: String,
    pub user_id: Option<String>,
    /// Username, or `None` for an anonymous viewer.
    pub name: Option<String>,
    pub read_only: bool,
    pub kind: JoinKind,
    pub link_id: Option<String>,
    pub profile_id: Option<String>,
    pub remote_addr: String,
    /// Milliseconds since the Unix epoch.
    pub since: i64,
    #[serde(skip)]
    participant_id: Option<String>,
    #[serde(skip)]
    kick: watch::Sender<Option<Status>>,
}

impl Viewer {
    /// The name shown to the originator.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("Anonymous")
    }
}

/// Who wants to join, as established by a ticket.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub kind: JoinKind,
    pub read_only: bool,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub link_id: Option<String>,
    pub profile_id: Option<String>,
    pub profile_name: Option<String>,
    /// guacd `connect` values for the join (only per-user settings matter to guacd).
    pub parameters: BTreeMap<String, String>,
}

enum Owner {
    Attached {
        tunnel: String,
        notices: mpsc::Sender<Bytes>,
        kick: watch::Sender<Option<Status>>,
    },
    Detached,
}

struct Hub {
    ended: bool,
    owner: Owner,
    viewers: BTreeMap<String, Viewer>,
    links: HashMap<String, Link>,
}

/// What serves a session's desktop.
#[derive(Clone)]
pub enum Upstream {
    /// A guacd connection: every participant is its own guacd user, viewers join it
    /// natively (`select $id`).
    Guacd(GuacdTarget),
    /// Porthole's own VNC client: one RFB connection, each frame encoded once and shared
    /// by every participant through its fan-out.
    Vnc(porthole_vnc::VncSession),
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Upstream::Guacd(t) => write!(f, "Guacd({}:{})", t.host, t.port),
            Upstream::Vnc(_) => f.write_str("Vnc"),
        }
    }
}

/// A live session. See the module documentation.
pub struct Session {
    pub info: SessionInfo,
    pub upstream: Upstream,
    hub: Mutex<Hub>,
    /// Becomes `Some(status)` when the session ends.
    ended: watch::Sender<Option<Status>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// What the API shows of a live session.
#[derive(Debug, Clone, Serialize)]
pub struct SessionSnapshot {
    #[serde(flatten)]
    pub info: SessionInfo,
    pub owner_connected: bool,
    pub viewers: Vec<Viewer>,
    pub links: Vec<Link>,
}

/// Why a join was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEnded;

impl Session {
    /// A new session whose originator is attached through `tunnel`; returns it with the
    /// originator's kick receiver.
    pub fn new(
        info: SessionInfo,
        upstream: Upstream,
        tunnel: String,
        notices: mpsc::Sender<Bytes>,
    ) -> (Session, watch::Receiver<Option<Status>>) {
        let (kick, kick_rx) = watch::channel(None);
        let (ended, _) = watch::channel(None);
        let s = Session {
            info,
            upstream,
            hub: Mutex::new(Hub {
                ended: false,
                owner: Owner::Attached {
                    tunnel,
                    notices,
                    kick,
                },
                viewers: BTreeMap::new(),
                links: HashMap::new(),
            }),
            ended,
        };
        (s, kick_rx)
    }

    fn hub(&self) -> MutexGuard<'_, Hub> {
        self.hub.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the session has ended.
    pub fn is_ended(&self) -> bool {
        self.ended.borrow().is_some()
    }

    /// A receiver that becomes `Some(status)` when the session ends.
    pub fn subscribe_end(&self) -> watch::Receiver<Option<Status>> {
        self.ended.subscribe()
    }

    /// Whether the originator's tunnel is attached.
    pub fn owner_attached(&self) -> bool {
        matches!(self.hub().owner, Owner::Attached { .. })
    }

    /// The number of viewers.
    pub fn viewer_count(&self) -> usize {
        self.hub().viewers.len()
    }

    /// A copy of the session's state for the API.
    pub fn snapshot(&self) -> SessionSnapshot {
        let hub = self.hub();
        let mut links: Vec<Link> = hub.links.values().cloned().collect();
        links.sort_by_key(|l| l.created_at);
        SessionSnapshot {
            info: self.info.clone(),
            owner_connected: matches!(hub.owner, Owner::Attached { .. }),
            viewers: hub.viewers.values().cloned().collect(),
            links,
        }
    }

    /// Sends the current roster to the originator (on attach and on every change).
    fn push_roster(hub: &Hub) {
        if let Owner::Attached { notices, .. } = &hub.owner {
            let _ = notices.try_send(roster::encode(hub.viewers.values()));
        }
    }

    fn notify(hub: &Hub, msg: Bytes) {
        if let Owner::Attached { notices, .. } = &hub.owner {
            // A full queue means the originator's browser is not reading; the roster
            // that follows every change carries the full state, so nothing stays wrong.
            let _ = notices.try_send(msg);
        }
    }

    /// The built-in VNC client of this session, if it has one.
    pub fn vnc(&self) -> Option<&porthole_vnc::VncSession> {
        match &self.upstream {
            Upstream::Vnc(v) => Some(v),
            Upstream::Guacd(_) => None,
        }
    }

    /// Re-attaches the originator (page reload) through a new tunnel.
    pub fn reattach_owner(
        &self,
        tunnel: String,
        notices: mpsc::Sender<Bytes>,
    ) -> Result<watch::Receiver<Option<Status>>, SessionEnded> {
        let mut hub = self.hub();
        if hub.ended || matches!(hub.owner, Owner::Attached { .. }) {
            return Err(SessionEnded);
        }
        let (kick, rx) = watch::channel(None);
        hub.owner = Owner::Attached {
            tunnel,
            notices,
            kick,
        };
        Self::push_roster(&hub);
        Ok(rx)
    }

    /// The originator's tunnel went away; returns whether anyone is left to wait for it.
    pub fn detach_owner(&self, tunnel: &str) -> bool {
        let mut hub = self.hub();
        if let Owner::Attached { tunnel: t, .. } = &hub.owner {
            if t == tunnel {
                hub.owner = Owner::Detached;
            }
        }
        !hub.viewers.is_empty() && !hub.ended
    }

    /// Adds a viewer; returns its attachment id and kick receiver.
    pub fn add_viewer(
        &self,
        state: &AppState,
        req: &JoinRequest,
        remote_addr: &str,
    ) -> Result<(String, watch::Receiver<Option<Status>>), SessionEnded> {
        let id = format!("@{}", uuid::Uuid::new_v4());
        let (kick, kick_rx) = watch::channel(None);
        let viewer = Viewer {
            id: id.clone(),
            user_id: req.user_id.clone(),
            name: req.name.clone(),
            read_only: req.read_only,
            kind: req.kind.clone(),
            link_id: req.link_id.clone(),
            profile_id: req.profile_id.clone(),
            remote_addr: remote_addr.to_owned(),
            since: store::now_ms(),
            participant_id: Some(store::new_id()),
            kick,
        };
        let participant_id = viewer.participant_id.clone().unwrap_or_default();
        {
            let mut hub = self.hub();
            if hub.ended {
                return Err(SessionEnded);
            }
            hub.viewers.insert(id.clone(), viewer);
            Self::notify(&hub, roster::joined(&id, req.name.as_deref().unwrap_or("")));
            Self::push_roster(&hub);
        }
        let store = state.store.clone();
        let rec = (
            participant_id,
            self.info.id.clone(),
            req.clone(),
            remote_addr.to_owned(),
        );
        tokio::spawn(async move {
            let (pid, sid, req, addr) = rec;
            let p = history::NewParticipant {
                session_id: &sid,
                kind: req.kind.as_str(),
                link_id: req.link_id.as_deref(),
                profile_id: req.profile_id.as_deref(),
                profile_name: req.profile_name.as_deref(),
                user_id: req.user_id.as_deref(),
                name: req.name.as_deref().unwrap_or("Anonymous"),
                read_only: req.read_only,
                remote_addr: &addr,
            };
            if let Err(e) = history::participant_joined_with_id(&store, &pid, &p).await {
                tracing::error!(error = %e, "recording a join failed");
            }
        });
        Ok((id, kick_rx))
    }

    /// Removes a viewer (its tunnel ended).
    pub fn remove_viewer(&self, state: &AppState, id: &str, reason: &str) {
        let removed = {
            let mut hub = self.hub();
            let v = hub.viewers.remove(id);
            if let Some(v) = &v {
                Self::notify(&hub, roster::left(&v.id, v.name.as_deref().unwrap_or("")));
                Self::push_roster(&hub);
            }
            v
        };
        if let Some(pid) = removed.and_then(|v| v.participant_id) {
            let store = state.store.clone();
            let reason = reason.to_owned();
            tokio::spawn(async move {
                if let Err(e) = history::participant_left(&store, &pid, &reason).await {
                    tracing::error!(error = %e, "recording a leave failed");
                }
            });
        }
    }

    /// Disconnects one viewer with `status`.
    pub fn kick_viewer(&self, id: &str, status: Status) -> bool {
        let hub = self.hub();
        match hub.viewers.get(id) {
            Some(v) => {
                let _ = v.kick.send(Some(status));
                true
            }
            None => false,
        }
    }

    /// Adds a link (already registered by key hash in the registry).
    pub fn add_link(&self, link: Link) -> Result<(), SessionEnded> {
        let mut hub = self.hub();
        if hub.ended {
            return Err(SessionEnded);
        }
        hub.links.insert(link.id.clone(), link);
        Ok(())
    }

    /// A link of this session.
    pub fn link(&self, id: &str) -> Option<Link> {
        self.hub().links.get(id).cloned()
    }

    /// Counts one use of a link if it is still usable; returns the link, or why not.
    pub fn use_link(&self, id: &str) -> Result<Link, &'static str> {
        let mut hub = self.hub();
        if hub.ended {
            return Err("session-ended");
        }
        let now = store::now_ms();
        let link = hub.links.get_mut(id).ok_or("revoked")?;
        if let Some(why) = link.unusable(now) {
            return Err(why);
        }
        link.uses += 1;
        Ok(link.clone())
    }

    /// Removes every link (used when a link was added after the session ended).
    pub fn remove_link_all(&self) -> Vec<Link> {
        self.hub().links.drain().map(|(_, l)| l).collect()
    }

    /// Removes a link; returns it if it existed.
    pub fn remove_link(&self, id: &str) -> Option<Link> {
        self.hub().links.remove(id)
    }

    /// Revokes the links of a deleted profile and kicks the viewers who used them;
    /// returns the removed links.
    pub fn profile_deleted(&self, profile_id: &str) -> Vec<Link> {
        let mut hub = self.hub();
        let ids: Vec<String> = hub
            .links
            .values()
            .filter(|l| l.profile_id == profile_id)
            .map(|l| l.id.clone())
            .collect();
        let removed: Vec<Link> = ids.iter().filter_map(|i| hub.links.remove(i)).collect();
        for v in hub.viewers.values() {
            if v.profile_id.as_deref() == Some(profile_id) {
                let _ = v.kick.send(Some(Status::SessionClosed));
            }
        }
        removed
    }

    /// Ends the session: every participant is closed with `status`, every link dies.
    /// Returns the links that were live (for the registry to forget), or `None` if the
    /// session had already ended.
    pub fn end(&self, state: &AppState, status: Status, reason: &str) -> Option<Vec<Link>> {
        let links = {
            let mut hub = self.hub();
            if hub.ended {
                return None;
            }
            hub.ended = true;
            if let Owner::Attached { kick, .. } = &hub.owner {
                let _ = kick.send(Some(status));
            }
            for v in hub.viewers.values() {
                let _ = v.kick.send(Some(status));
            }
            hub.links.drain().map(|(_, l)| l).collect::<Vec<_>>()
        };
        let _ = self.ended.send(Some(status));
        if let Upstream::Vnc(v) = &self.upstream {
            let v = v.clone();
            tokio::spawn(async move { v.close().await });
        }
        let store = state.store.clone();
        let sid = self.info.id.clone();
        let reason = reason.to_owned();
        let ids: Vec<String> = links.iter().map(|l| l.id.clone()).collect();
        tokio::spawn(async move {
            if let Err(e) = history::session_ended(&store, &sid, status.code(), &reason).await {
                tracing::error!(error = %e, "recording a session end failed");
            }
            for id in ids {
                if let Err(e) = links::end(&store, &id, "session-ended").await {
                    tracing::error!(error = %e, "recording a link end failed");
                }
            }
        });
        Some(links)
    }
}
