//! The tunnel as the stock guacamole-common-js uses it: handshake, frames, input.

use crate::fixture::*;
use porthole_protocol::Status;
use porthole_testsuite::client::{Display, GuacClient};
use porthole_testsuite::sim::{Fault, SimConfig, Simulator, TlsIdentity, BACKGROUND, WHITE};
use std::time::Duration;

#[tokio::test]
async fn stock_handshake_uuid_first_then_the_desktop_pixels() {
    let env = env().await;
    let mut c = GuacClient::connect(&env.gw.tunnel_url(&query(&env.token, &env.conn)))
        .await
        .unwrap();
    // The very first instruction is the internal tunnel UUID.
    let first = c.next(T).await.unwrap().unwrap();
    assert_eq!(first.opcode(), "");
    let uuid = first.arg(0).unwrap();
    assert_eq!(uuid.len(), 36);
    assert!(uuid::Uuid::parse_str(uuid).is_ok());

    let mut d = Display::default();
    read_until_painted(&mut c, &mut d).await;
    let screen = d.screen().expect("layer 0 sized");
    assert_eq!((screen.width, screen.height), (1024, 768));
    let near = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 2);
    assert!(
        near(screen.pixel(512, 384).unwrap(), BACKGROUND),
        "{:?}",
        screen.pixel(512, 384)
    );
    assert!(near(screen.pixel(10, 10).unwrap(), WHITE));
}

#[tokio::test]
async fn guacd_gets_the_handshake_the_browser_asked_for() {
    let env = env().await;
    let (_c, _d) = open(&env).await;
    let hs = env.sim.handshakes();
    let h = hs
        .iter()
        .find(|h| h.select == "vnc")
        .expect("a vnc handshake");
    let dbg = format!("{h:?}");
    for needle in [
        "1024",
        "768",
        "image/png",
        "image/jpeg",
        "audio/L16",
        "UTC",
        "admin",
        "VERSION_1_5_0",
        "desktop.example",
    ] {
        assert!(dbg.contains(needle), "{needle} missing from {dbg}");
    }
}

#[tokio::test]
async fn keys_mouse_and_clipboard_reach_guacd_and_pings_are_answered() {
    let env = env().await;
    let (mut c, _d) = open(&env).await;
    assert_alive(&env, &mut c, "p1").await;
    c.send("mouse", &["100", "200", "1"]).await.unwrap();
    let m = env
        .sim
        .wait_for_input(|r| r.opcode() == "mouse", T)
        .await
        .unwrap();
    assert_eq!(m.args(), ["100", "200", "1"]);
    assert!(m.accepted);
    // The internal ping is consumed by the gateway, never forwarded.
    assert!(env.sim.received().iter().all(|r| !r.opcode().is_empty()));
}

#[tokio::test]
async fn an_idle_session_is_kept_alive_toward_guacd() {
    let sim_cfg = SimConfig {
        user_timeout: Duration::from_millis(1500),
        ..SimConfig::default()
    };
    let env = env_with(
        sim_cfg,
        opts(&[("PORTHOLE_TUNNEL_UPSTREAM_KEEPALIVE_MS", "300")]),
    )
    .await;
    let (mut c, _d) = open(&env).await;
    // Idle (only tunnel pings, which never reach guacd) for twice guacd's timeout.
    for i in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.send("", &["ping", &i.to_string()]).await.unwrap();
    }
    assert_alive(&env, &mut c, "after-idle").await;
    assert!(
        env.sim.received().iter().any(|r| r.opcode() == "nop"),
        "gateway sent nop"
    );
}

#[tokio::test]
async fn a_silent_browser_is_closed_with_client_timeout() {
    let env = env_with(
        SimConfig::default(),
        opts(&[("PORTHOLE_TUNNEL_BROWSER_TIMEOUT_MS", "800")]),
    )
    .await;
    let (mut c, _d) = open(&env).await;
    let closed = c.wait_closed(T).await.unwrap();
    assert_eq!(closed.status(), Some(Status::ClientTimeout.code()));
    // guacd was told the user left.
    assert!(env.sim.wait_until(|s| s.connections().is_empty(), T).await);
}

#[tokio::test]
async fn a_guacd_error_reaches_the_browser_with_its_status() {
    let sim_cfg = SimConfig {
        fault: Some(Fault::ErrorAfterReady {
            message: "Unable to connect to VNC server.".into(),
            status: Status::UpstreamNotFound,
        }),
        ..SimConfig::default()
    };
    let env = env_with(sim_cfg, Default::default()).await;
    let mut c = GuacClient::connect(&env.gw.tunnel_url(&query(&env.token, &env.conn)))
        .await
        .unwrap();
    let e = c.wait_for("error", T).await.unwrap();
    assert_eq!(e.arg(0), Some("Unable to connect to VNC server."));
    assert_eq!(c.wait_closed(T).await.unwrap().status(), Some(519));
}

#[tokio::test]
async fn guacd_over_tls_with_a_configured_ca() {
    let id = TlsIdentity::self_signed(&["localhost", "127.0.0.1"]).unwrap();
    let ca = std::env::temp_dir().join(format!("porthole-ca-{}.pem", uuid::Uuid::new_v4()));
    std::fs::write(&ca, &id.cert_pem).unwrap();
    let sim = Simulator::start(SimConfig {
        tls: Some(id),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let gw = porthole_testsuite::gateway::Gateway::start_with(opts(&[(
        "PORTHOLE_GUACD_CA_FILE",
        ca.to_str().unwrap(),
    )]))
    .await
    .unwrap();
    let token = gw.admin_token().await.unwrap();
    let (st, body) = gw
        .request(
            reqwest::Method::POST,
            "/api/connections",
            Some(&token),
            Some(
                serde_json::json!({"name":"tls","protocol":"vnc","parameters":{},
                "guacd":{"host":"localhost","port":sim.addr().port(),"tls":true}}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(st, 201);
    let conn = body["id"].as_str().unwrap();
    let mut c = GuacClient::connect(&gw.tunnel_url(&query(&token, conn)))
        .await
        .unwrap();
    let mut d = Display::default();
    c.read_frame(&mut d, T).await.unwrap();
    assert_eq!(d.screen().unwrap().width, 1024);
    let _ = std::fs::remove_file(ca);

    // The same guacd without the CA is refused: unreachable for the browser.
    let gw2 = porthole_testsuite::gateway::Gateway::start().await.unwrap();
    let t2 = gw2.admin_token().await.unwrap();
    let (_, body) = gw2
        .request(
            reqwest::Method::POST,
            "/api/connections",
            Some(&t2),
            Some(
                serde_json::json!({"name":"tls","protocol":"vnc","parameters":{},
                "guacd":{"host":"localhost","port":sim.addr().port(),"tls":true}}),
            ),
        )
        .await
        .unwrap();
    let mut c = GuacClient::connect(&gw2.tunnel_url(&query(&t2, body["id"].as_str().unwrap())))
        .await
        .unwrap();
    assert_eq!(c.wait_closed(T).await.unwrap().status(), Some(519));
}
