//! One UID's VEVENTs together: the master's instances, RECURRENCE-ID overrides in place of the
//! instances they replace (highest SEQUENCE wins; RANGE=THISANDFUTURE moves later ones), and
//! occurrence ids.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use super::error::EventError;
use super::event::{details, occurrence, span, Details};
use super::lexer::Component;
use super::recurrence::{expand, is_date};
use super::values::{instant, parse_value, prop_stamp, shift};
use super::zones::Zones;
use super::{EventOccurrence, EventTime};

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
