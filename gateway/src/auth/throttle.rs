//! Sign-in throttling, per user name and per client address.
//!
//! After `max_failed_logins` failures in a row for a key, that key is locked for
//! `lockout_secs`, doubling with each further failure up to `max_lockout_secs`. A
//! success clears the user's key (not the address's, so an attacker cycling through
//! names from one address stays slowed). State is in memory: one gateway process owns
//! its counters; with several nodes each node throttles on its own.
//!
//! The map is bounded: at most [`MAX_KEYS`] keys are tracked; when full, entries whose
//! lockout has expired are evicted first, then the oldest.

use dashmap::DashMap;
use std::time::{Duration, Instant};

/// Most keys tracked at once (users + addresses).
pub const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    locked_until: Option<Instant>,
    last: Instant,
}

/// Failure counters keyed by `user:<name>` or `ip:<addr>`.
#[derive(Debug)]
pub struct Throttle {
    entries: DashMap<String, Entry>,
    max_failures: u32,
    base: Duration,
    max: Duration,
}

impl Throttle {
    pub fn new(max_failures: u32, base: Duration, max: Duration) -> Self {
        Throttle {
            entries: DashMap::new(),
            max_failures: max_failures.max(1),
            base,
            max,
        }
    }

    /// If any of `keys` is locked, how long until it is free.
    pub fn locked(&self, keys: &[String]) -> Option<Duration> {
        let now = Instant::now();
        keys.iter()
            .filter_map(|k| self.entries.get(k).and_then(|e| e.locked_until))
            .filter(|t| *t > now)
            .map(|t| t - now)
            .max()
    }

    /// Records a failure against every key.
    pub fn failure(&self, keys: &[String]) {
        let now = Instant::now();
        if self.entries.len() >= MAX_KEYS {
            self.evict(now);
        }
        for k in keys {
            let mut e = self.entries.entry(k.clone()).or_insert(Entry {
                failures: 0,
                locked_until: None,
                last: now,
            });
            e.failures = e.failures.saturating_add(1);
            e.last = now;
            if e.failures >= self.max_failures {
                let extra = (e.failures - self.max_failures).min(16);
                let lock = self.base.saturating_mul(1u32 << extra).min(self.max);
                e.locked_until = Some(now + lock);
            }
        }
    }

    /// Clears a key after a successful sign-in.
    pub fn success(&self, key: &str) {
        self.entries.remove(key);
    }

    fn evict(&self, now: Instant) {
        self.entries
            .retain(|_, e| e.locked_until.is_some_and(|t| t > now));
        if self.entries.len() >= MAX_KEYS {
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|e| e.last)
                .map(|e| e.key().clone())
            {
                self.entries.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_success_clears_user() {
        let t = Throttle::new(3, Duration::from_secs(30), Duration::from_secs(600));
        let keys = vec!["user:a".to_string(), "ip:1".to_string()];
        t.failure(&keys);
        t.failure(&keys);
        assert!(t.locked(&keys).is_none());
        t.failure(&keys);
        let d = t.locked(&keys).unwrap();
        assert!(d <= Duration::from_secs(30) && d > Duration::from_secs(25));
        t.failure(&keys);
        assert!(t.locked(&keys).unwrap() > Duration::from_secs(30));
        t.success("user:a");
        assert!(t.locked(&["user:a".to_string()]).is_none());
        assert!(t.locked(&["ip:1".to_string()]).is_some());
    }
}
