//! The state shared by every request handler: configuration, store, live sessions,
//! the access-model snapshot, metrics and the shutdown signal. Cloning is cheap (everything is behind `Arc`).

use crate::auth::throttle::Throttle;
use crate::config::{Config, Resolved};
use crate::metrics::Metrics;
use crate::session::registry::Registry;
use crate::store::Store;
use crate::upstream::guacd::GuacdConnector;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Handles to everything a request may need.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub resolved: Arc<Resolved>,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub throttle: Arc<Throttle>,
    pub sessions: Arc<Registry>,
    /// The access-model snapshot, its writer lock and revalidation doorbell.
    pub access: Arc<crate::access::Access>,
    pub guacd: Arc<GuacdConnector>,
    /// The origins WebSocket upgrades are accepted from (scheme://host[:port]).
    pub allowed_origins: Arc<Vec<String>>,
    /// Flips to `true` when the process starts draining.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    pub fn new(
        config: Config,
        resolved: Resolved,
        store: Store,
        guacd: GuacdConnector,
        allowed_origins: Vec<String>,
        shutdown: watch::Receiver<bool>,
        snapshot: porthole_access::Snapshot,
    ) -> Self {
        let throttle = Throttle::new(
            config.auth.max_failed_logins,
            Duration::from_secs(config.auth.lockout_secs),
            Duration::from_secs(config.auth.max_lockout_secs),
        );
        let sessions = Arc::new(Registry::new(store.clone()));
        AppState {
            config: Arc::new(config),
            resolved: Arc::new(resolved),
            store,
            metrics: Arc::new(Metrics::default()),
            throttle: Arc::new(throttle),
            sessions,
            access: Arc::new(crate::access::Access::new(snapshot)),
            guacd: Arc::new(guacd),
            allowed_origins: Arc::new(allowed_origins),
            shutdown,
        }
    }
}
