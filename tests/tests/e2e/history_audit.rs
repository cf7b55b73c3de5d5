//! Session history and the audit trail through the REST API: what administrators and
//! ordinary users may read, in which order, and how paging behaves.

use crate::fixture::*;
use crate::profiles::{add_owned_connection, add_profile, add_user, call};
use porthole_testsuite::client::{Display, GuacClient};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Polls `GET path` as `token` until `done` holds for the body (audit rows and history
/// rows are written in the background); returns that body.
async fn poll(env: &Env, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + T;
    loop {
        let (st, body) = call(env, Method::GET, path, token, None).await;
        assert_eq!(st, 200, "{path}: {body}");
        if done(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never got there; last: {body}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The audit events about sharing profiles, newest first.
fn profile_events(page: &Value) -> Vec<Value> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("profile."))
        .cloned()
        .collect()
}

/// Waits until the audit trail holds `n` profile events; returns them, newest first.
async fn wait_profile_events(env: &Env, n: usize) -> Vec<Value> {
    let page = poll(env, "/api/audit?per_page=500", &env.token, |b| {
        profile_events(b).len() >= n
    })
    .await;
    profile_events(&page)
}

#[tokio::test]
async fn the_audit_trail_shows_allowed_and_denied_profile_changes_newest_first_with_who_and_why() {
    let env = env().await;
    let (bob_id, bob) = add_user(&env, "bob").await;
    let bobs = add_owned_connection(&env, "Bob's desktop", &bob_id).await;

    // One change at a time, each seen in the trail before the next, so "newest first"
    // has a single right answer.
    let admins = add_profile(
        &env,
        &env.token,
        &env.conn,
        json!({"name": "View", "read_only": true}),
    )
    .await;
    wait_profile_events(&env, 1).await;
    let admins_path = format!("/api/sharing-profiles/{}", admins["id"].as_str().unwrap());
    let (st, _) = call(&env, Method::DELETE, &admins_path, &bob, None).await;
    assert_eq!(st, 404);
    wait_profile_events(&env, 2).await;
    let bobs_profile = add_profile(
        &env,
        &bob,
        &bobs,
        json!({"name": "Pair", "read_only": false, "parameters": {"disable-copy": "true"}}),
    )
    .await;
    wait_profile_events(&env, 3).await;
    let (st, _) = call(
        &env,
        Method::POST,
        &format!("/api/connections/{bobs}/sharing-profiles"),
        &bob,
        Some(json!({"name": "Pair", "read_only": true})),
    )
    .await;
    assert_eq!(st, 409);
    let events = wait_profile_events(&env, 4).await;

    let summary: Vec<(&str, &str, &str, &str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["actor_name"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["target_type"].as_str().unwrap(),
                e["target_id"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
                e["authority"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "bob",
                "profile.create",
                "connection",
                bobs.as_str(),
                "allowed",
                "owner"
            ),
            (
                "bob",
                "profile.create",
                "connection",
                bobs.as_str(),
                "allowed",
                "owner"
            ),
            (
                "bob",
                "profile.delete",
                "sharing_profile",
                admins["id"].as_str().unwrap(),
                "denied",
                "connection-not-visible"
            ),
            (
                "admin",
                "profile.create",
                "connection",
                env.conn.as_str(),
                "allowed",
                "owner"
            ),
        ]
    );
    // How each allowed attempt ended, and what it was about: names, never values.
    assert_eq!(events[0]["detail"]["status"], 409);
    assert!(events[0]["detail"]["error"]
        .as_str()
        .unwrap()
        .contains("already exists"));
    assert_eq!(events[1]["detail"]["status"], 201);
    assert_eq!(events[1]["detail"]["profile_id"], bobs_profile["id"]);
    assert_eq!(events[1]["detail"]["parameters"], json!(["disable-copy"]));
    assert_eq!(events[1]["actor_user_id"], bob_id.as_str());
    assert_eq!(events[3]["detail"]["name"], "View");
    assert_eq!(events[3]["remote_addr"], "127.0.0.1");
    let ats: Vec<i64> = events.iter().map(|e| e["at"].as_i64().unwrap()).collect();
    assert!(
        ats.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {ats:?}"
    );
}

#[tokio::test]
async fn the_audit_trail_pages_newest_first_and_only_administrators_may_read_it() {
    let env = env().await;
    for i in 0..5 {
        add_profile(
            &env,
            &env.token,
            &env.conn,
            json!({"name": format!("P{i}"), "read_only": true}),
        )
        .await;
        wait_profile_events(&env, i + 1).await;
    }
    let all = poll(&env, "/api/audit", &env.token, |_| true).await;
    assert_eq!(
        (all["page"].as_i64(), all["per_page"].as_i64()),
        (Some(1), Some(50)),
        "defaults"
    );
    let total = all["total"].as_i64().unwrap();
    assert!(total >= 5);
    assert_eq!(all["events"].as_array().unwrap().len() as i64, total);

    let (st, p1) = call(
        &env,
        Method::GET,
        "/api/audit?page=1&per_page=2",
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200);
    let (_, p2) = call(
        &env,
        Method::GET,
        "/api/audit?page=2&per_page=2",
        &env.token,
        None,
    )
    .await;
    assert_eq!(
        (
            p2["total"].as_i64(),
            p2["page"].as_i64(),
            p2["per_page"].as_i64()
        ),
        (Some(total), Some(2), Some(2))
    );
    let paged: Vec<&Value> = p1["events"]
        .as_array()
        .unwrap()
        .iter()
        .chain(p2["events"].as_array().unwrap())
        .collect();
    let first_four: Vec<&Value> = all["events"].as_array().unwrap().iter().take(4).collect();
    assert_eq!(paged, first_four);
    let names: Vec<&str> = first_four
        .iter()
        .map(|e| e["detail"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["P4", "P3", "P2", "P1"], "newest first");
    let (_, past_the_end) = call(
        &env,
        Method::GET,
        "/api/audit?page=1000&per_page=500",
        &env.token,
        None,
    )
    .await;
    assert_eq!(
        (
            past_the_end["total"].as_i64(),
            past_the_end["events"].clone()
        ),
        (Some(total), json!([]))
    );

    for bad in [
        "per_page=0",
        "per_page=501",
        "page=0",
        "page=x",
        "per_page=2.5",
    ] {
        let (st, body) = call(
            &env,
            Method::GET,
            &format!("/api/audit?{bad}"),
            &env.token,
            None,
        )
        .await;
        assert_eq!(st, 400, "{bad}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains(bad.split('=').next().unwrap()),
            "{body}"
        );
    }

    let (_, bob) = add_user(&env, "bob").await;
    let (st, body) = call(&env, Method::GET, "/api/audit", &bob, None).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (403, Some("only administrators can read the audit trail"))
    );
}

/// Opens a tunnel as `token` on `conn`, waits for the desktop, and closes it.
async fn open_and_close(env: &Env, token: &str, conn: &str) {
    let mut c = GuacClient::connect(&env.gw.tunnel_url(&query(token, conn)))
        .await
        .unwrap();
    let mut d = Display::default();
    read_until_painted(&mut c, &mut d).await;
    c.close().await.unwrap();
}

/// The recorded sessions on `conn` in a history page.
fn sessions_on<'a>(page: &'a Value, conn: &str) -> Vec<&'a Value> {
    page["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["connection_id"] == conn)
        .collect()
}

#[tokio::test]
async fn a_session_that_was_opened_and_closed_is_in_the_history_with_its_end() {
    let env = env().await;
    let (mut c, _) = open(&env).await;
    c.close().await.unwrap();
    let page = poll(&env, "/api/history", &env.token, |b| {
        sessions_on(b, &env.conn)
            .iter()
            .any(|s| !s["ended_at"].is_null())
    })
    .await;
    assert_eq!(
        (page["page"].as_i64(), page["per_page"].as_i64()),
        (Some(1), Some(50))
    );
    assert_eq!(page["total"], 1);
    let s = sessions_on(&page, &env.conn)[0].clone();
    assert_eq!(s["connection_name"], "Sim desktop");
    assert_eq!(s["protocol"], "vnc");
    assert_eq!(s["username"], "admin");
    assert!(s["started_at"].as_i64().unwrap() <= s["ended_at"].as_i64().unwrap());

    let (st, detail) = call(
        &env,
        Method::GET,
        &format!("/api/history/{}", s["id"].as_str().unwrap()),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200, "{detail}");
    assert_eq!(detail["session"], s);
    assert_eq!(detail["participants"], json!([]), "nobody joined");

    // A second session is listed before the first.
    let (mut c, _) = open(&env).await;
    c.close().await.unwrap();
    let page = poll(&env, "/api/history", &env.token, |b| {
        sessions_on(b, &env.conn)
            .iter()
            .filter(|s| !s["ended_at"].is_null())
            .count()
            == 2
    })
    .await;
    assert_eq!(page["sessions"][1], s, "newest first");
    let (_, p2) = call(
        &env,
        Method::GET,
        "/api/history?page=2&per_page=1",
        &env.token,
        None,
    )
    .await;
    assert_eq!(
        (p2["total"].as_i64(), &p2["sessions"]),
        (Some(2), &json!([s]))
    );
}

#[tokio::test]
async fn ordinary_users_see_only_the_sessions_they_started() {
    let env = env().await;
    let (bob_id, bob) = add_user(&env, "bob").await;
    let bobs = add_owned_connection(&env, "Bob's desktop", &bob_id).await;
    open_and_close(&env, &bob, &bobs).await;
    open_and_close(&env, &env.token, &env.conn).await;

    // The administrator sees both.
    let all = poll(&env, "/api/history", &env.token, |b| {
        b["total"] == 2
            && b["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| !s["ended_at"].is_null())
    })
    .await;
    let admins = sessions_on(&all, &env.conn)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bobs_session = sessions_on(&all, &bobs)[0].clone();

    // Bob sees his own only, and the administrator's session does not exist for him.
    let (st, mine) = call(&env, Method::GET, "/api/history", &bob, None).await;
    assert_eq!(st, 200);
    assert_eq!(
        (mine["total"].as_i64(), &mine["sessions"]),
        (Some(1), &json!([bobs_session]))
    );
    assert_eq!(bobs_session["user_id"], bob_id.as_str());
    let (st, body) = call(
        &env,
        Method::GET,
        &format!("/api/history/{admins}"),
        &bob,
        None,
    )
    .await;
    assert_eq!(
        (st, body["error"].as_str()),
        (404, Some("no such session in the history"))
    );
    let (st, detail) = call(
        &env,
        Method::GET,
        &format!("/api/history/{}", bobs_session["id"].as_str().unwrap()),
        &bob,
        None,
    )
    .await;
    assert_eq!((st, &detail["session"]), (200, &bobs_session));
}

#[tokio::test]
async fn history_paging_is_checked_and_unknown_sessions_are_not_found() {
    let env = env().await;
    let (st, page) = call(
        &env,
        Method::GET,
        "/api/history?per_page=500",
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        (
            page["total"].as_i64(),
            page["per_page"].as_i64(),
            &page["sessions"]
        ),
        (Some(0), Some(500), &json!([]))
    );
    for bad in [
        "per_page=0",
        "per_page=501",
        "page=0",
        "page=-3",
        "per_page=ten",
    ] {
        let (st, body) = call(
            &env,
            Method::GET,
            &format!("/api/history?{bad}"),
            &env.token,
            None,
        )
        .await;
        assert_eq!(st, 400, "{bad}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains(bad.split('=').next().unwrap()),
            "{body}"
        );
    }
    let (st, body) = call(
        &env,
        Method::GET,
        "/api/history/no-such-session",
        &env.token,
        None,
    )
    .await;
    assert_eq!(
        (st, body["error"].as_str()),
        (404, Some("no such session in the history"))
    );
    let (st, _) = env
        .gw
        .request(Method::GET, "/api/history", None, None)
        .await
        .unwrap();
    assert_eq!(st, 401);
}
