//! Who may do what: the gateway side of the access model of `shared/docs/share-admin.md`,
//! whose rules live in the pure engine `porthole-access` (crate `access/`).
//!
//! * [`Access`] holds the engine's [`Snapshot`] (in [`AppState`]`::access`), loaded at
//!   start from the tables of migrations 0001–0003 ([`store::load`]); the first start
//!   creates the default enterprise, its root node and the `Administrator` role with
//!   every administrator as member ([`bootstrap`]).
//! * [`run_command`] is the command pipeline: decide ([`porthole_access::apply`]) →
//!   audit (R49, allowed or denied) → persist ([`store::persist`], one transaction) →
//!   commit to the snapshot → revalidate (R48).
//! * [`decide`] holds the gateway's own decisions (R40–R47, R51), each audited with its
//!   authority or reason.
//! * [`revalidate`] ends sessions, revokes links and drops Active-Sessions joins the
//!   engine says must end — after every committed change and every 2 s.
//! * [`legacy`]: the rules the access model does not cover yet (user accounts, history
//!   and audit readers: gateway administrators, `users.is_admin`).
//!
//! Changes made outside the engine (connection, profile and user CRUD of the older REST
//! endpoints) call [`refresh`], which rebuilds the snapshot from the database.

pub mod decide;
pub mod legacy;
pub mod revalidate;
pub mod store;

pub use legacy::*;

use crate::error::ApiError;
use crate::events::{audit, Actor, Attempt};
use crate::state::AppState;
use anyhow::{Context, Result};
use axum::http::StatusCode;
use porthole_access::audit::AuditEntry;
use porthole_access::bootstrap::{default_enterprise, BootstrapIds};
use porthole_access::{Change, Command, Outcome, ReasonCode, Snapshot};
use std::sync::{RwLock, RwLockReadGuard};
use tokio::sync::{Mutex, Notify};

/// The snapshot, its writer lock and the revalidation doorbell.
pub struct Access {
    snap: RwLock<Snapshot>,
    /// Serialises commands so each is decided against the state it is committed onto.
    pub writer: Mutex<()>,
    wake: Notify,
}

impl Access {
    pub fn new(s: Snapshot) -> Access {
        Access {
            snap: RwLock::new(s),
            writer: Mutex::new(()),
            wake: Notify::new(),
        }
    }

    /// The snapshot, for a decision. Never hold it across an `.await`.
    pub fn read(&self) -> RwLockReadGuard<'_, Snapshot> {
        self.snap.read().unwrap_or_else(|p| p.into_inner())
    }

    fn replace(&self, s: Snapshot) {
        *self.snap.write().unwrap_or_else(|p| p.into_inner()) = s;
    }

    fn commit(&self, changes: &[Change]) -> Result<(), porthole_access::SnapshotError> {
        self.snap
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .commit(changes)
    }

    /// Asks the revalidation task to run now (R48).
    pub fn revalidate_now(&self) {
        self.wake.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// The HTTP status of a denial: 404 `not_found`, 400 usage (step 3) except 409
/// `name_conflict`, 403 every other reason.
pub fn http_status(r: ReasonCode) -> StatusCode {
    match r {
        ReasonCode::NotFound => StatusCode::NOT_FOUND,
        ReasonCode::NameConflict => StatusCode::CONFLICT,
        r if r.step() == 3 => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    }
}

/// Loads the snapshot from the database.
pub async fn load(store: &crate::store::Store) -> Result<Snapshot> {
    let rows = store::load(store).await?;
    Snapshot::from_rows(rows).context("the access-model tables are inconsistent")
}

/// First start (or first start after migration 0003): when no enterprise exists, creates
/// the default enterprise with its root node and `Administrator` role; every user becomes
/// a user of the root node, and administrators (`users.is_admin`) members of the role.
pub async fn bootstrap(store: &crate::store::Store, name: &str) -> Result<()> {
    let rows = store::load(store).await?;
    if !rows.enterprises.is_empty() {
        return Ok(());
    }
    let admins: Vec<String> = {
        use sqlx::Row;
        let mut v = Vec::new();
        for r in sqlx::query("SELECT id FROM users WHERE is_admin = 1")
            .fetch_all(store.pool())
            .await?
        {
            v.push(r.try_get::<String, _>("id")?);
        }
        v
    };
    let ids = BootstrapIds {
        enterprise: crate::store::new_id(),
        root_node: crate::store::new_id(),
        admin_role: crate::store::new_id(),
    };
    let changes = default_enterprise(&ids, name, &rows.users, &admins);
    store::persist(store, &changes).await?;
    tracing::info!(
        enterprise = name,
        users = rows.users.len(),
        admins = admins.len(),
        "created the default enterprise"
    );
    Ok(())
}

/// Rebuilds the snapshot from the database (after changes made outside the engine) and
/// revalidates.
pub async fn refresh(state: &AppState) -> Result<(), ApiError> {
    let _w = state.access.writer.lock().await;
    let s = load(&state.store).await.map_err(ApiError::internal)?;
    state.access.replace(s);
    state.access.revalidate_now();
    Ok(())
}

/// A user account was created: it becomes a user of the first enterprise's root node
/// and, for an administrator, a member of the default `Administrator` role.
pub async fn enroll_user(state: &AppState, user_id: &str, admin: bool) -> Result<(), ApiError> {
    // The new row first, so the snapshot knows the user.
    refresh(state).await?;
    let changes = {
        let s = state.access.read();
        let Some(ent) = s.enterprises().min_by(|a, b| a.name.cmp(&b.name)) else {
            return Ok(());
        };
        let Some(u) = s.user(user_id) else {
            return Ok(());
        };
        let mut out = vec![Change::PutUser(porthole_access::rows::UserRow {
            id: u.id.clone(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            status: u.status,
            enterprise_id: Some(ent.id.clone()),
            node_id: Some(ent.root.clone()),
        })];
        if admin {
            if let Some(r) = s
                .roles()
                .find(|r| r.enterprise == ent.id && r.default_admin)
            {
                out.push(Change::AddRoleMember {
                    role: r.id.clone(),
                    user: u.id.clone(),
                });
            }
        }
        out
    };
    store::persist(&state.store, &changes)
        .await
        .map_err(ApiError::internal)?;
    refresh(state).await
}

/// Records an engine audit entry (R49): `authority` column = authority or reason, the
/// whole entry in `detail`.
pub fn record(
    state: &AppState,
    actor: &Actor,
    entry: &AuditEntry,
    target_type: &str,
    target_id: &str,
    extra: serde_json::Value,
) {
    let mut detail = serde_json::to_value(entry).unwrap_or(serde_json::Value::Null);
    if let (Some(d), serde_json::Value::Object(x)) = (detail.as_object_mut(), extra) {
        d.extend(x);
    }
    audit(
        state,
        actor,
        Attempt {
            action: &entry.action,
            target_type,
            target_id,
            allowed: entry.outcome == "allowed",
            authority: entry.authority_column(),
            detail,
        },
    );
}

/// The command pipeline (crate docs §2): decide, audit, persist, commit, revalidate. With
/// `dry_run` nothing is persisted. Denials are `ApiError::denied`.
pub async fn run_command(
    state: &AppState,
    actor: &Actor,
    me: &str,
    cmd: &Command,
    dry_run: bool,
) -> Result<Outcome, ApiError> {
    let _w = state.access.writer.lock().await;
    let result = porthole_access::apply(&state.access.read(), me, cmd);
    let entry = porthole_access::audit::audit_command(me, cmd, &result);
    let target = cmd
        .targets()
        .into_iter()
        .next()
        .unwrap_or(("none", String::new()));
    record(
        state,
        actor,
        &entry,
        target.0,
        &target.1,
        serde_json::json!({"dry_run": dry_run}),
    );
    let outcome = result.map_err(ApiError::denied)?;
    if !dry_run && !outcome.changes.is_empty() {
        store::persist(&state.store, &outcome.changes)
            .await
            .map_err(ApiError::internal)?;
        if let Err(e) = state.access.commit(&outcome.changes) {
            tracing::error!(error = %e, "snapshot commit failed; reloading");
            let s = load(&state.store).await.map_err(ApiError::internal)?;
            state.access.replace(s);
        }
        state.access.revalidate_now();
    }
    Ok(outcome)
}
