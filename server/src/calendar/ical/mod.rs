//! iCalendar (RFC 5545) as found in the wild, turned into event occurrences inside a window:
//! folding, escaping, TZID (VTIMEZONE, IANA or Windows names), UTC, floating and all-day values,
//! DURATION, RRULE/RDATE/EXDATE expansion (via `rrule`) and RECURRENCE-ID overrides. A broken
//! VEVENT becomes a warning; the rest of the calendar is still read.
//!
//! Layers, bottom up: `lexer` (content lines → component tree), `zones` (TZID → offset, with
//! `windows_zones`), `values` (dates, durations), `event` (one VEVENT's fields), `recurrence`
//! (series expansion), `overrides` (one UID's VEVENTs together), `links` (video-call URLs).
//! This file holds the public types and the orchestration; `error` the typed errors.
//! The module depends only on chrono, chrono-tz, rrule, serde and thiserror.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

mod error;
mod event;
mod lexer;
mod links;
mod overrides;
mod recurrence;
mod values;
mod windows_zones;
mod zones;

pub use error::IcalError;
pub use links::extract_meeting_url;
pub use values::parse_duration;

use error::EventError;
use lexer::{parse_components, Component};
use overrides::events_of_uid;
use values::instant;
use zones::Zones;

/// Most occurrences of one series returned inside the window, so a runaway rule cannot exhaust
/// the server: a daily series fills 54 years, an hourly one 2 (the sync window is at most 20).
/// Counted inside the window only: expansion starts near the window, not at DTSTART.
pub const MAX_OCCURRENCES: u16 = 20_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventTime {
    DateTime(DateTime<Utc>),
    Date(NaiveDate),
}

/// STATUS, shared with the rest of Rondo (unknown values read as confirmed).
pub use app::models::EventStatus;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attendee {
    pub email: String,
    pub name: Option<String>,
    /// Uppercase, e.g. ACCEPTED.
    pub partstat: Option<String>,
    pub role: Option<String>,
    /// INDIVIDUAL, ROOM, RESOURCE, …
    pub cutype: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventOccurrence {
    pub uid: String,
    pub recurrence_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub start: EventTime,
    pub end: EventTime,
    pub all_day: bool,
    pub time_zone: Option<String>,
    pub status: EventStatus,
    pub organizer: Option<Attendee>,
    pub attendees: Vec<Attendee>,
    pub meeting_url: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParseWarning {
    pub uid: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParseOutcome {
    pub events: Vec<EventOccurrence>,
    pub warnings: Vec<ParseWarning>,
}

/// Parses a VCALENDAR and returns the occurrences overlapping `[from, to)`. Floating times are
/// read in `default_tz`.
pub fn parse_calendar(
    text: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    default_tz: Tz,
) -> Result<ParseOutcome, IcalError> {
    let calendar = parse_components(text)?;
    let zones = Zones::new(&calendar, default_tz);
    // Groups in first-seen order; the map keeps finding a UID's group O(1) for big feeds.
    let mut by_uid: Vec<(String, Vec<&Component>)> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    let mut outcome = ParseOutcome::default();
    for (i, event) in calendar
        .children
        .iter()
        .filter(|c| c.name == "VEVENT")
        .enumerate()
    {
        let uid = event
            .get("UID")
            .map(|p| p.value.trim().to_string())
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| format!("no-uid-{i}"));
        match group_of.get(&uid) {
            Some(&at) => by_uid[at].1.push(event),
            None => {
                group_of.insert(uid.clone(), by_uid.len());
                by_uid.push((uid, vec![event]));
            }
        }
    }
    for (uid, vevents) in by_uid {
        let mut problems = Vec::new();
        match events_of_uid(&uid, &vevents, from, to, &zones, &mut problems) {
            Ok(mut events) => outcome.events.append(&mut events),
            Err(e) => problems.push(e),
        }
        problems.extend(
            zones
                .take_unknown()
                .into_iter()
                .map(EventError::UnknownZone),
        );
        outcome
            .warnings
            .extend(problems.into_iter().map(|e| ParseWarning {
                uid: Some(uid.clone()),
                message: e.to_string(),
            }));
    }
    outcome.events.sort_by_key(|e| instant(&e.start));
    Ok(outcome)
}

#[cfg(test)]
mod tests;
