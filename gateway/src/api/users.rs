//! Local user accounts (administrators only).
//!
//! * `GET /api/users` — every user (never a password hash).
//! * `POST /api/users` `{"username", "email"?, "display_name"?, "password", "is_admin"?}`
//!   → 201 with the user. Names and emails are unique (409 otherwise); passwords need at
//!   least 8 characters.
//!
//! New accounts become users of the default enterprise's root node; administrators also
//! members of its `Administrator` role ([`crate::access::enroll_user`]).

use super::Authed;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::users::{self, NewUser, User};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/users", get(list).post(create))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    username: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    password: String,
    #[serde(default)]
    is_admin: bool,
}

fn require_admin(me: &crate::auth::AuthUser) -> Result<(), ApiError> {
    if crate::access::can_manage_users(&me.user) {
        Ok(())
    } else {
        Err(ApiError::forbidden("only administrators can manage users"))
    }
}

async fn list(
    State(state): State<AppState>,
    Authed(me): Authed,
) -> Result<Json<Vec<User>>, ApiError> {
    require_admin(&me)?;
    Ok(Json(
        users::list(&state.store)
            .await
            .map_err(ApiError::internal)?,
    ))
}

async fn create(
    State(state): State<AppState>,
    Authed(me): Authed,
    Json(b): Json<Body>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    require_admin(&me)?;
    let username = b.username.trim().to_owned();
    let valid_name = !username.is_empty()
        && username.chars().count() <= 64
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || "._-@".contains(c));
    if !valid_name {
        return Err(ApiError::bad_request(
            "username must be 1 to 64 letters, digits, '.', '_', '-' or '@'",
        ));
    }
    let email = b.email.map(|e| e.trim().to_lowercase()).unwrap_or_else(|| {
        if username.contains('@') {
            username.to_lowercase()
        } else {
            format!("{}@localhost", username.to_lowercase())
        }
    });
    if !email.contains('@') || email.len() > 254 {
        return Err(ApiError::bad_request(
            "email must be an address like name@example.com",
        ));
    }
    if b.password.chars().count() < 8 || b.password.len() > 1024 {
        return Err(ApiError::bad_request(
            "password must have 8 to 1024 characters",
        ));
    }
    if users::find_login(&state.store, &username)
        .await
        .map_err(ApiError::internal)?
        .is_some()
        || users::find_login(&state.store, &email)
            .await
            .map_err(ApiError::internal)?
            .is_some()
    {
        return Err(ApiError::conflict(
            "a user with that name or email already exists",
        ));
    }
    let hash = crate::auth::hash_password(b.password)
        .await
        .map_err(ApiError::internal)?;
    let user = users::create(
        &state.store,
        NewUser {
            display_name: b.display_name.unwrap_or_else(|| username.clone()),
            email,
            username,
            password_hash: Some(hash),
            is_admin: b.is_admin,
            ..Default::default()
        },
    )
    .await
    .map_err(|e| {
        if e.to_string().to_lowercase().contains("unique") {
            ApiError::conflict("a user with that name or email already exists")
        } else {
            ApiError::internal(e)
        }
    })?;
    crate::access::enroll_user(&state, &user.id, b.is_admin).await?;
    tracing::info!(user = %user.username, by = %me.user.username, "user created");
    Ok((StatusCode::CREATED, Json(user)))
}
