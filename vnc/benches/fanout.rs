//! Encode once, fan out: CPU for one fixed workload (encode 200 frames — typing plus a
//! 256×256 photo change every 20th frame — publish them, and have every viewer take
//! every frame) with 1 viewer and with 100 viewers, in the same run. Single-threaded,
//! so wall time is CPU time. The target is a ratio ≤ 3×.
//!
//! `cargo bench -p porthole-vnc --bench fanout`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use porthole_vnc::encode::{EncoderConfig, FrameEncoder, FrameExtras};
use porthole_vnc::fanout::{FanoutConfig, FrameBus, Subscriber};
use porthole_vnc::framebuffer::Framebuffer;
use std::time::Duration;

fn photo(w: usize, h: usize, seed: u32) -> Vec<u8> {
    let mut s = seed | 1;
    (0..w * h)
        .flat_map(|i| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            [(i % w) as u8, (i / w) as u8, s as u8, 0]
        })
        .collect()
}

fn glyph(seed: u8) -> Vec<u8> {
    (0..8 * 16)
        .flat_map(|i| {
            if (i * 7 + usize::from(seed)) % 5 == 0 {
                [10, 10, 10, 0]
            } else {
                [240, 240, 240, 0]
            }
        })
        .collect()
}

/// One run of the workload; returns bytes delivered (to keep the work observable).
fn workload(viewers: usize) -> u64 {
    let (w, h) = (1920u16, 1080u16);
    let mut fb = Framebuffer::new(w, h);
    let mut enc = FrameEncoder::new(EncoderConfig::default());
    let bus = FrameBus::new(FanoutConfig::default());
    enc.encode_frame(&mut fb, 1, 1, FrameExtras::default());
    bus.publish_snapshot(0, 1, bytes::Bytes::from_static(b"4.sync,1.1,1.0;"));
    let mut subs: Vec<Subscriber> = (0..viewers).map(|_| bus.subscribe()).collect();
    let mut delivered = 0u64;
    for s in &mut subs {
        if let Some(Ok(f)) = s.try_next() {
            delivered += f.bytes.len() as u64;
        }
    }
    let photo = photo(256, 256, 7);
    for i in 0..200u16 {
        if i % 20 == 19 {
            fb.put_pixels(400, 300, 256, 256, &photo);
        } else {
            fb.put_pixels(8 * (i % 200), 50 + 16 * (i / 100), 8, 16, &glyph(i as u8));
        }
        let ts = u64::from(i) + 2;
        if let Some(f) = enc.encode_frame(&mut fb, ts, ts, FrameExtras::default()) {
            bus.publish(ts, f.bytes);
        }
        for s in &mut subs {
            while let Some(Ok(f)) = s.try_next() {
                delivered += f.bytes.len() as u64;
            }
        }
    }
    delivered
}

/// The 200 frames of [`workload`], encoded once up front.
fn encoded_frames() -> Vec<bytes::Bytes> {
    let (w, h) = (1920u16, 1080u16);
    let mut fb = Framebuffer::new(w, h);
    let mut enc = FrameEncoder::new(EncoderConfig::default());
    enc.encode_frame(&mut fb, 1, 1, FrameExtras::default());
    let photo = photo(256, 256, 7);
    (0..200u16)
        .filter_map(|i| {
            if i % 20 == 19 {
                fb.put_pixels(400, 300, 256, 256, &photo);
            } else {
                fb.put_pixels(8 * (i % 200), 50 + 16 * (i / 100), 8, 16, &glyph(i as u8));
            }
            let ts = u64::from(i) + 2;
            enc.encode_frame(&mut fb, ts, ts, FrameExtras::default())
                .map(|f| f.bytes)
        })
        .collect()
}

/// Fan-out alone: publish pre-encoded frames, every viewer takes every frame.
fn deliver(frames: &[bytes::Bytes], viewers: usize) -> u64 {
    let bus = FrameBus::new(FanoutConfig::default());
    bus.publish_snapshot(0, 1, bytes::Bytes::from_static(b"4.sync,1.1,1.0;"));
    let mut subs: Vec<Subscriber> = (0..viewers).map(|_| bus.subscribe()).collect();
    let mut delivered = 0u64;
    for (i, f) in frames.iter().enumerate() {
        bus.publish(i as u64 + 2, f.clone());
        for s in &mut subs {
            while let Some(Ok(f)) = s.try_next() {
                delivered += f.bytes.len() as u64;
            }
        }
    }
    delivered
}

fn fanout(c: &mut Criterion) {
    let frames = encoded_frames();
    let mut g = c.benchmark_group("deliver");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for viewers in [1usize, 100] {
        g.bench_with_input(BenchmarkId::new("viewers", viewers), &viewers, |b, &v| {
            b.iter(|| deliver(&frames, v))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("fanout");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    for viewers in [1usize, 100] {
        g.bench_with_input(BenchmarkId::new("viewers", viewers), &viewers, |b, &v| {
            b.iter(|| workload(v))
        });
    }
    g.finish();
    println!(
        "per-viewer state: Subscriber is {} bytes (frames are shared Bytes)",
        std::mem::size_of::<Subscriber>()
    );
}

criterion_group!(benches, fanout);
criterion_main!(benches);
