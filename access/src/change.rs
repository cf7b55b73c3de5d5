//! [`Change`]: the state delta an allowed command produces. Each variant is one row-level
//! statement against the tables of `0003_access_model.sql` (see the table in the crate
//! documentation), and [`crate::Snapshot::commit`] applies the same delta to the
//! in-memory snapshot after the database transaction has committed.
//!
//! Changes carry only stored facts: member flags, placement flags and grants exactly as
//! commanded or as the folder defaults said. No variant can express a Share Admin right
//! (R33).

use crate::model::{Id, MemberFlags, Privilege, RecordFlags, UserStatus};
use crate::rows::{
    ConnectionRow, EnterpriseRow, FolderMemberRow, FolderRow, GrantRow, NodeRow, PlacementRow,
    ProfileRow, RoleRow, UserRow,
};
use serde::{Deserialize, Serialize};

/// One row-level change. Apply a command's changes in order, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Insert or update (`name`) an enterprise.
    PutEnterprise(EnterpriseRow),
    /// Insert or update (`name`, `parent_id`) a node.
    PutNode(NodeRow),
    /// Insert or update a user (the gateway's user management; the engine emits it from
    /// [`crate::bootstrap`] only).
    PutUser(UserRow),
    /// `UPDATE users SET node_id`.
    SetUserNode { user: Id, node: Id },
    /// `UPDATE users SET status`.
    SetUserStatus { user: Id, status: UserStatus },
    /// Insert or update (`name`, `home_node_id`, `new_user`) a role.
    PutRole(RoleRow),
    /// Delete a role with its members, entries and privileges.
    DeleteRole { role: Id },
    /// Insert a `role_members` row.
    AddRoleMember { role: Id, user: Id },
    /// Delete a `role_members` row.
    RemoveRoleMember { role: Id, user: Id },
    /// Insert or update (`cascades`) a `role_managed_nodes` row.
    PutRoleNode { role: Id, node: Id, cascade: bool },
    /// Delete a `role_managed_nodes` row and its privileges.
    RemoveRoleNode { role: Id, node: Id },
    /// Insert a `role_privileges` row.
    AddRolePrivilege {
        role: Id,
        node: Id,
        privilege: Privilege,
    },
    /// Delete a `role_privileges` row.
    RemoveRolePrivilege {
        role: Id,
        node: Id,
        privilege: Privilege,
    },
    /// Insert or update (`name`, `owner_id`, defaults) a folder.
    PutFolder(FolderRow),
    /// Delete a folder (its members and placements are removed by earlier changes).
    DeleteFolder { folder: Id },
    /// Insert or update a member's flags.
    PutMember(FolderMemberRow),
    /// Delete a member.
    RemoveMember { folder: Id, user: Id },
    /// Insert or update a placement's flags.
    PutPlacement(PlacementRow),
    /// Delete a placement.
    RemovePlacement { folder: Id, connection: Id },
    /// Insert a connection (its content is the gateway's).
    PutConnection(ConnectionRow),
    /// `UPDATE connections SET name`.
    SetConnectionName { connection: Id, name: String },
    /// `UPDATE connections SET owner_id`.
    SetConnectionOwner { connection: Id, owner: Id },
    /// `UPDATE connections SET is_private`.
    SetConnectionPrivate { connection: Id, private: bool },
    /// `UPDATE connections SET state = 'trashed', is_private = 0, trashed_at = now`.
    TrashConnection { connection: Id },
    /// `UPDATE connections SET state = 'live', is_private = 1, trashed_at = NULL`.
    RestoreConnection { connection: Id },
    /// Delete a connection with its grants and profiles.
    PurgeConnection { connection: Id },
    /// Insert or update a direct grant.
    PutGrant(GrantRow),
    /// Delete a direct grant.
    RemoveGrant { connection: Id, user: Id },
    /// Insert or update a sharing profile (`name`, `read_only`; parameters are the
    /// gateway's).
    PutProfile(ProfileRow),
    /// Delete a sharing profile (and, in the gateway, revoke its links: R42).
    DeleteProfile { connection: Id, profile: Id },
}

impl Change {
    /// A member row.
    pub(crate) fn member(folder: &str, user: &str, flags: MemberFlags) -> Change {
        Change::PutMember(FolderMemberRow {
            folder_id: folder.to_owned(),
            user_id: user.to_owned(),
            flags,
        })
    }
    /// A placement row.
    pub(crate) fn placement(folder: &str, conn: &str, flags: RecordFlags) -> Change {
        Change::PutPlacement(PlacementRow {
            folder_id: folder.to_owned(),
            connection_id: conn.to_owned(),
            flags,
        })
    }
    /// A grant row.
    pub(crate) fn grant(conn: &str, user: &str, flags: RecordFlags) -> Change {
        Change::PutGrant(GrantRow {
            connection_id: conn.to_owned(),
            user_id: user.to_owned(),
            flags,
        })
    }
}
