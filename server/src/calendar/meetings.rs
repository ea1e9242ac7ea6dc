//! Stored events as meetings: on a person's page, on today's dashboard, and logged as activities.
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use app::models::{
    ActivityKind, Meeting, MeetingAttendee, MeetingCounts, MeetingDetail, MeetingList,
    MeetingScope, MeetingsToday, MeetingsWhen, Page, PersonRef, MEETINGS_PER_PAGE,
    MEETING_LIST_PER_PAGE, TODAY_SHOWN,
};
use app::time::day_start;

use super::model::AttendeeRecord;
use super::store::{Among, ConnectionStore, EventRow, EventStore};
use crate::activities::{Activities, NewActivity};
use crate::error::StoreError;
use crate::freshness::{minute_of, Data, UserCache};
use crate::matcher::index::{Index, Outcome};
use crate::matcher::{Matcher, OwnAddresses};
use crate::meeting_notes::MeetingNotes;
use crate::people::People;
use crate::text::normalize_email;

/// The most meetings today's widget shows.
pub const TODAY_LIMIT: u32 = 200;

fn parse_day(text: Option<&str>) -> Result<Option<NaiveDate>, StoreError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| StoreError::Invalid(format!("\"{t}\" is not a date (YYYY-MM-DD)."))),
    }
}

/// Meetings as the pages show them: stored events joined with people, calendars and the
/// activities they were logged as.
#[derive(Clone)]
pub struct Meetings {
    pub events: EventStore,
    connections: ConnectionStore,
    activities: Activities,
    people: People,
    notes: MeetingNotes,
    /// For the user's own addresses (cached with their match index).
    matcher: Arc<Matcher>,
    /// The occurrences on the day the user last asked for (the dashboard's, mostly), by the
    /// day and their zone.
    day: Arc<UserCache<DayKey, Arc<Vec<EventRow>>>>,
    /// Those of the day's occurrences the user last saw, joined with their people, calendars
    /// and logged activities.
    day_shown: Arc<UserCache<ShownKey, Vec<Meeting>>>,
    /// The pages of people's meetings the user last saw.
    of_person: Arc<UserCache<PersonPageKey, Page<Meeting>>>,
    /// The Meetings page's pages the user last saw.
    listed: Arc<UserCache<ListKey, Vec<Meeting>>>,
    /// The Meetings page's counts the user last saw: a selection's three tabs (its list's
    /// total among them), or the other selection's one tab shown beside them.
    tab_counts: Arc<UserCache<CountsKey, Vec<u64>>>,
}

/// Which of the Meetings page's counts, in the user's zone and the minute they were read in.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CountsKey {
    unmatched: bool,
    /// One tab's, or all three (upcoming, this week, past).
    tab: Option<MeetingsWhen>,
    tz: Tz,
    minute: i64,
}

/// A page of the Meetings page as asked, in the user's zone, and the minute it was read in.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ListKey {
    when: MeetingsWhen,
    unmatched: bool,
    page: u32,
    tz: Tz,
    minute: i64,
}

type DayKey = (NaiveDate, Tz);

/// Which of a day's occurrences were joined (which of them show moves with the clock), and
/// the day's rows they came from: rows read before a write, joined after it, must not be kept
/// under the generation the join saw (the day is read again then, and is another `Arc`).
#[derive(Clone)]
struct ShownKey {
    day: Arc<Vec<EventRow>>,
    shown: Vec<String>,
}

impl PartialEq for ShownKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.day, &other.day) && self.shown == other.shown
    }
}
/// A page of a person's meetings as asked, in the user's zone, and the minute (of the server's
/// clock) it was read in: which meetings are upcoming and which past changes with the clock,
/// not only with the data.
#[derive(Debug, Clone, PartialEq)]
struct PersonPageKey {
    person: String,
    scope: MeetingScope,
    page: u32,
    from: Option<String>,
    to: Option<String>,
    tz: Tz,
    minute: i64,
}

impl Meetings {
    pub fn new(
        events: EventStore,
        connections: ConnectionStore,
        activities: Activities,
        people: People,
        notes: MeetingNotes,
        matcher: Arc<Matcher>,
    ) -> Self {
        Meetings {
            notes,
            events,
            connections,
            activities,
            people,
            matcher,
            day: Arc::new(UserCache::new(&[Data::Calendar])),
            day_shown: Arc::new(
                UserCache::new(&[Data::People, Data::Activities, Data::Calendar]).keeping(4),
            ),
            of_person: Arc::new(
                UserCache::new(&[Data::People, Data::Activities, Data::Calendar]).keeping(8),
            ),
            listed: Arc::new(
                UserCache::new(&[Data::People, Data::Activities, Data::Calendar]).keeping(8),
            ),
            tab_counts: Arc::new(UserCache::new(&[Data::Calendar]).keeping(4)),
        }
    }

    /// A person's upcoming (soonest first) or past (newest first) meetings, optionally between
    /// two dates in the user's time zone.
    #[allow(clippy::too_many_arguments)]
    pub async fn for_person(
        &self,
        owner: &str,
        tz: Tz,
        person: &str,
        scope: MeetingScope,
        page: u32,
        from: Option<&str>,
        to: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Page<Meeting>, StoreError> {
        let asked = PersonPageKey {
            person: person.to_string(),
            scope,
            page,
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            tz,
            minute: minute_of(now),
        };
        self.of_person
            .get_or_load(
                owner,
                asked.clone(),
                self.load_for_person(owner, asked, now),
            )
            .await
    }

    async fn load_for_person(
        &self,
        owner: &str,
        asked: PersonPageKey,
        now: DateTime<Utc>,
    ) -> Result<Page<Meeting>, StoreError> {
        let PersonPageKey {
            person,
            scope,
            page,
            from,
            to,
            tz,
            ..
        } = asked;
        let (person, from, to) = (person.as_str(), from.as_deref(), to.as_deref());
        self.people.get(owner, person).await?;
        let from = parse_day(from)?.map(|d| day_start(d, tz));
        let to = parse_day(to)?
            .and_then(|d| d.succ_opt())
            .map(|d| day_start(d, tz));
        let page = page.max(1);
        let (rows, total) = self
            .events
            .page(
                owner,
                Among::Person(person),
                scope,
                (from, to),
                (now, now.with_timezone(&tz).date_naive()),
                (MEETINGS_PER_PAGE, (page - 1) * MEETINGS_PER_PAGE),
                true,
            )
            .await?;
        Ok(Page {
            items: self.to_meetings(owner, rows).await?,
            total: total.unwrap_or_default(),
            page,
            per_page: MEETINGS_PER_PAGE,
        })
    }

    /// A page of the Meetings page: all the user's meetings (every connection) or those with
    /// an unknown guest (`unmatched`), upcoming (soonest first), this week (Monday to Sunday in
    /// the user's zone, in order) or past (newest first), with the counts for its tabs (its
    /// selection's three, the other's for this tab). Kept like a person's pages, the counts
    /// apart (the same for every page), and only those shown are read.
    pub async fn list(
        &self,
        owner: &str,
        tz: Tz,
        (when, unmatched): (MeetingsWhen, bool),
        page: u32,
        now: DateTime<Utc>,
    ) -> Result<MeetingList, StoreError> {
        let asked = ListKey {
            when,
            unmatched,
            page: page.max(1),
            tz,
            minute: minute_of(now),
        };
        let counts = |unmatched: bool, tab: Option<MeetingsWhen>| {
            let key = CountsKey {
                unmatched,
                tab,
                tz,
                minute: asked.minute,
            };
            self.tab_counts
                .get_or_load(owner, key, self.load_counts(owner, key, now))
        };
        let (meetings, these, other) = tokio::try_join!(
            (self.listed).get_or_load(owner, asked, self.load_list(owner, asked, now)),
            counts(unmatched, None),
            counts(!unmatched, Some(when)),
        )?;
        let (upcoming, week, past) = (these[0], these[1], these[2]);
        // The list's total is its tab's count.
        let total = match when {
            MeetingsWhen::Upcoming => upcoming,
            MeetingsWhen::Week => week,
            MeetingsWhen::Past => past,
        };
        let (all, unknown) = if unmatched {
            (other[0], total)
        } else {
            (total, other[0])
        };
        Ok(MeetingList {
            meetings: Page {
                items: meetings,
                total,
                page: asked.page,
                per_page: MEETING_LIST_PER_PAGE,
            },
            counts: MeetingCounts {
                upcoming,
                week,
                past,
                all,
                unmatched: unknown,
            },
        })
    }

    /// One page of the Meetings page's list, joined.
    async fn load_list(
        &self,
        owner: &str,
        asked: ListKey,
        now: DateTime<Utc>,
    ) -> Result<Vec<Meeting>, StoreError> {
        let ListKey {
            when,
            unmatched,
            page,
            tz,
            ..
        } = asked;
        let today = now.with_timezone(&tz).date_naive();
        let clock = (now, today);
        let among = Among::of_meetings_page(unmatched);
        let (limit, start) = (MEETING_LIST_PER_PAGE, (page - 1) * MEETING_LIST_PER_PAGE);
        let events = &self.events;
        let window = (limit, start);
        let rows = match when {
            MeetingsWhen::Upcoming => {
                let (scope, range) = (MeetingScope::Upcoming, (None, None));
                (events.page(owner, among, scope, range, clock, window, false))
                    .await?
                    .0
            }
            MeetingsWhen::Past => {
                let (scope, range) = (MeetingScope::Past, (None, None));
                (events.page(owner, among, scope, range, clock, window, false))
                    .await?
                    .0
            }
            MeetingsWhen::Week => {
                let week = this_week(today, tz);
                (events.starting_between(owner, among, week, limit, start)).await?
            }
        };
        self.to_meetings(owner, rows).await
    }

    /// The Meetings page's counts `key` names (all three tabs in the page's order: upcoming,
    /// this week, past; or the one), of all the user's meetings or those with an unknown guest.
    async fn load_counts(
        &self,
        owner: &str,
        key: CountsKey,
        now: DateTime<Utc>,
    ) -> Result<Vec<u64>, StoreError> {
        let tabs = key.tab.map_or(MeetingsWhen::ALL.to_vec(), |tab| vec![tab]);
        let today = now.with_timezone(&key.tz).date_naive();
        let (clock, week) = ((now, today), this_week(today, key.tz));
        let among = Among::of_meetings_page(key.unmatched);
        self.events.counts(owner, among, clock, week, &tabs).await
    }

    /// What is on the user's calendars on `day` (`YYYY-MM-DD`, today when absent) in their
    /// time zone, cancelled ones left out: everything with `all`, else on a busy day only
    /// [`TODAY_SHOWN`] (see [`shown_today`]).
    pub async fn on_day(
        &self,
        owner: &str,
        tz: Tz,
        day: Option<&str>,
        now: DateTime<Utc>,
        all: bool,
    ) -> Result<MeetingsToday, StoreError> {
        let today = match parse_day(day)? {
            Some(day) => day,
            None => now.with_timezone(&tz).date_naive(),
        };
        let (Some(next), true) = (today.succ_opt(), today.pred_opt().is_some()) else {
            return Err(StoreError::Invalid("That date is out of range.".into()));
        };
        let start = day_start(today, tz);
        let end = day_start(next, tz);
        let on_day = self
            .day
            .get_or_load(owner, (today, tz), async {
                let rows = self
                    .events
                    .on_day(owner, today, start, end, TODAY_LIMIT)
                    .await?;
                Ok::<_, StoreError>(Arc::new(rows))
            })
            .await?;
        let total = on_day.len() as u32;
        let rows: Vec<EventRow> = if all {
            on_day.to_vec()
        } else {
            shown_today(on_day.iter().collect(), |r| r.all_day, |r| r.ends_at <= now)
                .into_iter()
                .cloned()
                .collect()
        };
        let shown = ShownKey {
            shown: rows.iter().map(|r| r.id.clone()).collect(),
            day: on_day.clone(),
        };
        let meetings = (self.day_shown)
            .get_or_load(owner, shown, self.to_meetings(owner, rows))
            .await?;
        Ok(MeetingsToday { meetings, total })
    }

    /// Logs a past meeting as a meeting activity linked to its matched people. The event is the
    /// activity's source, so a second press (or auto-log) returns the same activity.
    pub async fn log(
        &self,
        owner: &str,
        tz: Tz,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let event = self.events.get(owner, id).await?;
        if event.cancelled() {
            return Err(StoreError::Invalid("This meeting was cancelled.".into()));
        }
        if event.out_of_office {
            return Err(StoreError::Invalid(
                "Out-of-office entries are not meetings: there is nothing to log.".into(),
            ));
        }
        let all_day_end = event.end_date.filter(|_| event.all_day);
        if !app::time::has_ended(event.ends_at, all_day_end, now, &tz.into()) {
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
        self.activities.create(owner, activity_for(&event)).await
    }

    /// One meeting for its own page: with its description and the user's notes.
    pub async fn detail(&self, owner: &str, id: &str) -> Result<MeetingDetail, StoreError> {
        let event = self.events.get(owner, id).await?;
        let description = event.description.clone().filter(|d| !d.trim().is_empty());
        let notes = self.notes.get(owner, &event.source()).await?;
        let google_url = event.web_url.clone();
        let meeting = self.to_meetings(owner, vec![event]).await?.remove(0);
        Ok(MeetingDetail {
            meeting,
            description,
            notes_saved_at: notes.as_ref().map(|(_, at)| *at),
            notes: notes.map(|(text, _)| text).unwrap_or_default(),
            google_url,
        })
    }

    /// Saves the notes on one meeting (kept by its source, so they outlive re-syncs).
    pub async fn save_notes(&self, owner: &str, id: &str, text: &str) -> Result<(), StoreError> {
        let event = self.events.get(owner, id).await?;
        self.notes.save(owner, &event.source(), text).await
    }

    async fn to_meetings(
        &self,
        owner: &str,
        rows: Vec<EventRow>,
    ) -> Result<Vec<Meeting>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let index = self.matcher.index(owner).await?;
        let own = index.own();
        // Suggestions are worked out when shown, not at sync time: someone added since is
        // suggested at once ("Wei Chen" for "Chen, Wei").
        let suggested: Vec<HashMap<String, Vec<String>>> = rows
            .iter()
            .map(|row| fresh_suggestions(row, &index))
            .collect();
        let mut ids: Vec<String> = rows
            .iter()
            .flat_map(|r| r.matches.iter().map(|m| m.person.clone()))
            .chain(suggested.iter().flat_map(|s| s.values().flatten().cloned()))
            .collect();
        ids.sort();
        ids.dedup();
        let refs: HashMap<String, PersonRef> = self
            .people
            .refs(owner, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let calendars = self.connections.calendar_labels(owner).await?;
        let logged = self
            .activities
            .logged_sources(owner, rows.iter().map(EventRow::source).collect())
            .await?;
        Ok(rows
            .into_iter()
            .zip(suggested)
            .map(|(row, suggested)| {
                let calendar = calendars.get(&row.calendar);
                Meeting {
                    logged_activity: logged.get(&row.source()).cloned(),
                    my_response: row.my_response(own),
                    attendees: attendees(&row, &refs, own, &suggested),
                    id: row.id.clone(),
                    title: if row.title.trim().is_empty() {
                        "(no title)".into()
                    } else {
                        row.title.clone()
                    },
                    starts_at: row.starts_at,
                    ends_at: row.ends_at,
                    all_day: row.all_day,
                    start_date: row.start_date,
                    end_date: row.end_date,
                    location: row.location.clone(),
                    meeting_url: row.meeting_url.clone(),
                    cancelled: row.cancelled(),
                    calendar_name: calendar.map(|c| c.name.clone()).unwrap_or_default(),
                    calendar_color: calendar.and_then(|c| c.color.clone()),
                    out_of_office: row.out_of_office,
                }
            })
            .collect())
    }
}

/// The week holding `today` (Monday to the next Monday, at the user's midnights).
fn this_week(today: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::Datelike;
    let monday = today - chrono::Days::new(today.weekday().num_days_from_monday() as u64);
    let next = monday + chrono::Days::new(7);
    (day_start(monday, tz), day_start(next, tz))
}

/// Of a day's meetings (all-day ones first, then by start), the ones the dashboard shows
/// before "Show all": the all-day ones and the timed ones from the first that has not ended,
/// [`TODAY_SHOWN`] in all (the day's last ones once everything has ended).
fn shown_today<T>(
    rows: Vec<T>,
    all_day: impl Fn(&T) -> bool,
    ended: impl Fn(&T) -> bool,
) -> Vec<T> {
    if rows.len() <= TODAY_SHOWN {
        return rows;
    }
    let (all_day, timed): (Vec<T>, Vec<T>) = rows.into_iter().partition(all_day);
    let open = timed.iter().position(|r| !ended(r)).unwrap_or(timed.len());
    let room = TODAY_SHOWN.saturating_sub(all_day.len());
    let start = open.min(timed.len().saturating_sub(room));
    all_day
        .into_iter()
        .chain(timed.into_iter().skip(start))
        .take(TODAY_SHOWN)
        .collect()
}

/// The organizer first, then attendees, each with their match; the user marked as such.
/// For each guest the stored matches do not link (by normalized address): the people whose
/// names look like theirs, by the current index.
fn fresh_suggestions(row: &EventRow, index: &Index) -> HashMap<String, Vec<String>> {
    row.organizer
        .iter()
        .chain(&row.attendees)
        .filter(|a| !a.is_resource)
        .filter_map(|a| {
            let key = normalize_email(&a.email);
            if row.matches.iter().any(|m| m.email == key && !m.suggested) {
                return None;
            }
            match index.match_attendee(&a.email, a.name.as_deref(), a.is_self) {
                Outcome::Suggested(list) => {
                    Some((key, list.into_iter().map(|m| m.person).collect()))
                }
                _ => None,
            }
        })
        .collect()
}

fn attendees(
    row: &EventRow,
    refs: &HashMap<String, PersonRef>,
    own: &OwnAddresses,
    suggested: &HashMap<String, Vec<String>>,
) -> Vec<MeetingAttendee> {
    let organizer_email = row.organizer.as_ref().map(|o| normalize_email(&o.email));
    let mut list: Vec<(AttendeeRecord, bool)> = Vec::new();
    if let Some(o) = row.organizer.clone() {
        list.push((o, true));
    }
    for a in &row.attendees {
        let email = normalize_email(&a.email);
        match list
            .iter_mut()
            .find(|(o, _)| normalize_email(&o.email) == email)
        {
            // The organizer usually also appears as an attendee: keep one entry with the response.
            Some((o, _)) => o.response = a.response.or(o.response),
            None => list.push((
                a.clone(),
                !email.is_empty() && Some(&email) == organizer_email.as_ref(),
            )),
        }
    }
    list.into_iter()
        .map(|(a, organizer)| {
            let key = normalize_email(&a.email);
            let is_self = a.is_self || own.contains(&a.email);
            // Matches stored before the address became the user's are not shown.
            let linked = row
                .matches
                .iter()
                .find(|m| m.email == key && !m.suggested && !is_self);
            MeetingAttendee {
                person: linked.and_then(|m| refs.get(&m.person).cloned()),
                reason: linked.map(|m| m.reason),
                confidence: linked.map(|m| m.confidence).unwrap_or(0),
                suggestions: suggested
                    .get(&key)
                    .filter(|_| linked.is_none() && !is_self)
                    .into_iter()
                    .flatten()
                    .filter_map(|id| refs.get(id).cloned())
                    .collect(),
                name: a.name,
                response: a.response,
                organizer,
                is_self,
                is_resource: a.is_resource,
                email: a.email,
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
        .filter(|a| !a.is_resource)
        .map(|a| a.name.clone().unwrap_or_else(|| a.email.clone()))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// (all-day, ended, label) in the day's order.
    fn shown(rows: &[(bool, bool, u32)]) -> Vec<u32> {
        shown_today(rows.to_vec(), |r| r.0, |r| r.1)
            .into_iter()
            .map(|r| r.2)
            .collect()
    }

    #[test]
    fn this_week_runs_from_monday_to_monday_at_the_users_midnight() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // Thu 3 Dec 2026.
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let (from, to) = this_week(today, tz);
        assert_eq!(
            from,
            "2026-11-30T05:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(to, "2026-12-07T05:00:00Z".parse::<DateTime<Utc>>().unwrap());
        // A Monday is the first day of its own week, a Sunday the last.
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let sunday = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert_eq!(this_week(monday, tz), (from, to));
        assert_eq!(this_week(sunday, tz), (from, to));
    }

    #[test]
    fn a_quiet_day_shows_everything() {
        let day: Vec<_> = (0..TODAY_SHOWN as u32).map(|i| (false, i < 3, i)).collect();
        assert_eq!(shown(&day), (0..TODAY_SHOWN as u32).collect::<Vec<_>>());
    }

    #[test]
    fn a_busy_day_shows_all_day_ones_then_from_the_first_not_ended() {
        let mut day = vec![(true, false, 100)];
        day.extend((0..20).map(|i| (false, i < 5, i)));
        let mut expected = vec![100];
        expected.extend(5..5 + TODAY_SHOWN as u32 - 1);
        assert_eq!(shown(&day), expected);
    }

    #[test]
    fn near_the_end_of_a_busy_day_the_last_ones_show() {
        let day: Vec<_> = (0..20).map(|i| (false, i < 18, i)).collect();
        assert_eq!(
            shown(&day),
            (20 - TODAY_SHOWN as u32..20).collect::<Vec<_>>()
        );
        let over: Vec<_> = (0..20).map(|i| (false, true, i)).collect();
        assert_eq!(
            shown(&over),
            (20 - TODAY_SHOWN as u32..20).collect::<Vec<_>>()
        );
    }
}
