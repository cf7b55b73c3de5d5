//! Enterprise administration: nodes (R1), users (R2), roles, managed nodes and privileges
//! (R3–R6).
//!
//! Enterprise objects are referenced by users of the same enterprise only: nodes, roles
//! and users of another enterprise (and everything, for a consumer) are `not_found`.
//! On top of the spec, an administrator may not raise their *own* enterprise rights
//! (add themselves to a role, add privileges to or switch cascade on for an entry of a role
//! they belong to): `self_escalation`, by analogy with R34. See the crate documentation.

use super::Cx;
use crate::change::Change;
use crate::command::{Notice, Outcome};
use crate::model::{Node, Privilege, Role, User, UserStatus};
use crate::reason::{Authority, ReasonCode};
use crate::rows::{NodeRow, RoleRow};

impl<'s> Cx<'s> {
    fn my_enterprise(&self) -> Result<&'s str, ReasonCode> {
        self.me.enterprise.as_deref().ok_or(ReasonCode::NotFound)
    }

    fn node(&self, id: &str) -> Result<&'s Node, ReasonCode> {
        let e = self.my_enterprise()?;
        match self.s.node(id) {
            Some(n) if n.enterprise == e => Ok(n),
            _ => Err(ReasonCode::NotFound),
        }
    }

    fn role(&self, id: &str) -> Result<&'s Role, ReasonCode> {
        let e = self.my_enterprise()?;
        match self.s.role(id) {
            Some(r) if r.enterprise == e => Ok(r),
            _ => Err(ReasonCode::NotFound),
        }
    }

    /// A user of the actor's enterprise, as the *object* of an `enterprise-user` command.
    fn enterprise_user(&self, r: &str) -> Result<&'s User, ReasonCode> {
        let e = self.my_enterprise()?;
        match self.s.resolve_user(r) {
            Some(u) if u.enterprise.as_deref() == Some(e) => Ok(u),
            _ => Err(ReasonCode::NotFound),
        }
    }

    /// `holds(actor, p, n)` for every node (`missing_privilege`).
    fn privilege(&self, p: Privilege, nodes: &[&str]) -> Result<Authority, ReasonCode> {
        if nodes.iter().all(|n| self.s.holds(self.actor, p, n)) {
            Ok(Authority::EnterprisePrivilege { privilege: p })
        } else {
            Err(ReasonCode::MissingPrivilege)
        }
    }

    fn is_role_member(&self, r: &Role) -> bool {
        r.members.contains(self.actor)
    }
}

fn node_row(n: &Node) -> NodeRow {
    NodeRow {
        id: n.id.clone(),
        enterprise_id: n.enterprise.clone(),
        parent_id: n.parent.clone(),
        name: n.name.clone(),
    }
}

fn role_row(r: &Role) -> RoleRow {
    RoleRow {
        id: r.id.clone(),
        enterprise_id: r.enterprise.clone(),
        name: r.name.clone(),
        home_node_id: r.home_node.clone(),
        new_user: r.new_user,
        default_admin: r.default_admin,
    }
}

/// A sibling (same parent) with the same name, case-insensitively.
fn sibling_named(cx: &Cx<'_>, enterprise: &str, parent: &str, name: &str, except: &str) -> bool {
    cx.s.nodes().any(|n| {
        n.enterprise == enterprise
            && n.parent.as_deref() == Some(parent)
            && n.id != except
            && n.name.eq_ignore_ascii_case(name)
    })
}

/// R1: create a node under `parent`. Needs `manage_nodes` covering the parent.
pub(super) fn create_node(
    cx: &Cx<'_>,
    id: &str,
    name: &str,
    parent: &str,
) -> Result<Outcome, ReasonCode> {
    let p = cx.node(parent)?;
    if cx.s.node(id).is_some()
        || name.trim().is_empty()
        || sibling_named(cx, &p.enterprise, &p.id, name, "")
    {
        return Err(ReasonCode::NameConflict);
    }
    let auth = cx.privilege(Privilege::ManageNodes, &[&p.id])?;
    Ok(Outcome::new(auth).with(vec![Change::PutNode(NodeRow {
        id: id.to_owned(),
        enterprise_id: p.enterprise.clone(),
        parent_id: Some(p.id.clone()),
        name: name.to_owned(),
    })]))
}

/// R1: rename and/or re-parent. Re-parenting under the node itself or a descendant (or
/// giving the root a parent) is `invalid_parent`. Needs `manage_nodes` covering the node
/// and the new parent.
pub(super) fn update_node(
    cx: &Cx<'_>,
    node: &str,
    name: Option<&str>,
    parent: Option<&str>,
) -> Result<Outcome, ReasonCode> {
    let n = cx.node(node)?;
    let p = parent.map(|p| cx.node(p)).transpose()?;
    if let Some(p) = p {
        if n.parent.is_none() || cx.s.in_subtree(&n.id, &p.id) {
            return Err(ReasonCode::InvalidParent);
        }
    }
    let new_parent = p.map(|p| p.id.clone()).or_else(|| n.parent.clone());
    let new_name = name.unwrap_or(&n.name);
    if new_name.trim().is_empty() {
        return Err(ReasonCode::NameConflict);
    }
    if let Some(np) = &new_parent {
        if sibling_named(cx, &n.enterprise, np, new_name, &n.id) {
            return Err(ReasonCode::NameConflict);
        }
    }
    let mut nodes = vec![n.id.as_str()];
    if let Some(p) = p {
        nodes.push(&p.id);
    }
    let auth = cx.privilege(Privilege::ManageNodes, &nodes)?;
    let mut changes = Vec::new();
    if new_parent != n.parent || new_name != n.name {
        let mut row = node_row(n);
        row.parent_id = new_parent;
        row.name = new_name.to_owned();
        changes.push(Change::PutNode(row));
        if n.parent.is_none() && new_name != n.name {
            // The root is displayed with the enterprise's name (§1.1): keep them equal.
            changes.push(Change::PutEnterprise(crate::rows::EnterpriseRow {
                id: n.enterprise.clone(),
                name: new_name.to_owned(),
            }));
        }
    }
    Ok(Outcome::new(auth).with(changes))
}

/// R2: move a user to another node. Needs `manage_user` covering both nodes.
pub(super) fn set_user_node(cx: &Cx<'_>, user: &str, node: &str) -> Result<Outcome, ReasonCode> {
    let u = cx.enterprise_user(user)?;
    let n = cx.node(node)?;
    let current = u.node.as_deref().unwrap_or_default();
    let auth = cx.privilege(Privilege::ManageUser, &[current, &n.id])?;
    let changes = if current == n.id {
        vec![]
    } else {
        vec![Change::SetUserNode {
            user: u.id.clone(),
            node: n.id.clone(),
        }]
    };
    Ok(Outcome::new(auth).with(changes))
}

/// R2 (`manage_user`): lock / unlock (or activate) a user of a covered node.
pub(super) fn set_user_status(
    cx: &Cx<'_>,
    user: &str,
    status: UserStatus,
) -> Result<Outcome, ReasonCode> {
    let u = cx.enterprise_user(user)?;
    let current = u.node.as_deref().unwrap_or_default();
    let auth = cx.privilege(Privilege::ManageUser, &[current])?;
    let changes = if u.status == status {
        vec![]
    } else {
        vec![Change::SetUserStatus {
            user: u.id.clone(),
            status,
        }]
    };
    Ok(Outcome::new(auth).with(changes))
}

fn role_name_taken(cx: &Cx<'_>, enterprise: &str, name: &str, except: &str) -> bool {
    cx.s.roles()
        .any(|r| r.enterprise == enterprise && r.id != except && r.name.eq_ignore_ascii_case(name))
}

/// R3: create a role homed at `home`. Needs `manage_roles` covering the home node.
pub(super) fn create_role(
    cx: &Cx<'_>,
    id: &str,
    name: &str,
    home: &str,
    new_user: bool,
) -> Result<Outcome, ReasonCode> {
    let h = cx.node(home)?;
    if cx.s.role(id).is_some()
        || name.trim().is_empty()
        || role_name_taken(cx, &h.enterprise, name, "")
    {
        return Err(ReasonCode::NameConflict);
    }
    let auth = cx.privilege(Privilege::ManageRoles, &[&h.id])?;
    Ok(Outcome::new(auth).with(vec![Change::PutRole(RoleRow {
        id: id.to_owned(),
        enterprise_id: h.enterprise.clone(),
        name: name.to_owned(),
        home_node_id: h.id.clone(),
        new_user,
        default_admin: false,
    })]))
}

/// R3: rename / `--new-user`.
pub(super) fn update_role(
    cx: &Cx<'_>,
    role: &str,
    name: Option<&str>,
    new_user: Option<bool>,
) -> Result<Outcome, ReasonCode> {
    let r = cx.role(role)?;
    if let Some(n) = name {
        if n.trim().is_empty() || role_name_taken(cx, &r.enterprise, n, &r.id) {
            return Err(ReasonCode::NameConflict);
        }
    }
    let auth = cx.privilege(Privilege::ManageRoles, &[&r.home_node])?;
    let mut row = role_row(r);
    if let Some(n) = name {
        row.name = n.to_owned();
    }
    if let Some(nu) = new_user {
        row.new_user = nu;
    }
    let changes = if row == role_row(r) {
        vec![]
    } else {
        vec![Change::PutRole(row)]
    };
    Ok(Outcome::new(auth).with(changes))
}

/// R3/R6: delete a role. The default `Administrator` role cannot be deleted (its
/// `sharing_administrator` goes only by an explicit `--remove-privilege`):
/// `missing_privilege`.
pub(super) fn delete_role(cx: &Cx<'_>, role: &str) -> Result<Outcome, ReasonCode> {
    let r = cx.role(role)?;
    let auth = cx.privilege(Privilege::ManageRoles, &[&r.home_node])?;
    if r.default_admin {
        return Err(ReasonCode::MissingPrivilege);
    }
    Ok(Outcome::new(auth).with(vec![Change::DeleteRole { role: r.id.clone() }]))
}

/// R3/R5: add a direct member. The user must be of the role's enterprise
/// (`target_invalid`); adding oneself is `self_escalation`; an invited user cannot join
/// a role that has managed-node entries (`role_has_invited_users`, the converse of R5).
pub(super) fn add_role_member(cx: &Cx<'_>, role: &str, user: &str) -> Result<Outcome, ReasonCode> {
    let r = cx.role(role)?;
    let u = cx.target(user)?;
    if u.enterprise.as_deref() != Some(r.enterprise.as_str()) {
        return Err(ReasonCode::TargetInvalid);
    }
    if u.id == cx.actor && !r.members.contains(&u.id) {
        return Err(ReasonCode::SelfEscalation);
    }
    let auth = cx.privilege(Privilege::ManageRoles, &[&r.home_node])?;
    if u.status == UserStatus::Invited && !r.entries.is_empty() {
        return Err(ReasonCode::RoleHasInvitedUsers);
    }
    let changes = if r.members.contains(&u.id) {
        vec![]
    } else {
        vec![Change::AddRoleMember {
            role: r.id.clone(),
            user: u.id.clone(),
        }]
    };
    Ok(Outcome::new(auth).with(changes))
}

/// R3/R33: remove a direct member (their SA rights, if any, end at once).
pub(super) fn remove_role_member(
    cx: &Cx<'_>,
    role: &str,
    user: &str,
) -> Result<Outcome, ReasonCode> {
    let r = cx.role(role)?;
    let u = cx.target(user)?;
    let auth = cx.privilege(Privilege::ManageRoles, &[&r.home_node])?;
    let changes = if r.members.contains(&u.id) {
        vec![Change::RemoveRoleMember {
            role: r.id.clone(),
            user: u.id.clone(),
        }]
    } else {
        vec![]
    };
    Ok(Outcome::new(auth).with(changes))
}

/// R4/R5: `--add-admin NODE [--cascade on|off]`.
pub(super) fn add_managed_node(
    cx: &Cx<'_>,
    role: &str,
    node: &str,
    cascade: Option<bool>,
) -> Result<Outcome, ReasonCode> {
    let r = cx.role(role)?;
    let n = cx.node(node)?;
    let existing = r.entries.get(&n.id);
    if let (Some(e), Some(true)) = (existing, cascade) {
        if !e.cascade && !e.privileges.is_empty() && cx.is_role_member(r) {
            return Err(ReasonCode::SelfEscalation);
        }
    }
    let auth = cx.privilege(Privilege::ManageRoles, &[&r.home_node, &n.id])?;
    let changes = match existing {
        Some(e) => match cascade {
            Some(c) if c != e.cascade => vec![Change::PutRoleNode {
                role: r.id.clone(),
                node: n.id.clone(),
                cascade: c,
            }],
            _ => vec![],
        },
        None => {
            let invited = r.members.iter().any(|m| {
                cx.s.user(m)
                    .is_some_and(|u| u.status == UserStatus::Invited)
            });
            if invited {
                return Err(ReasonCode::RoleHasInvitedUsers);
            }
            vec![Change::PutRoleNode {
                role: r.id.clone(),
                node: n.id.clone(),
                cascade: cascade.unwrap_or(false),
            }]
        }
    };
    Ok(Outcome::new(auth).with(changes))
}

/// R3: `--remove-admin NODE`. The default role's root entry stays (R6):
/// `missing_privilege`.
pub(super) fn remove_managed_node(
    cx: &Cx<'_>,
    role: &str,
    node: &str,
) -> Result<Outcome, ReasonCode> {
    let r = cx.role(role)?;
    let n = cx.node(node)?;
    if !r.entries.contains_key(&n.id) {
        return Err(ReasonCode::RoleDoesNotManageNode);
    }
    let auth = cx.privilege(Privilege::ManageRoles, &[&r.home_node, &n.id])?;
    if r.default_admin && n.parent.is_none() {
        return Err(ReasonCode::MissingPrivilege);
    }
    Ok(Outcome::new(auth).with(vec![Change::RemoveRoleNode {
        role: r.id.clone(),
        node: n.id.clone(),
    }]))
}

/// R3 (`--add-privilege` / `--remove-privilege`), R6. Checks in the order of R3: one
/// role, `--node` given, the role manages it, every name known; then (target) no
/// self-escalation; then `manage_roles` covering the home node and the node. Present /
/// absent privileges are no-ops with a notice.
pub(super) fn privileges(
    cx: &Cx<'_>,
    roles: &[String],
    node: Option<&str>,
    names: &[String],
    add: bool,
) -> Result<Outcome, ReasonCode> {
    let found: Vec<&Role> = roles.iter().map(|r| cx.role(r)).collect::<Result<_, _>>()?;
    let n = node.map(|n| cx.node(n)).transpose()?;
    let [r] = found.as_slice() else {
        return Err(ReasonCode::ExpectsSingleRole);
    };
    let n = n.ok_or(ReasonCode::NodeRequired)?;
    let entry = r
        .entries
        .get(&n.id)
        .ok_or(ReasonCode::RoleDoesNotManageNode)?;
    let privs: Vec<Privilege> = names
        .iter()
        .map(|p| p.parse::<Privilege>())
        .collect::<Result<_, _>>()
        .map_err(|_| ReasonCode::InvalidPrivilege)?;
    if privs.is_empty() {
        return Err(ReasonCode::InvalidPrivilege);
    }
    let raises = add
        && privs
            .iter()
            .any(|p| p.grantable() && !entry.privileges.contains(p));
    if raises && cx.is_role_member(r) {
        return Err(ReasonCode::SelfEscalation);
    }
    let auth = cx.privilege(Privilege::ManageRoles, &[&r.home_node, &n.id])?;
    let mut out = Outcome::new(auth);
    let mut changes = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in privs {
        if !seen.insert(p) {
            continue;
        }
        let present = entry.privileges.contains(&p);
        match (add, present) {
            (true, _) if !p.grantable() => out
                .notices
                .push(Notice::PrivilegeNotGrantable { privilege: p }),
            (true, true) => out.notices.push(Notice::PrivilegePresent {
                role: r.id.clone(),
                privilege: p,
            }),
            (false, false) => out.notices.push(Notice::PrivilegeAbsent {
                role: r.id.clone(),
                privilege: p,
            }),
            (true, false) => changes.push(Change::AddRolePrivilege {
                role: r.id.clone(),
                node: n.id.clone(),
                privilege: p,
            }),
            (false, true) => changes.push(Change::RemoveRolePrivilege {
                role: r.id.clone(),
                node: n.id.clone(),
                privilege: p,
            }),
        }
    }
    Ok(out.with(changes))
}
