//! Recordings of real guacd output, loaded once and cut into frame-aligned segments.
//!
//! A recording (`shared/data/guacd-recordings/*.guac`) is the exact byte stream guacd
//! sent an owner after `ready`. It is read once per simulator and shared (`Bytes`) by
//! every connection. Segments end right after a `sync`, so a joiner can be attached
//! between two segments without seeing half an image stream. A second copy without the
//! recording's `msg` instructions (which concern a joiner of the recorded session and
//! go only to owners) is what non-owners receive.

use super::config::{Pacing, ReplaySource};
use super::wire::atoi;
use bytes::{Bytes, BytesMut};
use porthole_protocol::{Limits, Parser};
use std::collections::HashMap;
use std::io;
use std::ops::Range;
use std::time::Duration;

/// Flat pacing merges frames into writes of about this size.
const FLAT_CHUNK: usize = 256 * 1024;

/// A frame-aligned piece of a recording.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    /// Byte range in [`ReplayData::owner`].
    pub owner: Range<usize>,
    /// Byte range in [`ReplayData::others`].
    pub others: Range<usize>,
    /// When to send it, relative to the start of the replay.
    pub at: Duration,
    /// The last `sync` timestamp it carries.
    pub last_ts: Option<u64>,
    /// `frames` argument of that sync.
    pub last_frames: u32,
    /// Number of `sync`s in it.
    pub syncs: u64,
}

/// A loaded recording.
#[derive(Debug)]
pub(crate) struct ReplayData {
    /// The file as recorded.
    pub owner: Bytes,
    /// The file without `msg` instructions.
    pub others: Bytes,
    pub segments: Vec<Segment>,
    pub looped: bool,
}

impl ReplayData {
    pub fn load(src: &ReplaySource) -> io::Result<ReplayData> {
        let data = std::fs::read(&src.path)?;
        let owner = Bytes::from(data);
        let mut buf = BytesMut::from(&owner[..]);
        let mut parser = Parser::new(Limits::UPSTREAM);
        let mut others = BytesMut::with_capacity(owner.len());
        let mut segments = Vec::new();
        let mut seg_owner_start = 0usize;
        let mut seg_others_start = 0usize;
        let mut offset = 0usize;
        let mut first_ts: Option<u64> = None;
        let mut ts_at: Vec<Option<u64>> = Vec::new();
        loop {
            let instr = match parser.next(&mut buf) {
                Ok(Some(i)) => i,
                Ok(None) => break,
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            };
            offset += instr.encoded_len();
            if instr.opcode() != "msg" {
                others.extend_from_slice(instr.as_bytes());
            }
            if instr.opcode() == "sync" {
                let ts = u64::try_from(atoi(instr.arg(0).unwrap_or(""))).unwrap_or(0);
                let frames = u32::try_from(atoi(instr.arg(1).unwrap_or(""))).unwrap_or(0);
                first_ts.get_or_insert(ts);
                segments.push(Segment {
                    owner: seg_owner_start..offset,
                    others: seg_others_start..others.len(),
                    at: Duration::ZERO,
                    last_ts: Some(ts),
                    last_frames: frames,
                    syncs: 1,
                });
                ts_at.push(Some(ts));
                seg_owner_start = offset;
                seg_others_start = others.len();
            }
        }
        if offset < owner.len() || seg_owner_start < offset {
            // Trailing bytes after the last sync (or an incomplete instruction): send
            // them as they are.
            let end_others = others.len() + (owner.len() - offset);
            others.extend_from_slice(&owner[offset..]);
            segments.push(Segment {
                owner: seg_owner_start..owner.len(),
                others: seg_others_start..end_others,
                at: Duration::ZERO,
                last_ts: None,
                last_frames: 0,
                syncs: 0,
            });
            ts_at.push(None);
        }
        if src.pacing == Pacing::RealTime {
            let sidecar = read_sidecar(&src.path.with_extension("json"));
            let mut prev = Duration::ZERO;
            for (seg, ts) in segments.iter_mut().zip(&ts_at) {
                let from_sidecar = sidecar
                    .as_ref()
                    .and_then(|m| m.get(&seg.owner.end))
                    .map(|s| Duration::from_secs_f64(s.max(0.0)));
                let from_ts = match (ts, first_ts) {
                    (Some(t), Some(f)) => Some(Duration::from_millis(t.saturating_sub(f))),
                    _ => None,
                };
                let at = from_sidecar.or(from_ts).unwrap_or(prev).max(prev);
                seg.at = at;
                prev = at;
            }
        } else {
            segments = merge(segments);
        }
        Ok(ReplayData {
            owner,
            others: others.freeze(),
            segments,
            looped: src.looped,
        })
    }
}

/// Merges consecutive segments into chunks of about [`FLAT_CHUNK`] bytes.
fn merge(segments: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for s in segments {
        match out.last_mut() {
            Some(last) if last.owner.len() < FLAT_CHUNK => {
                last.owner.end = s.owner.end;
                last.others.end = s.others.end;
                if s.last_ts.is_some() {
                    last.last_ts = s.last_ts;
                    last.last_frames = s.last_frames;
                }
                last.syncs += s.syncs;
            }
            _ => out.push(s),
        }
    }
    out
}

/// `sync_arrival_times.rows` of a sidecar: byte offset just after a sync → seconds.
fn read_sidecar(path: &std::path::Path) -> Option<HashMap<usize, f64>> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let rows = v.get("sync_arrival_times")?.get("rows")?.as_array()?;
    let mut map = HashMap::with_capacity(rows.len());
    for row in rows {
        let secs = row.get(0).and_then(serde_json::Value::as_f64);
        let off = row.get(1).and_then(serde_json::Value::as_u64);
        if let (Some(s), Some(o)) = (secs, off) {
            map.insert(usize::try_from(o).ok()?, s);
        }
    }
    Some(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/guacd-recordings")
            .join(name)
    }

    #[test]
    fn typing_owner_segments_cover_the_file() {
        let path = recording("typing-owner.guac");
        let src = ReplaySource {
            path: path.clone(),
            pacing: Pacing::RealTime,
            looped: false,
        };
        let r = ReplayData::load(&src).unwrap();
        assert_eq!(r.segments.len(), 321);
        assert_eq!(r.segments.last().unwrap().owner.end, r.owner.len());
        // Two msg instructions are left out for non-owners.
        assert!(r.others.len() < r.owner.len());
        assert!(!r.others.windows(6).any(|w| w == b"3.msg,"));
        // Sidecar timing: the last sync arrived about 40 s after ready.
        let last = r.segments.last().unwrap().at.as_secs_f64();
        assert!((39.0..41.0).contains(&last), "{last}");
        let flat = ReplayData::load(&ReplaySource::flat(path)).unwrap();
        assert!(flat.segments.len() < 5);
        assert_eq!(flat.segments.iter().map(|s| s.syncs).sum::<u64>(), 321);
    }
}
