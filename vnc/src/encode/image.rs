//! Image codecs for one region: the photo/text classifier, PNG (indexed when the region
//! has at most 256 colours, else RGB) and JPEG.

use crate::framebuffer::Region;

/// How many pixels the classifier samples per region at most.
const SAMPLES: usize = 256;

/// Whether a region looks like a photo (many distinct colours among a grid of samples)
/// rather than text, UI or flat colour. Costs at most 256 pixel reads and a
/// sort of as many `u32`s.
pub fn looks_photographic(bgrx: &[u8], w: usize, h: usize) -> bool {
    if w == 0 || h == 0 {
        return false;
    }
    let side = (SAMPLES as f64).sqrt() as usize;
    let (sx, sy) = (w.div_ceil(side).max(1), h.div_ceil(side).max(1));
    let mut samples = [0u32; SAMPLES];
    let mut n = 0;
    let mut y = sy / 2;
    while y < h && n < SAMPLES {
        let mut x = sx / 2;
        while x < w && n < SAMPLES {
            let o = (y * w + x) * 4;
            samples[n] = u32::from_le_bytes([bgrx[o], bgrx[o + 1], bgrx[o + 2], 0]);
            n += 1;
            x += sx;
        }
        y += sy;
    }
    if n < 16 {
        return false;
    }
    let s = &mut samples[..n];
    s.sort_unstable();
    let mut distinct = 1;
    for i in 1..n {
        if s[i] != s[i - 1] {
            distinct += 1;
        }
    }
    // Text and UI repeat a handful of colours (anti-aliasing adds a few dozen); photos,
    // video and gradients make nearly every sample distinct.
    distinct * 8 > n * 3
}

/// A small open-addressing colour table: the region's exact palette if it has at most
/// 256 colours.
fn palette(bgrx: &[u8]) -> Option<(Vec<u32>, Vec<u8>)> {
    const SLOTS: usize = 1024;
    let mut keys = [u32::MAX; SLOTS];
    let mut vals = [0u8; SLOTS];
    let mut colours: Vec<u32> = Vec::with_capacity(256);
    let mut idx = Vec::with_capacity(bgrx.len() / 4);
    let mut last = (u32::MAX, 0u8);
    for p in bgrx.chunks_exact(4) {
        let c = u32::from_le_bytes([p[0], p[1], p[2], 0]);
        if c == last.0 {
            idx.push(last.1);
            continue;
        }
        let mut slot = (c.wrapping_mul(0x9E37_79B1) >> 22) as usize;
        let v = loop {
            if keys[slot] == c {
                break vals[slot];
            }
            if keys[slot] == u32::MAX {
                if colours.len() == 256 {
                    return None;
                }
                let v = colours.len() as u8;
                keys[slot] = c;
                vals[slot] = v;
                colours.push(c);
                break v;
            }
            slot = (slot + 1) & (SLOTS - 1);
        };
        last = (c, v);
        idx.push(v);
    }
    Some((colours, idx))
}

/// Encodes BGRX pixels as PNG: indexed (1/2/4/8 bits) when the region has at most 256
/// colours, else RGB.
///
/// Indexed data is deflated with zlib's default effort: it is at most a byte per pixel,
/// and on screen content it comes out 10–200× smaller than with the fastest setting
/// for about the same time (measured on the guacd recordings' xterm screens). RGB
/// data (photos, anti-aliased gradients) uses the fastest setting: the default costs
/// ~35× the time for ~2.7× fewer bytes, too slow for live frames.
pub fn png(bgrx: &[u8], w: usize, h: usize) -> Vec<u8> {
    png_with(bgrx, w, h, None)
}

/// [`png()`] with a chosen deflate effort for every colour type (`None`: as [`png()`]).
pub fn png_with(bgrx: &[u8], w: usize, h: usize, level: Option<png::Compression>) -> Vec<u8> {
    let mut out = Vec::new();
    let (Ok(w32), Ok(h32)) = (u32::try_from(w), u32::try_from(h)) else {
        return out;
    };
    let mut enc = png::Encoder::new(&mut out, w32, h32);
    let data: Vec<u8> = match palette(bgrx) {
        Some((colours, idx)) => {
            let bits: usize = match colours.len() {
                0..=2 => 1,
                3..=4 => 2,
                5..=16 => 4,
                _ => 8,
            };
            let pal: Vec<u8> = colours
                .iter()
                .flat_map(|c| {
                    let b = c.to_le_bytes();
                    [b[2], b[1], b[0]]
                })
                .collect();
            enc.set_color(png::ColorType::Indexed);
            enc.set_depth(match bits {
                1 => png::BitDepth::One,
                2 => png::BitDepth::Two,
                4 => png::BitDepth::Four,
                _ => png::BitDepth::Eight,
            });
            enc.set_palette(pal);
            enc.set_filter(png::FilterType::NoFilter);
            enc.set_compression(level.unwrap_or(png::Compression::Default));
            pack(&idx, w, h, bits)
        }
        None => {
            enc.set_compression(level.unwrap_or(png::Compression::Fast));
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut rgb = Vec::with_capacity(w * h * 3);
            for p in bgrx.chunks_exact(4) {
                rgb.extend_from_slice(&[p[2], p[1], p[0]]);
            }
            rgb
        }
    };
    let ok = enc
        .write_header()
        .and_then(|mut wr| wr.write_image_data(&data));
    if ok.is_err() {
        // Only a size mismatch can fail, which the callers rule out.
        return Vec::new();
    }
    out
}

/// Packs palette indices into rows of `bits`-bit samples, MSB first.
fn pack(idx: &[u8], w: usize, h: usize, bits: usize) -> Vec<u8> {
    if bits == 8 {
        return idx.to_vec();
    }
    let row_bytes = (w * bits).div_ceil(8);
    let mut out = vec![0u8; row_bytes * h];
    let per = 8 / bits;
    for y in 0..h {
        let row = &idx[y * w..(y + 1) * w];
        let dst = &mut out[y * row_bytes..(y + 1) * row_bytes];
        for (x, &v) in row.iter().enumerate() {
            let shift = 8 - bits * (x % per + 1);
            dst[x / per] |= v << shift;
        }
    }
    out
}

/// Encodes RGBA pixels (a cursor) as PNG with alpha.
pub fn png_rgba(rgba: &[u8], w: usize, h: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let (Ok(w32), Ok(h32)) = (u32::try_from(w), u32::try_from(h)) else {
        return out;
    };
    let mut enc = png::Encoder::new(&mut out, w32, h32);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    if enc
        .write_header()
        .and_then(|mut wr| wr.write_image_data(rgba))
        .is_err()
    {
        return Vec::new();
    }
    out
}

/// Encodes BGRX pixels as baseline JPEG.
pub fn jpeg(bgrx: &[u8], w: usize, h: usize, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
        return out;
    };
    let enc = jpeg_encoder::Encoder::new(&mut out, quality);
    if enc
        .encode(bgrx, w16, h16, jpeg_encoder::ColorType::Bgra)
        .is_err()
    {
        return Vec::new();
    }
    out
}

/// Splits `r` into cells of at most `cell` pixels square, row by row.
pub fn cells(r: Region, cell: u16) -> impl Iterator<Item = Region> {
    let rows = r.h.div_ceil(cell);
    let cols = r.w.div_ceil(cell);
    (0..rows).flat_map(move |j| {
        (0..cols).map(move |i| {
            let x = r.x + i * cell;
            let y = r.y + j * cell;
            Region {
                x,
                y,
                w: cell.min(r.x + r.w - x),
                h: cell.min(r.y + r.h - y),
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(w: usize, h: usize) -> Vec<u8> {
        let mut s = 0x1234_5678u32;
        (0..w * h * 4)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                s as u8
            })
            .collect()
    }

    #[test]
    fn classifier() {
        assert!(looks_photographic(&noise(128, 128), 128, 128));
        let flat = vec![200u8; 128 * 128 * 4];
        assert!(!looks_photographic(&flat, 128, 128));
    }

    #[test]
    fn palette_png_is_small_and_rgb_png_is_used_for_noise() {
        let mut two = vec![0u8; 64 * 64 * 4];
        for (i, p) in two.chunks_exact_mut(4).enumerate() {
            if i % 3 == 0 {
                p.copy_from_slice(&[255, 255, 255, 0]);
            }
        }
        let small = png(&two, 64, 64);
        assert!(small.len() < 1000, "{}", small.len());
        let big = png(&noise(64, 64), 64, 64);
        assert!(big.len() > 64 * 64 * 3);
    }

    #[test]
    fn pack_bits() {
        assert_eq!(
            pack(&[1, 0, 1, 1, 0, 0, 0, 0, 1], 9, 1, 1),
            vec![0b1011_0000, 0x80]
        );
        assert_eq!(pack(&[3, 2, 1], 3, 1, 2), vec![0b1110_0100]);
    }

    #[test]
    fn cells_cover_region() {
        let r = Region {
            x: 16,
            y: 0,
            w: 600,
            h: 300,
        };
        let c: Vec<_> = cells(r, 256).collect();
        assert_eq!(c.len(), 6);
        assert_eq!(c.iter().map(|c| c.area()).sum::<u64>(), r.area());
    }
}
