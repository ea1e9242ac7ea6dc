//! What one remote object may cost in the database. A recurring event repeats its description
//! and guest list on every stored occurrence, so a 100 KB series expanded a thousand times
//! would store 100 MB; past a budget the repeats are dropped, then the guest lists shortened.
use std::collections::HashSet;

use super::model::EventRecord;

/// The most the occurrences of one object may store, in bytes (estimated).
pub const MAX_STORED_BYTES_PER_OBJECT: usize = 2 * 1024 * 1024;
/// The longest iCalendar text kept per object to re-expand it later without refetching; larger
/// objects are fetched again when the window moves.
pub const MAX_KEPT_OBJECT_BYTES: usize = 512 * 1024;
/// Guests kept per occurrence once an object is over budget, tried in turn until it fits
/// (yourself always stays).
const GUEST_LIMITS: [usize; 4] = [100, 50, 20, 10];

/// Keeps at most `limit` guests, yourself among them if you were.
fn cut_guests(e: &mut EventRecord, limit: usize) {
    if e.attendees.len() <= limit {
        return;
    }
    let own: Vec<_> = e.attendees.iter().filter(|a| a.is_self).cloned().collect();
    e.attendees.retain(|a| !a.is_self);
    e.attendees.truncate(limit.saturating_sub(own.len()));
    e.attendees.extend(own);
}

/// What storing `e` costs, roughly: its text and its guests.
fn stored_size(e: &EventRecord) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let guest = |a: &super::model::AttendeeRecord| 64 + a.email.len() + text(&a.name);
    256 + e.uid.len()
        + e.title.len()
        + text(&e.description)
        + text(&e.location)
        + text(&e.meeting_url)
        + e.organizer.as_ref().map_or(0, guest)
        + e.attendees.iter().map(guest).sum::<usize>()
}

/// What storing `e` costs the embedded engine within a transaction, estimated from its stored
/// size: the record and its index entries, each versioned in the memtable. Measured: an
/// occurrence of ~840 bytes as JSON took ~5 KB (8 MiB held 1,500 such in one transaction, not
/// 2,000; 64 MiB 8,000, not 16,000); this estimate is 6.9 KB for it.
pub fn write_cost(e: &EventRecord) -> usize {
    4 * stored_size(e) + 4096
}

/// What storing one object costs a transaction: its occurrences and its kept iCalendar text.
pub fn object_cost(events: &[EventRecord], data: Option<&str>) -> usize {
    4096 + 2 * data.map_or(0, str::len) + events.iter().map(write_cost).sum::<usize>()
}

/// Splits items of the given `costs` into consecutive runs each within `limit` (an item over
/// it alone), for one transaction per run.
pub fn runs(costs: &[usize], limit: usize) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, cost) in costs.iter().enumerate() {
        if i > start && used + cost > limit {
            runs.push(start..i);
            (start, used) = (i, 0);
        }
        used += cost;
    }
    if start < costs.len() {
        runs.push(start..costs.len());
    }
    runs
}

fn total(events: &[EventRecord]) -> usize {
    events.iter().map(stored_size).sum()
}

/// Brings `events` (one object's occurrences) within `budget`, and says what was dropped.
/// First a description repeated by an earlier occurrence goes (the first keeps it), then guest
/// lists are cut (100, 50, 20, then 10 per occurrence), then every description goes. The
/// occurrences themselves all stay (their number is capped by the parser).
pub fn fit(events: &mut [EventRecord], budget: usize) -> Option<String> {
    let before = total(events);
    if before <= budget {
        return None;
    }
    let mut seen = HashSet::new();
    for e in events.iter_mut() {
        if let Some(d) = &e.description {
            if !seen.insert(d.clone()) {
                e.description = None;
            }
        }
    }
    let mut kept_guests = None;
    for limit in GUEST_LIMITS {
        if total(events) <= budget {
            break;
        }
        kept_guests = Some(limit);
        for e in events.iter_mut() {
            cut_guests(e, limit);
        }
    }
    let mut no_descriptions = false;
    if total(events) > budget {
        no_descriptions = true;
        for e in events.iter_mut() {
            e.description = None;
        }
    }
    let mb = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);
    Some(format!(
        "{} occurrences would store {:.1} MB (limit {:.0} MB): {}",
        events.len(),
        mb(before),
        mb(budget),
        match (kept_guests, no_descriptions) {
            (None, false) => "the description is kept once, not on every occurrence".to_string(),
            (Some(n), false) =>
                format!("the description is kept once and at most {n} guests per occurrence"),
            (None, true) => "descriptions are left out".to_string(),
            (Some(n), true) =>
                format!("descriptions are left out and at most {n} guests kept per occurrence"),
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::model::{AttendeeRecord, When};
    use app::models::EventStatus;
    use chrono::{Duration, TimeZone, Utc};

    fn guest(i: usize, is_self: bool) -> AttendeeRecord {
        AttendeeRecord {
            email: format!("guest{i}@example.org"),
            name: Some(format!("Guest {i}")),
            response: None,
            role: None,
            is_resource: false,
            is_self,
        }
    }

    fn series(occurrences: usize, description: usize, guests: usize) -> Vec<EventRecord> {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        (0..occurrences)
            .map(|i| EventRecord {
                uid: "series".into(),
                recurrence_id: Some(i.to_string()),
                title: "Standup".into(),
                description: Some("x".repeat(description)),
                location: None,
                start: When::At(start + Duration::days(i as i64)),
                end: When::At(start + Duration::days(i as i64) + Duration::hours(1)),
                time_zone: None,
                status: EventStatus::Confirmed,
                organizer: None,
                attendees: (0..guests).map(|g| guest(g, g == guests - 1)).collect(),
                meeting_url: None,
                last_modified: None,
                out_of_office: false,
                web_url: None,
            })
            .collect()
    }

    #[test]
    fn writes_are_split_into_runs_within_the_limit() {
        assert_eq!(runs(&[], 10), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(runs(&[3, 3, 3], 10), vec![0..3]);
        assert_eq!(runs(&[4, 4, 4, 4], 10), vec![0..2, 2..4]);
        assert_eq!(
            runs(&[2, 30, 2, 2], 10),
            vec![0..1, 1..2, 2..4],
            "one over it goes alone"
        );
        assert_eq!(runs(&[10, 10], 10), vec![0..1, 1..2]);
    }

    #[test]
    fn small_objects_are_untouched() {
        let mut events = series(10, 1000, 5);
        let before = events.clone();
        assert_eq!(fit(&mut events, MAX_STORED_BYTES_PER_OBJECT), None);
        assert_eq!(events, before);
    }

    #[test]
    fn a_long_description_on_a_thousand_occurrences_is_stored_once() {
        let mut events = series(1000, 100_000, 3);
        let warning = fit(&mut events, MAX_STORED_BYTES_PER_OBJECT).unwrap();
        assert!(warning.contains("kept once"), "{warning}");
        assert!(total(&events) <= MAX_STORED_BYTES_PER_OBJECT);
        assert_eq!(
            events[0].description.as_ref().map(String::len),
            Some(100_000)
        );
        assert!(events[1..].iter().all(|e| e.description.is_none()));
        assert!(events.iter().all(|e| e.attendees.len() == 3), "guests kept");
    }

    #[test]
    fn huge_guest_lists_are_cut_but_you_stay() {
        let mut events = series(500, 10, 1000);
        let warning = fit(&mut events, MAX_STORED_BYTES_PER_OBJECT).unwrap();
        assert!(warning.contains("guests"), "{warning}");
        assert!(total(&events) <= MAX_STORED_BYTES_PER_OBJECT);
        let kept = events[0].attendees.len();
        assert!((10..=100).contains(&kept), "{kept}");
        for e in &events {
            assert_eq!(e.attendees.len(), kept);
            assert!(e.attendees.iter().any(|a| a.is_self), "yourself is kept");
        }
        assert_eq!(events.len(), 500, "no occurrence is dropped");
    }

    #[test]
    fn distinct_descriptions_go_when_nothing_else_fits() {
        let mut events = series(300, 0, 1);
        for (i, e) in events.iter_mut().enumerate() {
            e.description = Some(format!("{i}{}", "y".repeat(20_000)));
        }
        let warning = fit(&mut events, MAX_STORED_BYTES_PER_OBJECT).unwrap();
        assert!(warning.contains("left out"), "{warning}");
        assert!(events.iter().all(|e| e.description.is_none()));
        assert!(total(&events) <= MAX_STORED_BYTES_PER_OBJECT);
    }
}
