//! The demo desktop offered on first start.
//!
//! When the database is new (the first administrator was just created) and a VNC server
//! answers at `server.demo_vnc` (default `127.0.0.1:5901`, where
//! `scripts/demo-desktop.sh` starts one), Porthole creates a ready "Demo desktop"
//! connection to it, served by the built-in VNC back end, so a new user sees a shared
//! desktop within minutes. The check is one short TCP connect and the RFB banner; nothing
//! is created when no VNC server answers, and it never runs again on later starts.

use crate::store::{connections, users, Store};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Creates the demo connection if a VNC server answers at `addr`; returns its name.
pub async fn offer(
    store: &Store,
    addr: &str,
    owner_username: &str,
) -> anyhow::Result<Option<String>> {
    let Some((host, port)) = addr.rsplit_once(':') else {
        return Ok(None);
    };
    let Ok(port) = port.parse::<u16>() else {
        return Ok(None);
    };
    if !speaks_rfb(addr).await {
        return Ok(None);
    }
    let owner = users::find_login(store, owner_username)
        .await?
        .map(|u| u.id);
    let mut parameters = BTreeMap::new();
    parameters.insert(
        "hostname".to_string(),
        host.trim_matches(['[', ']']).to_string(),
    );
    parameters.insert("port".to_string(), port.to_string());
    let name = "Demo desktop".to_string();
    connections::create(
        store,
        &connections::ConnectionInput {
            name: name.clone(),
            protocol: "vnc".into(),
            backend: "builtin".into(),
            parameters,
            guacd: None,
            owner_id: owner,
        },
    )
    .await?;
    Ok(Some(name))
}

/// Whether `addr` answers with an RFB protocol banner within a short time.
async fn speaks_rfb(addr: &str) -> bool {
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
        let mut banner = [0u8; 12];
        s.read_exact(&mut banner).await.ok()?;
        Some(banner.starts_with(b"RFB "))
    };
    matches!(
        tokio::time::timeout(Duration::from_millis(500), attempt).await,
        Ok(Some(true))
    )
}
