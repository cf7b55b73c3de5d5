//! Sharing profiles: per connection, a name (unique within the connection), a read-only
//! flag, and the guacd parameters applied to whoever joins through it.

use super::{new_id, now_ms, Store};
use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

/// A stored sharing profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharingProfile {
    pub id: String,
    pub connection_id: String,
    pub name: String,
    pub read_only: bool,
    /// Joiner parameters besides `read-only` (which follows `read_only`).
    pub parameters: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SharingProfile {
    /// The `connect` values a joiner sends to guacd: the profile's parameters, with
    /// `read-only` set from the flag (guacd parses it strictly: "true" or nothing).
    pub fn joiner_parameters(&self) -> BTreeMap<String, String> {
        let mut p = self.parameters.clone();
        if self.read_only {
            p.insert("read-only".into(), "true".into());
        } else {
            p.remove("read-only");
        }
        p
    }
}

/// Fields a client supplies.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub name: String,
    pub read_only: bool,
    pub parameters: BTreeMap<String, String>,
}

const COLUMNS: &str = "id, connection_id, name, read_only, parameters, created_at, updated_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<SharingProfile> {
    let params: String = r.try_get("parameters")?;
    Ok(SharingProfile {
        id: r.try_get("id")?,
        connection_id: r.try_get("connection_id")?,
        name: r.try_get("name")?,
        read_only: r.try_get::<i64, _>("read_only")? != 0,
        parameters: serde_json::from_str(&params)
            .context("stored profile parameters are not JSON")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Whether a database error is a uniqueness violation (SQLite and PostgreSQL).
pub fn is_unique_violation(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let s = c.to_string().to_lowercase();
        s.contains("unique") || s.contains("duplicate key")
    })
}

/// Creates a profile for a connection.
pub async fn create(
    store: &Store,
    connection_id: &str,
    p: &ProfileInput,
) -> Result<SharingProfile> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(&format!(
        "INSERT INTO sharing_profiles ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(&id)
    .bind(connection_id)
    .bind(&p.name)
    .bind(i64::from(p.read_only))
    .bind(serde_json::to_string(&p.parameters)?)
    .bind(now)
    .bind(now)
    .execute(store.pool())
    .await?;
    get(store, &id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("profile {id} vanished after insert"))
}

/// A profile by id.
pub async fn get(store: &Store, id: &str) -> Result<Option<SharingProfile>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM sharing_profiles WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The profiles of a connection, by name.
pub async fn list_for_connection(
    store: &Store,
    connection_id: &str,
) -> Result<Vec<SharingProfile>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM sharing_profiles WHERE connection_id = $1 ORDER BY name"
    ))
    .bind(connection_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Replaces a profile's fields; `false` when it does not exist.
pub async fn update(store: &Store, id: &str, p: &ProfileInput) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE sharing_profiles SET name = $1, read_only = $2, parameters = $3, updated_at = $4 \
         WHERE id = $5",
    )
    .bind(&p.name)
    .bind(i64::from(p.read_only))
    .bind(serde_json::to_string(&p.parameters)?)
    .bind(now_ms())
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Deletes a profile; `false` when it does not exist.
pub async fn delete(store: &Store, id: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM sharing_profiles WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(r.rows_affected() > 0)
}
