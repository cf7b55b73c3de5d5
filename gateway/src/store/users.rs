//! Users: identity by email, optional argon2id password hash, enterprise/node membership.

use super::{new_id, now_ms, Store};
use anyhow::Result;
use serde::Serialize;
use sqlx::Row;

/// A stored user (never carries the password hash out of this module's callers'
/// reach unless asked for with [`credentials`]).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub username: String,
    pub display_name: String,
    pub enterprise_id: Option<String>,
    pub node_id: Option<String>,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, email, username, display_name, enterprise_id, node_id, is_admin, disabled, created_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        enterprise_id: r.try_get("enterprise_id")?,
        node_id: r.try_get("node_id")?,
        is_admin: r.try_get::<i64, _>("is_admin")? != 0,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

/// What is needed to create a user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub enterprise_id: Option<String>,
    pub node_id: Option<String>,
    pub is_admin: bool,
}

/// Inserts a user; the email is stored lower-cased.
pub async fn create(store: &Store, u: NewUser) -> Result<User> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO users (id, email, username, display_name, password_hash, enterprise_id, \
         node_id, is_admin, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)",
    )
    .bind(&id)
    .bind(u.email.to_lowercase())
    .bind(&u.username)
    .bind(&u.display_name)
    .bind(&u.password_hash)
    .bind(&u.enterprise_id)
    .bind(&u.node_id)
    .bind(i64::from(u.is_admin))
    .bind(now)
    .execute(store.pool())
    .await?;
    get(store, &id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {id} vanished after insert"))
}

/// A user by id.
pub async fn get(store: &Store, id: &str) -> Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A user by sign-in name or email (case-insensitive for the email).
pub async fn find_login(store: &Store, login: &str) -> Result<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users WHERE username = $1 OR email = $2"
    ))
    .bind(login)
    .bind(login.to_lowercase())
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The stored password hash of a user, if any.
pub async fn credentials(store: &Store, id: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<Option<String>, _>("password_hash")?,
        None => None,
    })
}

/// Replaces a user's password hash.
pub async fn set_password_hash(store: &Store, id: &str, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// How many users exist (0 on first start).
pub async fn count(store: &Store) -> Result<i64> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(store.pool())
        .await?;
    Ok(r.try_get::<i64, _>("n")?)
}

/// All users, by username.
pub async fn list(store: &Store) -> Result<Vec<User>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(from_row).collect()
}
