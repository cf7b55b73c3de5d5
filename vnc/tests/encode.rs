//! Encode-once correctness: random drawing and CopyRect sequences on a framebuffer,
//! encoded frame by frame and decoded by a headless Guacamole display, must reproduce
//! the framebuffer exactly wherever PNG was used — and everywhere once lossless
//! refinement has run. Also: snapshots alone reproduce the screen.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{compare_bgrx, Display};
use porthole_vnc::encode::{EncoderConfig, FrameEncoder, FrameExtras};
use porthole_vnc::framebuffer::Framebuffer;
use porthole_vnc::rfb::Cursor;
use proptest::prelude::*;

const W: u16 = 200;
const H: u16 = 150;

#[derive(Debug, Clone)]
enum Op {
    Fill(u16, u16, u16, u16, [u8; 3]),
    Noise(u16, u16, u16, u16, u32),
    Copy(u16, u16, u16, u16, u16, u16),
    Frame,
}

fn op() -> impl Strategy<Value = Op> {
    let rect = (0..W, 0..H, 1..W, 1..H);
    prop_oneof![
        (rect.clone(), any::<[u8; 3]>()).prop_map(|((x, y, w, h), c)| Op::Fill(x, y, w, h, c)),
        (rect.clone(), any::<u32>()).prop_map(|((x, y, w, h), s)| Op::Noise(x, y, w, h, s)),
        (rect, 0..W, 0..H).prop_map(|((x, y, w, h), dx, dy)| Op::Copy(x, y, w, h, dx, dy)),
        Just(Op::Frame),
    ]
}

fn noise(w: usize, h: usize, mut s: u32) -> Vec<u8> {
    s |= 1;
    (0..w * h)
        .flat_map(|i| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            // Smooth-ish so JPEG is plausible, with noise so it counts as photo.
            let v = (i % w) as u32 * 3 + (s & 31);
            [v as u8, (v >> 1) as u8, (s >> 8) as u8, 0]
        })
        .collect()
}

fn apply(fb: &mut Framebuffer, op: &Op) {
    match *op {
        Op::Fill(x, y, w, h, c) => fb.fill(x, y, w, h, [c[0], c[1], c[2], 0]),
        Op::Noise(x, y, w, h, s) => {
            let (w, h) = (w.min(W - x), h.min(H - y));
            fb.put_pixels(x, y, w, h, &noise(usize::from(w), usize::from(h), s));
        }
        Op::Copy(sx, sy, w, h, dx, dy) => {
            let w = w.min(W - sx).min(W - dx);
            let h = h.min(H - sy).min(H - dy);
            fb.copy_rect(sx, sy, w, h, dx, dy);
        }
        Op::Frame => {}
    }
}

fn run(ops: &[Op], jpeg: bool) {
    let mut fb = Framebuffer::new(W, H);
    let mut enc = FrameEncoder::new(EncoderConfig {
        jpeg,
        lossy_min_area: 32 * 32,
        refine_after_ms: 100,
        ..EncoderConfig::default()
    });
    let mut d = Display::new();
    let mut now = 1u64;
    let mut ts = 0u64;
    let mut frame = |fb: &mut Framebuffer, enc: &mut FrameEncoder, d: &mut Display, now: u64| {
        ts += 1;
        if let Some(f) = enc.encode_frame(fb, now, ts, FrameExtras::default()) {
            d.apply(&f.bytes);
        }
    };
    for op in ops {
        apply(&mut fb, op);
        if matches!(op, Op::Frame) {
            now += 10;
            frame(&mut fb, &mut enc, &mut d, now);
            let (bad, _) = compare_bgrx(d.root(), fb.data(), W.into(), H.into());
            assert_eq!(bad, 0, "lossless pixels differ after a frame");
        }
    }
    now += 10;
    frame(&mut fb, &mut enc, &mut d, now);
    let (bad, _) = compare_bgrx(d.root(), fb.data(), W.into(), H.into());
    assert_eq!(bad, 0, "lossless pixels differ");
    // Still for longer than refine_after: everything is lossless.
    now += 1000;
    frame(&mut fb, &mut enc, &mut d, now);
    assert!(
        enc.next_refine_at().is_none(),
        "refinement left lossy tiles"
    );
    let l = d.root();
    assert!(
        l.lossy.iter().all(|&x| !x),
        "lossy pixels remain after refinement"
    );
    let (bad, _) = compare_bgrx(l, fb.data(), W.into(), H.into());
    assert_eq!(bad, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn png_frames_reproduce_the_framebuffer(ops in prop::collection::vec(op(), 1..40)) {
        run(&ops, false);
    }

    #[test]
    fn mixed_frames_reproduce_the_framebuffer_after_refinement(ops in prop::collection::vec(op(), 1..40)) {
        run(&ops, true);
    }
}

#[test]
fn scroll_is_sent_as_copy_without_images() {
    let mut fb = Framebuffer::new(W, H);
    let mut enc = FrameEncoder::new(EncoderConfig::default());
    let mut d = Display::new();
    fb.put_pixels(0, 0, W, H, &noise(W.into(), H.into(), 7));
    d.apply(
        &enc.encode_frame(&mut fb, 1, 1, FrameExtras::default())
            .unwrap()
            .bytes,
    );
    // Refine whatever went lossy.
    d.apply(
        &enc.encode_frame(&mut fb, 5000, 2, FrameExtras::default())
            .unwrap()
            .bytes,
    );
    fb.copy_rect(0, 16, W, H - 16, 0, 0);
    let f = enc
        .encode_frame(&mut fb, 5010, 3, FrameExtras::default())
        .unwrap();
    assert_eq!(f.stats.copies, 1);
    // Only the bottom strip (one tile row, plus the partial last row) is re-sent.
    assert!(f.stats.pixels <= u64::from(W) * 32, "{:?}", f.stats);
    d.apply(&f.bytes);
    let (bad, _) = compare_bgrx(d.root(), fb.data(), W.into(), H.into());
    assert_eq!(bad, 0);
}

#[test]
fn full_screen_photo_goes_lossy_at_once_then_lossless() {
    let (w, h) = (640u16, 480u16);
    let mut fb = Framebuffer::new(w, h);
    let mut enc = FrameEncoder::new(EncoderConfig::default());
    let mut d = Display::new();
    d.apply(
        &enc.encode_frame(&mut fb, 1, 1, FrameExtras::default())
            .unwrap()
            .bytes,
    );
    fb.put_pixels(0, 0, w, h, &noise(w.into(), h.into(), 99));
    let f = enc
        .encode_frame(&mut fb, 10, 2, FrameExtras::default())
        .unwrap();
    assert!(
        f.stats.jpeg_images > 0 && f.stats.png_images == 0,
        "{:?}",
        f.stats
    );
    d.apply(&f.bytes);
    assert_eq!(enc.next_refine_at(), Some(10 + 1000));
    assert!(enc
        .encode_frame(&mut fb, 500, 3, FrameExtras::default())
        .is_none());
    let f = enc
        .encode_frame(&mut fb, 1010, 4, FrameExtras::default())
        .unwrap();
    assert_eq!(f.stats.refined_pixels, u64::from(w) * u64::from(h));
    d.apply(&f.bytes);
    let (bad, _) = compare_bgrx(d.root(), fb.data(), w.into(), h.into());
    assert_eq!(bad, 0);
}

#[test]
fn jpeg_forbidden_means_png_only() {
    let (w, h) = (320u16, 240u16);
    let mut fb = Framebuffer::new(w, h);
    let mut enc = FrameEncoder::new(EncoderConfig::default());
    enc.set_jpeg(false);
    fb.put_pixels(0, 0, w, h, &noise(w.into(), h.into(), 3));
    let f = enc
        .encode_frame(&mut fb, 1, 1, FrameExtras::default())
        .unwrap();
    assert_eq!(f.stats.jpeg_images, 0);
    assert!(enc.next_refine_at().is_none());
}

#[test]
fn snapshot_alone_reproduces_screen_cursor_and_pointer() {
    let mut fb = Framebuffer::new(W, H);
    let mut enc = FrameEncoder::new(EncoderConfig {
        jpeg: false,
        ..EncoderConfig::default()
    });
    fb.put_pixels(10, 10, 100, 100, &noise(100, 100, 5));
    fb.fill(0, 120, W, 30, [1, 2, 3, 0]);
    fb.set_cursor(Cursor {
        hotspot_x: 1,
        hotspot_y: 1,
        width: 2,
        height: 2,
        rgba: vec![255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 255, 9, 9, 9, 255],
    });
    let snap = enc.snapshot(&fb, Some((7, 8)), 1, 42);
    let mut d = Display::new();
    d.apply(&snap);
    let (bad, _) = compare_bgrx(d.root(), fb.data(), W.into(), H.into());
    assert_eq!(bad, 0);
    let (hx, hy, c) = d.cursor.as_ref().unwrap();
    assert_eq!((*hx, *hy, c.w, c.h), (1, 1, 2, 2));
    assert_eq!(&c.px[..8], &[255, 0, 0, 255, 0, 255, 0, 0]);
    assert_eq!(d.mouse, Some((7, 8)));
    assert_eq!(d.syncs, vec![42]);
}

#[test]
fn clipboard_and_resize_frames() {
    let mut fb = Framebuffer::new(W, H);
    let mut enc = FrameEncoder::new(EncoderConfig::default());
    let mut d = Display::new();
    d.apply(
        &enc.encode_frame(&mut fb, 1, 1, FrameExtras::default())
            .unwrap()
            .bytes,
    );
    let f = enc
        .encode_frame(
            &mut fb,
            2,
            2,
            FrameExtras {
                clipboard: Some("héllo 😀".into()),
            },
        )
        .unwrap();
    d.apply(&f.bytes);
    assert_eq!(d.clipboard.as_deref(), Some("héllo 😀"));
    fb.resize(300, 100);
    fb.fill(0, 0, 300, 100, [5, 6, 7, 0]);
    d.apply(
        &enc.encode_frame(&mut fb, 3, 3, FrameExtras::default())
            .unwrap()
            .bytes,
    );
    assert_eq!((d.root().w, d.root().h), (300, 100));
    let (bad, _) = compare_bgrx(d.root(), fb.data(), 300, 100);
    assert_eq!(bad, 0);
}
