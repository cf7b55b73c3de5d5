//! The REST API: one file per area, each exposing `router()`; errors render through
//! [`crate::error::ApiError`]. Handlers authenticate with `Authorization: Bearer <token>`
//! through the [`Authed`] extractor.

pub mod access;
pub mod audit;
pub mod auth;
pub mod connections;
pub mod health;
pub mod history;
pub mod profiles;
pub mod sessions;
pub mod users;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::Router;

/// All `/api/…` routes plus `/healthz` and `/metrics`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(connections::router())
        .merge(health::router())
        .merge(sessions::router())
        .merge(users::router())
        .merge(profiles::router())
        .merge(history::router())
        .merge(audit::router())
        .merge(access::router())
}

/// The signed-in user of a request, from its bearer token.
pub struct Authed(pub AuthUser);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::unauthorized("sign in first: no bearer token was sent"))?;
        crate::auth::authenticate(state, token).await.map(Authed)
    }
}
