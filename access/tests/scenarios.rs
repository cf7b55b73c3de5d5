//! The FAQ cases of Keeper's Share Admin page, mapped onto Porthole (share-admin.md §7
//! notes 1–6), as end-to-end scenarios over the engine.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code fails loudly

mod common;

use common::*;
use porthole_access::gateway;
use porthole_access::model::{ConnState, FolderDefaults, MemberFlags, Privilege, RecordFlags};
use porthole_access::{views, Authority, Basis, Command, ReasonCode::*, Tier};

fn s(x: &str) -> String {
    x.to_owned()
}

/// "What happens to a consumer's shared folder with owned records, if the consumer shares
/// the folder with an enterprise user who is a Share Administrator, and the records have
/// read only access?" — the SA cannot change the consumer's record permissions (read
/// only), but manages the folder: users, defaults, deletion.
#[test]
fn faq_consumer_owned_read_only_records_in_a_folder_with_a_share_admin() {
    let mut w = World::new();
    w.user("sa", "sales");
    w.user("alice", "sales");
    w.consumer("dave");
    w.consumer("dora");
    w.sa_role("Sales SA", "sales", true, &["sa"]);
    let f = w.folder("dave", "holiday");
    let c1 = w.conn_in("dave", "nas", &f);
    let c2 = w.conn_in("dave", "router", &f);
    w.member("dave", &f, "dora", false, false);
    w.member("dave", &f, "sa", false, false);

    // Read-only on the consumer's records.
    assert!(gateway::start_session(&w.s, "sa", &c1).is_allowed());
    assert!(!w.s.edit("sa", &c1) && !w.s.share("sa", &c1));
    assert_eq!(w.deny("sa", edit(&c1)), OwnerOutsideEnterprise);
    assert_eq!(
        w.deny("sa", placement_flags(&f, &c1, Some(true), None)),
        OwnerOutsideEnterprise
    );
    assert_eq!(
        w.deny("sa", grant(&c1, "alice", false, false)),
        OwnerOutsideEnterprise
    );
    assert_eq!(w.deny("sa", transfer(&c1, "alice")), OwnerOutsideEnterprise);
    // But the folder: invite and remove users, change defaults.
    let o = w.ok("sa", share_user(&f, "alice", None, None));
    assert_eq!(
        o.authority,
        Authority::ShareAdmin {
            tier: Tier::Folder,
            basis: Basis::ForeignOwner
        }
    );
    w.ok("sa", remove_user(&f, "dora"));
    w.ok("sa", defaults(&f, Some(true), None, Some(true), None));
    assert_eq!(
        views::folder_view(&w.s, "dave", &f).unwrap().share_admins,
        vec![s("sa@acme.test")]
    );
    // Nor can the SA spread the consumer's read-only connection elsewhere (§7 note 4).
    let mine = w.folder("sa", "mine");
    assert_eq!(w.deny("sa", link(&c1, &mine)), OwnerOutsideEnterprise);
    // "…or even delete the shared folder": the records go to the consumer's trash.
    let o = w.ok("sa", Command::DeleteFolder { folder: f.clone() });
    assert_eq!(o.trashed.len(), 2);
    assert!(o.trashed.iter().all(|t| t.owner == "dave"));
    for c in [&c1, &c2] {
        assert_eq!(w.s.connection(c).unwrap().state, ConnState::Trashed);
        assert_eq!(w.s.connection(c).unwrap().owner, "dave");
    }
    assert_eq!(views::trash_list(&w.s, "dave").len(), 2);
    assert!(views::trash_list(&w.s, "sa").is_empty());
}

/// "A consumer shares the folder with two users of the same enterprise with Manage Records,
/// one of them a Share Admin. The non-SA adds a record. Can the SA manage users?" — yes, and
/// add/remove any record; and change permissions of the record the non-SA owns if the
/// non-SA is in a node the SA manages.
#[test]
fn faq_consumer_folder_with_an_sa_and_a_colleague_who_adds_a_record() {
    let mut w = World::new();
    w.user("sa", "sales");
    w.user("nick", "sales_eu"); // managed by sa (cascade)
    w.user("olga", "eng"); // not managed
    w.user("pat", "sales");
    w.consumer("dave");
    w.sa_role("Sales SA", "sales", true, &["sa"]);
    let f = w.folder("dave", "f");
    let cd = w.conn_in("dave", "dave-pc", &f);
    w.member("dave", &f, "sa", false, true);
    w.member("dave", &f, "nick", false, true);
    let cn = w.conn_in("nick", "nick-pc", &f);
    assert_eq!(
        w.s.folder(&f).unwrap().records[&cn],
        RecordFlags::default(),
        "read-only placement"
    );
    // Users: yes (folder tier over a consumer's folder).
    w.ok("sa", share_user(&f, "pat", None, None));
    w.ok("sa", share_user(&f, "pat", Some(true), None));
    w.ok("sa", remove_user(&f, "pat"));
    // Records: remove any, whoever owns it (nick's connection keeps his private? no: it
    // was created in the folder only, so unlinking sends it to nick's trash).
    let o = w.ok("sa", unlink(&cn, &f));
    assert_eq!(o.trashed[0].owner, "nick");
    w.ok(
        "nick",
        Command::TrashRestore {
            connection: cn.clone(),
        },
    );
    w.ok("nick", link(&cn, &f));
    // Record permissions of nick's record: yes (nick is managed).
    let o = w.ok("sa", placement_flags(&f, &cn, Some(true), Some(true)));
    assert!(matches!(
        o.authority,
        Authority::ShareAdmin {
            tier: Tier::Record,
            ..
        }
    ));
    w.ok("sa", grant(&cn, "pat", true, false));
    // …but not of the consumer's record.
    assert_eq!(
        w.deny("sa", placement_flags(&f, &cd, Some(true), None)),
        OwnerOutsideEnterprise
    );
    // Had the colleague been outside the SA's nodes, no record tier either.
    w.member("dave", &f, "olga", false, true);
    let co = w.conn_in("olga", "olga-pc", &f);
    assert_eq!(
        w.deny("sa", placement_flags(&f, &co, Some(true), None)),
        OwnerNotManaged
    );
    // Adding records: the SA's own, or ones they may share.
    let mine = w.conn("sa", "sa-pc");
    w.ok("sa", link(&mine, &f));
}

/// "A shared folder is shared between two businesses, with Share Admins from both." — each
/// SA edits the defaults, adds/removes users and records, and edits record permissions
/// only for records owned by their own managed users; removing the last reference sends
/// a record to its owner's trash.
#[test]
fn faq_two_businesses_in_one_folder() {
    let mut w = World::new();
    w.enterprise("globex");
    w.node("g_ops", "globex");
    w.user("acme_sa", "sales");
    w.user("alice", "sales");
    w.user("gina_sa", "g_ops");
    w.user("gus", "g_ops");
    w.sa_role("Acme SA", "sales", true, &["acme_sa"]);
    w.role(
        "Globex SA",
        "globex",
        &[("globex", true, &[Privilege::SharingAdministrator])],
        &["gina_sa"],
    );
    let f = w.folder("alice", "joint");
    for u in ["acme_sa", "gina_sa", "gus"] {
        w.member("alice", &f, u, false, true);
    }
    let ca = w.conn_in("alice", "acme-db", &f);
    let cg = w.conn_in("gus", "globex-db", &f);
    // Both SAs have folder tier: acme_sa manages alice; for gina_sa alice is foreign.
    assert!(w.s.sa_folder("acme_sa", &f) && w.s.sa_folder("gina_sa", &f));
    w.ok("acme_sa", defaults(&f, None, None, Some(true), None));
    w.ok("gina_sa", defaults(&f, None, None, None, Some(true)));
    w.user("gail", "g_ops");
    w.ok("gina_sa", share_user(&f, "gail@globex.test", None, None));
    w.ok("acme_sa", remove_user(&f, "gail"));
    // Record permissions: only for their own managed users' records.
    w.ok("acme_sa", placement_flags(&f, &ca, Some(true), None));
    assert_eq!(
        w.deny("acme_sa", placement_flags(&f, &cg, Some(true), None)),
        OwnerOutsideEnterprise
    );
    w.ok("gina_sa", placement_flags(&f, &cg, Some(true), None));
    assert_eq!(
        w.deny("gina_sa", placement_flags(&f, &ca, Some(false), None)),
        OwnerOutsideEnterprise
    );
    // Transfers stay inside each SA's own enterprise.
    assert_eq!(
        w.deny("gina_sa", transfer(&cg, "alice")),
        TargetOutsideEnterprise
    );
    // Removing a record whose last reference this is: the owner's trash, not the actor's.
    let o = w.ok("acme_sa", unlink(&cg, &f));
    assert_eq!(o.trashed[0].owner, "gus");
    assert_eq!(views::trash_list(&w.s, "gus").len(), 1);
    assert!(views::trash_list(&w.s, "acme_sa").is_empty());
    // And the Globex SA removes an Acme record the same way.
    let o = w.ok("gina_sa", unlink(&ca, &f));
    assert_eq!(o.trashed[0].owner, "alice");
}

/// "If a record is removed from the shared folder, and it is the last reference, it is
/// moved to the record owner's trash bin" — whoever removes it, whoever owns it.
#[test]
fn faq_removing_the_last_reference_moves_the_connection_to_its_owners_trash() {
    let mut w = World::new();
    w.enterprise("globex");
    w.user("alice", "sales");
    w.user("bob", "sales");
    w.user("erin", "globex");
    w.consumer("dave");
    let f1 = w.folder("alice", "f1");
    let f2 = w.folder("alice", "f2");
    for u in ["bob", "erin", "dave"] {
        w.member("alice", &f1, u, false, true);
        w.member("alice", &f2, u, false, true);
    }
    let ce = w.conn_in("erin", "ce", &f1);
    w.ok("erin", link(&ce, &f2));
    let cd = w.conn_in("dave", "cd", &f1);
    // Two references: removing one keeps it live.
    assert!(w.ok("bob", unlink(&ce, &f1)).trashed.is_empty());
    assert!(w.s.connection(&ce).unwrap().is_live());
    // The last one: into erin's trash (an external owner), by bob.
    let o = w.ok("bob", unlink(&ce, &f2));
    assert_eq!(
        (
            o.trashed[0].connection.as_str(),
            o.trashed[0].owner.as_str()
        ),
        (ce.as_str(), "erin")
    );
    // A consumer's, through folder deletion by its owner.
    let o = w.ok("alice", Command::DeleteFolder { folder: f1.clone() });
    assert_eq!(o.trashed[0].owner, "dave");
    assert_eq!(w.s.connection(&cd).unwrap().owner, "dave");
    assert_eq!(
        gateway::start_session(&w.s, "dave", &cd),
        porthole_access::Decision::Deny(InTrash)
    );
    w.ok(
        "dave",
        Command::TrashRestore {
            connection: cd.clone(),
        },
    );
    assert!(w.s.connection(&cd).unwrap().private);
}

/// "Can a Share Admin be removed from the Share Admin role? What happens to their
/// permissions?" — they revert to their previous (stored) folder permissions at once;
/// changes made while elevated stay. And any participant with "manage users" can remove
/// the SA from the folder.
#[test]
fn faq_removing_someone_from_the_share_admin_role_restores_their_previous_permissions() {
    let mut w = World::new();
    w.user("alice", "sales");
    w.user("bob", "sales");
    w.user("tom", "sales"); // a Keeper Administrator temporarily given SA
    w.user("carol", "sales");
    let f = w.folder("alice", "f");
    w.member("alice", &f, "tom", false, true); // previous permissions: manage records only
    w.member("alice", &f, "bob", true, false);
    let c = w.conn_in("alice", "c", &f);
    let before = (
        w.s.mu("tom", &f),
        w.s.mr("tom", &f),
        w.s.fo("tom", &f),
        w.s.edit("tom", &c),
        w.s.share("tom", &c),
    );
    assert_eq!(before, (false, true, false, false, false));

    w.sa_role("Temp SA", "sales", true, &[]);
    w.ok(
        "admin",
        Command::AddRoleMember {
            role: s("Temp SA"),
            user: s("tom"),
        },
    );
    assert_eq!(
        (
            w.s.mu("tom", &f),
            w.s.mr("tom", &f),
            w.s.fo("tom", &f),
            w.s.edit("tom", &c),
            w.s.share("tom", &c)
        ),
        (true, true, true, true, true)
    );
    // While elevated: tidy the folder.
    w.ok("tom", share_user(&f, "carol", Some(true), Some(true)));
    w.ok("tom", placement_flags(&f, &c, None, Some(true)));
    assert_eq!(
        w.s.folder(&f).unwrap().members["tom"],
        MemberFlags {
            manage_users: false,
            manage_records: true
        }
    );

    w.ok(
        "admin",
        Command::RemoveRoleMember {
            role: s("Temp SA"),
            user: s("tom"),
        },
    );
    assert_eq!(
        (
            w.s.mu("tom", &f),
            w.s.mr("tom", &f),
            w.s.fo("tom", &f),
            w.s.edit("tom", &c)
        ),
        (false, true, false, false),
        "back to the stored permissions"
    );
    assert!(
        w.s.share("tom", &c),
        "the placement flag he set stays (changes are not rolled back)"
    );
    assert!(w.s.member("carol", &f));
    assert_eq!(
        w.deny("tom", share_user(&f, "bob", Some(false), None)),
        MissingManageUsers
    );

    // Removing the privilege (not the membership) reverts the same way.
    w.ok(
        "admin",
        Command::AddRoleMember {
            role: s("Temp SA"),
            user: s("tom"),
        },
    );
    assert!(w.s.fo("tom", &f));
    w.ok(
        "admin",
        Command::RemovePrivileges {
            roles: vec![s("Temp SA")],
            node: Some(s("sales")),
            privileges: vec![s("sharing_administrator")],
        },
    );
    assert!(!w.s.fo("tom", &f));

    // "A Share Admin can be removed from a Shared Folder by any participant that has manage
    // users permission."
    w.ok(
        "admin",
        Command::AddPrivileges {
            roles: vec![s("Temp SA")],
            node: Some(s("sales")),
            privileges: vec![s("sharing_administrator")],
        },
    );
    assert!(w.s.sa_folder("tom", &f));
    w.ok("bob", remove_user(&f, "tom"));
    assert!(!w.s.member("tom", &f) && !w.s.access("tom", &c));
}

/// "Will Share Admin permission be turned on by default for the Keeper Administrator
/// role?" — yes; and the first administrator is in it.
#[test]
fn faq_share_admin_is_on_for_the_default_administrator_role() {
    let mut w = World::new();
    w.user("alice", "sales_eu");
    assert!(w.s.is_sa("admin"));
    assert!(w.s.manages("admin", "alice"));
    // Still must be added to folders (restriction 4).
    let f = w.folder_with("alice", "f", FolderDefaults::default());
    assert_eq!(
        w.deny("admin", share_user(&f, "alice", None, None)),
        NotFound
    );
    assert_eq!(
        views::user_view(&w.s, "admin", "alice")
            .unwrap()
            .share_admins,
        vec![s("admin@acme.test")]
    );
}
