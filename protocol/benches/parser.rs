//! Parser and encoder benchmarks (see BENCHMARKS.md, section "Parser").
//!
//! * `parse_recording/<name>`: a real guacd recording, held in memory, fed to the parser
//!   in 64 KiB reads as a socket would deliver them; throughput in bytes. Every
//!   instruction is dropped right away, as a relay does once it has forwarded it.
//! * `parse_small/mouse_key_sync`: a synthetic browser-side stream of `mouse`, `key` and
//!   `sync` instructions; throughput in instructions.
//! * `encode/mouse`, `encode/blob`: the encoder writing `mouse` instructions (in
//!   instructions) and 8064-character `blob` instructions (in bytes).
//!
//! Recordings are read from `$PORTHOLE_RECORDINGS`, by default
//! `<CARGO_MANIFEST_DIR>/../../shared/data/guacd-recordings`; missing ones are skipped
//! with a notice.
//!
//! Run: `cargo bench -p porthole-protocol --bench parser -- --measurement-time 5`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use porthole_protocol::{encode, InstructionWriter, Limits, Parser};
use std::path::PathBuf;

const RECORDINGS: [&str; 4] = [
    "scrolling-owner",
    "fullscreen-owner",
    "windows-owner",
    "typing-owner",
];

/// A socket read.
const READ: usize = 64 * 1024;

fn recordings_dir() -> PathBuf {
    match std::env::var_os("PORTHOLE_RECORDINGS") {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/guacd-recordings")
        }
    }
}

/// Feeds `data` in `read`-byte reads and returns the number of instructions.
fn parse_stream(data: &[u8], read: usize, limits: Limits) -> usize {
    let mut parser = Parser::new(limits);
    let mut buf = BytesMut::with_capacity(2 * read);
    let mut n = 0;
    for chunk in data.chunks(read) {
        buf.extend_from_slice(chunk);
        while let Some(i) = parser.next(&mut buf).unwrap() {
            black_box(&i);
            n += 1;
        }
    }
    assert!(parser.at_boundary(&buf));
    n
}

fn parse_recordings(c: &mut Criterion) {
    let dir = recordings_dir();
    let mut g = c.benchmark_group("parse_recording");
    for name in RECORDINGS {
        let path = dir.join(format!("{name}.guac"));
        let Ok(data) = std::fs::read(&path) else {
            eprintln!("NOTICE: {} not found, skipping", path.display());
            continue;
        };
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| parse_stream(black_box(&data), READ, Limits::UPSTREAM))
        });
    }
    g.finish();
}

/// A browser's input stream: pointer motion dominates, with keys and sync replies.
fn small_stream(count: usize) -> Vec<u8> {
    let mut buf = BytesMut::new();
    let mut ts: u64 = 1_732_212_345_678;
    for k in 0..count {
        match k % 8 {
            0..=4 => {
                InstructionWriter::new(&mut buf, "mouse")
                    .arg_int((k * 7) % 1920)
                    .arg_int((k * 13) % 1080)
                    .arg_int(k % 2)
                    .finish();
            }
            5 | 6 => {
                InstructionWriter::new(&mut buf, "key")
                    .arg_int(0x61 + (k % 26))
                    .arg_int((k / 8) % 2)
                    .finish();
            }
            _ => {
                ts += 16;
                InstructionWriter::new(&mut buf, "sync")
                    .arg_int(ts)
                    .finish();
            }
        }
    }
    buf.to_vec()
}

fn parse_small(c: &mut Criterion) {
    const N: usize = 100_000;
    let data = small_stream(N);
    let mut g = c.benchmark_group("parse_small");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("mouse_key_sync", |b| {
        b.iter(|| {
            let n = parse_stream(black_box(&data), READ, Limits::BROWSER);
            assert_eq!(n, N);
        })
    });
    g.finish();
}

fn encoder(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");

    const MICE: usize = 10_000;
    let mut buf = BytesMut::with_capacity(MICE * 40);
    g.throughput(Throughput::Elements(MICE as u64));
    g.bench_function("mouse", |b| {
        b.iter(|| {
            buf.clear();
            for k in 0..MICE {
                InstructionWriter::new(&mut buf, "mouse")
                    .arg_int(black_box(k % 1920))
                    .arg_int(black_box(k % 1080))
                    .arg_int(black_box(1u8))
                    .finish();
            }
            black_box(&buf);
        })
    });

    // 100 blobs of guacd's maximum size (6048 raw bytes = 8064 base64 characters).
    const BLOBS: usize = 100;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let payload: String = (0..8064)
        .map(|k| char::from(alphabet[(k * 31 + k / 7) % 64]))
        .collect();
    let mut out = BytesMut::new();
    encode(&mut out, "blob", &["1", payload.as_str()]);
    let blob_len = out.len();
    let mut buf = BytesMut::with_capacity(blob_len * BLOBS);
    g.throughput(Throughput::Bytes((blob_len * BLOBS) as u64));
    g.bench_function("blob", |b| {
        b.iter(|| {
            buf.clear();
            for k in 0..BLOBS {
                let stream = if k % 2 == 0 { "1" } else { "3" };
                encode(&mut buf, "blob", &[stream, black_box(payload.as_str())]);
            }
            black_box(&buf);
        })
    });
    g.finish();
}

criterion_group!(benches, parse_recordings, parse_small, encoder);
criterion_main!(benches);
