//! Series expansion: RRULE/RDATE/EXDATE (via `rrule`) inside the window, starting near it
//! rather than at a DTSTART decades ago.
use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::error::EventError;
use super::lexer::{Component, Prop};
use super::values::{instant, parse_value, Stamp};
use super::zones::{local_to_utc, Zone, Zones};
use super::{EventTime, MAX_OCCURRENCES};

/// Occurrence starts of a recurring master within the window (widened by the event's length).
pub(crate) fn expand(
    master: &Component,
    start: &Stamp,
    length: Duration,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zones: &Zones,
    warnings: &mut Vec<EventError>,
) -> Result<Vec<EventTime>, EventError> {
    let all_day = matches!(start.time, EventTime::Date(_));
    // The series repeats in local wall time. For a VTIMEZONE of the object (which `rrule` cannot
    // know) it is expanded in that zone's wall times labelled UTC, then mapped back.
    let (tz, custom) = match (&start.zone, all_day) {
        (Some(Zone::Named(tz)), false) => (*tz, None),
        (Some(Zone::Custom(c)), false) => (Tz::UTC, Some(Zone::Custom(c.clone()))),
        _ => (Tz::UTC, None),
    };
    let rtz = rrule::Tz::Tz(tz);
    let to_space = |at: DateTime<Utc>| match &custom {
        Some(Zone::Custom(c)) => c.to_local(at).and_utc().with_timezone(&rtz),
        _ => at.with_timezone(&rtz),
    };
    let from_space = |d: DateTime<rrule::Tz>| match &custom {
        Some(zone) => local_to_utc(d.naive_utc(), zone),
        None => d.with_timezone(&Utc),
    };
    // Occurrences starting after this can overlap the window.
    let after = from
        .checked_sub_signed(length + Duration::seconds(1))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut rules: Vec<String> = master
        .all("RRULE")
        .filter(|rule| !rule.value.trim().is_empty()) // "RRULE:" alone: no rule
        .map(|rule| normalize_rrule(&rule.value, tz))
        .collect();
    // The RRULE grammar is ASCII only, and `rrule` slices rule parts by bytes: some non-ASCII
    // text makes it panic (`BYDAY=-1\u{4d802}U`, found by tests/fuzz.rs). Such a rule is broken
    // anyway; like any broken rule it keeps the event itself, with a warning.
    if rules.iter().any(|rule| !rule.is_ascii()) {
        warnings.push(EventError::InvalidRule(
            "characters outside ASCII in the rule".into(),
        ));
        rules.clear();
    }
    let local_start = to_space(instant(&start.time)).naive_local();
    let series_start = match rules.as_slice() {
        [rule] => jump(local_start, rule, to_space(after).naive_local(), tz),
        _ => local_start,
    };
    let mut lines = vec![format!(
        "DTSTART;TZID={}:{}",
        tz.name(),
        series_start.format("%Y%m%dT%H%M%S")
    )];
    lines.extend(rules.iter().map(|rule| format!("RRULE:{rule}")));
    let parsed = match rules.is_empty() {
        true => None,
        false => match lines.join("\n").parse::<rrule::RRuleSet>() {
            Ok(set) => Some(set),
            Err(e) => {
                // A broken rule keeps the event itself (DTSTART and RDATEs), with a warning.
                warnings.push(EventError::InvalidRule(e.to_string()));
                rules.clear();
                None
            }
        },
    };
    // DTSTART is the first instance even when the rule does not match it (RFC 5545 §3.8.5.3:
    // it "defines the first instance"); RDATEs add others.
    let dtstart = to_space(instant(&start.time));
    let mut set = parsed
        .unwrap_or_else(|| rrule::RRuleSet::new(dtstart))
        .rdate(dtstart);
    // A date-only EXDATE on a timed series removes that day's instance, as other readers do.
    let mut excluded_days = HashSet::new();
    for (name, exclude) in [("RDATE", false), ("EXDATE", true)] {
        for prop in master.all(name) {
            for value in prop.value.split(',').filter(|v| !v.trim().is_empty()) {
                let value = value.split('/').next().unwrap_or(value); // RDATE periods: keep the start
                if exclude && !all_day && is_date(prop, value) {
                    if let EventTime::Date(day) = parse_value(value, None, true, zones)?.time {
                        excluded_days.insert(day);
                    }
                    continue;
                }
                let stamp = parse_value(
                    value,
                    prop.param("TZID"),
                    all_day
                        || prop
                            .param("VALUE")
                            .is_some_and(|v| v.eq_ignore_ascii_case("DATE")),
                    zones,
                )?;
                let at = to_space(instant(&stamp.time));
                set = if exclude {
                    set.exdate(at)
                } else {
                    set.rdate(at)
                };
            }
        }
    }
    let mut out = Vec::new();
    let mut walked = 0usize;
    // `limit()` makes `rrule` give up on rules that never match instead of looping forever.
    for d in &set.limit() {
        let utc = from_space(d);
        if utc >= to {
            break;
        }
        if out.len() >= usize::from(MAX_OCCURRENCES) {
            warnings.push(EventError::TooManyOccurrences(MAX_OCCURRENCES));
            break;
        }
        if utc <= after {
            walked += 1;
            if walked > MAX_WALK {
                return Err(EventError::TooDense);
            }
            continue;
        }
        if excluded_days.contains(&d.date_naive()) {
            continue;
        }
        let t = if all_day {
            EventTime::Date(utc.date_naive())
        } else {
            EventTime::DateTime(utc)
        };
        // A recurrence set is a set: an RDATE on a rule's instance, or a repeated RRULE, does
        // not make a second occurrence (the dates come sorted).
        if out.last() != Some(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

pub(crate) fn is_date(prop: &Prop, value: &str) -> bool {
    prop.param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || value.trim().len() == 8
}

/// Occurrences before the window that may be stepped through (only series with COUNT, several
/// RRULEs or a month-end start must be walked from DTSTART; see [`jump`]).
const MAX_WALK: usize = 100_000;

/// A later DTSTART for the same series, close before `target`, so that expansion need not walk
/// from a DTSTART decades ago (`FREQ=MINUTELY` since 1970). Moves by whole periods of the rule,
/// which keeps every BYxxx part aligned; COUNT counts from the real DTSTART, so no jump then.
pub(crate) fn jump(
    start: NaiveDateTime,
    rule: &str,
    target: NaiveDateTime,
    tz: Tz,
) -> NaiveDateTime {
    let part = |name: &str| {
        rule.split(';').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_ascii_uppercase())
        })
    };
    // Sub-daily rules with BYxxx filters: `rrule` skips filtered spans in a way that depends on
    // where it started, so only a walk from DTSTART gives its instances (bounded by MAX_WALK).
    let sub_daily = matches!(
        part("FREQ").as_deref(),
        Some("SECONDLY" | "MINUTELY" | "HOURLY")
    );
    let filtered = rule
        .split(';')
        .any(|p| p.trim().to_ascii_uppercase().starts_with("BY"));
    if target <= start || part("COUNT").is_some() || (sub_daily && filtered) {
        return start;
    }
    let interval: i64 = part("INTERVAL")
        .and_then(|v| v.parse().ok())
        .filter(|&n| n >= 1)
        .unwrap_or(1);
    let seconds = |unit: i64| -> Option<(i64, i64)> {
        let period = unit.checked_mul(interval)?;
        Some(((target - start).num_seconds() / period, period))
    };
    let months = |unit: u32| -> Option<(i64, i64)> {
        // Day 29-31 does not exist in every month: `rrule` skips those, a moved start would not.
        if start.day() > 28 {
            return None;
        }
        let period = i64::from(unit).checked_mul(interval)?;
        let elapsed = (i64::from(target.year()) - i64::from(start.year())) * 12
            + i64::from(target.month())
            - i64::from(start.month());
        Some((elapsed / period, period))
    };
    let freq = part("FREQ").unwrap_or_default();
    let (steps, period, in_months) = match freq.as_str() {
        "SECONDLY" => seconds(1),
        "MINUTELY" => seconds(60),
        "HOURLY" => seconds(3600),
        "DAILY" => seconds(86_400),
        "WEEKLY" => seconds(7 * 86_400),
        "MONTHLY" => months(1),
        "YEARLY" => months(12),
        _ => None,
    }
    .map_or((0, 0, false), |(n, p)| {
        (n, p, matches!(freq.as_str(), "MONTHLY" | "YEARLY"))
    });
    // One period of margin; then back off further while the moved start falls in a DST gap
    // or overlap, where `rrule` would shift the series' wall time.
    for k in (1..steps).rev().take(3) {
        let moved = if in_months {
            u32::try_from(k * period)
                .ok()
                .and_then(|m| start.checked_add_months(chrono::Months::new(m)))
        } else {
            k.checked_mul(period)
                .and_then(Duration::try_seconds)
                .and_then(|d| start.checked_add_signed(d))
        };
        if let Some(moved) = moved.filter(|m| tz.from_local_datetime(m).single().is_some()) {
            return moved;
        }
    }
    start
}

/// `rrule` wants UNTIL in the same form as DTSTART: a date-only UNTIL becomes end of day.
pub(crate) fn normalize_rrule(rule: &str, tz: Tz) -> String {
    rule.split(';')
        .map(|part| match part.split_once('=') {
            Some((k, v)) if k.eq_ignore_ascii_case("UNTIL") => {
                let v = v.trim();
                let until = if v.len() == 8 {
                    NaiveDate::parse_from_str(v, "%Y%m%d")
                        .ok()
                        .and_then(|d| d.and_hms_opt(23, 59, 59))
                        .map(|n| local_to_utc(n, &Zone::Named(tz)))
                } else if let Some(u) = v.strip_suffix('Z') {
                    NaiveDateTime::parse_from_str(u, "%Y%m%dT%H%M%S")
                        .ok()
                        .map(|n| n.and_utc())
                } else {
                    NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
                        .ok()
                        .map(|n| local_to_utc(n, &Zone::Named(tz)))
                };
                match until {
                    Some(u) => format!("UNTIL={}", u.format("%Y%m%dT%H%M%SZ")),
                    None => part.to_string(),
                }
            }
            // COUNT=-1 (seen in the wild) means "no count", as other readers take it.
            Some((k, v)) if k.eq_ignore_ascii_case("COUNT") => match v.trim().parse::<u32>() {
                Ok(n) if n > 0 => part.to_string(),
                _ => String::new(),
            },
            _ => part.to_string(),
        })
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(";")
}
