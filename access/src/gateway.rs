//! The gateway's own actions (share-admin.md §3 J): starting sessions (R40), sharing
//! profiles (R41), minting and using share links (R43, R44), seeing, joining and killing
//! sessions (R45–R47, R51), and revalidation of live sessions, links and joins after any
//! change (R13, R28, R42, R44, R48).
//!
//! Sessions and links are live gateway state, not part of the [`Snapshot`]: the gateway
//! describes them with [`SessionFacts`], [`LinkFacts`] and [`LiveSession`].

use crate::apply::Cx;
use crate::model::{Id, Privilege};
use crate::predicates::{Mode, Via};
use crate::reason::{Authority, Decision, ReasonCode};
use crate::snapshot::Snapshot;
use serde::{Deserialize, Serialize};

/// Who is asking, in the gateway's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    /// A signed-in user (user id).
    User(&'a str),
    /// Someone present only through a share link (with their account, if signed in).
    /// Link participants get no user or sharing menu (R44): `link_participant`.
    LinkParticipant { user: Option<&'a str> },
}

/// A live (or just-ended) session, as the gateway's registry knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFacts<'a> {
    pub id: &'a str,
    pub connection: &'a str,
    /// The user who started it (§1.7).
    pub originator: &'a str,
    /// Still running?
    pub active: bool,
}

/// A share link (R43, R44).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkFacts<'a> {
    pub id: &'a str,
    pub session: &'a str,
    pub connection: &'a str,
    pub profile: &'a str,
    pub minter: &'a str,
    /// Explicitly revoked (or ended for any other stored reason).
    pub revoked: bool,
}

/// What an allowed mint resolves to (R43).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MintPermit {
    /// The sharing profile to mint from.
    pub profile: Id,
    pub read_only: bool,
    pub authority: Authority,
}

fn user_caller(c: Caller<'_>) -> Result<&str, ReasonCode> {
    match c {
        Caller::User(u) => Ok(u),
        Caller::LinkParticipant { .. } => Err(ReasonCode::LinkParticipant),
    }
}

/// `holds(actor, monitor_sessions, node(owner(C)))` with the owner an enterprise user
/// (R51).
pub fn monitors(s: &Snapshot, actor: &str, connection: &str) -> bool {
    let Some(c) = s.connection(connection) else {
        return false;
    };
    let Some(owner) = s.user(&c.owner) else {
        return false;
    };
    match (&owner.enterprise, &owner.node) {
        (Some(e), Some(n)) => {
            s.ent(actor) == Some(e.as_str()) && s.holds(actor, Privilege::MonitorSessions, n)
        }
        _ => false,
    }
}

/// R40: may `user` start a session on `connection`? Anyone with `access`, read-only
/// included. Authority: owner, grant, or membership of a folder holding it.
pub fn start_session(s: &Snapshot, user: &str, connection: &str) -> Decision {
    (|| {
        let cx = Cx::new(s, user)?;
        match s.access_via(cx.actor, connection) {
            Some(via) => Ok(cx.auth(via)),
            None => cx.conn(connection).and(Err(ReasonCode::NotFound)),
        }
    })()
    .into()
}

/// R41: may `user` list the sharing profiles of `connection`? Anyone with access.
pub fn list_profiles(s: &Snapshot, user: &str, connection: &str) -> Decision {
    start_session(s, user, connection)
}

/// R41: may `user` create, edit, clone or delete the profiles of `connection` (name
/// checks aside: those are in [`crate::apply`])? `edit` then `share`.
pub fn manage_profiles(s: &Snapshot, user: &str, connection: &str) -> Decision {
    (|| {
        let cx = Cx::new(s, user)?;
        let c = cx.conn(connection)?;
        let e = cx.require(ReasonCode::MissingCanEdit, |m| {
            s.edit_via(cx.actor, &c.id, m)
        })?;
        let sh = cx.require(ReasonCode::MissingCanShare, |m| {
            s.share_via(cx.actor, &c.id, m)
        })?;
        Ok(cx.primary(&[e, sh]))
    })()
    .into()
}

/// R43: may `caller` mint a share link for `session`, from `profile` (or the only
/// profile)? Checks in R43's order: link participant, session ended, originator, no
/// profile, profile resolution (`profile_required`, `not_found`), `share` at minting time.
pub fn mint_link(
    s: &Snapshot,
    caller: Caller<'_>,
    session: &SessionFacts<'_>,
    profile: Option<&str>,
) -> Result<MintPermit, ReasonCode> {
    let user = user_caller(caller)?;
    let cx = Cx::new(s, user)?;
    if !session.active {
        return Err(ReasonCode::SessionEnded);
    }
    if session.originator != cx.actor {
        return Err(ReasonCode::NotSessionOriginator);
    }
    let c = s
        .connection(session.connection)
        .ok_or(ReasonCode::NotFound)?;
    if c.profiles.is_empty() {
        return Err(ReasonCode::NoSharingProfile);
    }
    let p = match profile {
        Some(p) => c.profiles.get(p).ok_or(ReasonCode::NotFound)?,
        None if c.profiles.len() == 1 => c.profiles.values().next().ok_or(ReasonCode::NotFound)?,
        None => return Err(ReasonCode::ProfileRequired),
    };
    let via = cx.require(ReasonCode::MissingCanShare, |m| {
        s.share_via(cx.actor, &c.id, m)
    })?;
    Ok(MintPermit {
        profile: p.id.clone(),
        read_only: p.read_only,
        authority: cx.auth(via),
    })
}

/// Why a link is no longer valid, if it is not (R44): `link_revoked` (revoked, profile
/// deleted, connection trashed or gone, minter lost `share` or access) before
/// `session_ended`.
fn link_invalid(s: &Snapshot, link: &LinkFacts<'_>, session_active: bool) -> Option<ReasonCode> {
    let gone = match s.connection(link.connection) {
        None => true,
        Some(c) => {
            !c.is_live()
                || !c.profiles.contains_key(link.profile)
                || !s.user(link.minter).is_some_and(|u| u.is_active())
                || !s.share(link.minter, link.connection)
        }
    };
    if link.revoked || gone {
        Some(ReasonCode::LinkRevoked)
    } else if !session_active {
        Some(ReasonCode::SessionEnded)
    } else {
        None
    }
}

/// R44: may anyone holding the link's URL join through it now? Authority: `originator`
/// (the originator shared their session).
pub fn use_link(s: &Snapshot, link: &LinkFacts<'_>, session_active: bool) -> Decision {
    match link_invalid(s, link, session_active) {
        Some(r) => Decision::Deny(r),
        None => Decision::Allow {
            authority: Authority::Originator,
        },
    }
}

/// Does `user` reference the session at all (for `not_found`)?
fn references(s: &Snapshot, user: &str, session: &SessionFacts<'_>) -> bool {
    session.originator == user
        || s.access(user, session.connection)
        || s.connection(session.connection)
            .is_some_and(|c| c.owner == user)
        || monitors(s, user, session.connection)
}

/// The session-oversight right of `user` over `session` other than being its
/// originator: owner, record tier, or `monitor_sessions` (R45–R47, R51).
fn oversight<'s>(cx: &Cx<'s>, session: &SessionFacts<'_>, mode: Mode) -> Option<Via<'s>> {
    let c = cx.s.connection(session.connection)?;
    if c.owner == cx.actor {
        return Some(Via::Owner);
    }
    if cx.s.sa_record_m(cx.actor, &c.id, mode) {
        return Some(Via::SaRecord(c.owner.as_str()));
    }
    if monitors(cx.s, cx.actor, &c.id) {
        return Some(Via::Privilege(Privilege::MonitorSessions));
    }
    None
}

/// R44 (end): may `caller` revoke `link`? Its minter, the session's originator,
/// `owner(C)`, a record-tier SA (or a `monitor_sessions` holder, who could kill the whole
/// session) — `not_record_owner` otherwise.
pub fn revoke_link(
    s: &Snapshot,
    caller: Caller<'_>,
    link: &LinkFacts<'_>,
    session: &SessionFacts<'_>,
) -> Decision {
    (|| {
        let user = user_caller(caller)?;
        let cx = Cx::new(s, user)?;
        if link.minter != cx.actor && !references(s, cx.actor, session) {
            return Err(ReasonCode::NotFound);
        }
        if link.minter == cx.actor || session.originator == cx.actor {
            return Ok(Authority::Originator);
        }
        let via = cx.require(ReasonCode::NotRecordOwner, |m| oversight(&cx, session, m))?;
        Ok(cx.auth(via))
    })()
    .into()
}

/// R45/R51: may `caller` see `session` in a list (with its originator and participants)?
/// Their own sessions, all sessions of connections they own or hold record tier on, and
/// those `monitor_sessions` covers; `not_found` for the rest.
pub fn see_session(s: &Snapshot, caller: Caller<'_>, session: &SessionFacts<'_>) -> Decision {
    (|| {
        let user = user_caller(caller)?;
        let cx = Cx::new(s, user)?;
        if session.originator == cx.actor {
            return Ok(Authority::Originator);
        }
        let via = oversight(&cx, session, Mode::Real).ok_or(ReasonCode::NotFound)?;
        Ok(cx.auth(via))
    })()
    .into()
}

/// R45: may `caller` list sessions (of `connection`, when given)? Link participants may
/// not; listing for a connection the user cannot access (and does not monitor) is
/// `not_found`. Filter the sessions themselves with [`see_session`].
pub fn list_sessions(s: &Snapshot, caller: Caller<'_>, connection: Option<&str>) -> Decision {
    (|| {
        let user = user_caller(caller)?;
        let cx = Cx::new(s, user)?;
        match connection {
            None => Ok(Authority::Originator),
            Some(c) => {
                if let Some(via) = s.access_via(cx.actor, c) {
                    Ok(cx.auth(via))
                } else if monitors(s, cx.actor, c) {
                    Ok(Authority::EnterprisePrivilege {
                        privilege: Privilege::MonitorSessions,
                    })
                } else {
                    cx.conn(c)?;
                    Err(ReasonCode::NotFound)
                }
            }
        }
    })()
    .into()
}

/// How someone joins from Active Sessions (R46, R51). Both modes have the same rule; the
/// mode is recorded in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinMode {
    /// No input (the default for R51).
    Watch,
    /// Full control.
    Interactive,
}

/// R46/R51: may `caller` join `session` from Active Sessions? The originator
/// (reconnecting), `owner(C)`, a record-tier SA, or a `monitor_sessions` holder;
/// `not_record_owner` for others who reference the connection.
pub fn join_session(s: &Snapshot, caller: Caller<'_>, session: &SessionFacts<'_>) -> Decision {
    oversee(s, caller, session)
}

/// R47/R51: may `caller` kill `session`? The originator, `owner(C)`, a record-tier SA, or a
/// `monitor_sessions` holder.
pub fn kill_session(s: &Snapshot, caller: Caller<'_>, session: &SessionFacts<'_>) -> Decision {
    oversee(s, caller, session)
}

fn oversee(s: &Snapshot, caller: Caller<'_>, session: &SessionFacts<'_>) -> Decision {
    (|| {
        let user = user_caller(caller)?;
        let cx = Cx::new(s, user)?;
        if !references(s, cx.actor, session) {
            return Err(ReasonCode::NotFound);
        }
        if !session.active {
            return Err(ReasonCode::SessionEnded);
        }
        if session.originator == cx.actor {
            return Ok(Authority::Originator);
        }
        let via = cx.require(ReasonCode::NotRecordOwner, |m| oversight(&cx, session, m))?;
        Ok(cx.auth(via))
    })()
    .into()
}

/// A live session with its links and Active-Sessions joins, for [`revalidate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSession {
    pub id: Id,
    pub connection: Id,
    pub originator: Id,
    pub links: Vec<LiveLink>,
    pub joins: Vec<LiveJoin>,
}

/// A share link of a live session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveLink {
    pub id: Id,
    pub profile: Id,
    pub minter: Id,
}

/// Someone attached from Active Sessions (not through a link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveJoin {
    /// The attachment id.
    pub id: Id,
    pub user: Id,
}

/// Why revalidation ends something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    /// The connection no longer exists.
    ConnectionGone,
    /// The connection is in its owner's trash (R28).
    ConnectionTrashed,
    /// The originator lost access (R13, R48).
    AccessLost,
    /// The originator is no longer active (locked).
    OriginatorInactive,
    /// The link's profile was deleted (R42).
    ProfileDeleted,
    /// The minter lost `share` or access (R44, R48).
    MinterLostShare,
    /// The joiner is no longer allowed by R46/R51 (R48).
    JoinNotAllowed,
}

/// One thing to end, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Revocation {
    /// End the session: disconnect everyone, revoke its links.
    EndSession { session: Id, reason: RevokeReason },
    /// Revoke one link and disconnect its participants.
    RevokeLink {
        session: Id,
        link: Id,
        reason: RevokeReason,
    },
    /// Drop one Active-Sessions join.
    DropJoin {
        session: Id,
        join: Id,
        reason: RevokeReason,
    },
}

/// R13/R28/R42/R44/R48: what must end now. Call it after every committed change (and, as a
/// safety net, every few seconds); act on the result within the 5 s of R48. Sessions whose
/// originator keeps access continue untouched.
pub fn revalidate(s: &Snapshot, live: &[LiveSession]) -> Vec<Revocation> {
    let mut out = Vec::new();
    for sess in live {
        let end = match s.connection(&sess.connection) {
            None => Some(RevokeReason::ConnectionGone),
            Some(c) if !c.is_live() => Some(RevokeReason::ConnectionTrashed),
            Some(_) if !s.user(&sess.originator).is_some_and(|u| u.is_active()) => {
                Some(RevokeReason::OriginatorInactive)
            }
            Some(_) if !s.access(&sess.originator, &sess.connection) => {
                Some(RevokeReason::AccessLost)
            }
            Some(_) => None,
        };
        if let Some(reason) = end {
            out.push(Revocation::EndSession {
                session: sess.id.clone(),
                reason,
            });
            continue;
        }
        let facts = SessionFacts {
            id: &sess.id,
            connection: &sess.connection,
            originator: &sess.originator,
            active: true,
        };
        for l in &sess.links {
            let profile_ok = s
                .connection(&sess.connection)
                .is_some_and(|c| c.profiles.contains_key(&l.profile));
            let reason = if !profile_ok {
                Some(RevokeReason::ProfileDeleted)
            } else if !s.user(&l.minter).is_some_and(|u| u.is_active())
                || !s.share(&l.minter, &sess.connection)
            {
                Some(RevokeReason::MinterLostShare)
            } else {
                None
            };
            if let Some(reason) = reason {
                out.push(Revocation::RevokeLink {
                    session: sess.id.clone(),
                    link: l.id.clone(),
                    reason,
                });
            }
        }
        for j in &sess.joins {
            if !join_session(s, Caller::User(&j.user), &facts).is_allowed() {
                out.push(Revocation::DropJoin {
                    session: sess.id.clone(),
                    join: j.id.clone(),
                    reason: RevokeReason::JoinNotAllowed,
                });
            }
        }
    }
    out
}
