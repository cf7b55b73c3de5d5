//! The fresh-install (and upgrade) bootstrap of §1.4 / R6: one enterprise, its root node,
//! the default `Administrator` role with an entry `{root, cascade: on, every grantable
//! privilege}` — so `sharing_administrator` and `monitor_sessions` are on — and the first
//! administrator(s) as members.

use crate::change::Change;
use crate::model::{Id, Privilege};
use crate::rows::{EnterpriseRow, NodeRow, RoleRow, UserRow};

/// The ids the gateway generated for the bootstrap objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapIds {
    pub enterprise: Id,
    pub root_node: Id,
    pub admin_role: Id,
}

/// The name of the default role.
pub const ADMIN_ROLE_NAME: &str = "Administrator";

/// Changes creating the enterprise `name` with its root node and the default
/// `Administrator` role. `users` are (re)written as enterprise users in the root node (on
/// a fresh install: the first administrator; on an upgrade from a database without
/// enterprises: every existing user); `admins` (ids among them) become members of the
/// role.
pub fn default_enterprise(
    ids: &BootstrapIds,
    name: &str,
    users: &[UserRow],
    admins: &[Id],
) -> Vec<Change> {
    let mut out = vec![
        Change::PutEnterprise(EnterpriseRow {
            id: ids.enterprise.clone(),
            name: name.to_owned(),
        }),
        Change::PutNode(NodeRow {
            id: ids.root_node.clone(),
            enterprise_id: ids.enterprise.clone(),
            parent_id: None,
            name: name.to_owned(),
        }),
        Change::PutRole(RoleRow {
            id: ids.admin_role.clone(),
            enterprise_id: ids.enterprise.clone(),
            name: ADMIN_ROLE_NAME.to_owned(),
            home_node_id: ids.root_node.clone(),
            new_user: false,
            default_admin: true,
        }),
        Change::PutRoleNode {
            role: ids.admin_role.clone(),
            node: ids.root_node.clone(),
            cascade: true,
        },
    ];
    for p in Privilege::default_admin_set() {
        out.push(Change::AddRolePrivilege {
            role: ids.admin_role.clone(),
            node: ids.root_node.clone(),
            privilege: p,
        });
    }
    for u in users {
        let mut row = u.clone();
        row.enterprise_id = Some(ids.enterprise.clone());
        row.node_id = Some(ids.root_node.clone());
        out.push(Change::PutUser(row));
    }
    for a in admins {
        out.push(Change::AddRoleMember {
            role: ids.admin_role.clone(),
            user: a.clone(),
        });
    }
    out
}
