//! When a connection is synced next: the interval after a success, doubling with each failure
//! in a row, capped at four hours (but never shorter than the interval).
use std::time::Duration;

/// Failures back off exponentially from the interval, up to this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(4 * 60 * 60);

pub fn backoff(interval: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return interval;
    }
    let factor = 2u32.saturating_pow(failures.min(16));
    interval
        .saturating_mul(factor)
        .min(MAX_BACKOFF.max(interval))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_exponentially_up_to_a_cap() {
        let interval = Duration::from_secs(15 * 60);
        assert_eq!(backoff(interval, 0), interval);
        assert_eq!(backoff(interval, 1), Duration::from_secs(30 * 60));
        assert_eq!(backoff(interval, 3), Duration::from_secs(120 * 60));
        assert_eq!(backoff(interval, 5), MAX_BACKOFF);
        assert_eq!(backoff(interval, 40), MAX_BACKOFF);
        assert_eq!(
            backoff(Duration::from_secs(6 * 3600), 2),
            Duration::from_secs(6 * 3600),
            "never shorter than the interval"
        );
    }
}
