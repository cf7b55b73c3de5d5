//! Guacamole instructions the encoder writes, through porthole-protocol's encoder.
//!
//! Image and clipboard data go out as streams: the opening instruction, `blob`s of at
//! most [`BLOB_RAW`] bytes (8064 base64 characters, guacd's size) and `end`. Blobs are
//! base64-encoded straight into the output buffer.

use base64::Engine;
use bytes::{BufMut, BytesMut};
use porthole_protocol::InstructionWriter;

/// Raw bytes per blob: 6048 bytes are 8064 base64 characters.
pub const BLOB_RAW: usize = 6048;

/// Guacamole channel mask "over" (what guacd uses for opaque drawing).
pub const MASK_OVER: u8 = 14;
/// Guacamole channel mask "src": replace, alpha included (for the cursor buffer).
pub const MASK_SRC: u8 = 12;

/// `size,<layer>,<w>,<h>`.
pub fn size(out: &mut BytesMut, layer: i32, w: u16, h: u16) {
    InstructionWriter::new(out, "size")
        .arg_int(layer)
        .arg_int(w)
        .arg_int(h)
        .finish();
}

/// `copy` within one layer.
#[allow(clippy::too_many_arguments)]
pub fn copy(out: &mut BytesMut, layer: i32, sx: u16, sy: u16, w: u16, h: u16, dx: u16, dy: u16) {
    InstructionWriter::new(out, "copy")
        .arg_int(layer)
        .arg_int(sx)
        .arg_int(sy)
        .arg_int(w)
        .arg_int(h)
        .arg_int(MASK_OVER)
        .arg_int(layer)
        .arg_int(dx)
        .arg_int(dy)
        .finish();
}

/// An `img` stream: `img`, its blobs, `end`.
#[allow(clippy::too_many_arguments)]
pub fn image(
    out: &mut BytesMut,
    stream: u32,
    mask: u8,
    layer: i32,
    mimetype: &str,
    x: u16,
    y: u16,
    data: &[u8],
) {
    InstructionWriter::new(out, "img")
        .arg_int(stream)
        .arg_int(mask)
        .arg_int(layer)
        .arg(mimetype)
        .arg_int(x)
        .arg_int(y)
        .finish();
    blobs(out, stream, data);
}

/// The `blob`s of `data` then `end`.
pub fn blobs(out: &mut BytesMut, stream: u32, data: &[u8]) {
    let mut digits = itoa::Buffer::new();
    let stream_el = digits.format(stream);
    let mut lens = itoa::Buffer::new();
    out.reserve(data.len() * 4 / 3 + (data.len() / BLOB_RAW + 1) * 24 + 32);
    for chunk in data.chunks(BLOB_RAW) {
        let b64_len = chunk.len().div_ceil(3) * 4;
        out.put_slice(b"4.blob,");
        out.put_slice(lens.format(stream_el.len()).as_bytes());
        out.put_u8(b'.');
        out.put_slice(stream_el.as_bytes());
        out.put_u8(b',');
        // Base64 is ASCII: the code-point count is the byte count.
        out.put_slice(lens.format(b64_len).as_bytes());
        out.put_u8(b'.');
        let at = out.len();
        out.resize(at + b64_len, 0);
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(chunk, &mut out[at..])
            .unwrap_or(0);
        out.truncate(at + n);
        out.put_u8(b';');
    }
    InstructionWriter::new(out, "end").arg(stream_el).finish();
}

/// `cursor,<hx>,<hy>,<layer>,0,0,<w>,<h>`.
pub fn cursor(out: &mut BytesMut, hx: u16, hy: u16, layer: i32, w: u16, h: u16) {
    InstructionWriter::new(out, "cursor")
        .arg_int(hx)
        .arg_int(hy)
        .arg_int(layer)
        .arg_int(0)
        .arg_int(0)
        .arg_int(w)
        .arg_int(h)
        .finish();
}

/// `mouse,<x>,<y>,0,<ts>`: where the pointer is (for viewers not moving it).
pub fn mouse(out: &mut BytesMut, x: u16, y: u16, ts: u64) {
    InstructionWriter::new(out, "mouse")
        .arg_int(x)
        .arg_int(y)
        .arg_int(0)
        .arg_int(ts)
        .finish();
}

/// A `clipboard` stream with UTF-8 text.
pub fn clipboard(out: &mut BytesMut, stream: u32, text: &str) {
    InstructionWriter::new(out, "clipboard")
        .arg_int(stream)
        .arg("text/plain")
        .finish();
    blobs(out, stream, text.as_bytes());
}

/// `sync,<ts>,<frames>`.
pub fn sync(out: &mut BytesMut, ts: u64, frames: u32) {
    InstructionWriter::new(out, "sync")
        .arg_int(ts)
        .arg_int(frames)
        .finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use porthole_protocol::{Limits, Parser};

    #[test]
    fn blobs_are_split_at_6048_bytes_and_parse() {
        let data: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
        let mut out = BytesMut::new();
        image(&mut out, 7, MASK_OVER, 0, "image/png", 3, 4, &data);
        let mut p = Parser::new(Limits::UPSTREAM);
        let mut buf = out.clone();
        let mut ops = Vec::new();
        let mut decoded = Vec::new();
        while let Some(i) = p.next(&mut buf).unwrap() {
            ops.push(i.opcode().to_owned());
            if i.opcode() == "blob" {
                assert_eq!(i.arg(0), Some("7"));
                let b = base64::engine::general_purpose::STANDARD
                    .decode(i.arg(1).unwrap())
                    .unwrap();
                assert!(b.len() <= BLOB_RAW);
                assert!(i.arg(1).unwrap().len() <= 8064);
                decoded.extend(b);
            }
        }
        assert_eq!(ops, ["img", "blob", "blob", "blob", "blob", "end"]);
        assert_eq!(decoded, data);
    }

    #[test]
    fn small_instructions() {
        let mut out = BytesMut::new();
        copy(&mut out, 0, 1, 2, 3, 4, 5, 6);
        sync(&mut out, 99, 1);
        assert_eq!(
            &out[..],
            b"4.copy,1.0,1.1,1.2,1.3,1.4,2.14,1.0,1.5,1.6;4.sync,2.99,1.1;"
        );
    }
}
