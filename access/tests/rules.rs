//! One test per rule of share-admin.md (R1–R51), named after it, asserting allow/deny and
//! the exact reason code.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code fails loudly

mod common;

use common::*;
use porthole_access::gateway::{
    self, Caller, LinkFacts, LiveJoin, LiveLink, LiveSession, Revocation, RevokeReason,
};
use porthole_access::model::{
    ConnState, FolderDefaults, MemberFlags, Privilege, RecordFlags, UserStatus,
};
use porthole_access::requests::transfer_bulk;
use porthole_access::{
    views, Authority, Basis, Command, Decision, Notice, ReasonCode, ReasonCode::*, Tier,
};

fn s(x: &str) -> String {
    x.to_owned()
}

fn is_sa_auth(a: &Authority, tier: Tier) -> bool {
    matches!(a, Authority::ShareAdmin { tier: t, .. } if *t == tier)
}

// ----- A. Enterprise, roles and Share Admin scope -----

#[test]
fn r1_node_tree_one_root_reparent_and_invalid_parent() {
    let mut w = World::new();
    assert_eq!(w.s.enterprise("acme").unwrap().root, "acme");
    w.ok(
        "admin",
        Command::CreateNode {
            id: s("ops"),
            name: s("Ops"),
            parent: s("sales"),
        },
    );
    w.enterprise("globex");
    // The parent must be in the actor's enterprise.
    assert_eq!(
        w.deny(
            "admin",
            Command::CreateNode {
                id: s("x"),
                name: s("X"),
                parent: s("globex")
            }
        ),
        NotFound
    );
    assert_eq!(
        w.deny(
            "admin",
            Command::CreateNode {
                id: s("y"),
                name: s("ops"),
                parent: s("sales")
            }
        ),
        NameConflict
    );
    // Becoming one's own ancestor: refused, nothing changes.
    let up = |node: &str, parent: &str| Command::UpdateNode {
        node: s(node),
        name: None,
        parent: Some(s(parent)),
    };
    assert_eq!(w.deny("admin", up("sales", "sales_eu")), InvalidParent);
    assert_eq!(w.deny("admin", up("sales", "sales")), InvalidParent);
    assert_eq!(w.deny("admin", up("acme", "eng")), InvalidParent);
    assert_eq!(w.s.node("sales").unwrap().parent.as_deref(), Some("acme"));
    // Re-parenting moves the whole subtree.
    w.ok("admin", up("sales", "eng"));
    assert!(w.s.in_subtree("eng", "sales_eu"));
    assert!(w.s.in_subtree("eng", "ops"));
    // manage_nodes must cover the node and the new parent.
    w.user("nina", "sales");
    w.role(
        "Nodes",
        "sales",
        &[("sales", true, &[Privilege::ManageNodes])],
        &["nina"],
    );
    w.ok(
        "nina",
        Command::CreateNode {
            id: s("sub"),
            name: s("Sub"),
            parent: s("sales_eu"),
        },
    );
    assert_eq!(w.deny("nina", up("ops", "eng")), MissingPrivilege);
    assert_eq!(
        w.deny(
            "nina",
            Command::CreateNode {
                id: s("z"),
                name: s("Z"),
                parent: s("eng")
            }
        ),
        MissingPrivilege
    );
    w.ok("nina", up("ops", "sales_eu"));
    assert!(w.s.in_subtree("sales_eu", "ops"));
}

#[test]
fn r2_moving_a_user_needs_manage_user_covering_both_nodes() {
    let mut w = World::new();
    w.user("alice", "sales");
    w.user("hank", "sales");
    w.consumer("dave");
    w.role(
        "HR",
        "sales",
        &[("sales", true, &[Privilege::ManageUser])],
        &["hank"],
    );
    let mv = |u: &str, n: &str| Command::SetUserNode {
        user: s(u),
        node: s(n),
    };
    assert_eq!(w.deny("hank", mv("alice", "eng")), MissingPrivilege);
    w.ok("hank", mv("alice@acme.test", "sales_eu"));
    assert_eq!(w.s.user("alice").unwrap().node.as_deref(), Some("sales_eu"));
    w.ok("admin", mv("alice", "eng"));
    assert_eq!(w.s.user("alice").unwrap().node.as_deref(), Some("eng"));
    // Now alice is outside hank's coverage.
    assert_eq!(w.deny("hank", mv("alice", "sales")), MissingPrivilege);
    // Consumers have no node and are not enterprise users.
    assert!(w.s.user("dave").unwrap().node.is_none());
    assert_eq!(w.deny("admin", mv("dave", "sales")), NotFound);
}

#[test]
fn r3_privilege_editing_checks_in_order_and_no_ops() {
    let mut w = World::new();
    w.user("alice", "sales");
    w.user("rm", "sales");
    w.ok(
        "admin",
        Command::CreateRole {
            id: s("ssa"),
            name: s("Sales SA"),
            home_node: s("sales"),
            new_user: false,
        },
    );
    w.ok(
        "admin",
        Command::CreateRole {
            id: s("other"),
            name: s("Other"),
            home_node: s("eng"),
            new_user: false,
        },
    );
    assert_eq!(
        w.deny(
            "admin",
            Command::CreateRole {
                id: s("dup"),
                name: s("sales sa"),
                home_node: s("sales"),
                new_user: false
            }
        ),
        NameConflict
    );
    w.ok(
        "admin",
        Command::AddManagedNode {
            role: s("ssa"),
            node: s("sales"),
            cascade: Some(true),
        },
    );
    let add = |roles: &[&str], node: Option<&str>, p: &[&str]| Command::AddPrivileges {
        roles: roles.iter().map(|r| s(r)).collect(),
        node: node.map(s),
        privileges: p.iter().map(|x| s(x)).collect(),
    };
    let sa = ["sharing_administrator"];
    assert_eq!(
        w.deny("admin", add(&["ssa", "other"], Some("sales"), &sa)),
        ExpectsSingleRole
    );
    assert_eq!(w.deny("admin", add(&["ssa"], None, &sa)), NodeRequired);
    assert_eq!(
        w.deny("admin", add(&["ssa"], Some("eng"), &sa)),
        RoleDoesNotManageNode
    );
    assert_eq!(
        w.deny(
            "admin",
            add(&["ssa"], Some("sales"), &["sharing_administrator", "bogus"])
        ),
        InvalidPrivilege
    );
    assert!(
        w.s.role("ssa").unwrap().entries["sales"]
            .privileges
            .is_empty(),
        "whole command refused"
    );
    // Names are case-insensitive, stored lowercase.
    w.ok(
        "admin",
        add(&["ssa"], Some("sales"), &["Sharing_Administrator"]),
    );
    assert!(w.s.role("ssa").unwrap().entries["sales"]
        .privileges
        .contains(&Privilege::SharingAdministrator));
    // Present / absent: success as a no-op with a notice.
    let o = w.ok("admin", add(&["ssa"], Some("sales"), &sa));
    assert!(o.changes.is_empty());
    assert!(o
        .notices
        .iter()
        .any(|n| matches!(n, Notice::PrivilegePresent { .. })));
    let o = w.ok(
        "admin",
        Command::RemovePrivileges {
            roles: vec![s("ssa")],
            node: Some(s("sales")),
            privileges: vec![s("run_compliance_reports")],
        },
    );
    assert!(o.changes.is_empty());
    assert!(o
        .notices
        .iter()
        .any(|n| matches!(n, Notice::PrivilegeAbsent { .. })));
    // manage_roles must cover the home node and every node named.
    assert_eq!(
        w.deny(
            "alice",
            add(&["ssa"], Some("sales"), &["run_compliance_reports"])
        ),
        MissingPrivilege
    );
    w.role(
        "RoleMgr",
        "sales",
        &[("sales", true, &[Privilege::ManageRoles])],
        &["rm"],
    );
    w.ok(
        "rm",
        Command::AddRoleMember {
            role: s("ssa"),
            user: s("alice"),
        },
    );
    assert_eq!(
        w.deny(
            "rm",
            Command::AddRoleMember {
                role: s("other"),
                user: s("alice")
            }
        ),
        MissingPrivilege
    );
    assert_eq!(
        w.deny(
            "rm",
            Command::AddManagedNode {
                role: s("ssa"),
                node: s("eng"),
                cascade: None
            }
        ),
        MissingPrivilege
    );
    w.ok(
        "rm",
        Command::RemoveRoleMember {
            role: s("ssa"),
            user: s("alice"),
        },
    );
    assert!(!w.s.is_sa("alice"));
}

#[test]
fn r4_cascade_covers_the_subtree_as_it_is_at_decision_time() {
    let mut w = World::new();
    w.user("sa", "eng");
    w.user("alice", "sales");
    w.user("bob", "sales_eu");
    w.sa_role("ssa", "sales", false, &["sa"]);
    assert!(w.s.manages("sa", "alice"));
    assert!(
        !w.s.manages("sa", "bob"),
        "cascade off: child nodes are not covered"
    );
    // --add-admin on a managed node changes only the cascade flag.
    w.ok(
        "admin",
        Command::AddManagedNode {
            role: s("ssa"),
            node: s("sales"),
            cascade: Some(true),
        },
    );
    let e = &w.s.role("ssa").unwrap().entries["sales"];
    assert!(e.cascade && e.privileges.contains(&Privilege::SharingAdministrator));
    assert!(w.s.manages("sa", "bob"));
    // Created under it later: covered.
    w.node("sales_us", "sales");
    w.user("uma", "sales_us");
    assert!(w.s.manages("sa", "uma"));
    // Moved out: not covered.
    w.ok(
        "admin",
        Command::UpdateNode {
            node: s("sales_eu"),
            name: None,
            parent: Some(s("eng")),
        },
    );
    assert!(!w.s.manages("sa", "bob"));
    // A new entry defaults to off.
    w.ok(
        "admin",
        Command::AddManagedNode {
            role: s("ssa"),
            node: s("eng"),
            cascade: None,
        },
    );
    assert!(!w.s.role("ssa").unwrap().entries["eng"].cascade);
}

#[test]
fn r5_no_managed_node_entry_while_a_member_is_invited() {
    let mut w = World::new();
    w.user_with_status("ivan", "sales", UserStatus::Invited);
    w.role("r", "sales", &[], &["ivan"]);
    assert_eq!(
        w.deny(
            "admin",
            Command::AddManagedNode {
                role: s("r"),
                node: s("sales"),
                cascade: None
            }
        ),
        RoleHasInvitedUsers
    );
    w.commit(vec![porthole_access::Change::SetUserStatus {
        user: s("ivan"),
        status: UserStatus::Active,
    }]);
    w.ok(
        "admin",
        Command::AddManagedNode {
            role: s("r"),
            node: s("sales"),
            cascade: None,
        },
    );
    // And the converse: an invited user cannot join a role that has entries.
    w.user_with_status("ivy", "sales", UserStatus::Invited);
    assert_eq!(
        w.deny(
            "admin",
            Command::AddRoleMember {
                role: s("r"),
                user: s("ivy")
            }
        ),
        RoleHasInvitedUsers
    );
}

#[test]
fn r6_default_administrator_role_is_share_admin_until_explicitly_removed() {
    let mut w = World::new();
    w.user("alice", "sales");
    w.user("bob", "sales_eu");
    let role = w.s.role("acme-admins").unwrap().clone();
    assert!(role.default_admin);
    assert_eq!(role.name, "Administrator");
    let e = &role.entries["acme"];
    assert!(e.cascade);
    assert!(e.privileges.contains(&Privilege::SharingAdministrator));
    assert!(e.privileges.contains(&Privilege::MonitorSessions));
    assert!(!e.privileges.contains(&Privilege::ManageCompanies));
    assert!(w.s.is_sa("admin"));
    assert!(w.s.manages("admin", "alice") && w.s.manages("admin", "bob"));
    // Only an explicit --remove-privilege removes it.
    assert_eq!(
        w.deny(
            "admin",
            Command::DeleteRole {
                role: s("acme-admins")
            }
        ),
        MissingPrivilege
    );
    assert_eq!(
        w.deny(
            "admin",
            Command::RemoveManagedNode {
                role: s("acme-admins"),
                node: s("acme")
            }
        ),
        MissingPrivilege
    );
    w.ok(
        "admin",
        Command::RemovePrivileges {
            roles: vec![s("acme-admins")],
            node: Some(s("acme")),
            privileges: vec![s("sharing_administrator")],
        },
    );
    assert!(!w.s.is_sa("admin"));
}

#[test]
fn r7_sa_scope_is_the_union_of_entries_and_never_outside_the_enterprise() {
    let mut w = World::new();
    w.node("eng_sub", "eng");
    w.enterprise("globex");
    w.user("sa", "sales");
    w.user("alice", "sales");
    w.user("bob", "sales_eu");
    w.user("carol", "eng");
    w.user("eve", "eng_sub");
    w.consumer("dave");
    w.user("erin", "globex");
    w.role(
        "multi",
        "acme",
        &[
            ("sales_eu", false, &[Privilege::SharingAdministrator]),
            ("eng", false, &[Privilege::SharingAdministrator]),
        ],
        &["sa"],
    );
    assert!(w.s.is_sa("sa"));
    assert!(w.s.manages("sa", "bob") && w.s.manages("sa", "carol"));
    // The SA need not be inside their own scope.
    assert!(!w.s.manages("sa", "sa") && !w.s.manages("sa", "alice"));
    assert!(!w.s.manages("sa", "eve"), "cascade off");
    assert!(!w.s.manages("sa", "dave"), "consumers are never managed");
    assert!(
        !w.s.manages("sa", "erin"),
        "other enterprises are never managed"
    );
    // A locked SA is no SA.
    w.commit(vec![porthole_access::Change::SetUserStatus {
        user: s("sa"),
        status: UserStatus::Locked,
    }]);
    assert!(!w.s.is_sa("sa") && !w.s.manages("sa", "bob"));
}

#[test]
fn r8_every_decision_uses_the_current_state() {
    let mut w = World::new();
    w.user("sa", "eng");
    w.user("alice", "sales");
    w.user("bob", "sales");
    w.user("carol", "sales");
    w.sa_role("ssa", "sales", true, &["sa"]);
    let f = w.folder("alice", "f");
    w.member("alice", &f, "sa", false, false);
    w.ok("sa", share_user(&f, "bob", None, None));
    w.ok(
        "admin",
        Command::RemoveRoleMember {
            role: s("ssa"),
            user: s("sa"),
        },
    );
    assert_eq!(
        w.deny("sa", share_user(&f, "carol", None, None)),
        MissingManageUsers
    );
    w.ok(
        "admin",
        Command::AddRoleMember {
            role: s("ssa"),
            user: s("sa"),
        },
    );
    w.ok("sa", share_user(&f, "carol", None, None));
    // The owner moved out of scope: the very next decision reflects it.
    w.ok(
        "admin",
        Command::SetUserNode {
            user: s("alice"),
            node: s("eng"),
        },
    );
    assert_eq!(
        w.deny("sa", remove_user(&f, "carol")),
        FolderOwnerNotManaged
    );
}

// ----- B. Folder membership -----

#[test]
fn r9_creating_a_folder_makes_the_creator_owner_with_both_flags() {
    let mut w = World::new();
    w.user("alice", "sales");
    let f = w.folder("alice", "f");
    let folder = w.s.folder(&f).unwrap();
    assert_eq!(folder.owner, "alice");
    assert_eq!(folder.members["alice"], MemberFlags::ALL);
    assert_eq!(folder.defaults, FolderDefaults::default());
    let d = FolderDefaults {
        manage_users: true,
        manage_records: false,
        can_edit: true,
        can_share: false,
    };
    let g = w.folder_with("alice", "g", d);
    assert_eq!(w.s.folder(&g).unwrap().defaults, d);
    // Locked users cannot act at all.
    w.user_with_status("lou", "sales", UserStatus::Locked);
    assert_eq!(
        w.deny(
            "lou",
            Command::CreateFolder {
                id: s("h"),
                name: s("h"),
                defaults: FolderDefaults::default()
            }
        ),
        NotFound
    );
}

#[test]
fn r10_adding_a_member_uses_given_flags_or_the_current_defaults() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol", "sa", "dan"] {
        w.user(u, "sales");
    }
    w.user_with_status("lou", "sales", UserStatus::Locked);
    w.sa_role("ssa", "eng", false, &["sa"]);
    let f = w.folder_with(
        "alice",
        "f",
        FolderDefaults {
            manage_users: true,
            ..Default::default()
        },
    );
    w.ok("alice", share_user(&f, "bob", None, None));
    assert_eq!(
        w.s.folder(&f).unwrap().members["bob"],
        MemberFlags {
            manage_users: true,
            manage_records: false
        }
    );
    w.ok("alice", defaults(&f, Some(false), None, None, None));
    w.ok("alice", share_user(&f, "carol@acme.test", None, Some(true)));
    assert_eq!(
        w.s.folder(&f).unwrap().members["carol"],
        MemberFlags {
            manage_users: false,
            manage_records: true
        }
    );
    assert_eq!(
        w.deny("alice", share_user(&f, "nobody@acme.test", None, None)),
        TargetInvalid
    );
    assert_eq!(
        w.deny("alice", share_user(&f, "lou", None, None)),
        TargetInactive
    );
    // Nobody can add themselves to a folder they are not in: no reference.
    assert_eq!(
        w.deny("dan", share_user(&f, "dan", Some(true), Some(true))),
        NotFound
    );
    assert_eq!(
        w.deny("carol", share_user(&f, "dan", None, None)),
        MissingManageUsers
    );
    // Anyone with mu may add an SA; no privilege needed.
    w.ok("bob", share_user(&f, "sa", None, None));
    // Adding an existing member is a flag change.
    w.ok("alice", share_user(&f, "bob", Some(false), None));
    assert_eq!(
        w.s.folder(&f).unwrap().members["bob"],
        MemberFlags::default()
    );
}

#[test]
fn r11_owner_flags_are_immutable_and_nobody_changes_their_own() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol", "sa"] {
        w.user(u, "sales");
    }
    w.sa_role("ssa", "sales", true, &["sa"]);
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", true, false);
    w.member("alice", &f, "carol", false, false);
    w.member("alice", &f, "sa", false, false);
    assert_eq!(
        w.deny("bob", share_user(&f, "alice", Some(false), None)),
        OwnerImmutable
    );
    assert_eq!(
        w.deny("alice", share_user(&f, "alice", Some(false), None)),
        OwnerImmutable
    );
    assert_eq!(
        w.deny("bob", share_user(&f, "bob", None, Some(true))),
        SelfEscalation
    );
    assert_eq!(
        w.deny("bob", share_user(&f, "bob", Some(false), None)),
        SelfEscalation,
        "even lowering"
    );
    assert_eq!(
        w.deny("carol", share_user(&f, "carol", Some(true), None)),
        SelfEscalation
    );
    assert_eq!(
        w.deny("sa", share_user(&f, "sa", Some(true), Some(true))),
        SelfEscalation,
        "whatever the authority"
    );
    w.ok("bob", share_user(&f, "carol", Some(true), None));
    w.ok("sa", share_user(&f, "carol", None, Some(true)));
}

#[test]
fn r12_removing_leaving_and_owner_hand_over() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol", "sa", "dan"] {
        w.user(u, "sales");
    }
    w.sa_role("ssa", "sales", true, &["sa"]);
    let f = w.folder("alice", "f");
    let c = w.conn_in("alice", "c", &f);
    w.member("alice", &f, "bob", true, false);
    w.member("alice", &f, "carol", false, false);
    w.member("alice", &f, "sa", false, false);
    w.member("alice", &f, "dan", false, false);
    assert_eq!(w.deny("carol", remove_user(&f, "dan")), MissingManageUsers);
    w.ok("carol", remove_user(&f, "carol")); // any non-owner may leave
    assert_eq!(w.deny("bob", remove_user(&f, "alice")), CannotRemoveOwner);
    assert_eq!(
        w.deny("sa", remove_user(&f, "alice")),
        CannotRemoveOwner,
        "SA elevation never lifts it"
    );
    assert_eq!(w.deny("alice", remove_user(&f, "alice")), NoSuccessor);
    let leave = |to: &str| Command::RemoveFolderUser {
        folder: f.clone(),
        user: s("alice"),
        new_owner: Some(s(to)),
    };
    assert_eq!(
        w.deny("alice", leave("bob")),
        NoSuccessor,
        "bob lacks manage_records"
    );
    assert_eq!(w.deny("alice", leave("carol")), NoSuccessor, "not a member");
    w.ok("alice", share_user(&f, "bob", Some(true), Some(true)));
    w.ok("alice", leave("bob"));
    let folder = w.s.folder(&f).unwrap();
    assert_eq!(folder.owner, "bob");
    assert!(!folder.members.contains_key("alice"));
    // She keeps owning her connection (R23).
    assert_eq!(w.s.connection(&c).unwrap().owner, "alice");
    assert!(w.s.access("alice", &c));
    // Being an SA gives no protection against removal.
    w.ok("bob", remove_user(&f, "sa"));
    assert!(!w.s.member("sa", &f));
}

#[test]
fn r13_losing_access_ends_sessions_links_and_joins() {
    let mut w = World::new();
    for u in ["alice", "bob", "sa"] {
        w.user(u, "sales");
    }
    w.sa_role("ssa", "sales", true, &["sa"]);
    let f = w.folder("alice", "f");
    let c = w.conn_in("alice", "c", &f);
    w.put_placement(&f, &c, false, true);
    w.put_profile(&c, "p", true);
    w.member("alice", &f, "bob", false, false);
    w.member("alice", &f, "sa", false, false);
    let live = vec![
        LiveSession {
            id: s("s1"),
            connection: c.clone(),
            originator: s("bob"),
            links: vec![LiveLink {
                id: s("l1"),
                profile: s("p"),
                minter: s("bob"),
            }],
            joins: vec![],
        },
        LiveSession {
            id: s("s2"),
            connection: c.clone(),
            originator: s("alice"),
            links: vec![],
            joins: vec![LiveJoin {
                id: s("j1"),
                user: s("sa"),
            }],
        },
    ];
    assert!(gateway::revalidate(&w.s, &live).is_empty());
    w.ok("alice", remove_user(&f, "bob"));
    assert_eq!(
        gateway::revalidate(&w.s, &live),
        vec![Revocation::EndSession {
            session: s("s1"),
            reason: RevokeReason::AccessLost
        }]
    );
    w.ok("alice", remove_user(&f, "sa"));
    let r = gateway::revalidate(&w.s, &live);
    assert!(r.contains(&Revocation::DropJoin {
        session: s("s2"),
        join: s("j1"),
        reason: RevokeReason::JoinNotAllowed
    }));
}

// ----- C. Connections in folders -----

#[test]
fn r14_linking_needs_manage_records_then_share_and_uses_defaults() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol"] {
        w.user(u, "sales");
    }
    let f = w.folder_with(
        "alice",
        "f",
        FolderDefaults {
            can_edit: true,
            ..Default::default()
        },
    );
    w.member("alice", &f, "bob", false, true);
    w.member("alice", &f, "carol", false, false);
    let cc = w.conn("carol", "cc");
    assert_eq!(
        w.deny("carol", link(&cc, &f)),
        MissingManageRecords,
        "folder side is checked first"
    );
    let ca = w.conn("alice", "ca");
    w.ok("alice", grant(&ca, "bob", false, false));
    assert_eq!(w.deny("bob", link(&ca, &f)), MissingCanShare);
    let ca2 = w.conn("alice", "ca2");
    w.ok("alice", grant(&ca2, "bob", false, true));
    let explicit = Command::LinkConnection {
        connection: ca2.clone(),
        folder: f.clone(),
        can_edit: Some(true),
        can_share: None,
    };
    assert_eq!(w.deny("bob", explicit), NotRecordOwner);
    assert!(
        !w.s.folder(&f).unwrap().records.contains_key(&ca2),
        "nothing changed"
    );
    w.ok("bob", link(&ca2, &f));
    assert_eq!(
        w.s.folder(&f).unwrap().records[&ca2],
        RecordFlags {
            can_edit: true,
            can_share: false
        }
    );
    // The owner may give explicit flags.
    let cb = w.conn("bob", "cb");
    w.ok(
        "bob",
        Command::LinkConnection {
            connection: cb.clone(),
            folder: f.clone(),
            can_edit: None,
            can_share: Some(true),
        },
    );
    assert_eq!(
        w.s.folder(&f).unwrap().records[&cb],
        RecordFlags {
            can_edit: true,
            can_share: true
        }
    );
    // Linking again: a no-op.
    assert!(w.ok("bob", link(&cb, &f)).is_noop());
    // `add --folder F`: needs mr; placed only there, with F's defaults at that moment.
    assert_eq!(
        w.deny(
            "carol",
            Command::CreateConnection {
                id: s("n1"),
                name: s("n1"),
                folder: Some(f.clone())
            }
        ),
        MissingManageRecords
    );
    w.ok("alice", defaults(&f, None, None, Some(false), Some(true)));
    let n = w.conn_in("bob", "n2", &f);
    let conn = w.s.connection(&n).unwrap();
    assert!(!conn.private);
    assert_eq!(conn.owner, "bob");
    assert_eq!(
        w.s.folder(&f).unwrap().records[&n],
        RecordFlags {
            can_edit: false,
            can_share: true
        }
    );
    // Without --folder: a private placement.
    assert!(w.s.connection(&cc).unwrap().private);
}

#[test]
fn r15_unlinking_needs_manage_records_whoever_owns_the_connection() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol", "dan"] {
        w.user(u, "sales");
    }
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", false, true);
    w.member("alice", &f, "carol", false, false);
    let cc = w.conn("carol", "cc");
    w.put_placement(&f, &cc, false, false);
    assert_eq!(w.deny("carol", unlink(&cc, &f)), MissingManageRecords);
    let other = w.conn("bob", "other");
    assert_eq!(w.deny("bob", unlink(&other, &f)), RecordNotInFolder);
    assert_eq!(w.deny("dan", unlink(&cc, &f)), NotFound);
    w.ok("bob", unlink(&cc, &f));
    assert!(!w.s.folder(&f).unwrap().records.contains_key(&cc));
    assert!(
        w.s.connection(&cc).unwrap().is_live(),
        "a private reference remains"
    );
}

#[test]
fn r16_last_reference_goes_to_the_owners_trash() {
    let mut w = World::new();
    w.user("alice", "sales");
    w.consumer("dave");
    let f = w.folder("alice", "f");
    w.member("alice", &f, "dave", false, true);
    let cd = w.conn_in("dave", "cd", &f);
    let kept = w.conn("dave", "kept");
    w.put_placement(&f, &kept, false, false);
    let o = w.ok("alice", unlink(&cd, &f));
    assert_eq!(
        o.trashed,
        vec![porthole_access::Trashed {
            connection: cd.clone(),
            owner: s("dave")
        }]
    );
    let c = w.s.connection(&cd).unwrap();
    assert_eq!((c.state, c.owner.as_str()), (ConnState::Trashed, "dave"));
    assert_eq!(views::trash_list(&w.s, "dave").len(), 1);
    assert!(
        views::trash_list(&w.s, "alice").is_empty(),
        "never the actor's trash"
    );
    let o = w.ok("alice", unlink(&kept, &f));
    assert!(o.trashed.is_empty());
    assert!(w.s.connection(&kept).unwrap().is_live());
}

#[test]
fn r17_moving_is_atomic_and_never_through_trash() {
    let mut w = World::new();
    for u in ["alice", "bob"] {
        w.user(u, "sales");
    }
    let f1 = w.folder("alice", "f1");
    let f2 = w.folder_with(
        "alice",
        "f2",
        FolderDefaults {
            can_share: true,
            ..Default::default()
        },
    );
    w.member("alice", &f1, "bob", false, true);
    w.member("alice", &f2, "bob", false, false);
    let c = w.conn_in("bob", "c", &f1);
    let mv = Command::MoveConnection {
        connection: c.clone(),
        from: f1.clone(),
        to: f2.clone(),
    };
    assert_eq!(w.deny("bob", mv.clone()), MissingManageRecords);
    assert!(
        w.s.folder(&f1).unwrap().records.contains_key(&c),
        "nothing changed"
    );
    w.ok("alice", share_user(&f2, "bob", None, Some(true)));
    let o = w.ok("bob", mv);
    assert!(o.trashed.is_empty());
    assert!(!w.s.folder(&f1).unwrap().records.contains_key(&c));
    assert_eq!(
        w.s.folder(&f2).unwrap().records[&c],
        RecordFlags {
            can_edit: false,
            can_share: true
        }
    );
    assert!(w.s.connection(&c).unwrap().is_live());
}

// ----- D. Folder defaults -----

#[test]
fn r18_defaults_need_folder_owner_and_are_not_retroactive() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol"] {
        w.user(u, "sales");
    }
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", true, true);
    let c = w.conn_in("alice", "c", &f);
    assert_eq!(
        w.deny("bob", defaults(&f, Some(true), None, None, None)),
        NotFolderOwner
    );
    w.ok(
        "alice",
        defaults(&f, Some(true), Some(true), Some(true), Some(true)),
    );
    let folder = w.s.folder(&f).unwrap();
    assert_eq!(
        folder.records[&c],
        RecordFlags::default(),
        "existing placements keep their flags"
    );
    w.ok("alice", share_user(&f, "carol", None, None));
    assert_eq!(w.s.folder(&f).unwrap().members["carol"], MemberFlags::ALL);
    let c2 = w.conn_in("alice", "c2", &f);
    assert_eq!(
        w.s.folder(&f).unwrap().records[&c2],
        RecordFlags {
            can_edit: true,
            can_share: true
        }
    );
}

// ----- E. Connection permissions and content -----

#[test]
fn r19_placement_flags_need_connection_owner_with_mr_or_record_tier() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol", "sa", "dan"] {
        w.user(u, "sales");
    }
    w.sa_role("ssa", "sales", true, &["sa"]);
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", false, true);
    w.member("alice", &f, "carol", false, false);
    w.member("alice", &f, "sa", false, false);
    let cb = w.conn_in("bob", "cb", &f);
    let cc = w.conn("carol", "cc");
    w.put_placement(&f, &cc, false, false);
    assert_eq!(
        w.deny("dan", placement_flags(&f, &cb, Some(true), None)),
        NotFound
    );
    let elsewhere = w.conn("bob", "elsewhere");
    assert_eq!(
        w.deny("bob", placement_flags(&f, &elsewhere, Some(true), None)),
        RecordNotInFolder
    );
    // The folder owner has no special right over other users' connections.
    w.commit(vec![porthole_access::Change::SetUserNode {
        user: s("bob"),
        node: s("eng"),
    }]);
    assert_eq!(
        w.deny("alice", placement_flags(&f, &cb, Some(true), None)),
        NotRecordOwner
    );
    assert_eq!(
        w.deny("carol", placement_flags(&f, &cc, Some(true), None)),
        MissingManageRecords
    );
    w.ok("bob", placement_flags(&f, &cb, Some(true), None));
    assert!(w.s.folder(&f).unwrap().records[&cb].can_edit);
    // Record tier: carol (sales) is managed by sa.
    let o = w.ok("sa", placement_flags(&f, &cc, None, Some(true)));
    assert!(is_sa_auth(&o.authority, Tier::Record));
    // bob moved to eng: sa's scope does not reach him.
    assert_eq!(
        w.deny("sa", placement_flags(&f, &cb, Some(false), None)),
        OwnerNotManaged
    );
}

#[test]
fn r20_direct_grants_owner_changes_others_only_add_within_their_rights() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol", "dan", "erin"] {
        w.user(u, "sales");
    }
    let c = w.conn("alice", "c");
    w.ok("alice", grant(&c, "bob", false, true));
    w.ok("alice", grant(&c, "dan", false, false));
    assert_eq!(
        w.deny("bob", grant(&c, "alice", false, false)),
        TargetIsOwner
    );
    assert_eq!(
        w.deny("alice", grant(&c, "alice", false, false)),
        TargetIsOwner
    );
    assert_eq!(w.deny("bob", grant(&c, "bob", true, true)), SelfEscalation);
    w.ok("bob", grant(&c, "carol", false, true));
    assert_eq!(w.deny("bob", grant(&c, "erin", true, false)), Escalation);
    assert_eq!(
        w.deny("bob", grant(&c, "carol", false, false)),
        NotRecordOwner,
        "may not change"
    );
    let revoke = |u: &str| Command::Revoke {
        connection: c.clone(),
        user: s(u),
        can_edit: false,
        can_share: false,
    };
    assert_eq!(
        w.deny("bob", revoke("carol")),
        NotRecordOwner,
        "may not revoke"
    );
    assert_eq!(
        w.deny("dan", grant(&c, "erin", false, false)),
        MissingCanShare
    );
    // The owner adds, changes and revokes any grant.
    w.ok("alice", grant(&c, "carol", true, true));
    assert_eq!(
        w.s.connection(&c).unwrap().grants["carol"],
        RecordFlags {
            can_edit: true,
            can_share: true
        }
    );
    w.ok(
        "alice",
        Command::Revoke {
            connection: c.clone(),
            user: s("carol"),
            can_edit: true,
            can_share: false,
        },
    );
    assert_eq!(
        w.s.connection(&c).unwrap().grants["carol"],
        RecordFlags {
            can_edit: false,
            can_share: true
        }
    );
    w.ok("alice", revoke("carol"));
    assert!(!w.s.connection(&c).unwrap().grants.contains_key("carol"));
    // cancel: every grant of the actor's connections to X.
    let c2 = w.conn("alice", "c2");
    w.ok("alice", grant(&c2, "dan", true, false));
    let o = w.ok("alice", Command::CancelShares { user: s("dan") });
    assert_eq!(o.changes.len(), 2);
    assert!(!w.s.access("dan", &c) && !w.s.access("dan", &c2));
}

#[test]
fn r21_editing_content_needs_can_edit() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol", "dan"] {
        w.user(u, "sales");
    }
    let f = w.folder("alice", "f");
    let c = w.conn_in("alice", "c", &f);
    w.member("alice", &f, "bob", false, false);
    assert_eq!(w.deny("bob", edit(&c)), MissingCanEdit);
    w.ok("alice", placement_flags(&f, &c, Some(true), None));
    assert_eq!(w.ok("bob", edit(&c)).authority, Authority::PlacementFlag);
    w.ok("alice", grant(&c, "carol", true, false));
    assert_eq!(w.ok("carol", edit(&c)).authority, Authority::Grant);
    let o = w.ok(
        "alice",
        Command::EditConnection {
            connection: c.clone(),
            name: Some(s("renamed")),
        },
    );
    assert_eq!(o.authority, Authority::Owner);
    assert_eq!(w.s.connection(&c).unwrap().name, "renamed");
    assert_eq!(w.deny("dan", edit(&c)), NotFound);
}

#[test]
fn r22_deleting_for_everyone_needs_owner_or_record_tier() {
    let mut w = World::new();
    for u in ["alice", "bob", "sa"] {
        w.user(u, "sales");
    }
    w.sa_role("ssa", "sales", true, &["sa"]);
    let f = w.folder("alice", "f");
    let c = w.conn("alice", "c");
    w.put_placement(&f, &c, true, true);
    w.ok("alice", grant(&c, "bob", true, true));
    let del = |c: &str| Command::DeleteConnection { connection: s(c) };
    assert_eq!(w.deny("bob", del(&c)), NotRecordOwner);
    let o = w.ok("alice", del(&c));
    assert_eq!(o.trashed[0].owner, "alice");
    let conn = w.s.connection(&c).unwrap();
    assert_eq!(conn.state, ConnState::Trashed);
    assert!(!conn.private && w.s.folders_holding(&c).is_empty());
    assert!(conn.grants.contains_key("bob"), "grants stay, dormant");
    assert!(!w.s.access("bob", &c));
    // Record tier may delete too.
    let c2 = w.conn("alice", "c2");
    w.ok("alice", grant(&c2, "sa", false, false));
    assert!(is_sa_auth(&w.ok("sa", del(&c2)).authority, Tier::Record));
}

#[test]
fn r23_the_owner_always_has_full_access() {
    let mut w = World::new();
    for u in ["alice", "bob"] {
        w.user(u, "sales");
    }
    let f = w.folder("bob", "f");
    w.member("bob", &f, "alice", false, true);
    let c = w.conn_in("alice", "c", &f);
    w.ok("bob", remove_user(&f, "alice"));
    assert!(!w.s.member("alice", &f));
    assert!(w.s.folder(&f).unwrap().records.contains_key(&c));
    assert_eq!(
        gateway::start_session(&w.s, "alice", &c),
        Decision::Allow {
            authority: Authority::Owner
        }
    );
    assert!(w.s.edit("alice", &c) && w.s.share("alice", &c));
}

// ----- F. Ownership transfer -----

#[test]
fn r24_who_may_transfer_and_to_whom() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol", "sa"] {
        w.user(u, "sales");
    }
    w.user_with_status("lou", "sales", UserStatus::Locked);
    w.consumer("dave");
    w.sa_role("ssa", "sales", true, &["sa"]);
    let c = w.conn("alice", "c");
    w.ok("alice", grant(&c, "carol", true, true));
    w.ok("alice", grant(&c, "sa", false, false));
    assert_eq!(
        w.deny("alice", transfer(&c, "nobody@acme.test")),
        TargetInvalid
    );
    assert_eq!(w.deny("alice", transfer(&c, "lou")), TargetInactive);
    assert_eq!(w.deny("alice", transfer(&c, "alice")), AlreadyOwner);
    assert_eq!(w.deny("carol", transfer(&c, "bob")), NotRecordOwner);
    assert_eq!(w.deny("sa", transfer(&c, "sa")), SelfTransfer);
    assert_eq!(w.deny("sa", transfer(&c, "dave")), TargetOutsideEnterprise);
    let o = w.ok("sa", transfer(&c, "bob"));
    assert!(is_sa_auth(&o.authority, Tier::Record));
    assert_eq!(w.s.connection(&c).unwrap().owner, "bob");
    // The owner may transfer outside the enterprise.
    let c2 = w.conn("alice", "c2");
    assert_eq!(
        w.ok("alice", transfer(&c2, "dave")).authority,
        Authority::Owner
    );
}

#[test]
fn r25_effect_of_a_transfer() {
    let mut w = World::new();
    for u in ["alice", "bob", "sa"] {
        w.user(u, "sales");
    }
    w.user("carol", "eng");
    w.sa_role("ssa", "sales", true, &["sa"]);
    let f = w.folder("alice", "f");
    w.member("alice", &f, "sa", false, false);
    let c = w.conn("alice", "c");
    w.put_placement(&f, &c, false, true);
    w.put_profile(&c, "p", false);
    w.ok("alice", grant(&c, "bob", true, false));
    w.ok("alice", grant(&c, "carol", false, false));
    assert!(w.s.sa_record("sa", &c));
    w.ok("alice", transfer(&c, "carol"));
    let conn = w.s.connection(&c).unwrap();
    assert_eq!(conn.owner, "carol");
    assert!(conn.private, "the private placement is now carol's");
    assert!(
        !conn.grants.contains_key("carol"),
        "grants are never to the owner"
    );
    assert!(
        !conn.grants.contains_key("alice"),
        "no grant is created for the previous owner"
    );
    assert_eq!(
        conn.grants["bob"],
        RecordFlags {
            can_edit: true,
            can_share: false
        }
    );
    assert!(conn.profiles.contains_key("p"));
    assert_eq!(
        w.s.folder(&f).unwrap().records[&c],
        RecordFlags {
            can_edit: false,
            can_share: true
        }
    );
    // alice keeps access through her folder only.
    assert_eq!(
        gateway::start_session(&w.s, "alice", &c),
        Decision::Allow {
            authority: Authority::MemberFlag
        }
    );
    assert!(!w.s.edit("alice", &c));
    // SA predicates follow the new owner (carol is outside sa's scope).
    assert!(!w.s.sa_record("sa", &c));
    // Without a folder, the previous owner is left without access.
    let c2 = w.conn("alice", "c2");
    w.ok("alice", transfer(&c2, "bob"));
    assert_eq!(
        gateway::start_session(&w.s, "alice", &c2),
        Decision::Deny(NotFound)
    );
}

#[test]
fn r26_bulk_transfer_reports_every_item() {
    let mut w = World::new();
    for u in ["alice", "bob", "sa"] {
        w.user(u, "sales");
    }
    w.user("carol", "eng");
    w.consumer("dave");
    w.sa_role("ssa", "sales", true, &["sa"]);
    let f = w.folder("alice", "f");
    w.member("alice", &f, "sa", false, false);
    w.member("alice", &f, "dave", false, true);
    w.member("alice", &f, "carol", false, true);
    let c1 = w.conn_in("alice", "web-prod-1", &f);
    let c2 = w.conn_in("dave", "lab-vnc", &f);
    let c3 = w.conn_in("carol", "db-admin", &f);
    let list = vec![c1.clone(), c2.clone(), c3.clone(), s("missing"), c1.clone()];
    let r = transfer_bulk(&w.s, "sa", &list, "bob");
    let statuses: Vec<Result<(), ReasonCode>> = r
        .items
        .iter()
        .map(|i| i.result.as_ref().map(|_| ()).map_err(|e| *e))
        .collect();
    assert_eq!(
        statuses,
        vec![
            Ok(()),
            Err(OwnerOutsideEnterprise),
            Err(OwnerNotManaged),
            Err(NotFound),
            Err(AlreadyOwner)
        ]
    );
    assert_eq!(
        (r.total(), r.successful(), r.failed(), r.exit_code()),
        (5, 1, 4, 1)
    );
    // A dry run changes nothing: the snapshot is untouched until the caller commits.
    assert_eq!(w.s.connection(&c1).unwrap().owner, "alice");
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["results"][1]["status"], "owner_outside_enterprise");
    assert_eq!(json["results"][0]["connection"], "web-prod-1");
    // Each item commits on its own.
    for item in &r.items {
        if let Ok(o) = &item.result {
            w.s.commit(&o.changes).unwrap();
        }
    }
    assert_eq!(w.s.connection(&c1).unwrap().owner, "bob");
    let c9 = w.conn("alice", "c9");
    let ok = transfer_bulk(&w.s, "alice", &[c9], "bob");
    assert_eq!(ok.exit_code(), 0);
}

// ----- G. Folder deletion and trash -----

#[test]
fn r27_deleting_a_folder_needs_folder_owner_level_and_trashes_last_references() {
    let mut w = World::new();
    for u in ["alice", "bob"] {
        w.user(u, "sales");
    }
    w.consumer("dave");
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", true, true);
    w.member("alice", &f, "dave", false, true);
    let cd = w.conn_in("dave", "cd", &f);
    let ca = w.conn("alice", "ca");
    w.put_placement(&f, &ca, false, false);
    let rmdir = Command::DeleteFolder { folder: f.clone() };
    assert_eq!(w.deny("bob", rmdir.clone()), NotFolderOwner);
    let o = w.ok("alice", rmdir);
    assert_eq!(
        o.trashed,
        vec![porthole_access::Trashed {
            connection: cd.clone(),
            owner: s("dave")
        }]
    );
    assert!(w.s.folder(&f).is_none());
    assert_eq!(w.s.connection(&cd).unwrap().state, ConnState::Trashed);
    assert!(w.s.connection(&ca).unwrap().is_live());
    assert!(w.s.folders_of("bob").is_empty());
}

#[test]
fn r28_trash_is_the_owners_alone() {
    let mut w = World::new();
    for u in ["alice", "bob", "carol"] {
        w.user(u, "sales");
    }
    let c = w.conn("alice", "c");
    w.ok("alice", grant(&c, "carol", true, false));
    w.put_profile(&c, "p", false);
    w.ok(
        "alice",
        Command::DeleteConnection {
            connection: c.clone(),
        },
    );
    assert_eq!(
        gateway::start_session(&w.s, "alice", &c),
        Decision::Deny(InTrash)
    );
    assert_eq!(w.deny("alice", edit(&c)), InTrash);
    assert_eq!(
        w.deny("alice", grant(&c, "nobody@x.test", false, false)),
        InTrash
    );
    assert_eq!(
        gateway::start_session(&w.s, "carol", &c),
        Decision::Deny(NotFound),
        "dormant grants give no visibility"
    );
    assert_eq!(
        w.deny(
            "carol",
            Command::TrashRestore {
                connection: c.clone()
            }
        ),
        NotFound
    );
    assert_eq!(
        w.deny(
            "admin",
            Command::TrashRestore {
                connection: c.clone()
            }
        ),
        NotFound,
        "not even an SA"
    );
    assert_eq!(views::trash_get(&w.s, "bob", &c).unwrap_err(), NotFound);
    assert_eq!(
        views::trash_get(&w.s, "alice", &c).unwrap().state,
        ConnState::Trashed
    );
    // Its sessions end.
    let live = vec![LiveSession {
        id: s("s"),
        connection: c.clone(),
        originator: s("carol"),
        links: vec![],
        joins: vec![],
    }];
    assert_eq!(
        gateway::revalidate(&w.s, &live),
        vec![Revocation::EndSession {
            session: s("s"),
            reason: RevokeReason::ConnectionTrashed
        }]
    );
    // Restore: private area only; dormant grants wake up.
    w.ok(
        "alice",
        Command::TrashRestore {
            connection: c.clone(),
        },
    );
    let conn = w.s.connection(&c).unwrap();
    assert!(conn.is_live() && conn.private && w.s.folders_holding(&c).is_empty());
    assert!(w.s.edit("carol", &c));
    assert_eq!(
        w.deny(
            "alice",
            Command::TrashRestore {
                connection: c.clone()
            }
        ),
        NotFound,
        "not in the trash"
    );
    // Unshare deletes the dormant grants; purge deletes for good.
    w.ok(
        "alice",
        Command::DeleteConnection {
            connection: c.clone(),
        },
    );
    w.ok(
        "alice",
        Command::TrashUnshare {
            connection: c.clone(),
        },
    );
    assert!(w.s.connection(&c).unwrap().grants.is_empty());
    w.ok(
        "alice",
        Command::TrashPurge {
            connection: c.clone(),
        },
    );
    assert!(w.s.connection(&c).is_none());
    assert!(views::trash_list(&w.s, "alice").is_empty());
}

// ----- H. Share Admin -----

/// sa (sales SA, cascade) with alice (sales, managed), carol (eng, unmanaged colleague),
/// dave (consumer), erin (globex).
fn sa_world() -> World {
    let mut w = World::new();
    w.enterprise("globex");
    for u in ["alice", "bob", "sa"] {
        w.user(u, "sales");
    }
    w.user("carol", "eng");
    w.user("erin", "globex");
    w.consumer("dave");
    w.sa_role("Sales SA", "sales", true, &["sa"]);
    w
}

#[test]
fn r29_two_tiers_folder_and_record() {
    let mut w = sa_world();
    // Folder tier over a consumer's folder: members, flags, records regardless of owner,
    // defaults, deletion.
    let f = w.folder("dave", "f");
    w.member("dave", &f, "sa", false, false);
    w.member("dave", &f, "bob", false, false);
    let cd = w.conn_in("dave", "cd", &f);
    w.put_placement(&f, &cd, false, false);
    let o = w.ok("sa", share_user(&f, "alice", None, None));
    assert!(is_sa_auth(&o.authority, Tier::Folder));
    w.ok("sa", share_user(&f, "bob", Some(true), None));
    w.ok("sa", remove_user(&f, "bob"));
    w.ok("sa", defaults(&f, None, None, Some(true), None));
    assert_eq!(
        w.deny("sa", edit(&cd)),
        OwnerOutsideEnterprise,
        "no record tier over a consumer's connection"
    );
    // Record tier over a managed owner's connection: edit, placement flags, grants,
    // transfer, profiles, sessions.
    let g = w.folder("alice", "g");
    w.member("alice", &g, "sa", false, false);
    let ca = w.conn_in("alice", "ca", &g);
    assert!(is_sa_auth(&w.ok("sa", edit(&ca)).authority, Tier::Record));
    w.ok("sa", placement_flags(&g, &ca, Some(true), Some(true)));
    w.ok("sa", grant(&ca, "bob", true, false));
    w.ok(
        "sa",
        Command::CreateProfile {
            connection: ca.clone(),
            id: s("p"),
            name: s("watch"),
            read_only: true,
        },
    );
    let sess = session("s1", &ca, "alice");
    assert!(gateway::kill_session(&w.s, Caller::User("sa"), &sess).is_allowed());
    // Never an owner, never past R11, R12, R34.
    assert!(w.s.fo("sa", &g) && w.s.folder(&g).unwrap().owner == "alice");
    assert_eq!(
        w.deny("sa", share_user(&g, "sa", Some(true), Some(true))),
        SelfEscalation
    );
    assert_eq!(w.deny("sa", remove_user(&g, "alice")), CannotRemoveOwner);
    assert_eq!(w.deny("sa", transfer(&ca, "sa")), SelfTransfer);
    assert_eq!(w.deny("sa", grant(&ca, "sa", true, true)), SelfEscalation);
    // And finally the folder tier deletes the consumer's folder.
    w.ok("sa", Command::DeleteFolder { folder: f.clone() });
    assert!(w.s.folder(&f).is_none());
}

#[test]
fn r30_elevation_only_over_objects_the_sa_was_added_to() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    let c = w.conn_in("alice", "c", &f);
    assert_eq!(w.deny("sa", share_user(&f, "bob", None, None)), NotFound);
    assert_eq!(
        w.deny("sa", Command::DeleteFolder { folder: f.clone() }),
        NotFound
    );
    assert_eq!(w.deny("sa", edit(&c)), NotFound);
    assert_eq!(
        gateway::start_session(&w.s, "sa", &c),
        Decision::Deny(NotFound)
    );
    // A grant gives record tier on the connection, but R19 needs membership of the folder.
    w.ok("alice", grant(&c, "sa", false, false));
    w.ok("sa", edit(&c));
    assert_eq!(
        w.deny("sa", placement_flags(&f, &c, Some(true), None)),
        NotFound
    );
}

#[test]
fn r31_record_tier_only_for_connections_of_managed_owners() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    for u in ["sa", "carol", "dave", "erin"] {
        w.member("alice", &f, u, false, true);
    }
    let ca = w.conn_in("alice", "ca", &f);
    let cc = w.conn_in("carol", "cc", &f);
    let cd = w.conn_in("dave", "cd", &f);
    let ce = w.conn_in("erin", "ce", &f);
    w.ok("sa", edit(&ca));
    assert_eq!(w.deny("sa", edit(&cc)), OwnerNotManaged);
    assert_eq!(w.deny("sa", edit(&cd)), OwnerOutsideEnterprise);
    assert_eq!(w.deny("sa", edit(&ce)), OwnerOutsideEnterprise);
    // Stored rights still apply: read-only access starts sessions.
    for c in [&ca, &cc, &cd, &ce] {
        assert!(gateway::start_session(&w.s, "sa", c).is_allowed());
    }
    assert!(!w.s.sa_record("sa", &cc) && !w.s.sa_record("sa", &cd));
}

#[test]
fn r32_folder_tier_for_foreign_owner() {
    let mut w = sa_world();
    let fd = w.folder("dave", "fd");
    let fe = w.folder("erin", "fe");
    let fc = w.folder("carol", "fc");
    let fa = w.folder("alice", "fa");
    w.member("dave", &fd, "sa", false, false);
    w.member("erin", &fe, "sa", false, false);
    w.member("carol", &fc, "sa", false, false);
    w.member("alice", &fa, "sa", false, false);
    let o = w.ok("sa", share_user(&fd, "bob", None, None));
    assert_eq!(
        o.authority,
        Authority::ShareAdmin {
            tier: Tier::Folder,
            basis: Basis::ForeignOwner
        }
    );
    assert!(is_sa_auth(
        &w.ok("sa", share_user(&fe, "bob", None, None)).authority,
        Tier::Folder
    ));
    assert_eq!(
        w.deny("sa", share_user(&fc, "bob", None, None)),
        FolderOwnerNotManaged
    );
    assert_eq!(
        w.deny("sa", defaults(&fc, Some(true), None, None, None)),
        FolderOwnerNotManaged
    );
    let o = w.ok("sa", share_user(&fa, "bob", None, None));
    assert!(matches!(
        o.authority,
        Authority::ShareAdmin {
            tier: Tier::Folder,
            basis: Basis::Entry { .. }
        }
    ));
}

#[test]
fn r33_share_admin_rights_are_computed_never_stored_and_revert() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    w.member("alice", &f, "sa", false, false);
    let c = w.conn_in("alice", "c", &f);
    w.ok("sa", share_user(&f, "bob", Some(true), None));
    w.ok("sa", placement_flags(&f, &c, Some(true), None));
    w.ok("sa", defaults(&f, None, Some(true), None, None));
    // Nothing stored for the SA.
    let folder = w.s.folder(&f).unwrap();
    assert_eq!(folder.members["sa"], MemberFlags::default());
    assert!(w.s.connection(&c).unwrap().grants.is_empty());
    assert_eq!(
        views::folder_view(&w.s, "alice", &f).unwrap().share_admins,
        vec![s("sa@acme.test")]
    );
    // Removed from the role: stored rights only, at once.
    w.ok(
        "admin",
        Command::RemoveRoleMember {
            role: s("Sales SA"),
            user: s("sa"),
        },
    );
    assert_eq!(
        w.deny("sa", share_user(&f, "carol", None, None)),
        MissingManageUsers
    );
    assert!(!w.s.mu("sa", &f) && !w.s.mr("sa", &f) && !w.s.fo("sa", &f));
    assert!(
        w.s.edit("sa", &c),
        "via the placement flag sa set while elevated: changes stay"
    );
    assert!(!w.s.share("sa", &c));
    assert!(w.s.member("bob", &f), "changes made while elevated stay");
    assert!(views::folder_view(&w.s, "alice", &f)
        .unwrap()
        .share_admins
        .is_empty());
}

#[test]
fn r34_no_self_escalation_by_any_authority() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    w.member("alice", &f, "sa", true, true);
    let c = w.conn_in("alice", "c", &f);
    assert_eq!(
        w.deny("sa", share_user(&f, "sa", Some(true), Some(true))),
        SelfEscalation
    );
    assert_eq!(w.deny("sa", grant(&c, "sa", true, true)), SelfEscalation);
    assert_eq!(w.deny("sa", transfer(&c, "sa")), SelfTransfer);
    // Enterprise rights too (see the crate docs): not into a role, not more privileges.
    assert_eq!(
        w.deny(
            "admin",
            Command::AddRoleMember {
                role: s("Sales SA"),
                user: s("admin")
            }
        ),
        SelfEscalation
    );
    w.ok(
        "admin",
        Command::AddManagedNode {
            role: s("acme-admins"),
            node: s("sales"),
            cascade: None,
        },
    );
    assert_eq!(
        w.deny(
            "admin",
            Command::AddPrivileges {
                roles: vec![s("acme-admins")],
                node: Some(s("sales")),
                privileges: vec![s("manage_user")]
            }
        ),
        SelfEscalation
    );
}

#[test]
fn r35_adding_and_removing_an_sa() {
    let mut w = sa_world();
    w.user("carl", "sales");
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", true, false);
    w.ok("bob", share_user(&f, "sa", None, None));
    assert!(w.s.sa_folder("sa", &f));
    w.ok("bob", remove_user(&f, "sa"));
    assert!(!w.s.sa_folder("sa", &f));
    // Single connection: whoever may add grants under R20 may add an SA.
    let c = w.conn("alice", "c");
    w.ok("alice", grant(&c, "carl", false, true));
    w.ok("carl", grant(&c, "sa", false, true));
    assert!(w.s.sa_record("sa", &c));
    assert!(w.s.edit("sa", &c));
    w.ok(
        "alice",
        Command::Revoke {
            connection: c.clone(),
            user: s("sa"),
            can_edit: false,
            can_share: false,
        },
    );
    assert!(!w.s.sa_record("sa", &c));
    assert_eq!(w.deny("sa", edit(&c)), NotFound);
}

// ----- I. What users see -----

#[test]
fn r36_info_views_list_share_admins_sorted() {
    let mut w = sa_world();
    w.user("aaa", "sales");
    w.user("sa_eng", "eng");
    w.sa_role("A SA", "sales", false, &["aaa"]);
    w.sa_role("Eng SA", "eng", false, &["sa_eng"]);
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", true, false);
    w.member("alice", &f, "sa", false, false);
    w.member("alice", &f, "aaa", false, false);
    w.member("alice", &f, "sa_eng", false, false);
    let c = w.conn_in("alice", "c", &f);
    let v = views::folder_view(&w.s, "bob", &f).unwrap();
    assert_eq!(v.owner, "alice@acme.test");
    assert_eq!(v.share_admins, vec![s("aaa@acme.test"), s("sa@acme.test")]);
    let sa_row = v.members.iter().find(|m| m.user == "sa").unwrap();
    assert!(
        !sa_row.manage_users && !sa_row.manage_records,
        "stored flags"
    );
    assert_eq!(v.records.len(), 1);
    assert!(v.members.windows(2).all(|p| p[0].email <= p[1].email));
    assert_eq!(views::folder_view(&w.s, "carol", &f).unwrap_err(), NotFound);
    let cv = views::connection_view(&w.s, "bob", &c).unwrap();
    assert_eq!(cv.owner, "alice@acme.test");
    assert_eq!(cv.share_admins, vec![s("aaa@acme.test"), s("sa@acme.test")]);
    assert_eq!(
        views::connection_view(&w.s, "carol", &c).unwrap_err(),
        NotFound
    );
}

#[test]
fn r37_user_search_lists_share_admins_first() {
    let mut w = sa_world();
    w.user("sa_eng", "eng");
    w.sa_role("Eng SA", "eng", false, &["sa_eng"]);
    w.user_with_status("lou", "sales", UserStatus::Locked);
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", false, false);
    let c = w.conn("alice", "c");
    w.ok("alice", grant(&c, "dave", false, false)); // shares with a consumer
    let g = w.folder("erin", "g");
    w.member("erin", &g, "alice", false, false); // a common folder with globex's erin
    let rows = views::user_search(&w.s, "alice", &f, None).unwrap();
    let names: Vec<(&str, bool, bool)> = rows
        .iter()
        .map(|r| (r.email.as_str(), r.share_admin, r.effective_here))
        .collect();
    assert_eq!(
        names,
        vec![
            ("admin@acme.test", true, true),
            ("sa@acme.test", true, true),
            ("sa_eng@acme.test", true, false),
            ("carol@acme.test", false, false),
            ("dave@mail.test", false, false),
            ("erin@globex.test", false, false),
        ]
    );
    let q = views::user_search(&w.s, "alice", &f, Some("CAROL")).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(
        views::user_search(&w.s, "bob", &f, None).unwrap_err(),
        MissingManageUsers
    );
    // A consumer: no SA group, no enterprise directory.
    let fd = w.folder("dave", "fd");
    let rows = views::user_search(&w.s, "dave", &fd, None).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.email.as_str()).collect::<Vec<_>>(),
        vec!["alice@acme.test"]
    );
    assert!(rows.iter().all(|r| !r.share_admin));
}

#[test]
fn r38_user_view_needs_manage_user_and_lists_share_admins() {
    let mut w = sa_world();
    w.user("hank", "eng");
    w.role(
        "HR eng",
        "eng",
        &[("eng", true, &[Privilege::ManageUser])],
        &["hank"],
    );
    let v = views::user_view(&w.s, "admin", "alice@acme.test").unwrap();
    assert_eq!(v.node, "sales");
    assert_eq!(
        v.share_admins,
        vec![s("admin@acme.test"), s("sa@acme.test")]
    );
    assert!(v.roles.is_empty());
    assert_eq!(
        views::user_view(&w.s, "admin", "sa").unwrap().roles,
        vec![s("Sales SA")]
    );
    assert_eq!(
        views::user_view(&w.s, "hank", "alice").unwrap_err(),
        MissingPrivilege
    );
    assert!(views::user_view(&w.s, "hank", "carol").is_ok());
    assert_eq!(
        views::user_view(&w.s, "admin", "erin").unwrap_err(),
        NotFound
    );
}

#[test]
fn r39_compliance_report_effective_rights_and_share_admin_token() {
    let mut w = sa_world();
    w.user("aud", "acme");
    w.user("bea", "sales_eu");
    w.role(
        "Audit",
        "sales",
        &[("sales", true, &[Privilege::RunComplianceReports])],
        &["aud"],
    );
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", false, false);
    w.member("alice", &f, "sa", false, false);
    w.member("alice", &f, "dave", false, true);
    let c = w.conn_in("alice", "c", &f);
    w.ok("alice", grant(&c, "carol", true, false));
    let c2 = w.conn("alice", "c2"); // the SA was not added: no row for them
    let _cd = w.conn_in("dave", "cd", &f); // consumer-owned: outside the report
    let _cb = w.conn("bea", "cb");
    let rows = views::compliance_report(&w.s, "aud", None, &[]).unwrap();
    let got: Vec<(String, String, Vec<&str>)> = rows
        .iter()
        .map(|r| (r.connection.clone(), r.user.clone(), r.permissions.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                c.clone(),
                s("alice@acme.test"),
                vec!["owner", "edit", "share"]
            ),
            (c.clone(), s("bob@acme.test"), vec!["read-only"]),
            (c.clone(), s("carol@acme.test"), vec!["edit"]),
            (c.clone(), s("dave@mail.test"), vec!["read-only"]),
            (
                c.clone(),
                s("sa@acme.test"),
                vec!["edit", "share", "share_admin"]
            ),
            (
                c2.clone(),
                s("alice@acme.test"),
                vec!["owner", "edit", "share"]
            ),
            (s("cb"), s("bea@acme.test"), vec!["owner", "edit", "share"]),
        ]
    );
    // --node narrows to a subtree, --username to owners.
    let eu = views::compliance_report(&w.s, "aud", Some("sales_eu"), &[]).unwrap();
    assert_eq!(eu.len(), 1);
    let by_owner = views::compliance_report(&w.s, "aud", None, &[s("bea@acme.test")]).unwrap();
    assert_eq!(by_owner.len(), 1);
    assert_eq!(
        views::compliance_report(&w.s, "bob", None, &[]).unwrap_err(),
        MissingPrivilege
    );
    // The SA leaving the role shows at once.
    w.ok(
        "admin",
        Command::RemoveRoleMember {
            role: s("Sales SA"),
            user: s("sa"),
        },
    );
    let rows = views::compliance_report(&w.s, "aud", None, &[]).unwrap();
    let sa_row = rows.iter().find(|r| r.user == "sa@acme.test").unwrap();
    assert_eq!(sa_row.permissions, vec!["read-only"]);
    let sf = views::shared_folder_report(&w.s, "aud", None).unwrap();
    assert_eq!(sf.len(), 1);
    assert_eq!(sf[0].members.len(), 4);
}

// ----- J. Gateway actions -----

#[test]
fn r40_starting_a_session_needs_access_read_only_included() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", false, false);
    let c = w.conn_in("alice", "c", &f);
    assert_eq!(
        gateway::start_session(&w.s, "bob", &c),
        Decision::Allow {
            authority: Authority::MemberFlag
        }
    );
    assert_eq!(
        gateway::start_session(&w.s, "alice", &c),
        Decision::Allow {
            authority: Authority::Owner
        }
    );
    w.ok("alice", grant(&c, "carol", false, false));
    assert_eq!(
        gateway::start_session(&w.s, "carol", &c),
        Decision::Allow {
            authority: Authority::Grant
        }
    );
    assert_eq!(
        gateway::start_session(&w.s, "erin", &c),
        Decision::Deny(NotFound)
    );
    assert_eq!(
        gateway::start_session(&w.s, "bob", "nope"),
        Decision::Deny(NotFound)
    );
}

#[test]
fn r41_sharing_profiles_need_edit_then_share() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", false, false);
    w.member("alice", &f, "sa", false, false);
    let c = w.conn_in("alice", "c", &f);
    let cd = w.conn("dave", "cd");
    w.ok("dave", grant(&cd, "sa", false, false));
    w.ok("alice", grant(&c, "carol", true, false));
    let create = |c: &str, id: &str, name: &str| Command::CreateProfile {
        connection: s(c),
        id: s(id),
        name: s(name),
        read_only: true,
    };
    assert!(gateway::list_profiles(&w.s, "bob", &c).is_allowed());
    assert_eq!(w.deny("bob", create(&c, "p1", "watch")), MissingCanEdit);
    assert_eq!(w.deny("carol", create(&c, "p1", "watch")), MissingCanShare);
    assert_eq!(
        gateway::manage_profiles(&w.s, "carol", &c),
        Decision::Deny(MissingCanShare)
    );
    w.ok("alice", create(&c, "p1", "watch"));
    assert_eq!(w.deny("alice", create(&c, "p2", "watch")), NameConflict);
    w.ok(
        "sa",
        Command::CloneProfile {
            connection: c.clone(),
            profile: s("p1"),
            id: s("p2"),
            name: s("watch 2"),
        },
    );
    assert!(
        w.s.connection(&c).unwrap().profiles["p2"].read_only,
        "clone copies read_only"
    );
    assert_eq!(w.deny("sa", create(&cd, "p3", "x")), OwnerOutsideEnterprise);
    w.ok(
        "alice",
        Command::EditProfile {
            connection: c.clone(),
            profile: s("p2"),
            name: None,
            read_only: Some(false),
        },
    );
    assert!(!w.s.connection(&c).unwrap().profiles["p2"].read_only);
}

#[test]
fn r42_deleting_a_profile_revokes_its_links() {
    let mut w = sa_world();
    let c = w.conn("alice", "c");
    w.put_profile(&c, "p", true);
    w.put_profile(&c, "q", false);
    let live = vec![LiveSession {
        id: s("s"),
        connection: c.clone(),
        originator: s("alice"),
        links: vec![
            LiveLink {
                id: s("l1"),
                profile: s("p"),
                minter: s("alice"),
            },
            LiveLink {
                id: s("l2"),
                profile: s("q"),
                minter: s("alice"),
            },
        ],
        joins: vec![],
    }];
    w.ok(
        "alice",
        Command::DeleteProfile {
            connection: c.clone(),
            profile: s("p"),
        },
    );
    assert_eq!(
        gateway::revalidate(&w.s, &live),
        vec![Revocation::RevokeLink {
            session: s("s"),
            link: s("l1"),
            reason: RevokeReason::ProfileDeleted
        }]
    );
    let l1 = LinkFacts {
        id: "l1",
        session: "s",
        connection: &c,
        profile: "p",
        minter: "alice",
        revoked: false,
    };
    assert_eq!(
        gateway::use_link(&w.s, &l1, true),
        Decision::Deny(LinkRevoked)
    );
}

#[test]
fn r43_minting_a_link_checks_in_order() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", false, false);
    let c = w.conn_in("alice", "c", &f);
    let bare = w.conn("alice", "bare");
    let sess = session("s", &c, "bob");
    let participant = Caller::LinkParticipant { user: Some("bob") };
    assert_eq!(
        gateway::mint_link(&w.s, participant, &sess, None).unwrap_err(),
        LinkParticipant
    );
    let ended = porthole_access::gateway::SessionFacts {
        active: false,
        ..sess
    };
    assert_eq!(
        gateway::mint_link(&w.s, Caller::User("bob"), &ended, None).unwrap_err(),
        SessionEnded
    );
    assert_eq!(
        gateway::mint_link(&w.s, Caller::User("alice"), &sess, None).unwrap_err(),
        NotSessionOriginator
    );
    let own = session("s2", &bare, "alice");
    assert_eq!(
        gateway::mint_link(&w.s, Caller::User("alice"), &own, None).unwrap_err(),
        NoSharingProfile
    );
    w.put_profile(&c, "p", true);
    w.put_profile(&c, "q", false);
    assert_eq!(
        gateway::mint_link(&w.s, Caller::User("bob"), &sess, None).unwrap_err(),
        ProfileRequired
    );
    assert_eq!(
        gateway::mint_link(&w.s, Caller::User("bob"), &sess, Some("zzz")).unwrap_err(),
        NotFound
    );
    assert_eq!(
        gateway::mint_link(&w.s, Caller::User("bob"), &sess, Some("p")).unwrap_err(),
        MissingCanShare
    );
    w.ok("alice", grant(&c, "bob", false, true));
    let permit = gateway::mint_link(&w.s, Caller::User("bob"), &sess, Some("p")).unwrap();
    assert_eq!(
        (permit.profile.as_str(), permit.read_only, permit.authority),
        ("p", true, Authority::Grant)
    );
    // Only one profile: it may be omitted.
    w.put_profile(&bare, "only", false);
    assert_eq!(
        gateway::mint_link(&w.s, Caller::User("alice"), &own, None)
            .unwrap()
            .profile,
        "only"
    );
    // An SA over a consumer's connection gets the scope reason.
    let cd = w.conn("dave", "cd");
    w.put_profile(&cd, "p", true);
    w.ok("dave", grant(&cd, "sa", false, false));
    let sd = session("s3", &cd, "sa");
    assert_eq!(
        gateway::mint_link(&w.s, Caller::User("sa"), &sd, None).unwrap_err(),
        OwnerOutsideEnterprise
    );
}

#[test]
fn r44_using_and_revoking_links() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", false, false);
    w.member("alice", &f, "sa", false, false);
    w.member("alice", &f, "carol", false, false);
    let c = w.conn_in("alice", "c", &f);
    w.put_profile(&c, "p", true);
    w.ok("alice", grant(&c, "bob", false, true));
    let link = LinkFacts {
        id: "l",
        session: "s",
        connection: &c,
        profile: "p",
        minter: "bob",
        revoked: false,
    };
    assert_eq!(
        gateway::use_link(&w.s, &link, true),
        Decision::Allow {
            authority: Authority::Originator
        }
    );
    assert_eq!(
        gateway::use_link(&w.s, &link, false),
        Decision::Deny(SessionEnded)
    );
    let revoked = LinkFacts {
        revoked: true,
        ..link
    };
    assert_eq!(
        gateway::use_link(&w.s, &revoked, false),
        Decision::Deny(LinkRevoked),
        "link_revoked wins"
    );
    // Who may revoke: minter/originator, owner, record tier; not others; not participants.
    let sess = session("s", &c, "bob");
    assert_eq!(
        gateway::revoke_link(&w.s, Caller::User("bob"), &link, &sess),
        Decision::Allow {
            authority: Authority::Originator
        }
    );
    assert_eq!(
        gateway::revoke_link(&w.s, Caller::User("alice"), &link, &sess),
        Decision::Allow {
            authority: Authority::Owner
        }
    );
    assert!(gateway::revoke_link(&w.s, Caller::User("sa"), &link, &sess).is_allowed());
    assert_eq!(
        gateway::revoke_link(&w.s, Caller::User("carol"), &link, &sess),
        Decision::Deny(NotRecordOwner)
    );
    assert_eq!(
        gateway::revoke_link(&w.s, Caller::LinkParticipant { user: None }, &link, &sess),
        Decision::Deny(LinkParticipant)
    );
    // The minter loses share: the link is no longer valid.
    w.ok("alice", grant(&c, "bob", false, false));
    assert_eq!(
        gateway::use_link(&w.s, &link, true),
        Decision::Deny(LinkRevoked)
    );
    // The connection is trashed: likewise.
    w.ok("alice", grant(&c, "bob", false, true));
    w.ok(
        "alice",
        Command::DeleteConnection {
            connection: c.clone(),
        },
    );
    assert_eq!(
        gateway::use_link(&w.s, &link, true),
        Decision::Deny(LinkRevoked)
    );
}

#[test]
fn r45_seeing_sessions() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", false, false);
    w.member("alice", &f, "sa", false, false);
    w.member("alice", &f, "carol", false, false);
    let c = w.conn_in("alice", "c", &f);
    let sess = session("s", &c, "bob");
    let see = |u: &str| gateway::see_session(&w.s, Caller::User(u), &sess);
    assert_eq!(
        see("bob"),
        Decision::Allow {
            authority: Authority::Originator
        }
    );
    assert_eq!(
        see("alice"),
        Decision::Allow {
            authority: Authority::Owner
        }
    );
    assert!(matches!(
        see("sa"),
        Decision::Allow {
            authority: Authority::ShareAdmin {
                tier: Tier::Record,
                ..
            }
        }
    ));
    assert_eq!(see("carol"), Decision::Deny(NotFound));
    assert_eq!(
        gateway::see_session(
            &w.s,
            Caller::LinkParticipant {
                user: Some("carol")
            },
            &sess
        ),
        Decision::Deny(LinkParticipant)
    );
    assert!(gateway::list_sessions(&w.s, Caller::User("carol"), Some(&c)).is_allowed());
    assert_eq!(
        gateway::list_sessions(&w.s, Caller::User("erin"), Some(&c)),
        Decision::Deny(NotFound)
    );
    assert_eq!(
        gateway::list_sessions(&w.s, Caller::LinkParticipant { user: None }, None),
        Decision::Deny(LinkParticipant)
    );
}

#[test]
fn r46_joining_from_active_sessions() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    for u in ["bob", "sa", "carol"] {
        w.member("alice", &f, u, false, false);
    }
    let c = w.conn_in("alice", "c", &f);
    w.ok("alice", grant(&c, "carol", true, true));
    let sess = session("s", &c, "bob");
    let join = |u: &str| gateway::join_session(&w.s, Caller::User(u), &sess);
    assert_eq!(
        join("alice"),
        Decision::Allow {
            authority: Authority::Owner
        }
    );
    assert!(join("sa").is_allowed());
    assert_eq!(
        join("carol"),
        Decision::Deny(NotRecordOwner),
        "can_share is not enough"
    );
    assert_eq!(join("erin"), Decision::Deny(NotFound));
    let ended = porthole_access::gateway::SessionFacts {
        active: false,
        ..sess
    };
    assert_eq!(
        gateway::join_session(&w.s, Caller::User("alice"), &ended),
        Decision::Deny(SessionEnded)
    );
    let cd = w.conn("dave", "cd");
    w.ok("dave", grant(&cd, "sa", false, false));
    let sd = session("sd", &cd, "dave");
    assert_eq!(
        gateway::join_session(&w.s, Caller::User("sa"), &sd),
        Decision::Deny(OwnerOutsideEnterprise)
    );
}

#[test]
fn r47_killing_a_session() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    for u in ["bob", "sa", "carol"] {
        w.member("alice", &f, u, false, false);
    }
    let c = w.conn_in("alice", "c", &f);
    let sess = session("s", &c, "bob");
    let kill = |u: &str| gateway::kill_session(&w.s, Caller::User(u), &sess);
    assert_eq!(
        kill("bob"),
        Decision::Allow {
            authority: Authority::Originator
        }
    );
    assert_eq!(
        kill("alice"),
        Decision::Allow {
            authority: Authority::Owner
        }
    );
    assert!(kill("sa").is_allowed());
    assert_eq!(kill("carol"), Decision::Deny(NotRecordOwner));
}

#[test]
fn r48_revalidation_after_changes_that_reduce_authority() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    for u in ["bob", "sa"] {
        w.member("alice", &f, u, false, false);
    }
    let c = w.conn_in("alice", "c", &f);
    w.put_profile(&c, "p", false);
    w.ok("alice", grant(&c, "bob", false, true));
    let live = vec![LiveSession {
        id: s("s"),
        connection: c.clone(),
        originator: s("bob"),
        links: vec![LiveLink {
            id: s("l"),
            profile: s("p"),
            minter: s("bob"),
        }],
        joins: vec![LiveJoin {
            id: s("j"),
            user: s("sa"),
        }],
    }];
    assert!(gateway::revalidate(&w.s, &live).is_empty());
    w.ok("alice", grant(&c, "bob", false, false)); // bob loses share, keeps access
    assert_eq!(
        gateway::revalidate(&w.s, &live),
        vec![Revocation::RevokeLink {
            session: s("s"),
            link: s("l"),
            reason: RevokeReason::MinterLostShare
        }],
        "the session continues"
    );
    w.ok(
        "admin",
        Command::RemoveRoleMember {
            role: s("Sales SA"),
            user: s("sa"),
        },
    );
    assert!(
        gateway::revalidate(&w.s, &live).contains(&Revocation::DropJoin {
            session: s("s"),
            join: s("j"),
            reason: RevokeReason::JoinNotAllowed
        })
    );
    w.ok(
        "admin",
        Command::SetUserStatus {
            user: s("bob"),
            status: UserStatus::Locked,
        },
    );
    assert_eq!(
        gateway::revalidate(&w.s, &live),
        vec![Revocation::EndSession {
            session: s("s"),
            reason: RevokeReason::OriginatorInactive
        }]
    );
}

// ----- K. Audit and errors -----

#[test]
fn r49_audit_records_authority_and_basis() {
    let mut w = sa_world();
    w.role(
        "Alpha SA",
        "acme",
        &[
            ("sales", true, &[Privilege::SharingAdministrator]),
            ("acme", true, &[Privilege::SharingAdministrator]),
        ],
        &["sa"],
    );
    w.role(
        "Zeta SA",
        "acme",
        &[("acme", true, &[Privilege::SharingAdministrator])],
        &["sa"],
    );
    let f = w.folder("alice", "f");
    w.member("alice", &f, "sa", false, false);
    let cmd = share_user(&f, "bob", None, None);
    let r = w.try_("sa", cmd.clone());
    let e = porthole_access::audit::audit_command("sa", &cmd, &r);
    assert_eq!(e.outcome, "allowed");
    assert_eq!(e.authority_column(), "share_admin");
    match e.authority.as_ref().unwrap().basis().unwrap() {
        Basis::Entry { role, node, .. } => {
            assert_eq!((role.as_str(), node.as_str()), ("Alpha SA", "Acme"))
        }
        b => panic!("{b:?}"),
    }
    let j = serde_json::to_value(&e).unwrap();
    assert_eq!(j["authority"]["authority"], "share_admin");
    assert_eq!(j["authority"]["basis"]["role"], "Alpha SA");
    assert_eq!(j["targets"][0]["type"], "folder");
    // Denied: reason, no authority.
    let cmd = share_user(&f, "sa", Some(true), None);
    let r = w.try_("sa", cmd.clone());
    let e = porthole_access::audit::audit_command("sa", &cmd, &r);
    assert_eq!(
        (e.outcome, e.reason, e.authority_column()),
        ("denied", Some(SelfEscalation), "self_escalation")
    );
    // Foreign owner basis.
    let fd = w.folder("dave", "fd");
    w.member("dave", &fd, "sa", false, false);
    let cmd = share_user(&fd, "bob", None, None);
    let e = porthole_access::audit::audit_command("sa", &cmd, &w.try_("sa", cmd.clone()));
    assert_eq!(
        serde_json::to_value(&e).unwrap()["authority"]["basis"],
        "foreign_owner"
    );
    // Gateway decisions are audited the same way.
    let d = gateway::start_session(&w.s, "erin", "nope");
    let e = porthole_access::audit::audit_decision(
        Some("erin"),
        "session.start",
        &[("connection", "nope")],
        &d,
    );
    assert_eq!(e.authority_column(), "not_found");
}

#[test]
fn r50_first_failing_check_decides_the_reason() {
    let mut w = sa_world();
    let f = w.folder("alice", "f");
    w.member("alice", &f, "bob", false, false);
    let c = w.conn_in("alice", "c", &f);
    // 1 not_found before everything.
    assert_eq!(
        w.deny("carol", placement_flags(&f, "nope", Some(true), None)),
        NotFound
    );
    // 2 in_trash before usage and target checks.
    let t = w.conn("alice", "t");
    w.ok(
        "alice",
        Command::DeleteConnection {
            connection: t.clone(),
        },
    );
    assert_eq!(
        w.deny("alice", grant(&t, "nobody@x.test", true, true)),
        InTrash
    );
    // 3 usage before target and authority.
    w.put_profile(&c, "p", false);
    assert_eq!(
        w.deny(
            "bob",
            Command::CreateProfile {
                connection: c.clone(),
                id: s("q"),
                name: s("p"),
                read_only: false
            }
        ),
        NameConflict
    );
    let other = w.conn("bob", "other");
    assert_eq!(w.deny("bob", unlink(&other, &f)), RecordNotInFolder);
    // 4 target before authority.
    assert_eq!(
        w.deny("bob", share_user(&f, "alice", Some(false), None)),
        OwnerImmutable
    );
    assert_eq!(
        w.deny("bob", grant(&c, "nobody@x.test", false, false)),
        TargetInvalid
    );
    // 5 authority (scope reason for an SA) before 6.
    let fc = w.folder("carol", "fc");
    w.member("carol", &fc, "sa", false, false);
    let cc = w.conn_in("carol", "cc", &fc);
    assert_eq!(w.deny("sa", transfer(&cc, "dave")), OwnerNotManaged);
    // Exit codes.
    assert_eq!(
        (
            NotFound.exit_code(),
            NameConflict.exit_code(),
            OwnerImmutable.exit_code(),
            OwnerNotManaged.exit_code()
        ),
        (4, 2, 3, 3)
    );
    assert_eq!(
        serde_json::to_value(Decision::Deny(NotFound)).unwrap()["reason"],
        "not_found"
    );
}

#[test]
fn r51_session_oversight_with_monitor_sessions() {
    let mut w = sa_world();
    w.user("mon", "eng");
    w.role(
        "Sales monitor",
        "sales",
        &[("sales", true, &[Privilege::MonitorSessions])],
        &["mon"],
    );
    let ca = w.conn("alice", "ca");
    let cc = w.conn("carol", "cc");
    let cd = w.conn("dave", "cd");
    let sa_ = session("s1", &ca, "alice");
    let sc = session("s2", &cc, "carol");
    let sd = session("s3", &cd, "dave");
    let priv_ = Decision::Allow {
        authority: Authority::EnterprisePrivilege {
            privilege: Privilege::MonitorSessions,
        },
    };
    // The default Administrator holds it over everyone of the enterprise, without access.
    assert!(!w.s.access("admin", &ca));
    assert_eq!(
        gateway::see_session(&w.s, Caller::User("admin"), &sa_),
        priv_
    );
    assert_eq!(
        gateway::join_session(&w.s, Caller::User("admin"), &sc),
        priv_
    );
    assert_eq!(
        gateway::kill_session(&w.s, Caller::User("admin"), &sa_),
        priv_
    );
    assert_eq!(
        gateway::list_sessions(&w.s, Caller::User("admin"), Some(&cc)),
        priv_
    );
    // Scoped by the owner's node.
    assert_eq!(gateway::see_session(&w.s, Caller::User("mon"), &sa_), priv_);
    assert_eq!(
        gateway::see_session(&w.s, Caller::User("mon"), &sc),
        Decision::Deny(NotFound)
    );
    assert_eq!(
        gateway::join_session(&w.s, Caller::User("mon"), &sc),
        Decision::Deny(NotFound)
    );
    // Consumer-owned connections are never covered.
    assert_eq!(
        gateway::see_session(&w.s, Caller::User("admin"), &sd),
        Decision::Deny(NotFound)
    );
    // Everyone else: R45–R47.
    assert_eq!(
        gateway::see_session(&w.s, Caller::User("bob"), &sa_),
        Decision::Deny(NotFound)
    );
}
