//! Encoding Guacamole instructions.
//!
//! Lengths are written as Unicode code-point counts (guacamole-wire.md §1.1). Nothing is
//! allocated per element: values are copied straight into the caller's [`BytesMut`] and
//! lengths are formatted on the stack with `itoa`.

use bytes::{BufMut, Bytes, BytesMut};

/// Writes one instruction element by element into a buffer.
///
/// ```
/// use bytes::BytesMut;
/// use porthole_protocol::InstructionWriter;
/// let mut buf = BytesMut::new();
/// InstructionWriter::new(&mut buf, "size").arg("0").arg_int(1280).arg_int(720).finish();
/// assert_eq!(&buf[..], b"4.size,1.0,4.1280,3.720;");
/// ```
pub struct InstructionWriter<'a> {
    buf: &'a mut BytesMut,
    start: usize,
    last: (u32, u32),
}

impl<'a> InstructionWriter<'a> {
    /// Starts an instruction with its opcode.
    pub fn new(buf: &'a mut BytesMut, opcode: &str) -> Self {
        let start = buf.len();
        let mut w = InstructionWriter {
            buf,
            start,
            last: (0, 0),
        };
        w.element(opcode);
        w
    }

    fn element(&mut self, value: &str) {
        let mut digits = itoa::Buffer::new();
        let len = digits.format(code_points(value));
        self.buf.reserve(len.len() + 2 + value.len());
        self.buf.put_slice(len.as_bytes());
        self.buf.put_u8(b'.');
        let s = self.buf.len() - self.start;
        self.buf.put_slice(value.as_bytes());
        let e = self.buf.len() - self.start;
        self.last = (s as u32, e as u32);
    }

    /// Appends a string argument.
    pub fn arg(&mut self, value: &str) -> &mut Self {
        self.buf.put_u8(b',');
        self.element(value);
        self
    }

    /// Appends an integer argument.
    pub fn arg_int<I: itoa::Integer>(&mut self, value: I) -> &mut Self {
        let mut b = itoa::Buffer::new();
        let s = b.format(value);
        self.buf.put_u8(b',');
        // Digits are ASCII: the code-point count is the byte count.
        self.element(s);
        self
    }

    pub(crate) fn last_range(&self) -> (u32, u32) {
        self.last
    }

    /// Terminates the instruction.
    pub fn finish(&mut self) {
        self.buf.put_u8(b';');
    }
}

/// Counts Unicode code points, the unit of Guacamole element lengths.
#[inline]
pub fn code_points(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Appends one instruction to `buf`.
pub fn encode<S: AsRef<str>>(buf: &mut BytesMut, opcode: &str, args: &[S]) {
    let mut w = InstructionWriter::new(buf, opcode);
    for a in args {
        w.arg(a.as_ref());
    }
    w.finish();
}

/// Encodes one instruction into fresh [`Bytes`].
pub fn encode_to_bytes<S: AsRef<str>>(opcode: &str, args: &[S]) -> Bytes {
    let mut buf = BytesMut::new();
    encode(&mut buf, opcode, args);
    buf.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_code_points() {
        let b = encode_to_bytes("clipboard", &["é😀a"]);
        assert_eq!(&b[..], "9.clipboard,3.é😀a;".as_bytes());
    }

    #[test]
    fn empty_opcode_and_values() {
        assert_eq!(&encode_to_bytes("", &["ping", "1"])[..], b"0.,4.ping,1.1;");
        assert_eq!(&encode_to_bytes::<&str>("nop", &[])[..], b"3.nop;");
        assert_eq!(&encode_to_bytes("a", &[""])[..], b"1.a,0.;");
    }
}
