//! Classification of browser→server instructions (guacamole-wire.md §4).
//!
//! guacd's handlers read their arguments without checking how many there are, so the
//! gateway checks every instruction a browser sends against [`ClientOpcode::arity`]
//! before forwarding it. The handshake belongs to the gateway: `select`, `connect`,
//! `image`, `video`, `timezone` and `name` are never accepted from a browser.
//! [`ClientOpcode::read_only_action`] says what happens to each instruction when the
//! viewer is read-only, mirroring what guacd does for a user without input handlers
//! (§4.2) so that a tampered client gains nothing even from a guacd that forgot.

use crate::Instruction;
use thiserror::Error;

/// An instruction a browser may send during a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientOpcode {
    Key,
    Mouse,
    Touch,
    Size,
    Clipboard,
    File,
    Pipe,
    Audio,
    Argv,
    Put,
    Get,
    Blob,
    End,
    Ack,
    Sync,
    Nop,
    Disconnect,
    /// The tunnel's own instructions, with the empty opcode (`0.,4.ping,…`).
    Internal,
}

/// What a read-only viewer's instruction becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOnlyAction {
    /// Forwarded as for any viewer (flow control and keep-alive).
    Forward,
    /// Silently dropped (pointer, keys, touch, resize, object requests).
    Drop,
    /// The stream it opens (or carries data for) is refused with `ack,<i>,…,256`.
    Refuse,
}

/// Why a browser instruction is refused before it reaches an upstream.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClientInstructionError {
    /// A handshake instruction sent mid-session: the gateway owns the handshake.
    #[error("'{0}' belongs to the handshake, which the gateway performs itself")]
    HandshakeOnly(&'static str),
    /// The instruction has the wrong number of arguments.
    #[error("'{opcode}' takes {expected} argument(s), got {got}")]
    Arity {
        opcode: &'static str,
        expected: usize,
        got: usize,
    },
    /// A stream index is outside 0..512.
    #[error("stream index '{0}' is not in 0..512")]
    StreamIndex(String),
}

/// Opcodes of the handshake, never accepted mid-session.
pub const HANDSHAKE_ONLY: [&str; 6] = ["select", "connect", "image", "video", "timezone", "name"];

/// guacd's per-user stream index space (`GUAC_USER_MAX_STREAMS`).
pub const MAX_STREAMS: u32 = 512;

impl ClientOpcode {
    /// Maps an opcode string to its class; `None` for opcodes this table does not know
    /// (guacd ignores those; the gateway drops them).
    pub fn from_opcode(op: &str) -> Option<ClientOpcode> {
        use ClientOpcode::*;
        Some(match op {
            "key" => Key,
            "mouse" => Mouse,
            "touch" => Touch,
            "size" => Size,
            "clipboard" => Clipboard,
            "file" => File,
            "pipe" => Pipe,
            "audio" => Audio,
            "argv" => Argv,
            "put" => Put,
            "get" => Get,
            "blob" => Blob,
            "end" => End,
            "ack" => Ack,
            "sync" => Sync,
            "nop" => Nop,
            "disconnect" => Disconnect,
            "" => Internal,
            _ => return None,
        })
    }

    /// The opcode string.
    pub fn as_str(self) -> &'static str {
        use ClientOpcode::*;
        match self {
            Key => "key",
            Mouse => "mouse",
            Touch => "touch",
            Size => "size",
            Clipboard => "clipboard",
            File => "file",
            Pipe => "pipe",
            Audio => "audio",
            Argv => "argv",
            Put => "put",
            Get => "get",
            Blob => "blob",
            End => "end",
            Ack => "ack",
            Sync => "sync",
            Nop => "nop",
            Disconnect => "disconnect",
            Internal => "",
        }
    }

    /// The exact number of arguments guacamole-common-js sends, or `None` when any
    /// number is acceptable (the tunnel's internal instructions).
    pub fn arity(self) -> Option<usize> {
        use ClientOpcode::*;
        Some(match self {
            Key => 2,
            Mouse => 3,
            Touch => 7,
            Size => 2,
            Clipboard => 2,
            File => 3,
            Pipe => 3,
            Audio => 2,
            Argv => 3,
            Put => 4,
            Get => 2,
            Blob => 2,
            End => 1,
            Ack => 3,
            Sync => 1,
            Nop => 0,
            Disconnect => 0,
            Internal => return None,
        })
    }

    /// Index of the argument that names a browser-chosen stream, if any.
    pub fn stream_arg(self) -> Option<usize> {
        use ClientOpcode::*;
        match self {
            Clipboard | File | Pipe | Audio | Argv | Blob | End => Some(0),
            Put => Some(1),
            _ => None,
        }
    }

    /// Whether this instruction opens a browser→server stream.
    pub fn opens_stream(self) -> bool {
        use ClientOpcode::*;
        matches!(self, Clipboard | File | Pipe | Audio | Argv | Put)
    }

    /// What happens to it when sent by a read-only viewer (guacamole-wire.md §4.2).
    pub fn read_only_action(self) -> ReadOnlyAction {
        use ClientOpcode::*;
        match self {
            Key | Mouse | Touch | Size | Get => ReadOnlyAction::Drop,
            Clipboard | File | Pipe | Audio | Argv | Put | Blob => ReadOnlyAction::Refuse,
            // `end` of a refused stream has nothing to close upstream.
            End => ReadOnlyAction::Drop,
            Ack | Sync | Nop | Disconnect | Internal => ReadOnlyAction::Forward,
        }
    }

    /// Whether this is user input in the sense of "control": everything a read-only
    /// viewer may not do.
    pub fn is_control(self) -> bool {
        self.read_only_action() != ReadOnlyAction::Forward
    }
}

/// Checks a browser instruction: handshake opcodes are refused, known opcodes must have
/// their exact arity and stream indices in range. Returns `Ok(None)` for opcodes the
/// table does not know (to be dropped, as guacd would ignore them).
pub fn check_client_instruction(
    instr: &Instruction,
) -> Result<Option<ClientOpcode>, ClientInstructionError> {
    let op = instr.opcode();
    let Some(class) = ClientOpcode::from_opcode(op) else {
        if let Some(h) = HANDSHAKE_ONLY.iter().find(|h| **h == op) {
            return Err(ClientInstructionError::HandshakeOnly(h));
        }
        return Ok(None);
    };
    if let Some(expected) = class.arity() {
        if instr.arg_count() != expected {
            return Err(ClientInstructionError::Arity {
                opcode: class.as_str(),
                expected,
                got: instr.arg_count(),
            });
        }
    }
    if let Some(i) = class.stream_arg() {
        let s = instr.arg(i).unwrap_or("");
        match s.parse::<u32>() {
            Ok(n) if n < MAX_STREAMS => {}
            _ => return Err(ClientInstructionError::StreamIndex(s.to_owned())),
        }
    }
    Ok(Some(class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_is_enforced() {
        let ok = Instruction::new("mouse", &["1", "2", "0"]);
        assert_eq!(check_client_instruction(&ok), Ok(Some(ClientOpcode::Mouse)));
        let bad = Instruction::new("mouse", &["1", "2"]);
        assert!(matches!(
            check_client_instruction(&bad),
            Err(ClientInstructionError::Arity {
                expected: 3,
                got: 2,
                ..
            })
        ));
    }

    #[test]
    fn handshake_opcodes_refused_unknown_dropped() {
        let sel = Instruction::new("select", &["vnc"]);
        assert_eq!(
            check_client_instruction(&sel),
            Err(ClientInstructionError::HandshakeOnly("select"))
        );
        assert_eq!(
            check_client_instruction(&Instruction::new("usbdata", &["1"])),
            Ok(None)
        );
    }

    #[test]
    fn stream_index_range() {
        let bad = Instruction::new("blob", &["512", "AA=="]);
        assert!(check_client_instruction(&bad).is_err());
        let bad = Instruction::new("clipboard", &["-1", "text/plain"]);
        assert!(check_client_instruction(&bad).is_err());
        let ok = Instruction::new("put", &["0", "511", "text/plain", "x"]);
        assert!(check_client_instruction(&ok).is_ok());
    }

    #[test]
    fn read_only_table() {
        use ClientOpcode::*;
        for op in [Key, Mouse, Touch, Size, Get, End] {
            assert_eq!(op.read_only_action(), ReadOnlyAction::Drop);
        }
        for op in [Clipboard, File, Pipe, Audio, Argv, Put, Blob] {
            assert_eq!(op.read_only_action(), ReadOnlyAction::Refuse);
        }
        for op in [Ack, Sync, Nop, Disconnect, Internal] {
            assert_eq!(op.read_only_action(), ReadOnlyAction::Forward);
        }
    }
}
