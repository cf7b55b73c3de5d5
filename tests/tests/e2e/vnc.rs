//! The built-in VNC back end end to end: the real gateway, a real TigerVNC Xvnc, no
//! guacd. The same session model as guacd sessions: links, read-only viewers, notices.

use crate::fixture::*;
use crate::sharing::{join, mint, profile, roster_until, Origin};
use porthole_testsuite::client::{Display, GuacClient};
use porthole_testsuite::xvnc::{self, Xvnc};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

fn skip() -> bool {
    if xvnc::available() {
        return false;
    }
    assert!(
        std::env::var("CI").is_err(),
        "Xvnc must be installed in CI (scripts/install-vnc-deps.sh)"
    );
    eprintln!("skipped: Xvnc is not installed (scripts/install-vnc-deps.sh)");
    true
}

/// A gateway with a built-in VNC connection to `x`.
async fn vnc_env(x: &Xvnc, password: Option<&str>) -> Env {
    let sim = porthole_testsuite::sim::Simulator::start(Default::default())
        .await
        .unwrap();
    let gw = porthole_testsuite::gateway::Gateway::start().await.unwrap();
    let token = gw.admin_token().await.unwrap();
    let mut params = json!({"hostname": "127.0.0.1", "port": x.port.to_string()});
    if let Some(p) = password {
        params["password"] = json!(p);
    }
    let (st, body) = gw
        .request(Method::POST, "/api/connections", Some(&token),
            Some(json!({"name": "Desktop", "protocol": "vnc", "backend": "builtin", "parameters": params})))
        .await
        .unwrap();
    assert_eq!(st, 201, "{body}");
    let conn = body["id"].as_str().unwrap().to_owned();
    Env {
        sim,
        gw,
        token,
        conn,
    }
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 2)
}

/// Reads frames until the centre pixel has `colour`.
async fn until_colour(c: &mut GuacClient, d: &mut Display, colour: [u8; 3]) {
    let shows = |d: &Display| {
        d.screen()
            .and_then(|s| s.pixel(s.width / 2, s.height / 2))
            .is_some_and(|p| near(p, colour))
    };
    for _ in 0..200 {
        if shows(d) {
            return;
        }
        c.read_frame(d, T).await.unwrap();
    }
    panic!("the screen never showed {colour:?}");
}

#[tokio::test]
async fn a_builtin_vnc_desktop_is_served_and_shared_without_guacd() {
    if skip() {
        return;
    }
    let x = Xvnc::start(800, 600, None).unwrap();
    x.fill("#3366cc").unwrap();
    let env = vnc_env(&x, None).await;
    let (mut c, mut d) = {
        let mut c = GuacClient::connect(&env.gw.tunnel_url(&query(&env.token, &env.conn)))
            .await
            .unwrap();
        let mut d = Display::default();
        until_colour(&mut c, &mut d, [0x33, 0x66, 0xcc]).await;
        (c, d)
    };
    assert_eq!(
        (d.screen().unwrap().width, d.screen().unwrap().height),
        (800, 600)
    );
    // No guacd was involved.
    assert!(env.sim.handshakes().is_empty());

    // Changes on the X side arrive.
    x.fill("#cc3300").unwrap();
    until_colour(&mut c, &mut d, [0xcc, 0x33, 0x00]).await;

    // The pointer moves on the X side.
    c.send("mouse", &["123", "77", "0"]).await.unwrap();
    let mut moved = false;
    for _ in 0..50 {
        if x.pointer().unwrap() == (123, 77) {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(moved, "pointer at {:?}", x.pointer().unwrap());

    // Share read-only: the viewer gets the same screen; its pointer never moves X.
    let uuid = c.uuid.clone().unwrap();
    let (_, s) = env
        .gw
        .request(
            Method::GET,
            &format!("/api/tunnels/{uuid}/session"),
            Some(&env.token),
            None,
        )
        .await
        .unwrap();
    let mut o = Origin {
        c,
        d,
        session: s["id"].as_str().unwrap().to_owned(),
    };
    let p = profile(&env, "Watch", true).await;
    let (_, url) = mint(&env, &o.session, json!({"profile_id": p})).await;
    let (mut v, mut vd) = join(&env, &url, None).await;
    until_colour(&mut v, &mut vd, [0xcc, 0x33, 0x00]).await;
    let (r, _) = roster_until(&mut o, 1).await;
    assert_eq!(r["users"][0]["name"], "Anonymous");
    v.send("mouse", &["400", "300", "1"]).await.unwrap();
    v.send("key", &["97", "1"]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        x.pointer().unwrap(),
        (123, 77),
        "a read-only viewer moved the pointer"
    );

    // The originator leaves deliberately: the viewer is closed, the VNC connection ends.
    o.c.send("disconnect", &[]).await.unwrap();
    assert_eq!(v.wait_closed(T).await.unwrap().status(), Some(523));
}

#[tokio::test]
async fn vnc_passwords_and_a_dying_server_give_clear_statuses() {
    if skip() {
        return;
    }
    let mut x = Xvnc::start(640, 480, Some("s3cret")).unwrap();
    x.fill("#3366cc").unwrap();
    // Wrong password → 769.
    let bad = vnc_env(&x, Some("wrong")).await;
    let mut c = GuacClient::connect(&bad.gw.tunnel_url(&query(&bad.token, &bad.conn)))
        .await
        .unwrap();
    assert_eq!(c.wait_closed(T).await.unwrap().status(), Some(769));
    // Right password → the desktop.
    let env = vnc_env(&x, Some("s3cret")).await;
    let mut c = GuacClient::connect(&env.gw.tunnel_url(&query(&env.token, &env.conn)))
        .await
        .unwrap();
    let mut d = Display::default();
    until_colour(&mut c, &mut d, [0x33, 0x66, 0xcc]).await;
    // The VNC server dies → a clear status within a second.
    x.kill();
    let closed = tokio::time::timeout(Duration::from_secs(1), c.wait_closed(T)).await;
    let closed = closed.expect("closed within 1 s").unwrap();
    assert!(matches!(closed.status(), Some(515 | 519)), "{closed:?}");
}

#[tokio::test]
async fn the_first_start_offers_a_running_demo_desktop() {
    if skip() {
        return;
    }
    let x = Xvnc::start(800, 600, None).unwrap();
    x.fill("#2b4c6f").unwrap();
    let gw = porthole_testsuite::gateway::Gateway::start_with(opts(&[(
        "PORTHOLE_SERVER_DEMO_VNC",
        &format!("127.0.0.1:{}", x.port),
    )]))
    .await
    .unwrap();
    assert!(
        gw.stderr()
            .contains("created the connection 'Demo desktop'"),
        "{}",
        gw.stderr()
    );
    let token = gw.admin_token().await.unwrap();
    let (_, list) = gw
        .request(Method::GET, "/api/connections", Some(&token), None)
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "Demo desktop");
    assert_eq!(list[0]["backend"], "builtin");
    let conn = list[0]["id"].as_str().unwrap();
    let mut c = GuacClient::connect(&gw.tunnel_url(&query(&token, conn)))
        .await
        .unwrap();
    let mut d = Display::default();
    until_colour(&mut c, &mut d, [0x2b, 0x4c, 0x6f]).await;

    // Nothing is offered when no VNC server answers.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let gw2 = porthole_testsuite::gateway::Gateway::start_with(opts(&[(
        "PORTHOLE_SERVER_DEMO_VNC",
        &free.to_string(),
    )]))
    .await
    .unwrap();
    let t2 = gw2.admin_token().await.unwrap();
    let (_, list) = gw2
        .request(Method::GET, "/api/connections", Some(&t2), None)
        .await
        .unwrap();
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn clipboard_goes_both_ways_through_a_builtin_vnc_session() {
    if skip() {
        return;
    }
    let x = Xvnc::start(640, 480, None).unwrap();
    x.fill("#3366cc").unwrap();
    let env = vnc_env(&x, None).await;
    let mut c = GuacClient::connect(&env.gw.tunnel_url(&query(&env.token, &env.conn)))
        .await
        .unwrap();
    let mut d = Display::default();
    until_colour(&mut c, &mut d, [0x33, 0x66, 0xcc]).await;

    // Browser → X: a text/plain clipboard stream, as Guacamole.Client sends it.
    let text = "héllo from the browser";
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, text);
    c.send("clipboard", &["4", "text/plain"]).await.unwrap();
    c.send("blob", &["4", &b64]).await.unwrap();
    c.send("end", &["4"]).await.unwrap();
    let mut on_x = String::new();
    for _ in 0..60 {
        on_x = x
            .x("xclip", &["-o", "-selection", "clipboard"])
            .unwrap_or_default();
        if on_x == text {
            break;
        }
        // Keep the tunnel read so frames are acknowledged.
        let _ = c.next(Duration::from_millis(100)).await;
    }
    assert_eq!(on_x, text, "the X clipboard got the browser's text");

    // X → browser: set the X clipboard; the tunnel carries a clipboard stream with it.
    let mut child = std::process::Command::new("xclip")
        .args(["-i", "-selection", "clipboard"])
        .env("DISPLAY", format!(":{}", x.display))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all("from X, ünïcode".as_bytes())
            .unwrap();
    }
    let _ = child.wait();
    let mut got = Vec::new();
    let mut stream: Option<String> = None;
    let deadline = tokio::time::Instant::now() + T;
    while tokio::time::Instant::now() < deadline {
        let Some(i) = c.next(T).await.unwrap() else {
            break;
        };
        match i.opcode() {
            "clipboard" => stream = i.arg(0).map(str::to_owned),
            "blob" if stream.as_deref() == i.arg(0) => got.extend(
                base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    i.arg(1).unwrap(),
                )
                .unwrap(),
            ),
            "end" if stream.as_deref() == i.arg(0) => break,
            "sync" => {
                let ts = i.arg(0).unwrap().to_owned();
                c.send("sync", &[&ts]).await.unwrap();
            }
            _ => {}
        }
    }
    assert_eq!(String::from_utf8_lossy(&got), "from X, ünïcode");
}
