//! Entities of share-admin.md §1: enterprises, nodes, users, roles with managed-node
//! entries and privileges, folders with members, defaults and placements, connections with
//! owner, state, grants and sharing profiles.
//!
//! These are plain data. Everything that is *derived* (Share Admin rights, effective
//! rights, coverage) lives in the predicates of [`crate::Snapshot`] and is computed on every decision; no
//! type here has a field for it (R33).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// Identifiers are the store's TEXT ids (UUIDs in practice).
pub type Id = String;

/// An enterprise (§1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enterprise {
    pub id: Id,
    pub name: String,
    /// The one root node, computed when the snapshot is built.
    pub root: Id,
}

/// A node of an enterprise's tree (§1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub id: Id,
    pub enterprise: Id,
    /// `None` for the root.
    pub parent: Option<Id>,
    pub name: String,
    /// Euler-tour interval of the node in its tree (`subtree(a) ∋ b` iff `a.tin <= b.tin
    /// && b.tout <= a.tout`); recomputed whenever the tree changes.
    #[serde(skip)]
    pub(crate) tin: u32,
    #[serde(skip)]
    pub(crate) tout: u32,
}

/// User status (§1.2). Only `active` users can act, be added, receive grants or
/// ownership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Invited,
    Locked,
}

impl UserStatus {
    /// The stored spelling (`users.status`).
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Invited => "invited",
            UserStatus::Locked => "locked",
        }
    }
}

impl FromStr for UserStatus {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        match s.to_ascii_lowercase().as_str() {
            "active" => Ok(UserStatus::Active),
            "invited" => Ok(UserStatus::Invited),
            "locked" => Ok(UserStatus::Locked),
            _ => Err(UnknownName(s.to_owned())),
        }
    }
}

/// A user (§1.2): an enterprise user (enterprise and node set) or a consumer (neither).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    /// Lower-cased; compared case-insensitively.
    pub email: String,
    pub display_name: String,
    pub status: UserStatus,
    pub enterprise: Option<Id>,
    pub node: Option<Id>,
}

impl User {
    /// `status = active`.
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
    }
}

/// A name that is not one of the accepted spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name `{0}`")]
pub struct UnknownName(pub String);

/// Role privileges (§1.3). Input is case-insensitive; the stored spelling is
/// [`Privilege::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Privilege {
    ManageNodes,
    ManageUser,
    ManageRoles,
    ManageTeams,
    RunReports,
    ManageBridge,
    ApproveDevice,
    ManageRecordTypes,
    RunComplianceReports,
    TransferAccount,
    SharingAdministrator,
    MonitorSessions,
    /// MSP only: accepted by the parser, never granted in v1.
    ManageCompanies,
    /// Hidden: accepted by the parser, never granted in v1.
    ManageLicences,
}

impl Privilege {
    /// Every privilege, in table order.
    pub const ALL: [Privilege; 14] = [
        Privilege::ManageNodes,
        Privilege::ManageUser,
        Privilege::ManageRoles,
        Privilege::ManageTeams,
        Privilege::RunReports,
        Privilege::ManageBridge,
        Privilege::ApproveDevice,
        Privilege::ManageRecordTypes,
        Privilege::RunComplianceReports,
        Privilege::TransferAccount,
        Privilege::SharingAdministrator,
        Privilege::MonitorSessions,
        Privilege::ManageCompanies,
        Privilege::ManageLicences,
    ];

    /// The privileges of the default `Administrator` role (§1.4): all but the MSP/hidden
    /// ones.
    pub fn default_admin_set() -> BTreeSet<Privilege> {
        Privilege::ALL
            .iter()
            .copied()
            .filter(|p| p.grantable())
            .collect()
    }

    /// Whether v1 ever grants it (`manage_companies` and `manage_licences` are parsed but
    /// never granted).
    pub fn grantable(self) -> bool {
        !matches!(self, Privilege::ManageCompanies | Privilege::ManageLicences)
    }

    /// The stored, lower-case spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Privilege::ManageNodes => "manage_nodes",
            Privilege::ManageUser => "manage_user",
            Privilege::ManageRoles => "manage_roles",
            Privilege::ManageTeams => "manage_teams",
            Privilege::RunReports => "run_reports",
            Privilege::ManageBridge => "manage_bridge",
            Privilege::ApproveDevice => "approve_device",
            Privilege::ManageRecordTypes => "manage_record_types",
            Privilege::RunComplianceReports => "run_compliance_reports",
            Privilege::TransferAccount => "transfer_account",
            Privilege::SharingAdministrator => "sharing_administrator",
            Privilege::MonitorSessions => "monitor_sessions",
            Privilege::ManageCompanies => "manage_companies",
            Privilege::ManageLicences => "manage_licences",
        }
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Privilege {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        let lower = s.trim().to_ascii_lowercase();
        Privilege::ALL
            .iter()
            .copied()
            .find(|p| p.as_str() == lower)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

/// A managed-node entry of a role (§1.3): `{node, cascade, privileges}`; the node is the
/// key of [`Role::entries`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedNode {
    pub cascade: bool,
    pub privileges: BTreeSet<Privilege>,
}

/// A role (§1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: Id,
    pub enterprise: Id,
    pub name: String,
    pub home_node: Id,
    /// `--new-user on`: users created in the home node's subtree join it (Keeper's "new
    /// users inherit this role"); the gateway applies it when creating users.
    pub new_user: bool,
    /// The default `Administrator` role created with the enterprise (§1.4, R6).
    pub default_admin: bool,
    /// Direct members (user ids).
    pub members: BTreeSet<Id>,
    /// Managed-node entries by node id.
    pub entries: BTreeMap<Id, ManagedNode>,
}

/// Stored member flags of a folder member (§1.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MemberFlags {
    pub manage_users: bool,
    pub manage_records: bool,
}

impl MemberFlags {
    /// Both flags on (the owner's flags).
    pub const ALL: MemberFlags = MemberFlags {
        manage_users: true,
        manage_records: true,
    };
}

/// Stored flags of a placement (folder, connection) or a direct grant (§1.5, §1.6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecordFlags {
    pub can_edit: bool,
    pub can_share: bool,
}

impl RecordFlags {
    /// Is every flag of `self` also in `other`?
    pub fn subset_of(self, other: RecordFlags) -> bool {
        (!self.can_edit || other.can_edit) && (!self.can_share || other.can_share)
    }
}

/// Folder defaults (§1.5), applied to *new* members and placements only (R18).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FolderDefaults {
    pub manage_users: bool,
    pub manage_records: bool,
    pub can_edit: bool,
    pub can_share: bool,
}

impl FolderDefaults {
    /// The member flags a new member gets.
    pub fn member(self) -> MemberFlags {
        MemberFlags {
            manage_users: self.manage_users,
            manage_records: self.manage_records,
        }
    }
    /// The placement flags a new placement gets.
    pub fn placement(self) -> RecordFlags {
        RecordFlags {
            can_edit: self.can_edit,
            can_share: self.can_share,
        }
    }
}

/// A folder of connections (§1.5). Flat in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    pub id: Id,
    pub name: String,
    pub owner: Id,
    pub defaults: FolderDefaults,
    /// Members (owner included) with their stored flags.
    pub members: BTreeMap<Id, MemberFlags>,
    /// Placements: connection id → flags.
    pub records: BTreeMap<Id, RecordFlags>,
}

/// Connection state (§1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnState {
    Live,
    Trashed,
}

impl ConnState {
    /// The stored spelling (`connections.state`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Live => "live",
            ConnState::Trashed => "trashed",
        }
    }
}

impl FromStr for ConnState {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        match s.to_ascii_lowercase().as_str() {
            "live" => Ok(ConnState::Live),
            "trashed" => Ok(ConnState::Trashed),
            _ => Err(UnknownName(s.to_owned())),
        }
    }
}

/// A sharing profile (§1.6). Its guacd parameters stay in the gateway's store: the engine
/// only needs its identity, name and `read_only`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub id: Id,
    pub name: String,
    pub read_only: bool,
}

/// A connection (§1.6). Content (protocol, host, parameters) stays in the gateway's
/// store; the name is kept for views and reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub id: Id,
    pub name: String,
    pub owner: Id,
    pub state: ConnState,
    /// The owner also keeps it in their private area (a reference).
    pub private: bool,
    /// Direct grants (never to the owner).
    pub grants: BTreeMap<Id, RecordFlags>,
    /// Sharing profiles by id.
    pub profiles: BTreeMap<Id, Profile>,
}

impl Connection {
    /// `state = live`.
    pub fn is_live(&self) -> bool {
        self.state == ConnState::Live
    }
}
