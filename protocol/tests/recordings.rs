//! Parses every real guacd recording (`shared/data/guacd-recordings/*.guac`), fed in
//! irregular reads, and checks the result against the sidecar JSON: byte count,
//! instruction count, per-opcode counts, largest element, and that every recorded `sync`
//! arrival offset falls right after a `sync` instruction.
//!
//! The directory is `$PORTHOLE_RECORDINGS`, by default
//! `<CARGO_MANIFEST_DIR>/../../shared/data/guacd-recordings`. If it is missing the test
//! fails when `CI` is set, and otherwise prints a notice and passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::BytesMut;
use porthole_protocol::{Limits, Parser};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn recordings_dir() -> PathBuf {
    match std::env::var_os("PORTHOLE_RECORDINGS") {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/guacd-recordings")
        }
    }
}

/// Deterministic irregular read sizes: runs of tiny reads, MTU-ish reads, reads around
/// the blob size and large socket reads.
struct Reads(u64);

impl Iterator for Reads {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 16;
        let n = match r % 5 {
            0 => 1 + r % 8,
            1 => 1 + r % 1500,
            2 => 8000 + r % 200,
            3 => 1 + r % 9000,
            _ => 1 + r % 65536,
        };
        Some(n as usize)
    }
}

struct Summary {
    instructions: u64,
    opcodes: BTreeMap<String, u64>,
    largest_element: usize,
    /// Stream offsets right after each `sync` instruction.
    sync_ends: BTreeSet<u64>,
}

fn parse(data: &[u8], limits: Limits, seed: u64) -> Summary {
    let mut p = Parser::new(limits);
    let mut buf = BytesMut::new();
    let mut s = Summary {
        instructions: 0,
        opcodes: BTreeMap::new(),
        largest_element: 0,
        sync_ends: BTreeSet::new(),
    };
    let mut rest = data;
    let mut reads = Reads(seed);
    while !rest.is_empty() {
        let n = reads.next().unwrap().min(rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        while let Some(i) = p.next(&mut buf).unwrap_or_else(|e| panic!("{e}")) {
            s.instructions += 1;
            *s.opcodes.entry(i.opcode().to_owned()).or_default() += 1;
            let longest = std::iter::once(i.opcode())
                .chain(i.args())
                .map(|e| e.chars().count())
                .max()
                .unwrap_or(0);
            s.largest_element = s.largest_element.max(longest);
            if i.opcode() == "sync" {
                s.sync_ends.insert(p.consumed());
            }
        }
    }
    assert!(p.at_boundary(&buf), "stream ends inside an instruction");
    assert_eq!(p.consumed(), data.len() as u64);
    s
}

#[test]
fn recordings_match_their_sidecars() {
    let dir = recordings_dir();
    if !dir.is_dir() {
        let msg = format!("guacd recordings not found at {}", dir.display());
        if std::env::var_os("CI").is_some() {
            panic!("{msg} (CI is set; set PORTHOLE_RECORDINGS to the recordings directory)");
        }
        eprintln!("NOTICE: {msg}; skipping (set PORTHOLE_RECORDINGS to run this test)");
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "guac"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .guac file in {}", dir.display());

    for (k, path) in files.iter().enumerate() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(path).unwrap();
        let sidecar: Value =
            serde_json::from_slice(&std::fs::read(path.with_extension("json")).unwrap())
                .unwrap_or_else(|e| panic!("{name}: bad sidecar: {e}"));

        assert_eq!(
            data.len() as u64,
            sidecar["bytes"].as_u64().unwrap(),
            "{name}: bytes"
        );

        // guacd's output must also fit guacd's own (libguac) limits.
        for (limits, seed) in [
            (Limits::UPSTREAM, 1 + k as u64),
            (Limits::LIBGUAC, 1000 + k as u64),
        ] {
            let s = parse(&data, limits, seed);
            assert_eq!(
                s.instructions,
                sidecar["instructions"].as_u64().unwrap(),
                "{name}: instruction count"
            );
            let expected: BTreeMap<String, u64> = sidecar["opcodes"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(op, n)| (op.clone(), n.as_u64().unwrap()))
                .collect();
            assert_eq!(s.opcodes, expected, "{name}: per-opcode counts");
            assert_eq!(
                s.largest_element as u64,
                sidecar["largest_element_length"].as_u64().unwrap(),
                "{name}: largest element"
            );
            for row in sidecar["sync_arrival_times"]["rows"].as_array().unwrap() {
                let at = row[1].as_u64().unwrap();
                assert!(
                    s.sync_ends.contains(&at),
                    "{name}: no sync ends at byte {at}"
                );
            }
        }
        eprintln!(
            "{name}: {} bytes, {} instructions OK",
            data.len(),
            sidecar["instructions"]
        );
    }
}
