//! Starting, serving and draining the gateway.
//!
//! Start: open the store (migrating it), create the first administrator if there is no
//! user, the default enterprise if there is none, load the access snapshot, bind, print
//! `listening on <url>` as the only line on stdout, serve (with access revalidation).
//! Drain (SIGTERM or Ctrl-C): `/healthz` turns unavailable, every tunnel closes its
//! browser with 513 (server busy: reconnect shortly) and sends guacd `disconnect`; the
//! process exits when no tunnel is left or after `server.shutdown_grace_secs`.

use crate::config::{Config, Resolved};
use crate::state::AppState;
use crate::store::Store;
use crate::upstream::guacd::GuacdConnector;
use anyhow::{Context, Result};
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use porthole_protocol::Limits;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::watch;
use tower_http::set_header::SetResponseHeaderLayer;

/// Builds the HTTP application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(crate::api::router())
        .route("/websocket-tunnel", get(crate::tunnel::handler))
        .fallback(crate::web::serve)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .with_state(state)
}

/// The origins browsers may open tunnels from: the public URL's, and the listen
/// address's own (so a local gateway works with no configuration).
pub fn allowed_origins(public_url: &str, listen: SocketAddr, tls: bool) -> Vec<String> {
    let scheme = if tls { "https" } else { "http" };
    let mut v = Vec::new();
    if let Ok(u) = url::Url::parse(public_url) {
        v.push(u.origin().ascii_serialization());
    }
    let port = listen.port();
    if listen.ip().is_unspecified() || listen.ip().is_loopback() {
        v.push(format!("{scheme}://127.0.0.1:{port}"));
        v.push(format!("{scheme}://localhost:{port}"));
        v.push(format!("{scheme}://[::1]:{port}"));
    } else {
        v.push(format!("{scheme}://{listen}"));
    }
    v
}

/// Runs the gateway until it is told to stop.
pub async fn run(config: Config, resolved: Resolved) -> Result<()> {
    let store = Store::open(&resolved.database_url, config.database.max_connections).await?;
    let admin_password = std::env::var("PORTHOLE_ADMIN_PASSWORD").ok();
    if let Some(created) =
        crate::auth::bootstrap_admin(&store, &config.auth.initial_admin, admin_password).await?
    {
        match created.password {
            Some(p) => eprintln!(
                "\n  First start: created administrator '{}' with password\n\n      {}\n\n  \
                 It is shown only this once. Sign in and keep it safe.\n",
                created.username, p
            ),
            None => eprintln!(
                "First start: created administrator '{}' with the password from PORTHOLE_ADMIN_PASSWORD",
                created.username
            ),
        }
        if !config.server.demo_vnc.is_empty() {
            match crate::demo::offer(&store, &config.server.demo_vnc, &created.username).await {
                Ok(Some(name)) => eprintln!(
                    "First start: a VNC server answers at {}; created the connection '{name}'",
                    config.server.demo_vnc
                ),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not create the demo desktop connection")
                }
            }
        }
    }
    crate::access::bootstrap(&store, "Porthole").await?;
    let snapshot = crate::access::load(&store).await?;
    let limits = Limits {
        max_element_len: config.tunnel.upstream_max_element,
        max_elements: Limits::UPSTREAM.max_elements,
        max_instruction_bytes: config.tunnel.upstream_max_instruction_bytes,
    };
    let guacd = GuacdConnector::new(&config.guacd, limits)?;

    let listener = tokio::net::TcpListener::bind(resolved.listen)
        .await
        .with_context(|| format!("cannot listen on {}", resolved.listen))?;
    let local = listener.local_addr()?;
    let tls = resolved.tls.is_some();
    let origins = allowed_origins(&config.server.public_url, local, tls);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let grace = Duration::from_secs(config.server.shutdown_grace_secs);
    let state = AppState::new(
        config,
        resolved.clone(),
        store.clone(),
        guacd,
        origins,
        shutdown_rx,
        snapshot,
    );
    spawn_housekeeping(store);
    crate::access::revalidate::spawn(state.clone());

    let scheme = if tls { "https" } else { "http" };
    println!("listening on {scheme}://{local}");
    let _ = std::io::stdout().flush();
    tracing::info!(address = %local, "porthole is serving");

    let app = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let drained = drain_on_signal(state.clone(), shutdown_tx, grace);
    match resolved.tls {
        None => {
            // Frames are batched already: send each at once. With Nagle's algorithm on,
            // a small frame waits for the previous one's ACK (measured: 1-2.6 ms added
            // per sync round trip; BENCHMARKS.md, "Relay"). The TLS acceptor sets it too.
            use axum::serve::ListenerExt;
            let listener = listener.tap_io(|tcp| {
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!(error = %e, "cannot set TCP_NODELAY");
                }
            });
            axum::serve(listener, app)
                .with_graceful_shutdown(drained)
                .await
                .context("HTTP server failed")?;
        }
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .with_context(|| {
                    format!(
                        "cannot load TLS certificate {} / key {}",
                        cert.display(),
                        key.display()
                    )
                })?;
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                drained.await;
                h.graceful_shutdown(Some(Duration::from_secs(1)));
            });
            axum_server::from_tcp_rustls(listener.into_std()?, tls)
                .handle(handle)
                .serve(app)
                .await
                .context("HTTPS server failed")?;
        }
    }
    tracing::info!("porthole stopped");
    Ok(())
}

/// Resolves when the server should stop accepting: after a signal, once tunnels have
/// drained or the grace period passed.
async fn drain_on_signal(state: AppState, tx: watch::Sender<bool>, grace: Duration) {
    wait_for_signal().await;
    tracing::info!(
        sessions = state.sessions.len(),
        "shutting down: closing tunnels"
    );
    let _ = tx.send(true);
    let deadline = tokio::time::Instant::now() + grace;
    while state.metrics.tunnels_open.load(Relaxed) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Hourly: forget expired and revoked tokens.
fn spawn_housekeeping(store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match crate::store::tokens::purge_stale(&store).await {
                Ok(n) if n > 0 => tracing::debug!(removed = n, "purged stale tokens"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "token purge failed"),
            }
        }
    });
}
