//! A lean streaming scanner that finds the `sync` instructions in a Guacamole byte
//! stream, for benchmark clients that must answer every `sync` like a browser without
//! paying for a full parse of every instruction.
//!
//! It walks `<len>.<value>` elements (lengths in Unicode code points, as the protocol
//! says), remembers only the opcode and, for `sync`, the first argument, and accepts its
//! input in pieces split anywhere. It checks the framing (digits, `.`, `,`/`;`) but not
//! the limits: the benchmarks feed it streams that the real parser already accepted
//! (recordings) or that Porthole forwarded.

use anyhow::{bail, Result};

/// Longest opcode kept (longer ones cannot be `sync`).
const OPCODE_MAX: usize = 16;
/// Longest `sync` timestamp kept.
const TS_MAX: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the decimal length of element `element`.
    Length,
    /// Inside a value: `left` code points still to come.
    Value,
    /// After a value: expecting `,` or `;`.
    Separator,
}

/// Finds `sync` instructions in a stream fed piece by piece.
#[derive(Debug, Clone)]
pub struct SyncScanner {
    state: State,
    len: usize,
    digits: usize,
    left: usize,
    element: usize,
    opcode: [u8; OPCODE_MAX],
    opcode_len: usize,
    is_sync: bool,
    ts: [u8; TS_MAX],
    ts_len: usize,
    /// Complete instructions seen.
    pub instructions: u64,
    /// `sync` instructions seen.
    pub syncs: u64,
}

impl Default for SyncScanner {
    fn default() -> Self {
        SyncScanner {
            state: State::Length,
            len: 0,
            digits: 0,
            left: 0,
            element: 0,
            opcode: [0; OPCODE_MAX],
            opcode_len: 0,
            is_sync: false,
            ts: [0; TS_MAX],
            ts_len: 0,
            instructions: 0,
            syncs: 0,
        }
    }
}

impl SyncScanner {
    /// A scanner at an instruction boundary.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when no instruction is in progress.
    pub fn at_boundary(&self) -> bool {
        self.state == State::Length && self.element == 0 && self.digits == 0
    }

    /// Scans `data` (the next bytes of the stream) and calls `on_sync` with the
    /// timestamp (first argument, as text) of every `sync` completed in it.
    pub fn feed(&mut self, data: &[u8], mut on_sync: impl FnMut(&str)) -> Result<()> {
        let mut i = 0;
        while i < data.len() {
            match self.state {
                State::Length => {
                    let b = data[i];
                    i += 1;
                    match b {
                        b'0'..=b'9' => {
                            self.digits += 1;
                            if self.digits > 12 {
                                bail!("element length too long");
                            }
                            self.len = self.len * 10 + usize::from(b - b'0');
                        }
                        b'.' if self.digits > 0 => {
                            self.left = self.len;
                            self.len = 0;
                            self.digits = 0;
                            self.state = if self.left == 0 {
                                State::Separator
                            } else {
                                State::Value
                            };
                            if self.element == 0 {
                                self.opcode_len = 0;
                            }
                            if self.element == 1 && self.is_sync {
                                self.ts_len = 0;
                            }
                        }
                        _ => bail!("expected a length digit or '.', got byte {b:#04x}"),
                    }
                }
                State::Value => {
                    let start = i;
                    let rest = &data[i..];
                    // Fast path: the rest of the value is in `data` and is ASCII.
                    let end = if rest.len() >= self.left && rest[..self.left].is_ascii() {
                        i += self.left;
                        self.left = 0;
                        i
                    } else {
                        // Count code points: every byte that is not a UTF-8
                        // continuation byte starts one. The value ends before the
                        // first code point past the last one counted.
                        while i < data.len() {
                            let b = data[i];
                            if b & 0xC0 != 0x80 {
                                if self.left == 0 {
                                    break;
                                }
                                self.left -= 1;
                            }
                            i += 1;
                        }
                        i
                    };
                    self.keep(&data[start..end]);
                    if self.left == 0 && (i < data.len() || end > start) {
                        // Either a non-continuation byte follows (the separator), or
                        // the value's last code point may still have continuation bytes
                        // in the next piece; those are skipped in Separator.
                        self.state = State::Separator;
                    }
                }
                State::Separator => {
                    let b = data[i];
                    i += 1;
                    match b {
                        // Continuation bytes of the value's last code point that
                        // arrived in a later piece.
                        0x80..=0xBF => {}
                        b',' => {
                            self.end_element();
                            self.state = State::Length;
                        }
                        b';' => {
                            self.end_element();
                            self.instructions += 1;
                            if self.is_sync {
                                self.syncs += 1;
                                let ts = std::str::from_utf8(&self.ts[..self.ts_len]).unwrap_or("");
                                on_sync(ts);
                            }
                            self.element = 0;
                            self.is_sync = false;
                            self.state = State::Length;
                        }
                        _ => bail!("expected ',' or ';' after a value, got byte {b:#04x}"),
                    }
                }
            }
        }
        Ok(())
    }

    fn keep(&mut self, bytes: &[u8]) {
        if self.element == 0 {
            let room = OPCODE_MAX - self.opcode_len;
            let n = bytes.len().min(room);
            self.opcode[self.opcode_len..self.opcode_len + n].copy_from_slice(&bytes[..n]);
            self.opcode_len += n;
        } else if self.element == 1 && self.is_sync {
            let room = TS_MAX - self.ts_len;
            let n = bytes.len().min(room);
            self.ts[self.ts_len..self.ts_len + n].copy_from_slice(&bytes[..n]);
            self.ts_len += n;
        }
    }

    fn end_element(&mut self) {
        if self.element == 0 {
            self.is_sync = &self.opcode[..self.opcode_len] == b"sync";
            self.ts_len = 0;
        }
        self.element += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_pieces(data: &[u8], piece: usize) -> (Vec<String>, u64) {
        let mut s = SyncScanner::new();
        let mut out = Vec::new();
        for chunk in data.chunks(piece.max(1)) {
            s.feed(chunk, |ts| out.push(ts.to_owned())).unwrap();
        }
        assert!(s.at_boundary());
        (out, s.instructions)
    }

    #[test]
    fn finds_syncs_whatever_the_split() {
        let data = "4.size,1.0,4.1024,3.768;4.sync,7.1000001,1.1;3.nop;0.,2.ab;\
                    4.blob,1.1,4.héé€;4.sync,7.1000002,1.1;5.syncs,1.x;4.sync,1.5;"
            .as_bytes();
        for piece in 1..=data.len() {
            let (syncs, n) = scan_pieces(data, piece);
            assert_eq!(syncs, ["1000001", "1000002", "5"], "piece {piece}");
            assert_eq!(n, 8);
        }
    }

    #[test]
    fn rejects_bad_framing() {
        let mut s = SyncScanner::new();
        assert!(s.feed(b"4.sync;x", |_| {}).is_err());
        let mut s = SyncScanner::new();
        assert!(s.feed(b"2.abc;", |_| {}).is_err());
    }

    #[test]
    fn agrees_with_the_parser_on_a_recording() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/guacd-recordings/typing-owner.guac");
        let Ok(data) = std::fs::read(&path) else {
            return;
        };
        let mut buf = bytes::BytesMut::from(&data[..]);
        let mut parser = porthole_protocol::Parser::new(porthole_protocol::Limits::UPSTREAM);
        let mut want = Vec::new();
        let mut count = 0u64;
        while let Some(i) = parser.next(&mut buf).unwrap() {
            count += 1;
            if i.opcode() == "sync" {
                want.push(i.arg(0).unwrap().to_owned());
            }
        }
        for piece in [1000, 4096, 65536] {
            let (syncs, n) = scan_pieces(&data, piece);
            assert_eq!(syncs, want);
            assert_eq!(n, count);
        }
    }
}
