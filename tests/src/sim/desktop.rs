//! The synthetic remote desktop: a deterministic RGB framebuffer and the Guacamole
//! drawing instructions that reproduce it on a client.
//!
//! * Background RGB(51,102,204) (#3366CC) with a white 64×64 square at (0,0)–(63,63).
//! * Animation frame `n` (when a frame rate is set) moves a 16×16 square along row
//!   `y = min(700, height-16)`: it is at `x = (n mod (width/16)) * 16` in colour
//!   [`march_colour`]`(n)`; the previous position is painted back with the background.
//! * Each key press of a writable user paints an 8×8 marker (colour [`key_colour`]) in
//!   rows starting at (72,8), 10 px apart; Return (0xFF0D) starts a new row.
//! * A resize repaints everything from scratch.
//!
//! The framebuffer is what a correct client shows after every frame, so the join
//! replay (one full-screen PNG of it) shows the *current* screen.

use super::wire::{self, PngImage, Rect};
use bytes::{Bytes, BytesMut};
use rand::{Rng, SeedableRng};

/// The background colour, #3366CC.
pub const BACKGROUND: [u8; 3] = [51, 102, 204];
/// The colour of the square at the origin.
pub const WHITE: [u8; 3] = [255, 255, 255];
/// Side of the white square at (0,0).
pub const ORIGIN_SQUARE: u32 = 64;
/// Side of the marching square.
pub const MARCH_SIZE: u32 = 16;
/// Preferred row of the marching square.
pub const MARCH_ROW: u32 = 700;
/// Cursor image size (buffer -2), as guacd's default pointer.
pub const CURSOR_W: u32 = 11;
pub const CURSOR_H: u32 = 16;
/// Off-screen buffer that receives the bitrate filler.
pub const NOISE_LAYER: i32 = -4;
/// Side of a filler noise tile.
pub const NOISE_SIZE: u32 = 64;
/// Live updates are cut into tiles of at most this size (guacd: ≤ 512 px wide).
const TILE_W: u32 = 512;
const TILE_H: u32 = 256;
const KEY_X0: u32 = 72;
const KEY_Y0: u32 = 8;
const KEY_SIZE: u32 = 8;
const KEY_STEP: u32 = 10;

const PALETTE: [[u8; 3]; 8] = [
    [230, 57, 70],
    [244, 162, 97],
    [233, 196, 106],
    [42, 157, 143],
    [255, 255, 255],
    [0, 0, 0],
    [255, 0, 255],
    [0, 255, 0],
];

/// Colour of the marching square in animation frame `n`.
pub fn march_colour(n: u64) -> [u8; 3] {
    PALETTE[(n % PALETTE.len() as u64) as usize]
}

/// Top-left corner of the marching square in animation frame `n` on a `w`×`h` screen.
pub fn march_position(n: u64, w: u32, h: u32) -> Option<(u32, u32)> {
    if w < MARCH_SIZE || h < MARCH_SIZE {
        return None;
    }
    let cols = u64::from(w / MARCH_SIZE);
    let x = (n % cols) as u32 * MARCH_SIZE;
    Some((x, MARCH_ROW.min(h - MARCH_SIZE)))
}

/// Colour of the marker a key press paints.
pub fn key_colour(keysym: u32) -> [u8; 3] {
    [(keysym & 0xFF) as u8, ((keysym >> 8) & 0xFF) as u8, 0x20]
}

/// Encodes RGB or RGBA pixels as PNG. `None` only for inconsistent dimensions.
pub fn encode_png(w: u32, h: u32, rgba: bool, data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(if rgba {
            png::ColorType::Rgba
        } else {
            png::ColorType::Rgb
        });
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        let mut wr = enc.write_header().ok()?;
        wr.write_image_data(data).ok()?;
        wr.finish().ok()?;
    }
    Some(out)
}

/// An 11×16 arrow pointer, black outline and white fill, as RGBA.
fn cursor_rgba() -> Vec<u8> {
    const ART: [&str; CURSOR_H as usize] = [
        "X..........",
        "XX.........",
        "XoX........",
        "XooX.......",
        "XoooX......",
        "XooooX.....",
        "XoooooX....",
        "XooooooX...",
        "XoooooooX..",
        "XooooooooX.",
        "XoooooXXXXX",
        "XooXooX....",
        "XoX.XooX...",
        "XX..XooX...",
        "X....XooX..",
        ".....XXXX..",
    ];
    let mut out = Vec::with_capacity((CURSOR_W * CURSOR_H * 4) as usize);
    for row in ART {
        for c in row.bytes() {
            out.extend_from_slice(match c {
                b'X' => &[0, 0, 0, 255],
                b'o' => &[255, 255, 255, 255],
                _ => &[0, 0, 0, 0],
            });
        }
    }
    out
}

/// One pre-encoded noise tile, ready to be sent on either broadcast stream.
pub(crate) struct NoiseTile {
    /// Per stream (1, 3): `img` header, `blob`s, `end`.
    pub img: [Bytes; 2],
    pub blobs: [Vec<Bytes>; 2],
    pub end: [Bytes; 2],
    /// Bytes on the wire for one tile.
    pub wire_len: usize,
}

/// Images shared by every connection of a simulator.
pub(crate) struct Assets {
    pub cursor_png: Vec<u8>,
    pub noise: Vec<NoiseTile>,
}

impl Assets {
    pub fn new(with_noise: bool) -> Assets {
        let cursor_png = encode_png(CURSOR_W, CURSOR_H, true, &cursor_rgba()).unwrap_or_default();
        let mut noise = Vec::new();
        if with_noise {
            let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
            for _ in 0..8 {
                let mut px = vec![0u8; (NOISE_SIZE * NOISE_SIZE * 3) as usize];
                rng.fill(&mut px[..]);
                let Some(png) = encode_png(NOISE_SIZE, NOISE_SIZE, false, &px) else {
                    continue;
                };
                let mk = |i: usize| {
                    let s = wire::BROADCAST_STREAMS[i];
                    let mut h = BytesMut::new();
                    wire::img(&mut h, s, NOISE_LAYER, 0, 0);
                    let mut e = BytesMut::new();
                    wire::end(&mut e, s);
                    (h.freeze(), wire::blob_chunks(s, &png), e.freeze())
                };
                let (i0, b0, e0) = mk(0);
                let (i1, b1, e1) = mk(1);
                let wire_len = i0.len() + b0.iter().map(Bytes::len).sum::<usize>() + e0.len();
                noise.push(NoiseTile {
                    img: [i0, i1],
                    blobs: [b0, b1],
                    end: [e0, e1],
                    wire_len,
                });
            }
        }
        Assets { cursor_png, noise }
    }

    /// Average wire size of a noise tile.
    pub fn noise_tile_len(&self) -> usize {
        self.noise.first().map_or(0, |t| t.wire_len)
    }

    /// `count` noise tiles starting at tile `first`, two streams interleaved as guacd's
    /// two encoder workers would send them.
    pub fn noise_chunks(&self, first: usize, count: usize, out: &mut Vec<Bytes>) {
        if self.noise.is_empty() {
            return;
        }
        let n = self.noise.len();
        let mut i = 0;
        while i < count {
            let pair: Vec<(usize, &NoiseTile)> = (0..2)
                .filter(|k| i + k < count)
                .map(|k| (k, &self.noise[(first + i + k) % n]))
                .collect();
            for (k, t) in &pair {
                out.push(t.img[*k].clone());
            }
            let longest = pair
                .iter()
                .map(|(k, t)| t.blobs[*k].len())
                .max()
                .unwrap_or(0);
            for b in 0..longest {
                for (k, t) in &pair {
                    if let Some(blob) = t.blobs[*k].get(b) {
                        out.push(blob.clone());
                        if b + 1 == t.blobs[*k].len() {
                            out.push(t.end[*k].clone());
                        }
                    }
                }
            }
            i += pair.len();
        }
    }

    /// Replays noise tile `index` into buffer -4 (for a joiner's state replay).
    pub fn noise_replay(&self, index: usize, buf: &mut BytesMut) {
        if let Some(t) = self.noise.get(index % self.noise.len().max(1)) {
            wire::size(buf, NOISE_LAYER, NOISE_SIZE, NOISE_SIZE);
            buf.extend_from_slice(&t.img[0]);
            for b in &t.blobs[0] {
                buf.extend_from_slice(b);
            }
            buf.extend_from_slice(&t.end[0]);
        }
    }
}

/// The synthetic desktop's state.
#[derive(Debug, Clone)]
pub struct Desktop {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    /// Pointer x, y and button mask.
    pub pointer: (i64, i64, i64),
    march: Option<Rect>,
    key_pos: (u32, u32),
}

impl Desktop {
    /// A fresh screen: background plus the white square.
    pub fn new(width: u32, height: u32) -> Desktop {
        let mut d = Desktop {
            width,
            height,
            rgb: BACKGROUND.repeat((width as usize) * (height as usize)),
            pointer: (0, 0, 0),
            march: None,
            key_pos: (KEY_X0, KEY_Y0),
        };
        d.fill(
            Rect {
                x: 0,
                y: 0,
                w: ORIGIN_SQUARE,
                h: ORIGIN_SQUARE,
            },
            WHITE,
        );
        d
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn full(&self) -> Rect {
        Rect {
            x: 0,
            y: 0,
            w: self.width,
            h: self.height,
        }
    }

    /// The colour of one pixel.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = ((y as usize) * (self.width as usize) + x as usize) * 3;
        Some([self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]])
    }

    fn clip(&self, r: Rect) -> Option<Rect> {
        if r.x >= self.width || r.y >= self.height || r.w == 0 || r.h == 0 {
            return None;
        }
        Some(Rect {
            x: r.x,
            y: r.y,
            w: r.w.min(self.width - r.x),
            h: r.h.min(self.height - r.y),
        })
    }

    fn fill(&mut self, r: Rect, c: [u8; 3]) {
        let Some(r) = self.clip(r) else { return };
        let stride = self.width as usize * 3;
        for y in r.y..r.y + r.h {
            let row = y as usize * stride;
            for px in
                self.rgb[row + r.x as usize * 3..row + (r.x + r.w) as usize * 3].chunks_exact_mut(3)
            {
                px.copy_from_slice(&c);
            }
        }
    }

    /// PNG of a region (clipped to the screen).
    pub fn region_png(&self, r: Rect) -> Option<(Rect, Vec<u8>)> {
        let r = self.clip(r)?;
        let stride = self.width as usize * 3;
        let mut data = Vec::with_capacity((r.w * r.h * 3) as usize);
        for y in r.y..r.y + r.h {
            let row = y as usize * stride;
            data.extend_from_slice(
                &self.rgb[row + r.x as usize * 3..row + (r.x + r.w) as usize * 3],
            );
        }
        Some((r, encode_png(r.w, r.h, false, &data)?))
    }

    /// The whole screen as live-update tiles (≤ 512×256), interleaved on streams 1/3.
    fn write_screen_tiles(&self, buf: &mut BytesMut) {
        let mut images = Vec::new();
        let mut y = 0;
        while y < self.height {
            let mut x = 0;
            while x < self.width {
                let r = Rect {
                    x,
                    y,
                    w: TILE_W,
                    h: TILE_H,
                };
                if let Some((r, png)) = self.region_png(r) {
                    images.push(PngImage {
                        layer: 0,
                        x: r.x,
                        y: r.y,
                        png,
                    });
                }
                x += TILE_W;
            }
            y += TILE_H;
        }
        wire::images_interleaved(buf, &images);
    }

    /// What guacd 1.6 sends an owner first: the cursor buffer and pointer (`sync,ts0,0`),
    /// then the cursor backup and the whole screen (`sync,ts1,1`).
    pub fn initial_frames(&self, cursor_png: &[u8], ts0: u64, ts1: u64) -> BytesMut {
        let mut buf = BytesMut::with_capacity(8 * 1024);
        let cur = Rect {
            x: 0,
            y: 0,
            w: CURSOR_W,
            h: CURSOR_H,
        };
        wire::size(&mut buf, -2, CURSOR_W, CURSOR_H);
        wire::size(&mut buf, 0, self.width, self.height);
        wire::rect(&mut buf, -2, 0, 0, CURSOR_W, CURSOR_H);
        wire::cfill(&mut buf, 2, -2, [0, 0, 0, 255]);
        wire::images_interleaved(
            &mut buf,
            &[PngImage {
                layer: -2,
                x: 0,
                y: 0,
                png: cursor_png.to_vec(),
            }],
        );
        wire::cursor(&mut buf, -2, CURSOR_W, CURSOR_H);
        wire::sync(&mut buf, ts0, 0);
        wire::rect(&mut buf, -3, 0, 0, CURSOR_W, CURSOR_H);
        wire::cfill(&mut buf, 9, -3, [0, 0, 0, 0]);
        wire::copy(&mut buf, -2, -3, cur);
        wire::cursor(&mut buf, -2, CURSOR_W, CURSOR_H);
        self.write_screen_tiles(&mut buf);
        wire::sync(&mut buf, ts1, 1);
        buf
    }

    /// guacd 1.6's state replay for a pending joiner (guacamole-wire.md §2.5, the
    /// structure of `typing-viewer.guac`): cursor buffer, layer 0 as one PNG, its copy
    /// into -1, `extra` (other buffers), multi-touch, cursor, pointer, `sync`.
    pub fn join_replay(&self, cursor_png: &[u8], ts: u64, frames: u32, extra: &[u8]) -> BytesMut {
        let mut buf = BytesMut::with_capacity(16 * 1024);
        let cur = Rect {
            x: 0,
            y: 0,
            w: CURSOR_W,
            h: CURSOR_H,
        };
        wire::size(&mut buf, -2, CURSOR_W, CURSOR_H);
        wire::img(&mut buf, 3, -2, 0, 0);
        for b in wire::blob_chunks(3, cursor_png) {
            buf.extend_from_slice(&b);
        }
        wire::end(&mut buf, 3);
        wire::copy(&mut buf, -2, -3, cur);
        wire::size(&mut buf, 0, self.width, self.height);
        if let Some((r, png)) = self.region_png(self.full()) {
            wire::img(&mut buf, 1, 0, r.x, r.y);
            for b in wire::blob_chunks(1, &png) {
                buf.extend_from_slice(&b);
            }
            wire::end(&mut buf, 1);
        }
        wire::copy(&mut buf, 0, -1, self.full());
        buf.extend_from_slice(extra);
        wire::set(&mut buf, 0, "multi-touch", "0");
        wire::cursor(&mut buf, -2, CURSOR_W, CURSOR_H);
        let (x, y, mask) = self.pointer;
        wire::mouse(&mut buf, x, y, mask, ts);
        wire::sync(&mut buf, ts, frames);
        buf
    }

    /// Animation frame `n`: erase the previous marching square, draw the new one.
    pub fn march(&mut self, n: u64, buf: &mut BytesMut, dirty: &mut Vec<Rect>) {
        if let Some(old) = self.march.take() {
            wire::rect(buf, 0, old.x, old.y, old.w, old.h);
            let [r, g, b] = BACKGROUND;
            wire::cfill(buf, wire::MASK_OVER, 0, [r, g, b, 255]);
            self.fill(old, BACKGROUND);
            dirty.push(old);
        }
        if let Some((x, y)) = march_position(n, self.width, self.height) {
            let r = Rect {
                x,
                y,
                w: MARCH_SIZE,
                h: MARCH_SIZE,
            };
            self.fill(r, march_colour(n));
            if let Some((r, png)) = self.region_png(r) {
                wire::images_interleaved(
                    buf,
                    &[PngImage {
                        layer: 0,
                        x: r.x,
                        y: r.y,
                        png,
                    }],
                );
                dirty.push(r);
                self.march = Some(r);
            }
        }
    }

    /// A key press: paint a marker (or start a new row for Return).
    pub fn key(&mut self, keysym: u32, buf: &mut BytesMut, dirty: &mut Vec<Rect>) {
        let row_limit = self.height.min(MARCH_ROW - 10);
        let newline = |p: &mut (u32, u32)| {
            p.0 = KEY_X0;
            p.1 += KEY_STEP;
            if p.1 + KEY_SIZE > row_limit {
                p.1 = KEY_Y0;
            }
        };
        if keysym == 0xFF0D {
            newline(&mut self.key_pos);
            return;
        }
        if self.key_pos.0 + KEY_SIZE > self.width {
            newline(&mut self.key_pos);
        }
        let r = Rect {
            x: self.key_pos.0,
            y: self.key_pos.1,
            w: KEY_SIZE,
            h: KEY_SIZE,
        };
        if let Some(r) = self.clip(r) {
            let [cr, cg, cb] = key_colour(keysym);
            wire::rect(buf, 0, r.x, r.y, r.w, r.h);
            wire::cfill(buf, wire::MASK_OVER, 0, [cr, cg, cb, 255]);
            self.fill(r, [cr, cg, cb]);
            dirty.push(r);
        }
        self.key_pos.0 += KEY_STEP;
    }

    /// A resize: a fresh screen of the new size, sent whole.
    pub fn resize(&mut self, w: u32, h: u32, buf: &mut BytesMut, dirty: &mut Vec<Rect>) {
        let pointer = self.pointer;
        *self = Desktop::new(w, h);
        self.pointer = pointer;
        wire::size(buf, 0, w, h);
        self.write_screen_tiles(buf);
        dirty.push(self.full());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_desktop_pixels() {
        let d = Desktop::new(100, 80);
        assert_eq!(d.pixel(0, 0), Some(WHITE));
        assert_eq!(d.pixel(63, 63), Some(WHITE));
        assert_eq!(d.pixel(64, 63), Some(BACKGROUND));
        assert_eq!(d.pixel(99, 79), Some(BACKGROUND));
        assert_eq!(d.pixel(100, 0), None);
    }

    #[test]
    fn march_wraps() {
        assert_eq!(march_position(0, 1024, 768), Some((0, 700)));
        assert_eq!(march_position(64, 1024, 768), Some((0, 700)));
        assert_eq!(march_position(3, 1024, 600), Some((48, 584)));
    }
}
