//! One VEVENT's fields: who, what, where, and its start and end.
use chrono::{DateTime, Utc};

use super::error::EventError;
use super::lexer::{Component, Prop};
use super::links::meeting_url;
use super::values::{instant, parse_duration, prop_stamp, shift, Stamp};
use super::zones::Zones;
use super::{Attendee, EventOccurrence, EventStatus, EventTime};

fn person(prop: &Prop) -> Option<Attendee> {
    let value = prop.value.trim();
    let email = value
        .strip_prefix("mailto:")
        .or_else(|| value.strip_prefix("MAILTO:"))
        .unwrap_or(value)
        .trim();
    if email.is_empty() {
        return None;
    }
    Some(Attendee {
        email: email.to_string(),
        name: prop
            .param("CN")
            .map(str::to_string)
            .filter(|s| !s.is_empty()),
        partstat: prop.param("PARTSTAT").map(str::to_ascii_uppercase),
        role: prop.param("ROLE").map(str::to_ascii_uppercase),
        cutype: prop.param("CUTYPE").map(str::to_ascii_uppercase),
    })
}

fn status_of(event: &Component) -> EventStatus {
    event
        .get("STATUS")
        .map(|p| EventStatus::parse(&p.value))
        .unwrap_or_default()
}

/// Everything of a VEVENT except when it happens.
pub(crate) struct Details {
    uid: String,
    title: String,
    description: Option<String>,
    location: Option<String>,
    pub status: EventStatus,
    organizer: Option<Attendee>,
    attendees: Vec<Attendee>,
    meeting_url: Option<String>,
    last_modified: Option<DateTime<Utc>>,
}

pub(crate) fn details(event: &Component, uid: &str, zones: &Zones) -> Details {
    let description = event.text("DESCRIPTION");
    let location = event.text("LOCATION");
    Details {
        uid: uid.to_string(),
        title: event.text("SUMMARY").unwrap_or_else(|| "(no title)".into()),
        meeting_url: meeting_url(event, location.as_deref(), description.as_deref()),
        status: status_of(event),
        organizer: event.get("ORGANIZER").and_then(person),
        attendees: event.all("ATTENDEE").filter_map(person).collect(),
        last_modified: event
            .get("LAST-MODIFIED")
            .and_then(|p| prop_stamp(p, zones).ok())
            .and_then(|s| match s.time {
                EventTime::DateTime(at) => Some(at),
                EventTime::Date(_) => None,
            }),
        description,
        location,
    }
}

/// Start, and end (from DTEND, DURATION, or the RFC's defaults).
pub(crate) fn span(event: &Component, zones: &Zones) -> Result<(Stamp, EventTime), EventError> {
    let start = prop_stamp(event.get("DTSTART").ok_or(EventError::MissingStart)?, zones)?;
    let end = match (event.get("DTEND"), event.get("DURATION")) {
        (Some(end), _) => prop_stamp(end, zones)?.time,
        (None, Some(d)) => {
            let d = parse_duration(&d.value)
                .ok_or_else(|| EventError::InvalidDuration(d.value.clone()))?;
            shift(&start.time, d)?
        }
        (None, None) => match start.time {
            EventTime::Date(day) => EventTime::Date(day.succ_opt().ok_or(EventError::OutOfRange)?),
            EventTime::DateTime(at) => EventTime::DateTime(at),
        },
    };
    let end = match (&start.time, end) {
        (EventTime::Date(_), EventTime::DateTime(at)) => EventTime::Date(at.date_naive()),
        (EventTime::DateTime(_), EventTime::Date(d)) => {
            EventTime::DateTime(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        }
        (_, end) => end,
    };
    // Reported rather than guessed (swap? zero length?): the sync shows it to the user.
    if instant(&end) < instant(&start.time) {
        return Err(EventError::EndsBeforeStart);
    }
    Ok((start, end))
}

/// One occurrence of `d` at `start..end`.
pub(crate) fn occurrence(
    d: &Details,
    start: EventTime,
    end: EventTime,
    tz: Option<String>,
    recurrence_id: Option<String>,
    status: EventStatus,
) -> EventOccurrence {
    EventOccurrence {
        uid: d.uid.clone(),
        recurrence_id,
        title: d.title.clone(),
        description: d.description.clone(),
        location: d.location.clone(),
        all_day: matches!(start, EventTime::Date(_)),
        start,
        end,
        time_zone: tz,
        status,
        organizer: d.organizer.clone(),
        attendees: d.attendees.clone(),
        meeting_url: d.meeting_url.clone(),
        last_modified: d.last_modified,
    }
}
