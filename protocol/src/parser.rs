//! The streaming instruction parser.
//!
//! Bytes are appended to a [`BytesMut`] by the caller as they arrive; [`Parser::next`]
//! returns each complete instruction, split off the front of that buffer and frozen, so
//! the instruction's elements are slices of the received bytes — nothing is copied.
//! The parser remembers how far it has scanned, so an instruction split across many
//! reads (an 8 KiB blob over small TCP segments) is scanned once, not once per read.
//!
//! Element lengths count Unicode code points (guacamole-wire.md §1.1): the scanner
//! takes `remaining` bytes, counts the UTF-8 lead bytes among them, and repeats until
//! it has seen as many code points as announced; then it swallows the continuation
//! bytes of the last character. Every element is then checked to be valid UTF-8.
//! Pure-ASCII stretches (all of guacd's output: base64 blobs, numbers, opcodes) take a
//! fast path: `n` ASCII bytes are `n` code points and already valid UTF-8, so one
//! word-at-a-time ASCII check replaces both the counting and the validation.
//!
//! Length prefixes are decimal digits; leading zeros are accepted (libguac and the JS
//! parser read the digits as a number).
//!
//! Limits ([`Limits`]) are checked as early as possible: an oversized length prefix is
//! refused before its value is read, an element that can never fit the byte limit is
//! refused at its `.`, and the parser never looks at the byte at offset
//! `max_instruction_bytes` of an instruction: needing it means the instruction is too
//! long, reported at that offset. Hence the outcome — every instruction, and the error
//! with its kind and offset — depends only on the bytes, never on how they were cut into
//! reads. Any error is final for the stream, as it is in libguac: after an error, every
//! later call returns the same error.

use crate::instruction::{ElementRanges, Instruction};
use crate::limits::Limits;
use bytes::BytesMut;
use thiserror::Error;

/// Why a byte stream is not a valid Guacamole instruction stream.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseErrorKind {
    /// A length prefix contained something other than decimal digits.
    #[error("invalid character {found:#04x} in element length")]
    InvalidLength { found: u8 },
    /// A `.` came with no digits before it.
    #[error("element length is missing before '.'")]
    MissingLength,
    /// An element announced more code points than allowed.
    #[error("element of {len} code points exceeds the limit of {max}")]
    ElementTooLong { len: u64, max: usize },
    /// An instruction had more elements than allowed.
    #[error("instruction has more than {max} elements")]
    TooManyElements { max: usize },
    /// An instruction is longer on the wire than allowed.
    #[error("instruction exceeds {max} bytes")]
    InstructionTooLong { max: usize },
    /// The byte after an element's value was not `,` or `;`.
    #[error("expected ',' or ';' after element, found {found:#04x}")]
    BadTerminator { found: u8 },
    /// An element's value is not valid UTF-8.
    #[error("element is not valid UTF-8")]
    InvalidUtf8,
}

/// A parse failure: what went wrong and at which byte offset of the stream.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind} at byte {offset}")]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Offset in the whole stream (all bytes ever consumed by this parser) of the byte
    /// at which the problem was detected.
    pub offset: u64,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Reading the decimal length of the next element: its value so far, the number of
    /// significant digits (leading zeros excluded), and whether any digit was seen.
    Length { value: u64, digits: u8, any: bool },
    /// Reading a value: `remaining` code points are still to be seen; `ascii` while
    /// every byte of it so far was ASCII.
    Value {
        start: usize,
        remaining: usize,
        ascii: bool,
    },
    /// All code points seen; skipping continuation bytes of the last character.
    Tail { start: usize, ascii: bool },
    /// Expecting `,` or `;`.
    Terminator,
}

const LENGTH_START: State = State::Length {
    value: 0,
    digits: 0,
    any: false,
};

/// A streaming Guacamole instruction parser. See the module documentation.
#[derive(Debug)]
pub struct Parser {
    limits: Limits,
    /// `limits.max_instruction_bytes`, capped so that element ranges fit in `u32`.
    max_bytes: usize,
    state: State,
    /// Offset in the buffer where scanning resumes; the instruction in progress starts
    /// at offset 0 of the buffer.
    scan: usize,
    elements: ElementRanges,
    /// Bytes consumed (split off) before the current buffer start.
    consumed: u64,
    failed: Option<ParseError>,
}

/// A `u64` has at most 20 digits: a longer significant part exceeds any limit.
const MAX_DIGITS: u8 = 20;

impl Parser {
    /// A parser enforcing `limits`. A `max_instruction_bytes` above `u32::MAX` is
    /// treated as `u32::MAX` (element offsets are stored as `u32`).
    pub fn new(limits: Limits) -> Self {
        Parser {
            limits,
            max_bytes: limits.max_instruction_bytes.min(u32::MAX as usize),
            state: LENGTH_START,
            scan: 0,
            elements: ElementRanges::new(),
            consumed: 0,
            failed: None,
        }
    }

    /// The limits this parser enforces.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Total bytes consumed into complete instructions so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// True when no partial instruction is buffered (given the same `buf` as passed to
    /// [`Parser::next`]): the stream is at an instruction boundary.
    pub fn at_boundary(&self, buf: &BytesMut) -> bool {
        buf.is_empty() && self.scan == 0
    }

    fn fail(&mut self, kind: ParseErrorKind, at: usize) -> ParseError {
        let e = ParseError {
            kind,
            offset: self.consumed + at as u64,
        };
        self.failed = Some(e.clone());
        e
    }

    /// Returns the next complete instruction from the front of `buf`, `Ok(None)` if more
    /// bytes are needed, or the error that makes the stream invalid.
    ///
    /// The caller must pass the same buffer each time, only ever appending to it between
    /// calls (the parser splits complete instructions off its front).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self, buf: &mut BytesMut) -> Result<Option<Instruction>, ParseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if !self.scan_instruction(buf)? {
            return Ok(None);
        }
        let raw = buf.split_to(self.scan).freeze();
        self.consumed += self.scan as u64;
        self.scan = 0;
        self.state = LENGTH_START;
        let elements = std::mem::take(&mut self.elements);
        Ok(Some(Instruction::from_parts(raw, elements)))
    }

    /// Scans the instruction at the front of `buf` from where the last call stopped.
    /// `Ok(true)`: it is complete, `self.scan` bytes long; `Ok(false)`: more bytes are
    /// needed.
    fn scan_instruction(&mut self, buf: &[u8]) -> Result<bool, ParseError> {
        let max_bytes = self.max_bytes;
        // Never look at the byte at offset `max_bytes`: see `need_more`.
        let bytes = &buf[..buf.len().min(max_bytes)];
        loop {
            if matches!(
                self.state,
                State::Length {
                    value: 0,
                    digits: 0,
                    any: false
                }
            ) {
                // Fast path: whole ASCII elements already in view.
                while self.elements.len() < self.limits.max_elements {
                    let Some((start, end)) = self.whole_ascii_element(bytes, self.scan) else {
                        break;
                    };
                    // Both fit: end < bytes.len() <= max_bytes <= u32::MAX.
                    self.elements.push((start as u32, end as u32));
                    self.scan = end + 1;
                    if bytes[end] == b';' {
                        return Ok(true);
                    }
                }
            }
            match self.state {
                State::Length {
                    mut value,
                    mut digits,
                    mut any,
                } => loop {
                    let Some(&b) = bytes.get(self.scan) else {
                        self.state = State::Length { value, digits, any };
                        return self.need_more(buf.len());
                    };
                    match b {
                        b'0'..=b'9' => {
                            any = true;
                            value = value.saturating_mul(10).saturating_add(u64::from(b - b'0'));
                            if value != 0 {
                                digits += 1;
                            }
                            if digits > MAX_DIGITS || value > self.limits.max_element_len as u64 {
                                let max = self.limits.max_element_len;
                                return Err(self.fail(
                                    ParseErrorKind::ElementTooLong { len: value, max },
                                    self.scan,
                                ));
                            }
                            self.scan += 1;
                        }
                        b'.' => {
                            if !any {
                                return Err(self.fail(ParseErrorKind::MissingLength, self.scan));
                            }
                            // `value` <= max_element_len, which is a usize.
                            let remaining = value as usize;
                            // A value needs at least one byte per code point, plus a
                            // terminator: refuse at the '.' if that can never fit.
                            if (self.scan + 1).saturating_add(remaining) >= max_bytes {
                                return Err(self.fail(
                                    ParseErrorKind::InstructionTooLong { max: max_bytes },
                                    self.scan,
                                ));
                            }
                            self.scan += 1;
                            self.state = State::Value {
                                start: self.scan,
                                remaining,
                                ascii: true,
                            };
                            break;
                        }
                        other => {
                            return Err(self
                                .fail(ParseErrorKind::InvalidLength { found: other }, self.scan))
                        }
                    }
                },
                State::Value {
                    start,
                    mut remaining,
                    mut ascii,
                } => {
                    while remaining > 0 {
                        let avail = bytes.len() - self.scan;
                        if avail == 0 {
                            self.state = State::Value {
                                start,
                                remaining,
                                ascii,
                            };
                            return self.need_more(buf.len());
                        }
                        let take = remaining.min(avail);
                        let chunk = &bytes[self.scan..self.scan + take];
                        // `take` ASCII bytes are `take` code points (the usual case).
                        let leads = if chunk.is_ascii() {
                            take
                        } else {
                            ascii = false;
                            count_lead_bytes(chunk)
                        };
                        self.scan += take;
                        remaining -= leads;
                    }
                    self.state = State::Tail { start, ascii };
                }
                State::Tail { start, mut ascii } => {
                    while let Some(&b) = bytes.get(self.scan) {
                        if !is_continuation(b) {
                            break;
                        }
                        ascii = false;
                        self.scan += 1;
                    }
                    if self.scan >= bytes.len() {
                        // More continuation bytes may still arrive.
                        self.state = State::Tail { start, ascii };
                        return self.need_more(buf.len());
                    }
                    // An all-ASCII value is valid UTF-8 already.
                    if !ascii && std::str::from_utf8(&bytes[start..self.scan]).is_err() {
                        return Err(self.fail(ParseErrorKind::InvalidUtf8, start));
                    }
                    if self.elements.len() >= self.limits.max_elements {
                        let max = self.limits.max_elements;
                        return Err(self.fail(ParseErrorKind::TooManyElements { max }, start));
                    }
                    // Both fit: scan < max_bytes <= u32::MAX.
                    self.elements.push((start as u32, self.scan as u32));
                    self.state = State::Terminator;
                }
                State::Terminator => {
                    let Some(&b) = bytes.get(self.scan) else {
                        return self.need_more(buf.len());
                    };
                    match b {
                        b',' => {
                            self.scan += 1;
                            self.state = LENGTH_START;
                        }
                        b';' => {
                            // `scan` < max_bytes: the instruction fits.
                            self.scan += 1;
                            return Ok(true);
                        }
                        other => {
                            return Err(self
                                .fail(ParseErrorKind::BadTerminator { found: other }, self.scan))
                        }
                    }
                }
            }
        }
    }

    /// The fast path of the scanner: if the element at `pos` is entirely in view —
    /// length, `.`, an all-ASCII value and its terminator — and passes every check,
    /// returns its value's range; the terminator is at the range's end. Otherwise
    /// returns `None` and the state machine takes over from `pos`: anything unusual
    /// (a partial element, non-ASCII text, an error) goes the slow way, so both paths
    /// accept exactly the same input.
    #[inline]
    fn whole_ascii_element(&self, bytes: &[u8], pos: usize) -> Option<(usize, usize)> {
        let digits = bytes.get(pos..)?;
        let mut value = 0u64;
        let mut n = 0;
        loop {
            let &b = digits.get(n)?;
            match b {
                b'0'..=b'9' if n < 18 => value = value * 10 + u64::from(b - b'0'),
                b'.' if n > 0 => break,
                _ => return None,
            }
            n += 1;
        }
        if value > self.limits.max_element_len as u64 {
            return None;
        }
        let start = pos + n + 1;
        let end = start.checked_add(value as usize)?;
        match bytes.get(end)? {
            // `end` < bytes.len() <= max_bytes: the byte limit holds.
            b',' | b';' if bytes[start..end].is_ascii() => Some((start, end)),
            _ => None,
        }
    }

    /// Scanning stopped at the end of the visible bytes. If that is the byte limit and
    /// more bytes are buffered, the instruction does not fit (the error is at offset
    /// `max_bytes`, whatever the reads); otherwise wait for more bytes.
    fn need_more(&mut self, buffered: usize) -> Result<bool, ParseError> {
        if buffered > self.max_bytes {
            let max = self.max_bytes;
            return Err(self.fail(ParseErrorKind::InstructionTooLong { max }, max));
        }
        Ok(false)
    }
}

/// Splits a buffer of complete instructions into consecutive pieces of about `target`
/// bytes, each ending on an instruction boundary (a piece is larger only when one
/// instruction is). Returns the end offset of each piece. Used to keep WebSocket
/// messages small without copying: the pieces are slices of the same buffer.
///
/// The input must be well-formed (it is output the caller produced or already parsed);
/// on malformed input the rest of the buffer becomes one last piece.
pub fn split_points(data: &[u8], target: usize) -> Vec<usize> {
    let mut points = Vec::new();
    let (mut i, mut piece_start) = (0usize, 0usize);
    while i < data.len() {
        // One instruction: elements `len.value` separated by ',' and ended by ';'.
        let end = loop {
            let mut len = 0usize;
            while let Some(d) = data.get(i).filter(|b| b.is_ascii_digit()) {
                len = len.saturating_mul(10).saturating_add(usize::from(d - b'0'));
                i += 1;
            }
            if data.get(i) != Some(&b'.') {
                break None;
            }
            i += 1;
            // Skip `len` code points.
            let mut left = len;
            while left > 0 && i < data.len() {
                i += 1;
                while data.get(i).is_some_and(|b| is_continuation(*b)) {
                    i += 1;
                }
                left -= 1;
            }
            match data.get(i) {
                Some(b',') => i += 1,
                Some(b';') => break Some(i + 1),
                _ => break None,
            }
        };
        let Some(end) = end else {
            break;
        };
        i = end;
        if i - piece_start >= target {
            points.push(i);
            piece_start = i;
        }
    }
    if piece_start < data.len() {
        points.push(data.len());
    }
    points
}

#[inline]
fn is_continuation(b: u8) -> bool {
    (b as i8) < -0x40
}

/// Counts bytes that start a character (anything but `10xxxxxx`). Written as a plain
/// fold over fixed-size chunks so the compiler vectorises it.
#[inline]
fn count_lead_bytes(bytes: &[u8]) -> usize {
    let mut chunks = bytes.chunks_exact(64);
    let mut n = 0usize;
    for c in &mut chunks {
        let mut k = 0u32;
        for &b in c {
            k += u32::from((b as i8) >= -0x40);
        }
        n += k as usize;
    }
    n + chunks
        .remainder()
        .iter()
        .filter(|&&b| (b as i8) >= -0x40)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8], limits: Limits) -> Result<Vec<Instruction>, ParseError> {
        let mut p = Parser::new(limits);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(i) = p.next(&mut buf)? {
            out.push(i);
        }
        Ok(out)
    }

    #[test]
    fn parses_several_instructions_in_one_read() {
        let v = parse_all(b"4.size,1.0,4.1280,3.720;3.nop;", Limits::LIBGUAC).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].opcode(), "size");
        assert_eq!(v[0].args().collect::<Vec<_>>(), ["0", "1280", "720"]);
        assert_eq!(v[1].opcode(), "nop");
        assert_eq!(v[1].arg_count(), 0);
    }

    #[test]
    fn lengths_are_code_points() {
        let s = "9.clipboard,3.é😀a,2.,;;".as_bytes();
        let v = parse_all(s, Limits::LIBGUAC).unwrap();
        assert_eq!(v[0].arg(0), Some("é😀a"));
        assert_eq!(v[0].arg(1), Some(",;"));
    }

    #[test]
    fn byte_by_byte_feeding() {
        let s = "3.key,5.65307,1.1;4.name,4.ünï😀;".as_bytes();
        let mut p = Parser::new(Limits::LIBGUAC);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for b in s {
            buf.extend_from_slice(&[*b]);
            while let Some(i) = p.next(&mut buf).unwrap() {
                out.push(i);
            }
        }
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].arg(0), Some("ünï😀"));
        assert_eq!(p.consumed(), s.len() as u64);
    }

    #[test]
    fn errors_carry_kind_and_offset() {
        let e = parse_all(b"3.nop;2.abc;", Limits::LIBGUAC).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::BadTerminator { found: b'c' });
        assert_eq!(e.offset, 10);
        let e = parse_all(b"x.nop;", Limits::LIBGUAC).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InvalidLength { found: b'x' });
        let e = parse_all(b".;", Limits::LIBGUAC).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::MissingLength);
        let e = parse_all(b"8193.", Limits::LIBGUAC).unwrap_err();
        assert_eq!(
            e.kind,
            ParseErrorKind::ElementTooLong {
                len: 8193,
                max: 8192
            }
        );
        let e = parse_all(b"3.a\xffb;", Limits::LIBGUAC).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InvalidUtf8);
        assert_eq!(e.offset, 2);
    }

    #[test]
    fn too_many_elements() {
        let mut s = b"1.a".to_vec();
        for _ in 0..128 {
            s.extend_from_slice(b",1.b");
        }
        s.push(b';');
        let e = parse_all(&s, Limits::LIBGUAC).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::TooManyElements { max: 128 });
        s.truncate(s.len() - 5);
        s.push(b';');
        assert_eq!(parse_all(&s, Limits::LIBGUAC).unwrap()[0].arg_count(), 127);
    }

    #[test]
    fn instruction_byte_limit() {
        let limits = Limits {
            max_element_len: 100,
            max_elements: 100,
            max_instruction_bytes: 20,
        };
        let e = parse_all(b"3.abc,30.", limits).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InstructionTooLong { max: 20 });
        let e = parse_all(b"3.abc,5.abcde,5.abcde;", limits).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InstructionTooLong { max: 20 });
        assert!(parse_all(b"3.abc,5.abcde,3.abc;", limits).is_ok());
    }

    #[test]
    fn split_points_fall_on_instruction_boundaries() {
        let data = "3.nop;4.sync,1.1;5.é😀abc,2.ab;3.nop;".as_bytes();
        let pts = split_points(data, 6);
        assert_eq!(pts, vec![6, 17, data.len() - 6, data.len()]);
        for w in pts.windows(2) {
            assert_eq!(data[w[1] - 1], b';');
        }
        assert_eq!(split_points(data, 1000), vec![data.len()]);
        assert!(split_points(b"", 10).is_empty());
    }

    #[test]
    fn error_is_sticky() {
        let mut p = Parser::new(Limits::LIBGUAC);
        let mut buf = BytesMut::from(&b"z"[..]);
        let e1 = p.next(&mut buf).unwrap_err();
        buf.extend_from_slice(b"3.nop;");
        assert_eq!(p.next(&mut buf).unwrap_err(), e1);
    }

    #[test]
    fn stray_continuation_byte_is_invalid_utf8() {
        // Length 0 followed by a continuation byte: the byte is swallowed as part of the
        // (empty) value and fails validation rather than being silently accepted.
        let e = parse_all(b"0.\x80;", Limits::LIBGUAC).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InvalidUtf8);
    }
}
