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
