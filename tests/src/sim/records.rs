//! What the simulator observed: handshakes, instructions received from users, clipboard
//! data, and snapshots of live connections.

use porthole_protocol::handshake::{ProtocolVersion, Size};
use porthole_protocol::Instruction;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;

/// What became of an instruction a user sent after `ready`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Acted upon (input applied, stream data taken, sync/ack/nop/disconnect processed).
    Processed,
    /// Silently dropped: no handler for this user (read-only input, a resize by a user
    /// not allowed to resize, `touch` without touch support, `get`/`put` without an
    /// exposed object, data for a stream that was never opened).
    Dropped,
    /// Refused with `ack,<stream>,<text>,<status>`.
    Refused { status: u16 },
    /// Opcode unknown in a session (guacd ignores it).
    Ignored,
    /// Fewer arguments than the opcode needs. guacd reads missing arguments blindly
    /// (guacamole-wire.md §1.3); the simulator records and ignores the instruction.
    Malformed,
    /// Ended the user's session (a `sync` with a timestamp never sent).
    Fatal,
}

/// One instruction received from a user after `ready`.
#[derive(Debug, Clone)]
pub struct ReceivedInput {
    /// Increasing sequence number over the simulator's lifetime.
    pub seq: u64,
    pub connection_id: String,
    pub user_id: String,
    /// The user's handshake `name`, if any (empty names are `None`).
    pub user_name: Option<String>,
    pub owner: bool,
    pub read_only: bool,
    pub instruction: Instruction,
    pub disposition: Disposition,
    /// `disposition == Processed`.
    pub accepted: bool,
    pub at: Instant,
}

impl ReceivedInput {
    pub fn opcode(&self) -> &str {
        self.instruction.opcode()
    }

    pub fn args(&self) -> Vec<&str> {
        self.instruction.args().collect()
    }
}

/// How a handshake ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeOutcome {
    /// `ready` sent and the user attached.
    Ready,
    /// `select $id` of an unknown connection: `error,No such connection.,516`.
    NoSuchConnection,
    /// `select` of an unknown protocol: no answer at all.
    UnknownProtocol,
    /// `ready` sent, then closed because `connect` had the wrong number of values.
    ArgCountMismatch,
    /// A handshake read timed out: closed silently.
    Timeout,
    /// Parse error, `size` with fewer than two arguments, or (legacy) an instruction out
    /// of order: closed silently.
    Malformed,
    /// The peer closed during the handshake.
    Closed,
    /// A [`super::Fault`] was applied.
    Faulted,
    /// `ready` sent, but the connection ended before the user could be attached.
    ConnectionGone,
}

/// What one user sent during the handshake.
#[derive(Debug, Clone)]
pub struct HandshakeRecord {
    pub peer: SocketAddr,
    /// The `select` argument: a protocol name or `$<connection id>`.
    pub select: String,
    /// `select` named an existing connection id.
    pub join: bool,
    /// The connection id sent in `ready`.
    pub connection_id: Option<String>,
    pub user_id: Option<String>,
    /// Opcodes received after `args`, in order (`connect` included).
    pub order: Vec<String>,
    pub size: Option<Size>,
    pub audio: Option<Vec<String>>,
    pub video: Option<Vec<String>>,
    pub image: Option<Vec<String>>,
    pub timezone: Option<String>,
    pub name: Option<String>,
    /// The first `connect` element as sent (versioned handshake only).
    pub version_string: Option<String>,
    /// It mapped through guacd's exact-string table (`None` = unknown, or legacy).
    pub version: Option<ProtocolVersion>,
    /// Every `connect` argument, version slot included.
    pub connect_args: Vec<String>,
    /// Parameter name → value (only when the count matched).
    pub connect_values: BTreeMap<String, String>,
    /// `read-only` was exactly `true`.
    pub read_only: bool,
    pub outcome: HandshakeOutcome,
    pub at: Instant,
}

impl HandshakeRecord {
    pub(crate) fn new(peer: SocketAddr, select: String) -> Self {
        HandshakeRecord {
            peer,
            join: select.starts_with('$'),
            select,
            connection_id: None,
            user_id: None,
            order: Vec::new(),
            size: None,
            audio: None,
            video: None,
            image: None,
            timezone: None,
            name: None,
            version_string: None,
            version: None,
            connect_args: Vec::new(),
            connect_values: BTreeMap::new(),
            read_only: false,
            outcome: HandshakeOutcome::Closed,
            at: Instant::now(),
        }
    }

    /// The value sent for a connection parameter.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.connect_values.get(name).map(String::as_str)
    }
}

/// Clipboard data a writable user sent (a completed `clipboard` stream).
#[derive(Debug, Clone)]
pub struct ClipboardRecord {
    pub connection_id: String,
    pub user_id: String,
    pub mimetype: String,
    pub data: Vec<u8>,
}

impl ClipboardRecord {
    /// The data as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// A user attached to a live connection.
#[derive(Debug, Clone)]
pub struct UserInfo {
    /// `@` + UUID.
    pub id: String,
    pub name: Option<String>,
    pub owner: bool,
    pub read_only: bool,
    /// Waiting for its state replay (joined less than one pending interval ago).
    pub pending: bool,
    pub version: Option<ProtocolVersion>,
    /// The last `sync` timestamp this user echoed.
    pub last_sync_echo: Option<u64>,
    /// Milliseconds between sending that frame's `sync` and receiving its echo.
    pub processing_lag_ms: Option<u64>,
}

/// A live connection.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// `$` + UUID.
    pub id: String,
    pub protocol: String,
    pub users: Vec<UserInfo>,
    /// The last `sync` timestamp broadcast.
    pub last_sync: u64,
    /// Frames (`sync`s) broadcast so far.
    pub frames: u64,
    /// Display size (synthetic desktop; 0×0 when replaying).
    pub width: u32,
    pub height: u32,
}

impl ConnectionInfo {
    pub fn owner(&self) -> Option<&UserInfo> {
        self.users.iter().find(|u| u.owner)
    }
}
