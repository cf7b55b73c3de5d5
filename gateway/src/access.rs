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
