//! A Google sync token together with the window its first listing covered. Changes since the
//! token include only events that changed, so an unchanged meeting that enters a rolling window
//! later (e.g. next month's occurrence of a weekly series) would never arrive: once the window
//! has moved past what was listed, the cursor is dropped and a full listing runs again.
use chrono::{DateTime, Duration, TimeZone, Utc};

/// How far the window's end may move past the listed range before a full listing (once a day).
const SLACK: Duration = Duration::days(1);

#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub token: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!(
            "{}|{}|{}",
            self.from.timestamp(),
            self.to.timestamp(),
            self.token
        )
    }

    /// `None` for anything unreadable, which simply means a full listing.
    pub fn decode(stored: &str) -> Option<Cursor> {
        let mut parts = stored.splitn(3, '|');
        let from = Utc.timestamp_opt(parts.next()?.parse().ok()?, 0).single()?;
        let to = Utc.timestamp_opt(parts.next()?.parse().ok()?, 0).single()?;
        let token = parts.next().filter(|t| !t.is_empty())?.to_string();
        Some(Cursor { from, to, token })
    }

    /// Whether changes since this token still describe `window` completely.
    pub fn covers(&self, window: (DateTime<Utc>, DateTime<Utc>)) -> bool {
        window.0 >= self.from && window.1 <= self.to + SLACK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap()
    }

    #[test]
    fn round_trips_tokens_with_any_characters() {
        let c = Cursor {
            from: t(1),
            to: t(20),
            token: "CPDAlvWDx70CEPDAlvWDx70CGAU|=".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("legacy-token-without-window"), None);
        assert_eq!(Cursor::decode("1|2|"), None);
    }

    #[test]
    fn a_window_that_moved_past_the_listing_needs_a_full_listing() {
        let c = Cursor {
            from: t(1),
            to: t(20),
            token: "x".into(),
        };
        assert!(c.covers((t(1), t(20))));
        assert!(c.covers((t(2), t(21))), "a day of slack");
        assert!(!c.covers((t(3), t(22))), "two days later: list again");
        assert!(
            !c.covers((t(1) - Duration::days(30), t(20))),
            "more days back than listed"
        );
    }
}
