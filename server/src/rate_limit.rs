//! Sliding-window rate limits per key (an email address, a user), in memory and bounded: one
//! mechanism for failed sign-ins and for calendar discoveries.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys remembered at once; past this, keys with nothing recent are forgotten first, then those
/// furthest from their limit.
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
        self.push(&mut events, key, now);
    }

    /// Checks and counts in one step (under one lock): either `key` still has allowance and
    /// this attempt is counted, or it is refused with the time to wait. However many callers
    /// race, at most `max` attempts per window get through.
    pub fn try_acquire(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut events = self.events.lock().expect("rate limit");
        if let Some(recent) = events.get_mut(key) {
            while recent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.window)
            {
                recent.pop_front();
            }
            if recent.len() >= self.max {
                return Err(self.window.saturating_sub(now.duration_since(recent[0])));
            }
        }
        self.push(&mut events, key, now);
        Ok(())
    }

    /// Gives back one attempt counted at `at` by [`RateLimit::try_acquire`].
    pub fn release(&self, key: &str, at: Instant) {
        let mut events = self.events.lock().expect("rate limit");
        if let Some(recent) = events.get_mut(key) {
            if let Some(i) = recent.iter().rposition(|t| *t == at) {
                recent.remove(i);
            }
            if recent.is_empty() {
                events.remove(key);
            }
        }
    }

    fn push(&self, events: &mut HashMap<String, VecDeque<Instant>>, key: &str, now: Instant) {
        if events.len() >= MAX_KEYS && !events.contains_key(key) {
            events.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
            if events.len() >= MAX_KEYS {
                // Still full of live keys (a flood of new ones): forget a tenth, those furthest
                // from their limit and least recently active first, so keys being throttled
                // stay throttled however many others arrive.
                let mut ranked: Vec<(bool, Instant, String)> = events
                    .iter()
                    .map(|(k, times)| {
                        let last = times.back().copied().unwrap_or(now);
                        (times.len() >= self.max, last, k.clone())
                    })
                    .collect();
                ranked.sort();
                for (_, _, k) in ranked.into_iter().take(MAX_KEYS / 10) {
                    events.remove(&k);
                }
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
    fn acquiring_counts_and_refuses_in_one_step() {
        let limit = RateLimit::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(limit.try_acquire("ana", t0), Ok(()));
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(limit.try_acquire("ana", t1), Ok(()));
        assert_eq!(
            limit.try_acquire("ana", t0 + Duration::from_secs(20)),
            Err(Duration::from_secs(40))
        );
        // A refused attempt is not counted; a released one gives its place back.
        limit.release("ana", t1);
        assert_eq!(
            limit.try_acquire("ana", t0 + Duration::from_secs(20)),
            Ok(())
        );
        assert!(limit
            .try_acquire("ana", t0 + Duration::from_secs(30))
            .is_err());
        assert_eq!(
            limit.try_acquire("ana", t0 + Duration::from_secs(60)),
            Ok(())
        );
    }

    #[test]
    fn racing_acquirers_never_exceed_the_allowance() {
        let limit = std::sync::Arc::new(RateLimit::new(5, Duration::from_secs(60)));
        let now = Instant::now();
        let granted: usize = (0..8)
            .map(|_| {
                let limit = limit.clone();
                std::thread::spawn(move || {
                    (0..50)
                        .filter(|_| limit.try_acquire("ana", now).is_ok())
                        .count()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(granted, 5);
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

    #[test]
    fn a_flood_of_new_keys_does_not_free_a_throttled_one() {
        let limit = RateLimit::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            limit.try_acquire("victim", t0).unwrap();
        }
        for i in 0..3 * MAX_KEYS {
            let _ = limit.try_acquire(&format!("flood-{i}"), t0 + Duration::from_secs(1));
        }
        assert!(limit.events.lock().unwrap().len() <= MAX_KEYS);
        assert!(
            limit
                .try_acquire("victim", t0 + Duration::from_secs(2))
                .is_err(),
            "still throttled"
        );
    }
}
