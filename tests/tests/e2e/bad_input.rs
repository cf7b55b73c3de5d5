//! Bad input of every kind: each case gets its expected status, closes only its own
//! tunnel, and leaves a bystander session and the process healthy.

use crate::fixture::*;
use porthole_testsuite::client::{ConnectOptions, GuacClient};
use porthole_testsuite::sim::{Fault, SimConfig, Simulator};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

async fn healthy(env: &Env, bystander: &mut GuacClient, case: &str) {
    assert_alive(env, bystander, case).await;
    let (st, _) = env
        .gw
        .request(Method::GET, "/healthz", None, None)
        .await
        .unwrap();
    assert_eq!(st, 200, "healthz after {case}");
}

/// Opens a tunnel, sends `payload` (text, or binary when `binary`), expects `status`.
async fn expect_close(env: &Env, payload: &[u8], binary: bool, status: u16, case: &str) {
    let (mut c, _d) = open(env).await;
    if binary {
        c.send_binary(payload.to_vec()).await.unwrap();
    } else {
        c.send_raw(std::str::from_utf8(payload).unwrap())
            .await
            .unwrap();
    }
    let closed = c.wait_closed(T).await.unwrap();
    assert_eq!(closed.status(), Some(status), "case {case}: {closed:?}");
}

#[tokio::test]
async fn malformed_browser_input_closes_only_its_tunnel() {
    let env = env().await;
    let (mut bystander, _d) = open(&env).await;
    let big = format!("3.key,8193.{},1.1;", "x".repeat(8193));
    let many = {
        let mut s = String::from("3.key");
        for _ in 0..130 {
            s.push_str(",1.1");
        }
        s.push(';');
        s
    };
    let cases: Vec<(&str, Vec<u8>, bool, u16)> = vec![
        ("malformed length", b"4.key,xx.65;".to_vec(), false, 768),
        ("bad terminator", b"3.key,2.65:1.1;".to_vec(), false, 768),
        ("oversized element", big.into_bytes(), false, 781),
        ("too many elements", many.into_bytes(), false, 781),
        ("wrong arity", b"3.key,2.65;".to_vec(), false, 768),
        ("handshake opcode", b"6.select,3.vnc;".to_vec(), false, 768),
        ("partial instruction", b"3.key,2.65".to_vec(), false, 768),
        (
            "stream index out of range",
            b"4.blob,4.9999,4.AAAA;".to_vec(),
            false,
            768,
        ),
        (
            "invalid UTF-8",
            b"3.key,2.\xff\xfe,1.1;".to_vec(),
            true,
            768,
        ),
    ];
    for (case, payload, binary, status) in cases {
        expect_close(&env, &payload, binary, status, case).await;
        healthy(&env, &mut bystander, case).await;
    }
    // Nothing malformed ever reached guacd.
    for r in env.sim.received() {
        assert!(
            ["key", "sync", "nop", "disconnect", "mouse"].contains(&r.opcode()),
            "{:?}",
            r.instruction
        );
    }
    assert!(
        env.gw
            .metric("porthole_browser_instructions_rejected_total")
            .await
            .unwrap()
            >= 9.0
    );
}

#[tokio::test]
async fn bad_tokens_and_unknown_connections_are_refused_with_their_status() {
    let env = env_with(
        SimConfig::default(),
        opts(&[("PORTHOLE_AUTH_TOKEN_TTL_SECS", "1")]),
    )
    .await;
    let expiring = env.gw.admin_token().await.unwrap();
    let fresh_env_token = env.token.clone();
    let _ = fresh_env_token;
    let cases = [
        (
            "missing token",
            format!("GUAC_ID={}&GUAC_TYPE=c", env.conn),
            769,
        ),
        (
            "forged token",
            query("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &env.conn),
            769,
        ),
        (
            "unknown connection",
            query(&env.token, "no-such-connection"),
            516,
        ),
    ];
    for (case, q, status) in cases {
        let mut c = GuacClient::connect(&env.gw.tunnel_url(&q)).await.unwrap();
        // The UUID still comes first, then the close with the status.
        let first = c.next(T).await.unwrap().unwrap();
        assert_eq!(first.opcode(), "", "{case}");
        assert_eq!(
            c.wait_closed(T).await.unwrap().status(),
            Some(status),
            "{case}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut c = GuacClient::connect(&env.gw.tunnel_url(&query(&expiring, &env.conn)))
        .await
        .unwrap();
    assert_eq!(
        c.wait_closed(T).await.unwrap().status(),
        Some(769),
        "expired token"
    );
}

#[tokio::test]
async fn a_foreign_origin_cannot_open_a_tunnel() {
    let env = env().await;
    let url = env.gw.tunnel_url(&query(&env.token, &env.conn));
    let evil = GuacClient::connect_with(
        &url,
        ConnectOptions {
            origin: Some("http://evil.example".into()),
        },
    )
    .await;
    assert!(evil.is_err(), "cross-site upgrade must be refused");
    assert!(format!("{:#}", evil.err().unwrap()).contains("403"));
    let own = GuacClient::connect_with(
        &url,
        ConnectOptions {
            origin: Some(env.gw.base.clone()),
        },
    )
    .await;
    assert!(own.is_ok());
}

/// A connection pointing at another guacd.
async fn connection_to(
    env: &Env,
    name: &str,
    protocol: &str,
    addr: std::net::SocketAddr,
) -> String {
    let (st, body) = env
        .gw
        .request(
            Method::POST,
            "/api/connections",
            Some(&env.token),
            Some(json!({"name": name, "protocol": protocol, "parameters": {},
                "guacd": {"host": addr.ip().to_string(), "port": addr.port()}})),
        )
        .await
        .unwrap();
    assert_eq!(st, 201);
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn broken_guacds_give_clear_statuses_and_never_stall_other_sessions() {
    let env = env_with(
        SimConfig::default(),
        opts(&[("PORTHOLE_GUACD_HANDSHAKE_TIMEOUT_MS", "800")]),
    )
    .await;
    let (mut bystander, _d) = open(&env).await;

    // Nothing listens on this port: guacd unreachable.
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let silent = Simulator::start(SimConfig {
        fault: Some(Fault::Silent),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mid = Simulator::start(SimConfig {
        fault: Some(Fault::CloseMidFrame { after_bytes: 700 }),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let hangup = Simulator::start(SimConfig {
        fault: Some(Fault::CloseAfterSelect),
        ..SimConfig::default()
    })
    .await
    .unwrap();

    let cases = [
        (
            "guacd refused",
            connection_to(&env, "refused", "vnc", closed_port).await,
            519,
        ),
        (
            "guacd silent",
            connection_to(&env, "silent", "vnc", silent.addr()).await,
            514,
        ),
        (
            "unknown protocol",
            connection_to(&env, "unknown", "nosuchproto", env.sim.addr()).await,
            514,
        ),
        (
            "guacd closes after select",
            connection_to(&env, "hangup", "vnc", hangup.addr()).await,
            515,
        ),
        (
            "guacd closes mid-frame",
            connection_to(&env, "mid", "vnc", mid.addr()).await,
            515,
        ),
    ];
    // All at once: a stuck handshake must not delay anybody else.
    let mut tasks = Vec::new();
    for (case, conn, status) in cases {
        let url = env.gw.tunnel_url(&query(&env.token, &conn));
        tasks.push(tokio::spawn(async move {
            let mut c = GuacClient::connect(&url).await.unwrap();
            let closed = c.wait_closed(T).await.unwrap();
            assert_eq!(closed.status(), Some(status), "{case}: {closed:?}");
        }));
    }
    // While those are pending, the bystander keeps working.
    healthy(&env, &mut bystander, "during-failures").await;
    for t in tasks {
        t.await.unwrap();
    }
    healthy(&env, &mut bystander, "after-failures").await;
    let m = env.gw.metrics().await.unwrap();
    assert!(
        m.contains("porthole_guacd_handshake_failures_total{reason=\"timeout\"} 2"),
        "{m}"
    );
    assert!(
        m.contains("porthole_guacd_handshake_failures_total{reason=\"unreachable\"} 1"),
        "{m}"
    );
}
