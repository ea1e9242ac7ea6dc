//! Recurring events: RRULE/RDATE/EXDATE expansion (via `rrule`) inside the window, RECURRENCE-ID
//! overrides, and occurrence ids.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::error::EventError;
use super::event::{details, occurrence, span, Details};
use super::lexer::{Component, Prop};
use super::values::{instant, parse_value, prop_stamp, shift, Stamp};
use super::zones::{local_to_utc, Zone, Zones};
use super::{EventOccurrence, EventTime, MAX_OCCURRENCES};

/// The id of an occurrence: its original start in UTC (or its date for all-day series).
/// Same format as `model::When::occurrence_id`, which stored events are keyed by.
pub(crate) fn occurrence_id(t: &EventTime) -> String {
    match t {
        EventTime::DateTime(at) => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        EventTime::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

fn overlaps(start: &EventTime, end: &EventTime, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    let (s, e) = (instant(start), instant(end));
    // Zero-length events count when they start inside the window.
    s < to && (e > from || (e == s && s >= from))
}

/// Occurrence starts of a recurring master within the window (widened by the event's length).
fn expand(
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
        if utc >= to || out.len() >= usize::from(MAX_OCCURRENCES) {
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

fn is_date(prop: &Prop, value: &str) -> bool {
    prop.param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || value.trim().len() == 8
}

/// The instances a master's EXDATEs remove: their ids, and the days of date-only ones.
fn exclusions(master: &Component, zones: &Zones) -> HashSet<String> {
    master
        .all("EXDATE")
        .flat_map(|p| p.value.split(',').map(move |v| (p, v)))
        .filter_map(|(p, v)| {
            let date = is_date(p, v);
            let stamp = match date {
                true => parse_value(v, None, true, zones),
                false => parse_value(v, p.param("TZID"), false, zones),
            };
            stamp.ok().map(|s| occurrence_id(&s.time))
        })
        .collect()
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
    if target <= start || part("COUNT").is_some() {
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

/// All occurrences in the window of the VEVENTs sharing one UID: the master (expanded if it
/// recurs) with its RECURRENCE-ID overrides in place of the instances they replace.
pub(crate) fn events_of_uid(
    uid: &str,
    vevents: &[&Component],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zones: &Zones,
    warnings: &mut Vec<EventError>,
) -> Result<Vec<EventOccurrence>, EventError> {
    let (overrides, masters): (Vec<&Component>, Vec<&Component>) = vevents
        .iter()
        .copied()
        .partition(|c| c.get("RECURRENCE-ID").is_some());
    // Several copies of one event: the highest SEQUENCE is the current one (ties: the last).
    let master = masters.into_iter().rev().max_by_key(|m| sequence(m));
    let master_span = master.map(|m| span(m, zones)).transpose()?;
    let all_day = matches!(master_span, Some((ref s, _)) if matches!(s.time, EventTime::Date(_)));
    let mut overridden: HashMap<String, (i64, &Component)> = HashMap::new();
    for o in overrides {
        let rid = o.get("RECURRENCE-ID").expect("partitioned");
        // An all-day series' instance is a date, even when the RECURRENCE-ID is written as
        // local midnight (`RECURRENCE-ID;TZID=Europe/Berlin:20260310T000000`).
        let rid = match all_day {
            true => parse_value(&rid.value, None, true, zones)?,
            false => prop_stamp(rid, zones)?,
        };
        let seq = sequence(o);
        match overridden.get(&occurrence_id(&rid.time)) {
            Some(&(kept, _)) if kept > seq => {}
            _ => {
                overridden.insert(occurrence_id(&rid.time), (seq, o));
            }
        }
    }
    let mut out = Vec::new();
    if let (Some(master), Some((start, end))) = (master, master_span) {
        let d = details(master, uid, zones);
        let length = instant(&end) - instant(&start.time);
        // A modified instance that the series has since deleted (EXDATE) is gone too; so is a
        // stale one (lower SEQUENCE than the series) for a date the series no longer has.
        let excluded = exclusions(master, zones);
        let rid_day = |o: &Component| {
            let rid = o.get("RECURRENCE-ID")?;
            Some(occurrence_id(
                &parse_value(&rid.value, None, true, zones).ok()?.time,
            ))
        };
        overridden.retain(|rid, (_, o)| {
            !excluded.contains(rid) && !rid_day(o).is_some_and(|day| excluded.contains(&day))
        });
        if master.get("RRULE").is_some() || master.get("RDATE").is_some() {
            let instances = expand(master, &start, length, from, to, zones, warnings)?;
            let ids: HashSet<String> = instances.iter().map(occurrence_id).collect();
            let master_seq = sequence(master);
            overridden.retain(|rid, (seq, o)| {
                let in_window = prop_stamp(o.get("RECURRENCE-ID").expect("override"), zones)
                    .is_ok_and(|s| instant(&s.time) >= from && instant(&s.time) < to);
                *seq >= master_seq || ids.contains(rid) || !in_window
            });
            let futures = this_and_future(uid, &overridden, zones)?;
            for s in instances {
                let id = occurrence_id(&s);
                if overridden.contains_key(&id) {
                    continue;
                }
                // After a RANGE=THISANDFUTURE change, later instances move and look like it.
                let (s, e, d, tz) = match futures.iter().rev().find(|f| f.rid < instant(&s)) {
                    Some(f) => {
                        let moved = shift(&s, f.delta)?;
                        let e = shift(&moved, f.length)?;
                        (moved, e, &f.details, f.tz_name.clone())
                    }
                    None => (s.clone(), shift(&s, length)?, &d, start.tz_name.clone()),
                };
                if overlaps(&s, &e, from, to) {
                    out.push(occurrence(d, s, e, tz, Some(id), d.status));
                }
            }
        } else if !overridden.contains_key(&occurrence_id(&start.time))
            && overlaps(&start.time, &end, from, to)
        {
            // (A single event's own RECURRENCE-ID copy replaces it, as a series' instance.)
            out.push(occurrence(
                &d,
                start.time.clone(),
                end,
                start.tz_name.clone(),
                None,
                d.status,
            ));
        }
    }
    for (rid, (_, o)) in overridden {
        let (start, end) = span(o, zones)?;
        let d = details(o, uid, zones);
        if overlaps(&start.time, &end, from, to) {
            out.push(occurrence(
                &d,
                start.time,
                end,
                start.tz_name,
                Some(rid),
                d.status,
            ));
        }
    }
    Ok(out)
}

/// A `RECURRENCE-ID;RANGE=THISANDFUTURE` override: from its instance on, the series moves by
/// `delta`, lasts `length` and carries its details (RFC 5545 §3.8.4.4).
struct Future {
    rid: DateTime<Utc>,
    delta: Duration,
    length: Duration,
    details: Details,
    tz_name: Option<String>,
}

/// The THISANDFUTURE overrides, sorted by the instance they start at.
fn this_and_future(
    uid: &str,
    overridden: &HashMap<String, (i64, &Component)>,
    zones: &Zones,
) -> Result<Vec<Future>, EventError> {
    let mut out = Vec::new();
    for (_, o) in overridden.values() {
        let rid = o.get("RECURRENCE-ID").expect("override");
        if !rid
            .param("RANGE")
            .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE"))
        {
            continue;
        }
        let rid = instant(&prop_stamp(rid, zones)?.time);
        let (start, end) = span(o, zones)?;
        out.push(Future {
            rid,
            delta: instant(&start.time) - rid,
            length: instant(&end) - instant(&start.time),
            details: details(o, uid, zones),
            tz_name: start.tz_name,
        });
    }
    out.sort_by_key(|f| f.rid);
    Ok(out)
}

fn sequence(event: &Component) -> i64 {
    event
        .get("SEQUENCE")
        .and_then(|p| p.value.trim().parse().ok())
        .unwrap_or(0)
}
