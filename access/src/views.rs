//! What users see (share-admin.md §3 I): folder and connection info (R36), user search
//! when adding people (R37), the user view (R38), compliance reports (R39); plus the lists
//! the client needs: what a user can open ([`openable`]), their folders, their trash
//! (R28), and the role view of `enterprise-role`.
//!
//! Every view is computed from the snapshot at call time, so it reflects a change at once
//! (R33). Emails are the identities shown; lists are sorted.

use crate::apply::Cx;
use crate::model::{FolderDefaults, Id, MemberFlags, Privilege, RecordFlags, UserStatus};
use crate::reason::{Authority, ReasonCode};
use crate::snapshot::Snapshot;
use serde::Serialize;
use std::collections::BTreeSet;

fn email(s: &Snapshot, id: &str) -> String {
    s.user(id).map(|u| u.email.clone()).unwrap_or_default()
}

/// A member of a folder with their *stored* flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberView {
    pub user: Id,
    pub email: String,
    pub manage_users: bool,
    pub manage_records: bool,
}

/// A placement with its stored flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlacementView {
    pub connection: Id,
    pub name: String,
    pub can_edit: bool,
    pub can_share: bool,
}

/// `get FOLDER` (R36).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderView {
    pub id: Id,
    pub name: String,
    pub owner: String,
    pub defaults: FolderDefaults,
    /// Sorted by email.
    pub members: Vec<MemberView>,
    /// Sorted by name, then id.
    pub records: Vec<PlacementView>,
    /// Emails of members holding folder tier, sorted.
    pub share_admins: Vec<String>,
    /// The viewer's own effective folder rights.
    pub you: FolderRights,
}

/// Effective folder rights (`mu`, `mr`, `fo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FolderRights {
    pub manage_users: bool,
    pub manage_records: bool,
    pub folder_owner_level: bool,
}

/// R36: `get FOLDER` — any member.
pub fn folder_view(s: &Snapshot, actor: &str, folder: &str) -> Result<FolderView, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    let f = cx.folder(folder)?;
    let mut members: Vec<MemberView> = f
        .members
        .iter()
        .map(|(u, m)| MemberView {
            user: u.clone(),
            email: email(s, u),
            manage_users: m.manage_users,
            manage_records: m.manage_records,
        })
        .collect();
    members.sort_by(|a, b| a.email.cmp(&b.email));
    let mut records: Vec<PlacementView> = f
        .records
        .iter()
        .map(|(c, r)| PlacementView {
            connection: c.clone(),
            name: s.connection(c).map(|c| c.name.clone()).unwrap_or_default(),
            can_edit: r.can_edit,
            can_share: r.can_share,
        })
        .collect();
    records.sort_by(|a, b| (&a.name, &a.connection).cmp(&(&b.name, &b.connection)));
    Ok(FolderView {
        id: f.id.clone(),
        name: f.name.clone(),
        owner: email(s, &f.owner),
        defaults: f.defaults,
        members,
        records,
        share_admins: folder_share_admins(s, &f.id),
        you: FolderRights {
            manage_users: s.mu(cx.actor, &f.id),
            manage_records: s.mr(cx.actor, &f.id),
            folder_owner_level: s.fo(cx.actor, &f.id),
        },
    })
}

/// Emails of the members `u` with `sa_folder(u, F)`, sorted (R36, R39).
pub fn folder_share_admins(s: &Snapshot, folder: &str) -> Vec<String> {
    let Some(f) = s.folder(folder) else {
        return vec![];
    };
    let mut v: Vec<String> = f
        .members
        .keys()
        .filter(|u| s.sa_folder(u, folder))
        .map(|u| email(s, u))
        .collect();
    v.sort();
    v
}

/// Emails of `{u | sa_record(u, C)}`, sorted (R36).
pub fn connection_share_admins(s: &Snapshot, connection: &str) -> Vec<String> {
    let mut v: Vec<String> = users_with_access(s, connection)
        .into_iter()
        .filter(|u| s.sa_record(u, connection))
        .map(|u| email(s, &u))
        .collect();
    v.sort();
    v
}

/// Everyone with `access(u, C)`: owner, grantees, members of holding folders.
pub fn users_with_access(s: &Snapshot, connection: &str) -> BTreeSet<Id> {
    let mut out = BTreeSet::new();
    let Some(c) = s.connection(connection) else {
        return out;
    };
    if !c.is_live() {
        return out;
    }
    out.insert(c.owner.clone());
    out.extend(c.grants.keys().cloned());
    for f in s.folders_holding(connection) {
        if let Some(f) = s.folder(f) {
            out.extend(f.members.keys().cloned());
        }
    }
    out
}

/// A direct grant as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantView {
    pub user: Id,
    pub email: String,
    pub can_edit: bool,
    pub can_share: bool,
}

/// `get CONNECTION` (R36) and `trash get` (R28).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionView {
    pub id: Id,
    pub name: String,
    pub owner: String,
    pub state: crate::model::ConnState,
    pub private: bool,
    /// Sorted by email.
    pub grants: Vec<GrantView>,
    /// Emails of record-tier SAs, sorted.
    pub share_admins: Vec<String>,
    /// The viewer's effective rights.
    pub you: RecordFlags,
    /// Sharing profiles (id, name, read_only), by name.
    pub profiles: Vec<crate::model::Profile>,
}

fn connection_view_of(s: &Snapshot, actor: &str, c: &crate::model::Connection) -> ConnectionView {
    let mut grants: Vec<GrantView> = c
        .grants
        .iter()
        .map(|(u, g)| GrantView {
            user: u.clone(),
            email: email(s, u),
            can_edit: g.can_edit,
            can_share: g.can_share,
        })
        .collect();
    grants.sort_by(|a, b| a.email.cmp(&b.email));
    let mut profiles: Vec<_> = c.profiles.values().cloned().collect();
    profiles.sort_by(|a, b| a.name.cmp(&b.name));
    ConnectionView {
        id: c.id.clone(),
        name: c.name.clone(),
        owner: email(s, &c.owner),
        state: c.state,
        private: c.private,
        grants,
        share_admins: connection_share_admins(s, &c.id),
        you: s.effective(actor, &c.id),
        profiles,
    }
}

/// R36: `get CONNECTION` — anyone with access (the owner of a trashed one: `in_trash`).
pub fn connection_view(
    s: &Snapshot,
    actor: &str,
    connection: &str,
) -> Result<ConnectionView, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    let c = cx.conn(connection)?;
    Ok(connection_view_of(s, cx.actor, c))
}

/// R28: `trash list` — the actor's trashed connections, by name.
pub fn trash_list(s: &Snapshot, actor: &str) -> Vec<ConnectionView> {
    let mut v: Vec<ConnectionView> = s
        .owned_by(actor)
        .iter()
        .filter_map(|c| s.connection(c))
        .filter(|c| !c.is_live())
        .map(|c| connection_view_of(s, actor, c))
        .collect();
    v.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    v
}

/// R28: `trash get C` — only the owner; anyone else (and live connections): `not_found`.
pub fn trash_get(
    s: &Snapshot,
    actor: &str,
    connection: &str,
) -> Result<ConnectionView, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    let c = cx.trashed(connection)?;
    Ok(connection_view_of(s, cx.actor, c))
}

/// One connection a user can open, with the way they reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Openable {
    pub connection: Id,
    /// `owner`, `grant` or `member_flag` (through a folder).
    pub authority: Authority,
    /// Effective rights (Share Admin included).
    pub rights: RecordFlags,
}

/// What `user` can open (R40): every live connection they have `access` to, sorted by
/// id, with the first way they reach it and their effective rights. One pass per
/// connection (the user's SA status and the owners they manage are computed once).
pub fn openable(s: &Snapshot, user: &str) -> Vec<Openable> {
    let Some(u) = s.user(user) else {
        return vec![];
    };
    if !u.is_active() {
        return vec![];
    }
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    ids.extend(s.owned_by(user).iter().map(String::as_str));
    ids.extend(s.granted_to(user).iter().map(String::as_str));
    for f in s.folders_of(user) {
        if let Some(f) = s.folder(f) {
            ids.extend(f.records.keys().map(String::as_str));
        }
    }
    let sa = s.is_sa(user);
    let mut managed: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
    let all = RecordFlags {
        can_edit: true,
        can_share: true,
    };
    let mut out = Vec::with_capacity(ids.len());
    for c in ids {
        let Some(conn) = s.connection(c) else {
            continue;
        };
        if !conn.is_live() {
            continue;
        }
        let (authority, rights) = if conn.owner == user {
            (Authority::Owner, all)
        } else {
            let mut via = None;
            let mut r = RecordFlags::default();
            if let Some(g) = conn.grants.get(user) {
                via = Some(Authority::Grant);
                r.can_edit |= g.can_edit;
                r.can_share |= g.can_share;
            }
            for f in s.holding_folders_of(user, c) {
                via.get_or_insert(Authority::MemberFlag);
                if let Some(p) = f.records.get(c) {
                    r.can_edit |= p.can_edit;
                    r.can_share |= p.can_share;
                }
            }
            let Some(via) = via else { continue };
            if sa
                && r != all
                && *managed
                    .entry(conn.owner.as_str())
                    .or_insert_with(|| s.manages(user, &conn.owner))
            {
                r = all; // record tier (sa_record)
            }
            (via, r)
        };
        out.push(Openable {
            connection: c.to_owned(),
            authority,
            rights,
        });
    }
    out
}

/// A folder the user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderSummary {
    pub id: Id,
    pub name: String,
    pub owner: String,
    pub connections: usize,
    pub you: FolderRights,
}

/// The folders `user` is a member of, by name.
pub fn my_folders(s: &Snapshot, user: &str) -> Vec<FolderSummary> {
    let mut v: Vec<FolderSummary> = s
        .folders_of(user)
        .iter()
        .filter_map(|f| s.folder(f))
        .map(|f| FolderSummary {
            id: f.id.clone(),
            name: f.name.clone(),
            owner: email(s, &f.owner),
            connections: f.records.len(),
            you: FolderRights {
                manage_users: s.mu(user, &f.id),
                manage_records: s.mr(user, &f.id),
                folder_owner_level: s.fo(user, &f.id),
            },
        })
        .collect();
    v.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    v
}

/// A row of the user search (R37).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchRow {
    pub user: Id,
    pub email: String,
    pub display_name: String,
    /// `is_sa(u)` and of the actor's enterprise.
    pub share_admin: bool,
    /// `share_admin` and folder tier would apply on this folder.
    pub effective_here: bool,
}

/// R37: `user-search [QUERY] --for-folder F`. Needs `mu`. Candidates: active users of the
/// actor's enterprise and active users the actor shares with (a common folder, or a grant
/// either way), minus the folder's members; SAs of the actor's enterprise first, each
/// group by email; `query` filters by case-insensitive substring of email or display name.
pub fn user_search(
    s: &Snapshot,
    actor: &str,
    folder: &str,
    query: Option<&str>,
) -> Result<Vec<SearchRow>, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    let f = cx.folder(folder)?;
    cx.require(ReasonCode::MissingManageUsers, |m| {
        s.mu_via(cx.actor, &f.id, m)
    })?;
    let my_ent = cx.me.enterprise.as_deref();
    let mut cand: BTreeSet<&str> = BTreeSet::new();
    if let Some(e) = my_ent {
        cand.extend(s.users_of_enterprise(e).iter().map(String::as_str));
    }
    // Common folders.
    for fid in s.folders_of(cx.actor) {
        if let Some(other) = s.folder(fid) {
            cand.extend(other.members.keys().map(String::as_str));
        }
    }
    // Grants either way: grantees of the actor's connections, owners of connections granted
    // to the actor.
    for c in s.owned_by(cx.actor) {
        if let Some(c) = s.connection(c) {
            cand.extend(c.grants.keys().map(String::as_str));
        }
    }
    for c in s.granted_to(cx.actor) {
        if let Some(c) = s.connection(c) {
            cand.insert(c.owner.as_str());
        }
    }
    let q = query.map(str::to_lowercase);
    let mut rows: Vec<SearchRow> = cand
        .into_iter()
        .filter(|u| !f.members.contains_key(*u))
        .filter_map(|u| s.user(u))
        .filter(|u| u.is_active())
        .filter(|u| match &q {
            None => true,
            Some(q) => {
                u.email.contains(q.as_str()) || u.display_name.to_lowercase().contains(q.as_str())
            }
        })
        .map(|u| {
            let share_admin =
                my_ent.is_some() && u.enterprise.as_deref() == my_ent && s.is_sa(&u.id);
            let effective_here = share_admin
                && (s.manages(&u.id, &f.owner) || s.foreign(&f.owner, u.enterprise.as_deref()));
            SearchRow {
                user: u.id.clone(),
                email: u.email.clone(),
                display_name: u.display_name.clone(),
                share_admin,
                effective_here,
            }
        })
        .collect();
    rows.sort_by(|a, b| (!a.share_admin, &a.email).cmp(&(!b.share_admin, &b.email)));
    Ok(rows)
}

/// `enterprise-user EMAIL` (R38).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserView {
    pub id: Id,
    pub email: String,
    pub display_name: String,
    pub status: UserStatus,
    pub node: Id,
    pub node_name: String,
    /// Role names, sorted.
    pub roles: Vec<String>,
    /// Emails of `{s | manages(s, user)}`, sorted.
    pub share_admins: Vec<String>,
}

/// R38: needs `manage_user` covering the user's node (`missing_privilege`); users outside
/// the actor's enterprise are `not_found`.
pub fn user_view(s: &Snapshot, actor: &str, user: &str) -> Result<UserView, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    let my_ent = cx.me.enterprise.as_deref().ok_or(ReasonCode::NotFound)?;
    let u = s.resolve_user(user).ok_or(ReasonCode::NotFound)?;
    if u.enterprise.as_deref() != Some(my_ent) {
        return Err(ReasonCode::NotFound);
    }
    let node = u.node.clone().unwrap_or_default();
    if !s.holds(cx.actor, Privilege::ManageUser, &node) {
        return Err(ReasonCode::MissingPrivilege);
    }
    let mut roles: Vec<String> = s
        .roles_of(&u.id)
        .iter()
        .filter_map(|r| s.role(r))
        .map(|r| r.name.clone())
        .collect();
    roles.sort();
    Ok(UserView {
        id: u.id.clone(),
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        status: u.status,
        node_name: s.node(&node).map(|n| n.name.clone()).unwrap_or_default(),
        node,
        roles,
        share_admins: share_admins_of(s, &u.id),
    })
}

/// Emails of the SAs who manage `user` (R38), sorted.
pub fn share_admins_of(s: &Snapshot, user: &str) -> Vec<String> {
    let Some(e) = s.ent(user) else {
        return vec![];
    };
    let mut holders: BTreeSet<&str> = BTreeSet::new();
    for r in s.roles().filter(|r| r.enterprise == e) {
        if r.entries
            .values()
            .any(|en| en.privileges.contains(&Privilege::SharingAdministrator))
        {
            holders.extend(r.members.iter().map(String::as_str));
        }
    }
    let mut v: Vec<String> = holders
        .into_iter()
        .filter(|h| s.manages(h, user))
        .map(|h| email(s, h))
        .collect();
    v.sort();
    v
}

/// A managed-node entry as shown by the role view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryView {
    pub node: Id,
    pub node_name: String,
    pub cascade: bool,
    pub privileges: Vec<Privilege>,
}

/// `enterprise-role ROLE` (view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleView {
    pub id: Id,
    pub name: String,
    pub home_node: Id,
    pub new_user: bool,
    pub default_admin: bool,
    /// Member emails, sorted.
    pub members: Vec<String>,
    /// Entries by node name.
    pub managed_nodes: Vec<EntryView>,
}

/// The role view: any holder of `manage_roles` covering the role's home node.
pub fn role_view(s: &Snapshot, actor: &str, role: &str) -> Result<RoleView, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    let e = cx.me.enterprise.as_deref().ok_or(ReasonCode::NotFound)?;
    let r = s.find_role(e, role).ok_or(ReasonCode::NotFound)?;
    if !s.holds(cx.actor, Privilege::ManageRoles, &r.home_node) {
        return Err(ReasonCode::MissingPrivilege);
    }
    let mut members: Vec<String> = r.members.iter().map(|m| email(s, m)).collect();
    members.sort();
    let mut managed_nodes: Vec<EntryView> = r
        .entries
        .iter()
        .map(|(n, en)| EntryView {
            node: n.clone(),
            node_name: s.node(n).map(|x| x.name.clone()).unwrap_or_default(),
            cascade: en.cascade,
            privileges: en.privileges.iter().copied().collect(),
        })
        .collect();
    managed_nodes.sort_by(|a, b| (&a.node_name, &a.node).cmp(&(&b.node_name, &b.node)));
    Ok(RoleView {
        id: r.id.clone(),
        name: r.name.clone(),
        home_node: r.home_node.clone(),
        new_user: r.new_user,
        default_admin: r.default_admin,
        members,
        managed_nodes,
    })
}

/// One row of `compliance report` (R39).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplianceRow {
    pub connection: Id,
    pub connection_name: String,
    pub owner: String,
    pub user: String,
    /// `owner`, `edit`, `share`, `share_admin` in that order, or `read-only`.
    pub permissions: Vec<&'static str>,
}

/// The `permissions` tokens of `u` on `c` (R39).
pub fn permission_tokens(s: &Snapshot, u: &str, c: &str) -> Vec<&'static str> {
    let mut p = Vec::new();
    if s.connection(c).is_some_and(|x| x.owner == u) {
        p.push("owner");
    }
    if s.edit(u, c) {
        p.push("edit");
    }
    if s.share(u, c) {
        p.push("share");
    }
    if s.sa_record(u, c) {
        p.push("share_admin");
    }
    if p.is_empty() {
        p.push("read-only");
    }
    p
}

fn compliance_nodes(cx: &Cx<'_>, node: Option<&str>) -> Result<Option<Id>, ReasonCode> {
    let e = cx.me.enterprise.as_deref().ok_or(ReasonCode::NotFound)?;
    let n = match node {
        Some(n) => Some(cx.s.find_node(e, n).ok_or(ReasonCode::NotFound)?.id.clone()),
        None => None,
    };
    if !cx
        .s
        .holds_anywhere(cx.actor, Privilege::RunComplianceReports)
    {
        return Err(ReasonCode::MissingPrivilege);
    }
    Ok(n)
}

/// Is `owner` an enterprise user covered by the actor's `run_compliance_reports` entries
/// (and inside `--node`'s subtree when given)?
fn compliance_covers(s: &Snapshot, actor: &str, owner: &str, node: Option<&str>) -> bool {
    let Some(u) = s.user(owner) else {
        return false;
    };
    let (Some(e), Some(n)) = (&u.enterprise, &u.node) else {
        return false;
    };
    s.ent(actor) == Some(e.as_str())
        && s.holds(actor, Privilege::RunComplianceReports, n)
        && node.is_none_or(|root| s.in_subtree(root, n))
}

/// R39: `compliance report [--node N] [-u EMAIL]...`. Needs `run_compliance_reports`.
/// One row per (covered live connection, user with access), sorted by connection name,
/// connection id, user email.
pub fn compliance_report(
    s: &Snapshot,
    actor: &str,
    node: Option<&str>,
    owners: &[String],
) -> Result<Vec<ComplianceRow>, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    let n = compliance_nodes(&cx, node)?;
    let owner_ids: Option<BTreeSet<&str>> = if owners.is_empty() {
        None
    } else {
        Some(
            owners
                .iter()
                .filter_map(|o| s.resolve_user(o))
                .map(|u| u.id.as_str())
                .collect(),
        )
    };
    let mut candidates: Vec<&str> = match &owner_ids {
        Some(ids) => ids.iter().copied().collect(),
        None => s
            .users_of_enterprise(cx.me.enterprise.as_deref().unwrap_or_default())
            .iter()
            .map(String::as_str)
            .collect(),
    };
    candidates.retain(|o| compliance_covers(s, cx.actor, o, n.as_deref()));
    let mut rows = Vec::new();
    for o in candidates {
        for cid in s.owned_by(o) {
            let Some(c) = s.connection(cid) else { continue };
            if !c.is_live() {
                continue;
            }
            for u in users_with_access(s, cid) {
                rows.push(ComplianceRow {
                    connection: c.id.clone(),
                    connection_name: c.name.clone(),
                    owner: email(s, &c.owner),
                    user: email(s, &u),
                    permissions: permission_tokens(s, &u, cid),
                });
            }
        }
    }
    rows.sort_by(|a, b| {
        (&a.connection_name, &a.connection, &a.user).cmp(&(
            &b.connection_name,
            &b.connection,
            &b.user,
        ))
    });
    Ok(rows)
}

/// One folder of `compliance shared-folder-report` (R39).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedFolderRow {
    pub folder: Id,
    pub name: String,
    pub owner: String,
    pub members: Vec<(String, MemberFlags)>,
    pub share_admins: Vec<String>,
}

/// R39: `compliance shared-folder-report [--node N]`: folders whose owner is covered, with
/// members (stored flags) and the share admins of R36; by name.
pub fn shared_folder_report(
    s: &Snapshot,
    actor: &str,
    node: Option<&str>,
) -> Result<Vec<SharedFolderRow>, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    let n = compliance_nodes(&cx, node)?;
    let mut rows: Vec<SharedFolderRow> = s
        .folders()
        .filter(|f| compliance_covers(s, cx.actor, &f.owner, n.as_deref()))
        .map(|f| {
            let mut members: Vec<(String, MemberFlags)> =
                f.members.iter().map(|(u, m)| (email(s, u), *m)).collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            SharedFolderRow {
                folder: f.id.clone(),
                name: f.name.clone(),
                owner: email(s, &f.owner),
                members,
                share_admins: folder_share_admins(s, &f.id),
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.name, &a.folder).cmp(&(&b.name, &b.folder)));
    Ok(rows)
}
