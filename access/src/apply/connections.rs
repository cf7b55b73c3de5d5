//! Connections: direct grants (R20), content (R21), deletion (R22), transfer (R24, R25),
//! trash (R28) and sharing profiles (R41, R42).

use super::Cx;
use crate::change::Change;
use crate::command::{Outcome, Trashed};
use crate::model::{Connection, Profile, RecordFlags};
use crate::predicates::{Mode, Via};
use crate::reason::{Authority, ReasonCode};
use crate::rows::ProfileRow;

/// Owner-level right on `C`: the owner or record tier (R19–R24, R29).
fn owner_level<'s>(cx: &Cx<'s>, c: &'s Connection) -> Result<Via<'s>, ReasonCode> {
    cx.require(ReasonCode::NotRecordOwner, |m| {
        cx.s.owner_or_sa_record(cx.actor, &c.id, m)
    })
}

/// R20 (grant): the owner and record-tier SAs add or change any grant; a non-owner with
/// `share` may only add a grant for a user who has none, with flags within their own
/// effective flags.
pub(super) fn grant(
    cx: &Cx<'_>,
    connection: &str,
    user: &str,
    can_edit: Option<bool>,
    can_share: Option<bool>,
) -> Result<Outcome, ReasonCode> {
    let c = cx.conn(connection)?;
    let t = cx.active_target(user)?;
    if t.id == c.owner {
        return Err(ReasonCode::TargetIsOwner);
    }
    if t.id == cx.actor {
        return Err(ReasonCode::SelfEscalation);
    }
    let existing = c.grants.get(&t.id).copied();
    let base = existing.unwrap_or_default();
    let flags = RecordFlags {
        can_edit: can_edit.unwrap_or(base.can_edit),
        can_share: can_share.unwrap_or(base.can_share),
    };
    let via = match cx.s.owner_or_sa_record(cx.actor, &c.id, Mode::Real) {
        Some(v) => v,
        None => {
            let ordinary = if existing.is_some() {
                Err(ReasonCode::NotRecordOwner)
            } else {
                match cx.s.share_via(cx.actor, &c.id, Mode::Real) {
                    None => Err(ReasonCode::MissingCanShare),
                    Some(_) if !flags.subset_of(cx.s.effective(cx.actor, &c.id)) => {
                        Err(ReasonCode::Escalation)
                    }
                    Some(v) => Ok(v),
                }
            };
            ordinary.map_err(|e| cx.scope_or(e, |m| cx.s.owner_or_sa_record(cx.actor, &c.id, m)))?
        }
    };
    let changes = if existing == Some(flags) {
        vec![]
    } else {
        vec![Change::grant(&c.id, &t.id, flags)]
    };
    Ok(Outcome::new(cx.auth(via)).with(changes))
}

/// R20 (revoke): owner or record tier; without flags the grant goes, with flags only those
/// flags are cleared. A grantee may always drop (or lower) their own grant — leaving, as a
/// member may leave a folder.
pub(super) fn revoke(
    cx: &Cx<'_>,
    connection: &str,
    user: &str,
    can_edit: bool,
    can_share: bool,
) -> Result<Outcome, ReasonCode> {
    let c = cx.conn(connection)?;
    let t = cx.target(user)?;
    if t.id == c.owner {
        return Err(ReasonCode::TargetIsOwner);
    }
    let via = if t.id == cx.actor && c.grants.contains_key(&t.id) {
        Via::Grant
    } else {
        owner_level(cx, c)?
    };
    let changes = match c.grants.get(&t.id) {
        None => vec![],
        Some(_) if !can_edit && !can_share => vec![Change::RemoveGrant {
            connection: c.id.clone(),
            user: t.id.clone(),
        }],
        Some(old) => {
            let new = RecordFlags {
                can_edit: old.can_edit && !can_edit,
                can_share: old.can_share && !can_share,
            };
            if new == *old {
                vec![]
            } else {
                vec![Change::grant(&c.id, &t.id, new)]
            }
        }
    };
    Ok(Outcome::new(cx.auth(via)).with(changes))
}

/// R20 (`-a cancel -e X`): removes every grant the actor's own connections give to `X`
/// (dormant grants of trashed connections included).
pub(super) fn cancel_shares(cx: &Cx<'_>, user: &str) -> Result<Outcome, ReasonCode> {
    let t = cx.target(user)?;
    let changes =
        cx.s.owned_by(cx.actor)
            .iter()
            .filter(|cid| {
                cx.s.connection(cid)
                    .is_some_and(|c| c.grants.contains_key(&t.id))
            })
            .map(|cid| Change::RemoveGrant {
                connection: cid.clone(),
                user: t.id.clone(),
            })
            .collect();
    Ok(Outcome::new(Authority::Owner).with(changes))
}

/// R21: edit content. Needs `edit`. Only the name is the engine's; the gateway writes the
/// rest when this is allowed.
pub(super) fn edit(
    cx: &Cx<'_>,
    connection: &str,
    name: Option<&str>,
) -> Result<Outcome, ReasonCode> {
    let c = cx.conn(connection)?;
    let via = cx.require(ReasonCode::MissingCanEdit, |m| {
        cx.s.edit_via(cx.actor, &c.id, m)
    })?;
    let mut out = Outcome::new(cx.auth(via));
    if let Some(n) = name {
        if n != c.name {
            out.changes.push(Change::SetConnectionName {
                connection: c.id.clone(),
                name: n.to_owned(),
            });
        }
    }
    Ok(out)
}

/// R22: delete for everyone. Owner or record tier; all references go and `C` lands in its
/// owner's trash (grants stay, dormant).
pub(super) fn delete(cx: &Cx<'_>, connection: &str) -> Result<Outcome, ReasonCode> {
    let c = cx.conn(connection)?;
    let via = owner_level(cx, c)?;
    let mut out = Outcome::new(cx.auth(via));
    let mut changes: Vec<Change> =
        cx.s.folders_holding(&c.id)
            .iter()
            .map(|f| Change::RemovePlacement {
                folder: f.clone(),
                connection: c.id.clone(),
            })
            .collect();
    changes.push(Change::TrashConnection {
        connection: c.id.clone(),
    });
    out.trashed.push(Trashed {
        connection: c.id.clone(),
        owner: c.owner.clone(),
    });
    Ok(out.with(changes))
}

/// R24/R25: transfer ownership. Targets: known, active, not the owner; an SA (non-owner)
/// cannot take it themselves (`self_transfer`, R34) nor give it outside their enterprise
/// (`target_outside_enterprise`, step 6). The new owner's grant, if any, disappears (grants
/// are never to the owner); the private placement follows the connection.
pub(super) fn transfer(cx: &Cx<'_>, connection: &str, user: &str) -> Result<Outcome, ReasonCode> {
    let c = cx.conn(connection)?;
    let t = cx.active_target(user)?;
    if t.id == c.owner {
        return Err(ReasonCode::AlreadyOwner);
    }
    if t.id == cx.actor {
        return Err(ReasonCode::SelfTransfer);
    }
    let via = owner_level(cx, c)?;
    if via.is_sa() && cx.s.ent(&t.id) != cx.me.enterprise.as_deref() {
        return Err(ReasonCode::TargetOutsideEnterprise);
    }
    let mut changes = Vec::new();
    if c.grants.contains_key(&t.id) {
        changes.push(Change::RemoveGrant {
            connection: c.id.clone(),
            user: t.id.clone(),
        });
    }
    changes.push(Change::SetConnectionOwner {
        connection: c.id.clone(),
        owner: t.id.clone(),
    });
    Ok(Outcome::new(cx.auth(via)).with(changes))
}

/// R28: restore to the owner's private area (not back into folders); dormant grants wake.
pub(super) fn trash_restore(cx: &Cx<'_>, connection: &str) -> Result<Outcome, ReasonCode> {
    let c = cx.trashed(connection)?;
    Ok(
        Outcome::new(Authority::Owner).with(vec![Change::RestoreConnection {
            connection: c.id.clone(),
        }]),
    )
}

/// R28: delete the dormant grants of a trashed connection.
pub(super) fn trash_unshare(cx: &Cx<'_>, connection: &str) -> Result<Outcome, ReasonCode> {
    let c = cx.trashed(connection)?;
    let changes = c
        .grants
        .keys()
        .map(|u| Change::RemoveGrant {
            connection: c.id.clone(),
            user: u.clone(),
        })
        .collect();
    Ok(Outcome::new(Authority::Owner).with(changes))
}

/// R28: delete a trashed connection permanently.
pub(super) fn trash_purge(cx: &Cx<'_>, connection: &str) -> Result<Outcome, ReasonCode> {
    let c = cx.trashed(connection)?;
    Ok(
        Outcome::new(Authority::Owner).with(vec![Change::PurgeConnection {
            connection: c.id.clone(),
        }]),
    )
}

/// R41: `edit` (first, `missing_can_edit`) and `share` (`missing_can_share`).
fn profile_rights<'s>(cx: &Cx<'s>, c: &'s Connection) -> Result<Authority, ReasonCode> {
    let e = cx.require(ReasonCode::MissingCanEdit, |m| {
        cx.s.edit_via(cx.actor, &c.id, m)
    })?;
    let s = cx.require(ReasonCode::MissingCanShare, |m| {
        cx.s.share_via(cx.actor, &c.id, m)
    })?;
    Ok(cx.primary(&[e, s]))
}

fn profile<'s>(c: &'s Connection, id: &str) -> Result<&'s Profile, ReasonCode> {
    c.profiles.get(id).ok_or(ReasonCode::NotFound)
}

fn name_taken(c: &Connection, name: &str, except: &str) -> bool {
    c.profiles
        .values()
        .any(|p| p.id != except && p.name == name)
}

fn profile_row(c: &Connection, id: &str, name: &str, read_only: bool) -> Change {
    Change::PutProfile(ProfileRow {
        id: id.to_owned(),
        connection_id: c.id.clone(),
        name: name.to_owned(),
        read_only,
    })
}

/// R41: create a profile (name unique per connection).
pub(super) fn create_profile(
    cx: &Cx<'_>,
    connection: &str,
    id: &str,
    name: &str,
    read_only: bool,
) -> Result<Outcome, ReasonCode> {
    let c = cx.conn(connection)?;
    if name.trim().is_empty() || name_taken(c, name, "") || c.profiles.contains_key(id) {
        return Err(ReasonCode::NameConflict);
    }
    let auth = profile_rights(cx, c)?;
    Ok(Outcome::new(auth).with(vec![profile_row(c, id, name, read_only)]))
}

/// R41: edit a profile's name / `read_only` (parameters are the gateway's).
pub(super) fn edit_profile(
    cx: &Cx<'_>,
    connection: &str,
    profile_id: &str,
    name: Option<&str>,
    read_only: Option<bool>,
) -> Result<Outcome, ReasonCode> {
    let c = cx.conn(connection)?;
    let p = profile(c, profile_id)?;
    if let Some(n) = name {
        if n.trim().is_empty() || name_taken(c, n, &p.id) {
            return Err(ReasonCode::NameConflict);
        }
    }
    let auth = profile_rights(cx, c)?;
    let new_name = name.unwrap_or(&p.name);
    let new_ro = read_only.unwrap_or(p.read_only);
    let mut out = Outcome::new(auth);
    if new_name != p.name || new_ro != p.read_only {
        out.changes.push(profile_row(c, &p.id, new_name, new_ro));
    }
    Ok(out)
}

/// R41: clone a profile (copies `read_only`; the gateway copies the parameters).
pub(super) fn clone_profile(
    cx: &Cx<'_>,
    connection: &str,
    profile_id: &str,
    id: &str,
    name: &str,
) -> Result<Outcome, ReasonCode> {
    let c = cx.conn(connection)?;
    let p = profile(c, profile_id)?;
    if name.trim().is_empty() || name_taken(c, name, "") || c.profiles.contains_key(id) {
        return Err(ReasonCode::NameConflict);
    }
    let auth = profile_rights(cx, c)?;
    Ok(Outcome::new(auth).with(vec![profile_row(c, id, name, p.read_only)]))
}

/// R41/R42: delete a profile; the gateway revokes its links (and [`crate::revalidate`]
/// reports them).
pub(super) fn delete_profile(
    cx: &Cx<'_>,
    connection: &str,
    profile_id: &str,
) -> Result<Outcome, ReasonCode> {
    let c = cx.conn(connection)?;
    let p = profile(c, profile_id)?;
    let auth = profile_rights(cx, c)?;
    Ok(Outcome::new(auth).with(vec![Change::DeleteProfile {
        connection: c.id.clone(),
        profile: p.id.clone(),
    }]))
}
