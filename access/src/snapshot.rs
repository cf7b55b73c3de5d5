//! [`Snapshot`]: every entity of §1 in memory, with the indexes that make a decision a
//! handful of hash lookups. Built once from [`SnapshotRows`] ([`Snapshot::from_rows`]),
//! then kept current by [`Snapshot::commit`] with the [`Change`]s of every committed
//! command (R8: the very next decision sees them).
//!
//! The snapshot stores facts only. Nothing derived (coverage, SA rights, effective rights)
//! is cached here except the Euler-tour numbering of the node trees, which is a pure
//! function of the tree and is recomputed whenever a node is added or moved.

use crate::change::Change;
use crate::model::{
    ConnState, Connection, Enterprise, Folder, Id, ManagedNode, Node, Profile, Role, User,
};
use crate::rows::SnapshotRows;
use std::collections::{BTreeMap, BTreeSet, HashMap};
/// A map keyed by id. The standard (SipHash) hasher: measured faster than FxHash on the
/// short, similar ids of the benchmark, and safe against hash flooding.
pub(crate) type IdMap<V> = HashMap<Id, V>;

/// Inconsistent input rows or changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// A row refers to an object that does not exist (or to one of another enterprise).
    #[error("{kind} {id} refers to missing or mismatched {what} {target}")]
    Dangling {
        kind: &'static str,
        id: String,
        what: &'static str,
        target: String,
    },
    /// Two rows with the same key.
    #[error("duplicate {kind} {id}")]
    Duplicate { kind: &'static str, id: String },
    /// An enterprise without exactly one root node.
    #[error("enterprise {0} must have exactly one root node")]
    Root(String),
    /// A node that is not reachable from its enterprise's root (a cycle).
    #[error("node {0} is not in its enterprise's tree (cycle?)")]
    Cycle(String),
    /// A grant to the connection's owner, a folder whose owner is not a member, or a
    /// similar violation of §1.
    #[error("invariant violated: {0}")]
    Invariant(String),
}

fn dangling(kind: &'static str, id: &str, what: &'static str, target: &str) -> SnapshotError {
    SnapshotError::Dangling {
        kind,
        id: id.to_owned(),
        what,
        target: target.to_owned(),
    }
}

/// The whole access state, indexed. Cheap to query, `Clone` for copy-on-write use.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub(crate) enterprises: IdMap<Enterprise>,
    pub(crate) nodes: IdMap<Node>,
    pub(crate) users: IdMap<User>,
    pub(crate) roles: IdMap<Role>,
    pub(crate) folders: IdMap<Folder>,
    pub(crate) connections: IdMap<Connection>,
    // Indexes.
    pub(crate) by_email: HashMap<String, Id>,
    pub(crate) roles_of_user: IdMap<BTreeSet<Id>>,
    pub(crate) folders_of_user: IdMap<BTreeSet<Id>>,
    pub(crate) folders_of_conn: IdMap<BTreeSet<Id>>,
    pub(crate) grants_of_user: IdMap<BTreeSet<Id>>,
    pub(crate) owned_conns: IdMap<BTreeSet<Id>>,
    pub(crate) users_of_enterprise: IdMap<BTreeSet<Id>>,
}

fn index_add(map: &mut IdMap<BTreeSet<Id>>, key: &str, value: &str) {
    map.entry(key.to_owned())
        .or_default()
        .insert(value.to_owned());
}

fn index_remove(map: &mut IdMap<BTreeSet<Id>>, key: &str, value: &str) {
    if let Some(set) = map.get_mut(key) {
        set.remove(value);
        if set.is_empty() {
            map.remove(key);
        }
    }
}

static EMPTY: BTreeSet<Id> = BTreeSet::new();

impl Snapshot {
    /// An empty snapshot (no enterprise yet); see [`crate::bootstrap`].
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    /// Builds a snapshot from the full contents of the tables, checking the invariants of
    /// §1 (one root per enterprise, a tree, references that exist, users' nodes in their
    /// enterprise, owners who are members, no grant to an owner).
    pub fn from_rows(rows: SnapshotRows) -> Result<Snapshot, SnapshotError> {
        let mut s = Snapshot::default();
        for e in rows.enterprises {
            if s.enterprises.contains_key(&e.id) {
                return Err(SnapshotError::Duplicate {
                    kind: "enterprise",
                    id: e.id,
                });
            }
            s.enterprises.insert(
                e.id.clone(),
                Enterprise {
                    id: e.id,
                    name: e.name,
                    root: String::new(),
                },
            );
        }
        for n in rows.nodes {
            if !s.enterprises.contains_key(&n.enterprise_id) {
                return Err(dangling("node", &n.id, "enterprise", &n.enterprise_id));
            }
            if s.nodes.contains_key(&n.id) {
                return Err(SnapshotError::Duplicate {
                    kind: "node",
                    id: n.id,
                });
            }
            s.nodes.insert(
                n.id.clone(),
                Node {
                    id: n.id,
                    enterprise: n.enterprise_id,
                    parent: n.parent_id,
                    name: n.name,
                    tin: 0,
                    tout: 0,
                },
            );
        }
        for n in s.nodes.values() {
            if let Some(p) = &n.parent {
                match s.nodes.get(p) {
                    Some(pn) if pn.enterprise == n.enterprise => {}
                    _ => return Err(dangling("node", &n.id, "parent node", p)),
                }
            }
        }
        s.renumber_all()?;
        for u in rows.users {
            s.check_user_row(&u.id, u.enterprise_id.as_deref(), u.node_id.as_deref())?;
            let email = u.email.to_lowercase();
            if s.by_email.contains_key(&email) || s.users.contains_key(&u.id) {
                return Err(SnapshotError::Duplicate {
                    kind: "user",
                    id: u.id,
                });
            }
            s.insert_user(User {
                id: u.id,
                email,
                display_name: u.display_name,
                status: u.status,
                enterprise: u.enterprise_id,
                node: u.node_id,
            });
        }
        for r in rows.roles {
            s.check_role_row(&r.id, &r.enterprise_id, &r.home_node_id)?;
            if s.roles.contains_key(&r.id) {
                return Err(SnapshotError::Duplicate {
                    kind: "role",
                    id: r.id,
                });
            }
            s.roles.insert(
                r.id.clone(),
                Role {
                    id: r.id,
                    enterprise: r.enterprise_id,
                    name: r.name,
                    home_node: r.home_node_id,
                    new_user: r.new_user,
                    default_admin: r.default_admin,
                    members: BTreeSet::new(),
                    entries: BTreeMap::new(),
                },
            );
        }
        for m in rows.role_members {
            s.add_role_member(&m.role_id, &m.user_id)?;
        }
        for e in rows.role_nodes {
            s.put_role_node(&e.role_id, &e.node_id, e.cascade)?;
        }
        for p in rows.role_privileges {
            let entry = s
                .roles
                .get_mut(&p.role_id)
                .and_then(|r| r.entries.get_mut(&p.node_id))
                .ok_or_else(|| {
                    dangling("privilege", p.privilege.as_str(), "role entry", &p.role_id)
                })?;
            entry.privileges.insert(p.privilege);
        }
        for f in rows.folders {
            if !s.users.contains_key(&f.owner_id) {
                return Err(dangling("folder", &f.id, "owner", &f.owner_id));
            }
            if s.folders.contains_key(&f.id) {
                return Err(SnapshotError::Duplicate {
                    kind: "folder",
                    id: f.id,
                });
            }
            s.folders.insert(
                f.id.clone(),
                Folder {
                    id: f.id,
                    name: f.name,
                    owner: f.owner_id,
                    defaults: f.defaults,
                    members: BTreeMap::new(),
                    records: BTreeMap::new(),
                },
            );
        }
        for m in rows.folder_members {
            s.put_member(&m.folder_id, &m.user_id, m.flags)?;
        }
        for f in s.folders.values() {
            if !f.members.contains_key(&f.owner) {
                return Err(SnapshotError::Invariant(format!(
                    "folder {} owner {} is not a member",
                    f.id, f.owner
                )));
            }
        }
        for c in rows.connections {
            if !s.users.contains_key(&c.owner_id) {
                return Err(dangling("connection", &c.id, "owner", &c.owner_id));
            }
            if s.connections.contains_key(&c.id) {
                return Err(SnapshotError::Duplicate {
                    kind: "connection",
                    id: c.id,
                });
            }
            index_add(&mut s.owned_conns, &c.owner_id, &c.id);
            s.connections.insert(
                c.id.clone(),
                Connection {
                    id: c.id,
                    name: c.name,
                    owner: c.owner_id,
                    state: c.state,
                    private: c.private && c.state == ConnState::Live,
                    grants: BTreeMap::new(),
                    profiles: BTreeMap::new(),
                },
            );
        }
        for p in rows.placements {
            s.put_placement(&p.folder_id, &p.connection_id, p.flags)?;
        }
        for g in rows.grants {
            s.put_grant(&g.connection_id, &g.user_id, g.flags)?;
        }
        for p in rows.profiles {
            let c = s
                .connections
                .get_mut(&p.connection_id)
                .ok_or_else(|| dangling("profile", &p.id, "connection", &p.connection_id))?;
            c.profiles.insert(
                p.id.clone(),
                Profile {
                    id: p.id,
                    name: p.name,
                    read_only: p.read_only,
                },
            );
        }
        Ok(s)
    }

    // ----- lookups -----

    /// An enterprise by id.
    pub fn enterprise(&self, id: &str) -> Option<&Enterprise> {
        self.enterprises.get(id)
    }
    /// Every enterprise.
    pub fn enterprises(&self) -> impl Iterator<Item = &Enterprise> {
        self.enterprises.values()
    }
    /// A node by id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }
    /// Every node.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }
    /// A user by id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id)
    }
    /// A user by email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        let id = match self.by_email.get(email) {
            Some(id) => id,
            None => self.by_email.get(&email.to_lowercase())?,
        };
        self.users.get(id)
    }
    /// A user named by id or by email (anything containing `@` is taken as an email).
    pub fn resolve_user(&self, id_or_email: &str) -> Option<&User> {
        if id_or_email.contains('@') {
            self.user_by_email(id_or_email)
        } else {
            self.user(id_or_email)
        }
    }
    /// Every user.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }
    /// A role by id.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.get(id)
    }
    /// Every role.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }
    /// A folder by id.
    pub fn folder(&self, id: &str) -> Option<&Folder> {
        self.folders.get(id)
    }
    /// Every folder.
    pub fn folders(&self) -> impl Iterator<Item = &Folder> {
        self.folders.values()
    }
    /// A connection by id.
    pub fn connection(&self, id: &str) -> Option<&Connection> {
        self.connections.get(id)
    }
    /// Every connection.
    pub fn connections(&self) -> impl Iterator<Item = &Connection> {
        self.connections.values()
    }
    /// Ids of the roles `user` is a direct member of.
    pub fn roles_of(&self, user: &str) -> &BTreeSet<Id> {
        self.roles_of_user.get(user).unwrap_or(&EMPTY)
    }
    /// Ids of the folders `user` is a member of.
    pub fn folders_of(&self, user: &str) -> &BTreeSet<Id> {
        self.folders_of_user.get(user).unwrap_or(&EMPTY)
    }
    /// Ids of the folders holding a placement of `conn`.
    pub fn folders_holding(&self, conn: &str) -> &BTreeSet<Id> {
        self.folders_of_conn.get(conn).unwrap_or(&EMPTY)
    }
    /// Ids of the connections on which `user` holds a direct grant (dormant ones included).
    pub fn granted_to(&self, user: &str) -> &BTreeSet<Id> {
        self.grants_of_user.get(user).unwrap_or(&EMPTY)
    }
    /// Ids of the connections `user` owns (trashed ones included).
    pub fn owned_by(&self, user: &str) -> &BTreeSet<Id> {
        self.owned_conns.get(user).unwrap_or(&EMPTY)
    }
    /// Ids of the users of an enterprise.
    pub fn users_of_enterprise(&self, enterprise: &str) -> &BTreeSet<Id> {
        self.users_of_enterprise.get(enterprise).unwrap_or(&EMPTY)
    }
    /// A node of `enterprise` by id or by name (names are matched case-insensitively;
    /// the root also answers to the enterprise's name). `None` if absent or ambiguous.
    pub fn find_node(&self, enterprise: &str, id_or_name: &str) -> Option<&Node> {
        if let Some(n) = self.nodes.get(id_or_name) {
            return (n.enterprise == enterprise).then_some(n);
        }
        let ent = self.enterprises.get(enterprise)?;
        let mut found = self
            .nodes
            .values()
            .filter(|n| n.enterprise == enterprise && n.name.eq_ignore_ascii_case(id_or_name));
        let first = found.next();
        match (first, found.next()) {
            (Some(n), None) => Some(n),
            (None, _) if ent.name.eq_ignore_ascii_case(id_or_name) => self.nodes.get(&ent.root),
            _ => None,
        }
    }
    /// A role of `enterprise` by id or by name (case-insensitive).
    pub fn find_role(&self, enterprise: &str, id_or_name: &str) -> Option<&Role> {
        if let Some(r) = self.roles.get(id_or_name) {
            return (r.enterprise == enterprise).then_some(r);
        }
        self.roles
            .values()
            .find(|r| r.enterprise == enterprise && r.name.eq_ignore_ascii_case(id_or_name))
    }

    /// `b ∈ subtree(a)` (both nodes must exist; false otherwise).
    pub fn in_subtree(&self, a: &str, b: &str) -> bool {
        match (self.nodes.get(a), self.nodes.get(b)) {
            (Some(a), Some(b)) => {
                a.enterprise == b.enterprise && a.tin <= b.tin && b.tout <= a.tout
            }
            _ => false,
        }
    }

    // ----- commit -----

    /// Applies committed changes, in order. Call it after the database transaction holding
    /// the same changes has committed. On error the snapshot may be partly updated: rebuild
    /// it from the database.
    pub fn commit(&mut self, changes: &[Change]) -> Result<(), SnapshotError> {
        for c in changes {
            self.commit_one(c)?;
        }
        Ok(())
    }

    fn commit_one(&mut self, change: &Change) -> Result<(), SnapshotError> {
        match change {
            Change::PutEnterprise(e) => {
                let root = self
                    .enterprises
                    .get(&e.id)
                    .map(|x| x.root.clone())
                    .unwrap_or_default();
                self.enterprises.insert(
                    e.id.clone(),
                    Enterprise {
                        id: e.id.clone(),
                        name: e.name.clone(),
                        root,
                    },
                );
            }
            Change::PutNode(n) => {
                if !self.enterprises.contains_key(&n.enterprise_id) {
                    return Err(dangling("node", &n.id, "enterprise", &n.enterprise_id));
                }
                if let Some(p) = &n.parent_id {
                    match self.nodes.get(p) {
                        Some(pn) if pn.enterprise == n.enterprise_id => {}
                        _ => return Err(dangling("node", &n.id, "parent node", p)),
                    }
                }
                let (tin, tout) = self
                    .nodes
                    .get(&n.id)
                    .map(|x| (x.tin, x.tout))
                    .unwrap_or((0, 0));
                self.nodes.insert(
                    n.id.clone(),
                    Node {
                        id: n.id.clone(),
                        enterprise: n.enterprise_id.clone(),
                        parent: n.parent_id.clone(),
                        name: n.name.clone(),
                        tin,
                        tout,
                    },
                );
                self.renumber(&n.enterprise_id)?;
            }
            Change::PutUser(u) => {
                self.check_user_row(&u.id, u.enterprise_id.as_deref(), u.node_id.as_deref())?;
                let email = u.email.to_lowercase();
                if let Some(other) = self.by_email.get(&email) {
                    if other != &u.id {
                        return Err(SnapshotError::Duplicate {
                            kind: "user email",
                            id: email,
                        });
                    }
                }
                self.remove_user_indexes(&u.id);
                self.insert_user(User {
                    id: u.id.clone(),
                    email,
                    display_name: u.display_name.clone(),
                    status: u.status,
                    enterprise: u.enterprise_id.clone(),
                    node: u.node_id.clone(),
                });
            }
            Change::SetUserNode { user, node } => {
                let ent = self
                    .users
                    .get(user)
                    .and_then(|u| u.enterprise.clone())
                    .ok_or_else(|| dangling("change", "set_user_node", "enterprise user", user))?;
                self.check_user_row(user, Some(&ent), Some(node))?;
                if let Some(u) = self.users.get_mut(user) {
                    u.node = Some(node.clone());
                }
            }
            Change::SetUserStatus { user, status } => {
                let u = self
                    .users
                    .get_mut(user)
                    .ok_or_else(|| dangling("change", "set_user_status", "user", user))?;
                u.status = *status;
            }
            Change::PutRole(r) => {
                self.check_role_row(&r.id, &r.enterprise_id, &r.home_node_id)?;
                let role = self.roles.entry(r.id.clone()).or_insert_with(|| Role {
                    id: r.id.clone(),
                    enterprise: r.enterprise_id.clone(),
                    name: String::new(),
                    home_node: String::new(),
                    new_user: false,
                    default_admin: false,
                    members: BTreeSet::new(),
                    entries: BTreeMap::new(),
                });
                role.name = r.name.clone();
                role.home_node = r.home_node_id.clone();
                role.new_user = r.new_user;
                role.default_admin = r.default_admin;
            }
            Change::DeleteRole { role } => {
                if let Some(r) = self.roles.remove(role) {
                    for m in &r.members {
                        index_remove(&mut self.roles_of_user, m, role);
                    }
                }
            }
            Change::AddRoleMember { role, user } => self.add_role_member(role, user)?,
            Change::RemoveRoleMember { role, user } => {
                if let Some(r) = self.roles.get_mut(role) {
                    r.members.remove(user);
                }
                index_remove(&mut self.roles_of_user, user, role);
            }
            Change::PutRoleNode {
                role,
                node,
                cascade,
            } => self.put_role_node(role, node, *cascade)?,
            Change::RemoveRoleNode { role, node } => {
                if let Some(r) = self.roles.get_mut(role) {
                    r.entries.remove(node);
                }
            }
            Change::AddRolePrivilege {
                role,
                node,
                privilege,
            } => {
                let e = self
                    .roles
                    .get_mut(role)
                    .and_then(|r| r.entries.get_mut(node))
                    .ok_or_else(|| dangling("change", "add_role_privilege", "role entry", role))?;
                e.privileges.insert(*privilege);
            }
            Change::RemoveRolePrivilege {
                role,
                node,
                privilege,
            } => {
                if let Some(e) = self
                    .roles
                    .get_mut(role)
                    .and_then(|r| r.entries.get_mut(node))
                {
                    e.privileges.remove(privilege);
                }
            }
            Change::PutFolder(f) => {
                if !self.users.contains_key(&f.owner_id) {
                    return Err(dangling("folder", &f.id, "owner", &f.owner_id));
                }
                let folder = self.folders.entry(f.id.clone()).or_insert_with(|| Folder {
                    id: f.id.clone(),
                    name: String::new(),
                    owner: String::new(),
                    defaults: Default::default(),
                    members: BTreeMap::new(),
                    records: BTreeMap::new(),
                });
                folder.name = f.name.clone();
                folder.owner = f.owner_id.clone();
                folder.defaults = f.defaults;
            }
            Change::DeleteFolder { folder } => {
                if let Some(f) = self.folders.remove(folder) {
                    for m in f.members.keys() {
                        index_remove(&mut self.folders_of_user, m, folder);
                    }
                    for c in f.records.keys() {
                        index_remove(&mut self.folders_of_conn, c, folder);
                    }
                }
            }
            Change::PutMember(m) => self.put_member(&m.folder_id, &m.user_id, m.flags)?,
            Change::RemoveMember { folder, user } => {
                if let Some(f) = self.folders.get_mut(folder) {
                    f.members.remove(user);
                }
                index_remove(&mut self.folders_of_user, user, folder);
            }
            Change::PutPlacement(p) => {
                self.put_placement(&p.folder_id, &p.connection_id, p.flags)?
            }
            Change::RemovePlacement { folder, connection } => {
                if let Some(f) = self.folders.get_mut(folder) {
                    f.records.remove(connection);
                }
                index_remove(&mut self.folders_of_conn, connection, folder);
            }
            Change::PutConnection(c) => {
                if !self.users.contains_key(&c.owner_id) {
                    return Err(dangling("connection", &c.id, "owner", &c.owner_id));
                }
                if let Some(old) = self.connections.get(&c.id) {
                    let old_owner = old.owner.clone();
                    index_remove(&mut self.owned_conns, &old_owner, &c.id);
                }
                index_add(&mut self.owned_conns, &c.owner_id, &c.id);
                let conn = self
                    .connections
                    .entry(c.id.clone())
                    .or_insert_with(|| Connection {
                        id: c.id.clone(),
                        name: String::new(),
                        owner: String::new(),
                        state: ConnState::Live,
                        private: false,
                        grants: BTreeMap::new(),
                        profiles: BTreeMap::new(),
                    });
                conn.name = c.name.clone();
                conn.owner = c.owner_id.clone();
                conn.state = c.state;
                conn.private = c.private && c.state == ConnState::Live;
            }
            Change::SetConnectionName { connection, name } => {
                self.conn_mut(connection)?.name = name.clone();
            }
            Change::SetConnectionOwner { connection, owner } => {
                if !self.users.contains_key(owner) {
                    return Err(dangling("connection", connection, "owner", owner));
                }
                let c = self.conn_mut(connection)?;
                let old = std::mem::replace(&mut c.owner, owner.clone());
                if c.grants.contains_key(owner) {
                    return Err(SnapshotError::Invariant(format!(
                        "new owner {owner} of {connection} still holds a grant"
                    )));
                }
                index_remove(&mut self.owned_conns, &old, connection);
                index_add(&mut self.owned_conns, owner, connection);
            }
            Change::SetConnectionPrivate {
                connection,
                private,
            } => {
                let c = self.conn_mut(connection)?;
                c.private = *private && c.state == ConnState::Live;
            }
            Change::TrashConnection { connection } => {
                if !self.folders_holding(connection).is_empty() {
                    return Err(SnapshotError::Invariant(format!(
                        "trashed connection {connection} still has placements"
                    )));
                }
                let c = self.conn_mut(connection)?;
                c.state = ConnState::Trashed;
                c.private = false;
            }
            Change::RestoreConnection { connection } => {
                let c = self.conn_mut(connection)?;
                c.state = ConnState::Live;
                c.private = true;
            }
            Change::PurgeConnection { connection } => {
                if let Some(c) = self.connections.remove(connection) {
                    index_remove(&mut self.owned_conns, &c.owner, connection);
                    for u in c.grants.keys() {
                        index_remove(&mut self.grants_of_user, u, connection);
                    }
                    if let Some(folders) = self.folders_of_conn.remove(connection) {
                        for f in folders {
                            if let Some(f) = self.folders.get_mut(&f) {
                                f.records.remove(connection);
                            }
                        }
                    }
                }
            }
            Change::PutGrant(g) => self.put_grant(&g.connection_id, &g.user_id, g.flags)?,
            Change::RemoveGrant { connection, user } => {
                if let Some(c) = self.connections.get_mut(connection) {
                    c.grants.remove(user);
                }
                index_remove(&mut self.grants_of_user, user, connection);
            }
            Change::PutProfile(p) => {
                let c = self.conn_mut(&p.connection_id)?;
                c.profiles.insert(
                    p.id.clone(),
                    Profile {
                        id: p.id.clone(),
                        name: p.name.clone(),
                        read_only: p.read_only,
                    },
                );
            }
            Change::DeleteProfile {
                connection,
                profile,
            } => {
                self.conn_mut(connection)?.profiles.remove(profile);
            }
        }
        Ok(())
    }

    // ----- helpers -----

    fn conn_mut(&mut self, id: &str) -> Result<&mut Connection, SnapshotError> {
        self.connections
            .get_mut(id)
            .ok_or_else(|| dangling("change", "connection", "connection", id))
    }

    fn check_user_row(
        &self,
        id: &str,
        enterprise: Option<&str>,
        node: Option<&str>,
    ) -> Result<(), SnapshotError> {
        match (enterprise, node) {
            (None, None) => Ok(()),
            (Some(e), Some(n)) => match self.nodes.get(n) {
                Some(node) if node.enterprise == e => Ok(()),
                _ => Err(dangling("user", id, "node", n)),
            },
            _ => Err(SnapshotError::Invariant(format!(
                "user {id}: an enterprise user needs exactly one node, a consumer none"
            ))),
        }
    }

    fn check_role_row(&self, id: &str, enterprise: &str, home: &str) -> Result<(), SnapshotError> {
        match self.nodes.get(home) {
            Some(n) if n.enterprise == enterprise => Ok(()),
            _ => Err(dangling("role", id, "home node", home)),
        }
    }

    fn insert_user(&mut self, u: User) {
        self.by_email.insert(u.email.clone(), u.id.clone());
        if let Some(e) = &u.enterprise {
            index_add(&mut self.users_of_enterprise, e, &u.id);
        }
        self.users.insert(u.id.clone(), u);
    }

    fn remove_user_indexes(&mut self, id: &str) {
        if let Some(old) = self.users.get(id) {
            let email = old.email.clone();
            let ent = old.enterprise.clone();
            self.by_email.remove(&email);
            if let Some(e) = ent {
                index_remove(&mut self.users_of_enterprise, &e, id);
            }
        }
    }

    fn add_role_member(&mut self, role: &str, user: &str) -> Result<(), SnapshotError> {
        let ent = self
            .users
            .get(user)
            .and_then(|u| u.enterprise.clone())
            .ok_or_else(|| dangling("role member", user, "enterprise user", user))?;
        let r = self
            .roles
            .get_mut(role)
            .ok_or_else(|| dangling("role member", user, "role", role))?;
        if r.enterprise != ent {
            return Err(dangling(
                "role member",
                user,
                "role of the user's enterprise",
                role,
            ));
        }
        r.members.insert(user.to_owned());
        index_add(&mut self.roles_of_user, user, role);
        Ok(())
    }

    fn put_role_node(
        &mut self,
        role: &str,
        node: &str,
        cascade: bool,
    ) -> Result<(), SnapshotError> {
        let node_ent = self
            .nodes
            .get(node)
            .map(|n| n.enterprise.clone())
            .ok_or_else(|| dangling("role entry", role, "node", node))?;
        let r = self
            .roles
            .get_mut(role)
            .ok_or_else(|| dangling("role entry", node, "role", role))?;
        if r.enterprise != node_ent {
            return Err(dangling(
                "role entry",
                role,
                "node of the role's enterprise",
                node,
            ));
        }
        r.entries
            .entry(node.to_owned())
            .or_insert_with(ManagedNode::default)
            .cascade = cascade;
        Ok(())
    }

    fn put_member(
        &mut self,
        folder: &str,
        user: &str,
        flags: crate::model::MemberFlags,
    ) -> Result<(), SnapshotError> {
        if !self.users.contains_key(user) {
            return Err(dangling("member", user, "user", user));
        }
        let f = self
            .folders
            .get_mut(folder)
            .ok_or_else(|| dangling("member", user, "folder", folder))?;
        f.members.insert(user.to_owned(), flags);
        index_add(&mut self.folders_of_user, user, folder);
        Ok(())
    }

    fn put_placement(
        &mut self,
        folder: &str,
        conn: &str,
        flags: crate::model::RecordFlags,
    ) -> Result<(), SnapshotError> {
        match self.connections.get(conn) {
            Some(c) if c.state == ConnState::Live => {}
            Some(_) => {
                return Err(SnapshotError::Invariant(format!(
                    "placement of trashed connection {conn}"
                )))
            }
            None => return Err(dangling("placement", folder, "connection", conn)),
        }
        let f = self
            .folders
            .get_mut(folder)
            .ok_or_else(|| dangling("placement", conn, "folder", folder))?;
        f.records.insert(conn.to_owned(), flags);
        index_add(&mut self.folders_of_conn, conn, folder);
        Ok(())
    }

    fn put_grant(
        &mut self,
        conn: &str,
        user: &str,
        flags: crate::model::RecordFlags,
    ) -> Result<(), SnapshotError> {
        if !self.users.contains_key(user) {
            return Err(dangling("grant", conn, "user", user));
        }
        let c = self
            .connections
            .get_mut(conn)
            .ok_or_else(|| dangling("grant", user, "connection", conn))?;
        if c.owner == user {
            return Err(SnapshotError::Invariant(format!(
                "grant on {conn} to its owner {user}"
            )));
        }
        c.grants.insert(user.to_owned(), flags);
        index_add(&mut self.grants_of_user, user, conn);
        Ok(())
    }

    fn renumber_all(&mut self) -> Result<(), SnapshotError> {
        let ids: Vec<Id> = self.enterprises.keys().cloned().collect();
        for e in ids {
            self.renumber(&e)?;
        }
        Ok(())
    }

    /// Recomputes the root and the Euler-tour numbering of one enterprise's tree.
    fn renumber(&mut self, enterprise: &str) -> Result<(), SnapshotError> {
        let mut roots = Vec::new();
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut count = 0usize;
        for n in self.nodes.values().filter(|n| n.enterprise == enterprise) {
            count += 1;
            match &n.parent {
                None => roots.push(n.id.as_str()),
                Some(p) => children.entry(p.as_str()).or_default().push(n.id.as_str()),
            }
        }
        if roots.len() != 1 {
            if count == 0 {
                return Ok(()); // an enterprise whose root is about to be inserted
            }
            return Err(SnapshotError::Root(enterprise.to_owned()));
        }
        let root = roots[0].to_owned();
        for v in children.values_mut() {
            v.sort_unstable();
        }
        // Iterative DFS: (node, next child index).
        let mut order: Vec<(String, u32, u32)> = Vec::with_capacity(count);
        let mut stack: Vec<(&str, usize, u32)> = vec![(roots[0], 0, 0)];
        let mut clock = 0u32;
        stack[0].2 = clock;
        clock += 1;
        while let Some(top) = stack.last_mut() {
            let (id, next, tin) = *top;
            let kids = children.get(id).map(Vec::as_slice).unwrap_or(&[]);
            if next < kids.len() {
                top.1 += 1;
                stack.push((kids[next], 0, clock));
                clock += 1;
            } else {
                order.push((id.to_owned(), tin, clock));
                clock += 1;
                stack.pop();
            }
            if order.len() > count {
                return Err(SnapshotError::Cycle(id.to_owned()));
            }
        }
        if order.len() != count {
            let seen: BTreeSet<&str> = order.iter().map(|(id, _, _)| id.as_str()).collect();
            let missing = self
                .nodes
                .values()
                .find(|n| n.enterprise == enterprise && !seen.contains(n.id.as_str()))
                .map(|n| n.id.clone())
                .unwrap_or_default();
            return Err(SnapshotError::Cycle(missing));
        }
        for (id, tin, tout) in order {
            if let Some(n) = self.nodes.get_mut(&id) {
                n.tin = tin;
                n.tout = tout;
            }
        }
        if let Some(e) = self.enterprises.get_mut(enterprise) {
            e.root = root;
        }
        Ok(())
    }
}
