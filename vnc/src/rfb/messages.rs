//! Client-to-server messages (RFC 6143 §7.5 and the SetDesktopSize extension), encoded
//! into a caller's buffer, and the pixel format both ends agree on.
//!
//! These functions keep no state: the driver can encode a key or pointer event and write
//! it without touching the [`super::RfbClient`] (which may be busy decoding on another
//! thread).

use super::Screen;
use bytes::{BufMut, BytesMut};

/// PIXEL_FORMAT (RFC 6143 §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelFormat {
    pub bits_per_pixel: u8,
    pub depth: u8,
    pub big_endian: bool,
    pub true_colour: bool,
    pub red_max: u16,
    pub green_max: u16,
    pub blue_max: u16,
    pub red_shift: u8,
    pub green_shift: u8,
    pub blue_shift: u8,
}

impl PixelFormat {
    /// 32 bits per pixel, depth 24, little-endian, red at bit 16: on the wire each pixel
    /// is the bytes B, G, R, X. The only format this client asks for.
    pub const BGRX: PixelFormat = PixelFormat {
        bits_per_pixel: 32,
        depth: 24,
        big_endian: false,
        true_colour: true,
        red_max: 255,
        green_max: 255,
        blue_max: 255,
        red_shift: 16,
        green_shift: 8,
        blue_shift: 0,
    };

    /// Parses the 16 wire bytes.
    pub fn from_bytes(b: &[u8; 16]) -> PixelFormat {
        PixelFormat {
            bits_per_pixel: b[0],
            depth: b[1],
            big_endian: b[2] != 0,
            true_colour: b[3] != 0,
            red_max: u16::from_be_bytes([b[4], b[5]]),
            green_max: u16::from_be_bytes([b[6], b[7]]),
            blue_max: u16::from_be_bytes([b[8], b[9]]),
            red_shift: b[10],
            green_shift: b[11],
            blue_shift: b[12],
        }
    }

    /// The 16 wire bytes.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0] = self.bits_per_pixel;
        b[1] = self.depth;
        b[2] = u8::from(self.big_endian);
        b[3] = u8::from(self.true_colour);
        b[4..6].copy_from_slice(&self.red_max.to_be_bytes());
        b[6..8].copy_from_slice(&self.green_max.to_be_bytes());
        b[8..10].copy_from_slice(&self.blue_max.to_be_bytes());
        b[10] = self.red_shift;
        b[11] = self.green_shift;
        b[12] = self.blue_shift;
        b
    }
}

/// SetPixelFormat.
pub fn set_pixel_format(out: &mut BytesMut, pf: PixelFormat) {
    out.put_u8(0);
    out.put_bytes(0, 3);
    out.put_slice(&pf.to_bytes());
}

/// SetEncodings.
pub fn set_encodings(out: &mut BytesMut, encodings: &[i32]) {
    out.put_u8(2);
    out.put_u8(0);
    out.put_u16(u16::try_from(encodings.len()).unwrap_or(u16::MAX));
    for e in encodings.iter().take(usize::from(u16::MAX)) {
        out.put_i32(*e);
    }
}

/// FramebufferUpdateRequest.
pub fn update_request(out: &mut BytesMut, incremental: bool, x: u16, y: u16, w: u16, h: u16) {
    out.put_u8(3);
    out.put_u8(u8::from(incremental));
    out.put_u16(x);
    out.put_u16(y);
    out.put_u16(w);
    out.put_u16(h);
}

/// KeyEvent with an X11 keysym (Guacamole's `key` values are keysyms too).
pub fn key_event(out: &mut BytesMut, keysym: u32, down: bool) {
    out.put_u8(4);
    out.put_u8(u8::from(down));
    out.put_u16(0);
    out.put_u32(keysym);
}

/// PointerEvent. The button mask uses the same bits as Guacamole's `mouse` (left 1,
/// middle 2, right 4, wheel up 8, wheel down 16).
pub fn pointer_event(out: &mut BytesMut, x: u16, y: u16, buttons: u8) {
    out.put_u8(5);
    out.put_u8(buttons);
    out.put_u16(x);
    out.put_u16(y);
}

/// ClientCutText with Latin-1 text: characters outside Latin-1 become `?`, and line
/// ends are LF as RFC 6143 asks.
pub fn client_cut_text_latin1(out: &mut BytesMut, text: &str, max: usize) {
    let bytes: Vec<u8> = text
        .chars()
        .filter(|&c| c != '\r')
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .take(max)
        .collect();
    out.put_u8(6);
    out.put_bytes(0, 3);
    out.put_u32(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
    out.put_slice(&bytes);
}

/// ClientCutText carrying an Extended Clipboard message (negative length).
pub fn client_cut_text_extended(out: &mut BytesMut, payload: &[u8]) {
    out.put_u8(6);
    out.put_bytes(0, 3);
    let len = i32::try_from(payload.len()).unwrap_or(i32::MAX);
    out.put_i32(-len);
    out.put_slice(payload);
}

/// SetDesktopSize (ExtendedDesktopSize extension): one screen covering the whole
/// framebuffer, keeping the id and flags of the server's first screen.
pub fn set_desktop_size(out: &mut BytesMut, w: u16, h: u16, first: Option<Screen>) {
    let s = first.unwrap_or(Screen {
        id: 0,
        x: 0,
        y: 0,
        w,
        h,
        flags: 0,
    });
    out.put_u8(251);
    out.put_u8(0);
    out.put_u16(w);
    out.put_u16(h);
    out.put_u8(1);
    out.put_u8(0);
    out.put_u32(s.id);
    out.put_u16(0);
    out.put_u16(0);
    out.put_u16(w);
    out.put_u16(h);
    out.put_u32(s.flags);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_format_round_trips() {
        let b = PixelFormat::BGRX.to_bytes();
        assert_eq!(PixelFormat::from_bytes(&b), PixelFormat::BGRX);
        assert_eq!(&b[..4], &[32, 24, 0, 1]);
    }

    #[test]
    fn input_messages() {
        let mut b = BytesMut::new();
        key_event(&mut b, 0xff0d, true);
        pointer_event(&mut b, 10, 20, 1);
        assert_eq!(
            &b[..],
            &[4, 1, 0, 0, 0, 0, 0xff, 0x0d, 5, 1, 0, 10, 0, 20][..]
        );
    }

    #[test]
    fn latin1_cut_text() {
        let mut b = BytesMut::new();
        client_cut_text_latin1(&mut b, "é€\r\n", 100);
        assert_eq!(&b[..], &[6, 0, 0, 0, 0, 0, 0, 3, 0xe9, b'?', b'\n'][..]);
    }
}
