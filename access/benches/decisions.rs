//! Decision latency on an enterprise of 10,000 users, 1,000 nodes, 1,000 folders and
//! 50,000 connections (the size), from a warm snapshot.
//!
//! Two measurements:
//! * a manual loop that times every single decision with `Instant` (≈20–40 ns of clock
//!   overhead included), sorts the samples and prints p50 / p99 / p99.9 / max per decision
//!   kind — the p99 target is ≤ 50 µs;
//! * criterion benches of the same decisions (mean per decision over a batch of varied
//!   inputs), plus `openable` (what a user can open), `revalidate` over 500 live
//!   sessions, and the snapshot build from rows.
//!
//! `cargo bench -p porthole-access --bench decisions` (set `ACCESS_BENCH_SAMPLES` to change
//! the manual loop's sample count, default 200,000 per kind).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code fails loudly

use criterion::{black_box, Criterion};
use porthole_access::gateway::{self, Caller, LiveLink, LiveSession, SessionFacts};
use porthole_access::model::{
    ConnState, FolderDefaults, MemberFlags, Privilege, RecordFlags, UserStatus,
};
use porthole_access::rows::*;
use porthole_access::{apply, views, Command, Snapshot};
use std::time::{Duration, Instant};

const USERS: usize = 10_000;
const CONSUMERS: usize = 500;
const NODES: usize = 1_000;
const FOLDERS: usize = 1_000;
const CONNECTIONS: usize = 50_000;
const SA_ROLES: usize = 50;

/// A small deterministic generator (no `rand` dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn uid(i: usize) -> String {
    format!("u{i:05}")
}
fn nid(i: usize) -> String {
    format!("n{i:04}")
}
fn fid(i: usize) -> String {
    format!("f{i:04}")
}
fn cid(i: usize) -> String {
    format!("c{i:05}")
}

struct World {
    snap: Snapshot,
    rows: SnapshotRows,
    /// (user, connection) pairs with access through a folder.
    member_pairs: Vec<(String, String)>,
    /// (owner, connection).
    owner_pairs: Vec<(String, String)>,
    /// (SA, connection) pairs where the SA is a member of a folder holding it.
    sa_pairs: Vec<(String, String)>,
    /// (member, folder) pairs.
    folder_members: Vec<(String, String)>,
}

fn build() -> World {
    let mut r = Lcg(0x5eed);
    let mut rows = SnapshotRows::default();
    rows.enterprises.push(EnterpriseRow {
        id: "acme".into(),
        name: "Acme".into(),
    });
    for i in 0..NODES {
        // Parents among the previous 50 nodes: a deep-ish, bushy tree.
        let parent = if i == 0 {
            None
        } else {
            Some(nid(i - 1 - r.below(i.min(50))))
        };
        rows.nodes.push(NodeRow {
            id: nid(i),
            enterprise_id: "acme".into(),
            parent_id: parent,
            name: nid(i),
        });
    }
    for i in 0..USERS {
        let consumer = i >= USERS - CONSUMERS;
        rows.users.push(UserRow {
            id: uid(i),
            email: format!("{}@acme.test", uid(i)),
            display_name: uid(i),
            status: UserStatus::Active,
            enterprise_id: (!consumer).then(|| "acme".into()),
            node_id: (!consumer).then(|| nid(if i == 0 { 0 } else { r.below(NODES) })),
        });
    }
    // The default Administrator role (u00000) and SA roles of 4 members each.
    rows.roles.push(RoleRow {
        id: "admins".into(),
        enterprise_id: "acme".into(),
        name: "Administrator".into(),
        home_node_id: nid(0),
        new_user: false,
        default_admin: true,
    });
    rows.role_nodes.push(RoleNodeRow {
        role_id: "admins".into(),
        node_id: nid(0),
        cascade: true,
    });
    for p in Privilege::default_admin_set() {
        rows.role_privileges.push(RolePrivilegeRow {
            role_id: "admins".into(),
            node_id: nid(0),
            privilege: p,
        });
    }
    rows.role_members.push(RoleMemberRow {
        role_id: "admins".into(),
        user_id: uid(0),
    });
    let mut sas = Vec::new();
    for k in 0..SA_ROLES {
        let role = format!("sa{k:02}");
        let node = nid(r.below(NODES));
        rows.roles.push(RoleRow {
            id: role.clone(),
            enterprise_id: "acme".into(),
            name: role.clone(),
            home_node_id: node.clone(),
            new_user: false,
            default_admin: false,
        });
        rows.role_nodes.push(RoleNodeRow {
            role_id: role.clone(),
            node_id: node.clone(),
            cascade: r.chance(70),
        });
        rows.role_privileges.push(RolePrivilegeRow {
            role_id: role.clone(),
            node_id: node.clone(),
            privilege: Privilege::SharingAdministrator,
        });
        if r.chance(30) {
            rows.role_privileges.push(RolePrivilegeRow {
                role_id: role.clone(),
                node_id: node,
                privilege: Privilege::MonitorSessions,
            });
        }
        for _ in 0..4 {
            let u = 1 + r.below(USERS - CONSUMERS - 1);
            if !rows
                .role_members
                .iter()
                .any(|m| m.role_id == role && m.user_id == uid(u))
            {
                rows.role_members.push(RoleMemberRow {
                    role_id: role.clone(),
                    user_id: uid(u),
                });
                sas.push(uid(u));
            }
        }
    }
    // Folders: ~20 members each, one SA among them.
    let mut members: Vec<Vec<String>> = Vec::with_capacity(FOLDERS);
    for i in 0..FOLDERS {
        let owner = uid(1 + r.below(USERS - 1));
        rows.folders.push(FolderRow {
            id: fid(i),
            name: fid(i),
            owner_id: owner.clone(),
            defaults: FolderDefaults {
                manage_users: false,
                manage_records: r.chance(30),
                can_edit: r.chance(50),
                can_share: r.chance(20),
            },
        });
        let mut m = vec![owner.clone()];
        rows.folder_members.push(FolderMemberRow {
            folder_id: fid(i),
            user_id: owner,
            flags: MemberFlags::ALL,
        });
        let sa = sas[r.below(sas.len())].clone();
        let picks: Vec<String> = std::iter::once(sa)
            .chain((0..19).map(|_| uid(1 + r.below(USERS - 1))))
            .collect();
        for u in picks {
            if m.contains(&u) {
                continue;
            }
            rows.folder_members.push(FolderMemberRow {
                folder_id: fid(i),
                user_id: u.clone(),
                flags: MemberFlags {
                    manage_users: r.chance(20),
                    manage_records: r.chance(30),
                },
            });
            m.push(u);
        }
        members.push(m);
    }
    // Connections: owners are folder members half of the time (so they can place them),
    // 0–2 placements (avg ~1.2), grants on 30 %, a profile on 20 %.
    let mut placed: Vec<Vec<usize>> = vec![Vec::new(); CONNECTIONS];
    let mut owners = Vec::with_capacity(CONNECTIONS);
    for (i, slots) in placed.iter_mut().enumerate() {
        let f0 = r.below(FOLDERS);
        let owner = if r.chance(50) {
            members[f0][r.below(members[f0].len())].clone()
        } else {
            uid(1 + r.below(USERS - 1))
        };
        let n = match r.below(10) {
            0..=2 => 0,
            3..=8 => 1,
            _ => 2,
        };
        let private = n == 0 || r.chance(50);
        rows.connections.push(ConnectionRow {
            id: cid(i),
            name: cid(i),
            owner_id: owner.clone(),
            state: ConnState::Live,
            private,
        });
        for k in 0..n {
            let f = if k == 0 { f0 } else { r.below(FOLDERS) };
            if slots.contains(&f) {
                continue;
            }
            slots.push(f);
            rows.placements.push(PlacementRow {
                folder_id: fid(f),
                connection_id: cid(i),
                flags: RecordFlags {
                    can_edit: r.chance(40),
                    can_share: r.chance(20),
                },
            });
        }
        if r.chance(30) {
            for _ in 0..1 + r.below(3) {
                let g = uid(1 + r.below(USERS - 1));
                if g != owner
                    && !rows
                        .grants
                        .iter()
                        .rev()
                        .take(3)
                        .any(|x| x.connection_id == cid(i) && x.user_id == g)
                {
                    rows.grants.push(GrantRow {
                        connection_id: cid(i),
                        user_id: g,
                        flags: RecordFlags {
                            can_edit: r.chance(50),
                            can_share: r.chance(30),
                        },
                    });
                }
            }
        }
        if r.chance(20) {
            rows.profiles.push(ProfileRow {
                id: format!("p{i:05}"),
                connection_id: cid(i),
                name: "watch".into(),
                read_only: true,
            });
        }
        owners.push(owner);
    }
    let snap = Snapshot::from_rows(rows.clone()).expect("consistent world");
    // Sample pairs.
    let mut member_pairs = Vec::new();
    let mut sa_pairs = Vec::new();
    let mut folder_members = Vec::new();
    for (c, slots) in placed.iter().enumerate() {
        for f in slots {
            let m = &members[*f];
            member_pairs.push((m[r.below(m.len())].clone(), cid(c)));
            for u in m {
                if snap.is_sa(u) && *u != owners[c] {
                    sa_pairs.push((u.clone(), cid(c)));
                }
            }
        }
    }
    for (f, m) in members.iter().enumerate() {
        for u in m {
            folder_members.push((u.clone(), fid(f)));
        }
    }
    let owner_pairs = owners
        .iter()
        .enumerate()
        .map(|(i, o)| (o.clone(), cid(i)))
        .collect();
    World {
        snap,
        rows,
        member_pairs,
        owner_pairs,
        sa_pairs,
        folder_members,
    }
}

/// One decision kind: a closure over a sample index.
type Decision<'a> = Box<dyn Fn(usize) -> bool + 'a>;

fn kinds(w: &World) -> Vec<(&'static str, Decision<'_>)> {
    let s = &w.snap;
    let n_users = USERS;
    vec![
        (
            "start_session (member, R40)",
            Box::new(move |i| {
                let (u, c) = &w.member_pairs[i % w.member_pairs.len()];
                gateway::start_session(s, u, c).is_allowed()
            }),
        ),
        (
            "start_session (random pair, mostly not_found)",
            Box::new(move |i| {
                let u = uid((i * 7919) % n_users);
                let c = cid((i * 104_729) % CONNECTIONS);
                gateway::start_session(s, &u, &c).is_allowed()
            }),
        ),
        (
            "edit connection (apply, SA paths, R21)",
            Box::new(move |i| {
                let (u, c) = &w.sa_pairs[i % w.sa_pairs.len()];
                apply(
                    s,
                    u,
                    &Command::EditConnection {
                        connection: c.clone(),
                        name: None,
                    },
                )
                .is_ok()
            }),
        ),
        (
            "add folder member (apply, R10)",
            Box::new(move |i| {
                let (u, f) = &w.folder_members[i % w.folder_members.len()];
                let target = uid((i * 31) % n_users);
                apply(
                    s,
                    u,
                    &Command::ShareFolderUser {
                        folder: f.clone(),
                        user: target,
                        manage_users: None,
                        manage_records: None,
                    },
                )
                .is_ok()
            }),
        ),
        (
            "mint link (R43)",
            Box::new(move |i| {
                let (u, c) = &w.owner_pairs[i % w.owner_pairs.len()];
                let sess = SessionFacts {
                    id: "s",
                    connection: c,
                    originator: u,
                    active: true,
                };
                gateway::mint_link(s, Caller::User(u), &sess, None).is_ok()
            }),
        ),
        (
            "kill session (R47/R51)",
            Box::new(move |i| {
                let (u, c) = &w.sa_pairs[i % w.sa_pairs.len()];
                let (o, _) = &w.owner_pairs[(i * 13) % w.owner_pairs.len()];
                let sess = SessionFacts {
                    id: "s",
                    connection: c,
                    originator: o,
                    active: true,
                };
                gateway::kill_session(s, Caller::User(u), &sess).is_allowed()
            }),
        ),
    ]
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn manual(w: &World) {
    let samples: usize = std::env::var("ACCESS_BENCH_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    println!(
        "\n== manual loop: {samples} timed decisions per kind (ns; Instant overhead included) =="
    );
    println!(
        "{:<48} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8}",
        "decision", "p50", "p90", "p99", "p99.9", "max", "allowed"
    );
    for (name, f) in kinds(w) {
        for i in 0..samples / 10 {
            black_box(f(i)); // warm up
        }
        let mut t = Vec::with_capacity(samples);
        let mut allowed = 0usize;
        for i in 0..samples {
            let start = Instant::now();
            let ok = black_box(f(black_box(i)));
            t.push(start.elapsed().as_nanos() as u64);
            allowed += usize::from(ok);
        }
        t.sort_unstable();
        println!(
            "{:<48} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7.0}%",
            name,
            percentile(&t, 0.50),
            percentile(&t, 0.90),
            percentile(&t, 0.99),
            percentile(&t, 0.999),
            t[t.len() - 1],
            100.0 * allowed as f64 / samples as f64
        );
    }
    // What a user can open: distribution over 2,000 users.
    let mut t = Vec::new();
    let mut sizes = Vec::new();
    for i in 0..2_000 {
        let u = uid((i * 4999) % USERS);
        let start = Instant::now();
        let v = black_box(views::openable(&w.snap, &u));
        t.push(start.elapsed().as_nanos() as u64);
        sizes.push(v.len());
    }
    t.sort_unstable();
    sizes.sort_unstable();
    println!(
        "{:<48} {:>8} {:>8} {:>8} {:>8} {:>9}   (list sizes p50 {} max {})",
        "openable(user)",
        percentile(&t, 0.50),
        percentile(&t, 0.90),
        percentile(&t, 0.99),
        percentile(&t, 0.999),
        t[t.len() - 1],
        sizes[sizes.len() / 2],
        sizes[sizes.len() - 1]
    );
    let start = Instant::now();
    let snap = Snapshot::from_rows(w.rows.clone()).expect("rows");
    println!(
        "snapshot build from rows: {:?} (rows clone included)",
        start.elapsed()
    );
    drop(snap);
    let start = Instant::now();
    let copy = w.snap.clone();
    println!("snapshot clone: {:?}", start.elapsed());
    drop(copy);
    println!(
        "world: {} users, {} nodes, {} folders ({} member rows), {} connections ({} placements, {} grants)\n",
        w.rows.users.len(),
        w.rows.nodes.len(),
        w.rows.folders.len(),
        w.rows.folder_members.len(),
        w.rows.connections.len(),
        w.rows.placements.len(),
        w.rows.grants.len()
    );
}

fn live_sessions(w: &World, n: usize) -> Vec<LiveSession> {
    (0..n)
        .map(|i| {
            let (u, c) = &w.member_pairs[(i * 97) % w.member_pairs.len()];
            LiveSession {
                id: format!("s{i}"),
                connection: c.clone(),
                originator: u.clone(),
                links: vec![LiveLink {
                    id: format!("l{i}"),
                    profile: "p".into(),
                    minter: u.clone(),
                }],
                joins: vec![],
            }
        })
        .collect()
}

fn criterion_benches(c: &mut Criterion, w: &World) {
    const BATCH: usize = 1_000;
    let mut g = c.benchmark_group("decision");
    g.throughput(criterion::Throughput::Elements(BATCH as u64));
    for (name, f) in kinds(w) {
        let mut offset = 0usize;
        g.bench_function(name, |b| {
            b.iter(|| {
                for i in 0..BATCH {
                    black_box(f(offset + i));
                }
                offset = offset.wrapping_add(BATCH);
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("list");
    let mut i = 0usize;
    g.bench_function("openable(user)", |b| {
        b.iter(|| {
            i += 1;
            black_box(views::openable(&w.snap, &uid((i * 4999) % USERS)))
        })
    });
    let live = live_sessions(w, 500);
    g.bench_function("revalidate(500 live sessions)", |b| {
        b.iter(|| black_box(gateway::revalidate(&w.snap, &live)))
    });
    g.finish();
}

fn main() {
    let start = Instant::now();
    let w = build();
    println!("generated the world in {:?}", start.elapsed());
    let quick = std::env::args().any(|a| a == "--test" || a == "--list");
    if !quick {
        manual(&w);
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    criterion_benches(&mut c, &w);
    c.final_summary();
}
