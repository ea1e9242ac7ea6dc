//! When the scheduler syncs a connection: its own frequency after its last sync attempt ended
//! (an operator's `RONDO_SYNC_INTERVAL_MINUTES` can make that sooner for everyone), stretched by
//! the backoff after failures. The time is stored as the connection's `next_sync_at`; the
//! scheduler polls every tick (30 s, shorter than the smallest frequency) for connections whose
//! time has come (`ConnectionStore::due`, the same rule as [`is_due`]).
use std::time::Duration;

use app::models::SyncFrequency;
use chrono::{DateTime, Utc};

use super::backoff::backoff;

/// The time between two successful syncs of a connection synced `frequency`, or `cap` if that
/// is shorter.
pub fn interval(frequency: SyncFrequency, cap: Option<Duration>) -> Duration {
    let own = Duration::from_secs(u64::from(frequency.minutes()) * 60);
    cap.map_or(own, |cap| own.min(cap))
}

/// When a connection whose last attempt ended at `attempted`, after `failures` failures in a
/// row, is synced next.
pub fn next_sync_at(
    attempted: DateTime<Utc>,
    frequency: SyncFrequency,
    cap: Option<Duration>,
    failures: u32,
) -> DateTime<Utc> {
    let delay = backoff(interval(frequency, cap), failures);
    attempted + chrono::Duration::from_std(delay).expect("delay fits")
}

/// Whether a connection scheduled for `next` is due at `now` (never scheduled: at once).
pub fn is_due(next: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    next.is_none_or(|next| next <= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use chrono::Duration as Span;

    fn clock() -> ManualClock {
        ManualClock::new(DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap())
    }

    /// Advances `clock` a second at a time from `next - 2 s` and returns when it became due.
    fn due_at(clock: &ManualClock, next: DateTime<Utc>) -> DateTime<Utc> {
        clock.set(next - Span::seconds(2));
        while !is_due(Some(next), clock.now()) {
            clock.advance(Span::seconds(1));
        }
        clock.now()
    }

    #[test]
    fn each_frequency_is_due_exactly_that_long_after_the_last_attempt() {
        let clock = clock();
        let attempted = clock.now();
        for (frequency, minutes) in [
            (SyncFrequency::Minutes15, 15),
            (SyncFrequency::Minutes30, 30),
            (SyncFrequency::Hour1, 60),
            (SyncFrequency::Hours4, 240),
            (SyncFrequency::Daily, 1440),
        ] {
            let next = next_sync_at(attempted, frequency, None, 0);
            assert_eq!(next, attempted + Span::minutes(minutes), "{frequency:?}");
            assert!(!is_due(Some(next), attempted), "not due right after a sync");
            assert_eq!(due_at(&clock, next), attempted + Span::minutes(minutes));
        }
    }

    #[test]
    fn failures_back_off_from_the_connections_own_interval() {
        let clock = clock();
        let attempted = clock.now();
        let hourly = |failures| next_sync_at(attempted, SyncFrequency::Hour1, None, failures);
        assert_eq!(hourly(1), attempted + Span::hours(2));
        assert_eq!(hourly(2), attempted + Span::hours(4));
        assert_eq!(
            hourly(5),
            attempted + Span::hours(4),
            "capped at four hours"
        );
        // A daily connection is never retried sooner than daily.
        assert_eq!(
            next_sync_at(attempted, SyncFrequency::Daily, None, 3),
            attempted + Span::days(1)
        );
        assert_eq!(due_at(&clock, hourly(1)), attempted + Span::hours(2));
    }

    #[test]
    fn the_operators_interval_only_makes_syncs_sooner() {
        let attempted = clock().now();
        let minute = Some(Duration::from_secs(60));
        assert_eq!(
            next_sync_at(attempted, SyncFrequency::Daily, minute, 0),
            attempted + Span::minutes(1)
        );
        let hour = Some(Duration::from_secs(3600));
        assert_eq!(
            next_sync_at(attempted, SyncFrequency::Minutes15, hour, 0),
            attempted + Span::minutes(15)
        );
    }

    #[test]
    fn a_connection_never_scheduled_is_due_at_once() {
        assert!(is_due(None, clock().now()));
    }
}
