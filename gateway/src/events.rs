//! One place where things that happen become log lines and audit rows.
//!
//! Every attempted change (allowed or denied) is recorded through [`audit`], which logs
//! it with `tracing` and appends it to the audit table in the background, so a slow
//! database never delays the request or the session that caused it. Secrets never pass
//! through here: details carry ids and names, not keys or passwords.

use crate::state::AppState;
use crate::store::audit::{self, NewEvent};

/// Who did something.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<String>,
    /// Username, `Anonymous`, or `system`.
    pub name: String,
    pub remote_addr: Option<String>,
}

impl Actor {
    /// A signed-in user.
    pub fn user(u: &crate::store::users::User, remote_addr: Option<String>) -> Actor {
        Actor {
            user_id: Some(u.id.clone()),
            name: u.username.clone(),
            remote_addr,
        }
    }

    /// Someone who holds only a share link.
    pub fn anonymous(remote_addr: Option<String>) -> Actor {
        Actor {
            user_id: None,
            name: "Anonymous".into(),
            remote_addr,
        }
    }

    /// The gateway itself (expiry, session end, shutdown).
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "system".into(),
            remote_addr: None,
        }
    }
}

/// What was attempted, on what, and how it was decided.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    /// e.g. `profile.create`, `link.mint`, `session.end`.
    pub action: &'a str,
    /// e.g. `connection`, `sharing_profile`, `session`, `share_link`.
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub allowed: bool,
    /// The rule or role that decided (e.g. `admin`, `connection-owner`), or why denied.
    pub authority: &'a str,
    pub detail: serde_json::Value,
}

/// Logs and audits an attempt. Never fails the caller: a failed audit write is logged.
pub fn audit(state: &AppState, actor: &Actor, a: Attempt<'_>) {
    if a.allowed {
        tracing::info!(actor = %actor.name, action = a.action, target = a.target_id, authority = a.authority, "allowed");
    } else {
        tracing::warn!(actor = %actor.name, action = a.action, target = a.target_id, reason = a.authority, "denied");
    }
    let event = NewEvent {
        // Stamped now, in call order; the id is time-ordered too.
        at: crate::store::now_ms(),
        actor_user_id: actor.user_id.clone(),
        actor_name: actor.name.clone(),
        action: a.action.to_owned(),
        target_type: a.target_type.to_owned(),
        target_id: a.target_id.to_owned(),
        allowed: a.allowed,
        authority: a.authority.to_owned(),
        detail: a.detail,
        remote_addr: actor.remote_addr.clone(),
    };
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = audit::record(&store, event).await {
            tracing::error!(error = %e, "audit write failed");
        }
    });
}
