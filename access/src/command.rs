//! [`Command`]: every state-changing action of share-admin.md, as one value the engine
//! checks and turns into [`Change`]s ([`crate::apply`]); [`Outcome`] is what an allowed
//! command produces.
//!
//! Users are named by id or email ([`Snapshot::resolve_user`](crate::Snapshot::resolve_user));
//! every other object by id (the CLI resolves names with
//! [`Snapshot::find_node`](crate::Snapshot::find_node) /
//! [`Snapshot::find_role`](crate::Snapshot::find_role)). Commands that create an object carry
//! the new object's id: the engine is pure and does not invent ids.

use crate::change::Change;
use crate::model::{FolderDefaults, Id, Privilege, UserStatus};
use crate::reason::Authority;
use serde::{Deserialize, Serialize};

/// A state-changing action. The rule each one implements is in its documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    // ----- A. enterprise -----
    /// R1: `enterprise-node NODE --add --parent PARENT`.
    CreateNode { id: Id, name: String, parent: Id },
    /// R1: rename and/or re-parent.
    UpdateNode {
        node: Id,
        name: Option<String>,
        parent: Option<Id>,
    },
    /// R2: `enterprise-user EMAIL --node NODE`.
    SetUserNode { user: String, node: Id },
    /// R2 (`manage_user`): `enterprise-user EMAIL --lock|--unlock`.
    SetUserStatus { user: String, status: UserStatus },
    /// R3: `enterprise-role ROLE --add --node HOME [--new-user on|off]`.
    CreateRole {
        id: Id,
        name: String,
        home_node: Id,
        new_user: bool,
    },
    /// R3: `--name NEW`, `--new-user on|off` on an existing role.
    UpdateRole {
        role: Id,
        name: Option<String>,
        new_user: Option<bool>,
    },
    /// R3: `enterprise-role ROLE --delete`.
    DeleteRole { role: Id },
    /// R3: `--add-user EMAIL` (also `enterprise-user EMAIL --add-role ROLE`).
    AddRoleMember { role: Id, user: String },
    /// R3: `--remove-user EMAIL` (also `enterprise-user EMAIL --remove-role ROLE`).
    RemoveRoleMember { role: Id, user: String },
    /// R3/R4/R5: `--add-admin NODE [--cascade on|off]`. On a node the role already manages
    /// only the cascade flag changes; a new entry defaults to `cascade: off`.
    AddManagedNode {
        role: Id,
        node: Id,
        cascade: Option<bool>,
    },
    /// R3: `--remove-admin NODE`.
    RemoveManagedNode { role: Id, node: Id },
    /// R3: `enterprise-role ROLE... --node NODE --add-privilege PRIV...` (names as typed).
    AddPrivileges {
        roles: Vec<Id>,
        node: Option<Id>,
        privileges: Vec<String>,
    },
    /// R3/R6: `--remove-privilege PRIV...`.
    RemovePrivileges {
        roles: Vec<Id>,
        node: Option<Id>,
        privileges: Vec<String>,
    },

    // ----- B. folder membership -----
    /// R9: `mkdir NAME -sf [-u] [-r] [-e] [-s]`.
    CreateFolder {
        id: Id,
        name: String,
        defaults: FolderDefaults,
    },
    /// R10/R11: `share-folder F -e EMAIL [-o on|off] [-p on|off]` — adds the user (flags
    /// given, else the folder defaults) or changes an existing member's flags.
    ShareFolderUser {
        folder: Id,
        user: String,
        manage_users: Option<bool>,
        manage_records: Option<bool>,
    },
    /// R12: `share-folder F -a remove -e EMAIL [--new-owner EMAIL]` (also leaving).
    RemoveFolderUser {
        folder: Id,
        user: String,
        new_owner: Option<String>,
    },
    /// R18: `share-folder F -e '*' -o/-p` and `-r '*' -d/-s`.
    SetFolderDefaults {
        folder: Id,
        manage_users: Option<bool>,
        manage_records: Option<bool>,
        can_edit: Option<bool>,
        can_share: Option<bool>,
    },
    /// R27: `rmdir F`.
    DeleteFolder { folder: Id },

    // ----- C. connections in folders -----
    /// R14: `add NAME … [--folder F]`.
    CreateConnection {
        id: Id,
        name: String,
        folder: Option<Id>,
    },
    /// R14: `ln C F [-e] [-s]` (`Some(_)` = given explicitly).
    LinkConnection {
        connection: Id,
        folder: Id,
        can_edit: Option<bool>,
        can_share: Option<bool>,
    },
    /// R15/R16: `rm C --from F`.
    UnlinkConnection { connection: Id, folder: Id },
    /// R17: `mv C DEST --from SRC`.
    MoveConnection { connection: Id, from: Id, to: Id },

    // ----- E. connection permissions and content -----
    /// R19: `share-folder F -r C -d on|off -s on|off`.
    SetPlacementFlags {
        folder: Id,
        connection: Id,
        can_edit: Option<bool>,
        can_share: Option<bool>,
    },
    /// R20: `share-record C -e EMAIL [-w] [-s]` — a new grant gets the flags given (absent
    /// = off); an existing grant changes only the flags given.
    Grant {
        connection: Id,
        user: String,
        can_edit: Option<bool>,
        can_share: Option<bool>,
    },
    /// R20: `share-record C -a revoke -e EMAIL [-w] [-s]` — without flags the grant is
    /// removed; with flags only those flags are cleared.
    Revoke {
        connection: Id,
        user: String,
        can_edit: bool,
        can_share: bool,
    },
    /// R20: `share-record -a cancel -e EMAIL` — every grant the actor's connections give
    /// to the user.
    CancelShares { user: String },
    /// R21: `edit C [--name …] …` (content other than the name is the gateway's).
    EditConnection {
        connection: Id,
        name: Option<String>,
    },
    /// R22: `rm C --delete`.
    DeleteConnection { connection: Id },

    // ----- F. ownership -----
    /// R24/R25: `share-record C -a owner -e EMAIL`, one item of `transfer-record`.
    Transfer { connection: Id, user: String },

    // ----- G. trash -----
    /// R28: `trash restore C`.
    TrashRestore { connection: Id },
    /// R28: `trash unshare C`.
    TrashUnshare { connection: Id },
    /// R28: `trash purge` (one connection; the CLI lists the owner's trash).
    TrashPurge { connection: Id },

    // ----- J. sharing profiles -----
    /// R41: `sharing-profile add C --name N [--read-only]`.
    CreateProfile {
        connection: Id,
        id: Id,
        name: String,
        read_only: bool,
    },
    /// R41: `sharing-profile edit C P [--name] [--read-only on|off]`.
    EditProfile {
        connection: Id,
        profile: Id,
        name: Option<String>,
        read_only: Option<bool>,
    },
    /// R41: `sharing-profile clone C P --name NEW`.
    CloneProfile {
        connection: Id,
        profile: Id,
        id: Id,
        name: String,
    },
    /// R41/R42: `sharing-profile delete C P`.
    DeleteProfile { connection: Id, profile: Id },
}

impl Command {
    /// The audit action name (`folder.member.add`, …).
    pub fn action(&self) -> &'static str {
        match self {
            Command::CreateNode { .. } => "node.create",
            Command::UpdateNode { .. } => "node.update",
            Command::SetUserNode { .. } => "user.node",
            Command::SetUserStatus { .. } => "user.status",
            Command::CreateRole { .. } => "role.create",
            Command::UpdateRole { .. } => "role.update",
            Command::DeleteRole { .. } => "role.delete",
            Command::AddRoleMember { .. } => "role.member.add",
            Command::RemoveRoleMember { .. } => "role.member.remove",
            Command::AddManagedNode { .. } => "role.node.add",
            Command::RemoveManagedNode { .. } => "role.node.remove",
            Command::AddPrivileges { .. } => "role.privilege.add",
            Command::RemovePrivileges { .. } => "role.privilege.remove",
            Command::CreateFolder { .. } => "folder.create",
            Command::ShareFolderUser { .. } => "folder.member.share",
            Command::RemoveFolderUser { .. } => "folder.member.remove",
            Command::SetFolderDefaults { .. } => "folder.defaults",
            Command::DeleteFolder { .. } => "folder.delete",
            Command::CreateConnection { .. } => "connection.create",
            Command::LinkConnection { .. } => "folder.record.link",
            Command::UnlinkConnection { .. } => "folder.record.unlink",
            Command::MoveConnection { .. } => "folder.record.move",
            Command::SetPlacementFlags { .. } => "folder.record.flags",
            Command::Grant { .. } => "connection.grant",
            Command::Revoke { .. } => "connection.revoke",
            Command::CancelShares { .. } => "connection.cancel_shares",
            Command::EditConnection { .. } => "connection.edit",
            Command::DeleteConnection { .. } => "connection.delete",
            Command::Transfer { .. } => "connection.transfer",
            Command::TrashRestore { .. } => "trash.restore",
            Command::TrashUnshare { .. } => "trash.unshare",
            Command::TrashPurge { .. } => "trash.purge",
            Command::CreateProfile { .. } => "profile.create",
            Command::EditProfile { .. } => "profile.edit",
            Command::CloneProfile { .. } => "profile.clone",
            Command::DeleteProfile { .. } => "profile.delete",
        }
    }

    /// The objects the command names, as (type, id-or-email), for the audit trail.
    pub fn targets(&self) -> Vec<(&'static str, String)> {
        use Command::*;
        let t = |k: &'static str, v: &str| (k, v.to_owned());
        match self {
            CreateNode { id, parent, .. } => vec![t("node", id), t("node", parent)],
            UpdateNode { node, parent, .. } => {
                let mut v = vec![t("node", node)];
                v.extend(parent.iter().map(|p| t("node", p)));
                v
            }
            SetUserNode { user, node } => vec![t("user", user), t("node", node)],
            SetUserStatus { user, .. } => vec![t("user", user)],
            CreateRole { id, home_node, .. } => vec![t("role", id), t("node", home_node)],
            UpdateRole { role, .. } | DeleteRole { role } => vec![t("role", role)],
            AddRoleMember { role, user } | RemoveRoleMember { role, user } => {
                vec![t("role", role), t("user", user)]
            }
            AddManagedNode { role, node, .. } | RemoveManagedNode { role, node } => {
                vec![t("role", role), t("node", node)]
            }
            AddPrivileges { roles, node, .. } | RemovePrivileges { roles, node, .. } => {
                let mut v: Vec<_> = roles.iter().map(|r| t("role", r)).collect();
                v.extend(node.iter().map(|n| t("node", n)));
                v
            }
            CreateFolder { id, .. } => vec![t("folder", id)],
            ShareFolderUser { folder, user, .. } => vec![t("folder", folder), t("user", user)],
            RemoveFolderUser {
                folder,
                user,
                new_owner,
            } => {
                let mut v = vec![t("folder", folder), t("user", user)];
                v.extend(new_owner.iter().map(|n| t("user", n)));
                v
            }
            SetFolderDefaults { folder, .. } | DeleteFolder { folder } => vec![t("folder", folder)],
            CreateConnection { id, folder, .. } => {
                let mut v = vec![t("connection", id)];
                v.extend(folder.iter().map(|f| t("folder", f)));
                v
            }
            LinkConnection {
                connection, folder, ..
            }
            | UnlinkConnection { connection, folder }
            | SetPlacementFlags {
                connection, folder, ..
            } => vec![t("connection", connection), t("folder", folder)],
            MoveConnection {
                connection,
                from,
                to,
            } => vec![
                t("connection", connection),
                t("folder", from),
                t("folder", to),
            ],
            Grant {
                connection, user, ..
            }
            | Revoke {
                connection, user, ..
            }
            | Transfer { connection, user } => vec![t("connection", connection), t("user", user)],
            CancelShares { user } => vec![t("user", user)],
            EditConnection { connection, .. }
            | DeleteConnection { connection }
            | TrashRestore { connection }
            | TrashUnshare { connection }
            | TrashPurge { connection } => vec![t("connection", connection)],
            CreateProfile { connection, id, .. } => {
                vec![t("connection", connection), t("sharing_profile", id)]
            }
            EditProfile {
                connection,
                profile,
                ..
            }
            | DeleteProfile {
                connection,
                profile,
            } => vec![t("connection", connection), t("sharing_profile", profile)],
            CloneProfile {
                connection,
                profile,
                id,
                ..
            } => vec![
                t("connection", connection),
                t("sharing_profile", profile),
                t("sharing_profile", id),
            ],
        }
    }
}

/// Something the caller should tell the user about an allowed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// Nothing to do: the state already is as asked (R3.5 no-op privilege, R14 link of a
    /// connection already in the folder, re-grant of the same flags, …).
    NoChange,
    /// R3.5: the role already had the privilege on that node.
    PrivilegePresent { role: Id, privilege: Privilege },
    /// R3.5: the role did not have the privilege on that node.
    PrivilegeAbsent { role: Id, privilege: Privilege },
    /// `manage_companies` / `manage_licences`: accepted, never granted in v1.
    PrivilegeNotGrantable { privilege: Privilege },
}

/// A connection moved to its owner's trash by the command (R16, R22, R27).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trashed {
    pub connection: Id,
    /// Whose trash it goes to: always `owner(C)`.
    pub owner: Id,
}

/// The result of an allowed command: persist `changes` in one transaction, then
/// [`Snapshot::commit`](crate::Snapshot::commit) them, audit with `authority`, show
/// `notices`, and (for `--dry-run`) list `trashed` without persisting anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub changes: Vec<Change>,
    pub authority: Authority,
    pub notices: Vec<Notice>,
    pub trashed: Vec<Trashed>,
}

impl Outcome {
    pub(crate) fn new(authority: Authority) -> Outcome {
        Outcome {
            changes: Vec::new(),
            authority,
            notices: Vec::new(),
            trashed: Vec::new(),
        }
    }
    pub(crate) fn with(mut self, changes: Vec<Change>) -> Outcome {
        self.changes = changes;
        if self.changes.is_empty() && self.notices.is_empty() {
            self.notices.push(Notice::NoChange);
        }
        self
    }
    /// Does the command change nothing?
    pub fn is_noop(&self) -> bool {
        self.changes.is_empty()
    }
}
