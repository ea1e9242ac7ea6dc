//! The `event` and `calendar_object` tables: stored occurrences (with their attendees and
//! matches) and the remote objects they came from. The only module that reads or writes them.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use app::models::{EventStatus, MatchReason, MeetingScope, MeetingsWhen, Response};

use crate::calendar::model::{self, web_link, AttendeeRecord, Changes, EventRecord};
use crate::db::{check_all, count_of, inlined, CountRow, Db, Literal};
use crate::error::StoreError;
use crate::freshness::{touched, Data};
use crate::ids::new_id;
use crate::matcher::{self, Guest, Index, MatchRecord, OwnAddresses};

/// A deleted or unticked calendar's rows, a batch at a time (`$calendar`, `$owner`, at most
/// `$limit`), when `$go`: occurrences, then stored objects. Two statements each; `$batch` holds
/// what went.
pub(crate) const DELETE_BATCH_FOR_CALENDAR: [&str; 2] = [
    "LET $batch = IF $go { (SELECT VALUE id FROM event WHERE calendar = $calendar AND owner = $owner LIMIT $limit) } ELSE { [] };
     DELETE $batch;",
    "LET $batch = IF $go { (SELECT VALUE id FROM calendar_object WHERE calendar = $calendar AND owner = $owner LIMIT $limit) } ELSE { [] };
     DELETE $batch;",
];

/// Occurrences removed per statement when an object has more than one transaction holds.
const CLEAR_BATCH: usize = 500;

/// How long an occurrence runs, in the classes a day view reads by (the stored `span`). One of
/// a short class that overlaps a moment ends after it, within the class's length, so a day
/// view reads a short range of each class's end times; `Longer` ones are few and read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Hour,
    FourHours,
    Day,
    Longer,
}

impl Span {
    const SHORT: [Span; 3] = [Span::Hour, Span::FourHours, Span::Day];

    fn of(duration: chrono::Duration) -> Span {
        match duration {
            d if d <= chrono::Duration::hours(1) => Span::Hour,
            d if d <= chrono::Duration::hours(4) => Span::FourHours,
            d if d <= chrono::Duration::days(1) => Span::Day,
            _ => Span::Longer,
        }
    }

    /// The longest a short one runs.
    fn length(self) -> chrono::Duration {
        match self {
            Span::Hour => chrono::Duration::hours(1),
            Span::FourHours => chrono::Duration::hours(4),
            Span::Day | Span::Longer => chrono::Duration::days(1),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Span::Hour => "1h",
            Span::FourHours => "4h",
            Span::Day => "1d",
            Span::Longer => "long",
        }
    }
}

/// Whether an occurrence has not ended by `$now` (binds `$now`, `$today`): an all-day one ends
/// at the user's midnight before its (exclusive) end date, not at UTC midnight, so those are
/// compared as dates in the user's zone.
const UPCOMING: &str = "((all_day = true AND end_date != NONE AND end_date > $today) OR ((all_day = false OR end_date = NONE) AND ends_at > $now))";

/// A page of the meetings `{AMONG}` selects (see [`Among`]) starting after `$now`, soonest
/// first (counted by [`COUNT_LATER`]).
const LATER: &str = "SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner{AMONG} AND starts_at > $now ORDER BY starts_at ASC LIMIT $limit START $start;";
/// A page of those that started by `$now` and ended, newest first (how many started by then:
/// [`COUNT_STARTED`]).
const EARLIER: &str = "SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner{AMONG} AND starts_at <= $now AND NOT ({UPCOMING}) ORDER BY starts_at DESC LIMIT $limit START $start;";
/// A page of those that started by `$now`, newest first.
const STARTED: &str = "SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner{AMONG} AND starts_at <= $now ORDER BY starts_at DESC LIMIT $limit START $skip";
/// Those of them longer than a day that started before `$recent` and still run after it.
const LONG_RUNNING: &str = "SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner AND span = 'long' AND ends_at > $recent AND starts_at < $recent{AMONG}";
/// A page of those starting in `[$from, $to)`, in order (counted by [`COUNT_WEEK`]).
const STARTING_BETWEEN: &str = "SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner{AMONG} AND starts_at >= $from AND starts_at < $to ORDER BY starts_at ASC LIMIT $limit START $start;";
// The counts are one-sided ranges, read from the index's keys alone: SurrealDB 3.3 bounds a
// two-sided range on one side only and reads every row past it (1.6 s for a week at 100,000
// meetings).
/// How many start after `$now`.
const COUNT_LATER: &str =
    "SELECT count() AS n FROM event WHERE owner = $owner{AMONG} AND starts_at > $now GROUP ALL;";
/// How many started by `$now`.
const COUNT_STARTED: &str =
    "SELECT count() AS n FROM event WHERE owner = $owner{AMONG} AND starts_at <= $now GROUP ALL;";
/// How many start from `$from` on, and from `$to` on: the difference starts in `[$from, $to)`.
const COUNT_WEEK: &str =
    "SELECT count() AS n FROM event WHERE owner = $owner{AMONG} AND starts_at >= $from GROUP ALL;
    SELECT count() AS n FROM event WHERE owner = $owner{AMONG} AND starts_at >= $to GROUP ALL;";
/// Whether a user has occurrences stored before the unknown-guests flag existed.
const UNFLAGGED: &str =
    "SELECT VALUE record::id(id) FROM event WHERE owner = $owner AND unknown_guests = NONE LIMIT 1";
/// A page of a user's occurrences of one `$span` class ending from `$after` on, in end order.
const ENDING_FROM: &str = "SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner AND span = $span AND ends_at >= $after{HIDDEN} ORDER BY ends_at ASC LIMIT $limit START $skip";
/// A page of [`ENDING_FROM`]: a day holds a few hundred at most, and a smaller page reads less
/// past its end.
const ENDING_PAGE: usize = 100;
/// The longer-than-a-day occurrences of a user still running after `$since`.
const LONG_RUNNING_SINCE: &str =
    "SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner AND span = 'long' AND ends_at > $since{HIDDEN}";

/// A person's `$latest` meetings up to `$now` and their next one not cancelled. Read back
/// from now and bounded by `$latest` alone: with a lower bound on the start too, SurrealDB 3.3
/// bounds the index range on that side only and reads every later meeting first (2,880 rows
/// for a busy person instead of 120). Cancelled past ones are dropped after, for the same
/// reason.
const MET_AND_NEXT: &str =
    "SELECT starts_at AS at, status FROM event WHERE owner = $owner AND people CONTAINS $person
        AND starts_at <= $now{HIDDEN} ORDER BY starts_at DESC LIMIT $latest;
    SELECT starts_at AS at, status FROM event WHERE owner = $owner AND people CONTAINS $person
        AND status != 'cancelled' AND starts_at > $now{HIDDEN} ORDER BY starts_at ASC LIMIT 1;";

/// Which of a user's meetings a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Among<'a> {
    /// Those linked to one person (by id).
    Person(&'a str),
    /// All of them.
    All,
    /// Those with at least one guest who is none of the user's people (nor the user, nor a
    /// room): the stored `unknown_guests` flag, kept current by every re-match. Cancelled
    /// meetings are left out (never flagged): nobody is met there, so there is nothing to act
    /// on.
    Unknown,
}

impl Among<'_> {
    /// What the Meetings page lists: all the user's meetings, or those with an unknown guest.
    pub fn of_meetings_page(unmatched: bool) -> Self {
        if unmatched {
            Among::Unknown
        } else {
            Among::All
        }
    }

    /// The condition added to `owner = $owner` (binds `$person`), along an index each.
    fn clause(self) -> &'static str {
        match self {
            Among::Person(_) => " AND people CONTAINS $person",
            Among::All => "",
            Among::Unknown => " AND unknown_guests = true",
        }
    }

    /// The condition with, when `hiding`, the hidden calendars left out (binds `$hidden`).
    fn clause_hiding(self, hiding: bool) -> String {
        format!("{}{}", self.clause(), hidden_clause(hiding))
    }

    /// `sql` with its placeholders filled in for this selection.
    fn sql(self, sql: &str, hiding: bool) -> String {
        sql.replace("{EVENT_FIELDS}", EVENT_FIELDS)
            .replace("{UPCOMING}", UPCOMING)
            .replace("{AMONG}", &self.clause_hiding(hiding))
    }
}

/// `sql` with its event fields and, for `hidden` calendars, their condition filled in.
fn fill_in(sql: &str, hidden: &[String]) -> String {
    sql.replace("{EVENT_FIELDS}", EVENT_FIELDS)
        .replace("{HIDDEN}", hidden_clause(!hidden.is_empty()))
}

/// Leaves out the events of the calendars in `$hidden` (only bound when there are any: the
/// condition keeps a count from being read from index keys alone).
fn hidden_clause(hiding: bool) -> &'static str {
    if hiding {
        " AND calendar NOTINSIDE $hidden"
    } else {
        ""
    }
}

/// Where a logged activity came from: one event occurrence of one connection.
pub fn event_source(connection: &str, calendar: &str, uid: &str, recurrence_id: &str) -> String {
    format!("event:{connection}:{calendar}:{uid}:{recurrence_id}")
}

/// The calendar (of a connection) that occurrences belong to.
#[derive(Debug, Clone, Copy)]
pub struct CalendarKey<'a> {
    pub id: &'a str,
    pub connection: &'a str,
}

/// The key that makes an occurrence unique within a calendar.
fn identity(uid: &str, recurrence_id: &str) -> String {
    format!("{uid}\u{1f}{recurrence_id}")
}

/// An organizer or attendee as stored (organizers carry only email, name and is_self).
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct StoredAttendee {
    email: Option<String>,
    name: Option<String>,
    response: Option<String>,
    role: Option<String>,
    is_resource: Option<bool>,
    is_self: Option<bool>,
}

impl StoredAttendee {
    fn attendee(a: &AttendeeRecord) -> Self {
        StoredAttendee {
            email: Some(a.email.clone()),
            name: a.name.clone(),
            response: a.response.map(|r| r.as_str().to_string()),
            role: a.role.clone(),
            is_resource: Some(a.is_resource),
            is_self: Some(a.is_self),
        }
    }

    fn organizer(a: &AttendeeRecord) -> Self {
        StoredAttendee {
            email: Some(a.email.clone()),
            name: a.name.clone(),
            response: None,
            role: None,
            is_resource: None,
            is_self: Some(a.is_self),
        }
    }

    fn record(self) -> AttendeeRecord {
        AttendeeRecord {
            email: self.email.unwrap_or_default(),
            name: self.name,
            response: self.response.as_deref().and_then(Response::parse),
            role: self.role,
            is_resource: self.is_resource.unwrap_or(false),
            is_self: self.is_self.unwrap_or(false),
        }
    }
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct StoredMatch {
    email: String,
    person: String,
    confidence: i64,
    reason: String,
    suggested: bool,
}

impl From<&MatchRecord> for StoredMatch {
    fn from(m: &MatchRecord) -> Self {
        StoredMatch {
            email: m.email.clone(),
            person: m.person.clone(),
            confidence: m.confidence as i64,
            reason: m.reason.as_str().to_string(),
            suggested: m.suggested,
        }
    }
}

impl StoredMatch {
    fn record(self) -> MatchRecord {
        MatchRecord {
            email: self.email,
            person: self.person,
            confidence: self.confidence.clamp(0, 100) as u8,
            reason: MatchReason::parse(&self.reason).unwrap_or(MatchReason::OtherEmail),
            suggested: self.suggested,
        }
    }
}

fn stored_matches(matches: &[MatchRecord]) -> Vec<StoredMatch> {
    matches.iter().map(StoredMatch::from).collect()
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct StoredEvent {
    id: String,
    connection: String,
    calendar: String,
    uid: String,
    recurrence_id: String,
    title: String,
    description: Option<String>,
    location: Option<String>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    all_day: bool,
    start_date: Option<String>,
    end_date: Option<String>,
    status: String,
    organizer: Option<StoredAttendee>,
    attendees: Vec<StoredAttendee>,
    meeting_url: Option<String>,
    people: Vec<String>,
    matches: Vec<StoredMatch>,
    kind: Option<String>,
    web_url: Option<String>,
}

const EVENT_FIELDS: &str = "record::id(id) AS id, connection, calendar, uid, recurrence_id, title, description, location, starts_at, ends_at, all_day, start_date, end_date, status, organizer, attendees, meeting_url, people, matches, kind, web_url";

/// How `kind` marks an out-of-office entry (anything else, or none, is a meeting).
const OUT_OF_OFFICE: &str = "out_of_office";

/// A stored occurrence, typed.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: String,
    pub connection: String,
    pub calendar: String,
    pub uid: String,
    pub recurrence_id: String,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub all_day: bool,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub status: EventStatus,
    pub organizer: Option<AttendeeRecord>,
    pub attendees: Vec<AttendeeRecord>,
    pub meeting_url: Option<String>,
    /// People linked by an email match.
    pub people: Vec<String>,
    pub matches: Vec<MatchRecord>,
    /// A Google out-of-office entry (never matched, logged or joined).
    pub out_of_office: bool,
    /// The event in the provider's web calendar.
    pub web_url: Option<String>,
}

impl From<StoredEvent> for EventRow {
    fn from(s: StoredEvent) -> Self {
        EventRow {
            status: EventStatus::parse(&s.status),
            start_date: s.start_date.as_deref().and_then(|d| d.parse().ok()),
            end_date: s.end_date.as_deref().and_then(|d| d.parse().ok()),
            organizer: s
                .organizer
                .filter(|o| o.email.is_some())
                .map(StoredAttendee::record),
            attendees: s
                .attendees
                .into_iter()
                .map(StoredAttendee::record)
                .collect(),
            matches: s.matches.into_iter().map(StoredMatch::record).collect(),
            id: s.id,
            connection: s.connection,
            calendar: s.calendar,
            uid: s.uid,
            recurrence_id: s.recurrence_id,
            title: s.title,
            description: s.description,
            location: s.location,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            all_day: s.all_day,
            meeting_url: s.meeting_url.as_deref().and_then(web_link),
            people: s.people,
            out_of_office: s.kind.as_deref() == Some(OUT_OF_OFFICE),
            web_url: s.web_url.as_deref().and_then(web_link),
        }
    }
}

impl EventRow {
    /// The activity source this occurrence is logged under.
    pub fn source(&self) -> String {
        event_source(
            &self.connection,
            &self.calendar,
            &self.uid,
            &self.recurrence_id,
        )
    }

    pub fn cancelled(&self) -> bool {
        self.status == EventStatus::Cancelled
    }

    /// The user's own answer: from the attendees the provider marked as the account, or with
    /// one of the user's addresses. A decline under any of them wins, then tentative, then
    /// any other answer.
    pub fn my_response(&self, own: &OwnAddresses) -> Option<Response> {
        let mine: Vec<Response> = self
            .attendees
            .iter()
            .filter(|a| a.is_self || own.contains(&a.email))
            .filter_map(|a| a.response)
            .collect();
        [Response::Declined, Response::Tentative]
            .into_iter()
            .find(|r| mine.contains(r))
            .or_else(|| mine.first().copied())
    }

    /// Whether the user declined (under any of their addresses).
    pub fn declined_by_me(&self, own: &OwnAddresses) -> bool {
        self.my_response(own) == Some(Response::Declined)
    }

    pub fn guests(&self) -> impl Iterator<Item = Guest<'_>> {
        model::guests(self.organizer.as_ref(), &self.attendees)
    }
}

fn events(stored: Vec<StoredEvent>) -> Vec<EventRow> {
    stored.into_iter().map(EventRow::from).collect()
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct EventInsert {
    id: RecordId,
    owner: String,
    connection: String,
    calendar: String,
    href: Option<String>,
    uid: String,
    recurrence_id: String,
    title: String,
    description: Option<String>,
    location: Option<String>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    all_day: bool,
    start_date: Option<String>,
    end_date: Option<String>,
    time_zone: Option<String>,
    status: String,
    organizer: Option<StoredAttendee>,
    attendees: Vec<StoredAttendee>,
    meeting_url: Option<String>,
    etag: Option<String>,
    last_modified: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    span: String,
    attendee_keys: Vec<String>,
    people: Vec<String>,
    matches: Vec<StoredMatch>,
    unknown_guests: bool,
    kind: String,
    web_url: Option<String>,
}

impl EventInsert {
    /// The row for one occurrence, its guests matched against `index` on the way in.
    fn new(
        owner: &str,
        calendar: CalendarKey<'_>,
        object: (&str, &str),
        e: &EventRecord,
        index: &Index,
        now: DateTime<Utc>,
    ) -> Self {
        let (href, etag) = object;
        let matches = matcher::match_guests(index, e.guests());
        EventInsert {
            id: RecordId::new("event", new_id()),
            owner: owner.to_string(),
            connection: calendar.connection.to_string(),
            calendar: calendar.id.to_string(),
            href: Some(href.to_string()),
            uid: e.uid.clone(),
            recurrence_id: e.recurrence_id.clone().unwrap_or_default(),
            title: e.title.clone(),
            description: e.description.clone(),
            location: e.location.clone(),
            starts_at: e.start.instant(),
            ends_at: e.end.instant(),
            all_day: e.all_day(),
            start_date: e.start.date().map(|d| d.to_string()),
            end_date: e.end.date().map(|d| d.to_string()),
            time_zone: e.time_zone.clone(),
            status: e.status.as_str().to_string(),
            organizer: e.organizer.as_ref().map(StoredAttendee::organizer),
            attendees: e.attendees.iter().map(StoredAttendee::attendee).collect(),
            meeting_url: e.meeting_url.as_deref().and_then(web_link),
            etag: Some(etag.to_string()),
            last_modified: e.last_modified,
            updated_at: now,
            span: Span::of(e.end.instant() - e.start.instant())
                .as_str()
                .to_string(),
            attendee_keys: matcher::guest_keys(e.guests()),
            people: matcher::linked_people(&matches),
            matches: stored_matches(&matches),
            // Never for a cancelled one: "Unmatched" leaves them out, counted from index keys.
            unknown_guests: e.status != EventStatus::Cancelled
                && e.guests().any(|g| matcher::is_unknown(index, &g)),
            kind: if e.out_of_office {
                OUT_OF_OFFICE
            } else {
                "meeting"
            }
            .to_string(),
            web_url: e.web_url.as_deref().and_then(web_link),
        }
    }
}

/// An event's guests, for re-matching after people changed.
#[derive(Debug, Clone)]
pub struct EventGuests {
    pub id: String,
    pub organizer: Option<AttendeeRecord>,
    pub attendees: Vec<AttendeeRecord>,
}

impl EventGuests {
    pub fn guests(&self) -> impl Iterator<Item = Guest<'_>> {
        model::guests(self.organizer.as_ref(), &self.attendees)
    }
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct StoredGuests {
    id: String,
    organizer: Option<StoredAttendee>,
    attendees: Vec<StoredAttendee>,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Relink {
    id: String,
    people: Vec<String>,
    matches: Vec<StoredMatch>,
    unknown_guests: bool,
}

/// An event's guests matched anew: its matches and whether any guest is still unknown.
#[derive(Debug, Clone)]
pub struct Rematched {
    pub id: String,
    pub matches: Vec<MatchRecord>,
    pub unknown_guests: bool,
}

/// Which of a user's events need re-matching.
#[derive(Clone, Copy)]
pub enum GuestFilter<'a> {
    All,
    /// Events with a guest under one of these lookup keys or matched to one of these people.
    Touching {
        keys: &'a [String],
        people: &'a [String],
    },
    /// Events stored before the unknown-guests flag existed (migration 15).
    Unflagged,
}

/// One remote object to store: where it lives, its ETag, its kept text and its occurrences.
#[derive(Debug, Clone, Copy)]
pub struct ObjectWrite<'a> {
    /// Whether the object was stored when the sync began (new ones skip the lookups).
    pub known: bool,
    pub href: &'a str,
    pub etag: &'a str,
    pub data: Option<&'a str>,
    pub events: &'a [EventRecord],
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Occurrence {
    uid: String,
    recurrence_id: String,
}

/// One item per occurrence (`row` gives its row), the later winning (the same UID may move
/// between objects), and the identities they store.
fn latest_per_occurrence<T>(
    items: impl IntoIterator<Item = T>,
    row: impl Fn(&T) -> &EventInsert,
) -> (Vec<T>, HashSet<String>) {
    let mut kept: Vec<T> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for item in items {
        let key = identity(&row(&item).uid, &row(&item).recurrence_id);
        match seen.get(&key) {
            Some(&at) => kept[at] = item,
            None => {
                seen.insert(key, kept.len());
                kept.push(item);
            }
        }
    }
    (kept, seen.into_keys().collect())
}

/// What identifies each of `rows` (to remove it wherever it is stored).
fn occurrence_keys(rows: &[EventInsert]) -> Vec<Occurrence> {
    rows.iter()
        .map(|r| Occurrence {
            uid: r.uid.clone(),
            recurrence_id: r.recurrence_id.clone(),
        })
        .collect()
}

/// A remote object as stored: its ETag and, up to a size cap, its iCalendar text.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct StoredObject {
    pub href: String,
    pub etag: String,
    pub data: Option<String>,
}

/// A remote object stored for the first time, with its owner and calendar.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct NewObject {
    owner: String,
    calendar: String,
    href: String,
    etag: String,
    data: Option<String>,
}

/// Where the event store learns which of a user's calendars to leave out of what it shows:
/// those of connections being deleted, whose events go in batches after the connection is
/// hidden (the connection store knows them).
#[async_trait::async_trait]
pub trait HiddenCalendars: Send + Sync {
    async fn hidden_calendars(&self, owner: &str) -> Result<Arc<Vec<String>>, StoreError>;
}

#[derive(Clone)]
pub struct EventStore {
    db: Db,
    hidden: Option<Arc<dyn HiddenCalendars>>,
}

impl EventStore {
    pub fn new(db: Db) -> Self {
        Self { db, hidden: None }
    }

    /// Leaves the calendars `hidden` names out of the meetings, counts and days it reads.
    pub fn hiding(mut self, hidden: Arc<dyn HiddenCalendars>) -> Self {
        self.hidden = Some(hidden);
        self
    }

    async fn hidden(&self, owner: &str) -> Result<Arc<Vec<String>>, StoreError> {
        match &self.hidden {
            Some(hidden) => hidden.hidden_calendars(owner).await,
            None => Ok(Arc::default()),
        }
    }

    /// href → ETag of every object stored for a calendar.
    pub async fn objects(&self, calendar: &str) -> Result<HashMap<String, String>, StoreError> {
        #[derive(Debug, SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct ObjectRow {
            href: String,
            etag: String,
        }
        let rows: Vec<ObjectRow> = self
            .db
            .query("SELECT href, etag FROM calendar_object WHERE calendar = $calendar")
            .bind(("calendar", calendar.to_string()))
            .await?
            .take(0)?;
        Ok(rows.into_iter().map(|r| (r.href, r.etag)).collect())
    }

    /// One page (by href) of a calendar's stored objects with their kept iCalendar text, for
    /// re-expanding them in a new window.
    pub async fn stored_objects(
        &self,
        calendar: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredObject>, StoreError> {
        Ok(self
            .db
            .query("SELECT href, etag, data FROM calendar_object WHERE calendar = $calendar AND href > $after ORDER BY href LIMIT $limit")
            .bind(("calendar", calendar.to_string()))
            .bind(("after", after.unwrap_or_default().to_string()))
            .bind(("limit", limit as i64))
            .await?
            .take(0)?)
    }

    /// The occurrences stored for one object.
    async fn occurrences(&self, calendar: &str, href: &str) -> Result<Vec<Occurrence>, StoreError> {
        Ok(self
            .db
            .query(
                "SELECT uid, recurrence_id FROM event WHERE calendar = $calendar AND href = $href",
            )
            .bind(("calendar", calendar.to_string()))
            .bind(("href", href.to_string()))
            .await?
            .take(0)?)
    }

    async fn identities(&self, calendar: &str, href: &str) -> Result<HashSet<String>, StoreError> {
        Ok(self
            .occurrences(calendar, href)
            .await?
            .into_iter()
            .map(|r| identity(&r.uid, &r.recurrence_id))
            .collect())
    }

    /// Replaces what each of `objects` holds, all in one transaction: a sync writes a whole
    /// fetched batch at once instead of paying a transaction (and a log flush) per object.
    /// Guests are matched against `index` on the way in. When two objects name the same
    /// occurrence, the later one wins (the same UID may move between objects).
    pub async fn replace_objects(
        &self,
        owner: &str,
        calendar: CalendarKey<'_>,
        objects: &[ObjectWrite<'_>],
        index: &Index,
    ) -> Result<Changes, StoreError> {
        if objects.is_empty() {
            return Ok(Changes::default());
        }
        // Only objects stored before can hold occurrences already.
        let hrefs: Vec<String> = objects
            .iter()
            .filter(|o| o.known)
            .map(|o| o.href.to_string())
            .collect();
        let held = self.occurrences_of(calendar.id, &hrefs).await?;
        // An object that held more than one transaction can delete alongside the rest (it
        // shrank) loses its old occurrences a batch at a time first.
        for (href, occurrences) in hrefs.iter().zip(&held) {
            if occurrences.len() > CLEAR_BATCH {
                self.clear_occurrences(owner, calendar.id, href).await?;
            }
        }
        let before: HashSet<String> = held
            .into_iter()
            .flatten()
            .map(|r| identity(&r.uid, &r.recurrence_id))
            .collect();
        let now = Utc::now();
        let rows = objects.iter().flat_map(|object| {
            object.events.iter().map(move |e| {
                EventInsert::new(owner, calendar, (object.href, object.etag), e, index, now)
            })
        });
        let (rows, after) = latest_per_occurrence(rows, |row| row);
        let keys = occurrence_keys(&rows);
        let stored = |known: bool| -> Vec<StoredObject> {
            objects
                .iter()
                .filter(|o| o.known == known)
                .map(|o| StoredObject {
                    href: o.href.to_string(),
                    etag: o.etag.to_string(),
                    data: o.data.map(str::to_string),
                })
                .collect()
        };
        // Optimistic first: new objects are created without looking for what they replace,
        // and an occurrence normally lives in one object only. If that was wrong (a UID that
        // moved between objects, an object stored meanwhile), a unique index refuses the
        // write and the transaction runs again, looking everything up and removing copies.
        let mut result = self
            .write_objects(
                owner,
                calendar,
                (&stored(true), &stored(false)),
                None,
                &rows,
            )
            .await;
        if matches!(&result, Err(e) if e.to_string().contains("index")) {
            let all: Vec<StoredObject> = stored(true).into_iter().chain(stored(false)).collect();
            result = self
                .write_objects(owner, calendar, (&all, &[]), Some(&keys), &rows)
                .await;
        }
        result?;
        Ok(Changes {
            added: after.difference(&before).count() as u64,
            changed: after.intersection(&before).count() as u64,
            removed: before.difference(&after).count() as u64,
        })
    }

    /// Replaces what one object holds in several transactions, for an object with more
    /// occurrences than one transaction can hold (`room`: what each may write, in
    /// `budget::write_cost` terms). The stored object's ETag is emptied first and set after
    /// the last part: interrupted midway, its occurrences so far show until the next sync,
    /// which fetches it again (or removes it, if it is gone).
    pub async fn replace_object_in_parts(
        &self,
        owner: &str,
        calendar: CalendarKey<'_>,
        object: &ObjectWrite<'_>,
        room: usize,
        index: &Index,
    ) -> Result<Changes, StoreError> {
        let before = if object.known {
            self.identities(calendar.id, object.href).await?
        } else {
            HashSet::new()
        };
        if object.known {
            self.clear_occurrences(owner, calendar.id, object.href)
                .await?;
        }
        let now = Utc::now();
        let rows = object.events.iter().map(|e| {
            let row = EventInsert::new(owner, calendar, (object.href, object.etag), e, index, now);
            (row, crate::calendar::budget::write_cost(e))
        });
        let (rows, after) = latest_per_occurrence(rows, |(row, _)| row);
        let (rows, costs): (Vec<EventInsert>, Vec<usize>) = rows.into_iter().unzip();
        let parts = crate::calendar::budget::runs(&costs, room);
        // Stored with an empty ETag until its last part is in (see `clear_occurrences`).
        let unfinished = [StoredObject {
            href: object.href.to_string(),
            etag: String::new(),
            data: None,
        }];
        for (i, part) in parts.iter().enumerate() {
            let rows = &rows[part.clone()];
            let stored: &[StoredObject] = if i == 0 { &unfinished } else { &[] };
            let mut result = self
                .write_objects(owner, calendar, (stored, &[]), None, rows)
                .await;
            // As in `replace_objects`: an occurrence held elsewhere (a moved UID, or twice in
            // this object) is looked up and removed, and the part written again.
            if matches!(&result, Err(e) if e.to_string().contains("index")) {
                let keys = occurrence_keys(rows);
                result = self
                    .write_objects(owner, calendar, (stored, &[]), Some(&keys), rows)
                    .await;
            }
            result?;
        }
        self.db
            .query("UPDATE calendar_object SET etag = $etag, data = $data WHERE calendar = $calendar AND href = $href")
            .bind(("calendar", calendar.id.to_string()))
            .bind(("href", object.href.to_string()))
            .bind(("etag", object.etag.to_string()))
            .bind(("data", object.data.map(str::to_string)))
            .await?
            .check()?;
        Ok(Changes {
            added: after.difference(&before).count() as u64,
            changed: after.intersection(&before).count() as u64,
            removed: before.difference(&after).count() as u64,
        })
    }

    /// One transaction storing objects (`known`: replacing what they held; `new`: created
    /// outright) and `rows`; with `moved`, first removes those occurrences wherever they are.
    async fn write_objects(
        &self,
        owner: &str,
        calendar: CalendarKey<'_>,
        (known, new): (&[StoredObject], &[StoredObject]),
        moved: Option<&[Occurrence]>,
        rows: &[EventInsert],
    ) -> Result<(), StoreError> {
        let moved_sql = if moved.is_some() {
            "FOR $k IN $keys {
                DELETE event WHERE owner = $owner AND connection = $connection AND calendar = $calendar AND uid = $k.uid AND recurrence_id = $k.recurrence_id;
             };"
        } else {
            ""
        };
        let response = self
            .db
            .query(format!(
                "BEGIN TRANSACTION;
                 -- A connection deleted, or a calendar unticked, while its sync runs stays so:
                 -- no zombie events.
                 LET $ticked = (SELECT VALUE selected FROM type::record('calendar', $calendar));
                 IF array::len($ticked) = 0 {{
                    THROW 'calendar_gone';
                 }};
                 IF $ticked[0] != true {{
                    THROW 'calendar_unticked';
                 }};
                 FOR $o IN $objects {{
                    DELETE event WHERE calendar = $calendar AND href = $o.href;
                    IF (SELECT VALUE id FROM calendar_object WHERE calendar = $calendar AND href = $o.href) {{
                        UPDATE calendar_object SET etag = $o.etag, data = $o.data WHERE calendar = $calendar AND href = $o.href;
                    }} ELSE {{
                        CREATE calendar_object CONTENT {{ owner: $owner, calendar: $calendar, href: $o.href, etag: $o.etag, data: $o.data }};
                    }};
                 }};
                 INSERT INTO calendar_object $new;
                 {moved_sql}
                 INSERT INTO event $rows;
                 UPDATE type::record('calendar', $calendar) SET recount = true;
                 COMMIT TRANSACTION;"
            ))
            .bind(("calendar", calendar.id.to_string()))
            .bind(("connection", calendar.connection.to_string()))
            .bind(("owner", owner.to_string()))
            .bind(("objects", known.to_vec()))
            .bind((
                "new",
                new.iter()
                    .map(|o| NewObject {
                        owner: owner.to_string(),
                        calendar: calendar.id.to_string(),
                        href: o.href.clone(),
                        etag: o.etag.clone(),
                        data: o.data.clone(),
                    })
                    .collect::<Vec<_>>(),
            ))
            .bind(("keys", moved.map(<[Occurrence]>::to_vec).unwrap_or_default()))
            .bind(("rows", rows.to_vec()))
            .await?;
        touched(owner, Data::Calendar).await;
        // The cause, not the "not executed" every other statement of the failed transaction
        // reports: `replace_objects` reads it to tell a unique-index refusal.
        match check_all(response) {
            Err(e) if e.to_string().contains("calendar_unticked") => Err(StoreError::Unticked),
            Err(e) if e.to_string().contains("calendar_gone") => {
                Err(StoreError::NotFound("calendar"))
            }
            other => other.map(|_| ()),
        }
    }

    /// The occurrences stored for each of `hrefs` of one calendar.
    async fn occurrences_of(
        &self,
        calendar: &str,
        hrefs: &[String],
    ) -> Result<Vec<Vec<Occurrence>>, StoreError> {
        // One indexed lookup per href, in one round trip (`href IN $hrefs` scans the table).
        let statements: String = (0..hrefs.len())
            .map(|i| {
                format!(
                    "SELECT uid, recurrence_id FROM event WHERE calendar = $calendar AND href = $h{i};"
                )
            })
            .collect();
        let mut query = self
            .db
            .query(statements)
            .bind(("calendar", calendar.to_string()));
        for (i, href) in hrefs.iter().enumerate() {
            query = query.bind((format!("h{i}"), href.clone()));
        }
        let mut response = query.await?;
        let mut found = Vec::new();
        for i in 0..hrefs.len() {
            let rows: Vec<Occurrence> = response.take(i)?;
            found.push(rows);
        }
        Ok(found)
    }

    /// Removes an object's occurrences a batch per statement, for an object with more than one
    /// transaction can hold. Its stored ETag is emptied first: interrupted midway, the next sync
    /// fetches the object again (or removes it, if it is gone).
    async fn clear_occurrences(
        &self,
        owner: &str,
        calendar: &str,
        href: &str,
    ) -> Result<(), StoreError> {
        self.db
            .query(
                "UPDATE calendar_object SET etag = '' WHERE calendar = $calendar AND href = $href",
            )
            .bind(("calendar", calendar.to_string()))
            .bind(("href", href.to_string()))
            .await?
            .check()?;
        loop {
            let response = self
                .db
                .query(
                    "LET $batch = (SELECT VALUE id FROM event WHERE calendar = $calendar AND href = $href LIMIT $limit);
                     DELETE $batch;
                     RETURN array::len($batch);",
                )
                .bind(("calendar", calendar.to_string()))
                .bind(("href", href.to_string()))
                .bind(("limit", CLEAR_BATCH as i64))
                .await?;
            touched(owner, Data::Calendar).await;
            let removed: Option<i64> = check_all(response)?.take(2)?;
            if removed.unwrap_or(0) < CLEAR_BATCH as i64 {
                return Ok(());
            }
        }
    }

    pub async fn remove_object(
        &self,
        owner: &str,
        calendar: CalendarKey<'_>,
        href: &str,
    ) -> Result<Changes, StoreError> {
        let before = self.identities(calendar.id, href).await?;
        if before.len() > CLEAR_BATCH {
            self.clear_occurrences(owner, calendar.id, href).await?;
        }
        let response = self
            .db
            .query("BEGIN TRANSACTION; DELETE event WHERE calendar = $calendar AND href = $href; DELETE calendar_object WHERE calendar = $calendar AND href = $href; UPDATE type::record('calendar', $calendar) SET recount = true; COMMIT TRANSACTION;")
            .bind(("calendar", calendar.id.to_string()))
            .bind(("href", href.to_string()))
            .await?;
        touched(owner, Data::Calendar).await;
        check_all(response)?;
        Ok(Changes {
            removed: before.len() as u64,
            ..Default::default()
        })
    }

    /// The activity sources of an object's occurrences (what auto-logging recorded them as), so
    /// activities can follow a cancellation.
    pub async fn sources_of(
        &self,
        calendar: CalendarKey<'_>,
        href: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = self.occurrences(calendar.id, href).await?;
        Ok(rows
            .iter()
            .map(|r| event_source(calendar.connection, calendar.id, &r.uid, &r.recurrence_id))
            .collect())
    }

    /// Counts the occurrences of a connection's calendars written since they were last
    /// counted (`recount`), so the calendars page reads a stored number instead of counting
    /// every event on each view. Run at the end of each sync, under its lease.
    pub async fn recount(&self, connection: &str) -> Result<(), StoreError> {
        self.db
            .query(
                "FOR $c IN (SELECT VALUE record::id(id) FROM calendar WHERE connection = $connection AND recount = true) {
                    UPDATE type::record('calendar', $c) SET event_count = count((SELECT VALUE id FROM event WHERE calendar = $c)), recount = false;
                 };",
            )
            .bind(("connection", connection.to_string()))
            .await?
            .check()?;
        Ok(())
    }

    /// One page of the meetings `among` selects in `scope`, optionally overlapping
    /// `[from, to)`, and with `count` how many there are in all (a caller that has the count
    /// from [`EventStore::counts`] spares reading it again).
    #[allow(clippy::too_many_arguments)]
    pub async fn page(
        &self,
        owner: &str,
        among: Among<'_>,
        scope: MeetingScope,
        range: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        (now, today): (DateTime<Utc>, NaiveDate),
        (limit, start): (u32, u32),
        count: bool,
    ) -> Result<(Vec<EventRow>, Option<u64>), StoreError> {
        let hidden = self.hidden(owner).await?;
        let hidden = hidden.as_slice();
        if range.0.is_some() || range.1.is_some() {
            let (rows, total) = self
                .page_between(
                    (owner, hidden),
                    among,
                    scope,
                    range,
                    (now, today),
                    limit,
                    start,
                )
                .await?;
            return Ok((rows, Some(total)));
        }
        // Whatever starts after now is upcoming, whatever started by now is past unless it is
        // still running ("ongoing", by the user's dates for all-day ones). Both sides are then
        // ranges of an (owner, …, start) index, counted from its keys; the ongoing ones are
        // few and read apart.
        let ongoing = self.ongoing((owner, hidden), among, now, today).await?;
        let (start, limit) = (start as usize, limit as usize);
        let (sql, skip, take) = match scope {
            MeetingScope::Upcoming => (
                (LATER, COUNT_LATER),
                start.saturating_sub(ongoing.len()),
                limit - ongoing.len().saturating_sub(start).min(limit),
            ),
            MeetingScope::Past => ((EARLIER, COUNT_STARTED), start, limit),
        };
        let sql = match sql {
            (rows, counted) if count => format!("{rows}{counted}"),
            (rows, _) => rows.to_string(),
        };
        let mut response = self
            .among((owner, hidden), among, &sql, &[("now", now)])?
            .bind(("today", today.to_string()))
            .bind(("limit", take as i64))
            .bind(("start", skip as i64))
            .await?;
        let rows = if take == 0 {
            Vec::new()
        } else {
            events(response.take(0)?)
        };
        let counted = if count {
            Some(count_of(response.take(1)?))
        } else {
            None
        };
        Ok(match scope {
            MeetingScope::Upcoming => (
                ongoing
                    .iter()
                    .skip(start)
                    .take(limit)
                    .cloned()
                    .chain(rows)
                    .collect(),
                counted.map(|later| ongoing.len() as u64 + later),
            ),
            MeetingScope::Past => (
                rows,
                counted.map(|started| started.saturating_sub(ongoing.len() as u64)),
            ),
        })
    }

    /// `sql` for the meetings `among` selects, with `$owner`, `$person` and the `times`
    /// spelled out (so its counts are read from index keys alone, see `db::inlined`).
    fn among(
        &self,
        (owner, hidden): (&str, &[String]),
        among: Among<'_>,
        sql: &str,
        times: &[(&str, DateTime<Utc>)],
    ) -> Result<surrealdb::method::Query<'_, surrealdb::engine::any::Any>, StoreError> {
        let mut values = vec![("owner", Literal::key(owner)?)];
        if let Among::Person(person) = among {
            values.push(("person", Literal::key(person)?));
        }
        values.extend(times.iter().map(|(name, at)| (*name, Literal::Time(*at))));
        let query = self
            .db
            .query(inlined(&among.sql(sql, !hidden.is_empty()), &values));
        Ok(if hidden.is_empty() {
            query
        } else {
            query.bind(("hidden", hidden.to_vec()))
        })
    }

    /// One page of the meetings `among` selects that start in `[from, to)`, in order (how many
    /// there are: [`EventStore::counts`]).
    pub async fn starting_between(
        &self,
        owner: &str,
        among: Among<'_>,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        limit: u32,
        start: u32,
    ) -> Result<Vec<EventRow>, StoreError> {
        let hidden = self.hidden(owner).await?;
        let mut response = self
            .among(
                (owner, &hidden),
                among,
                STARTING_BETWEEN,
                &[("from", from), ("to", to)],
            )?
            .bind(("limit", limit as i64))
            .bind(("start", start as i64))
            .await?;
        Ok(events(response.take(0)?))
    }

    /// How many of the meetings `among` selects are upcoming, past (as [`EventStore::page`]
    /// splits them) or start in `week`, for each of `tabs` in turn: counted from index keys,
    /// with the few ongoing ones read.
    pub async fn counts(
        &self,
        owner: &str,
        among: Among<'_>,
        (now, today): (DateTime<Utc>, NaiveDate),
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        tabs: &[MeetingsWhen],
    ) -> Result<Vec<u64>, StoreError> {
        let hidden = self.hidden(owner).await?;
        let ongoing = if tabs.iter().any(|t| *t != MeetingsWhen::Week) {
            let ongoing = self.ongoing((owner, &hidden), among, now, today).await?;
            ongoing.len() as u64
        } else {
            0
        };
        let sql: String = tabs
            .iter()
            .map(|tab| match tab {
                MeetingsWhen::Upcoming => COUNT_LATER,
                MeetingsWhen::Week => COUNT_WEEK,
                MeetingsWhen::Past => COUNT_STARTED,
            })
            .collect();
        let mut response = self
            .among(
                (owner, &hidden),
                among,
                &sql,
                &[("now", now), ("from", from), ("to", to)],
            )?
            .await?;
        let mut statement = 0;
        let mut next = || -> Result<u64, StoreError> {
            statement += 1;
            Ok(count_of(response.take(statement - 1)?))
        };
        tabs.iter()
            .map(|tab| {
                Ok(match tab {
                    MeetingsWhen::Upcoming => next()? + ongoing,
                    MeetingsWhen::Week => next()?.saturating_sub(next()?),
                    MeetingsWhen::Past => next()?.saturating_sub(ongoing),
                })
            })
            .collect()
    }

    /// The meetings `among` selects that started by `now` and are still running, soonest
    /// first: those that started in the last two days, read back from `now` along the index,
    /// and the multi-day ones apart.
    async fn ongoing(
        &self,
        (owner, hidden): (&str, &[String]),
        among: Among<'_>,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<Vec<EventRow>, StoreError> {
        const PAGE: i64 = 50;
        let recent = now - Span::Longer.length() * 2;
        let running = |r: &EventRow| match (r.all_day, r.end_date) {
            (true, Some(end)) => end > today,
            _ => r.ends_at > now,
        };
        let mut started: Vec<EventRow> = Vec::new();
        loop {
            let page = events(
                self.among((owner, hidden), among, STARTED, &[("now", now)])?
                    .bind(("limit", PAGE))
                    .bind(("skip", started.len() as i64))
                    .await?
                    .take(0)?,
            );
            let full = page.len() as i64 == PAGE;
            let before = started.len();
            started.extend(page.into_iter().take_while(|r| r.starts_at >= recent));
            if !full || started.len() - before < PAGE as usize {
                break;
            }
        }
        let long: Vec<StoredEvent> = self
            .among((owner, hidden), among, LONG_RUNNING, &[("recent", recent)])?
            .await?
            .take(0)?;
        let mut rows: Vec<EventRow> = started
            .into_iter()
            .chain(events(long))
            .filter(running)
            .collect();
        rows.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// [`EventStore::page`] within a date range (a filter the user set): the meetings in that
    /// range, sorted and counted as found.
    #[allow(clippy::too_many_arguments)]
    async fn page_between(
        &self,
        (owner, hidden): (&str, &[String]),
        among: Among<'_>,
        scope: MeetingScope,
        range: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        (now, today): (DateTime<Utc>, NaiveDate),
        limit: u32,
        start: u32,
    ) -> Result<(Vec<EventRow>, u64), StoreError> {
        let (from, to) = range;
        let (time_rule, order) = match scope {
            MeetingScope::Upcoming => (UPCOMING.to_string(), "ASC"),
            MeetingScope::Past => (format!("NOT ({UPCOMING})"), "DESC"),
        };
        let filter = format!(
            "owner = $owner{} AND {time_rule}{}{}",
            among.clause_hiding(!hidden.is_empty()),
            if from.is_some() {
                " AND ends_at > $from"
            } else {
                ""
            },
            if to.is_some() {
                " AND starts_at < $to"
            } else {
                ""
            }
        );
        let times: Vec<(&str, DateTime<Utc>)> = [("now", Some(now)), ("from", from), ("to", to)]
            .into_iter()
            .filter_map(|(name, at)| at.map(|at| (name, at)))
            .collect();
        let sql = format!(
            "SELECT {EVENT_FIELDS} FROM event WHERE {filter} ORDER BY starts_at {order} LIMIT $limit START $start;
             SELECT count() AS n FROM event WHERE {filter} GROUP ALL;"
        );
        let mut response = self
            .among((owner, hidden), among, &sql, &times)?
            .bind(("today", today.to_string()))
            .bind(("limit", limit as i64))
            .bind(("start", start as i64))
            .await?;
        let rows = events(response.take(0)?);
        let total: Option<CountRow> = response.take(1)?;
        Ok((rows, count_of(total)))
    }

    /// Not-cancelled occurrences on `day`: timed ones overlapping `[start, end)`, all-day ones
    /// covering the date. All-day first, then by start.
    pub async fn on_day(
        &self,
        owner: &str,
        day: NaiveDate,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<EventRow>, StoreError> {
        // Instead of a scan of all the user's events: for each short span class, those ending
        // from the day's start until the class's length after its end (all-day ones end at UTC
        // midnight after their date, within hours of the user's); and the few longer ones still
        // running at its start.
        let on_day = |r: &EventRow| {
            r.status != EventStatus::Cancelled
                && if r.all_day {
                    r.start_date.is_some_and(|d| d <= day) && r.end_date.is_some_and(|d| d > day)
                } else {
                    r.starts_at < end && r.ends_at > start
                }
        };
        let hidden = self.hidden(owner).await?;
        // One round trip for the first page of each short class and the long ones; a class
        // with more than a page goes on alone.
        let mut first = String::new();
        for i in 0..Span::SHORT.len() {
            first.push_str(&fill_in(ENDING_FROM, &hidden).replace("$span", &format!("$span{i}")));
            first.push_str(";\n");
        }
        first.push_str(&fill_in(LONG_RUNNING_SINCE, &hidden));
        let mut query = self
            .db
            .query(first)
            .bind(("hidden", hidden.to_vec()))
            .bind(("owner", owner.to_string()))
            .bind(("after", start))
            .bind(("limit", ENDING_PAGE as i64))
            .bind(("skip", 0))
            .bind(("since", start));
        for (i, span) in Span::SHORT.iter().enumerate() {
            query = query.bind((format!("span{i}"), span.as_str()));
        }
        let mut response = query.await?;
        let mut rows = Vec::new();
        for (i, span) in Span::SHORT.into_iter().enumerate() {
            let page = events(response.take(i)?);
            let to = end + span.length();
            rows.extend(self.ending_before((owner, &hidden), span, page, to).await?);
        }
        let long: Vec<StoredEvent> = response.take(Span::SHORT.len())?;
        rows.extend(events(long));
        rows.retain(on_day);
        rows.sort_by(|a, b| {
            b.all_day
                .cmp(&a.all_day)
                .then(a.starts_at.cmp(&b.starts_at))
                .then(a.id.cmp(&b.id))
        });
        rows.truncate(limit as usize);
        Ok(rows)
    }

    /// A user's occurrences of one span class ending before `to`, in end order, from `first`
    /// (the first page of those ending from some time on, [`ENDING_FROM`]) and the pages after
    /// it: the (owner, span, end) index can bound a range on one side only.
    async fn ending_before(
        &self,
        (owner, hidden): (&str, &[String]),
        span: Span,
        first: Vec<EventRow>,
        to: DateTime<Utc>,
    ) -> Result<Vec<EventRow>, StoreError> {
        let mut rows: Vec<EventRow> = Vec::new();
        let mut page = first;
        loop {
            let full = page.len() == ENDING_PAGE;
            let before = rows.len();
            rows.extend(page.into_iter().take_while(|r| r.ends_at < to));
            let after = match rows.last() {
                Some(last) if full && rows.len() - before == ENDING_PAGE => last.ends_at,
                _ => return Ok(rows),
            };
            page = events(
                self.db
                    .query(fill_in(ENDING_FROM, hidden))
                    .bind(("hidden", hidden.to_vec()))
                    .bind(("owner", owner.to_string()))
                    .bind(("span", span.as_str()))
                    .bind(("after", after))
                    .bind(("limit", ENDING_PAGE as i64))
                    // Those ending at `after` itself were read with the page before.
                    .bind((
                        "skip",
                        rows.iter().rev().take_while(|r| r.ends_at == after).count() as i64,
                    ))
                    .await?
                    .take(0)?,
            );
        }
    }

    /// When the user last met `person` by calendar (the starts of their `latest` meetings up
    /// to `now`, cancelled ones left out) and when they meet next: what a person's
    /// cadence reads.
    pub async fn met_and_next(
        &self,
        owner: &str,
        person: &str,
        now: DateTime<Utc>,
        latest: usize,
    ) -> Result<(Vec<DateTime<Utc>>, Option<DateTime<Utc>>), StoreError> {
        #[derive(Debug, SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct Start {
            at: DateTime<Utc>,
            status: Option<String>,
        }
        let hidden = self.hidden(owner).await?;
        let mut response = self
            .db
            .query(fill_in(MET_AND_NEXT, &hidden))
            .bind(("hidden", hidden.to_vec()))
            .bind(("owner", owner.to_string()))
            .bind(("person", person.to_string()))
            .bind(("latest", latest as i64))
            .bind(("now", now))
            .await?;
        let met: Vec<Start> = response.take(0)?;
        let next: Option<Start> = response.take(1)?;
        let met = met
            .into_iter()
            .filter(|m| m.status.as_deref() != Some(EventStatus::Cancelled.as_str()))
            .map(|m| m.at)
            .collect();
        Ok((met, next.map(|n| n.at)))
    }

    /// Ended, timed, not cancelled meetings of a connection with matched people, since `from`
    /// and not declined by the user: what auto-logging considers.
    pub async fn loggable(
        &self,
        owner: &str,
        connection: &str,
        (from, now): (DateTime<Utc>, DateTime<Utc>),
        own: &OwnAddresses,
    ) -> Result<Vec<EventRow>, StoreError> {
        // Not from a connection being deleted (a sync that outlived the deletion's start).
        let hidden = self.hidden(owner).await?;
        let rows = events(
            self.db
                .query(fill_in(
                    "SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner AND connection = $connection AND all_day = false
                       AND status != 'cancelled' AND ends_at <= $now AND starts_at >= $from AND array::len(people) > 0
                       AND kind != 'out_of_office'{HIDDEN}",
                    &hidden,
                ))
                .bind(("hidden", hidden.to_vec()))
                .bind(("owner", owner.to_string()))
                .bind(("connection", connection.to_string()))
                .bind(("now", now))
                .bind(("from", from))
                .await?
                .take(0)?,
        );
        Ok(rows
            .into_iter()
            .filter(|e| !e.declined_by_me(own))
            .collect())
    }

    /// Sources of a connection's meetings the user declined, whose auto-logged activities must
    /// go (like cancelled ones'). Only events with a declined answer are read.
    pub async fn declined_sources(
        &self,
        owner: &str,
        connection: &str,
        own: &OwnAddresses,
    ) -> Result<Vec<String>, StoreError> {
        let rows = events(
            self.db
                .query(format!("SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner AND connection = $connection AND attendees.*.response CONTAINS 'declined'"))
                .bind(("owner", owner.to_string()))
                .bind(("connection", connection.to_string()))
                .await?
                .take(0)?,
        );
        Ok(rows
            .iter()
            .filter(|e| e.declined_by_me(own))
            .map(EventRow::source)
            .collect())
    }

    /// Sources of a connection's cancelled events, whose auto-logged activities must go.
    pub async fn cancelled_sources(
        &self,
        owner: &str,
        connection: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = events(
            self.db
                .query(format!("SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner AND connection = $connection AND status = 'cancelled'"))
                .bind(("owner", owner.to_string()))
                .bind(("connection", connection.to_string()))
                .await?
                .take(0)?,
        );
        Ok(rows.iter().map(EventRow::source).collect())
    }

    pub async fn get(&self, owner: &str, id: &str) -> Result<EventRow, StoreError> {
        let row: Option<StoredEvent> = self
            .db
            .query(format!("SELECT {EVENT_FIELDS} FROM event WHERE id = type::record('event', $id) AND owner = $owner"))
            .bind(("id", id.to_string()))
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        let hidden = self.hidden(owner).await?;
        row.map(EventRow::from)
            .filter(|row| !hidden.contains(&row.calendar))
            .ok_or(StoreError::NotFound("meeting"))
    }

    /// The guests of a user's events selected by `filter`.
    pub async fn guests(
        &self,
        owner: &str,
        filter: GuestFilter<'_>,
    ) -> Result<Vec<EventGuests>, StoreError> {
        // Not those of a connection being deleted: they are going, and matching them again
        // would only meet the deletion's batches.
        let hidden = self.hidden(owner).await?;
        let which = match filter {
            GuestFilter::All => "",
            GuestFilter::Unflagged => " AND unknown_guests = NONE",
            GuestFilter::Touching { .. } => {
                " AND (attendee_keys CONTAINSANY $keys OR matches.*.person CONTAINSANY $people)"
            }
        };
        let sql = format!(
            "SELECT record::id(id) AS id, organizer, attendees FROM event WHERE owner = $owner{which}{{HIDDEN}}"
        );
        let query = self
            .db
            .query(fill_in(&sql, &hidden))
            .bind(("hidden", hidden.to_vec()));
        let query = match filter {
            GuestFilter::All | GuestFilter::Unflagged => query,
            GuestFilter::Touching { keys, people } => query
                .bind(("keys", keys.to_vec()))
                .bind(("people", people.to_vec())),
        };
        let rows: Vec<StoredGuests> = query.bind(("owner", owner.to_string())).await?.take(0)?;
        Ok(rows
            .into_iter()
            .map(|r| EventGuests {
                id: r.id,
                organizer: r
                    .organizer
                    .filter(|o| o.email.is_some())
                    .map(StoredAttendee::record),
                attendees: r
                    .attendees
                    .into_iter()
                    .map(StoredAttendee::record)
                    .collect(),
            })
            .collect())
    }

    /// Matches the guests of the user's events selected by `filter` again, against `index`.
    /// Returns how many events were looked at.
    pub async fn rematch(
        &self,
        owner: &str,
        filter: GuestFilter<'_>,
        index: &Index,
    ) -> Result<usize, StoreError> {
        let events = self.guests(owner, filter).await?;
        let count = events.len();
        let updates = events
            .iter()
            .map(|e| Rematched {
                id: e.id.clone(),
                matches: matcher::match_guests(index, e.guests()),
                unknown_guests: e.guests().any(|g| matcher::is_unknown(index, &g)),
            })
            .collect();
        self.set_matches(owner, updates).await?;
        Ok(count)
    }

    /// Whether the user has events stored before the unknown-guests flag existed (one read
    /// along the flag's index).
    pub async fn has_unflagged(&self, owner: &str) -> Result<bool, StoreError> {
        let found: Vec<String> = self
            .db
            .query(UNFLAGGED)
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        Ok(!found.is_empty())
    }

    /// Stores new matches for events, in batches.
    pub async fn set_matches(
        &self,
        owner: &str,
        updates: Vec<Rematched>,
    ) -> Result<(), StoreError> {
        let updates: Vec<Relink> = updates
            .into_iter()
            .map(|r| Relink {
                id: r.id,
                people: matcher::linked_people(&r.matches),
                matches: stored_matches(&r.matches),
                unknown_guests: r.unknown_guests,
            })
            .collect();
        for chunk in updates.chunks(500) {
            // Run again after a write conflict (a sync storing the same events): the same
            // matches are set either way.
            let updated = crate::db::retrying(|| async {
                self.db
                    .query("FOR $u IN $updates { UPDATE type::record('event', $u.id) SET people = $u.people, matches = $u.matches, unknown_guests = $u.unknown_guests AND status != 'cancelled' WHERE owner = $owner; };")
                    .bind(("updates", chunk.to_vec()))
                    .bind(("owner", owner.to_string()))
                    .await?
                    .check()?;
                Ok(())
            })
            .await;
            // Each chunk commits alone: one stored before a failing one is a change too.
            touched(owner, Data::Calendar).await;
            updated?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(email: &str, response: Option<Response>, is_self: bool) -> AttendeeRecord {
        AttendeeRecord {
            email: email.into(),
            name: None,
            response,
            role: None,
            is_resource: false,
            is_self,
        }
    }

    fn row(attendees: Vec<AttendeeRecord>) -> EventRow {
        let at = "2026-01-01T10:00:00Z".parse().unwrap();
        EventRow {
            id: "e".into(),
            connection: "c".into(),
            calendar: "k".into(),
            uid: "u".into(),
            recurrence_id: String::new(),
            title: "t".into(),
            description: None,
            location: None,
            starts_at: at,
            ends_at: at,
            all_day: false,
            start_date: None,
            end_date: None,
            status: EventStatus::Confirmed,
            organizer: None,
            attendees,
            meeting_url: None,
            people: vec![],
            matches: vec![],
            out_of_office: false,
            web_url: None,
        }
    }

    #[test]
    fn your_answer_is_read_under_any_of_your_addresses_and_a_decline_wins() {
        let own = OwnAddresses::new(["me@home.example", "me.too@gmail.com"]);
        let bob = guest("bob@x.example", Some(Response::Declined), false);
        // Nobody is you: no answer, even if others declined.
        assert_eq!(row(vec![bob.clone()]).my_response(&own), None);
        // Under a Gmail spelling of one of your addresses.
        let declined = row(vec![
            bob.clone(),
            guest("metoo+x@googlemail.com", Some(Response::Declined), false),
        ]);
        assert!(declined.declined_by_me(&own));
        // Invited twice (account and alias): the decline wins over the acceptance.
        let twice = row(vec![
            guest("ME@home.example", Some(Response::Accepted), false),
            guest("account@provider.example", Some(Response::Declined), true),
        ]);
        assert_eq!(twice.my_response(&own), Some(Response::Declined));
        let maybe = row(vec![
            guest("me@home.example", Some(Response::Accepted), false),
            guest("me.too@gmail.com", Some(Response::Tentative), false),
        ]);
        assert_eq!(maybe.my_response(&own), Some(Response::Tentative));
        assert!(!maybe.declined_by_me(&own));
        // The provider's `self` counts without any address known.
        let flagged = row(vec![guest("x@y.example", Some(Response::Declined), true)]);
        assert!(flagged.declined_by_me(&OwnAddresses::default()));
    }

    /// What the planner does with `statement` (one statement) on the current schema.
    async fn plan(db: &Db, statement: &str) -> String {
        let now = Utc::now();
        let mut response = db
            .query(format!(
                "EXPLAIN {}",
                statement
                    .replace("{EVENT_FIELDS}", EVENT_FIELDS)
                    .replace("{UPCOMING}", UPCOMING)
            ))
            .bind(("owner", "u"))
            .bind(("person", "p"))
            .bind(("now", now))
            .bind(("after", now))
            .bind(("since", now))
            .bind(("span", "1h"))
            .bind(("recent", now))
            .bind(("latest", 10))
            .bind(("from", now))
            .bind(("to", now + chrono::Duration::days(7)))
            .bind(("start", 0))
            .bind(("today", "2026-01-01"))
            .bind(("limit", 10))
            .bind(("skip", 0))
            .bind(("hidden", vec!["c".to_string()]))
            .await
            .unwrap();
        let plan: surrealdb::types::Value = response.take(0).unwrap();
        format!("{plan:?}")
    }

    #[test]
    fn span_classes_end_at_their_lengths() {
        let m = chrono::Duration::minutes;
        for (minutes, span) in [
            (0, Span::Hour),
            (60, Span::Hour),
            (61, Span::FourHours),
            (240, Span::FourHours),
            (241, Span::Day),
            (24 * 60, Span::Day),
            (24 * 60 + 1, Span::Longer),
        ] {
            assert_eq!(Span::of(m(minutes)), span, "{minutes} min");
            assert!(span == Span::Longer || m(minutes) <= span.length());
        }
    }

    #[tokio::test]
    async fn page_queries_read_ranges_of_an_index() {
        let db = crate::db::memory().await.unwrap();
        // Also while a connection's calendars are hidden (its deletion under way).
        let mut checks: Vec<(String, &str)> = Vec::new();
        for hiding in [false, true] {
            let hidden: &[String] = if hiding { &[String::new()] } else { &[] };
            checks.extend([
                (fill_in(ENDING_FROM, hidden), "event_owner_span_end"),
                (fill_in(LONG_RUNNING_SINCE, hidden), "event_owner_span_end"),
                (fill_in(MET_AND_NEXT, hidden), "event_person_time"),
            ]);
            for (among, index) in [
                (Among::Person("p"), "event_person_time"),
                (Among::All, "event_owner_time"),
                (Among::Unknown, "event_owner_unknown_time"),
            ] {
                for sql in [
                    LATER,
                    EARLIER,
                    STARTED,
                    STARTING_BETWEEN,
                    COUNT_LATER,
                    COUNT_STARTED,
                    COUNT_WEEK,
                ] {
                    checks.push((among.sql(sql, hiding), index));
                }
            }
            for among in [Among::All, Among::Unknown] {
                checks.push((among.sql(LONG_RUNNING, hiding), "event_owner_span_end"));
            }
        }
        checks.push((UNFLAGGED.to_string(), "event_owner_unknown_time"));
        for (sql, index) in &checks {
            for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
                let plan = plan(&db, statement).await;
                assert!(
                    plan.contains("IndexScan")
                        && plan.contains(index)
                        && !plan.contains("TableScan"),
                    "{statement}: {plan}"
                );
            }
        }
        // The page queries stop after their page: the limit is pushed into the index scan.
        for sql in [
            Among::Person("p").sql(LATER, false),
            Among::All.sql(LATER, false),
            Among::Unknown.sql(LATER, false),
            Among::Unknown.sql(STARTING_BETWEEN, false),
            fill_in(ENDING_FROM, &[]),
        ] {
            let statement = sql.split(';').next().unwrap();
            let plan = plan(&db, statement).await;
            assert!(plan.contains("limit: $limit"), "{statement}: {plan}");
        }
        // So does a person's cadence, reading back from now.
        let statement = fill_in(MET_AND_NEXT, &[]);
        let statement = statement.split(';').next().unwrap();
        let plan = plan(&db, statement).await;
        assert!(plan.contains("limit: $latest"), "{statement}: {plan}");
    }
}
