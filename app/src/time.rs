//! Showing instants in the user's time zone.
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

pub fn parse_tz(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

pub fn format_datetime(at: DateTime<Utc>, tz: &str) -> String {
    at.with_timezone(&parse_tz(tz)).format("%a %-d %b %Y, %H:%M").to_string()
}

pub fn format_date(at: DateTime<Utc>, tz: &str) -> String {
    at.with_timezone(&parse_tz(tz)).format("%-d %b %Y").to_string()
}

/// The value an `<input type="datetime-local">` shows for an instant.
pub fn to_local_input(at: DateTime<Utc>, tz: &str) -> String {
    at.with_timezone(&parse_tz(tz)).format("%Y-%m-%dT%H:%M").to_string()
}

/// Reads a `datetime-local` value as a wall-clock time in `tz`. In a DST gap the later
/// reading is taken; in an overlap, the earlier.
pub fn from_local_input(value: &str, tz: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    let zone = parse_tz(tz);
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(naive + chrono::Duration::hours(1))).earliest())
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_input_round_trips_in_the_users_zone() {
        let at = from_local_input("2026-03-01T09:30", "Europe/Amsterdam").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-03-01T08:30:00+00:00");
        assert_eq!(to_local_input(at, "Europe/Amsterdam"), "2026-03-01T09:30");
    }

    #[test]
    fn dst_gap_moves_forward() {
        // 02:30 does not exist on 29 March 2026 in Amsterdam.
        let at = from_local_input("2026-03-29T02:30", "Europe/Amsterdam").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-03-29T01:30:00+00:00");
    }

    #[test]
    fn unknown_zone_falls_back_to_utc_and_garbage_is_rejected() {
        assert_eq!(format_datetime(from_local_input("2026-01-02T03:04", "Nowhere/City").unwrap(), "UTC"), "Fri 2 Jan 2026, 03:04");
        assert!(from_local_input("yesterday", "UTC").is_none());
    }
}
