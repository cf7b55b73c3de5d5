//! R13/R28/R42/R44/R48: after every committed change, and every 2 s as a safety net,
//! describe the live sessions to the engine ([`porthole_access::gateway::revalidate`]) and
//! end what it says must end: whole sessions, single links (with the viewers who came
//! through them), Active-Sessions joins. Each action is audited as the gateway
//! (`system`).

use crate::events::{audit, Actor, Attempt};
use crate::session::JoinKind;
use crate::state::AppState;
use porthole_access::gateway::{LiveJoin, LiveLink, LiveSession, Revocation};
use porthole_protocol::Status;
use serde_json::json;
use std::time::Duration;

/// The safety-net period.
pub const PERIOD: Duration = Duration::from_secs(2);

/// Runs revalidation on every wake-up and every [`PERIOD`], for the process lifetime.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = state.access.woken() => {}
                _ = tokio::time::sleep(PERIOD) => {}
            }
            run(&state).await;
        }
    });
}

/// One pass: what ends, ended.
pub async fn run(state: &AppState) {
    let sessions: Vec<_> = state
        .sessions
        .list()
        .into_iter()
        .filter(|s| !s.is_ended())
        .collect();
    if sessions.is_empty() {
        return;
    }
    let live: Vec<LiveSession> = sessions
        .iter()
        .map(|s| {
            let snap = s.snapshot();
            LiveSession {
                id: s.info.id.clone(),
                connection: s.info.connection_id.clone(),
                originator: s.info.user_id.clone(),
                links: snap
                    .links
                    .iter()
                    .map(|l| LiveLink {
                        id: l.id.clone(),
                        profile: l.profile_id.clone(),
                        minter: s.info.user_id.clone(),
                    })
                    .collect(),
                joins: snap
                    .viewers
                    .iter()
                    .filter(|v| matches!(v.kind, JoinKind::AdminWatch | JoinKind::AdminJoin))
                    .filter_map(|v| {
                        v.user_id.as_ref().map(|u| LiveJoin {
                            id: v.id.clone(),
                            user: u.clone(),
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    let todo = porthole_access::gateway::revalidate(&state.access.read(), &live);
    for r in todo {
        let (session_id, action, target_type, target_id, reason) = match &r {
            Revocation::EndSession { session, reason } => {
                (session, "session.revoke", "session", session, reason)
            }
            Revocation::RevokeLink {
                session,
                link,
                reason,
            } => (session, "link.revoke", "share_link", link, reason),
            Revocation::DropJoin {
                session,
                join,
                reason,
            } => (session, "session.join.drop", "viewer", join, reason),
        };
        let Some(s) = sessions.iter().find(|s| &s.info.id == session_id) else {
            continue;
        };
        let reason_str = serde_json::to_value(reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        audit(
            state,
            &Actor::system(),
            Attempt {
                action,
                target_type,
                target_id,
                allowed: true,
                authority: "revalidation",
                detail: json!({"session_id": session_id, "reason": reason_str}),
            },
        );
        match &r {
            Revocation::EndSession { .. } => {
                state.sessions.end_session(
                    state,
                    s,
                    Status::SessionClosed,
                    &format!("access revoked ({reason_str})"),
                );
            }
            Revocation::RevokeLink { link, .. } => {
                if let Some(l) = s.remove_link(link) {
                    state.sessions.forget_links(std::slice::from_ref(&l));
                }
                for v in s.snapshot().viewers {
                    if v.link_id.as_deref() == Some(link.as_str()) {
                        s.kick_viewer(&v.id, Status::SessionClosed);
                    }
                }
                if let Err(e) = crate::store::links::end(&state.store, link, "revoked").await {
                    tracing::warn!(error = %e, "recording a revoked link failed");
                }
            }
            Revocation::DropJoin { join, .. } => {
                s.kick_viewer(join, Status::SessionClosed);
            }
        }
    }
}
