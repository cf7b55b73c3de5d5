//! The FAQ cases of Keeper's Share Admin documentation, as Porthole scenarios through the
//! REST API of a running gateway (share-admin.md; issue 6 §3).

use crate::fixture::*;
use crate::profiles::{add_user, call};
use reqwest::Method;
use serde_json::{json, Value};

/// A role `name` on the root node (cascading) with `privilege`; returns nothing.
async fn role_with(env: &Env, name: &str, privilege: &str, member: &str) {
    let (_, e) = call(env, Method::GET, "/api/access/enterprise", &env.token, None).await;
    let root = e["root"].as_str().unwrap().to_owned();
    let steps: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/api/access/roles".into(),
            Some(json!({"name": name, "home_node": root})),
        ),
        (
            Method::PUT,
            format!("/api/access/roles/{name}/nodes/{root}"),
            Some(json!({"cascade": true})),
        ),
        (
            Method::POST,
            format!("/api/access/roles/{name}/privileges"),
            Some(json!({"node": root, "add": [privilege]})),
        ),
        (
            Method::PUT,
            format!("/api/access/roles/{name}/members/{member}"),
            None,
        ),
    ];
    for (m, p, b) in steps {
        let (st, out) = call(env, m, &p, &env.token, b).await;
        assert_eq!(st, 200, "{p}: {out}");
    }
}

async fn folder_of(env: &Env, token: &str, name: &str) -> String {
    let (st, o) = call(
        env,
        Method::POST,
        "/api/access/folders",
        token,
        Some(json!({"name": name})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (_, list) = call(env, Method::GET, "/api/access/folders", token, None).await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["id"].as_str())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn faq_removing_someone_from_the_share_admin_role_restores_their_folder_permissions() {
    let env = env().await;
    let (_, sa) = add_user(&env, "sa").await;
    let (_, bob) = add_user(&env, "bob").await;
    add_user(&env, "carol").await;
    add_user(&env, "dave").await;
    role_with(
        &env,
        "Share Admins",
        "sharing_administrator",
        "sa@localhost",
    )
    .await;
    // Bob's folder; the SA is a plain member (no flags).
    let team = folder_of(&env, &bob, "Team").await;
    let (st, o) = call(
        &env,
        Method::PUT,
        &format!("/api/access/folders/{team}/members/sa@localhost"),
        &bob,
        Some(json!({"manage_users": false, "manage_records": false})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    // Elevated: the SA manages Bob's folder's users (folder tier).
    let (st, o) = call(
        &env,
        Method::PUT,
        &format!("/api/access/folders/{team}/members/carol@localhost"),
        &sa,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    assert_eq!(o["authority"]["authority"], "share_admin", "{o}");
    // Out of the role: back to the stored flags, nothing left behind (R33).
    let (st, o) = call(
        &env,
        Method::DELETE,
        "/api/access/roles/Share%20Admins/members/sa@localhost",
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (st, e) = call(
        &env,
        Method::PUT,
        &format!("/api/access/folders/{team}/members/dave@localhost"),
        &sa,
        None,
    )
    .await;
    assert_eq!(
        (st, &e["reason"]),
        (403, &json!("missing_manage_users")),
        "{e}"
    );
    let (_, v) = call(
        &env,
        Method::GET,
        &format!("/api/access/folders/{team}"),
        &bob,
        None,
    )
    .await;
    let sa_row = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "sa@localhost")
        .unwrap()
        .clone();
    assert_eq!(sa_row["manage_users"], false, "{v}");
}

#[tokio::test]
async fn faq_removing_the_last_reference_moves_a_connection_to_its_owners_trash() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let team = folder_of(&env, &bob, "Team").await;
    let id = uuid::Uuid::new_v4().to_string();
    let (st, o) = call(
        &env,
        Method::POST,
        "/api/access/commands",
        &bob,
        Some(json!({"command": "create_connection", "id": id, "name": "Lab", "folder": team})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    // The administrator is made a member with manage-records and unlinks it.
    let (st, o) = call(
        &env,
        Method::PUT,
        &format!("/api/access/folders/{team}/members/admin@localhost"),
        &bob,
        Some(json!({"manage_users": false, "manage_records": true})),
    )
    .await;
    assert_eq!(st, 200, "{o}");
    let (st, o) = call(
        &env,
        Method::DELETE,
        &format!("/api/access/folders/{team}/records/{id}"),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{o}");
    assert_eq!(o["trashed"][0]["connection"], json!(id), "{o}");
    // In Bob's trash (the owner's), never the actor's.
    let (_, bobs) = call(&env, Method::GET, "/api/access/trash", &bob, None).await;
    assert_eq!(bobs.as_array().unwrap().len(), 1, "{bobs}");
    let (_, admins) = call(&env, Method::GET, "/api/access/trash", &env.token, None).await;
    assert!(admins.as_array().unwrap().is_empty(), "{admins}");
}

/// Every kind of access-model change, persisted on PostgreSQL, survives a restart.
#[tokio::test]
async fn access_model_changes_persist_on_postgresql_across_a_restart() {
    use porthole_testsuite::pg::TempPostgres;
    if !TempPostgres::available() {
        eprintln!("skipped: PostgreSQL server binaries are not installed");
        return;
    }
    let pg = TempPostgres::start().unwrap();
    let sim = porthole_testsuite::sim::Simulator::start(Default::default())
        .await
        .unwrap();
    let opts = || porthole_testsuite::gateway::GatewayOptions {
        args: vec!["--database-url".into(), pg.url()],
        ..Default::default()
    };
    let gw = porthole_testsuite::gateway::Gateway::start_with(opts())
        .await
        .unwrap();
    let token = gw.admin_token().await.unwrap();
    let conn = gw
        .create_connection(&token, "On PostgreSQL", "vnc", sim.addr())
        .await
        .unwrap();
    let mut env = Env {
        sim,
        gw,
        token,
        conn,
    };
    add_user(&env, "bob").await;
    role_with(
        &env,
        "Share Admins",
        "sharing_administrator",
        "bob@localhost",
    )
    .await;
    let team = folder_of(&env, &env.token, "Team").await;
    let c = env.conn.clone();
    let (_, e) = call(
        &env,
        Method::GET,
        "/api/access/enterprise",
        &env.token,
        None,
    )
    .await;
    let root = e["root"].clone();
    let steps: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::PATCH,
            format!("/api/access/folders/{team}/defaults"),
            Some(json!({"can_edit": true})),
        ),
        (
            Method::PUT,
            format!("/api/access/folders/{team}/records/{c}"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/access/folders/{team}/members/bob@localhost"),
            Some(json!({"manage_records": true})),
        ),
        (
            Method::PUT,
            format!("/api/access/connections/{c}/grants/bob@localhost"),
            Some(json!({"can_share": true})),
        ),
        (
            Method::PATCH,
            format!("/api/access/connections/{c}"),
            Some(json!({"name": "Renamed"})),
        ),
        (
            Method::POST,
            "/api/access/roles/Share%20Admins/privileges".into(),
            Some(json!({"node": root, "remove": ["sharing_administrator"]})),
        ),
    ];
    for (m, p, b) in steps {
        let (st, out) = call(&env, m, &p, &env.token, b).await;
        assert_eq!(st, 200, "{p}: {out}");
    }
    let (_, before) = call(
        &env,
        Method::GET,
        &format!("/api/access/folders/{team}"),
        &env.token,
        None,
    )
    .await;
    env.gw.terminate(T).await.unwrap();
    env.gw = porthole_testsuite::gateway::Gateway::start_with(opts())
        .await
        .unwrap();
    env.token = env.gw.admin_token().await.unwrap();
    let (st, after) = call(
        &env,
        Method::GET,
        &format!("/api/access/folders/{team}"),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{after}");
    assert_eq!(before, after);
    let (_, cv) = call(
        &env,
        Method::GET,
        &format!("/api/access/connections/{c}"),
        &env.token,
        None,
    )
    .await;
    assert_eq!(cv["name"], "Renamed", "{cv}");
    assert_eq!(cv["grants"][0]["can_share"], true, "{cv}");
    // One enterprise still: the restart did not bootstrap a second.
    let (_, e) = call(
        &env,
        Method::GET,
        "/api/access/enterprise",
        &env.token,
        None,
    )
    .await;
    assert_eq!(e["roles"].as_array().unwrap().len(), 2, "{e}");
}
