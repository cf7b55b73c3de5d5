//! Replays the recorded guacd 1.6 streams (shared/data/guacd-recordings) and encodes the
//! same screens with Porthole's encoder, frame by frame: guacd's bytes against ours, and
//! how much of the screen each leaves lossy at the end (guacd never refines; Porthole
//! re-sends still lossy regions as PNG).
//!
//! Each guacd frame (up to `sync`) is applied to a headless display; the framebuffer
//! receives guacd's `copy -1 → 0` as CopyRect and every 16×16 tile that then differs as
//! pixels; then one Porthole frame is encoded at the guacd frame's timestamp. After the
//! last frame, time advances past the refinement delay and one more frame is encoded.
//!
//! guacd's WebP/JPEG output is the only source of the screens, so its codec noise looks
//! like content to a lossless encoder; `TOLERANCE=n` ignores differences of at most `n`
//! per channel in pixels guacd drew lossily (real changes are far larger).
//!
//! `DEBUG=1` prints every Porthole frame's statistics.
//!
//! `[TOLERANCE=24] cargo run --release -p porthole-vnc --example guacd_compare [DIR]`

// A measuring tool over trusted files: failing loudly on a malformed recording is right.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use bytes::BytesMut;
use porthole_protocol::{Limits, Parser};
use porthole_vnc::encode::{EncoderConfig, FrameEncoder, FrameExtras};
use porthole_vnc::framebuffer::Framebuffer;
use std::path::PathBuf;

const FILES: [&str; 6] = [
    "typing-owner",
    "scrolling-owner",
    "windows-owner",
    "fullscreen-owner",
    "fullscreen-nowebp-owner",
    "fullscreen-coldpng-owner",
];

fn main() {
    let tolerance: u8 = std::env::var("TOLERANCE")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/guacd-recordings")
        });
    println!(
        "| recording | guacd bytes | Porthole bytes (live + refinement) | ratio | JPEG / PNG bytes | frames | guacd lossy at end | Porthole lossy at end |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for name in FILES {
        let path = dir.join(format!("{name}.guac"));
        let Ok(data) = std::fs::read(&path) else {
            eprintln!("missing {}", path.display());
            continue;
        };
        replay(name, &data, tolerance);
    }
}

fn replay(name: &str, data: &[u8], tolerance: u8) {
    let mut parser = Parser::new(Limits::UPSTREAM);
    let mut buf = BytesMut::from(data);
    let mut d = common::Display::new();
    d.lenient = true;
    let mut frame = BytesMut::new();
    let mut copies: Vec<[u16; 6]> = Vec::new();
    let mut fb: Option<Framebuffer> = None;
    let mut enc = FrameEncoder::new(EncoderConfig::default());
    let (mut ours, mut live, mut refine, mut jpeg, mut png, mut frames) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut t0 = None;
    let mut last = 0u64;
    while let Some(ins) = parser.next(&mut buf).expect("recording parses") {
        frame.extend_from_slice(ins.as_bytes());
        let arg = |i: usize| ins.arg(i).unwrap_or("0");
        if ins.opcode() == "copy" && arg(0) == "-1" && arg(6) == "0" {
            let n = |i: usize| arg(i).parse::<u16>().unwrap_or(0);
            copies.push([n(1), n(2), n(3), n(4), n(7), n(8)]);
        }
        if ins.opcode() != "sync" {
            continue;
        }
        let ts: u64 = arg(0).parse().unwrap_or(0);
        let start = *t0.get_or_insert(ts);
        let now = ts - start + 1;
        d.apply(&frame);
        frame.clear();
        let Some(root) = d.layers.get(&0) else {
            continue;
        };
        let (w, h) = (root.w as u16, root.h as u16);
        let fb = fb.get_or_insert_with(|| Framebuffer::new(w, h));
        if (fb.width(), fb.height()) != (w, h) {
            fb.resize(w, h);
        }
        for c in copies.drain(..) {
            fb.copy_rect(c[0], c[1], c[2], c[3], c[4], c[5]);
        }
        sync_tiles(fb, root, tolerance);
        if let Some(f) = enc.encode_frame(fb, now, now, FrameExtras::default()) {
            ours += f.bytes.len() as u64;
            live += f.bytes.len() as u64;
            jpeg += f.stats.jpeg_bytes;
            png += f.stats.png_bytes;
            frames += 1;
            if std::env::var("DEBUG").is_ok() {
                eprintln!("{name} t={now} bytes={} {:?}", f.bytes.len(), f.stats);
            }
        }
        last = now;
    }
    if let Some(fb) = fb.as_mut() {
        if let Some(f) = enc.encode_frame(fb, last + 5000, last + 5000, FrameExtras::default()) {
            ours += f.bytes.len() as u64;
            refine += f.bytes.len() as u64;
            png += f.stats.png_bytes;
        }
    }
    let root = d.layers.get(&0);
    let guacd_lossy = root.map_or(0.0, |l| {
        l.lossy.iter().filter(|&&x| x).count() as f64 * 100.0 / l.lossy.len() as f64
    });
    let ours_lossy = if enc.next_refine_at().is_some() {
        "some"
    } else {
        "0 %"
    };
    println!(
        "| {name} | {} | {} ({} + {}) | {:.2} | {} / {} | {frames} | {guacd_lossy:.1} % | {ours_lossy} |",
        data.len(),
        ours,
        live,
        refine,
        ours as f64 / data.len() as f64,
        jpeg,
        png
    );
}

/// Puts into `fb` every 16×16 tile where it differs from the display's root layer.
fn sync_tiles(fb: &mut Framebuffer, root: &common::Layer, tolerance: u8) {
    let (w, h) = (root.w, root.h);
    let mut tile = Vec::with_capacity(16 * 16 * 4);
    for ty in (0..h).step_by(16) {
        for tx in (0..w).step_by(16) {
            let (tw, th) = (16.min(w - tx), 16.min(h - ty));
            // A tile differs if any pixel does; with `tolerance`, differences of at most
            // that much in pixels guacd drew lossily are codec noise, not content.
            let mut differs = false;
            'cmp: for y in ty..ty + th {
                for x in tx..tx + tw {
                    let p = fb.pixel(x as u16, y as u16);
                    let (got, want) = (root.rgb(x, y), [p[2], p[1], p[0]]);
                    if got != want {
                        let noise = root.lossy[y * w + x]
                            && (0..3).all(|c| got[c].abs_diff(want[c]) <= tolerance);
                        if !noise {
                            differs = true;
                            break 'cmp;
                        }
                    }
                }
            }
            if differs {
                tile.clear();
                for y in ty..ty + th {
                    for x in tx..tx + tw {
                        let [r, g, b] = root.rgb(x, y);
                        tile.extend_from_slice(&[b, g, r, 0]);
                    }
                }
                fb.put_pixels(tx as u16, ty as u16, tw as u16, th as u16, &tile);
            }
        }
    }
}
