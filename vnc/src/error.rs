//! Errors of a VNC session, each mapped to the one Guacamole status viewers are closed
//! with.

use crate::rfb::RfbError;
use porthole_protocol::Status;

/// Why a VNC session could not start or ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VncError {
    /// TCP connect failed (refused, unreachable, no such host).
    #[error("cannot reach the VNC server at {addr}: {reason}; check its host and port")]
    Unreachable { addr: String, reason: String },
    /// Connect or handshake took too long.
    #[error("the VNC server at {addr} did not answer in time")]
    Timeout { addr: String },
    /// The server refused the password (3.8 servers say why).
    #[error("the VNC server refused the password{}", .reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    AuthFailed { reason: Option<String> },
    /// The server wants a password and the connection has none.
    #[error("the VNC server asks for a password; set one on the connection")]
    PasswordRequired,
    /// The server refused the connection before authentication (e.g. too many
    /// failures) or offered no usable security type.
    #[error("the VNC server refused the connection: {0}")]
    Refused(String),
    /// The server broke the protocol or sent more than the limits allow.
    #[error("the VNC server sent data Porthole cannot use: {0}")]
    Protocol(RfbError),
    /// The server closed the connection.
    #[error("the VNC server closed the connection")]
    Closed,
    /// A read or write on the connection failed.
    #[error("the connection to the VNC server failed: {0}")]
    Io(String),
    /// The session was closed by Porthole (not an error).
    #[error("the session was closed")]
    Shutdown,
    /// An internal task failed (a bug).
    #[error("internal error in the VNC back end: {0}")]
    Internal(String),
}

impl VncError {
    /// The Guacamole status viewers are closed with.
    pub fn status(&self) -> Status {
        match self {
            VncError::Unreachable { .. } => Status::UpstreamNotFound,
            VncError::Timeout { .. } => Status::UpstreamTimeout,
            VncError::AuthFailed { .. } | VncError::PasswordRequired => Status::ClientUnauthorized,
            VncError::Refused(_) => Status::UpstreamUnavailable,
            VncError::Protocol(_) | VncError::Closed | VncError::Io(_) => Status::UpstreamError,
            VncError::Shutdown => Status::Success,
            VncError::Internal(_) => Status::ServerError,
        }
    }
}

impl From<RfbError> for VncError {
    fn from(e: RfbError) -> Self {
        match e {
            RfbError::AuthFailed(reason) => VncError::AuthFailed { reason },
            RfbError::PasswordRequired => VncError::PasswordRequired,
            RfbError::Refused(r) => VncError::Refused(r),
            e @ RfbError::UnsupportedSecurity(_) => VncError::Refused(e.to_string()),
            e => VncError::Protocol(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(
            VncError::from(RfbError::AuthFailed(Some("no".into())))
                .status()
                .code(),
            769
        );
        assert_eq!(
            VncError::Unreachable {
                addr: "a".into(),
                reason: "refused".into()
            }
            .status()
            .code(),
            519
        );
        assert_eq!(VncError::Closed.status().code(), 515);
        assert_eq!(
            VncError::from(RfbError::UnknownMessage(9)).status(),
            Status::UpstreamError
        );
    }
}
