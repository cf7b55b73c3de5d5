//! The persistent record of share links (the live keys are held by their session; a
//! row here is kept for the audit trail and outlives the link).

use super::{now_ms, Store};
use anyhow::Result;

/// A link as minted.
#[derive(Debug, Clone)]
pub struct LinkRow<'a> {
    pub id: &'a str,
    pub key_hash: &'a str,
    pub session_id: &'a str,
    pub connection_id: &'a str,
    pub profile_id: &'a str,
    pub profile_name: &'a str,
    pub read_only: bool,
    pub created_by: &'a str,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub max_uses: Option<i64>,
}

/// Records a new link.
pub async fn insert(store: &Store, l: &LinkRow<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO share_links (id, key_hash, session_id, connection_id, profile_id, \
         profile_name, read_only, created_by, created_at, expires_at, max_uses, uses, ended_at, \
         end_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, NULL, NULL)",
    )
    .bind(l.id)
    .bind(l.key_hash)
    .bind(l.session_id)
    .bind(l.connection_id)
    .bind(l.profile_id)
    .bind(l.profile_name)
    .bind(i64::from(l.read_only))
    .bind(l.created_by)
    .bind(l.created_at)
    .bind(l.expires_at)
    .bind(l.max_uses)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Records one more use.
pub async fn count_use(store: &Store, id: &str) -> Result<()> {
    sqlx::query("UPDATE share_links SET uses = uses + 1 WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Records the end of a link (first end wins).
pub async fn end(store: &Store, id: &str, reason: &str) -> Result<()> {
    sqlx::query(
        "UPDATE share_links SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL",
    )
    .bind(now_ms())
    .bind(reason)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}
