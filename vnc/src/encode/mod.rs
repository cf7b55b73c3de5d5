//! Encode once: one frame of framebuffer changes becomes one buffer of Guacamole
//! instructions that every viewer of the session receives unchanged.
//!
//! A frame is, in this order:
//! 1. `size,0,W,H` if the framebuffer was resized;
//! 2. one `copy,0,…,14,0,…` per CopyRect, in the server's order (viewers replay them on
//!    their own display; the framebuffer's damage tracking makes that exact);
//! 3. one `img` stream per damaged region (blobs of ≤ 6048 bytes): **PNG** for text, UI
//!    and flat colour (indexed PNG when the region has ≤ 256 colours), **JPEG** for
//!    photo-like regions of at least [`EncoderConfig::lossy_min_area`] pixels when every
//!    viewer accepts `image/jpeg` — at once, however large the change (guacd waits for
//!    repeated changes and sends a cold full-screen photo as ~3 MB of PNG);
//! 4. **lossless refinement**: regions sent as JPEG that have been still for
//!    [`EncoderConfig::refine_after_ms`] are re-sent as PNG (guacd never does, so its
//!    lossy artefacts stay until the area changes). Refinement moves with CopyRect;
//! 5. the cursor, if its shape changed: `size,-1,w,h`, a PNG into buffer −1, `cursor`;
//! 6. the server's clipboard, if it changed: a `clipboard` stream (guacd also sends the
//!    clipboard to every user);
//! 7. `sync,<ts>,1`.
//!
//! Large regions are classified per 256×256 cell so a photo inside a window of text goes
//! out as JPEG while the text around it stays PNG.
//!
//! [`FrameEncoder::snapshot`] writes the whole current state (size, pixels, cursor,
//! pointer, `sync`) for a viewer that joins late or fell behind. It uses the same
//! codecs, and marks what it sent lossily so the next refinement covers it for everyone.
//!
//! The encoder is synchronous and CPU-bound: the driver runs it on the blocking pool.

pub mod image;
pub mod wire;

use crate::framebuffer::{damage_regions, Framebuffer, Region, TILE};
use bytes::{Bytes, BytesMut};

/// Stream index of images on the display layer (odd: connection-wide, like guacd).
const STREAM_IMG: u32 = 1;
/// Stream index of the cursor image.
const STREAM_CURSOR: u32 = 3;
/// Stream index of clipboard data.
const STREAM_CLIPBOARD: u32 = 5;
/// The buffer layer holding the cursor image.
const CURSOR_LAYER: i32 = -1;
/// Side of a classification cell.
const CELL: u16 = 256;

/// Encoder settings.
#[derive(Debug, Clone)]
pub struct EncoderConfig {
    /// Whether JPEG may be used (every viewer announced `image/jpeg`).
    pub jpeg: bool,
    /// JPEG quality, 1–100.
    pub jpeg_quality: u8,
    /// Regions smaller than this many pixels are always PNG.
    pub lossy_min_area: u32,
    /// A lossy tile still for this long is re-sent as PNG.
    pub refine_after_ms: u64,
}

impl Default for EncoderConfig {
    fn default() -> Self {
        EncoderConfig {
            jpeg: true,
            jpeg_quality: 80,
            lossy_min_area: 64 * 64,
            refine_after_ms: 1000,
        }
    }
}

/// What one frame cost, for metrics and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameStats {
    pub png_images: u32,
    pub jpeg_images: u32,
    pub png_bytes: u64,
    pub jpeg_bytes: u64,
    pub copies: u32,
    /// Pixels sent as images (refinements included).
    pub pixels: u64,
    /// Pixels re-sent losslessly by refinement.
    pub refined_pixels: u64,
}

/// One encoded frame.
#[derive(Debug, Clone)]
pub struct EncodedFrame {
    /// Complete instructions, ending with `sync`.
    pub bytes: Bytes,
    /// The `sync` timestamp.
    pub sync_ts: u64,
    pub stats: FrameStats,
}

/// Extra content for a frame that is not framebuffer state.
#[derive(Debug, Clone, Default)]
pub struct FrameExtras {
    /// The server's clipboard, if it changed.
    pub clipboard: Option<String>,
}

/// The encoder's per-session state: which tiles the viewers hold lossily, and since when.
#[derive(Debug, Clone)]
pub struct FrameEncoder {
    cfg: EncoderConfig,
    /// Per damage tile: when it was last sent lossily (ms), 0 when lossless.
    lossy: Vec<u64>,
    tiles_x: usize,
    tiles_y: usize,
}

impl FrameEncoder {
    pub fn new(cfg: EncoderConfig) -> Self {
        FrameEncoder {
            cfg,
            lossy: Vec::new(),
            tiles_x: 0,
            tiles_y: 0,
        }
    }

    pub fn config(&self) -> &EncoderConfig {
        &self.cfg
    }

    /// Allows or forbids JPEG (e.g. a viewer without `image/jpeg` joined).
    pub fn set_jpeg(&mut self, allowed: bool) {
        self.cfg.jpeg = allowed;
    }

    fn fit(&mut self, fb: &Framebuffer) {
        let (tx, ty) = fb.tiles();
        if (tx, ty) != (self.tiles_x, self.tiles_y) || self.lossy.len() != tx * ty {
            self.tiles_x = tx;
            self.tiles_y = ty;
            self.lossy = vec![0; tx * ty];
        }
    }

    /// When the next refinement is due (ms), if any tile is lossy.
    pub fn next_refine_at(&self) -> Option<u64> {
        self.lossy
            .iter()
            .filter(|&&t| t != 0)
            .min()
            .map(|t| t + self.cfg.refine_after_ms)
    }

    /// Whether a frame would carry anything at `now_ms`.
    pub fn has_work(&self, fb: &Framebuffer, now_ms: u64) -> bool {
        fb.has_changes() || self.next_refine_at().is_some_and(|t| t <= now_ms)
    }

    /// Encodes `fb`'s pending changes, due refinements and `extras` into one frame
    /// ending with `sync,<sync_ts>,1`. `None` when there is nothing to send.
    pub fn encode_frame(
        &mut self,
        fb: &mut Framebuffer,
        now_ms: u64,
        sync_ts: u64,
        extras: FrameExtras,
    ) -> Option<EncodedFrame> {
        if !self.has_work(fb, now_ms) && extras.clipboard.is_none() {
            return None;
        }
        let changes = fb.take_changes();
        if changes.resized {
            self.tiles_x = 0;
        }
        self.fit(fb);
        let mut out = BytesMut::with_capacity(4096);
        let mut stats = FrameStats::default();
        if changes.resized {
            wire::size(&mut out, 0, fb.width(), fb.height());
        }
        for c in &changes.copies {
            wire::copy(&mut out, 0, c.src_x, c.src_y, c.w, c.h, c.dst_x, c.dst_y);
            self.move_lossy(c.src_x, c.src_y, c.w, c.h, c.dst_x, c.dst_y, now_ms);
            stats.copies += 1;
        }
        for r in &changes.regions {
            self.encode_region(&mut out, fb, *r, now_ms, true, &mut stats);
        }
        // Refinement: lossy tiles that did not change for long enough and were not
        // just re-sent.
        let due: Vec<bool> = self
            .lossy
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                t != 0
                    && now_ms >= t + self.cfg.refine_after_ms
                    && !changes.tiles.get(i).copied().unwrap_or(false)
            })
            .collect();
        if due.contains(&true) {
            for r in damage_regions(&due, self.tiles_x, self.tiles_y, fb.width(), fb.height()) {
                let before = stats.pixels;
                self.encode_region(&mut out, fb, r, now_ms, false, &mut stats);
                stats.refined_pixels += stats.pixels - before;
            }
        }
        if changes.cursor {
            write_cursor(&mut out, fb);
        }
        if let Some(text) = &extras.clipboard {
            wire::clipboard(&mut out, STREAM_CLIPBOARD, text);
        }
        wire::sync(&mut out, sync_ts, 1);
        Some(EncodedFrame {
            bytes: out.freeze(),
            sync_ts,
            stats,
        })
    }

    /// The whole state for a late or lagging viewer: `size`, the pixels, the cursor,
    /// the pointer (if known) and `sync,<sync_ts>,0`.
    pub fn snapshot(
        &mut self,
        fb: &Framebuffer,
        pointer: Option<(u16, u16)>,
        now_ms: u64,
        sync_ts: u64,
    ) -> Bytes {
        self.fit(fb);
        let mut out = BytesMut::with_capacity(64 * 1024);
        let mut stats = FrameStats::default();
        wire::size(&mut out, 0, fb.width(), fb.height());
        // Bands keep each image modest and let palette PNG apply per band.
        let full = Region {
            x: 0,
            y: 0,
            w: fb.width(),
            h: fb.height(),
        };
        for y in (0..full.h).step_by(usize::from(CELL)) {
            let band = Region {
                x: 0,
                y,
                w: full.w,
                h: CELL.min(full.h - y),
            };
            if band.area() > 0 {
                self.encode_region(&mut out, fb, band, now_ms, true, &mut stats);
            }
        }
        write_cursor(&mut out, fb);
        if let Some((x, y)) = pointer {
            wire::mouse(&mut out, x, y, sync_ts);
        }
        wire::sync(&mut out, sync_ts, 0);
        out.freeze()
    }

    /// Encodes one region, per cell class; updates the lossy map.
    fn encode_region(
        &mut self,
        out: &mut BytesMut,
        fb: &Framebuffer,
        r: Region,
        now_ms: u64,
        allow_lossy: bool,
        stats: &mut FrameStats,
    ) {
        if r.area() == 0 {
            return;
        }
        let lossy_ok =
            allow_lossy && self.cfg.jpeg && r.area() >= u64::from(self.cfg.lossy_min_area);
        if !lossy_ok {
            self.emit(out, fb, r, false, now_ms, stats);
            return;
        }
        // Classify cells; then merge horizontal runs of cells of one class.
        let cols = usize::from(r.w.div_ceil(CELL));
        let cells: Vec<(Region, bool)> = image::cells(r, CELL)
            .map(|c| {
                let px = fb.region_bgrx(c);
                let photo = c.area() >= u64::from(self.cfg.lossy_min_area)
                    && image::looks_photographic(&px, usize::from(c.w), usize::from(c.h));
                (c, photo)
            })
            .collect();
        if cells.iter().all(|c| c.1 == cells[0].1) {
            self.emit(out, fb, r, cells[0].1, now_ms, stats);
            return;
        }
        for row in cells.chunks(cols) {
            let mut i = 0;
            while i < row.len() {
                let mut j = i + 1;
                while j < row.len() && row[j].1 == row[i].1 {
                    j += 1;
                }
                let first = row[i].0;
                let last = row[j - 1].0;
                let merged = Region {
                    x: first.x,
                    y: first.y,
                    w: last.x + last.w - first.x,
                    h: first.h,
                };
                self.emit(out, fb, merged, row[i].1, now_ms, stats);
                i = j;
            }
        }
    }

    fn emit(
        &mut self,
        out: &mut BytesMut,
        fb: &Framebuffer,
        r: Region,
        lossy: bool,
        now_ms: u64,
        stats: &mut FrameStats,
    ) {
        let px = fb.region_bgrx(r);
        let (w, h) = (usize::from(r.w), usize::from(r.h));
        let (data, mime) = if lossy {
            (image::jpeg(&px, w, h, self.cfg.jpeg_quality), "image/jpeg")
        } else {
            (image::png(&px, w, h), "image/png")
        };
        if data.is_empty() {
            return;
        }
        if lossy {
            stats.jpeg_images += 1;
            stats.jpeg_bytes += data.len() as u64;
        } else {
            stats.png_images += 1;
            stats.png_bytes += data.len() as u64;
        }
        stats.pixels += r.area();
        wire::image(out, STREAM_IMG, wire::MASK_OVER, 0, mime, r.x, r.y, &data);
        // Tiles entirely inside the region now hold what was sent; partly covered
        // tiles become lossy if this was lossy and otherwise keep their state.
        let mark = if lossy { now_ms.max(1) } else { 0 };
        let t = usize::from(TILE);
        let (x0, y0) = (usize::from(r.x), usize::from(r.y));
        let (x1, y1) = (x0 + w, y0 + h);
        for ty in y0 / t..y1.div_ceil(t).min(self.tiles_y) {
            for tx in x0 / t..x1.div_ceil(t).min(self.tiles_x) {
                let covered = tx * t >= x0
                    && ty * t >= y0
                    && ((tx + 1) * t <= x1 || x1 == usize::from(fb.width()))
                    && ((ty + 1) * t <= y1 || y1 == usize::from(fb.height()));
                let i = ty * self.tiles_x + tx;
                if lossy || covered {
                    self.lossy[i] = mark;
                }
            }
        }
    }

    /// Moves lossy marks along a copy, as the framebuffer moves damage.
    #[allow(clippy::too_many_arguments)]
    fn move_lossy(&mut self, sx: u16, sy: u16, w: u16, h: u16, dx: u16, dy: u16, now_ms: u64) {
        if w == 0 || h == 0 || self.tiles_x == 0 || self.tiles_y == 0 {
            return;
        }
        let t = usize::from(TILE);
        let old = self.lossy.clone();
        let (sx, sy, w, h, dx, dy) = (
            usize::from(sx),
            usize::from(sy),
            usize::from(w),
            usize::from(h),
            usize::from(dx),
            usize::from(dy),
        );
        for ty in dy / t..=((dy + h - 1) / t).min(self.tiles_y - 1) {
            for tx in dx / t..=((dx + w - 1) / t).min(self.tiles_x - 1) {
                let (px0, py0) = ((tx * t).max(dx), (ty * t).max(dy));
                let (px1, py1) = (((tx + 1) * t).min(dx + w), ((ty + 1) * t).min(dy + h));
                if px1 <= px0 || py1 <= py0 {
                    continue;
                }
                let (ax, ay) = (px0 - dx + sx, py0 - dy + sy);
                let (bx, by) = (px1 - 1 - dx + sx, py1 - 1 - dy + sy);
                let src_lossy = (ay / t..=by / t).any(|sty| {
                    (ax / t..=bx / t)
                        .any(|stx| old.get(sty * self.tiles_x + stx).copied().unwrap_or(0) != 0)
                });
                if src_lossy {
                    self.lossy[ty * self.tiles_x + tx] = now_ms.max(1);
                }
            }
        }
    }
}

/// Writes the cursor: its image into buffer −1, then `cursor`. An empty or absent
/// shape becomes a 1×1 transparent cursor (hidden).
fn write_cursor(out: &mut BytesMut, fb: &Framebuffer) {
    let (hx, hy, w, h, png) = match fb.cursor() {
        Some(c) if c.width > 0 && c.height > 0 => (
            c.hotspot_x.min(c.width - 1),
            c.hotspot_y.min(c.height - 1),
            c.width,
            c.height,
            image::png_rgba(&c.rgba, usize::from(c.width), usize::from(c.height)),
        ),
        Some(_) => (0, 0, 1, 1, image::png_rgba(&[0, 0, 0, 0], 1, 1)),
        None => return,
    };
    wire::size(out, CURSOR_LAYER, w, h);
    wire::image(
        out,
        STREAM_CURSOR,
        wire::MASK_SRC,
        CURSOR_LAYER,
        "image/png",
        0,
        0,
        &png,
    );
    wire::cursor(out, hx, hy, CURSOR_LAYER, w, h);
}
