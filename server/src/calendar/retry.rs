//! Retrying HTTP requests to calendar providers (CalDAV servers and Google alike): exponential
//! backoff with jitter, or the server's `Retry-After` when it sends one, a bounded number of
//! times.
use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A longer `Retry-After` is cut to this, so one sync never stalls for long.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(32),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// What one attempt came to.
pub enum Attempt<T, E> {
    Done(T),
    /// Failed for good (retrying cannot help).
    Fail(E),
    /// Failed for now, with the server's `Retry-After` if it sent one.
    Retry(E, Option<Duration>),
}

impl RetryPolicy {
    /// CalDAV servers: a short burst for transient 5xx answers.
    pub fn caldav() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(30),
        }
    }

    /// Runs `attempt` until it is done, fails for good, or the attempts are used up (the last
    /// error is returned). `what` names the provider in the log.
    pub async fn run<T, E, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T, E>
    where
        E: Display,
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<T, E>>,
    {
        let mut retry = 0;
        loop {
            match attempt().await {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry(error, _) if retry + 1 >= self.max_attempts => return Err(error),
                Attempt::Retry(error, retry_after) => {
                    let wait = self.delay(retry, retry_after);
                    tracing::info!(provider = what, error = %error, wait_ms = wait.as_millis() as u64, "retrying a request");
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
            }
        }
    }

    /// The wait before retry number `retry` (0 for the first retry).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        // "Equal jitter": half fixed, half random, so retries of many clients spread out.
        let half = ceiling / 2;
        half + half.mul_f64(rand::thread_rng().gen::<f64>())
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_stays_under_the_cap() {
        let p = RetryPolicy::default();
        for retry in 0..10 {
            let ceiling = (Duration::from_secs(1) * 2u32.pow(retry)).min(p.max_delay);
            for _ in 0..20 {
                let d = p.delay(retry, None);
                assert!(d >= ceiling / 2 && d <= ceiling, "retry {retry}: {d:?}");
            }
        }
    }

    #[test]
    fn retry_after_wins_but_is_bounded() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            p.delay(3, Some(Duration::from_secs(3600))),
            p.max_retry_after
        );
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_stop_at_success_a_final_error_or_the_limit() {
        let policy = RetryPolicy::caldav();
        let mut calls = 0;
        let result: Result<u32, String> = policy
            .run("test", || {
                calls += 1;
                let n = calls;
                async move {
                    if n < 2 {
                        Attempt::Retry("busy".to_string(), None)
                    } else {
                        Attempt::Done(n)
                    }
                }
            })
            .await;
        assert_eq!(result, Ok(2));
        let mut calls = 0;
        let result: Result<(), String> = policy
            .run("test", || {
                calls += 1;
                async { Attempt::Retry("down".to_string(), None) }
            })
            .await;
        assert_eq!((result, calls), (Err("down".into()), 3));
        let mut calls = 0;
        let result: Result<(), String> = policy
            .run("test", || {
                calls += 1;
                async { Attempt::Fail("refused".to_string()) }
            })
            .await;
        assert_eq!((result, calls), (Err("refused".into()), 1));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("12", now), Some(Duration::from_secs(12)));
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
