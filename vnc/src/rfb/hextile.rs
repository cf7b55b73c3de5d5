//! Hextile (RFC 6143 §7.7.4): 16×16 tiles, each raw or a background plus subrectangles.
//!
//! Decoded one tile at a time so a large rectangle never has to be buffered whole: the
//! client calls [`HextileState::step`] whenever bytes arrive, and each call consumes
//! one complete tile or nothing.

use super::RfbError;

const TILE: usize = 16;
const RAW: u8 = 1;
const BACKGROUND: u8 = 2;
const FOREGROUND: u8 = 4;
const ANY_SUBRECTS: u8 = 8;
const SUBRECTS_COLOURED: u8 = 16;

fn bad(detail: &'static str) -> RfbError {
    RfbError::Malformed {
        encoding: "Hextile",
        detail,
    }
}

/// A Hextile rectangle being decoded.
pub(crate) struct HextileState {
    w: usize,
    h: usize,
    pub(crate) out: Vec<u8>,
    next: usize,
    bg: [u8; 4],
    fg: [u8; 4],
}

impl HextileState {
    pub(crate) fn new(w: usize, h: usize) -> Self {
        HextileState {
            w,
            h,
            out: vec![0u8; w * h * 4],
            next: 0,
            bg: [0; 4],
            fg: [0; 4],
        }
    }

    fn tiles(&self) -> usize {
        self.w.div_ceil(TILE) * self.h.div_ceil(TILE)
    }

    /// Whether every tile has been decoded.
    pub(crate) fn done(&self) -> bool {
        self.next >= self.tiles()
    }

    /// Decodes the next tile from `buf` if it is complete there; returns the bytes used.
    pub(crate) fn step(&mut self, buf: &[u8]) -> Result<Option<usize>, RfbError> {
        let cols = self.w.div_ceil(TILE);
        let (tx, ty) = ((self.next % cols) * TILE, (self.next / cols) * TILE);
        let (tw, th) = (TILE.min(self.w - tx), TILE.min(self.h - ty));
        let mut p = 0usize;
        let take = |p: &mut usize, n: usize| -> Option<&[u8]> {
            let s = buf.get(*p..*p + n)?;
            *p += n;
            Some(s)
        };
        let px = |s: &[u8]| [s[0], s[1], s[2], s[3]];
        let Some(&[flags]) = take(&mut p, 1) else {
            return Ok(None);
        };
        if flags & RAW != 0 {
            let Some(raw) = take(&mut p, tw * th * 4) else {
                return Ok(None);
            };
            for row in 0..th {
                let o = ((ty + row) * self.w + tx) * 4;
                self.out[o..o + tw * 4].copy_from_slice(&raw[row * tw * 4..(row + 1) * tw * 4]);
            }
            self.next += 1;
            return Ok(Some(p));
        }
        let (mut bg, mut fg) = (self.bg, self.fg);
        if flags & BACKGROUND != 0 {
            let Some(s) = take(&mut p, 4) else {
                return Ok(None);
            };
            bg = px(s);
        }
        if flags & FOREGROUND != 0 {
            let Some(s) = take(&mut p, 4) else {
                return Ok(None);
            };
            fg = px(s);
        }
        let mut subrects: &[u8] = &[];
        let coloured = flags & SUBRECTS_COLOURED != 0;
        if flags & ANY_SUBRECTS != 0 {
            let Some(&[n]) = take(&mut p, 1) else {
                return Ok(None);
            };
            let each = if coloured { 6 } else { 2 };
            let Some(s) = take(&mut p, usize::from(n) * each) else {
                return Ok(None);
            };
            subrects = s;
        }
        // The tile is complete: paint it.
        fill(&mut self.out, self.w, tx, ty, tw, th, bg);
        let each = if coloured { 6 } else { 2 };
        for s in subrects.chunks_exact(each) {
            let (colour, geo) = if coloured {
                (px(&s[..4]), &s[4..6])
            } else {
                (fg, &s[..2])
            };
            let (sx, sy) = (usize::from(geo[0] >> 4), usize::from(geo[0] & 15));
            let (sw, sh) = (usize::from(geo[1] >> 4) + 1, usize::from(geo[1] & 15) + 1);
            if sx + sw > tw || sy + sh > th {
                return Err(bad("subrectangle outside its tile"));
            }
            fill(&mut self.out, self.w, tx + sx, ty + sy, sw, sh, colour);
        }
        self.bg = bg;
        self.fg = fg;
        self.next += 1;
        Ok(Some(p))
    }
}

fn fill(out: &mut [u8], stride: usize, x: usize, y: usize, w: usize, h: usize, px: [u8; 4]) {
    for row in y..y + h {
        let o = (row * stride + x) * 4;
        for d in out[o..o + w * 4].chunks_exact_mut(4) {
            d.copy_from_slice(&px);
        }
    }
}
