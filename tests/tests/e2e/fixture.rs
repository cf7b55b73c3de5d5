//! Shared set-up: a simulator, a gateway pointed at it, an admin token and a connection.

use porthole_testsuite::client::{Display, GuacClient};
use porthole_testsuite::gateway::{Gateway, GatewayOptions};
use porthole_testsuite::sim::{SimConfig, Simulator};
use std::time::Duration;

pub const T: Duration = Duration::from_secs(10);

pub struct Env {
    pub sim: Simulator,
    pub gw: Gateway,
    pub token: String,
    pub conn: String,
}

pub fn opts(env: &[(&str, &str)]) -> GatewayOptions {
    GatewayOptions {
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..Default::default()
    }
}

pub async fn env() -> Env {
    env_with(SimConfig::default(), GatewayOptions::default()).await
}

pub async fn env_with(sim_cfg: SimConfig, gw_opts: GatewayOptions) -> Env {
    let sim = Simulator::start(sim_cfg).await.expect("simulator starts");
    let gw = Gateway::start_with(gw_opts).await.expect("gateway starts");
    let token = gw.admin_token().await.expect("admin signs in");
    let conn = gw
        .create_connection(&token, "Sim desktop", "vnc", sim.addr())
        .await
        .expect("connection created");
    Env {
        sim,
        gw,
        token,
        conn,
    }
}

/// The connect string the stock web client sends.
pub fn query(token: &str, conn: &str) -> String {
    format!(
        "token={token}&GUAC_DATA_SOURCE=porthole&GUAC_ID={conn}&GUAC_TYPE=c&GUAC_WIDTH=1024\
         &GUAC_HEIGHT=768&GUAC_DPI=96&GUAC_TIMEZONE=UTC&GUAC_AUDIO=audio%2FL16\
         &GUAC_IMAGE=image%2Fpng&GUAC_IMAGE=image%2Fjpeg"
    )
}

/// Opens a tunnel and reads up to the first frame, as the stock client does.
pub async fn open(env: &Env) -> (GuacClient, Display) {
    let mut c = GuacClient::connect(&env.gw.tunnel_url(&query(&env.token, &env.conn)))
        .await
        .expect("tunnel opens");
    let mut d = Display::default();
    read_until_painted(&mut c, &mut d).await;
    (c, d)
}

/// Reads frames (answering each `sync`) until the screen's centre is painted; guacd
/// sends the cursor in its first frame and the screen after it.
pub async fn read_until_painted(c: &mut GuacClient, d: &mut Display) {
    for _ in 0..20 {
        c.read_frame(d, T).await.expect("a frame arrives");
        if let Some(s) = d.screen() {
            if s.pixel(s.width / 2, s.height / 2)
                .is_some_and(|p| p != [0, 0, 0])
            {
                return;
            }
        }
    }
    panic!("the screen was never painted");
}

/// Proves a tunnel is alive end to end: a ping comes back, and a key reaches guacd.
pub async fn assert_alive(env: &Env, c: &mut GuacClient, marker: &str) {
    c.send("", &["ping", marker]).await.expect("ping sent");
    loop {
        let i = c
            .next(T)
            .await
            .expect("tunnel answers")
            .expect("tunnel open");
        if i.opcode().is_empty() && i.arg(0) == Some("ping") && i.arg(1) == Some(marker) {
            break;
        }
    }
    let keysym = format!("{}", 0x61 + marker.len() % 26);
    c.send("key", &[&keysym, "1"]).await.expect("key sent");
    let got = env
        .sim
        .wait_for_input(
            |r| r.opcode() == "key" && r.args().first() == Some(&keysym.as_str()),
            T,
        )
        .await;
    assert!(got.is_some(), "key {keysym} never reached guacd");
}
