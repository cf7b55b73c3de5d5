//! Rules the access model does not (yet) cover: gateway administrators (`users.is_admin`)
//! manage user accounts and connection definitions' creation, and read all history and
//! the audit trail. Everything about opening, sharing and overseeing connections and
//! sessions is decided by the engine ([`super::decide`]).

use crate::store::users::User;

/// May `user` create connection definitions? (R14 would open this to every active user;
/// the REST endpoint keeps it for administrators until the web client offers it.)
pub fn can_manage_connections(user: &User) -> bool {
    user.is_admin
}

/// May `user` create and list user accounts?
pub fn can_manage_users(user: &User) -> bool {
    user.is_admin
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
