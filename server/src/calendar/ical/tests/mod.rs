//! Tests of the iCalendar module, by layer; `corpus` runs the vendored real-world files.
use chrono::TimeZone;

pub(super) use super::overrides::occurrence_id;
pub(super) use super::*;

mod corpus;
mod events;
mod fuzz;
mod hostile;
mod recurrence;
mod zones;

pub(super) fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

pub(super) fn parse(text: &str) -> ParseOutcome {
    parse_calendar(
        text,
        utc(2026, 1, 1, 0, 0),
        utc(2027, 1, 1, 0, 0),
        Tz::Europe__Lisbon,
    )
    .unwrap()
}

pub(super) fn cal(body: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{}\r\nEND:VCALENDAR\r\n",
        body.trim().replace('\n', "\r\n")
    )
}
