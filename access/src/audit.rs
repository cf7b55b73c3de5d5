//! R49: the audit record of every attempted change, mint, join and kill — allowed or
//! denied — with actor, action, targets, result, reason and authority (with the Share
//! Admin basis). The gateway serialises [`AuditEntry`] into `audit_events`:
//! `outcome` → `outcome`, [`AuditEntry::authority_column`] → `authority`, the whole entry
//! (JSON) → `detail`.

use crate::command::{Command, Outcome};
use crate::model::Id;
use crate::reason::{Authority, Decision, ReasonCode};
use serde::Serialize;

/// One audited attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// The acting user id (`None`: anonymous link holder or the gateway itself).
    pub actor: Option<Id>,
    /// e.g. `folder.member.share`, `link.mint`, `session.join`.
    pub action: String,
    /// (type, id-or-email) of every object named.
    pub targets: Vec<AuditTarget>,
    /// `allowed` or `denied`.
    pub outcome: &'static str,
    /// Why it was denied.
    pub reason: Option<ReasonCode>,
    /// What allowed it (with `basis` for `share_admin`).
    pub authority: Option<Authority>,
}

/// A named object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditTarget {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
}

impl AuditEntry {
    /// The value for the `audit_events.authority` column: the authority name when allowed,
    /// the reason code when denied.
    pub fn authority_column(&self) -> &'static str {
        match (&self.authority, self.reason) {
            (Some(a), _) => a.as_str(),
            (None, Some(r)) => r.as_str(),
            (None, None) => "none",
        }
    }
}

/// The audit entry of a command's result ([`crate::apply`]).
pub fn audit_command(
    actor: &str,
    cmd: &Command,
    result: &Result<Outcome, ReasonCode>,
) -> AuditEntry {
    let targets = cmd
        .targets()
        .into_iter()
        .map(|(kind, id)| AuditTarget { kind, id })
        .collect();
    let (outcome, reason, authority) = match result {
        Ok(o) => ("allowed", None, Some(o.authority.clone())),
        Err(r) => ("denied", Some(*r), None),
    };
    AuditEntry {
        actor: Some(actor.to_owned()),
        action: cmd.action().to_owned(),
        targets,
        outcome,
        reason,
        authority,
    }
}

/// The audit entry of a gateway decision (`link.mint`, `session.join`, …).
pub fn audit_decision(
    actor: Option<&str>,
    action: &str,
    targets: &[(&'static str, &str)],
    decision: &Decision,
) -> AuditEntry {
    let (outcome, reason, authority) = match decision {
        Decision::Allow { authority } => ("allowed", None, Some(authority.clone())),
        Decision::Deny(r) => ("denied", Some(*r), None),
    };
    AuditEntry {
        actor: actor.map(str::to_owned),
        action: action.to_owned(),
        targets: targets
            .iter()
            .map(|(kind, id)| AuditTarget {
                kind,
                id: (*id).to_owned(),
            })
            .collect(),
        outcome,
        reason,
        authority,
    }
}
