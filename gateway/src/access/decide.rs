//! The gateway's own decisions (share-admin.md R40–R47, R51), asked of the engine
//! ([`porthole_access::gateway`]) against the current snapshot and audited (R49) with
//! their authority — and Share Admin basis — or reason.

use crate::events::Actor;
use crate::session::Session;
use crate::state::AppState;
use porthole_access::audit::audit_decision;
use porthole_access::gateway::{self as g, Caller, SessionFacts};
use porthole_access::{Decision, ReasonCode};
use serde_json::json;

/// The engine's view of a live session.
fn facts(s: &Session) -> SessionFacts<'_> {
    SessionFacts {
        id: &s.info.id,
        connection: &s.info.connection_id,
        originator: &s.info.user_id,
        active: !s.is_ended(),
    }
}

fn audited(
    state: &AppState,
    actor: &Actor,
    action: &str,
    target: (&'static str, &str),
    d: Decision,
    extra: serde_json::Value,
) -> Decision {
    let entry = audit_decision(actor.user_id.as_deref(), action, &[target], &d);
    super::record(state, actor, &entry, target.0, target.1, extra);
    d
}

/// R40: may `user` start a session on `connection`? Audited as `session.start`.
pub fn start_session(state: &AppState, actor: &Actor, user: &str, connection: &str) -> Decision {
    let d = g::start_session(&state.access.read(), user, connection);
    audited(
        state,
        actor,
        "session.start",
        ("connection", connection),
        d,
        json!({}),
    )
}

/// Has `user` access to `connection` (R40: may open it; it is in their list)? Not audited:
/// for filtering lists.
pub fn can_access(state: &AppState, user: &str, connection: &str) -> bool {
    state.access.read().access(user, connection)
}

/// May `user` see the definition of `connection`: access, or Share Admin record tier?
pub fn can_see_connection(state: &AppState, user: &str, connection: &str) -> bool {
    let s = state.access.read();
    s.access(user, connection) || s.sa_record(user, connection)
}

/// R41: may `user` list the sharing profiles of `connection`?
pub fn list_profiles(state: &AppState, user: &str, connection: &str) -> bool {
    g::list_profiles(&state.access.read(), user, connection).is_allowed()
}

/// R41: may `user` create, edit, clone or delete the profiles of `connection`? The caller
/// audits (with its own action name).
pub fn manage_profiles(state: &AppState, user: &str, connection: &str) -> Decision {
    g::manage_profiles(&state.access.read(), user, connection)
}

/// R43: may `user` mint a link of `session` from `profile`? Audited as `link.mint`.
pub fn mint_link(
    state: &AppState,
    actor: &Actor,
    user: &str,
    session: &Session,
    profile: &str,
) -> Result<g::MintPermit, ReasonCode> {
    let r = g::mint_link(
        &state.access.read(),
        Caller::User(user),
        &facts(session),
        Some(profile),
    );
    let d = match &r {
        Ok(p) => Decision::Allow {
            authority: p.authority.clone(),
        },
        Err(e) => Decision::Deny(*e),
    };
    audited(
        state,
        actor,
        "link.mint",
        ("session", &session.info.id),
        d,
        json!({"profile_id": profile, "connection_id": session.info.connection_id}),
    );
    r
}

/// R44: may `user` revoke link `link` (minted by the originator) of `session`?
pub fn revoke_link(
    state: &AppState,
    actor: &Actor,
    user: &str,
    session: &Session,
    link: &crate::session::Link,
) -> Decision {
    let lf = g::LinkFacts {
        id: &link.id,
        session: &session.info.id,
        connection: &session.info.connection_id,
        profile: &link.profile_id,
        // Only originators mint (R43).
        minter: &session.info.user_id,
        revoked: false,
    };
    let d = g::revoke_link(
        &state.access.read(),
        Caller::User(user),
        &lf,
        &facts(session),
    );
    audited(
        state,
        actor,
        "link.revoke",
        ("share_link", &link.id),
        d,
        json!({"session_id": session.info.id}),
    )
}

/// R44: is the link still valid (its minter keeps `share`, its profile exists, the
/// connection is live)?
pub fn use_link(state: &AppState, session: &Session, link: &crate::session::Link) -> Decision {
    let lf = g::LinkFacts {
        id: &link.id,
        session: &session.info.id,
        connection: &session.info.connection_id,
        profile: &link.profile_id,
        minter: &session.info.user_id,
        revoked: false,
    };
    g::use_link(&state.access.read(), &lf, !session.is_ended())
}

/// R45/R51: may `user` see `session`? Not audited (lists).
pub fn see_session(state: &AppState, user: &str, session: &Session) -> bool {
    g::see_session(&state.access.read(), Caller::User(user), &facts(session)).is_allowed()
}

/// R46/R51: may `user` join `session` from Active Sessions? Audited as `session.watch`
/// or `session.join` (the mode).
pub fn join_session(
    state: &AppState,
    actor: &Actor,
    user: &str,
    session: &Session,
    control: bool,
) -> Decision {
    let d = g::join_session(&state.access.read(), Caller::User(user), &facts(session));
    audited(
        state,
        actor,
        if control {
            "session.join"
        } else {
            "session.watch"
        },
        ("session", &session.info.id),
        d,
        json!({"connection_id": session.info.connection_id, "originator": session.info.username,
               "mode": if control { "interactive" } else { "watch" }}),
    )
}

/// R47/R51: may `user` kill `session`? Audited as `session.end`.
pub fn kill_session(state: &AppState, actor: &Actor, user: &str, session: &Session) -> Decision {
    let d = g::kill_session(&state.access.read(), Caller::User(user), &facts(session));
    audited(
        state,
        actor,
        "session.end",
        ("session", &session.info.id),
        d,
        json!({"connection_id": session.info.connection_id, "originator": session.info.username}),
    )
}
