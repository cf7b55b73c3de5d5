//! The access model's tables: load every row into [`SnapshotRows`] (one `SELECT` per
//! table) and persist a command's [`Change`]s in one transaction (the statement table of
//! the `porthole-access` crate documentation, §3).

use crate::store::{now_ms, Store};
use anyhow::{Context, Result};
use porthole_access::model::{FolderDefaults, MemberFlags, RecordFlags};
use porthole_access::rows::*;
use porthole_access::Change;
use sqlx::Row;

fn flag(r: &sqlx::any::AnyRow, col: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(col)? != 0)
}

fn parse<T: std::str::FromStr>(s: &str, what: &str) -> Result<T> {
    s.parse()
        .map_err(|_| anyhow::anyhow!("unknown {what} '{s}' in the database"))
}

/// Every row the snapshot is built from.
pub async fn load(store: &Store) -> Result<SnapshotRows> {
    let p = store.pool();
    let mut rows = SnapshotRows::default();
    for r in sqlx::query("SELECT id, name FROM enterprises")
        .fetch_all(p)
        .await?
    {
        rows.enterprises.push(EnterpriseRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
        });
    }
    for r in sqlx::query("SELECT id, enterprise_id, parent_id, name FROM nodes")
        .fetch_all(p)
        .await?
    {
        rows.nodes.push(NodeRow {
            id: r.try_get("id")?,
            enterprise_id: r.try_get("enterprise_id")?,
            parent_id: r.try_get("parent_id")?,
            name: r.try_get("name")?,
        });
    }
    for r in
        sqlx::query("SELECT id, email, display_name, status, enterprise_id, node_id FROM users")
            .fetch_all(p)
            .await?
    {
        let status: String = r.try_get("status")?;
        rows.users.push(UserRow {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            display_name: r.try_get("display_name")?,
            status: parse(&status, "user status")?,
            enterprise_id: r.try_get("enterprise_id")?,
            node_id: r.try_get("node_id")?,
        });
    }
    for r in sqlx::query(
        "SELECT id, enterprise_id, name, home_node_id, new_user, default_admin FROM roles",
    )
    .fetch_all(p)
    .await?
    {
        rows.roles.push(RoleRow {
            id: r.try_get("id")?,
            enterprise_id: r.try_get("enterprise_id")?,
            name: r.try_get("name")?,
            home_node_id: r.try_get("home_node_id")?,
            new_user: flag(&r, "new_user")?,
            default_admin: flag(&r, "default_admin")?,
        });
    }
    for r in sqlx::query("SELECT role_id, user_id FROM role_members")
        .fetch_all(p)
        .await?
    {
        rows.role_members.push(RoleMemberRow {
            role_id: r.try_get("role_id")?,
            user_id: r.try_get("user_id")?,
        });
    }
    for r in sqlx::query("SELECT role_id, node_id, cascades FROM role_managed_nodes")
        .fetch_all(p)
        .await?
    {
        rows.role_nodes.push(RoleNodeRow {
            role_id: r.try_get("role_id")?,
            node_id: r.try_get("node_id")?,
            cascade: flag(&r, "cascades")?,
        });
    }
    for r in sqlx::query("SELECT role_id, node_id, privilege FROM role_privileges")
        .fetch_all(p)
        .await?
    {
        let privilege: String = r.try_get("privilege")?;
        rows.role_privileges.push(RolePrivilegeRow {
            role_id: r.try_get("role_id")?,
            node_id: r.try_get("node_id")?,
            privilege: parse(&privilege, "privilege")?,
        });
    }
    for r in sqlx::query(
        "SELECT id, name, owner_id, default_manage_users, default_manage_records, \
         default_can_edit, default_can_share FROM folders",
    )
    .fetch_all(p)
    .await?
    {
        rows.folders.push(FolderRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            owner_id: r.try_get("owner_id")?,
            defaults: FolderDefaults {
                manage_users: flag(&r, "default_manage_users")?,
                manage_records: flag(&r, "default_manage_records")?,
                can_edit: flag(&r, "default_can_edit")?,
                can_share: flag(&r, "default_can_share")?,
            },
        });
    }
    for r in
        sqlx::query("SELECT folder_id, user_id, manage_users, manage_records FROM folder_members")
            .fetch_all(p)
            .await?
    {
        rows.folder_members.push(FolderMemberRow {
            folder_id: r.try_get("folder_id")?,
            user_id: r.try_get("user_id")?,
            flags: MemberFlags {
                manage_users: flag(&r, "manage_users")?,
                manage_records: flag(&r, "manage_records")?,
            },
        });
    }
    for r in sqlx::query("SELECT folder_id, connection_id, can_edit, can_share FROM folder_records")
        .fetch_all(p)
        .await?
    {
        rows.placements.push(PlacementRow {
            folder_id: r.try_get("folder_id")?,
            connection_id: r.try_get("connection_id")?,
            flags: RecordFlags {
                can_edit: flag(&r, "can_edit")?,
                can_share: flag(&r, "can_share")?,
            },
        });
    }
    for r in sqlx::query("SELECT id, name, owner_id, state, is_private FROM connections")
        .fetch_all(p)
        .await?
    {
        // Migration 0003 gave every connection an owner; one created ownerless since
        // (not possible through the API) is invisible to the model.
        let Some(owner_id) = r.try_get::<Option<String>, _>("owner_id")? else {
            continue;
        };
        let state: String = r.try_get("state")?;
        rows.connections.push(ConnectionRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            owner_id,
            state: parse(&state, "connection state")?,
            private: flag(&r, "is_private")?,
        });
    }
    for r in
        sqlx::query("SELECT connection_id, user_id, can_edit, can_share FROM connection_grants")
            .fetch_all(p)
            .await?
    {
        rows.grants.push(GrantRow {
            connection_id: r.try_get("connection_id")?,
            user_id: r.try_get("user_id")?,
            flags: RecordFlags {
                can_edit: flag(&r, "can_edit")?,
                can_share: flag(&r, "can_share")?,
            },
        });
    }
    for r in sqlx::query("SELECT id, connection_id, name, read_only FROM sharing_profiles")
        .fetch_all(p)
        .await?
    {
        rows.profiles.push(ProfileRow {
            id: r.try_get("id")?,
            connection_id: r.try_get("connection_id")?,
            name: r.try_get("name")?,
            read_only: flag(&r, "read_only")?,
        });
    }
    Ok(rows)
}

fn b(v: bool) -> i64 {
    i64::from(v)
}

/// Runs the statements of `changes`, in order, in one transaction.
pub async fn persist(store: &Store, changes: &[Change]) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut tx = store.pool().begin().await?;
    let now = now_ms();
    for c in changes {
        let q = match c {
            Change::PutEnterprise(e) => sqlx::query(
                "INSERT INTO enterprises (id, name, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            )
            .bind(e.id.clone())
            .bind(e.name.clone())
            .bind(now),
            Change::PutNode(n) => sqlx::query(
                "INSERT INTO nodes (id, enterprise_id, parent_id, name, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
                 parent_id = excluded.parent_id, name = excluded.name",
            )
            .bind(n.id.clone())
            .bind(n.enterprise_id.clone())
            .bind(n.parent_id.clone())
            .bind(n.name.clone())
            .bind(now),
            // Users are created by the gateway's user management; the engine only
            // (re)writes their access columns.
            Change::PutUser(u) => sqlx::query(
                "UPDATE users SET display_name = $1, status = $2, enterprise_id = $3, \
                 node_id = $4, disabled = $5 WHERE id = $6",
            )
            .bind(u.display_name.clone())
            .bind(u.status.as_str())
            .bind(u.enterprise_id.clone())
            .bind(u.node_id.clone())
            .bind(b(u.status == porthole_access::model::UserStatus::Locked))
            .bind(u.id.clone()),
            Change::SetUserNode { user, node } => {
                sqlx::query("UPDATE users SET node_id = $1 WHERE id = $2")
                    .bind(node.clone())
                    .bind(user.clone())
            }
            Change::SetUserStatus { user, status } => {
                sqlx::query("UPDATE users SET status = $1, disabled = $2 WHERE id = $3")
                    .bind(status.as_str())
                    .bind(b(*status == porthole_access::model::UserStatus::Locked))
                    .bind(user.clone())
            }
            Change::PutRole(r) => sqlx::query(
                "INSERT INTO roles (id, enterprise_id, name, home_node_id, new_user, \
                 default_admin, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                 home_node_id = excluded.home_node_id, new_user = excluded.new_user, \
                 updated_at = excluded.updated_at",
            )
            .bind(r.id.clone())
            .bind(r.enterprise_id.clone())
            .bind(r.name.clone())
            .bind(r.home_node_id.clone())
            .bind(b(r.new_user))
            .bind(b(r.default_admin))
            .bind(now),
            Change::DeleteRole { role } => {
                // role_privileges cascade from role_managed_nodes, which cascade here.
                sqlx::query("DELETE FROM role_privileges WHERE role_id = $1")
                    .bind(role.clone())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM role_managed_nodes WHERE role_id = $1")
                    .bind(role.clone())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM role_members WHERE role_id = $1")
                    .bind(role.clone())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM roles WHERE id = $1").bind(role.clone())
            }
            Change::AddRoleMember { role, user } => sqlx::query(
                "INSERT INTO role_members (role_id, user_id, added_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(role.clone())
            .bind(user.clone())
            .bind(now),
            Change::RemoveRoleMember { role, user } => {
                sqlx::query("DELETE FROM role_members WHERE role_id = $1 AND user_id = $2")
                    .bind(role.clone())
                    .bind(user.clone())
            }
            Change::PutRoleNode {
                role,
                node,
                cascade,
            } => sqlx::query(
                "INSERT INTO role_managed_nodes (role_id, node_id, cascades) VALUES ($1, $2, $3) \
                 ON CONFLICT (role_id, node_id) DO UPDATE SET cascades = excluded.cascades",
            )
            .bind(role.clone())
            .bind(node.clone())
            .bind(b(*cascade)),
            Change::RemoveRoleNode { role, node } => {
                sqlx::query("DELETE FROM role_privileges WHERE role_id = $1 AND node_id = $2")
                    .bind(role.clone())
                    .bind(node.clone())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM role_managed_nodes WHERE role_id = $1 AND node_id = $2")
                    .bind(role.clone())
                    .bind(node.clone())
            }
            Change::AddRolePrivilege {
                role,
                node,
                privilege,
            } => sqlx::query(
                "INSERT INTO role_privileges (role_id, node_id, privilege) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(role.clone())
            .bind(node.clone())
            .bind(privilege.to_string()),
            Change::RemoveRolePrivilege {
                role,
                node,
                privilege,
            } => sqlx::query(
                "DELETE FROM role_privileges WHERE role_id = $1 AND node_id = $2 AND privilege = $3",
            )
            .bind(role.clone())
            .bind(node.clone())
            .bind(privilege.to_string()),
            Change::PutFolder(f) => sqlx::query(
                "INSERT INTO folders (id, name, owner_id, default_manage_users, \
                 default_manage_records, default_can_edit, default_can_share, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner_id = excluded.owner_id, \
                 default_manage_users = excluded.default_manage_users, \
                 default_manage_records = excluded.default_manage_records, \
                 default_can_edit = excluded.default_can_edit, \
                 default_can_share = excluded.default_can_share, updated_at = excluded.updated_at",
            )
            .bind(f.id.clone())
            .bind(f.name.clone())
            .bind(f.owner_id.clone())
            .bind(b(f.defaults.manage_users))
            .bind(b(f.defaults.manage_records))
            .bind(b(f.defaults.can_edit))
            .bind(b(f.defaults.can_share))
            .bind(now),
            Change::DeleteFolder { folder } => {
                sqlx::query("DELETE FROM folder_members WHERE folder_id = $1")
                    .bind(folder.clone())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM folder_records WHERE folder_id = $1")
                    .bind(folder.clone())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM folders WHERE id = $1").bind(folder.clone())
            }
            Change::PutMember(m) => sqlx::query(
                "INSERT INTO folder_members (folder_id, user_id, manage_users, manage_records, \
                 added_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (folder_id, user_id) DO UPDATE \
                 SET manage_users = excluded.manage_users, manage_records = excluded.manage_records",
            )
            .bind(m.folder_id.clone())
            .bind(m.user_id.clone())
            .bind(b(m.flags.manage_users))
            .bind(b(m.flags.manage_records))
            .bind(now),
            Change::RemoveMember { folder, user } => {
                sqlx::query("DELETE FROM folder_members WHERE folder_id = $1 AND user_id = $2")
                    .bind(folder.clone())
                    .bind(user.clone())
            }
            Change::PutPlacement(pl) => sqlx::query(
                "INSERT INTO folder_records (folder_id, connection_id, can_edit, can_share, \
                 added_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (folder_id, connection_id) \
                 DO UPDATE SET can_edit = excluded.can_edit, can_share = excluded.can_share",
            )
            .bind(pl.folder_id.clone())
            .bind(pl.connection_id.clone())
            .bind(b(pl.flags.can_edit))
            .bind(b(pl.flags.can_share))
            .bind(now),
            Change::RemovePlacement { folder, connection } => sqlx::query(
                "DELETE FROM folder_records WHERE folder_id = $1 AND connection_id = $2",
            )
            .bind(folder.clone())
            .bind(connection.clone()),
            Change::PutConnection(c) => sqlx::query(
                "INSERT INTO connections (id, name, protocol, parameters, owner_id, state, \
                 is_private, created_at, updated_at) VALUES ($1, $2, 'vnc', '{}', $3, $4, $5, $6, $6) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner_id = excluded.owner_id, \
                 state = excluded.state, is_private = excluded.is_private, updated_at = excluded.updated_at",
            )
            .bind(c.id.clone())
            .bind(c.name.clone())
            .bind(c.owner_id.clone())
            .bind(c.state.as_str())
            .bind(b(c.private))
            .bind(now),
            Change::SetConnectionName { connection, name } => {
                sqlx::query("UPDATE connections SET name = $1, updated_at = $2 WHERE id = $3")
                    .bind(name.clone())
                    .bind(now)
                    .bind(connection.clone())
            }
            Change::SetConnectionOwner { connection, owner } => {
                sqlx::query("UPDATE connections SET owner_id = $1, updated_at = $2 WHERE id = $3")
                    .bind(owner.clone())
                    .bind(now)
                    .bind(connection.clone())
            }
            Change::SetConnectionPrivate {
                connection,
                private,
            } => sqlx::query("UPDATE connections SET is_private = $1 WHERE id = $2")
                .bind(b(*private))
                .bind(connection.clone()),
            Change::TrashConnection { connection } => sqlx::query(
                "UPDATE connections SET state = 'trashed', is_private = 0, trashed_at = $1 \
                 WHERE id = $2",
            )
            .bind(now)
            .bind(connection.clone()),
            Change::RestoreConnection { connection } => sqlx::query(
                "UPDATE connections SET state = 'live', is_private = 1, trashed_at = NULL \
                 WHERE id = $1",
            )
            .bind(connection.clone()),
            Change::PurgeConnection { connection } => {
                for t in [
                    "DELETE FROM connection_grants WHERE connection_id = $1",
                    "DELETE FROM folder_records WHERE connection_id = $1",
                    "DELETE FROM sharing_profiles WHERE connection_id = $1",
                ] {
                    sqlx::query(t)
                        .bind(connection.clone())
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("DELETE FROM connections WHERE id = $1").bind(connection.clone())
            }
            Change::PutGrant(g) => sqlx::query(
                "INSERT INTO connection_grants (connection_id, user_id, can_edit, can_share, \
                 created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (connection_id, user_id) \
                 DO UPDATE SET can_edit = excluded.can_edit, can_share = excluded.can_share",
            )
            .bind(g.connection_id.clone())
            .bind(g.user_id.clone())
            .bind(b(g.flags.can_edit))
            .bind(b(g.flags.can_share))
            .bind(now),
            Change::RemoveGrant { connection, user } => sqlx::query(
                "DELETE FROM connection_grants WHERE connection_id = $1 AND user_id = $2",
            )
            .bind(connection.clone())
            .bind(user.clone()),
            Change::PutProfile(pr) => sqlx::query(
                "INSERT INTO sharing_profiles (id, connection_id, name, read_only, parameters, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, '{}', $5, $5) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                 read_only = excluded.read_only, updated_at = excluded.updated_at",
            )
            .bind(pr.id.clone())
            .bind(pr.connection_id.clone())
            .bind(pr.name.clone())
            .bind(b(pr.read_only))
            .bind(now),
            Change::DeleteProfile {
                connection,
                profile,
            } => sqlx::query("DELETE FROM sharing_profiles WHERE id = $1 AND connection_id = $2")
                .bind(profile.clone())
                .bind(connection.clone()),
        };
        q.execute(&mut *tx)
            .await
            .with_context(|| format!("persisting {c:?}"))?;
    }
    tx.commit().await?;
    Ok(())
}
