//! Guacamole status codes (guacamole-wire.md §3.3).
//!
//! The same numbers appear in `error` and `ack` instructions and, as a decimal string,
//! in the reason of a WebSocket close frame. Each code also has the HTTP status and the
//! WebSocket close code the stock server pairs it with.

/// A Guacamole status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Success,
    Unsupported,
    ServerError,
    ServerBusy,
    UpstreamTimeout,
    UpstreamError,
    ResourceNotFound,
    ResourceConflict,
    ResourceClosed,
    UpstreamNotFound,
    UpstreamUnavailable,
    SessionConflict,
    SessionTimeout,
    SessionClosed,
    ClientBadRequest,
    ClientUnauthorized,
    ClientForbidden,
    ClientTimeout,
    ClientOverrun,
    ClientBadType,
    ClientTooMany,
}

use Status::*;

/// (status, numeric code, HTTP status, WebSocket close code, short name)
const TABLE: [(Status, u16, u16, u16, &str); 21] = [
    (Success, 0x0000, 200, 1000, "SUCCESS"),
    (Unsupported, 0x0100, 501, 1011, "UNSUPPORTED"),
    (ServerError, 0x0200, 500, 1011, "SERVER_ERROR"),
    (ServerBusy, 0x0201, 503, 1008, "SERVER_BUSY"),
    (UpstreamTimeout, 0x0202, 504, 1011, "UPSTREAM_TIMEOUT"),
    (UpstreamError, 0x0203, 502, 1011, "UPSTREAM_ERROR"),
    (ResourceNotFound, 0x0204, 404, 1002, "RESOURCE_NOT_FOUND"),
    (ResourceConflict, 0x0205, 409, 1008, "RESOURCE_CONFLICT"),
    (ResourceClosed, 0x0206, 404, 1002, "RESOURCE_CLOSED"),
    (UpstreamNotFound, 0x0207, 502, 1011, "UPSTREAM_NOT_FOUND"),
    (
        UpstreamUnavailable,
        0x0208,
        502,
        1011,
        "UPSTREAM_UNAVAILABLE",
    ),
    (SessionConflict, 0x0209, 409, 1008, "SESSION_CONFLICT"),
    (SessionTimeout, 0x020A, 408, 1002, "SESSION_TIMEOUT"),
    (SessionClosed, 0x020B, 404, 1002, "SESSION_CLOSED"),
    (ClientBadRequest, 0x0300, 400, 1002, "CLIENT_BAD_REQUEST"),
    (ClientUnauthorized, 0x0301, 403, 1008, "CLIENT_UNAUTHORIZED"),
    (ClientForbidden, 0x0303, 403, 1008, "CLIENT_FORBIDDEN"),
    (ClientTimeout, 0x0308, 408, 1002, "CLIENT_TIMEOUT"),
    (ClientOverrun, 0x030D, 413, 1009, "CLIENT_OVERRUN"),
    (ClientBadType, 0x030F, 415, 1003, "CLIENT_BAD_TYPE"),
    (ClientTooMany, 0x031D, 429, 1008, "CLIENT_TOO_MANY"),
];

impl Status {
    fn row(self) -> &'static (Status, u16, u16, u16, &'static str) {
        // The table lists every variant in declaration order.
        &TABLE[self as usize]
    }

    /// The numeric Guacamole status code.
    pub fn code(self) -> u16 {
        self.row().1
    }

    /// The HTTP status the stock server pairs with this code.
    pub fn http_status(self) -> u16 {
        self.row().2
    }

    /// The WebSocket close code the stock server pairs with this code.
    pub fn websocket_close_code(self) -> u16 {
        self.row().3
    }

    /// The upstream constant name, e.g. `RESOURCE_NOT_FOUND`.
    pub fn name(self) -> &'static str {
        self.row().4
    }

    /// The status for a numeric code, if it is one of the table's.
    pub fn from_code(code: u16) -> Option<Status> {
        TABLE.iter().find(|r| r.1 == code).map(|r| r.0)
    }

    /// Parses the decimal text of an `error`/`ack` status argument.
    pub fn from_wire(s: &str) -> Option<Status> {
        s.parse::<u16>().ok().and_then(Status::from_code)
    }

    /// Whether this code reports an error (anything from 0x0100 up).
    pub fn is_error(self) -> bool {
        self.code() >= 0x0100
    }

    /// The decimal code as text: the reason string of a WebSocket close frame.
    pub fn close_reason(self) -> String {
        self.code().to_string()
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_declaration_order() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.0 as usize, i);
            assert_eq!(Status::from_code(row.1), Some(row.0));
        }
    }

    #[test]
    fn known_values() {
        assert_eq!(Status::ResourceNotFound.code(), 516);
        assert_eq!(Status::ClientTimeout.code(), 776);
        assert_eq!(Status::ClientOverrun.websocket_close_code(), 1009);
        assert_eq!(Status::from_wire("523"), Some(Status::SessionClosed));
        assert_eq!(Status::from_wire("1"), None);
        assert_eq!(Status::SessionClosed.close_reason(), "523");
    }
}
