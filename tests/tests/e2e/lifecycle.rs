//! Process lifecycle: health, metrics, draining on SIGTERM.

use crate::fixture::*;
use std::time::Duration;

#[tokio::test]
async fn health_and_metrics_report_live_tunnels() {
    let env = env().await;
    let (st, h) = env
        .gw
        .request(reqwest::Method::GET, "/healthz", None, None)
        .await
        .unwrap();
    assert_eq!((st, h["status"].as_str()), (200, Some("ok")));
    let (mut c, _d) = open(&env).await;
    assert_eq!(env.gw.metric("porthole_tunnels_open").await.unwrap(), 1.0);
    assert_eq!(env.gw.metric("porthole_sessions_open").await.unwrap(), 1.0);
    assert!(
        env.gw
            .metric("porthole_bytes_to_browser_total")
            .await
            .unwrap()
            > 1000.0
    );
    c.close().await.unwrap();
    let mut ok = false;
    for _ in 0..50 {
        if env.gw.metric("porthole_tunnels_open").await.unwrap() == 0.0 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "tunnel count went back to 0");
    assert!(
        env.sim.wait_until(|s| s.connections().is_empty(), T).await,
        "guacd user left"
    );
}

#[tokio::test]
async fn sigterm_closes_browsers_with_a_status_and_disconnects_guacd() {
    let mut env = env().await;
    let (mut c, _d) = open(&env).await;
    let code = tokio::spawn(async move {
        let code = env.gw.terminate(Duration::from_secs(10)).await;
        (env, code)
    });
    let closed = c.wait_closed(T).await.unwrap();
    assert_eq!(closed.status(), Some(513), "server busy: reconnect shortly");
    let (env, code) = code.await.unwrap();
    assert_eq!(code.unwrap(), Some(0));
    assert!(env.sim.wait_until(|s| s.connections().is_empty(), T).await);
    assert!(env
        .sim
        .received()
        .iter()
        .any(|r| r.opcode() == "disconnect"));
}

#[tokio::test]
async fn https_and_wss_with_a_configured_certificate() {
    let id =
        porthole_testsuite::sim::TlsIdentity::self_signed(&["localhost", "127.0.0.1"]).unwrap();
    let dir = std::env::temp_dir().join(format!("porthole-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, &id.cert_pem).unwrap();
    std::fs::write(&key, &id.key_pem).unwrap();
    let sim = porthole_testsuite::sim::Simulator::start(Default::default())
        .await
        .unwrap();
    let gw = porthole_testsuite::gateway::Gateway::start_with(opts(&[
        ("PORTHOLE_SERVER_TLS_CERT", cert.to_str().unwrap()),
        ("PORTHOLE_SERVER_TLS_KEY", key.to_str().unwrap()),
    ]))
    .await
    .unwrap();
    assert!(gw.base.starts_with("https://"), "{}", gw.base);
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(id.cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let r = http
        .post(format!("{}/api/tokens", gw.base))
        .json(&serde_json::json!({"username":"admin","password":porthole_testsuite::gateway::ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = http
        .post(format!("{}/api/connections", gw.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name":"s","protocol":"vnc","guacd":{"host":"127.0.0.1","port":sim.addr().port()}}))
        .send()
        .await
        .unwrap();
    let conn = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!(
        "{}/websocket-tunnel?{}",
        gw.base.replacen("https", "wss", 1),
        query(&token, &conn)
    );
    let mut c = porthole_testsuite::client::GuacClient::connect_tls(&url, &id.cert_pem)
        .await
        .unwrap();
    let mut d = porthole_testsuite::client::Display::default();
    read_until_painted(&mut c, &mut d).await;
    // Plain HTTP to the HTTPS port is not served.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/healthz", gw.port)).await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn json_logs_and_never_a_token_in_them() {
    let gw =
        porthole_testsuite::gateway::Gateway::start_with(opts(&[("PORTHOLE_LOG_FORMAT", "json")]))
            .await
            .unwrap();
    let token = gw.admin_token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = gw.stderr();
    let lines: Vec<&str> = log.lines().filter(|l| l.starts_with('{')).collect();
    assert!(!lines.is_empty(), "{log}");
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{l}");
    }
    assert!(log.contains("signed in"));
    assert!(!log.contains(&token));
}

#[test]
fn check_config_explains_what_is_wrong() {
    let bin = porthole_testsuite::gateway::porthole_binary().unwrap();
    let ok = std::process::Command::new(&bin)
        .args(["check-config"])
        .env("PORTHOLE_GUACD_HOST", "guacd.internal")
        .output()
        .unwrap();
    assert!(ok.status.success());
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        out.contains("configuration is valid") && out.contains("guacd.internal:4822"),
        "{out}"
    );

    let bad = std::process::Command::new(&bin)
        .args(["check-config", "--listen", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("server.listen") && err.contains("not-an-address"),
        "{err}"
    );

    let help = std::process::Command::new(&bin)
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("check-config"));
}
