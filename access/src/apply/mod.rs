//! [`apply`]: checks a [`Command`] against a [`Snapshot`] in the order of §5 (R50) and,
//! if allowed, returns the [`Outcome`] (changes to persist, authority, notices). Pure: the
//! snapshot is not modified; the caller persists `changes` and then
//! [`Snapshot::commit`]s them.
//!
//! Every command handler follows the same shape:
//! 1. `not_found` — the actor and the objects they reference ([`Cx::folder`],
//!    [`Cx::conn`]): a folder the actor is not a member of, a connection they have no
//!    access to (trashed counts as unreferenced for everyone but its owner);
//! 2. `in_trash` — the owner naming their own trashed connection;
//! 3. usage; 4. target checks; 5. authority (with the SA scope reasons through
//!    [`Snapshot::require`]); 6. the SA transfer limit;
//!
//! then the changes.

mod connections;
mod enterprise;
mod folders;

use crate::command::{Command, Outcome};
use crate::model::{Connection, Folder, User};
use crate::predicates::{Mode, Via};
use crate::reason::{Authority, ReasonCode};
use crate::snapshot::Snapshot;

/// Checks `cmd` by `actor` (a user id) and returns what it changes, or the reason it is
/// denied. See the module documentation for the order of checks.
pub fn apply(snap: &Snapshot, actor: &str, cmd: &Command) -> Result<Outcome, ReasonCode> {
    let cx = Cx::new(snap, actor)?;
    match cmd {
        Command::CreateNode { id, name, parent } => enterprise::create_node(&cx, id, name, parent),
        Command::UpdateNode { node, name, parent } => {
            enterprise::update_node(&cx, node, name.as_deref(), parent.as_deref())
        }
        Command::SetUserNode { user, node } => enterprise::set_user_node(&cx, user, node),
        Command::SetUserStatus { user, status } => enterprise::set_user_status(&cx, user, *status),
        Command::CreateRole {
            id,
            name,
            home_node,
            new_user,
        } => enterprise::create_role(&cx, id, name, home_node, *new_user),
        Command::UpdateRole {
            role,
            name,
            new_user,
        } => enterprise::update_role(&cx, role, name.as_deref(), *new_user),
        Command::DeleteRole { role } => enterprise::delete_role(&cx, role),
        Command::AddRoleMember { role, user } => enterprise::add_role_member(&cx, role, user),
        Command::RemoveRoleMember { role, user } => enterprise::remove_role_member(&cx, role, user),
        Command::AddManagedNode {
            role,
            node,
            cascade,
        } => enterprise::add_managed_node(&cx, role, node, *cascade),
        Command::RemoveManagedNode { role, node } => {
            enterprise::remove_managed_node(&cx, role, node)
        }
        Command::AddPrivileges {
            roles,
            node,
            privileges,
        } => enterprise::privileges(&cx, roles, node.as_deref(), privileges, true),
        Command::RemovePrivileges {
            roles,
            node,
            privileges,
        } => enterprise::privileges(&cx, roles, node.as_deref(), privileges, false),
        Command::CreateFolder { id, name, defaults } => {
            folders::create_folder(&cx, id, name, *defaults)
        }
        Command::ShareFolderUser {
            folder,
            user,
            manage_users,
            manage_records,
        } => folders::share_folder_user(&cx, folder, user, *manage_users, *manage_records),
        Command::RemoveFolderUser {
            folder,
            user,
            new_owner,
        } => folders::remove_folder_user(&cx, folder, user, new_owner.as_deref()),
        Command::SetFolderDefaults {
            folder,
            manage_users,
            manage_records,
            can_edit,
            can_share,
        } => folders::set_defaults(
            &cx,
            folder,
            [*manage_users, *manage_records, *can_edit, *can_share],
        ),
        Command::DeleteFolder { folder } => folders::delete_folder(&cx, folder),
        Command::CreateConnection { id, name, folder } => {
            folders::create_connection(&cx, id, name, folder.as_deref())
        }
        Command::LinkConnection {
            connection,
            folder,
            can_edit,
            can_share,
        } => folders::link(&cx, connection, folder, *can_edit, *can_share),
        Command::UnlinkConnection { connection, folder } => {
            folders::unlink(&cx, connection, folder)
        }
        Command::MoveConnection {
            connection,
            from,
            to,
        } => folders::move_connection(&cx, connection, from, to),
        Command::SetPlacementFlags {
            folder,
            connection,
            can_edit,
            can_share,
        } => folders::set_placement_flags(&cx, folder, connection, *can_edit, *can_share),
        Command::Grant {
            connection,
            user,
            can_edit,
            can_share,
        } => connections::grant(&cx, connection, user, *can_edit, *can_share),
        Command::Revoke {
            connection,
            user,
            can_edit,
            can_share,
        } => connections::revoke(&cx, connection, user, *can_edit, *can_share),
        Command::CancelShares { user } => connections::cancel_shares(&cx, user),
        Command::EditConnection { connection, name } => {
            connections::edit(&cx, connection, name.as_deref())
        }
        Command::DeleteConnection { connection } => connections::delete(&cx, connection),
        Command::Transfer { connection, user } => connections::transfer(&cx, connection, user),
        Command::TrashRestore { connection } => connections::trash_restore(&cx, connection),
        Command::TrashUnshare { connection } => connections::trash_unshare(&cx, connection),
        Command::TrashPurge { connection } => connections::trash_purge(&cx, connection),
        Command::CreateProfile {
            connection,
            id,
            name,
            read_only,
        } => connections::create_profile(&cx, connection, id, name, *read_only),
        Command::EditProfile {
            connection,
            profile,
            name,
            read_only,
        } => connections::edit_profile(&cx, connection, profile, name.as_deref(), *read_only),
        Command::CloneProfile {
            connection,
            profile,
            id,
            name,
        } => connections::clone_profile(&cx, connection, profile, id, name),
        Command::DeleteProfile {
            connection,
            profile,
        } => connections::delete_profile(&cx, connection, profile),
    }
}

/// The context of one decision: the snapshot and the (active) actor.
pub(crate) struct Cx<'s> {
    pub(crate) s: &'s Snapshot,
    pub(crate) actor: &'s str,
    pub(crate) me: &'s User,
}

impl<'s> Cx<'s> {
    /// The actor must exist and be active; anyone else references nothing (`not_found`).
    pub(crate) fn new(s: &'s Snapshot, actor: &str) -> Result<Cx<'s>, ReasonCode> {
        let me = s.user(actor).ok_or(ReasonCode::NotFound)?;
        if !me.is_active() {
            return Err(ReasonCode::NotFound);
        }
        Ok(Cx {
            s,
            actor: me.id.as_str(),
            me,
        })
    }

    /// A folder the actor is a member of (`not_found` otherwise: R10, R30).
    pub(crate) fn folder(&self, id: &str) -> Result<&'s Folder, ReasonCode> {
        match self.s.folder(id) {
            Some(f) if f.members.contains_key(self.actor) => Ok(f),
            _ => Err(ReasonCode::NotFound),
        }
    }

    /// A connection the actor references: live with access, or (`in_trash`) the actor's
    /// own trashed connection.
    pub(crate) fn conn(&self, id: &str) -> Result<&'s Connection, ReasonCode> {
        let c = self.s.connection(id).ok_or(ReasonCode::NotFound)?;
        if !c.is_live() {
            return Err(if c.owner == self.actor {
                ReasonCode::InTrash
            } else {
                ReasonCode::NotFound
            });
        }
        if self.s.access(self.actor, id) {
            Ok(c)
        } else {
            Err(ReasonCode::NotFound)
        }
    }

    /// A connection inside folder `f` (the actor being a member), else the reason of
    /// §5: `not_found`/`in_trash` when the actor has no reference to it at all,
    /// `record_not_in_folder` otherwise.
    pub(crate) fn conn_in(&self, f: &Folder, id: &str) -> Result<&'s Connection, ReasonCode> {
        if f.records.contains_key(id) {
            return self.s.connection(id).ok_or(ReasonCode::NotFound);
        }
        self.conn(id)?;
        Err(ReasonCode::RecordNotInFolder)
    }

    /// A connection in the actor's own trash (trash operations, R28); anything else
    /// (someone else's, or live) is `not_found`.
    pub(crate) fn trashed(&self, id: &str) -> Result<&'s Connection, ReasonCode> {
        match self.s.connection(id) {
            Some(c) if c.owner == self.actor && !c.is_live() => Ok(c),
            _ => Err(ReasonCode::NotFound),
        }
    }

    /// A known user (`target_invalid`).
    pub(crate) fn target(&self, r: &str) -> Result<&'s User, ReasonCode> {
        self.s.resolve_user(r).ok_or(ReasonCode::TargetInvalid)
    }

    /// A known, active user (`target_invalid`, `target_inactive`).
    pub(crate) fn active_target(&self, r: &str) -> Result<&'s User, ReasonCode> {
        let u = self.target(r)?;
        if u.is_active() {
            Ok(u)
        } else {
            Err(ReasonCode::TargetInactive)
        }
    }

    /// See [`Snapshot::require`].
    pub(crate) fn require(
        &self,
        otherwise: ReasonCode,
        right: impl Fn(Mode) -> Option<Via<'s>>,
    ) -> Result<Via<'s>, ReasonCode> {
        self.s.require(self.actor, otherwise, right)
    }

    /// When an ordinary check failed with `reason`, the SA scope reason if the right would
    /// hold with every owner managed (§5 step 5).
    pub(crate) fn scope_or(
        &self,
        reason: ReasonCode,
        right: impl Fn(Mode) -> Option<Via<'s>>,
    ) -> ReasonCode {
        if self.s.is_sa(self.actor) {
            if let Some(v) = right(Mode::AssumeManaged) {
                if let Some(r) = self.s.scope_reason(self.actor, v) {
                    return r;
                }
            }
        }
        reason
    }

    /// The public authority of a source.
    pub(crate) fn auth(&self, via: Via<'_>) -> Authority {
        self.s.authority(self.actor, via)
    }

    /// The authority to report for an action that needed several rights: the first Share
    /// Admin one if any (that is what made it possible), else the first.
    pub(crate) fn primary(&self, vias: &[Via<'_>]) -> Authority {
        let v = vias
            .iter()
            .find(|v| v.is_sa())
            .or_else(|| vias.first())
            .copied()
            .unwrap_or(Via::Owner);
        self.auth(v)
    }
}
