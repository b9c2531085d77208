//! Slows down password guessing: after five failed logins for one account within fifteen
//! minutes, further attempts are refused until the window ends.

use std::collections::HashMap;
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// Failures tolerated per window.
pub const MAX_FAILURES: u32 = 5;
/// Length of the window.
pub const WINDOW: Duration = Duration::minutes(15);
/// Accounts tracked at most; the oldest windows are dropped first.
const MAX_TRACKED: usize = 10_000;

/// Failed-login counters per account key.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, OffsetDateTime)>>,
}

impl LoginThrottle {
    /// `Some(seconds to wait)` when the account is locked out now.
    pub fn locked(&self, key: &str, now: OffsetDateTime) -> Option<i64> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).and_then(|&(n, start)| {
            let end = start + WINDOW;
            (n >= MAX_FAILURES && now < end).then(|| (end - now).whole_seconds().max(1))
        })
    }

    /// Counts a failure.
    pub fn failed(&self, key: &str, now: OffsetDateTime) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED && !map.contains_key(key) {
            map.retain(|_, (_, start)| now < *start + WINDOW);
            if map.len() >= MAX_TRACKED
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, (_, s))| *s)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let entry = map.entry(key.to_owned()).or_insert((0, now));
        if now >= entry.1 + WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    /// Forgets an account's failures after a successful login.
    pub fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_five_failures_until_the_window_ends() {
        let t = LoginThrottle::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..4 {
            t.failed("a", now);
        }
        assert!(t.locked("a", now).is_none());
        t.failed("a", now);
        assert_eq!(t.locked("a", now), Some(900));
        assert!(t.locked("a", now + WINDOW).is_none());
        assert!(t.locked("b", now).is_none());
        t.succeeded("a");
        assert!(t.locked("a", now).is_none());
    }
}
