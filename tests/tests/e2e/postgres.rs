//! The same gateway on PostgreSQL: every store query runs against a real server, so the
//! portable-SQL promise (SQLite by default, PostgreSQL for several nodes) is checked,
//! not assumed.

use crate::fixture::*;
use crate::sharing::{join, mint, originate, profile, roster_until};
use porthole_testsuite::pg::TempPostgres;
use porthole_testsuite::sim::{SimConfig, Simulator};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn the_whole_flow_runs_on_postgresql() {
    if !TempPostgres::available() {
        assert!(
            std::env::var("CI").is_err(),
            "PostgreSQL must be installed in CI (scripts/install-test-deps.sh)"
        );
        eprintln!("skipped: PostgreSQL server binaries are not installed");
        return;
    }
    let pg = TempPostgres::start().unwrap();
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let gw = porthole_testsuite::gateway::Gateway::start_with(
        porthole_testsuite::gateway::GatewayOptions {
            args: vec!["--database-url".into(), pg.url()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let token = gw.admin_token().await.unwrap();
    let conn = gw
        .create_connection(&token, "On PostgreSQL", "vnc", sim.addr())
        .await
        .unwrap();
    let env = Env {
        sim,
        gw,
        token,
        conn,
    };

    // Users, connections, profiles, sessions, links, joins, history, audit.
    let (st, _) = env
        .gw
        .request(
            Method::POST,
            "/api/users",
            Some(&env.token),
            Some(json!({"username":"dora","password":"dora-password"})),
        )
        .await
        .unwrap();
    assert_eq!(st, 201);
    let mut o = originate(&env).await;
    let p = profile(&env, "Watch", true).await;
    let (_, url) = mint(
        &env,
        &o.session,
        json!({"profile_id": p, "max_uses": 5, "expires_in_secs": 600}),
    )
    .await;
    let (mut v, _) = join(&env, &url, None).await;
    roster_until(&mut o, 1).await;
    v.close().await.unwrap();
    o.c.send("disconnect", &[]).await.unwrap();
    let mut ended = false;
    for _ in 0..50 {
        let (_, h) = env
            .gw
            .request(Method::GET, "/api/history", Some(&env.token), None)
            .await
            .unwrap();
        if h["sessions"][0]["ended_at"].is_i64() {
            ended = true;
            let id = h["sessions"][0]["id"].as_str().unwrap();
            let (_, d) = env
                .gw
                .request(
                    Method::GET,
                    &format!("/api/history/{id}"),
                    Some(&env.token),
                    None,
                )
                .await
                .unwrap();
            assert_eq!(d["participants"][0]["name"], "Anonymous");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ended, "session history recorded on PostgreSQL");
    let (st, a) = env
        .gw
        .request(Method::GET, "/api/audit?per_page=5", Some(&env.token), None)
        .await
        .unwrap();
    assert_eq!(st, 200);
    assert!(a["total"].as_i64().unwrap() >= 3, "{a}");
    drop(pg);
}
