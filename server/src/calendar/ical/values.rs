//! DATE, DATE-TIME and DURATION values, and the small arithmetic on event times.
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::error::EventError;
use super::lexer::Prop;
use super::zones::{clean_tzid, local_to_utc, Zone, Zones};
use super::EventTime;

/// A DTSTART-like value: its instant (or date), and the zone name it was written in.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    pub time: EventTime,
    pub tz_name: Option<String>,
    /// The zone its series repeats in (None for UTC-less floating and all-day values).
    pub zone: Option<Zone>,
}

pub(crate) fn parse_value(
    value: &str,
    tzid: Option<&str>,
    is_date: bool,
    zones: &Zones,
) -> Result<Stamp, EventError> {
    let v = value.trim();
    if is_date || (v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit())) {
        // `get`, not slicing: a non-ASCII byte at position 8 must be an error, not a panic.
        let date = NaiveDate::parse_from_str(v.get(..8).unwrap_or(v), "%Y%m%d")
            .map_err(|_| EventError::InvalidDate(v.into()))?;
        return Ok(Stamp {
            time: EventTime::Date(date),
            tz_name: None,
            zone: None,
        });
    }
    if let Some(utc) = v.strip_suffix('Z') {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .map_err(|_| EventError::InvalidDateTime(v.into()))?;
        return Ok(Stamp {
            time: EventTime::DateTime(naive.and_utc()),
            tz_name: Some("UTC".into()),
            zone: Some(Zone::Named(Tz::UTC)),
        });
    }
    let naive = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
        .map_err(|_| EventError::InvalidDateTime(v.into()))?;
    // Floating times, and TZIDs nothing resolves (noted as a warning by `Zones`), are read in
    // the user's zone rather than dropping the event.
    let (zone, tz_name) = match tzid.and_then(|id| Some((zones.resolve(id)?, id))) {
        Some((Zone::Named(tz), _)) => (Zone::Named(tz), Some(tz.name().to_string())),
        Some((custom, id)) => (custom, Some(clean_tzid(id))),
        None => (Zone::Named(zones.default), None),
    };
    Ok(Stamp {
        time: EventTime::DateTime(local_to_utc(naive, &zone)),
        tz_name,
        zone: Some(zone),
    })
}

pub(crate) fn prop_stamp(prop: &Prop, zones: &Zones) -> Result<Stamp, EventError> {
    parse_value(
        &prop.value,
        prop.param("TZID"),
        prop.param("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("DATE")),
        zones,
    )
}

/// `P1D`, `PT1H30M`, `-PT15M`, `P2W`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let rest = rest.strip_prefix('P')?;
    let (mut total, mut number, mut in_time, mut any) =
        (Duration::zero(), String::new(), false, false);
    for c in rest.chars() {
        match c {
            'T' => in_time = true,
            '0'..='9' => number.push(c),
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                any = true;
                // Checked throughout: `P99999999999999W` must be None, not a panic.
                let part = match (unit, in_time) {
                    ('W', false) => Duration::try_weeks(n),
                    ('D', false) => Duration::try_days(n),
                    ('H', true) => Duration::try_hours(n),
                    ('M', true) => Duration::try_minutes(n),
                    ('S', true) => Duration::try_seconds(n),
                    _ => None,
                }?;
                total = total.checked_add(&part)?;
            }
        }
    }
    if !any || !number.is_empty() {
        return None;
    }
    total.checked_mul(sign)
}

/// The instant an event time stands for; all-day dates count from midnight UTC.
pub(crate) fn instant(t: &EventTime) -> DateTime<Utc> {
    match t {
        EventTime::DateTime(at) => *at,
        EventTime::Date(d) => d.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
    }
}

/// `t` moved by `by`; an error when that leaves chrono's range (e.g. `DURATION:P100000000D`).
pub(crate) fn shift(t: &EventTime, by: Duration) -> Result<EventTime, EventError> {
    let moved = match t {
        EventTime::DateTime(at) => at.checked_add_signed(by).map(EventTime::DateTime),
        EventTime::Date(d) => Duration::try_days(by.num_days())
            .and_then(|days| d.checked_add_signed(days))
            .map(EventTime::Date),
    };
    moved.ok_or(EventError::OutOfRange)
}
