//! `/healthz` (the store answers and the process is not draining) and `/metrics`
//! (Prometheus text).

use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let draining = *state.shutdown.borrow();
    let db = state.store.ping().await;
    let ok = db.is_ok() && !draining;
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unavailable" },
        "database": if db.is_ok() { "ok" } else { "unreachable" },
        "draining": draining,
        "sessions": state.sessions.len(),
    });
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
