//! The browser client, embedded in the binary.
//!
//! `build.rs` builds `client-js/` (npm ci + npm run build) when its sources change, and
//! the resulting `client-js/dist/` is compiled into the binary, so one file serves
//! everything. Unknown paths under `/api` are left to the API router; any other unknown
//! path gets `index.html` (the client routes by URL fragment).

use axum::body::Body;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../client-js/dist/"]
struct Assets;

/// Serves an embedded asset, falling back to `index.html`.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if let Some(r) = asset(path) {
        return r;
    }
    if path.starts_with("api/") || path.contains('.') {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    asset("index.html").unwrap_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            "the web client was not built into this binary",
        )
            .into_response()
    })
}

fn asset(path: &str) -> Option<Response> {
    let file = Assets::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    // Hashed asset names never change content; everything else is revalidated.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Response::builder()
        .header(header::CONTENT_TYPE, mime.as_ref())
        .header(header::CACHE_CONTROL, cache)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::from(file.data.into_owned()))
        .ok()
}
