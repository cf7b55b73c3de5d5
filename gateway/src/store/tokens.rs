//! Sign-in tokens: only the SHA-256 of each token is stored; a token is found by its
//! hash (an indexed lookup) and the found hash is compared again in constant time.

use super::{new_id, now_ms, Store};
use anyhow::Result;
use sqlx::Row;

/// A live token row.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub token_hash: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Stores a new token hash for a user.
pub async fn insert(
    store: &Store,
    token_hash: &str,
    user_id: &str,
    expires_at: i64,
    remote_addr: Option<&str>,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO auth_tokens (id, token_hash, user_id, created_at, expires_at, revoked_at, \
         remote_addr) VALUES ($1, $2, $3, $4, $5, NULL, $6)",
    )
    .bind(&id)
    .bind(token_hash)
    .bind(user_id)
    .bind(now_ms())
    .bind(expires_at)
    .bind(remote_addr)
    .execute(store.pool())
    .await?;
    Ok(id)
}

/// The unrevoked, unexpired token with this hash.
pub async fn find_live(store: &Store, token_hash: &str) -> Result<Option<TokenRow>> {
    let row = sqlx::query(
        "SELECT id, token_hash, user_id, created_at, expires_at FROM auth_tokens \
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| {
        Ok(TokenRow {
            id: r.try_get("id")?,
            token_hash: r.try_get("token_hash")?,
            user_id: r.try_get("user_id")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
        })
    })
    .transpose()
}

/// Revokes one token (sign-out).
pub async fn revoke(store: &Store, id: &str) -> Result<()> {
    sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Deletes tokens that expired or were revoked more than a day ago.
pub async fn purge_stale(store: &Store) -> Result<u64> {
    let cutoff = now_ms() - 24 * 3600 * 1000;
    let r = sqlx::query(
        "DELETE FROM auth_tokens WHERE expires_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $2)",
    )
    .bind(cutoff)
    .bind(cutoff)
    .execute(store.pool())
    .await?;
    Ok(r.rows_affected())
}
