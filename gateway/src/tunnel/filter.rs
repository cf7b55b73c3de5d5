//! The per-viewer check of every instruction a browser sends.
//!
//! Order of checks, all before anything reaches an upstream:
//! 1. the frame parses completely under libguac's limits (done by the caller's parser);
//! 2. the tunnel's internal instructions (`0.,ping,…`) are answered here and never
//!    forwarded;
//! 3. handshake opcodes are refused, arity and stream indices checked
//!    ([`porthole_protocol::opcode::check_client_instruction`]);
//! 4. for a read-only viewer, input is dropped and streams are refused with
//!    `ack,<i>,…,256` exactly as guacd refuses them (guacamole-wire.md §4.2).
//!
//! Unknown opcodes are dropped (guacd ignores them too), so a newer client's additions
//! never reach an older guacd.

use bytes::Bytes;
use porthole_protocol::opcode::{check_client_instruction, ClientOpcode, ReadOnlyAction};
use porthole_protocol::{encode_to_bytes, Instruction, Status};

/// What to do with one browser instruction.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Send to the upstream unchanged.
    Forward(ClientOpcode),
    /// Discard silently.
    Drop,
    /// Answer the browser with these bytes (a ping echo or a stream refusal).
    Reply(Bytes),
    /// The browser broke the protocol: close its tunnel with this status.
    Fatal(Status, String),
}

/// Checks one viewer's instructions.
#[derive(Debug, Default)]
pub struct BrowserFilter {
    read_only: bool,
}

impl BrowserFilter {
    pub fn new(read_only: bool) -> Self {
        BrowserFilter { read_only }
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Decides what happens to `instr`.
    pub fn check(&mut self, instr: &Instruction) -> Verdict {
        let class = match check_client_instruction(instr) {
            Err(e) => return Verdict::Fatal(Status::ClientBadRequest, e.to_string()),
            Ok(None) => return Verdict::Drop,
            Ok(Some(c)) => c,
        };
        if class == ClientOpcode::Internal {
            // `0.,4.ping,<ms>;` is echoed; other internal instructions are ignored.
            if instr.arg(0) == Some("ping") && instr.arg_count() >= 2 {
                let ts = instr.arg(1).unwrap_or("");
                return Verdict::Reply(encode_to_bytes("", &["ping", ts]));
            }
            return Verdict::Drop;
        }
        if !self.read_only {
            return Verdict::Forward(class);
        }
        match class.read_only_action() {
            ReadOnlyAction::Forward => Verdict::Forward(class),
            ReadOnlyAction::Drop => Verdict::Drop,
            ReadOnlyAction::Refuse => {
                let stream = class.stream_arg().and_then(|i| instr.arg(i)).unwrap_or("0");
                let text = format!("{} unsupported", class.as_str());
                Verdict::Reply(encode_to_bytes(
                    "ack",
                    &[
                        stream,
                        text.as_str(),
                        &Status::Unsupported.code().to_string(),
                    ],
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_is_echoed_and_never_forwarded() {
        let mut f = BrowserFilter::new(false);
        let v = f.check(&Instruction::new("", &["ping", "1234"]));
        assert_eq!(v, Verdict::Reply(Bytes::from_static(b"0.,4.ping,4.1234;")));
    }

    #[test]
    fn read_only_drops_input_and_refuses_streams() {
        let mut f = BrowserFilter::new(true);
        assert_eq!(
            f.check(&Instruction::new("key", &["65", "1"])),
            Verdict::Drop
        );
        assert_eq!(
            f.check(&Instruction::new("mouse", &["1", "2", "1"])),
            Verdict::Drop
        );
        assert_eq!(
            f.check(&Instruction::new("clipboard", &["3", "text/plain"])),
            Verdict::Reply(Bytes::from_static(
                b"3.ack,1.3,21.clipboard unsupported,3.256;"
            ))
        );
        assert_eq!(
            f.check(&Instruction::new("sync", &["99"])),
            Verdict::Forward(ClientOpcode::Sync)
        );
    }

    #[test]
    fn handshake_and_arity_are_fatal() {
        let mut f = BrowserFilter::new(false);
        assert!(matches!(
            f.check(&Instruction::new("connect", &["x"])),
            Verdict::Fatal(Status::ClientBadRequest, _)
        ));
        assert!(matches!(
            f.check(&Instruction::new("key", &["65"])),
            Verdict::Fatal(Status::ClientBadRequest, _)
        ));
        assert_eq!(f.check(&Instruction::new("usbdata", &["1"])), Verdict::Drop);
    }
}
