//! A parsed Guacamole instruction.
//!
//! An [`Instruction`] owns the exact bytes it was parsed from (a reference-counted
//! [`Bytes`]), plus the byte ranges of its elements inside them. Reading an element
//! borrows from those bytes; forwarding the instruction forwards the very same bytes,
//! so relaying never re-encodes.

use bytes::{Bytes, BytesMut};
use smallvec::SmallVec;
use std::fmt;

/// Byte range `[start, end)` of one element's value, relative to the instruction start.
pub(crate) type ElementRange = (u32, u32);

/// Up to 8 elements (opcode + 7 arguments) are kept inline without allocating; that
/// covers every input instruction a browser sends except `touch`.
pub(crate) type ElementRanges = SmallVec<[ElementRange; 8]>;

/// One complete Guacamole instruction: an opcode and its arguments.
///
/// Every element is valid UTF-8 (the parser checks it), so the accessors return `&str`.
#[derive(Clone, PartialEq, Eq)]
pub struct Instruction {
    raw: Bytes,
    elements: ElementRanges,
}

impl Instruction {
    pub(crate) fn from_parts(raw: Bytes, elements: ElementRanges) -> Self {
        debug_assert!(!elements.is_empty());
        Instruction { raw, elements }
    }

    /// Builds an instruction by encoding `opcode` and `args`.
    pub fn new<S: AsRef<str>>(opcode: &str, args: &[S]) -> Self {
        let mut buf = BytesMut::new();
        let mut elements = ElementRanges::new();
        let mut w = crate::InstructionWriter::new(&mut buf, opcode);
        elements.push(w.last_range());
        for a in args {
            w.arg(a.as_ref());
            elements.push(w.last_range());
        }
        w.finish();
        Instruction {
            raw: buf.freeze(),
            elements,
        }
    }

    /// The opcode (first element). The tunnel's internal instructions have the empty opcode.
    pub fn opcode(&self) -> &str {
        self.element(0).unwrap_or("")
    }

    /// The number of arguments (elements after the opcode).
    pub fn arg_count(&self) -> usize {
        self.elements.len() - 1
    }

    /// Argument `i` (0-based, after the opcode), if present.
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.element(i + 1)
    }

    /// All arguments in order.
    pub fn args(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (1..self.elements.len()).map(move |i| self.element(i).unwrap_or(""))
    }

    /// Argument `i` as a zero-copy [`Bytes`] slice of the instruction.
    pub fn arg_bytes(&self, i: usize) -> Option<Bytes> {
        let &(s, e) = self.elements.get(i + 1)?;
        Some(self.raw.slice(s as usize..e as usize))
    }

    /// Element `i` (0 = opcode).
    fn element(&self, i: usize) -> Option<&str> {
        let &(s, e) = self.elements.get(i)?;
        // The parser validated every element as UTF-8 and encoder input is `&str`, so
        // this cannot fail; an empty string is returned rather than panicking.
        std::str::from_utf8(&self.raw[s as usize..e as usize]).ok()
    }

    /// The exact encoded bytes of the instruction, terminator included.
    pub fn as_bytes(&self) -> &Bytes {
        &self.raw
    }

    /// Consumes the instruction, returning its encoded bytes.
    pub fn into_bytes(self) -> Bytes {
        self.raw
    }

    /// Length of the encoded instruction in bytes.
    pub fn encoded_len(&self) -> usize {
        self.raw.len()
    }
}

impl fmt::Debug for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = f.debug_tuple("Instruction");
        t.field(&self.opcode());
        for a in self.args() {
            if a.len() > 64 {
                t.field(&format_args!("<{} bytes>", a.len()));
            } else {
                t.field(&a);
            }
        }
        t.finish()
    }
}

impl fmt::Display for Instruction {
    /// The wire form, lossily (instructions are valid UTF-8, so nothing is lost).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.raw))
    }
}
