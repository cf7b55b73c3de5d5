//! Sharing a live session: profiles, links, joined viewers, read-only, notices, the
//! roster, session end, revocation, slow viewers, and the administrators' view.

use crate::fixture::*;
use porthole_testsuite::client::{Display, GuacClient};
use porthole_testsuite::sim::{SimConfig, BACKGROUND};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// An originator's open session: its tunnel, display and session id.
pub struct Origin {
    pub c: GuacClient,
    pub d: Display,
    pub session: String,
}

pub async fn originate(env: &Env) -> Origin {
    let (c, d) = open(env).await;
    let uuid = c.uuid.clone().expect("tunnel uuid");
    let (st, s) = env
        .gw
        .request(
            Method::GET,
            &format!("/api/tunnels/{uuid}/session"),
            Some(&env.token),
            None,
        )
        .await
        .unwrap();
    assert_eq!(st, 200, "{s}");
    Origin {
        c,
        d,
        session: s["id"].as_str().unwrap().to_owned(),
    }
}

pub async fn profile(env: &Env, name: &str, read_only: bool) -> String {
    let (st, p) = env
        .gw
        .request(
            Method::POST,
            &format!("/api/connections/{}/sharing-profiles", env.conn),
            Some(&env.token),
            Some(json!({"name": name, "read_only": read_only})),
        )
        .await
        .unwrap();
    assert_eq!(st, 201, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

pub async fn mint(env: &Env, session: &str, body: Value) -> (String, String) {
    let (st, l) = env
        .gw
        .request(
            Method::POST,
            &format!("/api/sessions/{session}/links"),
            Some(&env.token),
            Some(body),
        )
        .await
        .unwrap();
    assert_eq!(st, 201, "{l}");
    let url = l["url"].as_str().unwrap().to_owned();
    (l["id"].as_str().unwrap().to_owned(), url)
}

fn key_of(url: &str) -> String {
    url.rsplit("#/share/").next().unwrap().to_owned()
}

/// Redeems a share URL (optionally signed in); returns status and body.
pub async fn redeem(env: &Env, url: &str, token: Option<&str>) -> (u16, Value) {
    env.gw
        .request(
            Method::POST,
            "/api/share/redeem",
            token,
            Some(json!({"key": key_of(url)})),
        )
        .await
        .unwrap()
}

/// Opens a viewer tunnel from a share URL and reads until its screen is painted.
pub async fn join(env: &Env, url: &str, token: Option<&str>) -> (GuacClient, Display) {
    let (st, r) = redeem(env, url, token).await;
    assert_eq!(st, 200, "{r}");
    let ticket = r["ticket"].as_str().unwrap();
    let mut q = format!(
        "GUAC_TYPE=s&GUAC_ID={ticket}&GUAC_WIDTH=1024&GUAC_HEIGHT=768&GUAC_IMAGE=image%2Fpng"
    );
    if let Some(t) = token {
        q.push_str(&format!("&token={t}"));
    }
    let mut c = GuacClient::connect(&env.gw.tunnel_url(&q)).await.unwrap();
    let mut d = Display::default();
    read_until_painted(&mut c, &mut d).await;
    (c, d)
}

/// Reads the originator's stream until a roster with `count` arrives; returns it and
/// the `msg` notices seen on the way.
pub async fn roster_until(o: &mut Origin, count: u64) -> (Value, Vec<(String, String, String)>) {
    let mut msgs = Vec::new();
    // The roster may already have gone by while the screen was being read.
    if let Some(r) =
        o.c.last_roster
            .as_deref()
            .and_then(|r| serde_json::from_str::<Value>(r).ok())
    {
        if r["count"].as_u64() == Some(count) {
            return (r, msgs);
        }
    }
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let i =
            o.c.next(left)
                .await
                .unwrap()
                .expect("originator tunnel open");
        match i.opcode() {
            "msg" => msgs.push((
                i.arg(0).unwrap().to_owned(),
                i.arg(1).unwrap().to_owned(),
                i.arg(2).unwrap_or("").to_owned(),
            )),
            "porthole-roster" => {
                let r: Value = serde_json::from_str(i.arg(0).unwrap()).unwrap();
                if r["count"].as_u64() == Some(count) {
                    return (r, msgs);
                }
            }
            "sync" => {
                let ts = i.arg(0).unwrap().to_owned();
                o.c.send("sync", &[&ts]).await.unwrap();
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn an_anonymous_read_only_viewer_sees_the_screen_and_the_owner_is_told() {
    let env = env().await;
    let mut o = originate(&env).await;
    let p = profile(&env, "Watch only", true).await;
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    assert!(
        url.starts_with(&env.gw.base) && url.contains("/#/share/"),
        "key in the fragment: {url}"
    );
    let (mut v, vd) = join(&env, &url, None).await;
    let s = vd.screen().unwrap();
    assert_eq!(
        s.pixel(512, 384),
        Some(BACKGROUND),
        "guacd replayed the screen to the viewer"
    );

    let (r, msgs) = roster_until(&mut o, 1).await;
    assert_eq!(
        r["users"],
        json!([{"name":"Anonymous","anonymous":true,"connections":1}])
    );
    let joins: Vec<_> = msgs.iter().filter(|m| m.0 == "1").collect();
    assert_eq!(joins.len(), 1, "exactly one join notice: {msgs:?}");
    assert_eq!(joins[0].2, "", "anonymous viewers have an empty name");
    assert!(joins[0].1.starts_with('@'));

    v.close().await.unwrap();
    let (_, msgs) = roster_until(&mut o, 0).await;
    let leaves: Vec<_> = msgs.iter().filter(|m| m.0 == "2").collect();
    assert_eq!(leaves.len(), 1, "{msgs:?}");
    assert_eq!(leaves[0].1, joins[0].1, "leave matches the join's id");
    // The originator is unaffected.
    assert_alive(&env, &mut o.c, "owner-after-leave").await;
}

#[tokio::test]
async fn a_read_only_viewer_can_never_send_input_upstream() {
    let env = env().await;
    let o = originate(&env).await;
    let p = profile(&env, "Read only", true).await;
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let (mut v, _vd) = join(&env, &url, None).await;
    env.sim.clear_received();
    let every_opcode: [(&str, Vec<&str>); 13] = [
        ("key", vec!["65", "1"]),
        ("mouse", vec!["10", "10", "1"]),
        ("touch", vec!["0", "1", "1", "5", "5", "0", "1"]),
        ("size", vec!["800", "600"]),
        ("clipboard", vec!["0", "text/plain"]),
        ("blob", vec!["0", "aGVsbG8="]),
        ("end", vec!["0"]),
        ("file", vec!["1", "text/plain", "x.txt"]),
        ("pipe", vec!["2", "text/plain", "STDIN"]),
        ("argv", vec!["3", "text/plain", "font-size"]),
        ("audio", vec!["4", "audio/L16"]),
        ("put", vec!["0", "5", "text/plain", "/x"]),
        ("get", vec!["0", "/"]),
    ];
    for (op, args) in &every_opcode {
        v.send(op, args).await.unwrap();
    }
    // Stream refusals come back like guacd's: ack,<i>,…,256.
    let mut refused = Vec::new();
    while refused.len() < 7 {
        let i = v.wait_for("ack", T).await.unwrap();
        assert_eq!(i.arg(2), Some("256"));
        refused.push(i.arg(0).unwrap().to_owned());
    }
    // A marker proves everything before it was processed by the gateway.
    v.send("nop", &[]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let control = [
        "key",
        "mouse",
        "touch",
        "size",
        "clipboard",
        "blob",
        "end",
        "file",
        "pipe",
        "argv",
        "audio",
        "put",
        "get",
    ];
    for r in env.sim.received() {
        assert!(
            !control.contains(&r.opcode()),
            "{} from {:?} reached guacd",
            r.opcode(),
            r.user_name
        );
    }
}

#[tokio::test]
async fn signed_in_viewers_show_by_name_with_their_connection_counts() {
    let env = env().await;
    env.gw
        .request(
            Method::POST,
            "/api/users",
            Some(&env.token),
            Some(json!({"username":"carol","password":"carol-password"})),
        )
        .await
        .unwrap();
    let carol = env.gw.sign_in("carol", "carol-password").await.unwrap();
    let mut o = originate(&env).await;
    let p = profile(&env, "Control", false).await;
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let (_v1, _) = join(&env, &url, Some(&carol)).await;
    let (_v2, _) = join(&env, &url, Some(&carol)).await;
    let (_v3, _) = join(&env, &url, None).await;
    let (r, msgs) = roster_until(&mut o, 3).await;
    assert_eq!(
        r["users"],
        json!([{"name":"carol","anonymous":false,"connections":2},{"name":"Anonymous","anonymous":true,"connections":1}])
    );
    assert_eq!(
        msgs.iter().filter(|m| m.0 == "1" && m.2 == "carol").count(),
        2
    );
}

#[tokio::test]
async fn a_viewer_with_control_types_into_the_session() {
    let env = env().await;
    let o = originate(&env).await;
    let p = profile(&env, "Control", false).await;
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let (mut v, _) = join(&env, &url, None).await;
    v.send("key", &["98", "1"]).await.unwrap();
    let got = env
        .sim
        .wait_for_input(|r| r.opcode() == "key" && !r.owner && r.accepted, T)
        .await;
    assert!(got.is_some(), "the viewer's key reached guacd");
}

#[tokio::test]
async fn when_the_originator_leaves_viewers_are_closed_and_links_die() {
    let env = env().await;
    let mut o = originate(&env).await;
    let p = profile(&env, "Watch", true).await;
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let (mut v, _) = join(&env, &url, None).await;
    o.c.send("disconnect", &[]).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(1), v.wait_closed(T)).await;
    let closed = closed.expect("viewer closed within 1 s").unwrap();
    assert_eq!(closed.status(), Some(523));
    let (st, body) = redeem(&env, &url, None).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (404, Some("this share link is no longer valid"))
    );
}

#[tokio::test]
async fn revoked_expired_used_up_and_forged_links_are_all_just_invalid() {
    let env = env().await;
    let o = originate(&env).await;
    let p = profile(&env, "Watch", true).await;
    // Revoked: the viewer who used it is disconnected too.
    let (id, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let (mut v, _) = join(&env, &url, None).await;
    let (st, _) = env
        .gw
        .request(
            Method::DELETE,
            &format!("/api/sessions/{}/links/{id}", o.session),
            Some(&env.token),
            None,
        )
        .await
        .unwrap();
    assert_eq!(st, 204);
    assert_eq!(v.wait_closed(T).await.unwrap().status(), Some(523));
    assert_eq!(redeem(&env, &url, None).await.0, 404);
    // Used up after one use.
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p, "max_uses": 1})).await;
    assert_eq!(redeem(&env, &url, None).await.0, 200);
    assert_eq!(redeem(&env, &url, None).await.0, 404);
    // Expired.
    let (_, url) = mint(
        &env,
        &o.session,
        json!({"profile_id": p, "expires_in_secs": 1}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (st, body) = redeem(&env, &url, None).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (404, Some("this share link is no longer valid"))
    );
    // Forged.
    let forged = format!("{}/#/share/{}", env.gw.base, "A".repeat(43));
    assert_eq!(redeem(&env, &forged, None).await.0, 404);
    // A used ticket cannot be replayed.
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let (_, r) = redeem(&env, &url, None).await;
    let q = format!("GUAC_TYPE=s&GUAC_ID={}", r["ticket"].as_str().unwrap());
    let mut first = GuacClient::connect(&env.gw.tunnel_url(&q)).await.unwrap();
    first.wait_for("sync", T).await.unwrap();
    let mut again = GuacClient::connect(&env.gw.tunnel_url(&q)).await.unwrap();
    assert_eq!(again.wait_closed(T).await.unwrap().status(), Some(516));
}

#[tokio::test]
async fn deleting_a_profile_revokes_its_links_and_disconnects_its_viewers() {
    let env = env().await;
    let o = originate(&env).await;
    let p = profile(&env, "Temp", true).await;
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let (mut v, _) = join(&env, &url, None).await;
    let (st, _) = env
        .gw
        .request(
            Method::DELETE,
            &format!("/api/sharing-profiles/{p}"),
            Some(&env.token),
            None,
        )
        .await
        .unwrap();
    assert_eq!(st, 204);
    assert_eq!(v.wait_closed(T).await.unwrap().status(), Some(523));
    assert_eq!(redeem(&env, &url, None).await.0, 404);
}

#[tokio::test]
async fn many_viewers_can_join_at_once() {
    let env = env().await;
    let mut o = originate(&env).await;
    let p = profile(&env, "Watch", true).await;
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let mut tasks = Vec::new();
    let env = std::sync::Arc::new(env);
    for _ in 0..12 {
        let (env, url) = (env.clone(), url.clone());
        tasks.push(tokio::spawn(async move { join(&env, &url, None).await }));
    }
    let mut viewers = Vec::new();
    for t in tasks {
        viewers.push(t.await.unwrap());
    }
    let (r, _) = roster_until(&mut o, 12).await;
    assert_eq!(r["users"][0]["connections"], 12);
}

#[tokio::test]
async fn a_reloaded_originator_finds_its_viewers_and_roster_again() {
    let env = env().await;
    let o = originate(&env).await;
    let p = profile(&env, "Watch", true).await;
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let (mut v, _) = join(&env, &url, None).await;
    // The page reloads: the tunnel drops without a disconnect.
    drop(o);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut o2 = originate(&env).await;
    let (r, _) = roster_until(&mut o2, 1).await;
    assert_eq!(r["users"][0]["name"], "Anonymous");
    v.send("", &["ping", "still-here"]).await.unwrap();
    let echo = v.wait_for("", T).await.unwrap();
    assert_eq!(
        echo.arg(1),
        Some("still-here"),
        "the viewer survived the reload"
    );
    // Now a deliberate leave ends it for everyone.
    o2.c.send("disconnect", &[]).await.unwrap();
    assert_eq!(v.wait_closed(T).await.unwrap().status(), Some(523));
}

#[tokio::test]
async fn a_viewer_that_stops_reading_never_slows_the_originator() {
    let sim = SimConfig {
        frame_rate: 30.0,
        bitrate: 4_000_000,
        ..SimConfig::default()
    };
    let env = env_with(
        sim,
        opts(&[
            ("PORTHOLE_SHARING_VIEWER_QUEUE_BYTES", "262144"),
            ("PORTHOLE_SHARING_VIEWER_DRAIN_TIMEOUT_MS", "1500"),
        ]),
    )
    .await;
    let mut o = originate(&env).await;
    let p = profile(&env, "Watch", true).await;
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let (mut stalled, _) = join(&env, &url, None).await;
    // The stalled viewer reads nothing from now on; the originator keeps drawing.
    let mut frames = 0;
    let start = tokio::time::Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        o.c.read_frame(&mut o.d, T).await.unwrap();
        frames += 1;
    }
    assert!(
        frames >= 30,
        "the originator kept receiving frames ({frames} in 4 s)"
    );
    // guacd never saw the stalled viewer lag: the gateway acknowledged for it.
    let lagging = env
        .sim
        .connections()
        .iter()
        .flat_map(|c| c.users.clone())
        .any(|u| !u.owner && u.processing_lag_ms.unwrap_or(0) > 1000);
    assert!(
        !lagging,
        "guacd saw a lagging viewer: {:?}",
        env.sim.connections()
    );
    // The stalled viewer was resynchronised or dropped, never buffered without bound.
    let resyncs = env
        .gw
        .metric("porthole_viewer_resyncs_total")
        .await
        .unwrap();
    let closed = stalled.wait_closed(T).await.unwrap();
    assert!(resyncs >= 1.0, "resyncs {resyncs}");
    assert_eq!(closed.status(), Some(776), "{closed:?}");
}

#[tokio::test]
async fn administrators_list_watch_and_end_sessions() {
    let env = env().await;
    let mut o = originate(&env).await;
    let (st, list) = env
        .gw
        .request(Method::GET, "/api/sessions", Some(&env.token), None)
        .await
        .unwrap();
    assert_eq!(st, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["username"], "admin");
    // Watch (read-only).
    let (st, t) = env
        .gw
        .request(
            Method::POST,
            &format!("/api/sessions/{}/watch", o.session),
            Some(&env.token),
            None,
        )
        .await
        .unwrap();
    assert_eq!((st, t["read_only"].as_bool()), (200, Some(true)));
    let q = format!(
        "GUAC_TYPE=s&GUAC_ID={}&token={}",
        t["ticket"].as_str().unwrap(),
        env.token
    );
    let mut w = GuacClient::connect(&env.gw.tunnel_url(&q)).await.unwrap();
    let mut wd = Display::default();
    read_until_painted(&mut w, &mut wd).await;
    let (r, _) = roster_until(&mut o, 1).await;
    assert_eq!(r["users"][0]["name"], "admin");
    let (_, list) = env
        .gw
        .request(Method::GET, "/api/sessions", Some(&env.token), None)
        .await
        .unwrap();
    assert_eq!(list[0]["viewers"][0]["kind"], "admin-watch");
    assert_eq!(list[0]["viewers"][0]["read_only"], true);
    // End it: both get the ended status.
    let (st, _) = env
        .gw
        .request(
            Method::DELETE,
            &format!("/api/sessions/{}", o.session),
            Some(&env.token),
            None,
        )
        .await
        .unwrap();
    assert_eq!(st, 204);
    assert_eq!(w.wait_closed(T).await.unwrap().status(), Some(523));
    assert_eq!(o.c.wait_closed(T).await.unwrap().status(), Some(523));
    let (_, list) = env
        .gw
        .request(Method::GET, "/api/sessions", Some(&env.token), None)
        .await
        .unwrap();
    assert_eq!(list, json!([]));
}
