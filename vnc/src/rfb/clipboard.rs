//! The Extended Clipboard pseudo-encoding (UTF-8 clipboard), as TigerVNC, RealVNC and
//! noVNC speak it.
//!
//! Both directions use cut-text messages with a negative length; the payload starts
//! with a big-endian `u32` of flags: the low 16 bits are formats (bit 0 = UTF-8 text,
//! the only one this client handles), the top byte is the action. Flow:
//!
//! * the server announces its capabilities (`caps`); the client answers with its own;
//! * when a side's clipboard changes it sends `notify` with the formats it has;
//! * the other side sends `request`, the owner answers `provide`: a zlib stream holding,
//!   per format, a `u32` length and the data (text is UTF-8, CRLF line ends, with a
//!   terminating NUL).
//!
//! Every length is checked against a cap before any allocation, and inflation stops at
//! the cap.

use flate2::write::ZlibEncoder;
use flate2::{Decompress, FlushDecompress};
use std::io::Write;

/// Format bit: UTF-8 text.
pub const FORMAT_TEXT: u32 = 1;
/// Action: capabilities.
pub const CAPS: u32 = 1 << 24;
/// Action: request data.
pub const REQUEST: u32 = 1 << 25;
/// Action: ask for a notify.
pub const PEEK: u32 = 1 << 26;
/// Action: formats available.
pub const NOTIFY: u32 = 1 << 27;
/// Action: here is the data.
pub const PROVIDE: u32 = 1 << 28;

/// A decoded Extended Clipboard message from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// The server's capabilities (actions and formats it supports).
    Caps { flags: u32 },
    /// The server wants our clipboard in these formats.
    Request { formats: u32 },
    /// The server asks what we have.
    Peek,
    /// The server's clipboard changed and holds these formats.
    Notify { formats: u32 },
    /// The server's clipboard text (`None` if it held no text).
    Provide { text: Option<String> },
    /// An action this client does not know; ignored.
    Other,
}

/// Why a message could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipboardError {
    Short,
    Inflate,
    TooLong,
}

/// Decodes one payload (the bytes after the negative length).
pub fn decode(payload: &[u8], max_text: usize) -> Result<Message, ClipboardError> {
    let flags = payload
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(ClipboardError::Short)?;
    let formats = flags & 0xffff;
    let rest = &payload[4..];
    Ok(if flags & CAPS != 0 {
        Message::Caps { flags }
    } else if flags & PROVIDE != 0 {
        Message::Provide {
            text: decode_provide(formats, rest, max_text)?,
        }
    } else if flags & REQUEST != 0 {
        Message::Request { formats }
    } else if flags & NOTIFY != 0 {
        Message::Notify { formats }
    } else if flags & PEEK != 0 {
        Message::Peek
    } else {
        Message::Other
    })
}

fn decode_provide(
    formats: u32,
    data: &[u8],
    max_text: usize,
) -> Result<Option<String>, ClipboardError> {
    if formats & FORMAT_TEXT == 0 {
        return Ok(None);
    }
    // Text is the lowest format bit, so it comes first in the stream: its length, then
    // at most `max_text` bytes. Inflate only that much.
    let mut z = Decompress::new(true);
    let mut len = [0u8; 4];
    inflate_exact(&mut z, data, &mut len)?;
    let n = usize::try_from(u32::from_be_bytes(len)).map_err(|_| ClipboardError::TooLong)?;
    if n > max_text {
        return Err(ClipboardError::TooLong);
    }
    let mut text = vec![0u8; n];
    inflate_exact(&mut z, data, &mut text)?;
    if text.last() == Some(&0) {
        text.pop();
    }
    let s = String::from_utf8_lossy(&text).replace("\r\n", "\n");
    Ok(Some(s))
}

/// Inflates from `data` (starting where `z` stopped reading) until `out` is full.
fn inflate_exact(z: &mut Decompress, data: &[u8], out: &mut [u8]) -> Result<(), ClipboardError> {
    let mut filled = 0;
    while filled < out.len() {
        let (in0, out0) = (z.total_in(), z.total_out());
        let from = usize::try_from(in0).map_err(|_| ClipboardError::Inflate)?;
        let input = data.get(from..).ok_or(ClipboardError::Inflate)?;
        z.decompress(input, &mut out[filled..], FlushDecompress::None)
            .map_err(|_| ClipboardError::Inflate)?;
        let produced =
            usize::try_from(z.total_out() - out0).map_err(|_| ClipboardError::Inflate)?;
        if produced == 0 && z.total_in() == in0 {
            return Err(ClipboardError::Short);
        }
        filled += produced;
    }
    Ok(())
}

/// Our capabilities: UTF-8 text up to `max_text` bytes; every action.
pub fn caps(max_text: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(8);
    let flags = CAPS | REQUEST | PEEK | NOTIFY | PROVIDE | FORMAT_TEXT;
    v.extend_from_slice(&flags.to_be_bytes());
    v.extend_from_slice(&u32::try_from(max_text).unwrap_or(u32::MAX).to_be_bytes());
    v
}

/// `notify`: we hold text.
pub fn notify_text() -> Vec<u8> {
    (NOTIFY | FORMAT_TEXT).to_be_bytes().to_vec()
}

/// `request`: send us your text.
pub fn request_text() -> Vec<u8> {
    (REQUEST | FORMAT_TEXT).to_be_bytes().to_vec()
}

/// `provide` with `text` (LF line ends become CRLF, a NUL is appended).
pub fn provide_text(text: &str) -> Vec<u8> {
    let mut body = text
        .replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes();
    body.push(0);
    let mut z = ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    // Writing to a Vec cannot fail.
    let _ = z.write_all(&len.to_be_bytes());
    let _ = z.write_all(&body);
    let compressed = z.finish().unwrap_or_default();
    let mut v = (PROVIDE | FORMAT_TEXT).to_be_bytes().to_vec();
    v.extend_from_slice(&compressed);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provide_round_trips() {
        let p = provide_text("héllo\nwörld 😀");
        assert_eq!(
            decode(&p, 1000),
            Ok(Message::Provide {
                text: Some("héllo\nwörld 😀".into())
            })
        );
    }

    #[test]
    fn provide_over_cap_is_refused() {
        let p = provide_text(&"x".repeat(100));
        assert_eq!(decode(&p, 10), Err(ClipboardError::TooLong));
    }

    #[test]
    fn truncated_provide_is_an_error() {
        let p = provide_text(&"abc".repeat(100));
        assert!(decode(&p[..p.len() / 2], 1000).is_err());
        assert_eq!(decode(&[1, 2], 10), Err(ClipboardError::Short));
    }

    #[test]
    fn actions() {
        assert_eq!(
            decode(&notify_text(), 1),
            Ok(Message::Notify { formats: 1 })
        );
        assert_eq!(
            decode(&request_text(), 1),
            Ok(Message::Request { formats: 1 })
        );
        assert!(matches!(decode(&caps(5), 1), Ok(Message::Caps { .. })));
    }
}
