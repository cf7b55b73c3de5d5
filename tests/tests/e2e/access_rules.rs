//! The access model (share-admin.md) through the real gateway: the gateway-facing rules
//! R40–R51 (starting, profiles, links, seeing, joining and killing sessions,
//! revalidation, audit, session oversight) and the REST of `/api/access/…` for the
//! entities and commands. Test names carry the rule they check.

use crate::fixture::*;
use crate::profiles::{add_owned_connection, add_user, call};
use porthole_testsuite::client::{Display, GuacClient};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// Opens `conn` as the holder of `token`; returns the tunnel and the session id.
async fn open_as(env: &Env, token: &str, conn: &str) -> (GuacClient, String) {
    let mut c = GuacClient::connect(&env.gw.tunnel_url(&query(token, conn)))
        .await
        .unwrap();
    let mut d = Display::default();
    read_until_painted(&mut c, &mut d).await;
    let uuid = c.uuid.clone().expect("tunnel uuid");
    let (st, s) = call(
        env,
        Method::GET,
        &format!("/api/tunnels/{uuid}/session"),
        token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{s}");
    (c, s["id"].as_str().unwrap().to_owned())
}

/// A tunnel that must be refused: its close status.
async fn refused(env: &Env, token: &str, conn: &str) -> Option<u16> {
    let mut c = GuacClient::connect(&env.gw.tunnel_url(&query(token, conn)))
        .await
        .unwrap();
    c.wait_closed(T).await.unwrap().status()
}

async fn grant(env: &Env, conn: &str, user: &str, flags: Value) -> (u16, Value) {
    call(
        env,
        Method::PUT,
        &format!("/api/access/connections/{conn}/grants/{user}"),
        &env.token,
        Some(flags),
    )
    .await
}

async fn add_profile(env: &Env, token: &str, conn: &str, name: &str) -> (u16, Value) {
    call(
        env,
        Method::POST,
        &format!("/api/connections/{conn}/sharing-profiles"),
        token,
        Some(json!({"name": name, "read_only": true})),
    )
    .await
}

/// Polls the audit trail until an event matching `f` shows up.
async fn audited(env: &Env, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let (_, page) = call(
            env,
            Method::GET,
            "/api/audit?per_page=500",
            &env.token,
            None,
        )
        .await;
        if let Some(e) = page["events"]
            .as_array()
            .and_then(|v| v.iter().find(|e| f(e)))
        {
            return e.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no such audit event in {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (R48: within 5 s) for a tunnel to be closed by the gateway.
async fn closed_within_5s(c: &mut GuacClient) {
    let r = tokio::time::timeout(Duration::from_secs(5), c.wait_closed(T)).await;
    assert!(r.is_ok(), "the tunnel was closed within 5 s");
}

#[tokio::test]
async fn r06_first_start_creates_the_default_enterprise_and_administrator_role() {
    let env = env().await;
    let (st, e) = call(
        &env,
        Method::GET,
        "/api/access/enterprise",
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{e}");
    let roles = e["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["name"], "Administrator");
    assert_eq!(roles[0]["default_admin"], true);
    let (st, r) = call(
        &env,
        Method::GET,
        "/api/access/roles/Administrator",
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{r}");
    let text = r.to_string();
    assert!(text.contains("sharing_administrator"), "{r}");
    assert!(text.contains("monitor_sessions"), "{r}");
    assert!(text.contains("admin@localhost"), "{r}");
}

#[tokio::test]
async fn r40_starting_a_session_needs_access_read_only_included() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    // No access: exactly like a missing connection.
    assert_eq!(refused(&env, &bob, &env.conn).await, Some(516));
    // A grant without any flag is enough to start a session.
    let (st, g) = grant(&env, &env.conn, "bob@localhost", json!({})).await;
    assert_eq!(st, 200, "{g}");
    let (_c, _session) = open_as(&env, &bob, &env.conn).await;
    let e = audited(&env, |e| {
        e["action"] == "session.start" && e["actor_name"] == "bob" && e["outcome"] == "allowed"
    })
    .await;
    assert_eq!(e["authority"], "grant");
    audited(&env, |e| {
        e["action"] == "session.start" && e["actor_name"] == "bob" && e["authority"] == "not_found"
    })
    .await;
}

#[tokio::test]
async fn r41_profiles_need_edit_then_share() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    grant(&env, &env.conn, "bob@localhost", json!({})).await;
    // Anyone with access lists the profiles.
    let (st, _) = call(
        &env,
        Method::GET,
        &format!("/api/connections/{}/sharing-profiles", env.conn),
        &bob,
        None,
    )
    .await;
    assert_eq!(st, 200);
    let (st, e) = add_profile(&env, &bob, &env.conn, "View").await;
    assert_eq!((st, &e["reason"]), (403, &json!("missing_can_edit")), "{e}");
    grant(&env, &env.conn, "bob@localhost", json!({"can_edit": true})).await;
    let (st, e) = add_profile(&env, &bob, &env.conn, "View").await;
    assert_eq!(
        (st, &e["reason"]),
        (403, &json!("missing_can_share")),
        "{e}"
    );
    grant(&env, &env.conn, "bob@localhost", json!({"can_share": true})).await;
    let (st, e) = add_profile(&env, &bob, &env.conn, "View").await;
    assert_eq!(st, 201, "{e}");
}

#[tokio::test]
async fn r43_minting_needs_the_originator_and_share() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let (st, p) = add_profile(&env, &env.token, &env.conn, "View").await;
    assert_eq!(st, 201);
    let profile = p["id"].as_str().unwrap().to_owned();
    grant(&env, &env.conn, "bob@localhost", json!({})).await;
    let (_c, session) = open_as(&env, &bob, &env.conn).await;
    let mint = |token: String| {
        let path = format!("/api/sessions/{session}/links");
        let body = json!({"profile_id": profile});
        let env = &env;
        async move { call(env, Method::POST, &path, &token, Some(body)).await }
    };
    let (st, e) = mint(bob.clone()).await;
    assert_eq!(
        (st, &e["reason"]),
        (403, &json!("missing_can_share")),
        "{e}"
    );
    // The owner is not the originator.
    let (st, e) = mint(env.token.clone()).await;
    assert_eq!(
        (st, &e["reason"]),
        (403, &json!("not_session_originator")),
        "{e}"
    );
    grant(&env, &env.conn, "bob@localhost", json!({"can_share": true})).await;
    let (st, e) = mint(bob.clone()).await;
    assert_eq!(st, 201, "{e}");
    let ev = audited(&env, |e| {
        e["action"] == "link.mint" && e["actor_name"] == "bob" && e["outcome"] == "allowed"
    })
    .await;
    assert_eq!(ev["authority"], "grant");
}

#[tokio::test]
async fn r44_r48_a_link_dies_when_its_minter_loses_share() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let (_, p) = add_profile(&env, &env.token, &env.conn, "View").await;
    grant(&env, &env.conn, "bob@localhost", json!({"can_share": true})).await;
    let (_c, session) = open_as(&env, &bob, &env.conn).await;
    let (st, l) = call(
        &env,
        Method::POST,
        &format!("/api/sessions/{session}/links"),
        &bob,
        Some(json!({"profile_id": p["id"]})),
    )
    .await;
    assert_eq!(st, 201, "{l}");
    let url = l["url"].as_str().unwrap().to_owned();
    let (mut viewer, _) = crate::sharing::join(&env, &url, None).await;
    // Revoke only `share` from Bob's grant: his session continues, the link dies.
    let (st, _) = call(
        &env,
        Method::DELETE,
        &format!(
            "/api/access/connections/{}/grants/bob@localhost?can_share=true",
            env.conn
        ),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200);
    closed_within_5s(&mut viewer).await;
    let (st, _) = crate::sharing::redeem(&env, &url, None).await;
    assert_eq!(st, 404);
    let (st, _) = call(
        &env,
        Method::GET,
        &format!("/api/sessions/{session}"),
        &bob,
        None,
    )
    .await;
    assert_eq!(
        st, 200,
        "the originator keeps access: the session continues"
    );
}

#[tokio::test]
async fn r45_sessions_are_seen_by_originator_and_owner_only() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let (_, carol) = add_user(&env, "carol").await;
    grant(&env, &env.conn, "bob@localhost", json!({})).await;
    grant(&env, &env.conn, "carol@localhost", json!({})).await;
    let (_c, session) = open_as(&env, &bob, &env.conn).await;
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, mine) = call(&env, Method::GET, "/api/sessions", &bob, None).await;
    assert_eq!(ids(&mine), std::slice::from_ref(&session));
    let (_, owners) = call(&env, Method::GET, "/api/sessions", &env.token, None).await;
    assert_eq!(ids(&owners), std::slice::from_ref(&session));
    // Carol has access too, but neither owns it nor holds record tier.
    let (_, hers) = call(&env, Method::GET, "/api/sessions", &carol, None).await;
    assert!(ids(&hers).is_empty());
    let (st, _) = call(
        &env,
        Method::GET,
        &format!("/api/sessions/{session}"),
        &carol,
        None,
    )
    .await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn r46_r47_joining_and_killing_need_owner_or_record_tier() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let (_, carol) = add_user(&env, "carol").await;
    grant(&env, &env.conn, "bob@localhost", json!({})).await;
    grant(
        &env,
        &env.conn,
        "carol@localhost",
        json!({"can_edit": true, "can_share": true}),
    )
    .await;
    let (mut c, session) = open_as(&env, &bob, &env.conn).await;
    for path in ["watch", "join"] {
        let (st, e) = call(
            &env,
            Method::POST,
            &format!("/api/sessions/{session}/{path}"),
            &carol,
            None,
        )
        .await;
        assert_eq!((st, &e["reason"]), (403, &json!("not_record_owner")), "{e}");
    }
    let (st, e) = call(
        &env,
        Method::DELETE,
        &format!("/api/sessions/{session}"),
        &carol,
        None,
    )
    .await;
    assert_eq!((st, &e["reason"]), (403, &json!("not_record_owner")), "{e}");
    // The owner may watch, and kill.
    let (st, t) = call(
        &env,
        Method::POST,
        &format!("/api/sessions/{session}/watch"),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let ev = audited(&env, |e| {
        e["action"] == "session.watch" && e["actor_name"] == "admin" && e["outcome"] == "allowed"
    })
    .await;
    assert_eq!(ev["authority"], "owner");
    let (st, _) = call(
        &env,
        Method::DELETE,
        &format!("/api/sessions/{session}"),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 204);
    closed_within_5s(&mut c).await;
}

#[tokio::test]
async fn r48_losing_access_ends_the_originators_session() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    grant(&env, &env.conn, "bob@localhost", json!({})).await;
    let (mut c, _session) = open_as(&env, &bob, &env.conn).await;
    let (st, _) = call(
        &env,
        Method::DELETE,
        &format!("/api/access/connections/{}/grants/bob@localhost", env.conn),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200);
    closed_within_5s(&mut c).await;
    audited(&env, |e| {
        e["action"] == "session.revoke" && e["detail"]["reason"] == "access_lost"
    })
    .await;
}

#[tokio::test]
async fn r51_monitor_sessions_oversees_covered_owners_without_sharing_rights() {
    let env = env().await;
    let (dave_id, dave) = add_user(&env, "dave").await;
    let (_, eve) = add_user(&env, "eve").await;
    let daves = add_owned_connection(&env, "Dave's desktop", &dave_id).await;
    let (_, e) = call(
        &env,
        Method::GET,
        "/api/access/enterprise",
        &env.token,
        None,
    )
    .await;
    let root = e["root"].as_str().unwrap().to_owned();
    let (st, r) = call(
        &env,
        Method::POST,
        "/api/access/roles",
        &env.token,
        Some(json!({"name": "Monitors", "home_node": root})),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    for (m, p, b) in [
        (
            Method::PUT,
            format!("/api/access/roles/Monitors/nodes/{root}"),
            Some(json!({"cascade": true})),
        ),
        (
            Method::POST,
            "/api/access/roles/Monitors/privileges".to_owned(),
            Some(json!({"node": root, "add": ["monitor_sessions"]})),
        ),
        (
            Method::PUT,
            "/api/access/roles/Monitors/members/eve@localhost".to_owned(),
            None,
        ),
    ] {
        let (st, out) = call(&env, m, &p, &env.token, b).await;
        assert_eq!(st, 200, "{p}: {out}");
    }
    let (_c, session) = open_as(&env, &dave, &daves).await;
    let (_, seen) = call(&env, Method::GET, "/api/sessions", &eve, None).await;
    assert_eq!(seen.as_array().unwrap().len(), 1, "{seen}");
    let (st, t) = call(
        &env,
        Method::POST,
        &format!("/api/sessions/{session}/watch"),
        &eve,
        None,
    )
    .await;
    assert_eq!(st, 200, "{t}");
    let ev = audited(&env, |e| {
        e["action"] == "session.watch" && e["actor_name"] == "eve" && e["outcome"] == "allowed"
    })
    .await;
    assert_eq!(ev["authority"], "enterprise_privilege");
    // …but cannot open the connection itself (R40).
    assert_eq!(refused(&env, &eve, &daves).await, Some(516));
}

#[tokio::test]
async fn r49_r50_denied_commands_are_audited_with_their_reason() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    // Bob may not grant on the administrator's connection he cannot even see.
    let (st, e) = call(
        &env,
        Method::PUT,
        &format!(
            "/api/access/connections/{}/grants/admin@localhost",
            env.conn
        ),
        &bob,
        Some(json!({})),
    )
    .await;
    assert_eq!((st, &e["reason"]), (404, &json!("not_found")), "{e}");
    let ev = audited(&env, |e| {
        e["action"] == "connection.grant" && e["actor_name"] == "bob"
    })
    .await;
    assert_eq!(ev["outcome"], "denied");
    assert_eq!(ev["authority"], "not_found");
}

#[tokio::test]
async fn r09_r10_r14_folders_give_their_members_access() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let (st, o) = call(
        &env,
        Method::POST,
        "/api/access/folders",
        &env.token,
        Some(json!({"name": "Team", "defaults": {"manage_users": false, "manage_records": false, "can_edit": false, "can_share": false}})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (_, list) = call(&env, Method::GET, "/api/access/folders", &env.token, None).await;
    let folder = list[0]["id"].as_str().unwrap().to_owned();
    let (st, o) = call(
        &env,
        Method::PUT,
        &format!("/api/access/folders/{folder}/records/{}", env.conn),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    assert_eq!(refused(&env, &bob, &env.conn).await, Some(516));
    let (st, o) = call(
        &env,
        Method::PUT,
        &format!("/api/access/folders/{folder}/members/bob@localhost"),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (_c, _) = open_as(&env, &bob, &env.conn).await;
    // His connection list shows it under the folder (the web client groups by it).
    let (_, mine) = call(&env, Method::GET, "/api/connections", &bob, None).await;
    assert_eq!(mine[0]["folder"], "Team", "{mine}");
    let (st, v) = call(
        &env,
        Method::GET,
        &format!("/api/access/folders/{folder}"),
        &bob,
        None,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    // Bob has no manage-users flag: he cannot add others.
    let (st, e) = call(
        &env,
        Method::PUT,
        &format!("/api/access/folders/{folder}/members/admin@localhost"),
        &bob,
        None,
    )
    .await;
    assert_eq!(st, 403, "{e}");
    assert!(e["reason"].is_string(), "{e}");
}

#[tokio::test]
async fn r24_r26_ownership_transfer_single_and_bulk_with_results() {
    let env = env().await;
    let (bob_id, _bob) = add_user(&env, "bob").await;
    let second = add_owned_connection(&env, "Second", &bob_id).await;
    let (st, o) = call(
        &env,
        Method::POST,
        &format!("/api/access/connections/{}/owner", env.conn),
        &env.token,
        Some(json!({"user": "bob@localhost"})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    assert_eq!(o["authority"]["authority"], "owner");
    // Now Bob owns both; the admin owns neither: every item fails on its own.
    let (st, r) = call(
        &env,
        Method::POST,
        "/api/access/transfers",
        &env.token,
        Some(json!({"connections": [env.conn, second], "to": "admin@localhost"})),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["total"], 2);
    assert_eq!(r["ok"], false);
    assert_eq!(r["results"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn r22_r28_deleting_trashes_and_restoring_brings_back() {
    let env = env().await;
    let (st, o) = call(
        &env,
        Method::DELETE,
        &format!("/api/access/connections/{}", env.conn),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (_, trash) = call(&env, Method::GET, "/api/access/trash", &env.token, None).await;
    assert_eq!(trash.as_array().unwrap().len(), 1, "{trash}");
    assert_eq!(refused(&env, &env.token, &env.conn).await, Some(516));
    let (st, o) = call(
        &env,
        Method::POST,
        &format!("/api/access/trash/{}/restore", env.conn),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (mut c, _) = open_as(&env, &env.token, &env.conn).await;
    assert_alive(&env, &mut c, "restored").await;
}

#[tokio::test]
async fn dry_run_decides_without_changing_anything() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let (st, o) = call(
        &env,
        Method::PUT,
        &format!(
            "/api/access/connections/{}/grants/bob@localhost?dry_run=true",
            env.conn
        ),
        &env.token,
        Some(json!({})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    assert_eq!(refused(&env, &bob, &env.conn).await, Some(516));
}

#[tokio::test]
async fn the_openapi_document_describes_the_access_api() {
    let env = env().await;
    let (st, doc) = env
        .gw
        .request(Method::GET, "/api/openapi.json", None, None)
        .await
        .unwrap();
    assert_eq!(st, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/api/access/transfers",
        "/api/access/folders/{folder}/members/{user}",
        "/api/access/compliance",
        "/api/sessions/{id}/links",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
}

#[tokio::test]
async fn r28_r48_trashing_a_connection_ends_its_live_sessions() {
    let env = env().await;
    let (mut c, _) = open_as(&env, &env.token, &env.conn).await;
    let (st, o) = call(
        &env,
        Method::DELETE,
        &format!("/api/access/connections/{}", env.conn),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    closed_within_5s(&mut c).await;
    audited(&env, |e| {
        e["action"] == "session.revoke" && e["detail"]["reason"] == "connection_trashed"
    })
    .await;
}

#[tokio::test]
async fn r01_creating_a_node_needs_manage_nodes() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let (_, e) = call(
        &env,
        Method::GET,
        "/api/access/enterprise",
        &env.token,
        None,
    )
    .await;
    let root = e["root"].as_str().unwrap().to_owned();
    let (st, o) = call(
        &env,
        Method::POST,
        "/api/access/nodes",
        &bob,
        Some(json!({"name": "Sales", "parent": root})),
    )
    .await;
    assert_eq!(
        (st, &o["reason"]),
        (403, &json!("missing_privilege")),
        "{o}"
    );
    let (st, o) = call(
        &env,
        Method::POST,
        "/api/access/nodes",
        &env.token,
        Some(json!({"name": "Sales", "parent": root})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    // Sibling names are unique: 409 name_conflict.
    let (st, o) = call(
        &env,
        Method::POST,
        "/api/access/nodes",
        &env.token,
        Some(json!({"name": "sales", "parent": root})),
    )
    .await;
    assert_eq!((st, &o["reason"]), (409, &json!("name_conflict")), "{o}");
}

#[tokio::test]
async fn r02_locking_a_user_ends_their_sessions_and_sign_in() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    grant(&env, &env.conn, "bob@localhost", json!({})).await;
    let (mut c, _) = open_as(&env, &bob, &env.conn).await;
    let (st, o) = call(
        &env,
        Method::POST,
        "/api/access/users/bob@localhost/lock",
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    closed_within_5s(&mut c).await;
    assert!(env.gw.sign_in("bob", "bob-password").await.is_err());
    let (st, o) = call(
        &env,
        Method::POST,
        "/api/access/users/bob@localhost/unlock",
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    env.gw.sign_in("bob", "bob-password").await.unwrap();
}

#[tokio::test]
async fn r20_a_grantee_cannot_give_more_than_they_have() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    add_user(&env, "carol").await;
    grant(&env, &env.conn, "bob@localhost", json!({"can_share": true})).await;
    let (st, o) = call(
        &env,
        Method::PUT,
        &format!(
            "/api/access/connections/{}/grants/carol@localhost",
            env.conn
        ),
        &bob,
        Some(json!({"can_edit": true})),
    )
    .await;
    assert_eq!((st, &o["reason"]), (403, &json!("escalation")), "{o}");
    let (st, o) = call(
        &env,
        Method::PUT,
        &format!(
            "/api/access/connections/{}/grants/carol@localhost",
            env.conn
        ),
        &bob,
        Some(json!({})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
}

#[tokio::test]
async fn r24_transfer_to_an_inactive_user_is_refused() {
    let env = env().await;
    add_user(&env, "carol").await;
    call(
        &env,
        Method::POST,
        "/api/access/users/carol@localhost/lock",
        &env.token,
        None,
    )
    .await;
    let (st, o) = call(
        &env,
        Method::POST,
        &format!("/api/access/connections/{}/owner", env.conn),
        &env.token,
        Some(json!({"user": "carol@localhost"})),
    )
    .await;
    assert_eq!((st, &o["reason"]), (403, &json!("target_inactive")), "{o}");
}

#[tokio::test]
async fn r39_compliance_reports_need_the_privilege() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    grant(&env, &env.conn, "bob@localhost", json!({})).await;
    let (st, o) = call(&env, Method::GET, "/api/access/compliance", &bob, None).await;
    assert_eq!(
        (st, &o["reason"]),
        (403, &json!("missing_privilege")),
        "{o}"
    );
    let (st, rows) = call(
        &env,
        Method::GET,
        "/api/access/compliance",
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{rows}");
    let users: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["admin@localhost", "bob@localhost"], "{rows}");
}

#[tokio::test]
async fn r06_the_default_administrator_role_cannot_be_deleted() {
    let env = env().await;
    let (st, o) = call(
        &env,
        Method::DELETE,
        "/api/access/roles/Administrator",
        &env.token,
        None,
    )
    .await;
    assert_eq!(
        (st, &o["reason"]),
        (403, &json!("missing_privilege")),
        "{o}"
    );
}

#[tokio::test]
async fn r34_nobody_raises_their_own_enterprise_rights() {
    let env = env().await;
    let (_, e) = call(
        &env,
        Method::GET,
        "/api/access/enterprise",
        &env.token,
        None,
    )
    .await;
    let root = e["root"].as_str().unwrap().to_owned();
    let (st, o) = call(
        &env,
        Method::POST,
        "/api/access/roles",
        &env.token,
        Some(json!({"name": "Auditors", "home_node": root})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (st, o) = call(
        &env,
        Method::PUT,
        "/api/access/roles/Auditors/members/admin@localhost",
        &env.token,
        None,
    )
    .await;
    assert_eq!((st, &o["reason"]), (403, &json!("self_escalation")), "{o}");
}

#[tokio::test]
async fn r19_placement_flags_give_members_edit_and_share() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let (_, o) = call(
        &env,
        Method::POST,
        "/api/access/folders",
        &env.token,
        Some(json!({"name": "Team"})),
    )
    .await;
    let folder = o["changes"][0]["id"].as_str().unwrap().to_owned();
    for (m, p, b) in [
        (
            Method::PUT,
            format!("/api/access/folders/{folder}/records/{}", env.conn),
            None,
        ),
        (
            Method::PUT,
            format!("/api/access/folders/{folder}/members/bob@localhost"),
            None,
        ),
    ] {
        let (st, o) = call(&env, m, &p, &env.token, b).await;
        assert_eq!(st, 200, "{o}");
    }
    let (st, e) = add_profile(&env, &bob, &env.conn, "View").await;
    assert_eq!((st, &e["reason"]), (403, &json!("missing_can_edit")), "{e}");
    let (st, o) = call(
        &env,
        Method::PUT,
        &format!("/api/access/folders/{folder}/records/{}", env.conn),
        &env.token,
        Some(json!({"can_edit": true, "can_share": true})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (st, e) = add_profile(&env, &bob, &env.conn, "View").await;
    assert_eq!(st, 201, "{e}");
}

#[tokio::test]
async fn r27_deleting_a_folder_trashes_what_it_alone_referenced() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let (_, o) = call(
        &env,
        Method::POST,
        "/api/access/folders",
        &bob,
        Some(json!({"name": "Lab"})),
    )
    .await;
    let folder = o["changes"][0]["id"].as_str().unwrap().to_owned();
    let id = uuid::Uuid::new_v4().to_string();
    let (st, o) = call(
        &env,
        Method::POST,
        "/api/access/commands",
        &bob,
        Some(
            json!({"command": "create_connection", "id": id, "name": "Lab box", "folder": folder}),
        ),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (st, o) = call(
        &env,
        Method::DELETE,
        &format!("/api/access/folders/{folder}?dry_run=true"),
        &bob,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    assert_eq!(o["trashed"][0]["connection"], json!(id), "{o}");
    let (_, trash) = call(&env, Method::GET, "/api/access/trash", &bob, None).await;
    assert!(
        trash.as_array().unwrap().is_empty(),
        "dry run changed nothing"
    );
    let (st, _) = call(
        &env,
        Method::DELETE,
        &format!("/api/access/folders/{folder}"),
        &bob,
        None,
    )
    .await;
    assert_eq!(st, 200);
    let (_, trash) = call(&env, Method::GET, "/api/access/trash", &bob, None).await;
    assert_eq!(trash[0]["id"], json!(id), "{trash}");
}

#[tokio::test]
async fn r37_user_search_lists_share_admins_first() {
    let env = env().await;
    add_user(&env, "aaron").await;
    let (_, o) = call(
        &env,
        Method::POST,
        "/api/access/folders",
        &env.token,
        Some(json!({"name": "Team"})),
    )
    .await;
    let folder = o["changes"][0]["id"].as_str().unwrap().to_owned();
    // The administrator is a member (the owner) and so not a candidate; make another SA.
    let (_, bob) = add_user(&env, "zed").await;
    let _ = bob;
    let (st, o) = call(
        &env,
        Method::PUT,
        "/api/access/roles/Administrator/members/zed@localhost",
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (st, rows) = call(
        &env,
        Method::GET,
        &format!("/api/access/users?folder={folder}"),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{rows}");
    let emails: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["zed@localhost", "aaron@localhost"], "{rows}");
}
