//! Encoding helpers for everything the simulator writes, built on
//! `porthole_protocol`'s encoder so lengths are always code-point counts.
//!
//! Image data follows libguac's conventions (guacamole-wire.md §1.2, §3.6): PNG bytes
//! are cut into chunks of at most 6048 raw bytes, each base64-encoded on its own, so no
//! `blob` carries more than 8064 characters; connection-wide streams use odd indices.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::{Bytes, BytesMut};
use porthole_protocol::InstructionWriter;

/// libguac's `GUAC_PROTOCOL_BLOB_MAX_LENGTH`: raw bytes per `blob`.
pub const BLOB_MAX_RAW: usize = 6048;

/// Channel mask for normal "over" compositing.
pub const MASK_OVER: u32 = 14;

/// The two broadcast stream indices guacd's two encoder workers use.
pub const BROADCAST_STREAMS: [u32; 2] = [1, 3];

pub fn sync(buf: &mut BytesMut, ts: u64, frames: u32) {
    InstructionWriter::new(buf, "sync")
        .arg_int(ts)
        .arg_int(frames)
        .finish();
}

pub fn size(buf: &mut BytesMut, layer: i32, w: u32, h: u32) {
    InstructionWriter::new(buf, "size")
        .arg_int(layer)
        .arg_int(w)
        .arg_int(h)
        .finish();
}

pub fn rect(buf: &mut BytesMut, layer: i32, x: u32, y: u32, w: u32, h: u32) {
    InstructionWriter::new(buf, "rect")
        .arg_int(layer)
        .arg_int(x)
        .arg_int(y)
        .arg_int(w)
        .arg_int(h)
        .finish();
}

pub fn cfill(buf: &mut BytesMut, mask: u32, layer: i32, rgba: [u8; 4]) {
    InstructionWriter::new(buf, "cfill")
        .arg_int(mask)
        .arg_int(layer)
        .arg_int(rgba[0])
        .arg_int(rgba[1])
        .arg_int(rgba[2])
        .arg_int(rgba[3])
        .finish();
}

/// `copy,<src>,<sx>,<sy>,<w>,<h>,<mask>,<dst>,<dx>,<dy>` with the same position on both
/// sides.
pub fn copy(buf: &mut BytesMut, src: i32, dst: i32, r: Rect) {
    InstructionWriter::new(buf, "copy")
        .arg_int(src)
        .arg_int(r.x)
        .arg_int(r.y)
        .arg_int(r.w)
        .arg_int(r.h)
        .arg_int(MASK_OVER)
        .arg_int(dst)
        .arg_int(r.x)
        .arg_int(r.y)
        .finish();
}

pub fn cursor(buf: &mut BytesMut, src: i32, w: u32, h: u32) {
    InstructionWriter::new(buf, "cursor")
        .arg_int(0)
        .arg_int(0)
        .arg_int(src)
        .arg_int(0)
        .arg_int(0)
        .arg_int(w)
        .arg_int(h)
        .finish();
}

pub fn img(buf: &mut BytesMut, stream: u32, layer: i32, x: u32, y: u32) {
    InstructionWriter::new(buf, "img")
        .arg_int(stream)
        .arg_int(MASK_OVER)
        .arg_int(layer)
        .arg("image/png")
        .arg_int(x)
        .arg_int(y)
        .finish();
}

/// One `blob` per chunk of at most [`BLOB_MAX_RAW`] bytes, each encoded separately.
pub fn blob_chunks(stream: u32, data: &[u8]) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(data.len() / BLOB_MAX_RAW + 1);
    let mut b64 = String::new();
    for chunk in data.chunks(BLOB_MAX_RAW) {
        b64.clear();
        STANDARD.encode_string(chunk, &mut b64);
        let mut buf = BytesMut::with_capacity(b64.len() + 24);
        InstructionWriter::new(&mut buf, "blob")
            .arg_int(stream)
            .arg(&b64)
            .finish();
        out.push(buf.freeze());
    }
    out
}

pub fn end(buf: &mut BytesMut, stream: u32) {
    InstructionWriter::new(buf, "end").arg_int(stream).finish();
}

pub fn mouse(buf: &mut BytesMut, x: i64, y: i64, mask: i64, ts: u64) {
    InstructionWriter::new(buf, "mouse")
        .arg_int(x)
        .arg_int(y)
        .arg_int(mask)
        .arg_int(ts)
        .finish();
}

pub fn set(buf: &mut BytesMut, layer: i32, name: &str, value: &str) {
    InstructionWriter::new(buf, "set")
        .arg_int(layer)
        .arg(name)
        .arg(value)
        .finish();
}

/// `msg,<code>,<user id>,<name>` (guacamole-wire.md §3.1).
pub fn msg(code: u32, user_id: &str, name: &str) -> Bytes {
    let mut buf = BytesMut::new();
    InstructionWriter::new(&mut buf, "msg")
        .arg_int(code)
        .arg(user_id)
        .arg(name)
        .finish();
    buf.freeze()
}

pub fn error(text: &str, status: u16) -> Bytes {
    let mut buf = BytesMut::new();
    InstructionWriter::new(&mut buf, "error")
        .arg(text)
        .arg_int(status)
        .finish();
    buf.freeze()
}

pub fn ack(stream: i64, text: &str, status: u16) -> Bytes {
    let mut buf = BytesMut::new();
    InstructionWriter::new(&mut buf, "ack")
        .arg_int(stream)
        .arg(text)
        .arg_int(status)
        .finish();
    buf.freeze()
}

/// An instruction without arguments (`nop`, `disconnect`).
pub fn bare(opcode: &str) -> Bytes {
    let mut buf = BytesMut::new();
    InstructionWriter::new(&mut buf, opcode).finish();
    buf.freeze()
}

/// An axis-aligned rectangle in display pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// A PNG to draw at a position of a layer.
pub struct PngImage {
    pub layer: i32,
    pub x: u32,
    pub y: u32,
    pub png: Vec<u8>,
}

/// Writes images as guacd's two encoder workers do: two `img` streams (1 and 3) open at
/// once, their `blob`s interleaved, each closed by `end` after its last blob.
pub fn images_interleaved(buf: &mut BytesMut, images: &[PngImage]) {
    for pair in images.chunks(2) {
        let streams: Vec<(u32, &PngImage, Vec<Bytes>)> = pair
            .iter()
            .zip(BROADCAST_STREAMS)
            .map(|(im, s)| (s, im, blob_chunks(s, &im.png)))
            .collect();
        for (s, im, _) in &streams {
            img(buf, *s, im.layer, im.x, im.y);
        }
        let longest = streams.iter().map(|s| s.2.len()).max().unwrap_or(0);
        for i in 0..longest {
            for (s, _, blobs) in &streams {
                if let Some(b) = blobs.get(i) {
                    buf.extend_from_slice(b);
                    if i + 1 == blobs.len() {
                        end(buf, *s);
                    }
                }
            }
        }
    }
}

/// C `atoi`: optional leading whitespace and sign, then digits up to the first
/// non-digit; no digits gives 0. Saturates instead of overflowing. guacd reads numeric
/// arguments this way (guacamole-wire.md §1.3).
pub fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_is_c_like() {
        assert_eq!(atoi("123"), 123);
        assert_eq!(atoi("  -7x"), -7);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(""), 0);
        assert_eq!(atoi("99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn blobs_are_capped() {
        let data = vec![7u8; BLOB_MAX_RAW * 2 + 5];
        let blobs = blob_chunks(1, &data);
        assert_eq!(blobs.len(), 3);
        // "4.blob,1.1,8064.<8064 chars>;"
        assert!(blobs[0].starts_with(b"4.blob,1.1,8064."));
        assert_eq!(blobs[0].len(), "4.blob,1.1,8064.".len() + 8064 + 1);
    }
}
