//! The bounded fan-out of encoded frames to every viewer of a session.
//!
//! One [`FrameBus`] per session holds a ring of the most recent frames (shared
//! [`Bytes`]: a frame costs its size once, however many viewers read it). Each viewer
//! holds a [`Subscriber`] with its own position in the ring.
//!
//! **Overflow policy (skip and resync).** The ring keeps at most `max_frames` frames and
//! `max_bytes` bytes (always at least the newest frame); publishing evicts the oldest.
//! A subscriber whose next frame was evicted has fallen behind: it skips every
//! superseded frame and receives a **snapshot** instead — the full current screen,
//! encoded by the driver once per position and shared by every subscriber that needs it
//! — then continues with the live frames after it. A subscriber that has just joined
//! starts the same way. Nothing queues per viewer, so a slow viewer costs the ring's
//! bound and never slows the publisher or the other viewers.
//!
//! Snapshots are requested through [`FrameBus::snapshot_wanted`], which the driver
//! waits on; the driver answers with [`FrameBus::publish_snapshot`].

use bytes::Bytes;
use porthole_protocol::Status;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::{watch, Notify};

/// Ring bounds.
#[derive(Debug, Clone, Copy)]
pub struct FanoutConfig {
    pub max_frames: usize,
    pub max_bytes: usize,
}

impl Default for FanoutConfig {
    fn default() -> Self {
        FanoutConfig {
            max_frames: 64,
            max_bytes: 16 << 20,
        }
    }
}

/// One delivery to a viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Position in the session's frame sequence (a snapshot carries the position of
    /// the last frame it includes).
    pub seq: u64,
    /// The `sync` timestamp the bytes end with.
    pub sync_ts: u64,
    /// Complete Guacamole instructions.
    pub bytes: Bytes,
    /// Whether this is a snapshot (the whole screen) rather than a live frame.
    pub snapshot: bool,
}

/// Why a session's stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub status: Status,
    pub message: String,
}

struct Ring {
    frames: VecDeque<Frame>,
    bytes: usize,
    /// Sequence number of the newest published frame (0: none yet).
    newest: u64,
    snapshot: Option<Frame>,
    end: Option<End>,
}

/// A session's frame ring. See the module documentation.
pub struct FrameBus {
    cfg: FanoutConfig,
    ring: Mutex<Ring>,
    /// Bumped on every publish, snapshot and end; subscribers wait on it.
    changed: watch::Sender<u64>,
    snapshot_wanted: Notify,
}

impl std::fmt::Debug for FrameBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameBus").finish_non_exhaustive()
    }
}

impl FrameBus {
    pub fn new(cfg: FanoutConfig) -> Arc<Self> {
        Arc::new(FrameBus {
            cfg,
            ring: Mutex::new(Ring {
                frames: VecDeque::new(),
                bytes: 0,
                newest: 0,
                snapshot: None,
                end: None,
            }),
            changed: watch::channel(0).0,
            snapshot_wanted: Notify::new(),
        })
    }

    fn ring(&self) -> MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Publishes a live frame; returns its sequence number.
    pub fn publish(&self, sync_ts: u64, bytes: Bytes) -> u64 {
        let seq = {
            let mut r = self.ring();
            r.newest += 1;
            let seq = r.newest;
            r.bytes += bytes.len();
            r.frames.push_back(Frame {
                seq,
                sync_ts,
                bytes,
                snapshot: false,
            });
            while r.frames.len() > 1
                && (r.frames.len() > self.cfg.max_frames || r.bytes > self.cfg.max_bytes)
            {
                if let Some(f) = r.frames.pop_front() {
                    r.bytes -= f.bytes.len();
                }
            }
            seq
        };
        self.bump();
        seq
    }

    /// The newest sequence number (0 before the first frame).
    pub fn newest(&self) -> u64 {
        self.ring().newest
    }

    /// Stores the snapshot of the state after frame `seq` for every subscriber that
    /// waits for one at or after that position.
    pub fn publish_snapshot(&self, seq: u64, sync_ts: u64, bytes: Bytes) {
        self.ring().snapshot = Some(Frame {
            seq,
            sync_ts,
            bytes,
            snapshot: true,
        });
        self.bump();
    }

    /// Completes when some subscriber needs a snapshot newer than the stored one.
    pub async fn snapshot_wanted(&self) {
        self.snapshot_wanted.notified().await;
    }

    /// Whether a snapshot at the newest position is already stored.
    pub fn snapshot_is_current(&self) -> bool {
        let r = self.ring();
        r.snapshot.as_ref().is_some_and(|s| s.seq >= r.newest)
    }

    /// Ends the stream: every subscriber gets `end` after the frames it can still read.
    pub fn close(&self, end: End) {
        let mut r = self.ring();
        if r.end.is_none() {
            r.end = Some(end);
        }
        drop(r);
        self.bump();
    }

    /// Why the stream ended, once it has.
    pub fn end(&self) -> Option<End> {
        self.ring().end.clone()
    }

    /// A new subscriber; its first delivery is a snapshot.
    pub fn subscribe(self: &Arc<Self>) -> Subscriber {
        let newest = self.newest();
        Subscriber {
            bus: self.clone(),
            rx: self.changed.subscribe(),
            next: newest + 1,
            need_snapshot_at: Some(newest),
        }
    }

    /// Frames currently held, and their bytes (for metrics and tests).
    pub fn held(&self) -> (usize, usize) {
        let r = self.ring();
        (r.frames.len(), r.bytes)
    }
}

/// One viewer's position in the ring. See the module documentation.
pub struct Subscriber {
    bus: Arc<FrameBus>,
    rx: watch::Receiver<u64>,
    next: u64,
    /// Waiting for a snapshot at or after this position.
    need_snapshot_at: Option<u64>,
}

enum Step {
    Deliver(Frame),
    Wait,
    End(End),
}

impl Subscriber {
    /// The next delivery: a live frame, or a snapshot after joining or falling behind.
    /// `Err` once the session has ended and nothing more is readable. Cancel-safe.
    pub async fn next(&mut self) -> Result<Frame, End> {
        loop {
            // Mark the current version seen before looking, so no publish is missed.
            self.rx.borrow_and_update();
            match self.step() {
                Step::Deliver(f) => return Ok(f),
                Step::End(e) => return Err(e),
                Step::Wait => {
                    if self.rx.changed().await.is_err() {
                        return Err(self.bus.end().unwrap_or(End {
                            status: Status::UpstreamError,
                            message: "the session ended".into(),
                        }));
                    }
                }
            }
        }
    }

    /// The next delivery if one is ready now, without waiting.
    pub fn try_next(&mut self) -> Option<Result<Frame, End>> {
        match self.step() {
            Step::Deliver(f) => Some(Ok(f)),
            Step::End(e) => Some(Err(e)),
            Step::Wait => None,
        }
    }

    fn step(&mut self) -> Step {
        let r = self.bus.ring();
        if let Some(at) = self.need_snapshot_at {
            if let Some(s) = r.snapshot.as_ref().filter(|s| s.seq >= at) {
                self.need_snapshot_at = None;
                self.next = s.seq + 1;
                return Step::Deliver(s.clone());
            }
            if let Some(e) = &r.end {
                return Step::End(e.clone());
            }
            drop(r);
            self.bus.snapshot_wanted.notify_one();
            return Step::Wait;
        }
        let oldest = r.frames.front().map_or(r.newest + 1, |f| f.seq);
        if self.next < oldest {
            // Fell behind: skip the superseded frames, resync from a snapshot.
            self.need_snapshot_at = Some(r.newest);
            drop(r);
            return self.step();
        }
        if let Some(f) = r.frames.get((self.next - oldest) as usize) {
            self.next += 1;
            return Step::Deliver(f.clone());
        }
        if let Some(e) = &r.end {
            return Step::End(e.clone());
        }
        Step::Wait
    }

    /// How many published frames this subscriber has not read yet.
    pub fn lag(&self) -> u64 {
        (self.bus.newest() + 1).saturating_sub(self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[tokio::test]
    async fn joiner_gets_snapshot_then_live_frames() {
        let bus = FrameBus::new(FanoutConfig::default());
        bus.publish(1, b("f1"));
        let mut s = bus.subscribe();
        assert!(s.try_next().is_none());
        bus.publish_snapshot(1, 1, b("snap1"));
        let f = s.next().await.unwrap();
        assert!(f.snapshot);
        assert_eq!(f.bytes, b("snap1"));
        bus.publish(2, b("f2"));
        assert_eq!(s.next().await.unwrap().bytes, b("f2"));
    }

    #[tokio::test]
    async fn slow_subscriber_skips_to_a_snapshot() {
        let bus = FrameBus::new(FanoutConfig {
            max_frames: 4,
            max_bytes: 1 << 20,
        });
        bus.publish_snapshot(0, 0, b("s0"));
        let mut s = bus.subscribe();
        assert!(s.next().await.unwrap().snapshot);
        for i in 1..=10 {
            bus.publish(i, b("x"));
        }
        assert_eq!(bus.held().0, 4);
        // Frame 1 is gone: the subscriber waits for a snapshot at 10 or later.
        assert!(s.try_next().is_none());
        bus.publish_snapshot(10, 10, b("s10"));
        let f = s.next().await.unwrap();
        assert_eq!((f.seq, f.snapshot), (10, true));
        bus.publish(11, b("y"));
        assert_eq!(s.next().await.unwrap().seq, 11);
    }

    #[tokio::test]
    async fn end_is_delivered_after_remaining_frames() {
        let bus = FrameBus::new(FanoutConfig::default());
        bus.publish_snapshot(0, 0, b("s"));
        let mut s = bus.subscribe();
        s.next().await.unwrap();
        bus.publish(1, b("a"));
        bus.close(End {
            status: Status::UpstreamError,
            message: "gone".into(),
        });
        assert_eq!(s.next().await.unwrap().bytes, b("a"));
        assert_eq!(s.next().await.unwrap_err().status, Status::UpstreamError);
    }

    #[tokio::test]
    async fn byte_bound_keeps_the_newest_frame() {
        let bus = FrameBus::new(FanoutConfig {
            max_frames: 100,
            max_bytes: 10,
        });
        bus.publish(1, Bytes::from(vec![0u8; 50]));
        bus.publish(2, Bytes::from(vec![0u8; 50]));
        assert_eq!(bus.held(), (1, 50));
    }
}
