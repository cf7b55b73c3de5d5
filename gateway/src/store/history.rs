//! Session history: one row per session and one per participant, kept after they end.

use super::{new_id, now_ms, Store};
use anyhow::Result;
use serde::Serialize;
use sqlx::Row;

/// A session as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRecord {
    pub id: String,
    pub connection_id: String,
    pub connection_name: String,
    pub protocol: String,
    pub user_id: String,
    pub username: String,
    pub remote_addr: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub end_status: Option<i64>,
    pub end_reason: Option<String>,
}

/// A participant as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantRecord {
    pub id: String,
    pub session_id: String,
    pub kind: String,
    pub link_id: Option<String>,
    pub profile_id: Option<String>,
    pub profile_name: Option<String>,
    pub user_id: Option<String>,
    pub name: String,
    pub read_only: bool,
    pub remote_addr: String,
    pub joined_at: i64,
    pub left_at: Option<i64>,
    pub leave_reason: Option<String>,
}

/// Records a session's start.
pub async fn session_started(store: &Store, s: &SessionRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO session_history (id, connection_id, connection_name, protocol, user_id, \
         username, remote_addr, started_at, ended_at, end_status, end_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL)",
    )
    .bind(&s.id)
    .bind(&s.connection_id)
    .bind(&s.connection_name)
    .bind(&s.protocol)
    .bind(&s.user_id)
    .bind(&s.username)
    .bind(&s.remote_addr)
    .bind(s.started_at)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Records a session's end.
pub async fn session_ended(store: &Store, id: &str, status: u16, reason: &str) -> Result<()> {
    sqlx::query(
        "UPDATE session_history SET ended_at = $1, end_status = $2, end_reason = $3 \
         WHERE id = $4 AND ended_at IS NULL",
    )
    .bind(now_ms())
    .bind(i64::from(status))
    .bind(reason)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// What is known when someone joins.
#[derive(Debug, Clone)]
pub struct NewParticipant<'a> {
    pub session_id: &'a str,
    pub kind: &'a str,
    pub link_id: Option<&'a str>,
    pub profile_id: Option<&'a str>,
    pub profile_name: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub name: &'a str,
    pub read_only: bool,
    pub remote_addr: &'a str,
}

/// Records a join; returns the participant id.
pub async fn participant_joined(store: &Store, p: &NewParticipant<'_>) -> Result<String> {
    let id = new_id();
    participant_joined_with_id(store, &id, p).await?;
    Ok(id)
}

/// Records a join under a participant id chosen by the caller.
pub async fn participant_joined_with_id(
    store: &Store,
    id: &str,
    p: &NewParticipant<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO session_participants (id, session_id, kind, link_id, profile_id, \
         profile_name, user_id, name, read_only, remote_addr, joined_at, left_at, leave_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL)",
    )
    .bind(id)
    .bind(p.session_id)
    .bind(p.kind)
    .bind(p.link_id)
    .bind(p.profile_id)
    .bind(p.profile_name)
    .bind(p.user_id)
    .bind(p.name)
    .bind(i64::from(p.read_only))
    .bind(p.remote_addr)
    .bind(now_ms())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Records a leave.
pub async fn participant_left(store: &Store, id: &str, reason: &str) -> Result<()> {
    sqlx::query(
        "UPDATE session_participants SET left_at = $1, leave_reason = $2 WHERE id = $3 AND left_at IS NULL",
    )
    .bind(now_ms())
    .bind(reason)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

fn session_from_row(r: &sqlx::any::AnyRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: r.try_get("id")?,
        connection_id: r.try_get("connection_id")?,
        connection_name: r.try_get("connection_name")?,
        protocol: r.try_get("protocol")?,
        user_id: r.try_get("user_id")?,
        username: r.try_get("username")?,
        remote_addr: r.try_get("remote_addr")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
        end_status: r.try_get("end_status")?,
        end_reason: r.try_get("end_reason")?,
    })
}

/// Sessions, newest first: `limit` rows after skipping `offset`; and the total.
pub async fn list_sessions(
    store: &Store,
    limit: i64,
    offset: i64,
) -> Result<(Vec<SessionRecord>, i64)> {
    let rows = sqlx::query(
        "SELECT id, connection_id, connection_name, protocol, user_id, username, remote_addr, \
         started_at, ended_at, end_status, end_reason FROM session_history \
         ORDER BY started_at DESC, id DESC LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await?;
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM session_history")
        .fetch_one(store.pool())
        .await?
        .try_get("n")?;
    Ok((
        rows.iter().map(session_from_row).collect::<Result<_>>()?,
        total,
    ))
}

/// The sessions `user_id` originated, newest first: `limit` rows after skipping
/// `offset`; and their total.
pub async fn list_sessions_for_user(
    store: &Store,
    user_id: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<SessionRecord>, i64)> {
    let rows = sqlx::query(
        "SELECT id, connection_id, connection_name, protocol, user_id, username, remote_addr, \
         started_at, ended_at, end_status, end_reason FROM session_history WHERE user_id = $1 \
         ORDER BY started_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await?;
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM session_history WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(store.pool())
        .await?
        .try_get("n")?;
    Ok((
        rows.iter().map(session_from_row).collect::<Result<_>>()?,
        total,
    ))
}

/// One session's record.
pub async fn get_session(store: &Store, id: &str) -> Result<Option<SessionRecord>> {
    let row = sqlx::query(
        "SELECT id, connection_id, connection_name, protocol, user_id, username, remote_addr, \
         started_at, ended_at, end_status, end_reason FROM session_history WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(session_from_row).transpose()
}

/// A session's participants, newest first.
pub async fn participants(store: &Store, session_id: &str) -> Result<Vec<ParticipantRecord>> {
    let rows = sqlx::query(
        "SELECT id, session_id, kind, link_id, profile_id, profile_name, user_id, name, \
         read_only, remote_addr, joined_at, left_at, leave_reason FROM session_participants \
         WHERE session_id = $1 ORDER BY joined_at DESC, id DESC",
    )
    .bind(session_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ParticipantRecord {
                id: r.try_get("id")?,
                session_id: r.try_get("session_id")?,
                kind: r.try_get("kind")?,
                link_id: r.try_get("link_id")?,
                profile_id: r.try_get("profile_id")?,
                profile_name: r.try_get("profile_name")?,
                user_id: r.try_get("user_id")?,
                name: r.try_get("name")?,
                read_only: r.try_get::<i64, _>("read_only")? != 0,
                remote_addr: r.try_get("remote_addr")?,
                joined_at: r.try_get("joined_at")?,
                left_at: r.try_get("left_at")?,
                leave_reason: r.try_get("leave_reason")?,
            })
        })
        .collect()
}
