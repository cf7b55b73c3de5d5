//! Connection definitions: name, protocol, guacd parameters, and optionally the guacd
//! that serves them.

use super::{new_id, now_ms, Store};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;

/// A guacd daemon a connection is served by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuacdTarget {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub tls: bool,
}

/// `guacd`: served by a guacd daemon. `builtin`: Porthole's own VNC client.
pub const BACKENDS: [&str; 2] = ["guacd", "builtin"];

/// A stored connection definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub protocol: String,
    /// One of [`BACKENDS`].
    pub backend: String,
    pub parameters: BTreeMap<String, String>,
    /// `None`: the configured default guacd.
    pub guacd: Option<GuacdTarget>,
    pub owner_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Fields a client supplies to create or replace a connection.
#[derive(Debug, Clone, Default)]
pub struct ConnectionInput {
    pub name: String,
    pub protocol: String,
    pub backend: String,
    pub parameters: BTreeMap<String, String>,
    pub guacd: Option<GuacdTarget>,
    pub owner_id: Option<String>,
}

const COLUMNS: &str =
    "id, name, protocol, parameters, guacd_host, guacd_port, guacd_tls, owner_id, \
                       created_at, updated_at, backend";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Connection> {
    let params: String = r.try_get("parameters")?;
    let host: Option<String> = r.try_get("guacd_host")?;
    let port: Option<i64> = r.try_get("guacd_port")?;
    let tls: Option<i64> = r.try_get("guacd_tls")?;
    let guacd = match (host, port) {
        (Some(host), Some(port)) => Some(GuacdTarget {
            host,
            port: u16::try_from(port).context("stored guacd port out of range")?,
            tls: tls.unwrap_or(0) != 0,
        }),
        _ => None,
    };
    Ok(Connection {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        protocol: r.try_get("protocol")?,
        backend: r.try_get("backend")?,
        parameters: serde_json::from_str(&params).context("stored parameters are not JSON")?,
        guacd,
        owner_id: r.try_get("owner_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Creates a connection.
pub async fn create(store: &Store, c: &ConnectionInput) -> Result<Connection> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(&format!(
        "INSERT INTO connections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&id)
    .bind(&c.name)
    .bind(&c.protocol)
    .bind(serde_json::to_string(&c.parameters)?)
    .bind(c.guacd.as_ref().map(|g| g.host.clone()))
    .bind(c.guacd.as_ref().map(|g| i64::from(g.port)))
    .bind(c.guacd.as_ref().map(|g| i64::from(g.tls)))
    .bind(&c.owner_id)
    .bind(now)
    .bind(now)
    .bind(backend_or_default(&c.backend))
    .execute(store.pool())
    .await?;
    get(store, &id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("connection {id} vanished after insert"))
}

/// A connection by id.
pub async fn get(store: &Store, id: &str) -> Result<Option<Connection>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM connections WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// All connections, by name.
pub async fn list(store: &Store) -> Result<Vec<Connection>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM connections ORDER BY name, id"
    ))
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Replaces a connection's fields; `false` when it does not exist.
pub async fn update(store: &Store, id: &str, c: &ConnectionInput) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE connections SET name = $1, protocol = $2, parameters = $3, guacd_host = $4, \
         guacd_port = $5, guacd_tls = $6, owner_id = $7, updated_at = $8, backend = $9 \
         WHERE id = $10",
    )
    .bind(&c.name)
    .bind(&c.protocol)
    .bind(serde_json::to_string(&c.parameters)?)
    .bind(c.guacd.as_ref().map(|g| g.host.clone()))
    .bind(c.guacd.as_ref().map(|g| i64::from(g.port)))
    .bind(c.guacd.as_ref().map(|g| i64::from(g.tls)))
    .bind(&c.owner_id)
    .bind(now_ms())
    .bind(backend_or_default(&c.backend))
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(r.rows_affected() > 0)
}

fn backend_or_default(b: &str) -> &str {
    if b.is_empty() {
        "guacd"
    } else {
        b
    }
}

/// Deletes a connection; `false` when it does not exist.
pub async fn delete(store: &Store, id: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM connections WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(r.rows_affected() > 0)
}
