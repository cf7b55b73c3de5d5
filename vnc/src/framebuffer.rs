//! The session's framebuffer: pixels, what changed since the last frame, and the cursor.
//!
//! Pixels are stored as the server sends them with [`crate::rfb::PixelFormat::BGRX`]:
//! 4 bytes per pixel (B, G, R, unused), rows of `width * 4` bytes.
//!
//! **Damage** is kept on a grid of [`TILE`]×[`TILE`] tiles and means "the viewers' copy
//! of this tile may differ from ours". Drawing marks tiles; CopyRect is recorded as an
//! operation for the next frame (`copy` instructions, replayed by the viewers in order)
//! and moves damage with it: after copying source `S` to destination `D`, a tile of `D`
//! is damaged exactly when the tile it came from in `S` was, so a scroll of unchanged
//! content costs a `copy` and nothing else, while a copy of content the viewers have
//! not yet received is re-sent as pixels. The grid over-approximates (a partly covered
//! tile stays damaged), which can only cost bytes, never correctness.

use crate::rfb::{Cursor, Rect, RectKind};

/// Side of a damage tile in pixels.
pub const TILE: u16 = 16;

/// A copy within the framebuffer, recorded for the next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOp {
    pub src_x: u16,
    pub src_y: u16,
    pub w: u16,
    pub h: u16,
    pub dst_x: u16,
    pub dst_y: u16,
}

/// A rectangle of the framebuffer in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
}

impl Region {
    /// Pixel count.
    pub fn area(&self) -> u64 {
        u64::from(self.w) * u64::from(self.h)
    }
}

/// The framebuffer. See the module documentation.
#[derive(Debug, Clone)]
pub struct Framebuffer {
    width: u16,
    height: u16,
    data: Vec<u8>,
    tiles_x: usize,
    tiles_y: usize,
    damage: Vec<bool>,
    copies: Vec<CopyOp>,
    resized: bool,
    cursor: Option<Cursor>,
    cursor_changed: bool,
}

impl Framebuffer {
    /// A black framebuffer of `width × height`, entirely damaged.
    pub fn new(width: u16, height: u16) -> Self {
        let mut fb = Framebuffer {
            width: 0,
            height: 0,
            data: Vec::new(),
            tiles_x: 0,
            tiles_y: 0,
            damage: Vec::new(),
            copies: Vec::new(),
            resized: false,
            cursor: None,
            cursor_changed: false,
        };
        fb.resize(width, height);
        fb
    }

    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn height(&self) -> u16 {
        self.height
    }

    /// All pixels, BGRX rows of `width * 4` bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Changes the size: the content is black and entirely damaged; pending copies are
    /// dropped (their targets no longer exist in the same place).
    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = width;
        self.height = height;
        self.data = vec![0u8; usize::from(width) * usize::from(height) * 4];
        self.tiles_x = usize::from(width).div_ceil(usize::from(TILE));
        self.tiles_y = usize::from(height).div_ceil(usize::from(TILE));
        self.damage = vec![true; self.tiles_x * self.tiles_y];
        self.copies.clear();
        self.resized = true;
    }

    /// Applies one decoded rectangle. Rectangles outside the framebuffer are clipped
    /// (the RFB client has already refused them; this keeps the framebuffer safe alone).
    pub fn apply(&mut self, rect: &Rect) {
        match &rect.kind {
            RectKind::Pixels(data) => {
                self.put_pixels(rect.x, rect.y, rect.w, rect.h, data);
            }
            RectKind::CopyRect { src_x, src_y } => {
                self.copy_rect(*src_x, *src_y, rect.w, rect.h, rect.x, rect.y);
            }
        }
    }

    fn clip(&self, x: u16, y: u16, w: u16, h: u16) -> Option<(usize, usize, usize, usize)> {
        let (x, y) = (usize::from(x), usize::from(y));
        let (fw, fh) = (usize::from(self.width), usize::from(self.height));
        if x >= fw || y >= fh {
            return None;
        }
        let w = usize::from(w).min(fw - x);
        let h = usize::from(h).min(fh - y);
        (w > 0 && h > 0).then_some((x, y, w, h))
    }

    /// Writes `w × h` BGRX pixels (rows of `w * 4` bytes) at (`x`, `y`).
    pub fn put_pixels(&mut self, x: u16, y: u16, w: u16, h: u16, data: &[u8]) {
        let Some((cx, cy, cw, ch)) = self.clip(x, y, w, h) else {
            return;
        };
        let src_stride = usize::from(w) * 4;
        let stride = usize::from(self.width) * 4;
        for row in 0..ch {
            let Some(src) = data.get(row * src_stride..row * src_stride + cw * 4) else {
                break;
            };
            let o = (cy + row) * stride + cx * 4;
            self.data[o..o + cw * 4].copy_from_slice(src);
        }
        self.damage_px(cx, cy, cw, ch);
    }

    /// Fills a rectangle with one BGRX pixel.
    pub fn fill(&mut self, x: u16, y: u16, w: u16, h: u16, px: [u8; 4]) {
        let Some((cx, cy, cw, ch)) = self.clip(x, y, w, h) else {
            return;
        };
        let stride = usize::from(self.width) * 4;
        for row in 0..ch {
            let o = (cy + row) * stride + cx * 4;
            for d in self.data[o..o + cw * 4].chunks_exact_mut(4) {
                d.copy_from_slice(&px);
            }
        }
        self.damage_px(cx, cy, cw, ch);
    }

    /// Copies the `w × h` rectangle at (`sx`, `sy`) to (`dx`, `dy`) (overlap allowed)
    /// and records it for the next frame.
    pub fn copy_rect(&mut self, sx: u16, sy: u16, w: u16, h: u16, dx: u16, dy: u16) {
        let (Some((sx, sy, sw, sh)), Some((dx, dy, dw, dh))) =
            (self.clip(sx, sy, w, h), self.clip(dx, dy, w, h))
        else {
            return;
        };
        let (w, h) = (sw.min(dw), sh.min(dh));
        let stride = usize::from(self.width) * 4;
        if sy < dy {
            for row in (0..h).rev() {
                let s = (sy + row) * stride + sx * 4;
                self.data
                    .copy_within(s..s + w * 4, (dy + row) * stride + dx * 4);
            }
        } else {
            for row in 0..h {
                let s = (sy + row) * stride + sx * 4;
                self.data
                    .copy_within(s..s + w * 4, (dy + row) * stride + dx * 4);
            }
        }
        self.move_damage(sx, sy, w, h, dx, dy);
        self.copies.push(CopyOp {
            src_x: sx as u16,
            src_y: sy as u16,
            w: w as u16,
            h: h as u16,
            dst_x: dx as u16,
            dst_y: dy as u16,
        });
    }

    /// Damage after a copy: a destination tile is clean only if it is fully covered by
    /// the copy and every source tile its pixels came from was clean.
    fn move_damage(&mut self, sx: usize, sy: usize, w: usize, h: usize, dx: usize, dy: usize) {
        let t = usize::from(TILE);
        let old = self.damage.clone();
        let src_dirty = |px: usize, py: usize, pw: usize, ph: usize| -> bool {
            // Is any tile touched by the source pixel rectangle dirty (before the copy)?
            let (tx0, ty0) = (px / t, py / t);
            let (tx1, ty1) = ((px + pw - 1) / t, (py + ph - 1) / t);
            (ty0..=ty1).any(|ty| (tx0..=tx1).any(|tx| old[ty * self.tiles_x + tx]))
        };
        let (tx0, ty0) = (dx / t, dy / t);
        let (tx1, ty1) = ((dx + w - 1) / t, (dy + h - 1) / t);
        for ty in ty0..=ty1 {
            for tx in tx0..=tx1 {
                // The part of this tile inside the destination.
                let (px0, py0) = ((tx * t).max(dx), (ty * t).max(dy));
                let px1 = ((tx + 1) * t).min(dx + w).min(usize::from(self.width));
                let py1 = ((ty + 1) * t).min(dy + h).min(usize::from(self.height));
                let tile_w = ((tx + 1) * t).min(usize::from(self.width)) - tx * t;
                let tile_h = ((ty + 1) * t).min(usize::from(self.height)) - ty * t;
                let covered = px1 - px0 == tile_w && py1 - py0 == tile_h;
                let dirty_src = src_dirty(px0 - dx + sx, py0 - dy + sy, px1 - px0, py1 - py0);
                let i = ty * self.tiles_x + tx;
                if dirty_src {
                    self.damage[i] = true;
                } else if covered {
                    self.damage[i] = false;
                }
            }
        }
    }

    fn damage_px(&mut self, x: usize, y: usize, w: usize, h: usize) {
        let t = usize::from(TILE);
        for ty in y / t..=(y + h - 1) / t {
            for tx in x / t..=(x + w - 1) / t {
                self.damage[ty * self.tiles_x + tx] = true;
            }
        }
    }

    /// Marks everything damaged (e.g. to re-send the whole screen).
    pub fn damage_all(&mut self) {
        self.damage.iter_mut().for_each(|d| *d = true);
    }

    /// Marks a pixel rectangle damaged.
    pub fn damage_region(&mut self, r: Region) {
        if let Some((x, y, w, h)) = self.clip(r.x, r.y, r.w, r.h) {
            self.damage_px(x, y, w, h);
        }
    }

    /// Sets the cursor shape.
    pub fn set_cursor(&mut self, cursor: Cursor) {
        self.cursor = Some(cursor);
        self.cursor_changed = true;
    }

    /// The current cursor shape, if the server sent one.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.cursor.as_ref()
    }

    /// Whether anything changed since the last [`Framebuffer::take_changes`].
    pub fn has_changes(&self) -> bool {
        self.resized
            || self.cursor_changed
            || !self.copies.is_empty()
            || self.damage.contains(&true)
    }

    /// Whether tile (`tx`, `ty`) is damaged.
    pub fn tile_damaged(&self, tx: usize, ty: usize) -> bool {
        self.damage
            .get(ty * self.tiles_x + tx)
            .copied()
            .unwrap_or(false)
    }

    /// Tile grid dimensions.
    pub fn tiles(&self) -> (usize, usize) {
        (self.tiles_x, self.tiles_y)
    }

    /// Takes this frame's changes and starts the next frame clean.
    pub fn take_changes(&mut self) -> Changes {
        let regions = damage_regions(
            &self.damage,
            self.tiles_x,
            self.tiles_y,
            self.width,
            self.height,
        );
        let tiles = std::mem::replace(&mut self.damage, vec![false; self.tiles_x * self.tiles_y]);
        Changes {
            resized: std::mem::take(&mut self.resized),
            copies: std::mem::take(&mut self.copies),
            regions,
            tiles,
            cursor: std::mem::take(&mut self.cursor_changed),
        }
    }

    /// Copies a region out as tightly packed BGRX rows.
    pub fn region_bgrx(&self, r: Region) -> Vec<u8> {
        let mut out = Vec::with_capacity(r.area() as usize * 4);
        let stride = usize::from(self.width) * 4;
        for row in 0..usize::from(r.h) {
            let o = (usize::from(r.y) + row) * stride + usize::from(r.x) * 4;
            out.extend_from_slice(&self.data[o..o + usize::from(r.w) * 4]);
        }
        out
    }

    /// The BGRX pixel at (`x`, `y`).
    pub fn pixel(&self, x: u16, y: u16) -> [u8; 4] {
        let o = (usize::from(y) * usize::from(self.width) + usize::from(x)) * 4;
        self.data
            .get(o..o + 4)
            .map(|p| [p[0], p[1], p[2], p[3]])
            .unwrap_or_default()
    }
}

/// One frame's changes, in the order viewers must apply them: resize, copies, regions.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub resized: bool,
    pub copies: Vec<CopyOp>,
    /// Damaged pixel regions (disjoint, tile-aligned, clipped to the framebuffer).
    pub regions: Vec<Region>,
    /// The damage grid these regions came from.
    pub tiles: Vec<bool>,
    pub cursor: bool,
}

/// Turns a damage grid into few disjoint rectangles: runs of damaged tiles per tile row,
/// merged downwards while a run below has the same horizontal extent.
pub fn damage_regions(
    damage: &[bool],
    tiles_x: usize,
    tiles_y: usize,
    width: u16,
    height: u16,
) -> Vec<Region> {
    let t = usize::from(TILE);
    // (tx0, tx1, ty0, ty1) in tiles, open at the bottom while still extending.
    let mut open: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut done: Vec<(usize, usize, usize, usize)> = Vec::new();
    for ty in 0..tiles_y {
        let mut runs = Vec::new();
        let mut tx = 0;
        while tx < tiles_x {
            if damage[ty * tiles_x + tx] {
                let start = tx;
                while tx < tiles_x && damage[ty * tiles_x + tx] {
                    tx += 1;
                }
                runs.push((start, tx));
            } else {
                tx += 1;
            }
        }
        let mut next_open = Vec::with_capacity(runs.len());
        for (a, b) in runs {
            if let Some(pos) = open.iter().position(|o| o.0 == a && o.1 == b && o.3 == ty) {
                let mut o = open.swap_remove(pos);
                o.3 = ty + 1;
                next_open.push(o);
            } else {
                next_open.push((a, b, ty, ty + 1));
            }
        }
        done.append(&mut open);
        open = next_open;
    }
    done.append(&mut open);
    done.sort_by_key(|r| (r.2, r.0));
    let (fw, fh) = (usize::from(width), usize::from(height));
    done.into_iter()
        .map(|(tx0, tx1, ty0, ty1)| {
            let (x, y) = (tx0 * t, ty0 * t);
            Region {
                x: x as u16,
                y: y as u16,
                w: ((tx1 * t).min(fw) - x) as u16,
                h: ((ty1 * t).min(fh) - y) as u16,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_framebuffer_is_all_damage_in_one_region() {
        let mut fb = Framebuffer::new(100, 50);
        let c = fb.take_changes();
        assert!(c.resized);
        assert_eq!(
            c.regions,
            vec![Region {
                x: 0,
                y: 0,
                w: 100,
                h: 50
            }]
        );
        assert!(!fb.has_changes());
    }

    #[test]
    fn scroll_of_clean_content_is_a_copy_only() {
        let mut fb = Framebuffer::new(64, 64);
        fb.take_changes();
        fb.copy_rect(0, 16, 64, 48, 0, 0);
        let c = fb.take_changes();
        assert_eq!(c.copies.len(), 1);
        assert!(c.regions.is_empty());
    }

    #[test]
    fn copy_of_unsent_pixels_is_damage() {
        let mut fb = Framebuffer::new(64, 64);
        fb.take_changes();
        fb.fill(0, 40, 10, 10, [1, 2, 3, 0]);
        fb.copy_rect(0, 32, 64, 32, 0, 0);
        let c = fb.take_changes();
        // Source tile row 2 (y 32..48) was dirty: destination tile row 0 is dirty, and
        // the original damage at y 40..50 (tile rows 2 and 3) is untouched by the copy.
        assert!(c.regions.iter().any(|r| r.y == 0));
        assert!(c.regions.iter().any(|r| r.y + r.h >= 48));
        assert_eq!(fb.pixel(5, 8), [1, 2, 3, 0]);
    }

    #[test]
    fn copy_overlapping_downwards_is_correct() {
        let mut fb = Framebuffer::new(4, 4);
        for y in 0..4u16 {
            fb.fill(0, y, 4, 1, [y as u8, 0, 0, 0]);
        }
        fb.copy_rect(0, 0, 4, 3, 0, 1);
        let rows: Vec<u8> = (0..4).map(|y| fb.pixel(0, y)[0]).collect();
        assert_eq!(rows, vec![0, 0, 1, 2]);
    }

    #[test]
    fn regions_merge_vertically() {
        let d = [true, true, false, true, true, false, false, false, true];
        let r = damage_regions(&d, 3, 3, 48, 48);
        assert_eq!(
            r,
            vec![
                Region {
                    x: 0,
                    y: 0,
                    w: 32,
                    h: 32
                },
                Region {
                    x: 32,
                    y: 32,
                    w: 16,
                    h: 16
                }
            ]
        );
    }
}
