//! Property tests over random worlds and random command sequences (by random actors,
//! Share Admins among them):
//!
//! * `share_admin_rights_never_appear_in_stored_data` (R33): every flag an allowed command
//!   stores is explained by the command and the stored data alone, and a command allowed
//!   both with and without the actor's Share Admin role stores exactly the same changes.
//! * `removing_the_privilege_never_leaves_a_right_behind` (R33): after any history, taking
//!   the SA privilege away (by membership, privilege or entry) leaves every effective right
//!   equal to the rights computed from stored data only.
//! * `no_sequence_of_allowed_actions_raises_ones_own_rights` (R34): a user acting alone
//!   never gains member flags, grants, ownership, access, roles or privileges on objects
//!   they did not create.
//!
//! Every committed change must also be accepted by the snapshot (its invariants hold).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code fails loudly

mod common;

use common::*;
use porthole_access::model::{FolderDefaults, MemberFlags, Privilege, RecordFlags, UserStatus};
use porthole_access::{apply, Change, Command, Snapshot};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const USERS: [&str; 9] = [
    "admin", "sa", "sa2", "alice", "bob", "carol", "dave", "erin", "ivan",
];
const FOLDERS: [&str; 3] = ["f0", "f1", "f2"];
const CONNS: [&str; 5] = ["c0", "c1", "c2", "c3", "c4"];
const NODES: [&str; 5] = ["acme", "sales", "sales_eu", "eng", "globex"];
const ROLES: [&str; 3] = ["acme-admins", "r_sales", "r_eng"];
const PROFILES: [&str; 2] = ["p0", "p1"];

/// The random part of the base world.
#[derive(Debug, Clone)]
struct Base {
    cascade_sales: bool,
    cascade_eng: bool,
    sales_members: [bool; 4],
    eng_members: [bool; 4],
}

fn base_strategy() -> impl Strategy<Value = Base> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<[bool; 4]>(),
        any::<[bool; 4]>(),
    )
        .prop_map(|(a, b, c, d)| Base {
            cascade_sales: a,
            cascade_eng: b,
            sales_members: c,
            eng_members: d,
        })
}

fn world(b: &Base) -> World {
    let mut w = World::new();
    w.enterprise("globex");
    w.user("sa", "eng");
    w.user("sa2", "sales");
    w.user("alice", "sales");
    w.user("bob", "sales_eu");
    w.user("carol", "eng");
    w.consumer("dave");
    w.user("erin", "globex");
    w.user_with_status("ivan", "sales", UserStatus::Invited);
    let candidates = ["sa", "sa2", "alice", "bob"];
    let pick = |mask: &[bool; 4]| -> Vec<&str> {
        candidates
            .iter()
            .zip(mask)
            .filter(|(_, m)| **m)
            .map(|(u, _)| *u)
            .collect()
    };
    let mut sales = pick(&b.sales_members);
    sales.push("sa");
    w.role(
        "r_sales",
        "sales",
        &[("sales", b.cascade_sales, &[Privilege::SharingAdministrator])],
        &sales,
    );
    let mut eng = pick(&b.eng_members);
    eng.push("sa2");
    w.role(
        "r_eng",
        "eng",
        &[(
            "eng",
            b.cascade_eng,
            &[Privilege::SharingAdministrator, Privilege::ManageRoles],
        )],
        &eng,
    );
    // A shared state for the random commands to work on: folders owned by a managed user,
    // a consumer and an (often) unmanaged colleague, SAs as members, grants.
    let d = FolderDefaults {
        can_edit: b.cascade_sales,
        can_share: b.cascade_eng,
        ..Default::default()
    };
    w.folder_with("alice", "f0", d);
    w.folder("dave", "f1");
    w.folder("carol", "f2");
    for (f, u, mu, mr) in [
        ("f0", "sa", false, false),
        ("f0", "sa2", false, true),
        ("f0", "bob", true, true),
        ("f0", "carol", false, false),
        ("f0", "dave", false, true),
        ("f1", "sa", false, false),
        ("f1", "alice", false, true),
        ("f1", "erin", false, true),
        ("f2", "sa", false, false),
        ("f2", "sa2", false, false),
        ("f2", "bob", false, true),
    ] {
        let owner = w.s.folder(f).unwrap().owner.clone();
        w.member(&owner, f, u, mu, mr);
    }
    w.conn_in("alice", "c0", "f0");
    w.conn_in("bob", "c1", "f0");
    w.conn_in("dave", "c2", "f1");
    w.ok("dave", link("c2", "f0"));
    w.conn_in("carol", "c3", "f2");
    w.ok("carol", grant("c3", "sa", false, false));
    w.conn_in("erin", "c4", "f1");
    w.ok("alice", grant("c0", "carol", false, true));
    w.ok("bob", grant("c1", "sa2", true, false));
    w.put_profile("c0", "p0", true);
    w
}

fn s(x: &str) -> String {
    x.to_owned()
}

fn ob() -> impl Strategy<Value = Option<bool>> {
    prop::option::of(any::<bool>())
}

fn cmd_strategy() -> impl Strategy<Value = Command> {
    let u = || (0..USERS.len()).prop_map(|i| s(USERS[i]));
    let f = || (0..FOLDERS.len()).prop_map(|i| s(FOLDERS[i]));
    let c = || (0..CONNS.len()).prop_map(|i| s(CONNS[i]));
    let n = || (0..NODES.len()).prop_map(|i| s(NODES[i]));
    let r = || (0..ROLES.len()).prop_map(|i| s(ROLES[i]));
    let p = || (0..PROFILES.len()).prop_map(|i| s(PROFILES[i]));
    prop_oneof![
        3 => (f(), any::<[bool; 4]>()).prop_map(|(id, d)| Command::CreateFolder {
            id: id.clone(),
            name: id,
            defaults: FolderDefaults { manage_users: d[0], manage_records: d[1], can_edit: d[2], can_share: d[3] },
        }),
        3 => (c(), prop::option::of(f())).prop_map(|(id, folder)| Command::CreateConnection { id: id.clone(), name: id, folder }),
        3 => (f(), u(), ob(), ob()).prop_map(|(folder, user, manage_users, manage_records)| Command::ShareFolderUser {
            folder,
            user,
            manage_users,
            manage_records
        }),
        3 => (f(), u(), prop::option::of(u())).prop_map(|(folder, user, new_owner)| Command::RemoveFolderUser { folder, user, new_owner }),
        3 => (f(), ob(), ob(), ob(), ob()).prop_map(|(folder, manage_users, manage_records, can_edit, can_share)| {
            Command::SetFolderDefaults { folder, manage_users, manage_records, can_edit, can_share }
        }),
        1 => f().prop_map(|folder| Command::DeleteFolder { folder }),
        3 => (c(), f(), ob(), ob()).prop_map(|(connection, folder, can_edit, can_share)| Command::LinkConnection {
            connection,
            folder,
            can_edit,
            can_share
        }),
        3 => (c(), f()).prop_map(|(connection, folder)| Command::UnlinkConnection { connection, folder }),
        3 => (c(), f(), f()).prop_map(|(connection, from, to)| Command::MoveConnection { connection, from, to }),
        3 => (f(), c(), ob(), ob()).prop_map(|(folder, connection, can_edit, can_share)| Command::SetPlacementFlags {
            folder,
            connection,
            can_edit,
            can_share
        }),
        3 => (c(), u(), ob(), ob()).prop_map(|(connection, user, can_edit, can_share)| Command::Grant { connection, user, can_edit, can_share }),
        3 => (c(), u(), any::<bool>(), any::<bool>())
            .prop_map(|(connection, user, can_edit, can_share)| Command::Revoke { connection, user, can_edit, can_share }),
        3 => u().prop_map(|user| Command::CancelShares { user }),
        3 => c().prop_map(|connection| Command::EditConnection { connection, name: None }),
        1 => c().prop_map(|connection| Command::DeleteConnection { connection }),
        3 => (c(), u()).prop_map(|(connection, user)| Command::Transfer { connection, user }),
        3 => c().prop_map(|connection| Command::TrashRestore { connection }),
        3 => c().prop_map(|connection| Command::TrashUnshare { connection }),
        1 => c().prop_map(|connection| Command::TrashPurge { connection }),
        3 => (c(), p(), any::<bool>()).prop_map(|(connection, id, read_only)| Command::CreateProfile {
            connection,
            id: id.clone(),
            name: id,
            read_only
        }),
        3 => (c(), p()).prop_map(|(connection, profile)| Command::DeleteProfile { connection, profile }),
        3 => (r(), u()).prop_map(|(role, user)| Command::AddRoleMember { role, user }),
        3 => (r(), u()).prop_map(|(role, user)| Command::RemoveRoleMember { role, user }),
        3 => (r(), n(), ob()).prop_map(|(role, node, cascade)| Command::AddManagedNode { role, node, cascade }),
        3 => (r(), n()).prop_map(|(role, node)| Command::AddPrivileges {
            roles: vec![role],
            node: Some(node),
            privileges: vec![s("sharing_administrator")]
        }),
        3 => (r(), n()).prop_map(|(role, node)| Command::RemovePrivileges {
            roles: vec![role],
            node: Some(node),
            privileges: vec![s("sharing_administrator")]
        }),
        3 => (u(), n()).prop_map(|(user, node)| Command::SetUserNode { user, node }),
    ]
}

/// Actors, biased towards the Share Admins and the folder owners.
fn actor() -> impl Strategy<Value = usize> {
    prop::sample::select(vec![0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 8])
}

fn steps(max: usize) -> impl Strategy<Value = Vec<(usize, Command)>> {
    prop::collection::vec((actor(), cmd_strategy()), 1..max)
}

/// `actor` without any Share Admin role membership.
fn without_sa(snap: &Snapshot, actor: &str) -> Snapshot {
    let mut out = snap.clone();
    let changes: Vec<Change> = snap
        .roles_of(actor)
        .iter()
        .filter(|r| {
            snap.role(r).is_some_and(|r| {
                r.entries
                    .values()
                    .any(|e| e.privileges.contains(&Privilege::SharingAdministrator))
            })
        })
        .map(|r| Change::RemoveRoleMember {
            role: r.clone(),
            user: actor.to_owned(),
        })
        .collect();
    out.commit(&changes).expect("remove SA");
    out
}

fn uid(snap: &Snapshot, r: &str) -> Option<String> {
    snap.resolve_user(r).map(|u| u.id.clone())
}

/// Is every flag stored by `changes` explained by `cmd` and the stored data of `snap`?
fn explained(
    snap: &Snapshot,
    actor: &str,
    cmd: &Command,
    changes: &[Change],
) -> Result<(), String> {
    for ch in changes {
        match ch {
            Change::PutMember(m) => {
                let f = snap.folder(&m.folder_id);
                let ok = match cmd {
                    Command::CreateFolder { id, .. } => {
                        id == &m.folder_id && m.user_id == actor && m.flags == MemberFlags::ALL
                    }
                    Command::ShareFolderUser {
                        folder,
                        user,
                        manage_users,
                        manage_records,
                    } => {
                        let f = f.ok_or("no folder")?;
                        let base = f
                            .members
                            .get(&m.user_id)
                            .copied()
                            .unwrap_or(f.defaults.member());
                        folder == &m.folder_id
                            && uid(snap, user).as_deref() == Some(m.user_id.as_str())
                            && m.user_id != actor
                            && m.flags
                                == MemberFlags {
                                    manage_users: manage_users.unwrap_or(base.manage_users),
                                    manage_records: manage_records.unwrap_or(base.manage_records),
                                }
                    }
                    _ => false,
                };
                if !ok {
                    return Err(format!("unexplained {ch:?} for {cmd:?}"));
                }
            }
            Change::PutPlacement(p) => {
                let f = snap.folder(&p.folder_id).ok_or("no folder")?;
                let d = f.defaults.placement();
                let old = f.records.get(&p.connection_id).copied();
                let ok = match cmd {
                    Command::CreateConnection { .. } | Command::MoveConnection { .. } => {
                        p.flags == d
                    }
                    Command::LinkConnection {
                        can_edit,
                        can_share,
                        ..
                    } => {
                        p.flags
                            == RecordFlags {
                                can_edit: can_edit.unwrap_or(d.can_edit),
                                can_share: can_share.unwrap_or(d.can_share),
                            }
                    }
                    Command::SetPlacementFlags {
                        can_edit,
                        can_share,
                        ..
                    } => {
                        let o = old.ok_or("no placement")?;
                        p.flags
                            == RecordFlags {
                                can_edit: can_edit.unwrap_or(o.can_edit),
                                can_share: can_share.unwrap_or(o.can_share),
                            }
                    }
                    _ => false,
                };
                if !ok {
                    return Err(format!("unexplained {ch:?} for {cmd:?}"));
                }
            }
            Change::PutGrant(g) => {
                let c = snap.connection(&g.connection_id).ok_or("no connection")?;
                let old = c.grants.get(&g.user_id).copied();
                // Only a revoke may write the actor's own grant (lowering it).
                let ok = (g.user_id != actor || matches!(cmd, Command::Revoke { .. }))
                    && match cmd {
                        Command::Grant {
                            can_edit,
                            can_share,
                            ..
                        } => {
                            let b = old.unwrap_or_default();
                            g.flags
                                == RecordFlags {
                                    can_edit: can_edit.unwrap_or(b.can_edit),
                                    can_share: can_share.unwrap_or(b.can_share),
                                }
                        }
                        Command::Revoke {
                            can_edit,
                            can_share,
                            ..
                        } => {
                            let o = old.ok_or("no grant")?;
                            g.flags
                                == RecordFlags {
                                    can_edit: o.can_edit && !can_edit,
                                    can_share: o.can_share && !can_share,
                                }
                        }
                        _ => false,
                    };
                if !ok {
                    return Err(format!("unexplained {ch:?} for {cmd:?}"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Stored-only rights (no Share Admin at all): (mu, mr, fo) and (edit, share).
fn stored_folder_rights(snap: &Snapshot, u: &str, f: &str) -> (bool, bool, bool) {
    let folder = snap.folder(f).unwrap();
    let own = folder.owner == u;
    let m = folder.members.get(u).copied().unwrap_or_default();
    (own || m.manage_users, own || m.manage_records, own)
}

fn stored_record_rights(snap: &Snapshot, u: &str, c: &str) -> (bool, bool) {
    let conn = snap.connection(c).unwrap();
    if !conn.is_live() {
        return (false, false);
    }
    if conn.owner == u {
        return (true, true);
    }
    let g = conn.grants.get(u).copied().unwrap_or_default();
    let mut e = g.can_edit;
    let mut sh = g.can_share;
    for f in snap.folders_holding(c) {
        let f = snap.folder(f).unwrap();
        if f.members.contains_key(u) {
            let p = f.records[c];
            e |= p.can_edit;
            sh |= p.can_share;
        }
    }
    (e, sh)
}

fn run(w: &mut World, steps: &[(usize, Command)]) -> Result<(), TestCaseError> {
    for (a, cmd) in steps {
        let actor = USERS[*a];
        if let Ok(o) = apply(&w.s, actor, cmd) {
            w.s.commit(&o.changes)
                .map_err(|e| TestCaseError::fail(format!("{cmd:?}: {e}")))?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn share_admin_rights_never_appear_in_stored_data(b in base_strategy(), steps in steps(60)) {
        let mut w = world(&b);
        for (a, cmd) in &steps {
            let actor = USERS[*a];
            let Ok(o) = apply(&w.s, actor, cmd) else { continue };
            explained(&w.s, actor, cmd, &o.changes).map_err(TestCaseError::fail)?;
            if w.s.is_sa(actor) {
                let plain = without_sa(&w.s, actor);
                if let Ok(o2) = apply(&plain, actor, cmd) {
                    prop_assert_eq!(&o.changes, &o2.changes, "{} {:?}", actor, cmd);
                }
            }
            w.s.commit(&o.changes).map_err(|e| TestCaseError::fail(format!("{cmd:?}: {e}")))?;
        }
    }

    #[test]
    fn removing_the_privilege_never_leaves_a_right_behind(b in base_strategy(), steps in steps(60), how in 0..3u8) {
        let mut w = world(&b);
        run(&mut w, &steps)?;
        let folders_before: Vec<_> = { let mut v: Vec<_> = w.s.folders().cloned().collect(); v.sort_by(|a, b| a.id.cmp(&b.id)); v };
        let conns_before: Vec<_> = { let mut v: Vec<_> = w.s.connections().cloned().collect(); v.sort_by(|a, b| a.id.cmp(&b.id)); v };
        let access_before: BTreeSet<(String, String)> = USERS.iter()
            .flat_map(|u| CONNS.iter().map(move |c| (s(u), s(c))))
            .filter(|(u, c)| w.s.access(u, c)).collect();
        // `openable` agrees with `access` and the effective rights, SA included.
        for u in USERS {
            let list = porthole_access::views::openable(&w.s, u);
            let ids: BTreeSet<String> = list.iter().map(|o| o.connection.clone()).collect();
            let expect: BTreeSet<String> = w.s.connections().filter(|c| w.s.access(u, &c.id)).map(|c| c.id.clone()).collect();
            prop_assert_eq!(ids, expect);
            for o in &list {
                prop_assert_eq!(o.rights, w.s.effective(u, &o.connection), "{} {}", u, o.connection);
            }
        }
        let mut removal = Vec::new();
        for r in w.s.roles() {
            for (n, e) in &r.entries {
                if !e.privileges.contains(&Privilege::SharingAdministrator) { continue; }
                match how {
                    0 => removal.extend(r.members.iter().map(|m| Change::RemoveRoleMember { role: r.id.clone(), user: m.clone() })),
                    1 => removal.push(Change::RemoveRolePrivilege { role: r.id.clone(), node: n.clone(), privilege: Privilege::SharingAdministrator }),
                    _ => removal.push(Change::RemoveRoleNode { role: r.id.clone(), node: n.clone() }),
                }
            }
        }
        w.s.commit(&removal).unwrap();
        // Stored data untouched by the removal…
        let folders_after: Vec<_> = { let mut v: Vec<_> = w.s.folders().cloned().collect(); v.sort_by(|a, b| a.id.cmp(&b.id)); v };
        let conns_after: Vec<_> = { let mut v: Vec<_> = w.s.connections().cloned().collect(); v.sort_by(|a, b| a.id.cmp(&b.id)); v };
        prop_assert_eq!(folders_before, folders_after);
        prop_assert_eq!(conns_before, conns_after);
        // …and every right is now exactly the stored one.
        for u in USERS {
            prop_assert!(!w.s.is_sa(u));
            for f in w.s.folders().map(|f| f.id.clone()).collect::<Vec<_>>() {
                prop_assert!(!w.s.sa_folder(u, &f));
                prop_assert_eq!((w.s.mu(u, &f), w.s.mr(u, &f), w.s.fo(u, &f)), stored_folder_rights(&w.s, u, &f), "{} {}", u, f);
            }
            for c in w.s.connections().map(|c| c.id.clone()).collect::<Vec<_>>() {
                prop_assert!(!w.s.sa_record(u, &c));
                prop_assert_eq!((w.s.edit(u, &c), w.s.share(u, &c)), stored_record_rights(&w.s, u, &c), "{} {}", u, c);
            }
        }
        let access_after: BTreeSet<(String, String)> = USERS.iter()
            .flat_map(|u| CONNS.iter().map(move |c| (s(u), s(c))))
            .filter(|(u, c)| w.s.access(u, c)).collect();
        prop_assert_eq!(access_before, access_after, "access never depended on SA");
    }

    #[test]
    fn no_sequence_of_allowed_actions_raises_ones_own_rights(
        b in base_strategy(),
        setup in steps(50),
        me in actor(),
        mine in prop::collection::vec(cmd_strategy(), 1..50),
    ) {
        let mut w = world(&b);
        run(&mut w, &setup)?;
        let me = USERS[me];
        let mut created: BTreeSet<String> = BTreeSet::new();
        let mut before = Rights::of(&w.s, me);
        for cmd in &mine {
            let Ok(o) = apply(&w.s, me, cmd) else { continue };
            match cmd {
                Command::CreateFolder { id, .. } | Command::CreateConnection { id, .. } => { created.insert(id.clone()); }
                _ => {}
            }
            w.s.commit(&o.changes).map_err(|e| TestCaseError::fail(format!("{cmd:?}: {e}")))?;
            let after = Rights::of(&w.s, me);
            after.within(&before, &created).map_err(|e| TestCaseError::fail(format!("{me}: {cmd:?}: {e}")))?;
            before = after;
        }
    }
}

/// The stored rights of one user (R34), plus access and enterprise rights.
#[derive(Debug, Clone)]
struct Rights {
    members: BTreeMap<String, MemberFlags>,
    owned_folders: BTreeSet<String>,
    grants: BTreeMap<String, RecordFlags>,
    owned: BTreeSet<String>,
    reach: BTreeSet<String>,
    roles: BTreeSet<String>,
    privileges: BTreeSet<(String, String, Privilege, bool)>,
}

impl Rights {
    fn of(snap: &Snapshot, u: &str) -> Rights {
        let members = snap
            .folders_of(u)
            .iter()
            .map(|f| (f.clone(), snap.folder(f).unwrap().members[u]))
            .collect();
        let owned_folders = snap
            .folders()
            .filter(|f| f.owner == u)
            .map(|f| f.id.clone())
            .collect();
        let grants = snap
            .granted_to(u)
            .iter()
            .map(|c| (c.clone(), snap.connection(c).unwrap().grants[u]))
            .collect();
        let owned: BTreeSet<String> = snap.owned_by(u).clone();
        let mut reach = owned.clone();
        reach.extend(
            snap.connections()
                .filter(|c| snap.access(u, &c.id))
                .map(|c| c.id.clone()),
        );
        let roles: BTreeSet<String> = snap.roles_of(u).clone();
        let mut privileges = BTreeSet::new();
        for r in &roles {
            for (n, e) in &snap.role(r).unwrap().entries {
                for p in &e.privileges {
                    privileges.insert((r.clone(), n.clone(), *p, e.cascade));
                }
            }
        }
        Rights {
            members,
            owned_folders,
            grants,
            owned,
            reach,
            roles,
            privileges,
        }
    }

    fn within(&self, old: &Rights, created: &BTreeSet<String>) -> Result<(), String> {
        for (f, m) in &self.members {
            if created.contains(f) {
                continue;
            }
            let o = old.members.get(f).ok_or(format!("became member of {f}"))?;
            if (m.manage_users && !o.manage_users) || (m.manage_records && !o.manage_records) {
                return Err(format!("raised own flags in {f}: {o:?} -> {m:?}"));
            }
        }
        for f in &self.owned_folders {
            if !created.contains(f) && !old.owned_folders.contains(f) {
                return Err(format!("took ownership of folder {f}"));
            }
        }
        for (c, g) in &self.grants {
            if created.contains(c) {
                continue;
            }
            let o = old.grants.get(c).ok_or(format!("gained a grant on {c}"))?;
            if !g.subset_of(*o) {
                return Err(format!("raised own grant on {c}"));
            }
        }
        for c in &self.owned {
            if !created.contains(c) && !old.owned.contains(c) {
                return Err(format!("took ownership of {c}"));
            }
        }
        for c in &self.reach {
            if !created.contains(c) && !old.reach.contains(c) {
                return Err(format!("gained access to {c}"));
            }
        }
        if !self.roles.is_subset(&old.roles) {
            return Err("joined a role".into());
        }
        for (r, n, p, cascade) in &self.privileges {
            // Present before with the same cascade, or cascade switched off (a reduction).
            let same = old
                .privileges
                .contains(&(r.clone(), n.clone(), *p, *cascade));
            let narrowed = !cascade && old.privileges.contains(&(r.clone(), n.clone(), *p, true));
            if !same && !narrowed {
                return Err(format!("gained {p} on {r}/{n} (cascade {cascade})"));
            }
        }
        Ok(())
    }
}
