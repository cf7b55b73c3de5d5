//! ZRLE (RFC 6143 §7.7.6): 64×64 tiles, run-length and palette coded, inside one zlib
//! stream that lives as long as the connection.
//!
//! With the BGRX pixel format a CPIXEL is 3 bytes (B, G, R). The decompressed size of
//! one rectangle is bounded before inflating — at most 4 bytes per pixel (a plain RLE
//! run of one pixel) plus a subencoding byte and a 127-colour palette per tile — so a
//! hostile stream cannot make the client allocate more than that.

use super::RfbError;
use flate2::{Decompress, FlushDecompress};

const TILE: usize = 64;

fn bad(detail: &'static str) -> RfbError {
    RfbError::Malformed {
        encoding: "ZRLE",
        detail,
    }
}

/// The connection's ZRLE state: its zlib stream and a reusable buffer.
pub(crate) struct ZrleDecoder {
    z: Decompress,
    scratch: Vec<u8>,
}

impl ZrleDecoder {
    pub(crate) fn new() -> Self {
        ZrleDecoder {
            z: Decompress::new(true),
            scratch: Vec::new(),
        }
    }

    /// The most decompressed bytes a `w × h` rectangle can need.
    pub(crate) fn bound(w: usize, h: usize) -> usize {
        let tiles = w.div_ceil(TILE) * h.div_ceil(TILE);
        w * h * 4 + tiles * (1 + 127 * 3)
    }

    /// Decodes one rectangle from its compressed bytes into BGRX pixels.
    pub(crate) fn decode(
        &mut self,
        compressed: &[u8],
        w: usize,
        h: usize,
    ) -> Result<Vec<u8>, RfbError> {
        self.inflate(compressed, Self::bound(w, h))?;
        let mut out = vec![0u8; w * h * 4];
        let mut cur = Cur {
            b: &self.scratch,
            p: 0,
        };
        for ty in (0..h).step_by(TILE) {
            for tx in (0..w).step_by(TILE) {
                let tw = TILE.min(w - tx);
                let th = TILE.min(h - ty);
                decode_tile(&mut cur, &mut out, w, tx, ty, tw, th)?;
            }
        }
        Ok(out)
    }

    fn inflate(&mut self, input: &[u8], bound: usize) -> Result<(), RfbError> {
        self.scratch.clear();
        let mut pos = 0usize;
        loop {
            if self.scratch.len() == self.scratch.capacity() && self.scratch.len() <= bound {
                let room = (bound + 1 - self.scratch.len()).min(self.scratch.len().max(1 << 16));
                self.scratch.reserve_exact(room);
            }
            let (i0, o0) = (self.z.total_in(), self.z.total_out());
            let rest = input.get(pos..).unwrap_or_default();
            self.z
                .decompress_vec(rest, &mut self.scratch, FlushDecompress::Sync)
                .map_err(|_| bad("corrupt zlib stream"))?;
            let consumed = usize::try_from(self.z.total_in() - i0).map_err(|_| bad("zlib"))?;
            pos += consumed;
            if consumed == 0 && self.z.total_out() == o0 {
                break;
            }
        }
        if self.scratch.len() > bound {
            return Err(bad("decompressed data larger than the rectangle"));
        }
        if pos < input.len() {
            return Err(bad("zlib data left over"));
        }
        Ok(())
    }
}

struct Cur<'a> {
    b: &'a [u8],
    p: usize,
}

impl Cur<'_> {
    fn u8(&mut self) -> Result<u8, RfbError> {
        let v = *self
            .b
            .get(self.p)
            .ok_or_else(|| bad("tile data ends early"))?;
        self.p += 1;
        Ok(v)
    }

    fn cpixel(&mut self) -> Result<[u8; 4], RfbError> {
        let s = self
            .b
            .get(self.p..self.p + 3)
            .ok_or_else(|| bad("tile data ends early"))?;
        self.p += 3;
        Ok([s[0], s[1], s[2], 0])
    }

    fn run_length(&mut self) -> Result<usize, RfbError> {
        let mut n = 1usize;
        loop {
            let b = self.u8()?;
            n += usize::from(b);
            if b != 255 {
                return Ok(n);
            }
            if n > TILE * TILE {
                return Err(bad("run longer than a tile"));
            }
        }
    }
}

fn decode_tile(
    cur: &mut Cur<'_>,
    out: &mut [u8],
    stride_px: usize,
    tx: usize,
    ty: usize,
    tw: usize,
    th: usize,
) -> Result<(), RfbError> {
    let mut put = |i: usize, px: [u8; 4]| {
        let (x, y) = (tx + i % tw, ty + i / tw);
        let o = (y * stride_px + x) * 4;
        out[o..o + 4].copy_from_slice(&px);
    };
    let n = tw * th;
    let sub = cur.u8()?;
    match sub {
        0 => {
            for i in 0..n {
                put(i, cur.cpixel()?);
            }
        }
        1 => {
            let px = cur.cpixel()?;
            for i in 0..n {
                put(i, px);
            }
        }
        2..=16 => {
            let size = usize::from(sub);
            let mut pal = [[0u8; 4]; 16];
            for p in pal.iter_mut().take(size) {
                *p = cur.cpixel()?;
            }
            let bits = match size {
                2 => 1,
                3 | 4 => 2,
                _ => 4,
            };
            let mask = (1u8 << bits) - 1;
            for row in 0..th {
                let mut byte = 0u8;
                let mut left = 0;
                for col in 0..tw {
                    if left == 0 {
                        byte = cur.u8()?;
                        left = 8;
                    }
                    left -= bits;
                    let idx = usize::from((byte >> left) & mask);
                    if idx >= size {
                        return Err(bad("palette index out of range"));
                    }
                    put(row * tw + col, pal[idx]);
                }
            }
        }
        128 => {
            let mut i = 0;
            while i < n {
                let px = cur.cpixel()?;
                let run = cur.run_length()?;
                if i + run > n {
                    return Err(bad("run overflows the tile"));
                }
                for k in i..i + run {
                    put(k, px);
                }
                i += run;
            }
        }
        130..=255 => {
            let size = usize::from(sub - 128);
            let mut pal = [[0u8; 4]; 127];
            for p in pal.iter_mut().take(size) {
                *p = cur.cpixel()?;
            }
            let mut i = 0;
            while i < n {
                let b = cur.u8()?;
                let idx = usize::from(b & 0x7f);
                if idx >= size {
                    return Err(bad("palette index out of range"));
                }
                let run = if b & 0x80 != 0 { cur.run_length()? } else { 1 };
                if i + run > n {
                    return Err(bad("run overflows the tile"));
                }
                for k in i..i + run {
                    put(k, pal[idx]);
                }
                i += run;
            }
        }
        _ => return Err(bad("unknown tile subencoding")),
    }
    Ok(())
}
