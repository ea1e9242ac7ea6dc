//! Sliding-window rate limits per key (an email address, a user), in memory and bounded: one
//! mechanism for failed sign-ins and for calendar discoveries.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys remembered at once; past this, keys with nothing recent are forgotten first.
const MAX_KEYS: usize = 10_000;

pub struct RateLimit {
    max: usize,
    window: Duration,
    events: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimit {
    pub fn new(max: usize, window: Duration) -> Self {
        RateLimit {
            max,
            window,
            events: Mutex::new(HashMap::new()),
        }
    }

    /// How long `key` must wait before acting again, if it has used up its allowance.
    pub fn wait(&self, key: &str, now: Instant) -> Option<Duration> {
        let mut events = self.events.lock().expect("rate limit");
        let recent = events.get_mut(key)?;
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            recent.pop_front();
        }
        (recent.len() >= self.max)
            .then(|| self.window.saturating_sub(now.duration_since(recent[0])))
    }

    pub fn record(&self, key: &str, now: Instant) {
        let mut events = self.events.lock().expect("rate limit");
        if events.len() >= MAX_KEYS && !events.contains_key(key) {
            let window = self.window;
            events.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
            if events.len() >= MAX_KEYS {
                events.clear();
            }
        }
        events.entry(key.to_string()).or_default().push_back(now);
    }

    pub fn clear(&self, key: &str) {
        self.events.lock().expect("rate limit").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_limited_apart_and_the_window_slides() {
        let limit = RateLimit::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        limit.record("ana", t0);
        assert_eq!(limit.wait("ana", t0), None);
        limit.record("ana", t0 + Duration::from_secs(10));
        assert_eq!(
            limit.wait("ana", t0 + Duration::from_secs(20)),
            Some(Duration::from_secs(40))
        );
        assert_eq!(limit.wait("bo", t0), None);
        assert_eq!(limit.wait("ana", t0 + Duration::from_secs(60)), None);
        limit.clear("ana");
        assert_eq!(limit.wait("ana", t0 + Duration::from_secs(20)), None);
    }

    #[test]
    fn memory_stays_bounded() {
        let limit = RateLimit::new(1, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..MAX_KEYS + 5 {
            limit.record(&format!("key-{i}"), t0);
        }
        assert!(limit.events.lock().unwrap().len() <= MAX_KEYS);
    }
}
