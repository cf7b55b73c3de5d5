//! `porthole-access`: Porthole's access model (`shared/docs/share-admin.md`) as pure
//! functions over an in-memory [`Snapshot`]. No I/O, no clocks, no randomness: the gateway
//! loads the snapshot from the database, asks it questions, persists the [`Change`]s of
//! allowed commands and feeds them back with [`Snapshot::commit`].
//!
//! # Map
//!
//! | module | what |
//! |---|---|
//! | [`model`] | entities of §1: enterprise, node, user, role with managed-node entries, folder, connection, profile; [`model::Privilege`] |
//! | [`rows`] | one struct per table of `gateway/migrations/0003_access_model.sql` (and the columns of 0001 it uses); [`rows::SnapshotRows`] |
//! | [`Snapshot`] | everything, indexed; [`Snapshot::from_rows`], [`Snapshot::commit`], lookups, and the §2 predicates as methods: [`Snapshot::is_sa`], [`Snapshot::manages`], [`Snapshot::access`], [`Snapshot::sa_folder`], [`Snapshot::sa_record`], [`Snapshot::mu`], [`Snapshot::mr`], [`Snapshot::fo`], [`Snapshot::edit`], [`Snapshot::share`], [`Snapshot::covers`], [`Snapshot::holds`] — computed on every call, never stored (R33) |
//! | [`apply()`] + [`Command`] | every state-changing action (R1–R35, R41), checked in the order of §5 (R50) → [`Outcome`] (changes, authority, notices, trashed) or a [`ReasonCode`] |
//! | [`gateway`] | the gateway's own decisions: start (R40), profiles (R41), mint/use/revoke links (R43, R44), see/join/kill sessions (R45–R47, R51), [`gateway::revalidate`] (R13, R28, R42, R48) |
//! | [`views`] | `get FOLDER` / `get CONNECTION` (R36), user search (R37), user view (R38), compliance reports (R39), [`views::openable`] (what a user can open), trash list (R28), role view |
//! | [`requests`] | `share-folder`, `share-record`, `record-permission` expanded into commands (§6), bulk transfer (R26) |
//! | [`audit`] | the R49 entry of every attempt, allowed or denied, with authority and Share Admin basis |
//! | [`bootstrap`] | the default enterprise, root node and `Administrator` role (§1.4, R6) |
//!
//! # Integration (for `gateway/src/access.rs`, REST and CLI)
//!
//! ## 1. Load
//!
//! One `SELECT` per table into [`rows::SnapshotRows`], then [`Snapshot::from_rows`] (it checks
//! the §1 invariants and fails on dangling references, a second root, a cycle, a grant to an
//! owner, …). Columns: flags are BIGINT 0/1 → `bool`; `users.status`,
//! `connections.state` and `role_privileges.privilege` are lower-case TEXT → `str::parse`
//! ([`model::UserStatus`], [`model::ConnState`], [`model::Privilege`]); users are
//! `(id, email, display_name, status, enterprise_id, node_id)`; role entries are
//! `role_managed_nodes.cascades`; connections `(id, name, owner_id, state, is_private)`;
//! profiles `(id, connection_id, name, read_only)`. 10,000 users / 50,000 connections build in
//! ≈ 0.15 s (BENCHMARKS.md, "Access model").
//!
//! ## 2. Hold
//!
//! Keep it in `AppState` as `Arc<std::sync::RwLock<Snapshot>>`. Decisions take the read lock
//! for the microseconds a decision takes (never across an `.await`). Commands are serialised
//! (one `tokio::sync::Mutex<()>` for writers) so that each is decided against the state it
//! will be committed onto:
//!
//! ```ignore
//! let _writer = state.access_writer.lock().await;
//! let result = porthole_access::apply(&state.access.read()?, &me.id, &cmd);   // pure
//! audit(&state, &actor, porthole_access::audit::audit_command(&me.id, &cmd, &result)); // R49, allowed or denied
//! let outcome = result.map_err(ApiError::from)?;                             // reason → HTTP
//! if !dry_run {
//!     store::access::persist(&state.store, &outcome.changes).await?;         // one transaction
//!     state.access.write()?.commit(&outcome.changes)?;                        // R8: the next decision sees it
//!     state.revalidate_now();                                                 // R48, see 5.
//! }
//! ```
//! If `commit` ever fails (it should not: the changes come from the same snapshot), rebuild
//! the snapshot from the database. Several gateways on one PostgreSQL database would need
//! a reload on change (e.g. `LISTEN/NOTIFY`); that is not done here.
//!
//! ## 3. Persist: [`Change`] → SQL
//!
//! | change | statement |
//! |---|---|
//! | `PutEnterprise`, `PutNode`, `PutUser`, `PutRole`, `PutFolder`, `PutConnection`, `PutProfile` | upsert of that row (`INSERT … ON CONFLICT (id) DO UPDATE`, both databases) — content columns the engine does not know (connection parameters, profile parameters, timestamps) are the gateway's |
//! | `PutMember`, `PutPlacement`, `PutGrant`, `PutRoleNode` | upsert on the composite key |
//! | `AddRoleMember`, `AddRolePrivilege` | insert (ignore if present) |
//! | `Remove…` / `Delete…` | delete by key (`DeleteRole`, `DeleteFolder`, `PurgeConnection` rely on `ON DELETE CASCADE` for dependants) |
//! | `SetUserNode`, `SetUserStatus`, `SetConnectionName`, `SetConnectionOwner`, `SetConnectionPrivate` | `UPDATE` of that column |
//! | `TrashConnection` / `RestoreConnection` | `UPDATE connections SET state, is_private, trashed_at` |
//!
//! ## 4. Ask
//!
//! | question | call |
//! |---|---|
//! | may U start a session on C (R40)? | [`gateway::start_session`] → [`Decision`] |
//! | what can U open / see in "My connections"? | [`views::openable`] (access, authority, effective rights) |
//! | may U list / manage profiles (R41)? | [`gateway::list_profiles`], [`gateway::manage_profiles`]; changes through [`Command::CreateProfile`] … (`name_conflict`) |
//! | mint a link (R43) | [`gateway::mint_link`] with [`gateway::SessionFacts`] → [`gateway::MintPermit`] (resolved profile, `read_only`, authority) |
//! | join through a link (R44) | [`gateway::use_link`] with [`gateway::LinkFacts`]; revoke: [`gateway::revoke_link`] |
//! | see / list sessions (R45, R51) | [`gateway::see_session`] per session, [`gateway::list_sessions`] for the request |
//! | join from Active Sessions (R46, R51) | [`gateway::join_session`] (`watch` and `interactive` have the same rule; audit the mode) |
//! | kill (R47, R51) | [`gateway::kill_session`] |
//! | folder / connection info (R36) | [`views::folder_view`], [`views::connection_view`] |
//! | user search (R37), user view (R38), compliance (R39) | [`views::user_search`], [`views::user_view`], [`views::compliance_report`], [`views::shared_folder_report`] |
//! | trash (R28) | [`views::trash_list`], [`views::trash_get`]; [`Command::TrashRestore`] … |
//! | bulk transfer (R26) | [`requests::transfer_bulk`] (commit each `Ok` item on its own) |
//!
//! Callers are [`gateway::Caller::User`] or [`gateway::Caller::LinkParticipant`] (someone in
//! the session only through a link: `link_participant` for everything but using the link).
//! Users are named by id or email everywhere ([`Snapshot::resolve_user`]); nodes and roles by
//! id ([`Snapshot::find_node`] / [`Snapshot::find_role`] resolve CLI names).
//!
//! The functions of today's `access.rs` map as: `can_open_connection` →
//! [`gateway::start_session`]; `can_see_connection` → [`Snapshot::access`];
//! `can_manage_connections` → per object, [`Command::EditConnection`] /
//! [`Command::DeleteConnection`] (creating is open to every active user, R14);
//! `manage_profiles_authority` → [`gateway::manage_profiles`]; `can_share_session` →
//! [`gateway::mint_link`] / [`gateway::revoke_link`]; `can_monitor_sessions` →
//! [`gateway::see_session`] / [`gateway::list_sessions`]; `can_end_session` →
//! [`gateway::kill_session`]; `authority()` → [`Authority::as_str`]. `users.is_admin` is no
//! longer an authority: administrators are members of the `Administrator` role.
//!
//! Denials: [`ReasonCode::exit_code`] gives the CLI exit code (4 `not_found`, 2 usage, 3 the
//! rest); a suggested HTTP mapping is 404 for `not_found`, 400 for usage (step 3), 409 for
//! `name_conflict`, 403 otherwise. [`Decision`] and [`requests::BulkResult`] serialise to the
//! JSON shapes of §5 (`{"ok": false, "reason", "message"}`, `{"ok", "total", "successful",
//! "failed", "results"}`).
//!
//! ## 5. Revalidate (R13, R28, R42, R44, R48)
//!
//! After every committed change, and every 2 s as a safety net, describe the live sessions
//! ([`gateway::LiveSession`]: connection, originator, links with profile and minter,
//! Active-Sessions joins) and act on [`gateway::revalidate`]: `EndSession` (disconnect all,
//! revoke its links), `RevokeLink` (disconnect its participants), `DropJoin`. 500 live
//! sessions revalidate in ≈ 0.4 ms. Sessions whose originator keeps access are never touched.
//!
//! ## 6. Bootstrap
//!
//! A fresh install: [`bootstrap::default_enterprise`] with the first administrator as the
//! only user and admin. Upgrading a database without enterprises: the same call with every
//! existing user (they become users of the root node) and the `is_admin` ones as admins.
//! Migration 0003 already turned `disabled` into `status = 'locked'` and gave ownerless
//! connections to the first administrator.
//!
//! # Decisions where the spec is silent
//!
//! Interpretation notes (§7) are followed as written. Beyond them:
//!
//! 1. **Inactive actors reference nothing**: a locked or invited user (or an unknown id)
//!    gets `not_found` for every command and decision, and [`gateway::revalidate`] ends the
//!    sessions of an originator who is no longer active (`OriginatorInactive`).
//! 2. **No raising one's own enterprise rights** (R34 extended to roles): adding oneself to a
//!    role, adding a privilege to an entry of a role one belongs to, or switching such an
//!    entry's cascade on is `self_escalation`. Removing is always allowed. Consequence: the
//!    last member of `Administrator` who removes `sharing_administrator` needs another
//!    administrator (or the offline CLI) to put it back.
//! 3. **Default `Administrator` role** (R6): it cannot be deleted and its root entry cannot
//!    be removed (`missing_privilege`); only `--remove-privilege` takes privileges off it.
//! 4. **`manage_companies` / `manage_licences`**: parsed, never granted — adding them is a
//!    no-op with [`Notice::PrivilegeNotGrantable`].
//! 5. **Invited users and roles**: besides R5, an invited user cannot be added to a role
//!    that already has managed-node entries (`role_has_invited_users`).
//! 6. **Creating a node** needs `manage_nodes` covering the parent; renaming the root also
//!    renames the enterprise (§1.1: the root is displayed with the enterprise's name).
//!    Sibling nodes, roles of an enterprise and profiles of a connection have unique names
//!    (case-insensitive for nodes and roles): `name_conflict`.
//! 7. **Objects of `enterprise-user`** outside the actor's enterprise are `not_found`;
//!    unknown users named as *targets* (grants, members, role members, new owners) are
//!    `target_invalid`. Removing a folder member who is not one is `target_invalid`.
//! 8. **Leaving a direct share**: a grantee may revoke (or lower) their own grant, as a member
//!    may leave a folder (authority `grant`). Everyone else's grants follow R20.
//! 9. **`share-record -a grant`** on an existing grant changes only the flags given (`-w`,
//!    `-s`); a new grant gets exactly the flags given.
//! 10. **Owner hand-over** (R12): an unknown successor is `target_invalid`, an inactive one
//!     `target_inactive`, anyone else unsuitable `no_successor`.
//! 11. **Audit authority**: when several rights allow an action, the stored one is reported
//!     before Share Admin (owner > stored flag/grant > SA); for actions needing two rights
//!     (`ln`, `mv`, profiles) the SA one is reported if either needed it. Leaving a folder
//!     and access through a folder report `member_flag`; creating a folder `folder_owner`.
//! 12. **Links and sessions**: a `monitor_sessions` holder may also revoke single links of
//!     sessions they could kill; the originator may rejoin their own session
//!     (`originator`). Revoking a link, joining or killing needs some reference to the
//!     session first (`not_found`), then `session_ended`, then authority. For R43 the
//!     connection having vanished is `not_found`.
//! 13. **`share-folder -a remove -r C`** unlinks `C` (R15); `share-record` without `-R` takes
//!     its target as a connection (`not_found` if it is a folder). A bulk transfer listing
//!     a connection twice reports `already_owner` for the second.
//! 14. **`cancel`** also removes dormant grants of the actor's trashed connections.
//! 15. **Compliance rows** are sorted by connection name, id, user email; the shared-folder
//!     report by folder name.
//!
//! # Open questions
//!
//! * R14 gives a new placement the folder's defaults even when the linker is not the
//!   owner. A member with `can_share` but not `can_edit` on `C` can therefore link it into a
//!   folder whose `default_can_edit` is on and gain `edit` through that placement (R20
//!   would call this `escalation`). Implemented as specified; capping the defaults at the
//!   linker's own effective flags would close it.
//! * Likewise an SA with record tier can set a placement flag in a folder they belong to
//!   and keep that right after the role is removed (R33 keeps changes made while
//!   elevated). R34 covers member flags, grants and ownership only.
//! * An administrator with `manage_user` / `manage_nodes` can widen their own Share Admin
//!   *scope* by moving users or nodes under their SA entries (R1, R2 allow it; stored
//!   rights do not change). Should moves be limited to nodes outside one's own SA scope?
//! * Deleting nodes (`manage_nodes` lists it) has no rule and no CLI verb in the spec, so
//!   v1 offers no way to delete a node.
//! * Locking oneself (`enterprise-user --lock` on one's own account) is allowed.
#![forbid(unsafe_code)]

mod apply;
pub mod audit;
pub mod bootstrap;
mod change;
mod command;
pub mod gateway;
pub mod model;
mod predicates;
mod reason;
pub mod requests;
pub mod rows;
mod snapshot;
pub mod views;

pub use apply::apply;
pub use change::Change;
pub use command::{Command, Notice, Outcome, Trashed};
pub use reason::{Authority, Basis, Decision, ReasonCode, Tier};
pub use snapshot::{Snapshot, SnapshotError};
