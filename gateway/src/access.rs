//! Who may do what. Every authorisation decision of the gateway goes through this
//! module, so the enterprise access model (share-admin.md) replaces these rules in one
//! place.
//!
//! Until then: administrators may do everything; a user may open a connection they own.

use crate::store::connections::Connection;
use crate::store::users::User;

/// May `user` start a session on `conn`?
pub fn can_open_connection(user: &User, conn: &Connection) -> bool {
    user.is_admin || conn.owner_id.as_deref() == Some(user.id.as_str())
}

/// May `user` see `conn` in their list?
pub fn can_see_connection(user: &User, conn: &Connection) -> bool {
    can_open_connection(user, conn)
}

/// May `user` create, change or delete connection definitions?
pub fn can_manage_connections(user: &User) -> bool {
    user.is_admin
}

/// May `user` create and list user accounts?
pub fn can_manage_users(user: &User) -> bool {
    user.is_admin
}

/// May `user` create, change, clone or delete the sharing profiles of `conn`? `Ok` names
/// the rule that allows it (for the audit trail), `Err` the reason it is denied.
///
/// Until the enterprise model: the connection's owner or an administrator.
pub fn manage_profiles_authority(
    user: &User,
    conn: &Connection,
) -> Result<&'static str, &'static str> {
    if user.is_admin {
        Ok("admin")
    } else if conn.owner_id.as_deref() == Some(user.id.as_str()) {
        Ok("connection-owner")
    } else {
        Err("not-owner-or-admin")
    }
}

/// May `user` create, change, clone or delete the sharing profiles of `conn`?
pub fn can_manage_profiles(user: &User, conn: &Connection) -> bool {
    manage_profiles_authority(user, conn).is_ok()
}

/// May `user` read everyone's session history? Others read only their own sessions
/// ([`can_read_session_record`]).
pub fn can_read_history(user: &User) -> bool {
    user.is_admin
}

/// May `user` read the recorded session `rec` (and its participants)?
pub fn can_read_session_record(user: &User, rec: &crate::store::history::SessionRecord) -> bool {
    can_read_history(user) || rec.user_id == user.id
}

/// May `user` read the audit trail?
pub fn can_read_audit(user: &User) -> bool {
    user.is_admin
}

/// May `user` mint and revoke share links of a live session? Its originator may.
pub fn can_share_session(user: &User, session: &crate::session::Session) -> bool {
    user.is_admin || session.info.user_id == user.id
}

/// May `user` list, watch and join every live session?
pub fn can_monitor_sessions(user: &User) -> bool {
    user.is_admin
}

/// May `user` end a live session? Its originator may, and administrators.
pub fn can_end_session(user: &User, session: &crate::session::Session) -> bool {
    user.is_admin || session.info.user_id == user.id
}

/// The authority name recorded in the audit trail for an allowed action.
pub fn authority(user: &User, originator_id: &str) -> &'static str {
    if user.id == originator_id {
        "session-originator"
    } else if user.is_admin {
        "admin"
    } else {
        "none"
    }
}
