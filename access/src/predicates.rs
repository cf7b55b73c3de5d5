//! The derived predicates of share-admin.md §2, computed from the snapshot on every call
//! and never stored (R33): `covers`, `holds`, `is_sa`, `manages`, `foreign`, `member`,
//! `access`, `sa_folder`, `sa_record`, `mu`, `mr`, `fo`, `edit`, `share`.
//!
//! Internally each right is also computed *with its source* ([`Via`]) so that a decision
//! can report the authority that allowed it (R49), and in a hypothetical mode
//! ([`Mode::AssumeManaged`]) in which every owner counts as managed: a decision that
//! fails for an SA but would pass in that mode reports the Share Admin scope reason of
//! §5 step 5 instead of the ordinary one.

use crate::model::{Folder, Id, ManagedNode, Privilege, Role};
use crate::reason::{Authority, Basis, Tier};
use crate::snapshot::Snapshot;

/// Evaluation mode of the SA predicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The real rules.
    Real,
    /// As if every relevant owner were managed by the actor (for scope reasons).
    AssumeManaged,
}

/// Where a right comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via<'a> {
    Owner,
    FolderOwner,
    MemberFlag,
    PlacementFlag,
    Grant,
    /// Folder tier over a folder owned by this user.
    SaFolder(&'a str),
    /// Record tier over a connection owned by this user.
    SaRecord(&'a str),
    Privilege(Privilege),
}

impl Via<'_> {
    pub(crate) fn is_sa(self) -> bool {
        matches!(self, Via::SaFolder(_) | Via::SaRecord(_))
    }
}

impl Snapshot {
    /// `covers(e, n)`: the entry on `entry_node` covers node `n` (its subtree when
    /// cascading, the node alone otherwise), evaluated against the tree as it is now (R4).
    pub fn covers(&self, entry_node: &str, entry: &ManagedNode, n: &str) -> bool {
        if entry.cascade {
            self.in_subtree(entry_node, n)
        } else {
            entry_node == n && self.nodes.contains_key(n)
        }
    }

    /// The entries of `user`'s roles that carry `p`, as (role, node id, entry). Empty for
    /// users who are not active.
    pub fn entries_with<'s>(
        &'s self,
        user: &str,
        p: Privilege,
    ) -> impl Iterator<Item = (&'s Role, &'s Id, &'s ManagedNode)> + 's {
        let active = self.users.get(user).is_some_and(|u| u.is_active());
        let roles = if active {
            Some(self.roles_of(user))
        } else {
            None
        };
        roles
            .into_iter()
            .flatten()
            .filter_map(move |r| self.roles.get(r))
            .flat_map(move |r| {
                r.entries
                    .iter()
                    .filter(move |(_, e)| e.privileges.contains(&p))
                    .map(move |(n, e)| (r, n, e))
            })
    }

    /// `holds(a, P, n)`: an active user `a` is a direct member of a role with an entry
    /// carrying `P` that covers `n`.
    pub fn holds(&self, a: &str, p: Privilege, n: &str) -> bool {
        self.entries_with(a, p)
            .any(|(_, en, e)| self.covers(en, e, n))
    }

    /// Holds `p` on at least one entry (whatever it covers).
    pub fn holds_anywhere(&self, a: &str, p: Privilege) -> bool {
        self.entries_with(a, p).next().is_some()
    }

    /// `is_sa(u)`: active and a member of a role with a `sharing_administrator` entry.
    pub fn is_sa(&self, u: &str) -> bool {
        self.holds_anywhere(u, Privilege::SharingAdministrator)
    }

    /// `ent(u)`: the user's enterprise (`None` for consumers and unknown users).
    pub fn ent(&self, u: &str) -> Option<&str> {
        self.users.get(u).and_then(|u| u.enterprise.as_deref())
    }

    /// `foreign(x, E)`: `x` is a consumer or belongs to an enterprise other than `E`.
    pub fn foreign(&self, x: &str, e: Option<&str>) -> bool {
        match self.ent(x) {
            None => true,
            Some(xe) => Some(xe) != e,
        }
    }

    /// `manages(s, x)`: `s` is an SA with an entry covering the node of `x`, an enterprise
    /// user of `s`'s enterprise (R7).
    pub fn manages(&self, s: &str, x: &str) -> bool {
        self.manages_m(s, x, Mode::Real)
    }

    pub(crate) fn manages_m(&self, s: &str, x: &str, mode: Mode) -> bool {
        if mode == Mode::AssumeManaged {
            return self.is_sa(s);
        }
        let Some(xu) = self.users.get(x) else {
            return false;
        };
        let (Some(xe), Some(xn)) = (&xu.enterprise, &xu.node) else {
            return false;
        };
        if self.ent(s) != Some(xe.as_str()) {
            return false;
        }
        self.holds(s, Privilege::SharingAdministrator, xn)
    }

    /// The R49 basis of `s` managing `x`: the covering SA entry with the lowest role name,
    /// then the lowest node name.
    pub fn sa_basis(&self, s: &str, x: &str) -> Option<Basis> {
        let xn = self.users.get(x)?.node.as_deref()?;
        self.entries_with(s, Privilege::SharingAdministrator)
            .filter(|(_, en, e)| self.covers(en, e, xn))
            .filter_map(|(r, en, _)| {
                let node = self.nodes.get(en.as_str())?;
                Some((
                    r.name.clone(),
                    node.name.clone(),
                    r.id.clone(),
                    node.id.clone(),
                ))
            })
            .min()
            .map(|(role, node, role_id, node_id)| Basis::Entry {
                role_id,
                role,
                node_id,
                node,
            })
    }

    /// `member(u, F)`.
    pub fn member(&self, u: &str, f: &str) -> bool {
        self.folders
            .get(f)
            .is_some_and(|f| f.members.contains_key(u))
    }

    /// `access(u, C)`: live, and owner, member of a folder holding it, or grantee.
    pub fn access(&self, u: &str, c: &str) -> bool {
        self.access_via(u, c).is_some()
    }

    /// `access` with its source (owner, grant, or membership of a holding folder).
    pub(crate) fn access_via(&self, u: &str, c: &str) -> Option<Via<'static>> {
        let conn = self.connections.get(c)?;
        if !conn.is_live() {
            return None;
        }
        if conn.owner == u {
            return Some(Via::Owner);
        }
        if conn.grants.contains_key(u) {
            return Some(Via::Grant);
        }
        self.holding_folders_of(u, c)
            .next()
            .map(|_| Via::MemberFlag)
    }

    /// Folders holding `c` of which `u` is a member.
    pub(crate) fn holding_folders_of<'s>(
        &'s self,
        u: &'s str,
        c: &'s str,
    ) -> impl Iterator<Item = &'s Folder> + 's {
        let holding = self.folders_holding(c);
        let mine = self.folders_of(u);
        let (small, other) = if holding.len() <= mine.len() {
            (holding, mine)
        } else {
            (mine, holding)
        };
        small
            .iter()
            .filter(move |f| other.contains(*f))
            .filter_map(move |f| self.folders.get(f))
    }

    /// `sa_folder(u, F)`: folder tier (R29, R32).
    pub fn sa_folder(&self, u: &str, f: &str) -> bool {
        self.sa_folder_m(u, f, Mode::Real)
    }

    pub(crate) fn sa_folder_m(&self, u: &str, f: &str, mode: Mode) -> bool {
        let Some(folder) = self.folders.get(f) else {
            return false;
        };
        folder.members.contains_key(u)
            && folder.owner != u
            && self.is_sa(u)
            && (self.manages_m(u, &folder.owner, mode) || self.foreign(&folder.owner, self.ent(u)))
    }

    /// `sa_record(u, C)`: record tier (R29, R31).
    pub fn sa_record(&self, u: &str, c: &str) -> bool {
        self.sa_record_m(u, c, Mode::Real)
    }

    pub(crate) fn sa_record_m(&self, u: &str, c: &str, mode: Mode) -> bool {
        let Some(conn) = self.connections.get(c) else {
            return false;
        };
        conn.owner != u && self.access(u, c) && self.manages_m(u, &conn.owner, mode)
    }

    /// `mu(u, F)`.
    pub fn mu(&self, u: &str, f: &str) -> bool {
        self.mu_via(u, f, Mode::Real).is_some()
    }
    /// `mr(u, F)`.
    pub fn mr(&self, u: &str, f: &str) -> bool {
        self.mr_via(u, f, Mode::Real).is_some()
    }
    /// `fo(u, F)`.
    pub fn fo(&self, u: &str, f: &str) -> bool {
        self.fo_via(u, f, Mode::Real).is_some()
    }

    fn folder_right_via<'s>(
        &'s self,
        u: &str,
        f: &str,
        mode: Mode,
        flag: impl Fn(&crate::model::MemberFlags) -> bool,
    ) -> Option<Via<'s>> {
        let folder = self.folders.get(f)?;
        if folder.owner == u {
            return Some(Via::FolderOwner);
        }
        if folder.members.get(u).is_some_and(flag) {
            return Some(Via::MemberFlag);
        }
        if self.sa_folder_m(u, f, mode) {
            return Some(Via::SaFolder(folder.owner.as_str()));
        }
        None
    }

    pub(crate) fn mu_via<'s>(&'s self, u: &str, f: &str, mode: Mode) -> Option<Via<'s>> {
        self.folder_right_via(u, f, mode, |m| m.manage_users)
    }
    pub(crate) fn mr_via<'s>(&'s self, u: &str, f: &str, mode: Mode) -> Option<Via<'s>> {
        self.folder_right_via(u, f, mode, |m| m.manage_records)
    }
    pub(crate) fn fo_via<'s>(&'s self, u: &str, f: &str, mode: Mode) -> Option<Via<'s>> {
        self.folder_right_via(u, f, mode, |_| false)
    }

    /// `edit(u, C)`.
    pub fn edit(&self, u: &str, c: &str) -> bool {
        self.edit_via(u, c, Mode::Real).is_some()
    }
    /// `share(u, C)`.
    pub fn share(&self, u: &str, c: &str) -> bool {
        self.share_via(u, c, Mode::Real).is_some()
    }

    fn record_right_via<'s>(
        &'s self,
        u: &str,
        c: &str,
        mode: Mode,
        flag: impl Fn(&crate::model::RecordFlags) -> bool,
    ) -> Option<Via<'s>> {
        let conn = self.connections.get(c)?;
        if !conn.is_live() {
            return None;
        }
        if conn.owner == u {
            return Some(Via::Owner);
        }
        if conn.grants.get(u).is_some_and(&flag) {
            return Some(Via::Grant);
        }
        if self
            .holding_folders_of(u, c)
            .any(|f| f.records.get(c).is_some_and(&flag))
        {
            return Some(Via::PlacementFlag);
        }
        if self.sa_record_m(u, c, mode) {
            return Some(Via::SaRecord(conn.owner.as_str()));
        }
        None
    }

    pub(crate) fn edit_via<'s>(&'s self, u: &str, c: &str, mode: Mode) -> Option<Via<'s>> {
        self.record_right_via(u, c, mode, |r| r.can_edit)
    }
    pub(crate) fn share_via<'s>(&'s self, u: &str, c: &str, mode: Mode) -> Option<Via<'s>> {
        self.record_right_via(u, c, mode, |r| r.can_share)
    }

    /// Record tier or ownership, with its source (the owner-level actions of R19–R24).
    pub(crate) fn owner_or_sa_record<'s>(
        &'s self,
        u: &str,
        c: &str,
        mode: Mode,
    ) -> Option<Via<'s>> {
        let conn = self.connections.get(c)?;
        if conn.owner == u {
            return Some(Via::Owner);
        }
        if self.sa_record_m(u, c, mode) {
            return Some(Via::SaRecord(conn.owner.as_str()));
        }
        None
    }

    /// The effective (edit, share) flags of `u` on `c`.
    pub fn effective(&self, u: &str, c: &str) -> crate::model::RecordFlags {
        crate::model::RecordFlags {
            can_edit: self.edit(u, c),
            can_share: self.share(u, c),
        }
    }

    /// Turns a source into the public [`Authority`] of `actor` (computing the SA basis).
    pub(crate) fn authority(&self, actor: &str, via: Via<'_>) -> Authority {
        match via {
            Via::Owner => Authority::Owner,
            Via::FolderOwner => Authority::FolderOwner,
            Via::MemberFlag => Authority::MemberFlag,
            Via::PlacementFlag => Authority::PlacementFlag,
            Via::Grant => Authority::Grant,
            Via::Privilege(privilege) => Authority::EnterprisePrivilege { privilege },
            Via::SaFolder(owner) => {
                let basis = if self.foreign(owner, self.ent(actor)) {
                    Basis::ForeignOwner
                } else {
                    self.sa_basis(actor, owner).unwrap_or(Basis::ForeignOwner)
                };
                Authority::ShareAdmin {
                    tier: Tier::Folder,
                    basis,
                }
            }
            Via::SaRecord(owner) => Authority::ShareAdmin {
                tier: Tier::Record,
                basis: self.sa_basis(actor, owner).unwrap_or(Basis::ForeignOwner),
            },
        }
    }

    /// The scope reason for a right that would hold had the owner been managed (§5 step 5).
    pub(crate) fn scope_reason(&self, actor: &str, via: Via<'_>) -> Option<crate::ReasonCode> {
        use crate::ReasonCode;
        match via {
            Via::SaFolder(_) => Some(ReasonCode::FolderOwnerNotManaged),
            Via::SaRecord(owner) => {
                let same = self.ent(owner).is_some() && self.ent(owner) == self.ent(actor);
                Some(if same {
                    ReasonCode::OwnerNotManaged
                } else {
                    ReasonCode::OwnerOutsideEnterprise
                })
            }
            _ => None,
        }
    }

    /// Evaluates a right; when it fails for an SA and would hold with every owner managed,
    /// returns the scope reason instead of `otherwise` (§5 step 5).
    pub(crate) fn require<'s>(
        &'s self,
        actor: &str,
        otherwise: crate::ReasonCode,
        right: impl Fn(Mode) -> Option<Via<'s>>,
    ) -> Result<Via<'s>, crate::ReasonCode> {
        if let Some(v) = right(Mode::Real) {
            return Ok(v);
        }
        if self.is_sa(actor) {
            if let Some(v) = right(Mode::AssumeManaged) {
                if let Some(r) = self.scope_reason(actor, v) {
                    return Err(r);
                }
            }
        }
        Err(otherwise)
    }
}
