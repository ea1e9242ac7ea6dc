//! Google Calendar v3 event resources → Rondo's provider-neutral `EventRecord`.
//! Pure functions: one malformed event becomes an error for that event only.
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use app::models::{EventStatus, Response};

use crate::calendar::ical::extract_meeting_url;
use crate::calendar::model::{web_link, AttendeeRecord, EventRecord, When};
use crate::text::normalize_email;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleEvent {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub start: Option<EventDateTime>,
    #[serde(default)]
    pub end: Option<EventDateTime>,
    #[serde(default)]
    pub attendees: Vec<GoogleAttendee>,
    #[serde(default)]
    pub organizer: Option<GoogleAttendee>,
    #[serde(default)]
    pub hangout_link: Option<String>,
    #[serde(default)]
    pub conference_data: Option<ConferenceData>,
    #[serde(default)]
    pub recurring_event_id: Option<String>,
    #[serde(default)]
    pub original_start_time: Option<EventDateTime>,
    #[serde(default, rename = "iCalUID")]
    pub ical_uid: Option<String>,
    #[serde(default)]
    pub updated: Option<DateTime<Utc>>,
    /// "default", "outOfOffice", "focusTime", "workingLocation", "birthday", "fromGmail".
    #[serde(default)]
    pub event_type: Option<String>,
    /// The event in Google Calendar's web interface.
    #[serde(default)]
    pub html_link: Option<String>,
}

impl GoogleEvent {
    pub fn is_cancelled(&self) -> bool {
        self.status.as_deref() == Some("cancelled")
    }

    /// Google's status entries, which are no meetings: where the user works that day, focus
    /// time and out of office.
    pub fn is_status_entry(&self) -> bool {
        matches!(
            self.event_type.as_deref(),
            Some("workingLocation" | "focusTime" | "outOfOffice")
        )
    }

    pub fn is_out_of_office(&self) -> bool {
        self.event_type.as_deref() == Some("outOfOffice")
    }

    /// Whether the event is not stored: a status entry, unless it is out of office and the
    /// connection shows those.
    pub fn is_hidden(&self, show_out_of_office: bool) -> bool {
        self.is_status_entry() && !(show_out_of_office && self.is_out_of_office())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDateTime {
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub date_time: Option<DateTime<chrono::FixedOffset>>,
    #[serde(default)]
    pub time_zone: Option<String>,
}

impl EventDateTime {
    fn when(&self) -> Option<When> {
        match (self.date_time, self.date) {
            (Some(at), _) => Some(When::At(at.with_timezone(&Utc))),
            (None, Some(day)) => Some(When::Day(day)),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleAttendee {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub response_status: Option<String>,
    #[serde(default, rename = "self")]
    pub is_self: bool,
    #[serde(default)]
    pub resource: bool,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConferenceData {
    #[serde(default)]
    pub entry_points: Vec<EntryPoint>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryPoint {
    #[serde(default)]
    pub entry_point_type: Option<String>,
    #[serde(default)]
    pub uri: Option<String>,
}

/// The occurrence id Rondo uses for recurrence instances (same format as CalDAV's).
fn occurrence_id(original: &EventDateTime) -> Option<String> {
    Some(original.when()?.occurrence_id())
}

fn attendee(a: &GoogleAttendee, self_emails: &HashSet<String>) -> Option<AttendeeRecord> {
    let email = a.email.as_deref()?.trim().to_string();
    if email.is_empty() {
        return None;
    }
    Some(AttendeeRecord {
        is_self: a.is_self || self_emails.contains(&normalize_email(&email)),
        is_resource: a.resource,
        response: a.response_status.as_deref().and_then(Response::parse),
        role: Some(
            if a.optional {
                "opt-participant"
            } else {
                "req-participant"
            }
            .to_string(),
        ),
        name: a.display_name.clone().filter(|n| !n.trim().is_empty()),
        email,
    })
}

/// The video link: Meet's `hangoutLink`, then a video entry point, then links in the text.
fn meeting_url(e: &GoogleEvent) -> Option<String> {
    e.hangout_link
        .as_deref()
        .and_then(web_link)
        .or_else(|| {
            e.conference_data.as_ref().and_then(|c| {
                c.entry_points
                    .iter()
                    .filter(|p| p.entry_point_type.as_deref() == Some("video"))
                    .find_map(|p| p.uri.as_deref().and_then(web_link))
            })
        })
        .or_else(|| extract_meeting_url(e.location.as_deref(), e.description.as_deref()))
}

/// Maps one (not cancelled) event; `Err` says why it was skipped.
pub fn to_record(e: &GoogleEvent, self_emails: &HashSet<String>) -> Result<EventRecord, String> {
    let start = e
        .start
        .as_ref()
        .and_then(EventDateTime::when)
        .ok_or_else(|| "the event has no start time".to_string())?;
    let end = e
        .end
        .as_ref()
        .and_then(EventDateTime::when)
        .unwrap_or_else(|| start.clone());
    if end.instant() < start.instant() {
        return Err("the event ends before it starts".into());
    }
    let out_of_office = e.is_out_of_office();
    // An out-of-office entry is the account's own time off: nobody to match, nothing to join
    // (on a shared calendar its organizer is a colleague, who must not be linked to it).
    let organizer = e
        .organizer
        .as_ref()
        .and_then(|o| attendee(o, self_emails))
        .filter(|_| !out_of_office);
    Ok(EventRecord {
        uid: e.ical_uid.clone().unwrap_or_else(|| e.id.clone()),
        recurrence_id: match &e.recurring_event_id {
            Some(_) => e
                .original_start_time
                .as_ref()
                .and_then(occurrence_id)
                .or_else(|| Some(e.id.clone())),
            None => None,
        },
        title: e
            .summary
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "(No title)".into()),
        description: e.description.clone(),
        location: e.location.clone(),
        time_zone: e.start.as_ref().and_then(|s| s.time_zone.clone()),
        start,
        end,
        status: e
            .status
            .as_deref()
            .map(EventStatus::parse)
            .unwrap_or_default(),
        organizer,
        attendees: e
            .attendees
            .iter()
            .filter(|_| !out_of_office)
            .filter_map(|a| attendee(a, self_emails))
            .collect(),
        meeting_url: meeting_url(e).filter(|_| !out_of_office),
        last_modified: e.updated,
        out_of_office,
        web_url: e.html_link.as_deref().and_then(web_link),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> GoogleEvent {
        serde_json::from_value(v).unwrap()
    }

    fn me() -> HashSet<String> {
        ["me@example.com".to_string()].into_iter().collect()
    }

    #[test]
    fn status_entries_are_no_meetings() {
        let of_type = |t: &str| parse(json!({ "id": "x", "eventType": t }));
        for hidden in ["workingLocation", "focusTime", "outOfOffice"] {
            assert!(of_type(hidden).is_status_entry(), "{hidden}");
        }
        for shown in ["default", "birthday", "fromGmail"] {
            assert!(!of_type(shown).is_status_entry(), "{shown}");
        }
        assert!(!parse(json!({ "id": "x" })).is_status_entry());
        // Shown out of office: only that kind comes back.
        assert!(!of_type("outOfOffice").is_hidden(true));
        assert!(of_type("outOfOffice").is_hidden(false));
        assert!(of_type("focusTime").is_hidden(true));
        assert!(of_type("workingLocation").is_hidden(true));
        assert!(!of_type("default").is_hidden(false));
    }

    #[test]
    fn out_of_office_has_no_guests_and_the_google_link_is_kept() {
        let e = parse(json!({
            "id": "ooo1",
            "eventType": "outOfOffice",
            "summary": "Out of office",
            "htmlLink": "https://www.google.com/calendar/event?eid=b29vMQ",
            "start": { "dateTime": "2026-12-01T09:00:00Z" },
            "end": { "dateTime": "2026-12-01T17:00:00Z" },
            "organizer": { "email": "colleague@example.com" },
            "attendees": [{ "email": "bob@example.com" }],
            "hangoutLink": "https://meet.google.com/abc-defg-hij",
        }));
        let record = to_record(&e, &me()).unwrap();
        assert!(record.out_of_office);
        assert!(record.organizer.is_none() && record.attendees.is_empty());
        assert_eq!(record.meeting_url, None);
        assert_eq!(
            record.web_url.as_deref(),
            Some("https://www.google.com/calendar/event?eid=b29vMQ")
        );
        let meeting = parse(json!({
            "id": "m1",
            "htmlLink": "javascript:alert(1)",
            "start": { "dateTime": "2026-12-01T09:00:00Z" },
        }));
        let record = to_record(&meeting, &me()).unwrap();
        assert!(!record.out_of_office);
        assert_eq!(record.web_url, None, "only web links");
    }

    #[test]
    fn timed_event_with_attendees_rooms_and_meet_link() {
        let e = parse(json!({
            "id": "abc", "status": "confirmed", "summary": "Planning",
            "iCalUID": "abc@google.com",
            "start": {"dateTime": "2026-11-25T10:00:00+01:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2026-11-25T11:00:00+01:00", "timeZone": "Europe/Berlin"},
            "organizer": {"email": "me@example.com", "self": true},
            "attendees": [
                {"email": "me@example.com", "self": true, "organizer": true, "responseStatus": "accepted"},
                {"email": "ana@example.org", "displayName": "Ana Lima", "responseStatus": "needsAction", "optional": true},
                {"email": "room-1@resource.calendar.google.com", "displayName": "Room 1", "resource": true, "responseStatus": "accepted"}
            ],
            "hangoutLink": "https://meet.google.com/abc-defg-hij",
            "updated": "2026-11-20T08:00:00.000Z"
        }));
        let r = to_record(&e, &me()).unwrap();
        assert_eq!(r.uid, "abc@google.com");
        assert_eq!(r.recurrence_id, None);
        assert_eq!(r.start, When::At("2026-11-25T09:00:00Z".parse().unwrap()));
        assert_eq!(r.end, When::At("2026-11-25T10:00:00Z".parse().unwrap()));
        assert_eq!(r.time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(
            r.meeting_url.as_deref(),
            Some("https://meet.google.com/abc-defg-hij")
        );
        assert!(r.organizer.as_ref().unwrap().is_self);
        assert_eq!(r.attendees.len(), 3);
        assert!(r.attendees[0].is_self);
        assert_eq!(r.attendees[1].response, Some(Response::NeedsAction));
        assert_eq!(r.attendees[1].role.as_deref(), Some("opt-participant"));
        assert_eq!(r.attendees[1].name.as_deref(), Some("Ana Lima"));
        assert!(r.attendees[2].is_resource);
        assert!(r.last_modified.is_some());
    }

    #[test]
    fn only_web_links_become_the_join_link() {
        let e = parse(json!({
            "id": "x", "summary": "Sync",
            "start": {"dateTime": "2026-11-25T10:00:00Z"}, "end": {"dateTime": "2026-11-25T11:00:00Z"},
            "hangoutLink": "javascript:alert(document.cookie)",
            "conferenceData": {"entryPoints": [
                {"entryPointType": "video", "uri": "data:text/html,<script>x</script>"},
                {"entryPointType": "video", "uri": "https://zoom.us/j/123"}
            ]}
        }));
        let r = to_record(&e, &me()).unwrap();
        assert_eq!(r.meeting_url.as_deref(), Some("https://zoom.us/j/123"));
    }

    #[test]
    fn all_day_events_stay_dates() {
        let e = parse(json!({
            "id": "d", "summary": "Offsite",
            "start": {"date": "2026-12-01"}, "end": {"date": "2026-12-03"}
        }));
        let r = to_record(&e, &me()).unwrap();
        assert!(r.all_day());
        assert_eq!(
            r.start,
            When::Day(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        );
        assert_eq!(
            r.end,
            When::Day(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap())
        );
        assert_eq!(r.uid, "d", "without iCalUID the event id identifies it");
    }

    #[test]
    fn instances_share_the_series_uid_and_differ_by_original_start() {
        let instance = |day: u32| {
            parse(json!({
                "id": format!("series_202612{day:02}T090000Z"), "summary": "Standup",
                "iCalUID": "series@google.com", "recurringEventId": "series",
                "originalStartTime": {"dateTime": format!("2026-12-{day:02}T10:00:00+01:00")},
                "start": {"dateTime": format!("2026-12-{day:02}T10:00:00+01:00")},
                "end": {"dateTime": format!("2026-12-{day:02}T10:15:00+01:00")}
            }))
        };
        let a = to_record(&instance(1), &me()).unwrap();
        let b = to_record(&instance(2), &me()).unwrap();
        assert_eq!(a.uid, b.uid);
        assert_eq!(a.recurrence_id.as_deref(), Some("2026-12-01T09:00:00Z"));
        assert_eq!(b.recurrence_id.as_deref(), Some("2026-12-02T09:00:00Z"));
    }

    #[test]
    fn video_entry_point_then_links_in_the_text() {
        let e = parse(json!({
            "id": "z", "start": {"dateTime": "2026-11-25T10:00:00Z"}, "end": {"dateTime": "2026-11-25T10:30:00Z"},
            "conferenceData": {"entryPoints": [
                {"entryPointType": "phone", "uri": "tel:+1-555-0100"},
                {"entryPointType": "video", "uri": "https://zoom.us/j/123"}
            ]}
        }));
        assert_eq!(
            to_record(&e, &me()).unwrap().meeting_url.as_deref(),
            Some("https://zoom.us/j/123")
        );
        let e = parse(json!({
            "id": "y", "start": {"dateTime": "2026-11-25T10:00:00Z"}, "end": {"dateTime": "2026-11-25T10:30:00Z"},
            "description": "Join: https://teams.microsoft.com/l/meetup-join/xyz"
        }));
        assert_eq!(
            to_record(&e, &me()).unwrap().meeting_url.as_deref(),
            Some("https://teams.microsoft.com/l/meetup-join/xyz")
        );
        assert_eq!(to_record(&e, &me()).unwrap().title, "(No title)");
    }

    #[test]
    fn broken_events_are_refused_with_a_reason() {
        let e = parse(json!({"id": "x", "summary": "No times"}));
        assert!(to_record(&e, &me()).unwrap_err().contains("start"));
        let e = parse(
            json!({"id": "x", "start": {"dateTime": "2026-11-25T10:00:00Z"}, "end": {"dateTime": "2026-11-25T09:00:00Z"}}),
        );
        assert!(to_record(&e, &me()).unwrap_err().contains("ends before"));
    }
}
