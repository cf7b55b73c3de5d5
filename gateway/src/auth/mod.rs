//! Authentication: password hashing, bearer tokens, and who a request is.
//!
//! * Passwords are hashed with argon2id on the blocking pool (hashing takes tens of
//!   milliseconds by design and must not stall the runtime).
//! * A token is 32 random bytes (256 bits) from the OS generator, base64url-encoded for
//!   the client. Only its SHA-256 is stored; a request's token is hashed, looked up by
//!   hash, and the stored hash compared again in constant time. Tokens never appear in
//!   logs: [`Token`]'s `Debug` prints a fixed placeholder.
//! * Repeated failed sign-ins are slowed per user and per address ([`throttle`]).

pub mod throttle;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{self, tokens, users};
use anyhow::{Context, Result};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A secret token as given to a client. `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(pub String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Generates a 256-bit random token, base64url without padding (43 characters).
pub fn generate_token() -> Token {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Token(URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a token: hex SHA-256.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Constant-time equality of two stored hashes.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Hashes a password with argon2id, off the async runtime.
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
    })
    .await
    .context("password hashing task failed")?
}

/// Verifies a password against an argon2 PHC string, off the async runtime.
pub async fn verify_password(password: String, phc: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&phc)
            .map_err(|e| anyhow::anyhow!("stored password hash is malformed: {e}"))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .context("password verification task failed")?
}

/// The signed-in user behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub user: users::User,
    /// Id of the token row used (for sign-out).
    pub token_id: String,
}

/// Resolves a bearer token to its user: 401 for a missing, malformed, unknown, expired
/// or revoked token, and for a disabled user.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    if token.is_empty() || token.len() > 256 {
        return Err(ApiError::unauthorized(
            "sign in again: the token is missing or malformed",
        ));
    }
    let hash = hash_token(token);
    let row = tokens::find_live(&state.store, &hash)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::unauthorized("sign in again: the token is unknown, expired or revoked")
        })?;
    if !hashes_equal(&row.token_hash, &hash) {
        return Err(ApiError::unauthorized(
            "sign in again: the token is unknown, expired or revoked",
        ));
    }
    let user = users::get(&state.store, &row.user_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::unauthorized("sign in again: the account no longer exists"))?;
    if user.disabled {
        return Err(ApiError::unauthorized("this account is disabled"));
    }
    Ok(AuthUser {
        user,
        token_id: row.id,
    })
}

/// Issues a token for a user; returns the token and its expiry (ms since epoch).
pub async fn issue_token(
    state: &AppState,
    user_id: &str,
    remote_addr: Option<&str>,
) -> Result<(Token, i64)> {
    let token = generate_token();
    let ttl_ms = i64::try_from(state.config.auth.token_ttl_secs)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1000);
    let expires_at = store::now_ms() + ttl_ms;
    tokens::insert(
        &state.store,
        &hash_token(&token.0),
        user_id,
        expires_at,
        remote_addr,
    )
    .await?;
    Ok((token, expires_at))
}

/// First start: when no user exists, create the administrator. The password comes from
/// `PORTHOLE_ADMIN_PASSWORD`, or is generated and returned so the caller can print it
/// once.
pub async fn bootstrap_admin(
    store: &store::Store,
    username: &str,
    password_from_env: Option<String>,
) -> Result<Option<BootstrapAdmin>> {
    if users::count(store).await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match password_from_env {
        Some(p) if !p.is_empty() => (p, false),
        _ => (generate_token().0[..20].to_string(), true),
    };
    let hash = hash_password(password.clone()).await?;
    let email = if username.contains('@') {
        username.to_string()
    } else {
        format!("{username}@localhost")
    };
    users::create(
        store,
        users::NewUser {
            email,
            username: username.to_string(),
            display_name: "Administrator".into(),
            password_hash: Some(hash),
            is_admin: true,
            ..Default::default()
        },
    )
    .await?;
    Ok(Some(BootstrapAdmin {
        username: username.to_string(),
        password: generated.then_some(password),
    }))
}

/// The administrator created on first start; `password` is set when it was generated.
#[derive(Debug)]
pub struct BootstrapAdmin {
    pub username: String,
    pub password: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_and_distinct() {
        let a = generate_token();
        let b = generate_token();
        assert_eq!(a.0.len(), 43);
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "Token(<redacted>)");
        assert_eq!(hash_token(&a.0).len(), 64);
        assert!(hashes_equal(&hash_token(&a.0), &hash_token(&a.0)));
        assert!(!hashes_equal(&hash_token(&a.0), &hash_token(&b.0)));
    }

    #[tokio::test]
    async fn password_round_trip() {
        let h = hash_password("s3cret".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret".into(), h.clone()).await.unwrap());
        assert!(!verify_password("nope".into(), h).await.unwrap());
    }
}
