//! The audit trail: every attempted change, allowed or denied, with who tried it, what
//! it targeted, and which authority decided.

use super::{now_ms, Store};
use anyhow::Result;
use serde::Serialize;
use sqlx::Row;

/// One audited event.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub id: String,
    pub at: i64,
    pub actor_user_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// `allowed` or `denied`.
    pub outcome: String,
    pub authority: String,
    pub detail: serde_json::Value,
    pub remote_addr: Option<String>,
}

/// What to record. `at` is when it happened (stamped by the caller, not when the
/// background write runs), and the id is a time-ordered UUIDv7, so events list in the
/// order they happened even within one millisecond.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub at: i64,
    pub actor_user_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub allowed: bool,
    pub authority: String,
    pub detail: serde_json::Value,
    pub remote_addr: Option<String>,
}

/// Appends an event.
pub async fn record(store: &Store, e: NewEvent) -> Result<()> {
    let detail = if e.detail.is_null() {
        "{}".to_string()
    } else {
        e.detail.to_string()
    };
    sqlx::query(
        "INSERT INTO audit_events (id, at, actor_user_id, actor_name, action, target_type, \
         target_id, outcome, authority, detail, remote_addr) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(if e.at == 0 { now_ms() } else { e.at })
    .bind(&e.actor_user_id)
    .bind(&e.actor_name)
    .bind(&e.action)
    .bind(&e.target_type)
    .bind(&e.target_id)
    .bind(if e.allowed { "allowed" } else { "denied" })
    .bind(&e.authority)
    .bind(detail)
    .bind(&e.remote_addr)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Events, newest first, with the total count.
pub async fn list(store: &Store, limit: i64, offset: i64) -> Result<(Vec<AuditEvent>, i64)> {
    let rows = sqlx::query(
        "SELECT id, at, actor_user_id, actor_name, action, target_type, target_id, outcome, \
         authority, detail, remote_addr FROM audit_events ORDER BY at DESC, id DESC LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await?;
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_events")
        .fetch_one(store.pool())
        .await?
        .try_get("n")?;
    let events = rows
        .iter()
        .map(|r| {
            let detail: String = r.try_get("detail")?;
            Ok(AuditEvent {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor_user_id: r.try_get("actor_user_id")?,
                actor_name: r.try_get("actor_name")?,
                action: r.try_get("action")?,
                target_type: r.try_get("target_type")?,
                target_id: r.try_get("target_id")?,
                outcome: r.try_get("outcome")?,
                authority: r.try_get("authority")?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                remote_addr: r.try_get("remote_addr")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((events, total))
}
