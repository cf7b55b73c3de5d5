//! Folders: creation (R9), membership (R10–R12), defaults (R18), deletion (R27), and
//! connections in folders: creating (R14), linking (R14), unlinking with the trash rule
//! (R15, R16), moving (R17), placement flags (R19).

use super::Cx;
use crate::change::Change;
use crate::command::{Outcome, Trashed};
use crate::model::{Connection, Folder, FolderDefaults, MemberFlags, RecordFlags};
use crate::predicates::Via;
use crate::reason::{Authority, ReasonCode};
use crate::rows::{ConnectionRow, FolderRow};

fn folder_row(f: &Folder) -> FolderRow {
    FolderRow {
        id: f.id.clone(),
        name: f.name.clone(),
        owner_id: f.owner.clone(),
        defaults: f.defaults,
    }
}

/// R9: any active user creates a folder; they become its owner, a member with both flags.
pub(super) fn create_folder(
    cx: &Cx<'_>,
    id: &str,
    name: &str,
    defaults: FolderDefaults,
) -> Result<Outcome, ReasonCode> {
    if cx.s.folder(id).is_some() {
        return Err(ReasonCode::NameConflict);
    }
    Ok(Outcome::new(Authority::FolderOwner).with(vec![
        Change::PutFolder(FolderRow {
            id: id.to_owned(),
            name: name.to_owned(),
            owner_id: cx.actor.to_owned(),
            defaults,
        }),
        Change::member(id, cx.actor, MemberFlags::ALL),
    ]))
}

/// R10/R11: add a member (flags given, else the defaults at this moment) or change an
/// existing member's flags. Needs `mu`.
pub(super) fn share_folder_user(
    cx: &Cx<'_>,
    folder: &str,
    user: &str,
    manage_users: Option<bool>,
    manage_records: Option<bool>,
) -> Result<Outcome, ReasonCode> {
    let f = cx.folder(folder)?;
    let t = cx.target(user)?;
    let existing = f.members.get(&t.id).copied();
    match existing {
        None if !t.is_active() => return Err(ReasonCode::TargetInactive),
        Some(_) if t.id == f.owner => return Err(ReasonCode::OwnerImmutable),
        Some(_) if t.id == cx.actor => return Err(ReasonCode::SelfEscalation),
        _ => {}
    }
    let via = cx.require(ReasonCode::MissingManageUsers, |m| {
        cx.s.mu_via(cx.actor, &f.id, m)
    })?;
    let base = existing.unwrap_or(f.defaults.member());
    let flags = MemberFlags {
        manage_users: manage_users.unwrap_or(base.manage_users),
        manage_records: manage_records.unwrap_or(base.manage_records),
    };
    let changes = if existing == Some(flags) {
        vec![]
    } else {
        vec![Change::member(&f.id, &t.id, flags)]
    };
    Ok(Outcome::new(cx.auth(via)).with(changes))
}

/// R12: remove another member (needs `mu`; never the owner), leave (any non-owner), or —
/// the owner — leave by handing the folder to a member with both stored flags.
pub(super) fn remove_folder_user(
    cx: &Cx<'_>,
    folder: &str,
    user: &str,
    new_owner: Option<&str>,
) -> Result<Outcome, ReasonCode> {
    let f = cx.folder(folder)?;
    let t = cx.target(user)?;
    if !f.members.contains_key(&t.id) {
        return Err(ReasonCode::TargetInvalid);
    }
    if t.id == cx.actor {
        if f.owner != cx.actor {
            return Ok(
                Outcome::new(Authority::MemberFlag).with(vec![Change::RemoveMember {
                    folder: f.id.clone(),
                    user: t.id.clone(),
                }]),
            );
        }
        let successor = new_owner.ok_or(ReasonCode::NoSuccessor)?;
        let n = cx.active_target(successor)?;
        if n.id == cx.actor || f.members.get(&n.id) != Some(&MemberFlags::ALL) {
            return Err(ReasonCode::NoSuccessor);
        }
        let mut row = folder_row(f);
        row.owner_id = n.id.clone();
        return Ok(Outcome::new(Authority::FolderOwner).with(vec![
            Change::PutFolder(row),
            Change::RemoveMember {
                folder: f.id.clone(),
                user: cx.actor.to_owned(),
            },
        ]));
    }
    if t.id == f.owner {
        return Err(ReasonCode::CannotRemoveOwner);
    }
    let via = cx.require(ReasonCode::MissingManageUsers, |m| {
        cx.s.mu_via(cx.actor, &f.id, m)
    })?;
    Ok(Outcome::new(cx.auth(via)).with(vec![Change::RemoveMember {
        folder: f.id.clone(),
        user: t.id.clone(),
    }]))
}

/// R18: change defaults (not retroactive). Needs `fo`.
pub(super) fn set_defaults(
    cx: &Cx<'_>,
    folder: &str,
    [mu, mr, ce, cs]: [Option<bool>; 4],
) -> Result<Outcome, ReasonCode> {
    let f = cx.folder(folder)?;
    let via = cx.require(ReasonCode::NotFolderOwner, |m| {
        cx.s.fo_via(cx.actor, &f.id, m)
    })?;
    let d = f.defaults;
    let new = FolderDefaults {
        manage_users: mu.unwrap_or(d.manage_users),
        manage_records: mr.unwrap_or(d.manage_records),
        can_edit: ce.unwrap_or(d.can_edit),
        can_share: cs.unwrap_or(d.can_share),
    };
    let changes = if new == d {
        vec![]
    } else {
        let mut row = folder_row(f);
        row.defaults = new;
        vec![Change::PutFolder(row)]
    };
    Ok(Outcome::new(cx.auth(via)).with(changes))
}

/// The references `c` keeps once the placements in `removed` are gone (R16).
fn remaining_refs(cx: &Cx<'_>, c: &Connection, removed: &[&str]) -> usize {
    usize::from(c.private)
        + cx.s
            .folders_holding(&c.id)
            .iter()
            .filter(|f| !removed.contains(&f.as_str()))
            .count()
}

/// R27: delete a folder. Needs `fo`. Every connection whose last reference it was goes to
/// its owner's trash (R16).
pub(super) fn delete_folder(cx: &Cx<'_>, folder: &str) -> Result<Outcome, ReasonCode> {
    let f = cx.folder(folder)?;
    let via = cx.require(ReasonCode::NotFolderOwner, |m| {
        cx.s.fo_via(cx.actor, &f.id, m)
    })?;
    let mut out = Outcome::new(cx.auth(via));
    let mut changes = Vec::new();
    for cid in f.records.keys() {
        changes.push(Change::RemovePlacement {
            folder: f.id.clone(),
            connection: cid.clone(),
        });
    }
    for cid in f.records.keys() {
        if let Some(c) = cx.s.connection(cid) {
            if remaining_refs(cx, c, &[&f.id]) == 0 {
                changes.push(Change::TrashConnection {
                    connection: c.id.clone(),
                });
                out.trashed.push(Trashed {
                    connection: c.id.clone(),
                    owner: c.owner.clone(),
                });
            }
        }
    }
    for uid in f.members.keys() {
        changes.push(Change::RemoveMember {
            folder: f.id.clone(),
            user: uid.clone(),
        });
    }
    changes.push(Change::DeleteFolder {
        folder: f.id.clone(),
    });
    Ok(out.with(changes))
}

/// R14 (`add`): create a connection owned by the actor, private, or placed only in
/// `folder` (needs `mr` there) with its defaults.
pub(super) fn create_connection(
    cx: &Cx<'_>,
    id: &str,
    name: &str,
    folder: Option<&str>,
) -> Result<Outcome, ReasonCode> {
    let f = folder.map(|f| cx.folder(f)).transpose()?;
    if cx.s.connection(id).is_some() {
        return Err(ReasonCode::NameConflict);
    }
    let mut changes = vec![Change::PutConnection(ConnectionRow {
        id: id.to_owned(),
        name: name.to_owned(),
        owner_id: cx.actor.to_owned(),
        state: crate::model::ConnState::Live,
        private: f.is_none(),
    })];
    let auth = match f {
        None => Authority::Owner,
        Some(f) => {
            let via = cx.require(ReasonCode::MissingManageRecords, |m| {
                cx.s.mr_via(cx.actor, &f.id, m)
            })?;
            changes.push(Change::placement(&f.id, id, f.defaults.placement()));
            cx.auth(via)
        }
    };
    Ok(Outcome::new(auth).with(changes))
}

/// Connection side of R14: the owner, or `share(actor, C)`.
fn link_connection_side<'s>(cx: &Cx<'s>, c: &'s Connection) -> Result<Via<'s>, ReasonCode> {
    cx.require(ReasonCode::MissingCanShare, |m| {
        cx.s.share_via(cx.actor, &c.id, m)
    })
}

/// R14 explicit flags: honoured only if the actor could change them under R19 (owner with
/// `mr` — already checked — or record tier), else `not_record_owner`.
fn explicit_flags_side<'s>(cx: &Cx<'s>, c: &'s Connection) -> Result<Via<'s>, ReasonCode> {
    cx.require(ReasonCode::NotRecordOwner, |m| {
        cx.s.owner_or_sa_record(cx.actor, &c.id, m)
    })
}

/// R14 (`ln`): folder side (`mr`) first, then connection side (owner or `share`), then
/// explicit flags (R19 authority). New placements get the folder's defaults.
pub(super) fn link(
    cx: &Cx<'_>,
    connection: &str,
    folder: &str,
    can_edit: Option<bool>,
    can_share: Option<bool>,
) -> Result<Outcome, ReasonCode> {
    let f = cx.folder(folder)?;
    let c = cx.conn(connection)?;
    let folder_via = cx.require(ReasonCode::MissingManageRecords, |m| {
        cx.s.mr_via(cx.actor, &f.id, m)
    })?;
    let conn_via = link_connection_side(cx, c)?;
    let mut vias = vec![folder_via, conn_via];
    if can_edit.is_some() || can_share.is_some() {
        vias.push(explicit_flags_side(cx, c)?);
    }
    let auth = cx.primary(&vias);
    if f.records.contains_key(&c.id) {
        return Ok(Outcome::new(auth).with(vec![]));
    }
    let d = f.defaults.placement();
    let flags = RecordFlags {
        can_edit: can_edit.unwrap_or(d.can_edit),
        can_share: can_share.unwrap_or(d.can_share),
    };
    Ok(Outcome::new(auth).with(vec![Change::placement(&f.id, &c.id, flags)]))
}

/// R15/R16 (`rm C --from F`): needs `mr`, whoever owns `C`. The last reference sends `C`
/// to its owner's trash.
pub(super) fn unlink(cx: &Cx<'_>, connection: &str, folder: &str) -> Result<Outcome, ReasonCode> {
    let f = cx.folder(folder)?;
    let c = cx.conn_in(f, connection)?;
    let via = cx.require(ReasonCode::MissingManageRecords, |m| {
        cx.s.mr_via(cx.actor, &f.id, m)
    })?;
    let mut out = Outcome::new(cx.auth(via));
    let mut changes = vec![Change::RemovePlacement {
        folder: f.id.clone(),
        connection: c.id.clone(),
    }];
    if remaining_refs(cx, c, &[&f.id]) == 0 {
        changes.push(Change::TrashConnection {
            connection: c.id.clone(),
        });
        out.trashed.push(Trashed {
            connection: c.id.clone(),
            owner: c.owner.clone(),
        });
    }
    Ok(out.with(changes))
}

/// R17 (`mv C DEST --from SRC`): R15 on SRC and R14 on DEST, both against the state
/// before the move; atomic; never through the trash. The new placement gets DEST's
/// defaults.
pub(super) fn move_connection(
    cx: &Cx<'_>,
    connection: &str,
    from: &str,
    to: &str,
) -> Result<Outcome, ReasonCode> {
    let src = cx.folder(from)?;
    let dst = cx.folder(to)?;
    let c = cx.conn_in(src, connection)?;
    let src_via = cx.require(ReasonCode::MissingManageRecords, |m| {
        cx.s.mr_via(cx.actor, &src.id, m)
    })?;
    let dst_via = cx.require(ReasonCode::MissingManageRecords, |m| {
        cx.s.mr_via(cx.actor, &dst.id, m)
    })?;
    let conn_via = link_connection_side(cx, c)?;
    let auth = cx.primary(&[src_via, dst_via, conn_via]);
    if src.id == dst.id {
        return Ok(Outcome::new(auth).with(vec![]));
    }
    let mut changes = vec![Change::RemovePlacement {
        folder: src.id.clone(),
        connection: c.id.clone(),
    }];
    if !dst.records.contains_key(&c.id) {
        changes.push(Change::placement(&dst.id, &c.id, dst.defaults.placement()));
    }
    Ok(Outcome::new(auth).with(changes))
}

/// R19: change a placement's flags. Needs membership (`not_found`), the connection in the
/// folder (`record_not_in_folder`), and (owner of `C` and `mr`) or record tier.
pub(super) fn set_placement_flags(
    cx: &Cx<'_>,
    folder: &str,
    connection: &str,
    can_edit: Option<bool>,
    can_share: Option<bool>,
) -> Result<Outcome, ReasonCode> {
    let f = cx.folder(folder)?;
    let c = cx.conn_in(f, connection)?;
    let via = if c.owner == cx.actor {
        cx.require(ReasonCode::MissingManageRecords, |m| {
            cx.s.mr_via(cx.actor, &f.id, m)
        })?;
        Via::Owner
    } else {
        cx.require(ReasonCode::NotRecordOwner, |m| {
            cx.s.owner_or_sa_record(cx.actor, &c.id, m)
        })?
    };
    let old = f.records.get(&c.id).copied().unwrap_or_default();
    let new = RecordFlags {
        can_edit: can_edit.unwrap_or(old.can_edit),
        can_share: can_share.unwrap_or(old.can_share),
    };
    let changes = if new == old {
        vec![]
    } else {
        vec![Change::placement(&f.id, &c.id, new)]
    };
    Ok(Outcome::new(cx.auth(via)).with(changes))
}
