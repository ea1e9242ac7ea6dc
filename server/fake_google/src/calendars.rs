//! The calendars and their (already expanded) events, with a global change sequence that
//! stamps every mutation: the basis of sync tokens.
use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::util::rfc3339;

/// A calendar in the account's calendar list (`calendarListEntry`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Calendar {
    pub id: String,
    /// Defaults to the id.
    #[serde(default)]
    pub summary: String,
    #[serde(default = "default_background")]
    pub background_color: String,
    #[serde(default = "default_foreground")]
    pub foreground_color: String,
    #[serde(default)]
    pub primary: bool,
    /// `owner`, `writer`, `reader` or `freeBusyReader`.
    #[serde(default = "default_access_role")]
    pub access_role: String,
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// Any further calendarListEntry fields (`summaryOverride`, `description`, …), passed through.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn default_background() -> String {
    "#9fe1e7".into()
}
fn default_foreground() -> String {
    "#000000".into()
}
fn default_access_role() -> String {
    "owner".into()
}
fn default_time_zone() -> String {
    "UTC".into()
}

impl Calendar {
    /// A secondary calendar owned by the account.
    pub fn new(id: impl Into<String>, summary: impl Into<String>) -> Self {
        Calendar {
            id: id.into(),
            summary: summary.into(),
            background_color: default_background(),
            foreground_color: default_foreground(),
            primary: false,
            access_role: default_access_role(),
            time_zone: default_time_zone(),
            extra: Map::new(),
        }
    }

    /// The account's primary calendar: its id and summary are the account email.
    pub fn primary(email: impl Into<String>) -> Self {
        let email = email.into();
        Calendar {
            primary: true,
            ..Calendar::new(email.clone(), email)
        }
    }

    pub fn with_access_role(mut self, role: impl Into<String>) -> Self {
        self.access_role = role.into();
        self
    }

    pub fn with_time_zone(mut self, zone: impl Into<String>) -> Self {
        self.time_zone = zone.into();
        self
    }

    pub fn with_field(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }

    /// The `calendarListEntry` resource.
    pub fn to_entry(&self, etag: &str) -> Value {
        let mut entry = Map::new();
        entry.insert("kind".into(), json!("calendar#calendarListEntry"));
        entry.insert("etag".into(), json!(etag));
        entry.insert("id".into(), json!(self.id));
        entry.insert("summary".into(), json!(self.summary));
        entry.insert("timeZone".into(), json!(self.time_zone));
        entry.insert("backgroundColor".into(), json!(self.background_color));
        entry.insert("foregroundColor".into(), json!(self.foreground_color));
        entry.insert("selected".into(), json!(true));
        entry.insert("accessRole".into(), json!(self.access_role));
        entry.insert("defaultReminders".into(), json!([]));
        if self.primary {
            entry.insert("primary".into(), json!(true));
        }
        for (k, v) in &self.extra {
            entry.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(entry)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    UnknownCalendar(String),
    UnknownEvent(String),
    BadEvent(String),
    BadCalendars(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::UnknownCalendar(id) => write!(f, "fake-google: no calendar {id:?}"),
            StoreError::UnknownEvent(id) => write!(f, "fake-google: no event {id:?}"),
            StoreError::BadEvent(why) => write!(f, "fake-google: bad event: {why}"),
            StoreError::BadCalendars(why) => write!(f, "fake-google: bad calendars: {why}"),
        }
    }
}

impl std::error::Error for StoreError {}

#[derive(Debug, Clone)]
struct StoredEvent {
    /// Insertion order: the stable order of full listings.
    ordinal: u64,
    /// Change sequence of the last mutation.
    seq: u64,
    body: Value,
}

#[derive(Debug, Clone)]
struct CalendarData {
    info: Calendar,
    events: Vec<StoredEvent>,
    index: HashMap<String, usize>,
}

/// The part of an events listing a page continues from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Listing {
    /// Everything (optionally in a window), in insertion order.
    Full {
        time_min: Option<DateTime<Utc>>,
        time_max: Option<DateTime<Utc>>,
        show_deleted: bool,
    },
    /// Every event changed after sequence `since` and up to the listing's snapshot, by sequence.
    Since { since: u64 },
}

/// One page of events, rendered as Google returns them.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub items: Vec<Value>,
    /// Cursor of the next page (ordinal for full listings, sequence for incremental ones).
    pub next_cursor: Option<u64>,
}

#[derive(Debug)]
pub struct CalendarStore {
    calendars: Vec<CalendarData>,
    /// Global change sequence; bumped by every event mutation.
    seq: u64,
    /// Bumped by `invalidate_sync_tokens`; tokens of older generations are gone (410).
    generation: u64,
    next_ordinal: u64,
    /// Microsecond stamps behind `updated` and etags, strictly increasing.
    last_stamp: i64,
    list_stamp: i64,
}

impl CalendarStore {
    pub fn new(account_email: &str) -> Self {
        let mut store = CalendarStore {
            calendars: Vec::new(),
            seq: 0,
            generation: 1,
            next_ordinal: 1,
            last_stamp: 0,
            list_stamp: 0,
        };
        store
            .set_calendars(vec![Calendar::primary(account_email)])
            .expect("the default calendar list is valid");
        store
    }

    /// Back to one primary calendar; sequence and generation keep counting so no old
    /// sync or page token can be mistaken for a new one.
    pub fn reset(&mut self, account_email: &str) {
        self.calendars.clear();
        self.generation += 1;
        self.set_calendars(vec![Calendar::primary(account_email)])
            .expect("the default calendar list is valid");
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn invalidate_sync_tokens(&mut self) {
        self.generation += 1;
    }

    /// Replaces the calendar list; events of calendars that stay are kept.
    pub fn set_calendars(&mut self, calendars: Vec<Calendar>) -> Result<(), StoreError> {
        let mut seen = std::collections::HashSet::new();
        for c in &calendars {
            if c.id.is_empty() {
                return Err(StoreError::BadCalendars(
                    "a calendar has an empty id".into(),
                ));
            }
            if !seen.insert(c.id.clone()) {
                return Err(StoreError::BadCalendars(format!("duplicate id {:?}", c.id)));
            }
        }
        let mut old: HashMap<String, CalendarData> = self
            .calendars
            .drain(..)
            .map(|c| (c.info.id.clone(), c))
            .collect();
        self.calendars = calendars
            .into_iter()
            .map(|mut info| {
                if info.summary.is_empty() {
                    info.summary = info.id.clone();
                }
                match old.remove(&info.id) {
                    Some(mut data) => {
                        data.info = info;
                        data
                    }
                    None => CalendarData {
                        info,
                        events: Vec::new(),
                        index: HashMap::new(),
                    },
                }
            })
            .collect();
        self.list_stamp = self.next_stamp();
        Ok(())
    }

    pub fn calendars(&self) -> Vec<Calendar> {
        self.calendars.iter().map(|c| c.info.clone()).collect()
    }

    pub fn remove_calendar(&mut self, calendar_id: &str) -> bool {
        let before = self.calendars.len();
        self.calendars.retain(|c| c.info.id != calendar_id);
        let removed = self.calendars.len() != before;
        if removed {
            self.list_stamp = self.next_stamp();
        }
        removed
    }

    pub fn list_etag(&self) -> String {
        format!("\"{}\"", self.list_stamp)
    }

    /// The calendar for an id as the API sees it (`primary` names the primary calendar).
    pub fn calendar(&self, calendar_id: &str) -> Option<&Calendar> {
        self.find(calendar_id).map(|i| &self.calendars[i].info)
    }

    fn find(&self, calendar_id: &str) -> Option<usize> {
        self.calendars
            .iter()
            .position(|c| c.info.id == calendar_id)
            .or_else(|| {
                (calendar_id == "primary")
                    .then(|| self.calendars.iter().position(|c| c.info.primary))
                    .flatten()
            })
    }

    /// Inserts or replaces (by `id`) an event, adding the fields Google maintains.
    pub fn put_event(&mut self, calendar_id: &str, event: Value) -> Result<Value, StoreError> {
        let Value::Object(mut body) = event else {
            return Err(StoreError::BadEvent(
                "an event must be a JSON object".into(),
            ));
        };
        let id = match body.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => {
                return Err(StoreError::BadEvent(
                    "an event needs a string \"id\"".into(),
                ))
            }
        };
        let cal = self
            .find(calendar_id)
            .ok_or_else(|| StoreError::UnknownCalendar(calendar_id.into()))?;
        let stamp = self.next_stamp();
        let previous = self.calendars[cal]
            .index
            .get(&id)
            .map(|&i| self.calendars[cal].events[i].body.clone());
        let created = previous
            .as_ref()
            .and_then(|p| p.get("created").cloned())
            .unwrap_or_else(|| json!(rfc3339(stamp_time(stamp))));
        body.entry("created").or_insert(created);
        body.entry("status").or_insert_with(|| json!("confirmed"));
        mark_self(&mut body, &self.calendars[cal].info.id);
        if !body.contains_key("iCalUID") {
            let uid = self.default_ical_uid(cal, &id, &body);
            body.insert("iCalUID".into(), json!(uid));
        }
        Ok(self.store(cal, id, body, stamp))
    }

    /// Marks an event cancelled (Google keeps deleted events as `status: cancelled`).
    pub fn cancel_event(&mut self, calendar_id: &str, event_id: &str) -> Result<Value, StoreError> {
        let cal = self
            .find(calendar_id)
            .ok_or_else(|| StoreError::UnknownCalendar(calendar_id.into()))?;
        let &i = self.calendars[cal]
            .index
            .get(event_id)
            .ok_or_else(|| StoreError::UnknownEvent(event_id.into()))?;
        let Value::Object(mut body) = self.calendars[cal].events[i].body.clone() else {
            unreachable!("events are stored as objects")
        };
        body.insert("status".into(), json!("cancelled"));
        let stamp = self.next_stamp();
        Ok(self.store(cal, event_id.to_string(), body, stamp))
    }

    /// The stored event with every field, cancelled or not.
    pub fn event(&self, calendar_id: &str, event_id: &str) -> Option<Value> {
        let cal = &self.calendars[self.find(calendar_id)?];
        cal.index.get(event_id).map(|&i| cal.events[i].body.clone())
    }

    /// Stored events in insertion order, with every field.
    pub fn events(&self, calendar_id: &str) -> Option<Vec<Value>> {
        let cal = &self.calendars[self.find(calendar_id)?];
        Some(cal.events.iter().map(|e| e.body.clone()).collect())
    }

    /// The last change of a calendar's events (or of the calendar list).
    pub fn updated(&self, calendar_id: &str) -> DateTime<Utc> {
        let newest = self.find(calendar_id).and_then(|i| {
            self.calendars[i]
                .events
                .iter()
                .filter_map(|e| e.body.get("updated")?.as_str()?.parse().ok())
                .max()
        });
        newest.unwrap_or_else(|| stamp_time(self.list_stamp))
    }

    /// One page of a listing: items after `cursor`, up to `max`, never past `snapshot` for
    /// incremental listings.
    pub fn page(
        &self,
        calendar_id: &str,
        listing: Listing,
        cursor: u64,
        snapshot: u64,
        max: usize,
    ) -> Option<EventPage> {
        let cal = &self.calendars[self.find(calendar_id)?];
        let mut selected: Vec<&StoredEvent> = match listing {
            Listing::Full {
                time_min,
                time_max,
                show_deleted,
            } => cal
                .events
                .iter()
                .filter(|e| e.ordinal > cursor)
                .filter(|e| show_deleted || !is_cancelled(&e.body))
                .filter(|e| in_window(&e.body, time_min, time_max))
                .collect(),
            Listing::Since { since } => {
                let mut changed: Vec<&StoredEvent> = cal
                    .events
                    .iter()
                    .filter(|e| e.seq > since.max(cursor) && e.seq <= snapshot)
                    .collect();
                changed.sort_by_key(|e| e.seq);
                changed
            }
        };
        let more = selected.len() > max;
        selected.truncate(max);
        let next_cursor = more
            .then(|| selected.last())
            .flatten()
            .map(|e| match listing {
                Listing::Full { .. } => e.ordinal,
                Listing::Since { .. } => e.seq,
            });
        Some(EventPage {
            items: selected.iter().map(|e| render_event(&e.body)).collect(),
            next_cursor,
        })
    }

    fn default_ical_uid(&self, cal: usize, id: &str, body: &Map<String, Value>) -> String {
        match body.get("recurringEventId").and_then(Value::as_str) {
            Some(series) => self.calendars[cal]
                .index
                .get(series)
                .and_then(|&i| self.calendars[cal].events[i].body.get("iCalUID"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("{series}@google.com")),
            None => format!("{id}@google.com"),
        }
    }

    fn store(&mut self, cal: usize, id: String, mut body: Map<String, Value>, stamp: i64) -> Value {
        self.seq += 1;
        body.insert("kind".into(), json!("calendar#event"));
        // Google names every event's type; plain events are "default".
        body.entry("eventType").or_insert_with(|| json!("default"));
        body.insert(
            "htmlLink".into(),
            json!(html_link(&id, &self.calendars[cal].info.id)),
        );
        body.insert("etag".into(), json!(format!("\"{stamp}\"")));
        body.insert("updated".into(), json!(rfc3339(stamp_time(stamp))));
        let body = Value::Object(body);
        let seq = self.seq;
        let data = &mut self.calendars[cal];
        match data.index.get(&id) {
            Some(&i) => {
                data.events[i].seq = seq;
                data.events[i].body = body.clone();
            }
            None => {
                data.index.insert(id, data.events.len());
                data.events.push(StoredEvent {
                    ordinal: self.next_ordinal,
                    seq,
                    body: body.clone(),
                });
                self.next_ordinal += 1;
            }
        }
        body
    }

    fn next_stamp(&mut self) -> i64 {
        self.last_stamp = Utc::now().timestamp_micros().max(self.last_stamp + 1);
        self.last_stamp
    }
}

/// The event in Google Calendar's web interface, as Google writes it: `eid` is the event id and
/// the calendar id, space-separated, in unpadded URL-safe base64.
pub fn html_link(event_id: &str, calendar_id: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let eid = URL_SAFE_NO_PAD.encode(format!("{event_id} {calendar_id}"));
    format!("https://www.google.com/calendar/event?eid={eid}")
}

fn stamp_time(stamp: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(stamp).single().unwrap_or_default()
}

fn is_cancelled(event: &Value) -> bool {
    event.get("status").and_then(Value::as_str) == Some("cancelled")
}

/// Google's view of an event: cancelled events shrink to their identity.
pub fn render_event(event: &Value) -> Value {
    if !is_cancelled(event) {
        return event.clone();
    }
    let mut out = Map::new();
    for key in [
        "kind",
        "etag",
        "id",
        "status",
        "updated",
        "recurringEventId",
        "originalStartTime",
    ] {
        if let Some(v) = event.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    Value::Object(out)
}

/// `start`/`end` as instants: `dateTime` as given, `date` at 00:00 UTC.
fn event_time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let value = value?;
    if let Some(at) = value.get("dateTime").and_then(Value::as_str) {
        return DateTime::parse_from_rfc3339(at)
            .ok()
            .map(|t| t.with_timezone(&Utc));
    }
    let day: NaiveDate = value.get("date")?.as_str()?.parse().ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Google's window: an event's end after `timeMin` and its start before `timeMax`.
fn in_window(
    event: &Value,
    time_min: Option<DateTime<Utc>>,
    time_max: Option<DateTime<Utc>>,
) -> bool {
    if time_min.is_none() && time_max.is_none() {
        return true;
    }
    let Some(start) =
        event_time(event.get("start")).or_else(|| event_time(event.get("originalStartTime")))
    else {
        return false;
    };
    let end = event_time(event.get("end")).unwrap_or(start);
    time_min.is_none_or(|min| end > min) && time_max.is_none_or(|max| start < max)
}

/// Google sets the read-only `self` on the attendee, organizer and creator that stand for "the
/// calendar on which this copy of the event appears" (Events resource reference): here, the
/// entries whose email is the calendar's id (a primary calendar's id is the account's email).
/// Google leaves `self` out when false; a `self` the test gave is replaced.
fn mark_self(body: &mut Map<String, Value>, calendar_id: &str) {
    let mut mark = |person: &mut Value| {
        let Value::Object(fields) = person else {
            return;
        };
        let is_self = fields
            .get("email")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case(calendar_id));
        if is_self {
            fields.insert("self".into(), json!(true));
        } else {
            fields.remove("self");
        }
    };
    if let Some(Value::Array(attendees)) = body.get_mut("attendees") {
        attendees.iter_mut().for_each(&mut mark);
    }
    for key in ["organizer", "creator"] {
        if let Some(person) = body.get_mut(key) {
            mark(person);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn timed(id: &str, start: &str, end: &str) -> Value {
        json!({"id": id, "start": {"dateTime": start}, "end": {"dateTime": end}})
    }

    #[test]
    fn window_uses_exclusive_bounds_and_all_day_dates() {
        let e = timed(
            "a",
            "2024-01-01T10:00:00+01:00",
            "2024-01-01T11:00:00+01:00",
        );
        assert!(in_window(&e, Some(at("2024-01-01T09:30:00Z")), None));
        assert!(!in_window(&e, Some(at("2024-01-01T10:00:00Z")), None));
        assert!(!in_window(&e, None, Some(at("2024-01-01T09:00:00Z"))));
        let day =
            json!({"id": "d", "start": {"date": "2024-01-02"}, "end": {"date": "2024-01-03"}});
        assert!(in_window(
            &day,
            Some(at("2024-01-02T12:00:00Z")),
            Some(at("2024-01-02T13:00:00Z"))
        ));
        assert!(!in_window(&day, Some(at("2024-01-03T00:00:00Z")), None));
    }

    #[test]
    fn put_event_adds_google_fields_and_replaces_in_place() {
        let mut store = CalendarStore::new("me@example.com");
        let first = store
            .put_event(
                "primary",
                timed("a", "2024-01-01T10:00:00Z", "2024-01-01T11:00:00Z"),
            )
            .unwrap();
        assert_eq!(first["kind"], "calendar#event");
        assert_eq!(first["status"], "confirmed");
        assert_eq!(first["iCalUID"], "a@google.com");
        assert!(first["etag"].as_str().unwrap().starts_with('"'));
        // "a me@example.com", as Google encodes it.
        assert_eq!(
            first["htmlLink"],
            "https://www.google.com/calendar/event?eid=YSBtZUBleGFtcGxlLmNvbQ"
        );
        store
            .put_event("me@example.com", json!({"id": "b"}))
            .unwrap();
        let second = store
            .put_event("primary", json!({"id": "a", "summary": "x"}))
            .unwrap();
        assert_ne!(first["etag"], second["etag"]);
        assert_eq!(second["created"], first["created"]);
        let ids: Vec<_> = store
            .events("primary")
            .unwrap()
            .iter()
            .map(|e| e["id"].clone())
            .collect();
        assert_eq!(ids, vec![json!("a"), json!("b")]);
        assert_eq!(store.seq(), 3);
    }

    #[test]
    fn the_calendars_own_entries_are_marked_self() {
        let mut store = CalendarStore::new("me@example.com");
        let event = store
            .put_event(
                "primary",
                json!({"id": "m", "organizer": {"email": "boss@example.com"},
                       "attendees": [{"email": "Me@Example.com", "responseStatus": "declined"},
                                     {"email": "boss@example.com", "self": true}]}),
            )
            .unwrap();
        assert_eq!(event["attendees"][0]["self"], json!(true));
        assert!(event["attendees"][1].get("self").is_none());
        assert!(event["organizer"].get("self").is_none());
    }

    #[test]
    fn instances_share_the_series_uid() {
        let mut store = CalendarStore::new("me@example.com");
        store
            .put_event(
                "primary",
                json!({"id": "s", "iCalUID": "series@example.com"}),
            )
            .unwrap();
        let instance = store
            .put_event("primary", json!({"id": "s_1", "recurringEventId": "s"}))
            .unwrap();
        assert_eq!(instance["iCalUID"], "series@example.com");
        let orphan = store
            .put_event("primary", json!({"id": "t_1", "recurringEventId": "t"}))
            .unwrap();
        assert_eq!(orphan["iCalUID"], "t@google.com");
    }

    #[test]
    fn cancelled_events_render_as_identity_only() {
        let mut store = CalendarStore::new("me@example.com");
        store
            .put_event(
                "primary",
                json!({"id": "i", "summary": "secret", "recurringEventId": "s",
                       "originalStartTime": {"dateTime": "2024-01-01T10:00:00Z"}}),
            )
            .unwrap();
        let cancelled = store.cancel_event("primary", "i").unwrap();
        let shown = render_event(&cancelled);
        assert_eq!(shown["status"], "cancelled");
        assert_eq!(shown["recurringEventId"], "s");
        assert!(shown.get("summary").is_none());
    }

    #[test]
    fn incremental_pages_follow_the_sequence() {
        let mut store = CalendarStore::new("me@example.com");
        for i in 0..5 {
            store
                .put_event("primary", json!({"id": format!("e{i}")}))
                .unwrap();
        }
        let since = store.seq();
        store
            .put_event("primary", json!({"id": "e1", "summary": "changed"}))
            .unwrap();
        store.cancel_event("primary", "e3").unwrap();
        store.put_event("primary", json!({"id": "e5"})).unwrap();
        let snapshot = store.seq();
        let listing = Listing::Since { since };
        let first = store.page("primary", listing, 0, snapshot, 2).unwrap();
        let ids: Vec<_> = first.items.iter().map(|e| e["id"].clone()).collect();
        assert_eq!(ids, vec![json!("e1"), json!("e3")]);
        let second = store
            .page("primary", listing, first.next_cursor.unwrap(), snapshot, 2)
            .unwrap();
        assert_eq!(second.items.len(), 1);
        assert_eq!(second.next_cursor, None);
    }

    #[test]
    fn set_calendars_rejects_duplicates_and_keeps_events() {
        let mut store = CalendarStore::new("me@example.com");
        store
            .put_event("me@example.com", json!({"id": "a"}))
            .unwrap();
        let dup = vec![Calendar::new("x", "X"), Calendar::new("x", "Y")];
        assert!(store.set_calendars(dup).is_err());
        store
            .set_calendars(vec![
                Calendar::primary("me@example.com"),
                Calendar::new("x", ""),
            ])
            .unwrap();
        assert_eq!(store.events("primary").unwrap().len(), 1);
        assert_eq!(store.calendar("x").unwrap().summary, "x");
    }
}
