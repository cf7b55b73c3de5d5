//! Row types: one struct per table of `gateway/migrations/0001…0003`, field for column,
//! so the gateway can load a [`crate::Snapshot`] with one `SELECT` per table and persist
//! each [`crate::Change`] with one statement.
//!
//! Flags are `bool` here and `BIGINT 0/1` in the database; statuses and privileges are
//! typed here and lower-case TEXT there (parse with `str::parse`).

use crate::model::{
    ConnState, FolderDefaults, Id, MemberFlags, Privilege, RecordFlags, UserStatus,
};
use serde::{Deserialize, Serialize};

/// `enterprises (id, name)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterpriseRow {
    pub id: Id,
    pub name: String,
}

/// `nodes (id, enterprise_id, parent_id, name)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRow {
    pub id: Id,
    pub enterprise_id: Id,
    pub parent_id: Option<Id>,
    pub name: String,
}

/// `users (id, email, display_name, status, enterprise_id, node_id)`.
///
/// `status` is the column added by 0003; the old `disabled = 1` is migrated to `locked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: Id,
    pub email: String,
    pub display_name: String,
    pub status: UserStatus,
    pub enterprise_id: Option<Id>,
    pub node_id: Option<Id>,
}

/// `roles (id, enterprise_id, name, home_node_id, new_user, default_admin)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRow {
    pub id: Id,
    pub enterprise_id: Id,
    pub name: String,
    pub home_node_id: Id,
    pub new_user: bool,
    pub default_admin: bool,
}

/// `role_members (role_id, user_id)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMemberRow {
    pub role_id: Id,
    pub user_id: Id,
}

/// `role_managed_nodes (role_id, node_id, cascades)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleNodeRow {
    pub role_id: Id,
    pub node_id: Id,
    pub cascade: bool,
}

/// `role_privileges (role_id, node_id, privilege)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolePrivilegeRow {
    pub role_id: Id,
    pub node_id: Id,
    pub privilege: Privilege,
}

/// `folders (id, name, owner_id, default_manage_users, default_manage_records,
/// default_can_edit, default_can_share)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderRow {
    pub id: Id,
    pub name: String,
    pub owner_id: Id,
    pub defaults: FolderDefaults,
}

/// `folder_members (folder_id, user_id, manage_users, manage_records)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderMemberRow {
    pub folder_id: Id,
    pub user_id: Id,
    pub flags: MemberFlags,
}

/// `folder_records (folder_id, connection_id, can_edit, can_share)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementRow {
    pub folder_id: Id,
    pub connection_id: Id,
    pub flags: RecordFlags,
}

/// `connections (id, name, owner_id, state, is_private)` — the access-relevant columns
/// (`state` is `live` or `trashed`; `owner_id` is never NULL after migration 0003).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRow {
    pub id: Id,
    pub name: String,
    pub owner_id: Id,
    pub state: ConnState,
    pub private: bool,
}

/// `connection_grants (connection_id, user_id, can_edit, can_share)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRow {
    pub connection_id: Id,
    pub user_id: Id,
    pub flags: RecordFlags,
}

/// `sharing_profiles (id, connection_id, name, read_only)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRow {
    pub id: Id,
    pub connection_id: Id,
    pub name: String,
    pub read_only: bool,
}

/// Everything a [`crate::Snapshot`] is built from: the full contents of each table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRows {
    pub enterprises: Vec<EnterpriseRow>,
    pub nodes: Vec<NodeRow>,
    pub users: Vec<UserRow>,
    pub roles: Vec<RoleRow>,
    pub role_members: Vec<RoleMemberRow>,
    pub role_nodes: Vec<RoleNodeRow>,
    pub role_privileges: Vec<RolePrivilegeRow>,
    pub folders: Vec<FolderRow>,
    pub folder_members: Vec<FolderMemberRow>,
    pub placements: Vec<PlacementRow>,
    pub connections: Vec<ConnectionRow>,
    pub grants: Vec<GrantRow>,
    pub profiles: Vec<ProfileRow>,
}
