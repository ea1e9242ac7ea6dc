//! Showing instants in the user's time zone.
mod zone;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
pub use zone::Zone;

/// The zone named `name` with chrono-tz's tables (the server's); unknown names read as UTC.
#[cfg(not(target_arch = "wasm32"))]
pub fn parse_tz(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(chrono_tz::Tz::UTC)
}

pub fn format_datetime(at: DateTime<Utc>, tz: &str) -> String {
    Zone::named(tz)
        .local(at)
        .format("%a %-d %b %Y, %H:%M")
        .to_string()
}

/// The value an `<input type="datetime-local">` shows for an instant.
pub fn to_local_input(at: DateTime<Utc>, tz: &str) -> String {
    Zone::named(tz)
        .local(at)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Reads a `datetime-local` value as a wall-clock time in `tz`. In a DST gap the later
/// reading is taken; in an overlap, the earlier.
pub fn from_local_input(value: &str, tz: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    Some(Zone::named(tz).to_utc(naive))
}

/// A wall-clock time in `zone` as an instant: in a DST gap the later reading (the clock had
/// already jumped), in an overlap the earlier one. The one rule for every local time.
pub fn local_to_utc<Z: TimeZone>(naive: NaiveDateTime, zone: Z) -> DateTime<Utc> {
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            let later = naive.checked_add_signed(chrono::Duration::hours(1))?;
            zone.from_local_datetime(&later).earliest()
        })
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| naive.and_utc())
}

/// Midnight at the start of `day` in `tz`, as an instant.
#[cfg(not(target_arch = "wasm32"))]
pub fn day_start(day: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    local_to_utc(day.and_hms_opt(0, 0, 0).expect("midnight"), tz)
}

/// Whether an event has ended at `now` for a user in `zone`: a timed one at its end instant, an
/// all-day one (ending before `end_date`, iCalendar's exclusive DTEND) at the user's midnight
/// starting that date, not at UTC midnight.
pub fn has_ended(
    ends_at: DateTime<Utc>,
    all_day_end: Option<NaiveDate>,
    now: DateTime<Utc>,
    zone: &Zone,
) -> bool {
    match all_day_end {
        Some(end) => zone.date(now) >= end,
        None => ends_at <= now,
    }
}

/// "30 min", "1 h", "1 h 30 min".
pub fn format_duration(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// When a meeting happens, in the user's zone: "Tue 3 Dec 2026, 10:00–11:00 · 1 h";
/// all-day ones by their dates, never shifted by time zones.
pub fn format_meeting_when(meeting: &crate::models::Meeting, tz: &str) -> String {
    if meeting.all_day {
        let first = meeting
            .start_date
            .unwrap_or_else(|| meeting.starts_at.date_naive());
        let last = meeting
            .end_date
            .and_then(|d| d.pred_opt())
            .filter(|d| *d > first);
        return match last {
            None => format!("All day · {}", first.format("%a %-d %b %Y")),
            Some(last) => format!(
                "All day · {} – {}",
                first.format("%a %-d %b"),
                last.format("%a %-d %b %Y")
            ),
        };
    }
    let zone = Zone::named(tz);
    let (start, end) = (zone.local(meeting.starts_at), zone.local(meeting.ends_at));
    let duration = format_duration((meeting.ends_at - meeting.starts_at).num_minutes().max(0));
    if start.date() == end.date() || end == start {
        format!(
            "{}–{} · {duration}",
            start.format("%a %-d %b %Y, %H:%M"),
            end.format("%H:%M")
        )
    } else {
        format!(
            "{} – {} · {duration}",
            start.format("%a %-d %b, %H:%M"),
            end.format("%a %-d %b %Y, %H:%M")
        )
    }
}

/// "last met 12 days ago · usually every 7 days · next: Thu", or `None` when there is nothing
/// to say. Days are counted in the user's time zone.
pub fn format_cadence(
    cadence: &crate::models::Cadence,
    now: DateTime<Utc>,
    tz: &str,
) -> Option<String> {
    let zone = Zone::named(tz);
    let today = zone.date(now);
    let day = |at: DateTime<Utc>| zone.date(at);
    let mut parts = Vec::new();
    if let Some(last) = cadence.last_met {
        parts.push(match (today - day(last)).num_days() {
            ..=0 => "last met today".to_string(),
            1 => "last met yesterday".to_string(),
            n @ 2..=59 => format!("last met {n} days ago"),
            n => format!("last met {} months ago", n / 30),
        });
    }
    match cadence.usual_days {
        Some(0 | 1) => parts.push("usually every day".to_string()),
        Some(n) => parts.push(format!("usually every {n} days")),
        None => {}
    }
    if let Some(next) = cadence.next {
        let next_day = day(next);
        parts.push(match (next_day - today).num_days() {
            ..=0 => "next: today".to_string(),
            1 => "next: tomorrow".to_string(),
            2..=6 => format!("next: {}", next_day.format("%a")),
            _ => format!("next: {}", next_day.format("%a %-d %b")),
        });
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// "5 minutes ago": a past moment from now (last sync, last contact).
pub fn ago(at: chrono::DateTime<Utc>) -> String {
    let secs = (Utc::now() - at).num_seconds().max(0);
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => plural(secs / 60, "minute"),
        3600..=86_399 => plural(secs / 3600, "hour"),
        _ => plural(secs / 86_400, "day"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// Just the clock times, for the dashboard's list of today.
pub fn format_meeting_times(meeting: &crate::models::Meeting, tz: &str) -> String {
    if meeting.all_day {
        return "All day".into();
    }
    let zone = Zone::named(tz);
    format!(
        "{}–{}",
        zone.local(meeting.starts_at).format("%H:%M"),
        zone.local(meeting.ends_at).format("%H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Cadence;

    #[test]
    fn cadence_reads_as_a_sentence_in_the_users_days() {
        // Thu 3 Dec 2026, 10:00 UTC.
        let now: DateTime<Utc> = "2026-12-03T10:00:00Z".parse().unwrap();
        let cadence = Cadence {
            last_met: Some("2026-11-21T09:00:00Z".parse().unwrap()),
            usual_days: Some(7),
            next: Some("2026-12-10T09:00:00Z".parse().unwrap()),
        };
        assert_eq!(
            format_cadence(&cadence, now, "UTC").unwrap(),
            "last met 12 days ago · usually every 7 days · next: Thu 10 Dec"
        );
        let soon = Cadence {
            last_met: Some("2026-12-02T23:30:00Z".parse().unwrap()),
            usual_days: Some(1),
            next: Some("2026-12-05T09:00:00Z".parse().unwrap()),
        };
        assert_eq!(
            format_cadence(&soon, now, "UTC").unwrap(),
            "last met yesterday · usually every day · next: Sat"
        );
        // 23:30 UTC on the 2nd is already the 3rd in Berlin.
        assert_eq!(
            format_cadence(&soon, now, "Europe/Berlin").unwrap(),
            "last met today · usually every day · next: Sat"
        );
        let long_ago = Cadence {
            last_met: Some("2026-06-01T09:00:00Z".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(
            format_cadence(&long_ago, now, "UTC").unwrap(),
            "last met 6 months ago"
        );
        assert_eq!(format_cadence(&Cadence::default(), now, "UTC"), None);
    }

    fn meeting(start: &str, end: &str, all_day: bool) -> crate::models::Meeting {
        crate::models::Meeting {
            id: "m".into(),
            title: "t".into(),
            starts_at: start.parse().unwrap(),
            ends_at: end.parse().unwrap(),
            all_day,
            start_date: all_day.then(|| start[..10].parse().unwrap()),
            end_date: all_day.then(|| end[..10].parse().unwrap()),
            location: None,
            meeting_url: None,
            cancelled: false,
            calendar_name: String::new(),
            calendar_color: None,
            attendees: vec![],
            logged_activity: None,
            my_response: None,
            out_of_office: false,
        }
    }

    #[test]
    fn meeting_times_in_the_users_zone_with_duration() {
        let m = meeting("2026-12-01T09:00:00Z", "2026-12-01T10:30:00Z", false);
        assert_eq!(
            format_meeting_when(&m, "Europe/Amsterdam"),
            "Tue 1 Dec 2026, 10:00–11:30 · 1 h 30 min"
        );
        assert_eq!(format_meeting_times(&m, "America/New_York"), "04:00–05:30");
        let overnight = meeting("2026-12-01T23:00:00Z", "2026-12-02T07:00:00Z", false);
        assert_eq!(
            format_meeting_when(&overnight, "UTC"),
            "Tue 1 Dec, 23:00 – Wed 2 Dec 2026, 07:00 · 8 h"
        );
    }

    #[test]
    fn all_day_meetings_keep_their_dates_in_every_zone() {
        let one = meeting("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", true);
        assert_eq!(
            format_meeting_when(&one, "America/Los_Angeles"),
            "All day · Tue 1 Dec 2026"
        );
        let three = meeting("2026-12-01T00:00:00Z", "2026-12-04T00:00:00Z", true);
        assert_eq!(
            format_meeting_when(&three, "Asia/Tokyo"),
            "All day · Tue 1 Dec – Thu 3 Dec 2026"
        );
        assert_eq!(format_duration(45), "45 min");
    }

    #[test]
    fn all_day_meetings_end_at_the_users_midnight() {
        let one = meeting("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", true);
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 01:00 UTC on the 2nd is still the afternoon of the 1st in Los Angeles.
        assert!(!one.has_ended(at("2026-12-02T01:00:00Z"), "America/Los_Angeles"));
        assert!(one.has_ended(at("2026-12-02T08:00:00Z"), "America/Los_Angeles"));
        // In Kiritimati (UTC+14) the 2nd began at 10:00 UTC on the 1st.
        assert!(!one.has_ended(at("2026-12-01T09:59:00Z"), "Pacific/Kiritimati"));
        assert!(one.has_ended(at("2026-12-01T10:00:00Z"), "Pacific/Kiritimati"));
        assert!(one.has_ended(at("2026-12-02T00:00:00Z"), "UTC"));
        let timed = meeting("2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", false);
        assert!(!timed.has_ended(at("2026-12-01T09:59:00Z"), "Pacific/Kiritimati"));
        assert!(timed.has_ended(at("2026-12-01T10:00:00Z"), "America/Los_Angeles"));
    }

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
        assert_eq!(
            format_datetime(
                from_local_input("2026-01-02T03:04", "Nowhere/City").unwrap(),
                "UTC"
            ),
            "Fri 2 Jan 2026, 03:04"
        );
        assert!(from_local_input("yesterday", "UTC").is_none());
    }
}
