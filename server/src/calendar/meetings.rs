//! Stored events as meetings: on a person's page, on today's dashboard, and logged as activities.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use surrealdb::types::SurrealValue;

use app::models::{ActivityKind, Meeting, MeetingAttendee, Page, PersonRef, MEETINGS_PER_PAGE};

use super::model::AttendeeRecord;
use super::store::{event_source, MatchRow};
use crate::activities::{Activities, NewActivity};
use crate::auth::normalize_email;
use crate::db::Db;
use crate::error::StoreError;
use crate::people::People;

/// An attendee (or organizer) as stored on an event.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct AttendeeRow {
    pub email: Option<String>,
    pub name: Option<String>,
    pub response: Option<String>,
    pub is_resource: Option<bool>,
    pub is_self: Option<bool>,
}

impl AttendeeRow {
    /// Back to the shape the matcher works on.
    pub fn record(&self) -> AttendeeRecord {
        AttendeeRecord {
            email: self.email.clone().unwrap_or_default(),
            name: self.name.clone(),
            response: self.response.clone(),
            role: None,
            is_resource: self.is_resource.unwrap_or(false),
            is_self: self.is_self.unwrap_or(false),
        }
    }
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
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
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: String,
    organizer: Option<AttendeeRow>,
    attendees: Vec<AttendeeRow>,
    pub meeting_url: Option<String>,
    pub people: Vec<String>,
    matches: Vec<MatchRow>,
}

impl EventRow {
    pub fn source(&self) -> String {
        event_source(
            &self.connection,
            &self.calendar,
            &self.uid,
            &self.recurrence_id,
        )
    }

    pub fn cancelled(&self) -> bool {
        self.status == "cancelled"
    }

    /// Whether the connected account itself declined.
    pub fn declined_by_self(&self) -> bool {
        self.attendees
            .iter()
            .any(|a| a.is_self == Some(true) && a.response.as_deref() == Some("declined"))
    }
}

const EVENT_FIELDS: &str = "record::id(id) AS id, connection, calendar, uid, recurrence_id, title, description, location, starts_at, ends_at, all_day, start_date, end_date, status, organizer, attendees, meeting_url, people, matches";

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct CalendarName {
    id: String,
    name: String,
    color: Option<String>,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Logged {
    id: String,
    source_key: String,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Count {
    n: i64,
}

pub struct Meetings {
    db: Db,
}

/// Midnight at the start of `day` in `tz`, as UTC (the earliest reading across a DST change).
fn day_start(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight");
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

fn parse_day(text: Option<&str>) -> Result<Option<NaiveDate>, StoreError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| StoreError::Invalid(format!("\"{t}\" is not a date (YYYY-MM-DD)."))),
    }
}

impl Meetings {
    pub fn new(db: Db) -> Self {
        Meetings { db }
    }

    /// A person's upcoming (soonest first) or past (newest first) meetings, optionally between
    /// two dates in the user's time zone.
    #[allow(clippy::too_many_arguments)]
    pub async fn for_person(
        &self,
        people: &People,
        owner: &str,
        tz: Tz,
        person: &str,
        scope: &str,
        page: u32,
        from: Option<&str>,
        to: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Page<Meeting>, StoreError> {
        people.get(owner, person).await?;
        let (time_rule, order) = match scope {
            "upcoming" => ("ends_at > $now", "ASC"),
            "past" => ("ends_at <= $now", "DESC"),
            other => {
                return Err(StoreError::Invalid(format!(
                    "Unknown meeting list \"{other}\"."
                )))
            }
        };
        let from = parse_day(from)?.map(|d| day_start(d, tz));
        let to = parse_day(to)?
            .and_then(|d| d.succ_opt())
            .map(|d| day_start(d, tz));
        let page = page.max(1);
        let filter = format!(
            "owner = $owner AND people CONTAINS $person AND {time_rule}{}{}",
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
        let mut response = self
            .db
            .query(format!(
                "SELECT {EVENT_FIELDS} FROM event WHERE {filter} ORDER BY starts_at {order} LIMIT $limit START $start;
                 SELECT count() AS n FROM event WHERE {filter} GROUP ALL;"
            ))
            .bind(("owner", owner.to_string()))
            .bind(("person", person.to_string()))
            .bind(("now", now))
            .bind(("from", from))
            .bind(("to", to))
            .bind(("limit", MEETINGS_PER_PAGE as i64))
            .bind(("start", ((page - 1) * MEETINGS_PER_PAGE) as i64))
            .await?;
        let rows: Vec<EventRow> = response.take(0)?;
        let total: Option<Count> = response.take(1)?;
        Ok(Page {
            items: self.to_meetings(people, owner, rows).await?,
            total: total.map(|c| c.n.max(0) as u64).unwrap_or(0),
            page,
            per_page: MEETINGS_PER_PAGE,
        })
    }

    /// Everything on the user's calendars today in their time zone (cancelled ones left out).
    pub async fn today(
        &self,
        people: &People,
        owner: &str,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Vec<Meeting>, StoreError> {
        let today = now.with_timezone(&tz).date_naive();
        let start = day_start(today, tz);
        let end = day_start(today.succ_opt().expect("tomorrow"), tz);
        let rows: Vec<EventRow> = self
            .db
            .query(format!(
                "SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner AND status != 'cancelled' AND (
                    (all_day = false AND starts_at < $end AND ends_at > $start)
                    OR (all_day = true AND start_date <= $today AND end_date > $today)
                 ) ORDER BY all_day DESC, starts_at ASC LIMIT 200"
            ))
            .bind(("owner", owner.to_string()))
            .bind(("start", start))
            .bind(("end", end))
            .bind(("today", today.to_string()))
            .await?
            .take(0)?;
        self.to_meetings(people, owner, rows).await
    }

    /// Ended, timed, not cancelled meetings of a connection with matched people, since `from`:
    /// what auto-logging considers.
    pub async fn loggable(
        &self,
        owner: &str,
        connection: &str,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<EventRow>, StoreError> {
        let rows: Vec<EventRow> = self
            .db
            .query(format!(
                "SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner AND connection = $connection AND all_day = false
                   AND status != 'cancelled' AND ends_at <= $now AND starts_at >= $from AND array::len(people) > 0"
            ))
            .bind(("owner", owner.to_string()))
            .bind(("connection", connection.to_string()))
            .bind(("now", now))
            .bind(("from", from))
            .await?
            .take(0)?;
        Ok(rows.into_iter().filter(|e| !e.declined_by_self()).collect())
    }

    /// Sources of a connection's cancelled events, whose auto-logged activities must go.
    pub async fn cancelled_sources(
        &self,
        owner: &str,
        connection: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<EventRow> = self
            .db
            .query(format!("SELECT {EVENT_FIELDS} FROM event WHERE owner = $owner AND connection = $connection AND status = 'cancelled'"))
            .bind(("owner", owner.to_string()))
            .bind(("connection", connection.to_string()))
            .await?
            .take(0)?;
        Ok(rows.iter().map(EventRow::source).collect())
    }

    pub async fn event(&self, owner: &str, id: &str) -> Result<EventRow, StoreError> {
        let row: Option<EventRow> = self
            .db
            .query(format!("SELECT {EVENT_FIELDS} FROM event WHERE id = type::record('event', $id) AND owner = $owner"))
            .bind(("id", id.to_string()))
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        row.ok_or(StoreError::NotFound("meeting"))
    }

    /// Logs a past meeting as a meeting activity linked to its matched people. The event is the
    /// activity's source, so a second press (or auto-log) returns the same activity.
    pub async fn log(
        &self,
        activities: &Activities,
        owner: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let event = self.event(owner, id).await?;
        if event.cancelled() {
            return Err(StoreError::Invalid("This meeting was cancelled.".into()));
        }
        if event.ends_at > now {
            return Err(StoreError::Invalid(
                "This meeting has not ended yet.".into(),
            ));
        }
        if event.people.is_empty() {
            return Err(StoreError::Invalid(
                "None of the attendees is one of your people yet: add or link an attendee first."
                    .into(),
            ));
        }
        activities.create(owner, activity_for(&event)).await
    }

    async fn to_meetings(
        &self,
        people: &People,
        owner: &str,
        rows: Vec<EventRow>,
    ) -> Result<Vec<Meeting>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids: Vec<String> = rows
            .iter()
            .flat_map(|r| r.matches.iter().map(|m| m.person.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        let refs: HashMap<String, PersonRef> = people
            .refs(owner, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let sources: Vec<String> = rows.iter().map(EventRow::source).collect();
        let mut response = self
            .db
            .query("SELECT record::id(id) AS id, name, color FROM calendar WHERE owner = $owner; SELECT record::id(id) AS id, source_key FROM activity WHERE owner = $owner AND source_key IN $sources;")
            .bind(("owner", owner.to_string()))
            .bind(("sources", sources))
            .await?;
        let calendars: HashMap<String, CalendarName> = response
            .take::<Vec<CalendarName>>(0)?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        let logged: HashMap<String, String> = response
            .take::<Vec<Logged>>(1)?
            .into_iter()
            .map(|l| (l.source_key, l.id))
            .collect();
        Ok(rows
            .into_iter()
            .map(|row| {
                let calendar = calendars.get(&row.calendar);
                Meeting {
                    logged_activity: logged.get(&row.source()).cloned(),
                    attendees: attendees(&row, &refs),
                    id: row.id.clone(),
                    title: if row.title.trim().is_empty() {
                        "(no title)".into()
                    } else {
                        row.title.clone()
                    },
                    starts_at: row.starts_at,
                    ends_at: row.ends_at,
                    all_day: row.all_day,
                    start_date: row.start_date.as_deref().and_then(|d| d.parse().ok()),
                    end_date: row.end_date.as_deref().and_then(|d| d.parse().ok()),
                    location: row.location.clone(),
                    meeting_url: row.meeting_url.clone(),
                    cancelled: row.cancelled(),
                    calendar_name: calendar.map(|c| c.name.clone()).unwrap_or_default(),
                    calendar_color: calendar.and_then(|c| c.color.clone()),
                }
            })
            .collect())
    }
}

/// The organizer first, then attendees, each with their match.
fn attendees(row: &EventRow, refs: &HashMap<String, PersonRef>) -> Vec<MeetingAttendee> {
    let organizer_email = row
        .organizer
        .as_ref()
        .and_then(|o| o.email.as_deref())
        .map(normalize_email);
    let mut list: Vec<(AttendeeRow, bool)> = Vec::new();
    if let Some(o) = row.organizer.clone().filter(|o| o.email.is_some()) {
        list.push((o, true));
    }
    for a in &row.attendees {
        let email = a.email.as_deref().map(normalize_email);
        match list
            .iter_mut()
            .find(|(o, _)| o.email.as_deref().map(normalize_email) == email)
        {
            // The organizer usually also appears as an attendee: keep one entry with the response.
            Some((o, _)) => o.response = a.response.clone().or(o.response.take()),
            None => list.push((a.clone(), email.is_some() && email == organizer_email)),
        }
    }
    list.into_iter()
        .map(|(a, organizer)| {
            let email = a.email.clone().unwrap_or_default();
            let key = normalize_email(&email);
            let linked = row.matches.iter().find(|m| m.email == key && !m.suggested);
            MeetingAttendee {
                person: linked.and_then(|m| refs.get(&m.person).cloned()),
                reason: linked.map(|m| m.reason.clone()),
                confidence: linked
                    .map(|m| m.confidence.clamp(0, 100) as u8)
                    .unwrap_or(0),
                suggestions: row
                    .matches
                    .iter()
                    .filter(|m| m.email == key && m.suggested)
                    .filter_map(|m| refs.get(&m.person).cloned())
                    .collect(),
                name: a.name.clone(),
                response: a.response.clone(),
                organizer,
                is_self: a.is_self.unwrap_or(false),
                is_resource: a.is_resource.unwrap_or(false),
                email,
            }
        })
        .collect()
}

/// The activity a meeting becomes: dated at its start, titled after it, linked to its people.
pub fn activity_for(event: &EventRow) -> NewActivity {
    let mut notes = Vec::new();
    if let Some(location) = event.location.as_deref().filter(|l| !l.trim().is_empty()) {
        notes.push(format!("Location: {location}"));
    }
    let names: Vec<String> = event
        .attendees
        .iter()
        .filter(|a| a.is_resource != Some(true))
        .filter_map(|a| a.name.clone().or(a.email.clone()))
        .collect();
    if !names.is_empty() {
        notes.push(format!("Attendees: {}", names.join(", ")));
    }
    if let Some(description) = event
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        notes.push(description.trim().to_string());
    }
    NewActivity {
        kind: ActivityKind::Meeting,
        occurred_at: event.starts_at,
        title: if event.title.trim().is_empty() {
            "Meeting".into()
        } else {
            event.title.clone()
        },
        notes: notes.join("\n"),
        people: event.people.clone(),
        source: Some(event.source()),
        auto_logged: false,
    }
}
