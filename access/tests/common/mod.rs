//! Test fixture: a small world built through the engine's own bootstrap, commands and
//! commits, with shorthands for the rule and scenario tests.
//!
//! Acme (enterprise `acme`, root node `acme`): admin (root, default Administrator role),
//! nodes `sales` → `sales_eu`, and `eng`. Users are named by short ids (`alice`) with
//! emails `alice@<enterprise>.test` (consumers: `@mail.test`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use porthole_access::bootstrap::{default_enterprise, BootstrapIds};
use porthole_access::gateway::SessionFacts;
use porthole_access::model::{FolderDefaults, Privilege, UserStatus};
use porthole_access::rows::{NodeRow, RoleRow, UserRow};
use porthole_access::{apply, Change, Command, Outcome, ReasonCode, Snapshot};

pub struct World {
    pub s: Snapshot,
}

pub fn user_row(id: &str, ent: Option<&str>, node: Option<&str>, status: UserStatus) -> UserRow {
    let domain = ent.unwrap_or("mail");
    UserRow {
        id: id.to_owned(),
        email: format!("{id}@{domain}.test"),
        display_name: format!("{} Display", id.to_uppercase()),
        status,
        enterprise_id: ent.map(str::to_owned),
        node_id: node.map(str::to_owned),
    }
}

pub fn email(id: &str, w: &World) -> String {
    w.s.user(id).expect("user").email.clone()
}

impl World {
    /// Acme with its admin, nodes sales, sales_eu, eng.
    pub fn new() -> World {
        let mut s = Snapshot::new();
        let ids = BootstrapIds {
            enterprise: "acme".into(),
            root_node: "acme".into(),
            admin_role: "acme-admins".into(),
        };
        let admin = user_row("admin", Some("acme"), None, UserStatus::Active);
        s.commit(&default_enterprise(
            &ids,
            "Acme",
            &[admin],
            &["admin".into()],
        ))
        .expect("bootstrap");
        let mut w = World { s };
        w.node("sales", "acme");
        w.node("sales_eu", "sales");
        w.node("eng", "acme");
        w
    }

    pub fn commit(&mut self, changes: Vec<Change>) {
        self.s.commit(&changes).expect("commit");
    }

    pub fn node(&mut self, id: &str, parent: &str) {
        let ent = self.s.node(parent).expect("parent").enterprise.clone();
        self.commit(vec![Change::PutNode(NodeRow {
            id: id.into(),
            enterprise_id: ent,
            parent_id: Some(parent.into()),
            name: id.into(),
        })]);
    }

    /// Another enterprise with its own root node (id = enterprise id).
    pub fn enterprise(&mut self, id: &str) {
        self.commit(vec![
            Change::PutEnterprise(porthole_access::rows::EnterpriseRow {
                id: id.into(),
                name: id.to_uppercase(),
            }),
            Change::PutNode(NodeRow {
                id: id.into(),
                enterprise_id: id.into(),
                parent_id: None,
                name: id.to_uppercase(),
            }),
        ]);
    }

    /// An active enterprise user in `node`.
    pub fn user(&mut self, id: &str, node: &str) -> String {
        let ent = self.s.node(node).expect("node").enterprise.clone();
        self.commit(vec![Change::PutUser(user_row(
            id,
            Some(&ent),
            Some(node),
            UserStatus::Active,
        ))]);
        id.to_owned()
    }

    pub fn user_with_status(&mut self, id: &str, node: &str, status: UserStatus) -> String {
        let ent = self.s.node(node).expect("node").enterprise.clone();
        self.commit(vec![Change::PutUser(user_row(
            id,
            Some(&ent),
            Some(node),
            status,
        ))]);
        id.to_owned()
    }

    /// An active consumer.
    pub fn consumer(&mut self, id: &str) -> String {
        self.commit(vec![Change::PutUser(user_row(
            id,
            None,
            None,
            UserStatus::Active,
        ))]);
        id.to_owned()
    }

    /// A role with one entry per `(node, cascade, privileges)` and the given members,
    /// committed directly (no authority check).
    pub fn role(
        &mut self,
        id: &str,
        home: &str,
        entries: &[(&str, bool, &[Privilege])],
        members: &[&str],
    ) {
        let ent = self.s.node(home).expect("home").enterprise.clone();
        let mut ch = vec![Change::PutRole(RoleRow {
            id: id.into(),
            enterprise_id: ent,
            name: id.into(),
            home_node_id: home.into(),
            new_user: false,
            default_admin: false,
        })];
        for (n, cascade, privs) in entries {
            ch.push(Change::PutRoleNode {
                role: id.into(),
                node: (*n).into(),
                cascade: *cascade,
            });
            for p in *privs {
                ch.push(Change::AddRolePrivilege {
                    role: id.into(),
                    node: (*n).into(),
                    privilege: *p,
                });
            }
        }
        for m in members {
            ch.push(Change::AddRoleMember {
                role: id.into(),
                user: (*m).into(),
            });
        }
        self.commit(ch);
    }

    /// A Share Admin role `id` on `node` for `members`.
    pub fn sa_role(&mut self, id: &str, node: &str, cascade: bool, members: &[&str]) {
        self.role(
            id,
            node,
            &[(node, cascade, &[Privilege::SharingAdministrator])],
            members,
        );
    }

    /// Applies and commits; panics when denied.
    pub fn ok(&mut self, actor: &str, cmd: Command) -> Outcome {
        match apply(&self.s, actor, &cmd) {
            Ok(o) => {
                self.s
                    .commit(&o.changes)
                    .expect("commit of allowed command");
                o
            }
            Err(r) => panic!("{actor}: {cmd:?} denied: {r}"),
        }
    }

    /// Applies; panics when allowed. The snapshot is not changed.
    pub fn deny(&self, actor: &str, cmd: Command) -> ReasonCode {
        match apply(&self.s, actor, &cmd) {
            Ok(o) => panic!("{actor}: {cmd:?} allowed: {o:?}"),
            Err(r) => r,
        }
    }

    /// Applies without committing.
    pub fn try_(&self, actor: &str, cmd: Command) -> Result<Outcome, ReasonCode> {
        apply(&self.s, actor, &cmd)
    }

    pub fn folder(&mut self, owner: &str, id: &str) -> String {
        self.folder_with(owner, id, FolderDefaults::default())
    }

    pub fn folder_with(&mut self, owner: &str, id: &str, defaults: FolderDefaults) -> String {
        self.ok(
            owner,
            Command::CreateFolder {
                id: id.into(),
                name: id.into(),
                defaults,
            },
        );
        id.to_owned()
    }

    /// A private connection owned by `owner`.
    pub fn conn(&mut self, owner: &str, id: &str) -> String {
        self.ok(
            owner,
            Command::CreateConnection {
                id: id.into(),
                name: id.into(),
                folder: None,
            },
        );
        id.to_owned()
    }

    /// A connection owned by `owner`, placed only in `folder`.
    pub fn conn_in(&mut self, owner: &str, id: &str, folder: &str) -> String {
        self.ok(
            owner,
            Command::CreateConnection {
                id: id.into(),
                name: id.into(),
                folder: Some(folder.into()),
            },
        );
        id.to_owned()
    }

    /// Adds `user` to `folder` with flags, as `by`.
    pub fn member(&mut self, by: &str, folder: &str, user: &str, mu: bool, mr: bool) {
        self.ok(
            by,
            Command::ShareFolderUser {
                folder: folder.into(),
                user: user.into(),
                manage_users: Some(mu),
                manage_records: Some(mr),
            },
        );
    }

    /// Stores a member row directly (no authority check).
    pub fn put_member(&mut self, folder: &str, user: &str, mu: bool, mr: bool) {
        self.commit(vec![Change::PutMember(
            porthole_access::rows::FolderMemberRow {
                folder_id: folder.into(),
                user_id: user.into(),
                flags: porthole_access::model::MemberFlags {
                    manage_users: mu,
                    manage_records: mr,
                },
            },
        )]);
    }

    /// Stores a placement directly (no authority check).
    pub fn put_placement(&mut self, folder: &str, conn: &str, edit: bool, share: bool) {
        self.commit(vec![Change::PutPlacement(
            porthole_access::rows::PlacementRow {
                folder_id: folder.into(),
                connection_id: conn.into(),
                flags: porthole_access::model::RecordFlags {
                    can_edit: edit,
                    can_share: share,
                },
            },
        )]);
    }

    /// Stores a grant directly (no authority check).
    pub fn put_grant(&mut self, conn: &str, user: &str, edit: bool, share: bool) {
        self.commit(vec![Change::PutGrant(porthole_access::rows::GrantRow {
            connection_id: conn.into(),
            user_id: user.into(),
            flags: porthole_access::model::RecordFlags {
                can_edit: edit,
                can_share: share,
            },
        })]);
    }

    /// Stores a sharing profile directly.
    pub fn put_profile(&mut self, conn: &str, id: &str, read_only: bool) {
        self.commit(vec![Change::PutProfile(
            porthole_access::rows::ProfileRow {
                id: id.into(),
                connection_id: conn.into(),
                name: id.into(),
                read_only,
            },
        )]);
    }
}

pub fn session<'a>(id: &'a str, conn: &'a str, originator: &'a str) -> SessionFacts<'a> {
    SessionFacts {
        id,
        connection: conn,
        originator,
        active: true,
    }
}

pub fn share_user(folder: &str, user: &str, mu: Option<bool>, mr: Option<bool>) -> Command {
    Command::ShareFolderUser {
        folder: folder.into(),
        user: user.into(),
        manage_users: mu,
        manage_records: mr,
    }
}

pub fn link(conn: &str, folder: &str) -> Command {
    Command::LinkConnection {
        connection: conn.into(),
        folder: folder.into(),
        can_edit: None,
        can_share: None,
    }
}

pub fn unlink(conn: &str, folder: &str) -> Command {
    Command::UnlinkConnection {
        connection: conn.into(),
        folder: folder.into(),
    }
}

pub fn grant(conn: &str, user: &str, edit: bool, share: bool) -> Command {
    Command::Grant {
        connection: conn.into(),
        user: user.into(),
        can_edit: Some(edit),
        can_share: Some(share),
    }
}

pub fn edit(conn: &str) -> Command {
    Command::EditConnection {
        connection: conn.into(),
        name: None,
    }
}

pub fn transfer(conn: &str, user: &str) -> Command {
    Command::Transfer {
        connection: conn.into(),
        user: user.into(),
    }
}

pub fn placement_flags(
    folder: &str,
    conn: &str,
    edit: Option<bool>,
    share: Option<bool>,
) -> Command {
    Command::SetPlacementFlags {
        folder: folder.into(),
        connection: conn.into(),
        can_edit: edit,
        can_share: share,
    }
}

pub fn defaults(
    folder: &str,
    mu: Option<bool>,
    mr: Option<bool>,
    ce: Option<bool>,
    cs: Option<bool>,
) -> Command {
    Command::SetFolderDefaults {
        folder: folder.into(),
        manage_users: mu,
        manage_records: mr,
        can_edit: ce,
        can_share: cs,
    }
}

pub fn remove_user(folder: &str, user: &str) -> Command {
    Command::RemoveFolderUser {
        folder: folder.into(),
        user: user.into(),
        new_owner: None,
    }
}
