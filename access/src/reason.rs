//! Outcomes of decisions: [`ReasonCode`] (share-admin.md §5), [`Authority`] and its
//! Share Admin [`Basis`] (R49), and [`Decision`].

use crate::model::{Id, Privilege};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// The reason codes of §5. [`ReasonCode::step`] is its precedence step (R50),
/// [`ReasonCode::exit_code`] the CLI exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    // 1
    #[error("not_found")]
    NotFound,
    // 2
    #[error("in_trash")]
    InTrash,
    // 3 usage
    #[error("invalid_privilege")]
    InvalidPrivilege,
    #[error("expects_single_role")]
    ExpectsSingleRole,
    #[error("node_required")]
    NodeRequired,
    #[error("role_does_not_manage_node")]
    RoleDoesNotManageNode,
    #[error("expects_single_target")]
    ExpectsSingleTarget,
    #[error("record_target_required")]
    RecordTargetRequired,
    #[error("record_not_in_folder")]
    RecordNotInFolder,
    #[error("name_conflict")]
    NameConflict,
    #[error("invalid_parent")]
    InvalidParent,
    #[error("profile_required")]
    ProfileRequired,
    // 4 target
    #[error("target_invalid")]
    TargetInvalid,
    #[error("target_inactive")]
    TargetInactive,
    #[error("target_is_owner")]
    TargetIsOwner,
    #[error("already_owner")]
    AlreadyOwner,
    #[error("owner_immutable")]
    OwnerImmutable,
    #[error("cannot_remove_owner")]
    CannotRemoveOwner,
    #[error("no_successor")]
    NoSuccessor,
    #[error("self_escalation")]
    SelfEscalation,
    #[error("self_transfer")]
    SelfTransfer,
    #[error("link_participant")]
    LinkParticipant,
    #[error("session_ended")]
    SessionEnded,
    #[error("link_revoked")]
    LinkRevoked,
    #[error("not_session_originator")]
    NotSessionOriginator,
    #[error("no_sharing_profile")]
    NoSharingProfile,
    // 5 authority
    #[error("folder_owner_not_managed")]
    FolderOwnerNotManaged,
    #[error("owner_not_managed")]
    OwnerNotManaged,
    #[error("owner_outside_enterprise")]
    OwnerOutsideEnterprise,
    #[error("missing_privilege")]
    MissingPrivilege,
    #[error("role_has_invited_users")]
    RoleHasInvitedUsers,
    #[error("missing_manage_users")]
    MissingManageUsers,
    #[error("missing_manage_records")]
    MissingManageRecords,
    #[error("not_folder_owner")]
    NotFolderOwner,
    #[error("not_record_owner")]
    NotRecordOwner,
    #[error("missing_can_edit")]
    MissingCanEdit,
    #[error("missing_can_share")]
    MissingCanShare,
    #[error("escalation")]
    Escalation,
    // 6
    #[error("target_outside_enterprise")]
    TargetOutsideEnterprise,
}

impl ReasonCode {
    /// The wire spelling (`"not_found"`, …).
    pub fn as_str(self) -> &'static str {
        use ReasonCode::*;
        match self {
            NotFound => "not_found",
            InTrash => "in_trash",
            InvalidPrivilege => "invalid_privilege",
            ExpectsSingleRole => "expects_single_role",
            NodeRequired => "node_required",
            RoleDoesNotManageNode => "role_does_not_manage_node",
            ExpectsSingleTarget => "expects_single_target",
            RecordTargetRequired => "record_target_required",
            RecordNotInFolder => "record_not_in_folder",
            NameConflict => "name_conflict",
            InvalidParent => "invalid_parent",
            ProfileRequired => "profile_required",
            TargetInvalid => "target_invalid",
            TargetInactive => "target_inactive",
            TargetIsOwner => "target_is_owner",
            AlreadyOwner => "already_owner",
            OwnerImmutable => "owner_immutable",
            CannotRemoveOwner => "cannot_remove_owner",
            NoSuccessor => "no_successor",
            SelfEscalation => "self_escalation",
            SelfTransfer => "self_transfer",
            LinkParticipant => "link_participant",
            SessionEnded => "session_ended",
            LinkRevoked => "link_revoked",
            NotSessionOriginator => "not_session_originator",
            NoSharingProfile => "no_sharing_profile",
            FolderOwnerNotManaged => "folder_owner_not_managed",
            OwnerNotManaged => "owner_not_managed",
            OwnerOutsideEnterprise => "owner_outside_enterprise",
            MissingPrivilege => "missing_privilege",
            RoleHasInvitedUsers => "role_has_invited_users",
            MissingManageUsers => "missing_manage_users",
            MissingManageRecords => "missing_manage_records",
            NotFolderOwner => "not_folder_owner",
            NotRecordOwner => "not_record_owner",
            MissingCanEdit => "missing_can_edit",
            MissingCanShare => "missing_can_share",
            Escalation => "escalation",
            TargetOutsideEnterprise => "target_outside_enterprise",
        }
    }

    /// The precedence step of §5 (1 = `not_found` … 6 = `target_outside_enterprise`).
    pub fn step(self) -> u8 {
        use ReasonCode::*;
        match self {
            NotFound => 1,
            InTrash => 2,
            InvalidPrivilege
            | ExpectsSingleRole
            | NodeRequired
            | RoleDoesNotManageNode
            | ExpectsSingleTarget
            | RecordTargetRequired
            | RecordNotInFolder
            | NameConflict
            | InvalidParent
            | ProfileRequired => 3,
            TargetInvalid | TargetInactive | TargetIsOwner | AlreadyOwner | OwnerImmutable
            | CannotRemoveOwner | NoSuccessor | SelfEscalation | SelfTransfer | LinkParticipant
            | SessionEnded | LinkRevoked | NotSessionOriginator | NoSharingProfile => 4,
            FolderOwnerNotManaged
            | OwnerNotManaged
            | OwnerOutsideEnterprise
            | MissingPrivilege
            | RoleHasInvitedUsers
            | MissingManageUsers
            | MissingManageRecords
            | NotFolderOwner
            | NotRecordOwner
            | MissingCanEdit
            | MissingCanShare
            | Escalation => 5,
            TargetOutsideEnterprise => 6,
        }
    }

    /// CLI exit code (§5): 2 usage, 4 `not_found`, 3 every other denial.
    pub fn exit_code(self) -> i32 {
        match self.step() {
            1 => 4,
            3 => 2,
            _ => 3,
        }
    }

    /// Is this one of the three Share Admin scope reasons of step 5?
    pub fn is_scope_reason(self) -> bool {
        matches!(
            self,
            ReasonCode::FolderOwnerNotManaged
                | ReasonCode::OwnerNotManaged
                | ReasonCode::OwnerOutsideEnterprise
        )
    }

    /// A short English explanation, for `message` fields.
    pub fn message(self) -> &'static str {
        use ReasonCode::*;
        match self {
            NotFound => "no such object, or you have no access to it",
            InTrash => "the connection is in your trash; restore it first",
            InvalidPrivilege => "unknown privilege name",
            ExpectsSingleRole => "exactly one role must be named",
            NodeRequired => "--node is required",
            RoleDoesNotManageNode => "the role does not manage that node",
            ExpectsSingleTarget => "exactly one target is expected",
            RecordTargetRequired => "-d/-s need a record target (-r)",
            RecordNotInFolder => "the connection is not in that folder",
            NameConflict => "that name is already taken",
            InvalidParent => "invalid parent node",
            ProfileRequired => "the connection has several sharing profiles; name one",
            TargetInvalid => "unknown user",
            TargetInactive => "the user is not active",
            TargetIsOwner => "the user owns the connection",
            AlreadyOwner => "the user already owns the connection",
            OwnerImmutable => "the folder owner's flags cannot be changed",
            CannotRemoveOwner => "the folder owner cannot be removed",
            NoSuccessor => "name a member with both manage flags as the new owner",
            SelfEscalation => "you cannot change your own rights",
            SelfTransfer => "you cannot transfer a connection you do not own to yourself",
            LinkParticipant => "link participants cannot do this",
            SessionEnded => "the session has ended",
            LinkRevoked => "the link has been revoked",
            NotSessionOriginator => "only the session's originator can do this",
            NoSharingProfile => "the connection has no sharing profile",
            FolderOwnerNotManaged => "the folder's owner is not managed by you",
            OwnerNotManaged => "the connection's owner is not managed by you",
            OwnerOutsideEnterprise => "the connection's owner is outside your enterprise",
            MissingPrivilege => "a role privilege covering the node is required",
            RoleHasInvitedUsers => "the role has invited members",
            MissingManageUsers => "the manage-users permission is required",
            MissingManageRecords => "the manage-records permission is required",
            NotFolderOwner => "only the folder owner can do this",
            NotRecordOwner => "only the connection owner can do this",
            MissingCanEdit => "the can-edit permission is required",
            MissingCanShare => "the can-share permission is required",
            Escalation => "you cannot give more rights than you have",
            TargetOutsideEnterprise => "the new owner must belong to your enterprise",
        }
    }
}

/// Which Share Admin entry (or the foreign-owner rule) made an SA decision (R49).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Basis {
    /// A covering SA entry: the lowest role name, then the lowest node name.
    Entry {
        role_id: Id,
        role: String,
        node_id: Id,
        node: String,
    },
    /// Folder tier over a folder whose owner is a consumer or of another enterprise (R32).
    ForeignOwner,
}

impl Serialize for Basis {
    /// `{"role": "…", "node": "…", "role_id": "…", "node_id": "…"}` or `"foreign_owner"`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Basis::ForeignOwner => s.serialize_str("foreign_owner"),
            Basis::Entry {
                role_id,
                role,
                node_id,
                node,
            } => {
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry("role", role)?;
                m.serialize_entry("node", node)?;
                m.serialize_entry("role_id", role_id)?;
                m.serialize_entry("node_id", node_id)?;
                m.end()
            }
        }
    }
}

/// Which tier of Share Admin power was used (R29).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Folder,
    Record,
}

/// The authority that allowed an action (R49).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "authority", rename_all = "snake_case")]
pub enum Authority {
    /// The connection's owner (or the owner of the trash, or a creator).
    Owner,
    /// The folder's owner.
    FolderOwner,
    /// A stored member flag (or, for leaving a folder and for access through a folder,
    /// membership itself).
    MemberFlag,
    /// A stored placement flag.
    PlacementFlag,
    /// A direct grant.
    Grant,
    /// Share Admin elevation, with the tier and the basis.
    ShareAdmin { tier: Tier, basis: Basis },
    /// An enterprise role privilege.
    EnterprisePrivilege { privilege: Privilege },
    /// The originator of a session.
    Originator,
}

impl Authority {
    /// The audit spelling (`owner`, `share_admin`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            Authority::Owner => "owner",
            Authority::FolderOwner => "folder_owner",
            Authority::MemberFlag => "member_flag",
            Authority::PlacementFlag => "placement_flag",
            Authority::Grant => "grant",
            Authority::ShareAdmin { .. } => "share_admin",
            Authority::EnterprisePrivilege { .. } => "enterprise_privilege",
            Authority::Originator => "originator",
        }
    }

    /// The Share Admin basis, if this is SA authority.
    pub fn basis(&self) -> Option<&Basis> {
        match self {
            Authority::ShareAdmin { basis, .. } => Some(basis),
            _ => None,
        }
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A yes/no decision: allowed with the authority that allowed it, or denied with the
/// reason chosen by the precedence of R50.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow { authority: Authority },
    Deny(ReasonCode),
}

impl Serialize for Decision {
    /// `{"ok": true, "authority": {...}}` or `{"ok": false, "reason": "…", "message": "…"}`
    /// (the §5 JSON shape).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self {
            Decision::Allow { authority } => {
                m.serialize_entry("ok", &true)?;
                m.serialize_entry("authority", authority)?;
            }
            Decision::Deny(reason) => {
                m.serialize_entry("ok", &false)?;
                m.serialize_entry("reason", reason)?;
                m.serialize_entry("message", reason.message())?;
            }
        }
        m.end()
    }
}

impl Decision {
    /// Allowed?
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }
    /// The denial reason, if denied.
    pub fn reason(&self) -> Option<ReasonCode> {
        match self {
            Decision::Deny(reason) => Some(*reason),
            Decision::Allow { .. } => None,
        }
    }
    /// The authority, if allowed.
    pub fn authority(&self) -> Option<&Authority> {
        match self {
            Decision::Allow { authority } => Some(authority),
            Decision::Deny(_) => None,
        }
    }
    /// As a `Result`.
    pub fn into_result(self) -> Result<Authority, ReasonCode> {
        match self {
            Decision::Allow { authority } => Ok(authority),
            Decision::Deny(reason) => Err(reason),
        }
    }
}

impl From<Result<Authority, ReasonCode>> for Decision {
    fn from(r: Result<Authority, ReasonCode>) -> Decision {
        match r {
            Ok(authority) => Decision::Allow { authority },
            Err(reason) => Decision::Deny(reason),
        }
    }
}
