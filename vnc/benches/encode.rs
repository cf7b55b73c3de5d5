//! Encode throughput: MB of framebuffer (4 bytes per pixel) per second, per codec and
//! region size, for text-like and photo-like content; and the whole frame path
//! (classification + codec + instruction writing) for full-screen changes.
//!
//! `cargo bench -p porthole-vnc --bench encode`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use porthole_vnc::encode::image;
use porthole_vnc::encode::{EncoderConfig, FrameEncoder, FrameExtras};
use porthole_vnc::framebuffer::Framebuffer;
use std::time::Duration;

/// Text-like: a light background with dark 1-px "glyph" strokes in 3 colours.
fn text_like(w: usize, h: usize) -> Vec<u8> {
    let mut v = vec![0u8; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            let o = (y * w + x) * 4;
            let (cx, cy) = (x % 8, y % 16);
            let ink = cy > 2
                && cy < 13
                && (cx == 1 || (cy == 7 && cx < 6) || (x / 8 + y / 16) % 3 == 0 && cx == 4);
            let px: [u8; 4] = if ink {
                if (x / 64) % 2 == 0 {
                    [20, 20, 20, 0]
                } else {
                    [180, 60, 30, 0]
                }
            } else {
                [245, 245, 245, 0]
            };
            v[o..o + 4].copy_from_slice(&px);
        }
    }
    v
}

/// Photo-like: smooth gradients with noise.
fn photo_like(w: usize, h: usize) -> Vec<u8> {
    let mut s = 0x9e37_79b9u32;
    let mut v = vec![0u8; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            let o = (y * w + x) * 4;
            v[o] = ((x * 255 / w.max(1)) as u32 + (s & 15)) as u8;
            v[o + 1] = ((y * 255 / h.max(1)) as u32 + ((s >> 8) & 15)) as u8;
            v[o + 2] = (((x + y) * 128 / (w + h)) as u32 + ((s >> 16) & 31)) as u8;
        }
    }
    v
}

const SIZES: [(usize, usize); 4] = [(64, 64), (256, 256), (1024, 768), (1920, 1080)];

fn codecs(c: &mut Criterion) {
    let mut g = c.benchmark_group("codec");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (w, h) in SIZES {
        for (content, px) in [("text", text_like(w, h)), ("photo", photo_like(w, h))] {
            g.throughput(Throughput::Bytes((w * h * 4) as u64));
            let id = format!("{content}/{w}x{h}");
            g.bench_with_input(BenchmarkId::new("png", &id), &px, |b, px| {
                b.iter(|| image::png(px, w, h).len())
            });
            g.bench_with_input(BenchmarkId::new("jpeg-q80", &id), &px, |b, px| {
                b.iter(|| image::jpeg(px, w, h, 80).len())
            });
        }
    }
    g.finish();
}

fn frames(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let (w, h) = (1920u16, 1080u16);
    for (content, px) in [
        ("text", text_like(w.into(), h.into())),
        ("photo", photo_like(w.into(), h.into())),
    ] {
        g.throughput(Throughput::Bytes(u64::from(w) * u64::from(h) * 4));
        g.bench_function(format!("full-screen/{content}/1920x1080"), |b| {
            let mut fb = Framebuffer::new(w, h);
            let mut enc = FrameEncoder::new(EncoderConfig::default());
            let mut ts = 0;
            b.iter(|| {
                fb.put_pixels(0, 0, w, h, &px);
                ts += 1;
                enc.encode_frame(&mut fb, ts, ts, FrameExtras::default())
                    .map(|f| f.bytes.len())
            })
        });
        g.bench_function(format!("snapshot/{content}/1920x1080"), |b| {
            let mut fb = Framebuffer::new(w, h);
            fb.put_pixels(0, 0, w, h, &px);
            let mut enc = FrameEncoder::new(EncoderConfig::default());
            b.iter(|| enc.snapshot(&fb, None, 1, 1).len())
        });
    }
    // Typing: one 8×16 glyph changes per frame.
    let glyph = text_like(8, 16);
    g.throughput(Throughput::Bytes(8 * 16 * 4));
    g.bench_function("typing/glyph/1920x1080", |b| {
        let mut fb = Framebuffer::new(w, h);
        let mut enc = FrameEncoder::new(EncoderConfig::default());
        enc.encode_frame(&mut fb, 1, 1, FrameExtras::default());
        let mut i = 0u16;
        b.iter(|| {
            i = i.wrapping_add(1);
            fb.put_pixels((i % 200) * 8, 100, 8, 16, &glyph);
            enc.encode_frame(&mut fb, 2, u64::from(i) + 2, FrameExtras::default())
                .map(|f| f.bytes.len())
        })
    });
    g.finish();
}

/// Prints encoded sizes once (for BENCHMARKS.md), outside the timing.
fn sizes(_c: &mut Criterion) {
    for (w, h) in [(1920usize, 1080usize)] {
        for (content, px) in [("text", text_like(w, h)), ("photo", photo_like(w, h))] {
            println!(
                "size {content} {w}x{h}: raw {} B, png {} B, jpeg-q80 {} B",
                w * h * 4,
                image::png(&px, w, h).len(),
                image::jpeg(&px, w, h, 80).len()
            );
        }
    }
}

criterion_group!(benches, sizes, codecs, frames);
criterion_main!(benches);
