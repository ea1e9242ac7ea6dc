//! Meetings through the server functions, with events synced from a real Radicale: a person's
//! meetings across two connections, log-as-activity idempotence, re-linking when an email is
//! added, name suggestions, today's meetings, and isolation between users.
use crate::common;

use app::models::{
    Activity, Cadence, Connection, Dashboard, DiscoveredCalendar, MatchReason, Meeting,
    MeetingDetail, MeetingsToday, Page, Person, Response, SyncReport,
};
use chrono::{Duration, DurationRound, TimeZone, Utc};
use common::radicale::{Radicale, PASSWORD, USER};

const BOB: (&str, &str) = ("bob", "bob-password-123");

fn stamp(at: chrono::DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

fn meeting(
    uid: &str,
    title: &str,
    start: chrono::DateTime<Utc>,
    minutes: i64,
    attendees: &[(&str, &str)],
) -> String {
    let people: String = attendees
        .iter()
        .map(|(name, email)| format!("ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{email}\n"))
        .collect();
    format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\nDTSTART:{}\nDTEND:{}\nSUMMARY:{title}\nLOCATION:https://zoom.us/j/123456789\nORGANIZER;CN=Alice:mailto:alice@example.org\n{people}END:VEVENT\nEND:VCALENDAR\n",
        stamp(start),
        stamp(start + Duration::minutes(minutes))
    )
}

async fn connect(
    client: &common::Client,
    base: &str,
    user: &str,
    password: &str,
    name: &str,
) -> Connection {
    let found: Vec<DiscoveredCalendar> = client
        .call(
            "test-caldav",
            &[
                ("server_url", base),
                ("username", user),
                ("password", password),
            ],
        )
        .await
        .unwrap();
    let started: Connection = client
        .call(
            "create-caldav",
            &[
                ("connection[name]", name),
                ("connection[server_url]", base),
                ("connection[username]", user),
                ("connection[password]", password),
                ("connection[calendars][0]", &found[0].remote_id),
            ],
        )
        .await
        .unwrap();
    client.synced(&started.id).await
}

async fn meetings(client: &common::Client, person: &str, scope: &str) -> Page<Meeting> {
    client
        .call(
            "person-meetings",
            &[("person_id", person), ("scope", scope), ("page", "1")],
        )
        .await
        .unwrap()
}

/// Bob's own calendar on the same Radicale, created over CalDAV like alice's.
async fn bob_calendar(radicale: &Radicale, ics: &str) {
    let http = reqwest::Client::new();
    let _ = http
        .request(
            reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
            format!("{}/bob/", radicale.base),
        )
        .basic_auth(BOB.0, Some(BOB.1))
        .header("depth", "0")
        .send()
        .await;
    let made = http
        .request(
            reqwest::Method::from_bytes(b"MKCALENDAR").unwrap(),
            format!("{}/bob/cal/", radicale.base),
        )
        .basic_auth(BOB.0, Some(BOB.1))
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success(), "{}", made.status());
    let put = http
        .put(format!("{}/bob/cal/e.ics", radicale.base))
        .basic_auth(BOB.0, Some(BOB.1))
        .header("content-type", "text/calendar")
        .body(ics.replace('\n', "\r\n"))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
}

/// The attendee known to Alice only by name: a suggestion until she accepts it.
const DANA: (&str, &str) = ("Dana Scully", "dana@fbi.example");

/// Alice's "Work" calendar and Bob's own calendar on one Radicale, both connected to Alice's
/// account, and the people she keeps: Bob (matching email), Carol (another of her addresses is
/// in a meeting) and Dana (name only).
struct Synced {
    _radicale: Radicale,
    server: common::TestServer,
    alice: common::Client,
    bob: String,
    carol: String,
    dana: String,
}

async fn synced() -> Synced {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#e8590c").await;
    let now = Utc::now();
    radicale
        .put_event(
            "work",
            "past.ics",
            &meeting(
                "past-1",
                "Quarterly review",
                now - Duration::days(3),
                60,
                &[("Bob Builder", "BOB@builders.example"), DANA],
            ),
        )
        .await;
    radicale
        .put_event(
            "work",
            "older.ics",
            &meeting(
                "older-1",
                "Kick-off",
                now - Duration::days(10),
                30,
                &[("Bob", "bob@builders.example")],
            ),
        )
        .await;
    radicale
        .put_event(
            "work",
            "soon.ics",
            &meeting(
                "soon-1",
                "Planning",
                now + Duration::days(2),
                45,
                &[
                    ("Bob", "bob@builders.example"),
                    ("Carol", "carol.work@example.com"),
                ],
            ),
        )
        .await;
    bob_calendar(
        &radicale,
        &meeting(
            "bob-1",
            "Site visit",
            now + Duration::days(1),
            90,
            &[("Bob", "bob@builders.example")],
        ),
    )
    .await;

    let server = common::start().await;
    let alice = server.user("alice-meet@example.org").await;
    let bob = alice
        .save_person(&[
            ("first_name", "Bob"),
            ("last_name", "Builder"),
            ("emails.0.address", "bob@builders.example"),
            ("emails.0.label", "work"),
        ])
        .await
        .unwrap();
    let carol = alice
        .save_person(&[
            ("first_name", "Carol"),
            ("last_name", "Jones"),
            ("emails.0.address", "carol@home.example"),
        ])
        .await
        .unwrap();
    let dana = alice
        .save_person(&[("first_name", "Dana"), ("last_name", "Scully")])
        .await
        .unwrap();
    connect(&alice, &radicale.base, USER, PASSWORD, "Alice's calendar").await;
    connect(&alice, &radicale.base, BOB.0, BOB.1, "Shared calendar").await;
    Synced {
        _radicale: radicale,
        server,
        alice,
        bob,
        carol,
        dana,
    }
}

/// "Sync now" on each of Alice's connections.
async fn sync_all(s: &Synced) {
    let connections: Vec<Connection> = s.alice.call("list-connections", &[]).await.unwrap();
    for c in &connections {
        let _: app::models::SyncReport = s
            .alice
            .call("sync-connection", &[("id", &c.id)])
            .await
            .unwrap();
    }
}

fn titles(page: &Page<Meeting>) -> Vec<&str> {
    page.items.iter().map(|m| m.title.as_str()).collect()
}

/// The "Quarterly review": Bob's newest past meeting.
async fn review(s: &Synced) -> Meeting {
    meetings(&s.alice, &s.bob, "past").await.items.remove(0)
}

async fn log(client: &common::Client, event_id: &str) -> Result<String, app::error::AppError> {
    client.call("log-meeting", &[("event_id", event_id)]).await
}

/// The activities on Bob's timeline that logged the "Quarterly review".
async fn logged_reviews(s: &Synced) -> Vec<Activity> {
    let timeline: Page<Activity> = s
        .alice
        .call("person-activities", &[("person_id", &s.bob), ("page", "1")])
        .await
        .unwrap();
    timeline
        .items
        .into_iter()
        .filter(|a| a.title == "Quarterly review")
        .collect()
}

/// Saves Carol with exactly these addresses.
async fn set_carol_emails(s: &Synced, emails: &[&str]) {
    let mut fields = vec![
        ("id".to_string(), s.carol.as_str()),
        ("first_name".to_string(), "Carol"),
        ("last_name".to_string(), "Jones"),
    ];
    for (i, email) in emails.iter().enumerate() {
        fields.push((format!("emails.{i}.address"), email));
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    s.alice.save_person(&fields).await.unwrap();
}

#[tokio::test]
async fn upcoming_meetings_come_from_every_connection_soonest_first() {
    let s = synced().await;
    let upcoming = meetings(&s.alice, &s.bob, "upcoming").await;
    assert_eq!(titles(&upcoming), vec!["Site visit", "Planning"]);
    assert_eq!(upcoming.total, 2);
}

#[tokio::test]
async fn past_meetings_are_newest_first() {
    let s = synced().await;
    let past = meetings(&s.alice, &s.bob, "past").await;
    assert_eq!(titles(&past), vec!["Quarterly review", "Kick-off"]);
}

#[tokio::test]
async fn a_meeting_carries_its_link_and_calendar() {
    let s = synced().await;
    let review = review(&s).await;
    assert_eq!(
        review.meeting_url.as_deref(),
        Some("https://zoom.us/j/123456789")
    );
    assert_eq!(review.calendar_name, "Work");
    assert_eq!(review.calendar_color.as_deref(), Some("#e8590c"));
}

#[tokio::test]
async fn an_attendee_with_a_persons_email_is_linked_to_them() {
    let s = synced().await;
    let review = review(&s).await;
    let bob_attendee = review
        .attendees
        .iter()
        .find(|a| a.email == "BOB@builders.example")
        .unwrap();
    assert_eq!(
        bob_attendee.person.as_ref().map(|p| p.id.as_str()),
        Some(s.bob.as_str())
    );
    assert_eq!(
        (
            bob_attendee.reason,
            bob_attendee.confidence,
            bob_attendee.response
        ),
        (
            Some(MatchReason::PrimaryEmail),
            100,
            Some(Response::Accepted)
        )
    );
}

#[tokio::test]
async fn the_organizer_is_among_the_attendees() {
    let s = synced().await;
    let review = review(&s).await;
    assert!(review
        .attendees
        .iter()
        .any(|a| a.organizer && a.email == "alice@example.org"));
}

#[tokio::test]
async fn a_person_without_the_email_is_only_suggested_never_linked() {
    let s = synced().await;
    let review = review(&s).await;
    let dana_attendee = review.attendees.iter().find(|a| a.email == DANA.1).unwrap();
    assert!(dana_attendee.person.is_none());
    assert_eq!(
        dana_attendee
            .suggestions
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>(),
        vec![s.dana.as_str()]
    );
    assert_eq!(meetings(&s.alice, &s.dana, "past").await.total, 0);
}

#[tokio::test]
async fn person_meetings_filter_by_date() {
    let s = synced().await;
    // The day of the kick-off in Alice's zone (Europe/Amsterdam), which the filter reads:
    // late in the UTC evening that is the next day's date.
    let past = meetings(&s.alice, &s.bob, "past").await;
    let kick_off = past.items.iter().find(|m| m.title == "Kick-off").unwrap();
    let day = kick_off
        .starts_at
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .format("%Y-%m-%d")
        .to_string();
    let filtered: Page<Meeting> = s
        .alice
        .call(
            "person-meetings",
            &[
                ("person_id", &s.bob),
                ("scope", "past"),
                ("page", "1"),
                ("from", &day),
                ("to", &day),
            ],
        )
        .await
        .unwrap();
    assert_eq!(titles(&filtered), vec!["Kick-off"]);
}

#[tokio::test]
async fn logging_a_meeting_twice_gives_one_activity() {
    let s = synced().await;
    let review = review(&s).await;
    let first = log(&s.alice, &review.id).await.unwrap();
    let second = log(&s.alice, &review.id).await.unwrap();
    assert_eq!(first, second);
    let logged = logged_reviews(&s).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].id, first);
}

#[tokio::test]
async fn a_logged_meeting_is_dated_at_its_start() {
    let s = synced().await;
    let review = review(&s).await;
    log(&s.alice, &review.id).await.unwrap();
    assert_eq!(
        logged_reviews(&s).await[0].occurred_at.timestamp(),
        review.starts_at.timestamp()
    );
}

#[tokio::test]
async fn a_logged_meeting_points_at_its_activity() {
    let s = synced().await;
    let id = log(&s.alice, &review(&s).await.id).await.unwrap();
    assert_eq!(
        review(&s).await.logged_activity.as_deref(),
        Some(id.as_str())
    );
}

#[tokio::test]
async fn a_meeting_that_has_not_ended_cannot_be_logged() {
    let s = synced().await;
    let upcoming = meetings(&s.alice, &s.bob, "upcoming").await;
    let future = log(&s.alice, &upcoming.items[0].id).await.unwrap_err();
    assert!(future.to_string().contains("not ended"), "{future}");
}

#[tokio::test]
async fn accepting_a_suggestion_links_the_attendee_by_email() {
    let s = synced().await;
    s.alice
        .call::<()>(
            "link-attendee",
            &[("person_id", &s.dana), ("email", DANA.1)],
        )
        .await
        .unwrap();
    let dana_past = meetings(&s.alice, &s.dana, "past").await;
    assert_eq!(titles(&dana_past), vec!["Quarterly review"]);
    assert_eq!(
        dana_past.items[0]
            .attendees
            .iter()
            .find(|a| a.email == DANA.1)
            .unwrap()
            .reason,
        Some(MatchReason::PrimaryEmail),
        "her only address"
    );
}

#[tokio::test]
async fn adding_an_address_to_a_person_relinks_their_meetings() {
    let s = synced().await;
    assert_eq!(meetings(&s.alice, &s.carol, "upcoming").await.total, 0);
    set_carol_emails(&s, &["carol@home.example", "carol.work@example.com"]).await;
    assert_eq!(
        titles(&meetings(&s.alice, &s.carol, "upcoming").await),
        vec!["Planning"]
    );
}

#[tokio::test]
async fn removing_an_address_from_a_person_unlinks_their_meetings() {
    let s = synced().await;
    set_carol_emails(&s, &["carol@home.example", "carol.work@example.com"]).await;
    set_carol_emails(&s, &["carol@home.example"]).await;
    assert_eq!(meetings(&s.alice, &s.carol, "upcoming").await.total, 0);
}

#[tokio::test]
async fn an_unmatched_attendee_becomes_a_person_in_one_click() {
    let s = synced().await;
    let organizer_id: String = s
        .alice
        .call(
            "add-attendee-person",
            &[("email", "alice@example.org"), ("name", "Alice Liddell")],
        )
        .await
        .unwrap();
    assert_eq!(meetings(&s.alice, &organizer_id, "past").await.total, 2);
}

#[tokio::test]
async fn another_user_sees_none_of_the_meetings() {
    let s = synced().await;
    let mallory = s.server.user("mallory-meet@example.org").await;
    assert!(mallory
        .call::<Page<Meeting>>(
            "person-meetings",
            &[("person_id", &s.bob), ("scope", "past"), ("page", "1")]
        )
        .await
        .is_err());
    let theirs: MeetingsToday = mallory.call("todays-meetings", &[]).await.unwrap();
    assert!(theirs.meetings.is_empty());
    assert_eq!(theirs.total, 0);
}

#[tokio::test]
async fn another_user_can_neither_log_a_meeting_nor_link_an_attendee() {
    let s = synced().await;
    let review = review(&s).await;
    let mallory = s.server.user("mallory-meet@example.org").await;
    assert!(log(&mallory, &review.id).await.is_err());
    assert!(mallory
        .call::<()>(
            "link-attendee",
            &[("person_id", &s.bob), ("email", "x@y.example")]
        )
        .await
        .is_err());
}

#[tokio::test]
async fn todays_meetings_follow_the_users_time_zone() {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#e8590c").await;
    let tz = chrono_tz::Europe::Amsterdam; // the test client's time zone
    let today = Utc::now().with_timezone(&tz).date_naive();
    let at = |day: chrono::NaiveDate, h: u32| {
        tz.from_local_datetime(&day.and_hms_opt(h, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    };
    let tomorrow = today.succ_opt().unwrap();
    radicale
        .put_event(
            "work",
            "a.ics",
            &meeting("a", "Lunch", at(today, 12), 60, &[]),
        )
        .await;
    radicale
        .put_event(
            "work",
            "b.ics",
            &meeting("b", "Breakfast", at(today, 8), 30, &[]),
        )
        .await;
    radicale
        .put_event(
            "work",
            "c.ics",
            &meeting("c", "Tomorrow's call", at(tomorrow, 9), 30, &[]),
        )
        .await;
    let all_day = format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:d\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:{}\nDTEND;VALUE=DATE:{}\nSUMMARY:Conference\nEND:VEVENT\nEND:VCALENDAR\n",
        today.format("%Y%m%d"),
        tomorrow.format("%Y%m%d")
    );
    radicale.put_event("work", "d.ics", &all_day).await;
    let server = common::start().await;
    let alice = server.user("alice-today@example.org").await;
    connect(&alice, &radicale.base, USER, PASSWORD, "Work").await;
    let list = alice
        .call::<MeetingsToday>("todays-meetings", &[])
        .await
        .unwrap()
        .meetings;
    assert_eq!(
        list.iter().map(|m| m.title.as_str()).collect::<Vec<_>>(),
        vec!["Conference", "Breakfast", "Lunch"]
    );
    assert!(list[0].all_day && list[0].start_date == Some(today));
}

/// A fresh Radicale with today's breakfast with Wei Chen (8:00 in the test client's zone) in
/// its "Work" calendar, and a server whose clock stands at 15:00 that day: breakfast is over
/// (and can be logged) whenever the test runs.
struct AfterBreakfast {
    radicale: Radicale,
    server: common::TestServer,
    today: chrono::NaiveDate,
}

const WEI: [(&str, &str); 1] = [("Wei Chen", "wei@example.org")];

impl AfterBreakfast {
    async fn start() -> Self {
        let radicale = Radicale::start().await;
        radicale.make_calendar("work", "Work", "#e8590c").await;
        let today = Utc::now().with_timezone(&CLIENT_TZ).date_naive();
        let at = |h: u32| local_time(today, 0, h);
        let breakfast = meeting("a", "Breakfast", at(8), 30, &WEI);
        radicale.put_event("work", "a.ics", &breakfast).await;
        let clock = std::sync::Arc::new(server::clock::ManualClock::new(at(15)));
        AfterBreakfast {
            radicale,
            server: common::start_with_clock(clock).await,
            today,
        }
    }

    fn at(&self, days: i64, h: u32) -> chrono::DateTime<Utc> {
        local_time(self.today, days, h)
    }
}

/// Wei Chen, the breakfast guest, as one of `client`'s people; returns their id.
async fn add_wei(client: &common::Client) -> String {
    let (name, email) = WEI[0];
    let (first, last) = name.split_once(' ').unwrap();
    client
        .save_person(&[
            ("first_name", first),
            ("last_name", last),
            ("emails.0.address", email),
        ])
        .await
        .unwrap()
}

/// `h` o'clock, `days` after `today`, in the test client's zone.
fn local_time(today: chrono::NaiveDate, days: i64, h: u32) -> chrono::DateTime<Utc> {
    let local = (today + Duration::days(days)).and_hms_opt(h, 0, 0).unwrap();
    CLIENT_TZ
        .from_local_datetime(&local)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// The test client's time zone.
const CLIENT_TZ: chrono_tz::Tz = chrono_tz::Europe::Amsterdam;

/// Today's meetings stay kept through a sync that changed nothing (whose status writes
/// stale only what shows a connection's status) and are read again after one that did.
#[tokio::test]
async fn a_sync_that_changes_nothing_keeps_todays_meetings() {
    let day = AfterBreakfast::start().await;
    let (radicale, server) = (&day.radicale, &day.server);
    let alice = server.user("alice-kept@example.org").await;
    let connection = connect(&alice, &radicale.base, USER, PASSWORD, "Work").await;
    let titles = || async {
        let today: MeetingsToday = alice.call("todays-meetings", &[]).await.unwrap();
        today
            .meetings
            .into_iter()
            .map(|m| m.title)
            .collect::<Vec<_>>()
    };
    assert_eq!(titles().await, vec!["Breakfast"]);
    // Changed behind the stores' backs: only a reread would show it.
    server
        .services
        .db
        .query("UPDATE event SET title = 'Changed behind the stores' WHERE title = 'Breakfast'")
        .await
        .unwrap()
        .check()
        .unwrap();
    let sync = || async {
        alice
            .call::<SyncReport>("sync-connection", &[("id", &connection.id)])
            .await
            .unwrap()
    };
    let unchanged = sync().await;
    assert_eq!(
        (unchanged.added, unchanged.changed, unchanged.removed),
        (0, 0, 0)
    );
    assert_eq!(
        titles().await,
        vec!["Breakfast"],
        "kept through the sync's status writes"
    );
    let longer = meeting("a", "Long breakfast", day.at(0, 8), 60, &WEI);
    radicale.put_event("work", "a.ics", &longer).await;
    assert_eq!(sync().await.changed, 1);
    assert_eq!(titles().await, vec!["Long breakfast"]);
}

/// The dashboard and today's meetings are kept between views (`freshness`); each change made
/// since shows at the next view: a person added (and the guest linked to them), a meeting
/// synced, one logged and given notes, the connection removed.
#[tokio::test]
async fn the_dashboard_and_todays_meetings_show_each_change_at_once() {
    let day = AfterBreakfast::start().await;
    let (radicale, server) = (&day.radicale, &day.server);
    let at = |h: u32| day.at(0, h);
    let alice = server.user("alice-fresh@example.org").await;
    let today_list = || async {
        alice
            .call::<MeetingsToday>("todays-meetings", &[])
            .await
            .unwrap()
            .meetings
    };
    let dashboard = || async {
        alice
            .call::<Dashboard>("load-dashboard", &[])
            .await
            .unwrap()
    };
    let connection = connect(&alice, &radicale.base, USER, PASSWORD, "Work").await;
    let shown = today_list().await;
    assert_eq!(titles_of(&shown), vec!["Breakfast"]);
    let wei_linked = |m: &Meeting| {
        m.attendees
            .iter()
            .any(|a| a.email == "wei@example.org" && a.person.is_some())
    };
    assert!(!wei_linked(&shown[0]));
    let before = dashboard().await;
    assert_eq!(before, dashboard().await, "the kept dashboard");
    assert!(before.has_calendar_connections);

    let wei = add_wei(&alice).await;
    assert_eq!(dashboard().await.counts.people, before.counts.people + 1);
    assert!(
        wei_linked(&today_list().await[0]),
        "the guest is linked at once"
    );

    radicale
        .put_event("work", "b.ics", &meeting("b", "Lunch", at(12), 60, &[]))
        .await;
    alice
        .call::<SyncReport>("sync-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    let shown = today_list().await;
    assert_eq!(titles_of(&shown), vec!["Breakfast", "Lunch"]);

    let activity = log(&alice, &shown[0].id).await.unwrap();
    let after_log = dashboard().await;
    assert_eq!(after_log.counts.activities, before.counts.activities + 1);
    assert_eq!(after_log.recent_activities[0].id, activity);
    assert_eq!(
        after_log.recently_contacted[0].person.id, wei,
        "logged with the person it met"
    );
    assert_eq!(
        today_list().await[0].logged_activity.as_deref(),
        Some(activity.as_str())
    );
    alice
        .call::<()>(
            "save-meeting-notes",
            &[("id", &shown[0].id), ("notes", "Wei takes the lead.")],
        )
        .await
        .unwrap();
    assert_eq!(
        dashboard().await.recent_activities[0]
            .meeting_notes
            .as_deref(),
        Some("Wei takes the lead."),
        "the logged activity shows the notes"
    );

    alice
        .call::<()>("delete-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    assert!(today_list().await.is_empty());
    assert!(!dashboard().await.has_calendar_connections);
}

/// A person's page (the person with their cadence, their timeline, their meetings) is read
/// once and kept; each change to what it shows is seen on the next read: a meeting logged, an
/// activity added, the person renamed, a meeting synced, the connection deleted.
#[tokio::test]
async fn a_persons_page_shows_each_change_at_once() {
    let day = AfterBreakfast::start().await;
    let (radicale, server) = (&day.radicale, &day.server);
    let at = |days: i64, h: u32| day.at(days, h);
    let today = day.today;
    let alice = server.user("alice-person-page@example.org").await;
    let wei = add_wei(&alice).await;
    let connection = connect(&alice, &radicale.base, USER, PASSWORD, "Work").await;
    let person = || async {
        alice
            .call::<Person>("get-person", &[("id", &wei)])
            .await
            .unwrap()
    };
    let timeline = || async {
        alice
            .call::<Page<Activity>>("person-activities", &[("person_id", &wei), ("page", "1")])
            .await
            .unwrap()
    };
    // Each read twice: the second is the kept one.
    let read = || async {
        let page = (
            person().await,
            timeline().await,
            meetings(&alice, &wei, "past").await,
        );
        assert_eq!(
            page,
            (
                person().await,
                timeline().await,
                meetings(&alice, &wei, "past").await
            ),
            "the kept page"
        );
        page
    };

    let (shown, activities, past) = read().await;
    assert_eq!(shown.cadence.last_met, Some(at(0, 8)));
    assert_eq!(shown.cadence.next, None);
    assert_eq!(activities.total, 0);
    assert_eq!(titles_of(&past.items), vec!["Breakfast"]);
    assert_eq!(past.items[0].logged_activity, None);

    let logged = log(&alice, &past.items[0].id).await.unwrap();
    let (_, activities, past) = read().await;
    assert_eq!(
        activities.items.iter().map(|a| &a.id).collect::<Vec<_>>(),
        vec![&logged]
    );
    assert_eq!(
        past.items[0].logged_activity.as_deref(),
        Some(logged.as_str())
    );

    let yesterday = (today - Duration::days(1))
        .format("%Y-%m-%dT10:00")
        .to_string();
    alice
        .add_activity(&wei, "Phone call", &yesterday)
        .await
        .unwrap();
    let (_, activities, _) = read().await;
    assert_eq!(activities.total, 2);

    alice
        .save_person(&[
            ("id", &wei),
            ("first_name", "Wei"),
            ("last_name", "Zhang"),
            ("emails.0.address", "wei@example.org"),
        ])
        .await
        .unwrap();
    let (shown, activities, _) = read().await;
    assert_eq!(shown.full_name(), "Wei Zhang");
    assert!(activities.items[0]
        .people
        .iter()
        .any(|p| p.name == "Wei Zhang"));

    radicale
        .put_event("work", "b.ics", &meeting("b", "Lunch", at(1, 12), 60, &WEI))
        .await;
    alice
        .call::<SyncReport>("sync-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    let (shown, _, _) = read().await;
    assert_eq!(
        shown.cadence.next,
        Some(at(1, 12)),
        "the synced meeting is next"
    );

    alice
        .call::<()>("delete-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    let (shown, _, past) = read().await;
    assert_eq!(shown.cadence.next, None);
    assert!(past.items.is_empty());
}

fn titles_of(meetings: &[Meeting]) -> Vec<&str> {
    meetings.iter().map(|m| m.title.as_str()).collect()
}

/// The day view reads each duration class's end times near the day: meetings of every length
/// crossing its edges are found, those just outside are not, and a run of meetings ending at
/// the same moment longer than one read's page is found whole.
#[tokio::test]
async fn the_day_view_finds_meetings_of_every_length_at_its_edges() {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#e8590c").await;
    let tz = chrono_tz::Europe::Amsterdam; // the test client's time zone
    let day = Utc::now().with_timezone(&tz).date_naive() + Duration::days(3);
    let at = |offset_days: i64, h: u32, m: u32| {
        tz.from_local_datetime(
            &(day + Duration::days(offset_days))
                .and_hms_opt(h, m, 0)
                .unwrap(),
        )
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
    };
    let cases = [
        ("Late call", at(-1, 23, 30), 60, true),
        ("Ended at midnight", at(-1, 23, 0), 60, false),
        ("Night shift", at(-1, 22, 0), 180, true),
        ("Long haul", at(-1, 6, 0), 20 * 60, true),
        ("Conference", at(-2, 9, 0), 51 * 60, true),
        ("Evening", at(0, 23, 0), 240, true),
        ("Overnight", at(0, 23, 59), 20 * 60, true),
        ("Tomorrow", at(1, 0, 0), 30, false),
    ];
    for (i, (title, start, minutes, _)) in cases.iter().enumerate() {
        radicale
            .put_event(
                "work",
                &format!("edge{i}.ics"),
                &meeting(&format!("edge{i}"), title, *start, *minutes, &[]),
            )
            .await;
    }
    const SAME_END: usize = 130;
    for i in 0..SAME_END {
        radicale
            .put_event(
                "work",
                &format!("standup{i}.ics"),
                &meeting(&format!("standup{i}"), "Standup", at(0, 9, 0), 30, &[]),
            )
            .await;
    }
    let server = common::start().await;
    let alice = server.user("alice-edges@example.org").await;
    let connection = connect(&alice, &radicale.base, USER, PASSWORD, "Work").await;
    let owner = common::calendar::connection_owner(&server, &connection).await;
    let today = server
        .services
        .meetings
        .on_day(&owner, tz, Some(&day.to_string()), Utc::now(), true)
        .await
        .unwrap();
    let titles: Vec<&str> = today.meetings.iter().map(|m| m.title.as_str()).collect();
    let expected: Vec<&str> = cases.iter().filter(|c| c.3).map(|c| c.0).collect();
    let mut edges: Vec<&str> = titles.iter().copied().filter(|t| *t != "Standup").collect();
    edges.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(edges, want);
    assert_eq!(titles.iter().filter(|t| **t == "Standup").count(), SAME_END);
    assert_eq!(today.total as usize, SAME_END + expected.len());
}

#[tokio::test]
async fn all_day_meetings_end_at_the_users_midnight_not_utcs() {
    use app::models::MeetingScope;
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#e8590c").await;
    let day = Utc::now().date_naive() - Duration::days(5);
    let next = day.succ_opt().unwrap();
    let offsite = format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:offsite\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:{}\nDTEND;VALUE=DATE:{}\nSUMMARY:Offsite\nORGANIZER;CN=Alice:mailto:alice@example.org\nATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@builders.example\nEND:VEVENT\nEND:VCALENDAR\n",
        day.format("%Y%m%d"),
        next.format("%Y%m%d")
    );
    radicale.put_event("work", "offsite.ics", &offsite).await;
    let server = common::start().await;
    let alice = server.user("alice-allday@example.org").await;
    let bob = common::calendar::add_bob(&alice).await;
    let connection = connect(&alice, &radicale.base, USER, PASSWORD, "Work").await;
    let owner = common::calendar::connection_owner(&server, &connection).await;
    let meetings = &server.services.meetings;
    let scope_at = |tz: chrono_tz::Tz, now: chrono::DateTime<Utc>| {
        let (owner, bob) = (owner.clone(), bob.clone());
        async move {
            let list = |scope| {
                let (owner, bob) = (owner.clone(), bob.clone());
                async move {
                    meetings
                        .for_person(&owner, tz, &bob, scope, 1, None, None, now)
                        .await
                        .unwrap()
                        .items
                }
            };
            let upcoming = list(MeetingScope::Upcoming).await;
            let past = list(MeetingScope::Past).await;
            match (upcoming.as_slice(), past.as_slice()) {
                ([m], []) => ("upcoming", m.id.clone()),
                ([], [m]) => ("past", m.id.clone()),
                _ => panic!("{tz} at {now}: upcoming {upcoming:?}, past {past:?}"),
            }
        }
    };
    let utc_midnight = Utc.from_utc_datetime(&next.and_hms_opt(0, 0, 0).unwrap());
    let la = chrono_tz::America::Los_Angeles;
    let kiritimati = chrono_tz::Pacific::Kiritimati;

    // 01:00 UTC on the day after is still the afternoon of the offsite in Los Angeles.
    let (scope, id) = scope_at(la, utc_midnight + Duration::hours(1)).await;
    assert_eq!(scope, "upcoming");
    let err = meetings
        .log(&owner, la, &id, utc_midnight + Duration::hours(1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not ended"), "{err}");
    // Past from Los Angeles' midnight (08:00 UTC in winter, 07:00 in summer).
    assert_eq!(
        scope_at(la, utc_midnight + Duration::hours(9)).await.0,
        "past"
    );
    // In Kiritimati (UTC+14) the day after began at 10:00 UTC on the offsite's day.
    assert_eq!(
        scope_at(kiritimati, utc_midnight - Duration::hours(15))
            .await
            .0,
        "upcoming"
    );
    let (scope, id) = scope_at(kiritimati, utc_midnight - Duration::hours(1)).await;
    assert_eq!(scope, "past");
    meetings
        .log(&owner, kiritimati, &id, utc_midnight - Duration::hours(1))
        .await
        .unwrap();
    // UTC users see it end at UTC midnight, as before.
    let utc = chrono_tz::UTC;
    assert_eq!(
        scope_at(utc, utc_midnight - Duration::minutes(1)).await.0,
        "upcoming"
    );
    assert_eq!(scope_at(utc, utc_midnight).await.0, "past");
}

#[tokio::test]
async fn a_person_page_tells_how_often_you_meet_from_meetings_and_calls() {
    let s = synced().await;
    let bob: Person = s.alice.call("get-person", &[("id", &s.bob)]).await.unwrap();
    let review = review(&s).await;
    assert_eq!(bob.cadence.last_met, Some(review.starts_at));
    let visit = meetings(&s.alice, &s.bob, "upcoming").await.items.remove(0);
    assert_eq!(visit.title, "Site visit");
    assert_eq!(bob.cadence.next, Some(visit.starts_at));
    assert_eq!(
        bob.cadence.usual_days, None,
        "two meetings are no rhythm yet"
    );

    // A call a week before the Kick-off makes three meeting days, a week apart; a note is no
    // meeting.
    let call_at = (Utc::now() - Duration::days(17))
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    s.alice
        .add_activity(&s.bob, "Catch-up call", &call_at)
        .await
        .unwrap();
    let bob: Person = s.alice.call("get-person", &[("id", &s.bob)]).await.unwrap();
    assert_eq!(bob.cadence.usual_days, Some(7));
    assert_eq!(bob.cadence.last_met, Some(review.starts_at));

    // A meeting with Bob yesterday that was called off is no meeting.
    s._radicale
        .put_event(
            "work",
            "called-off.ics",
            &meeting(
                "called-off-1",
                "Called-off lunch",
                Utc::now() - Duration::days(1),
                60,
                &[("Bob", "bob@builders.example")],
            )
            .replace("SUMMARY:", "STATUS:CANCELLED\nSUMMARY:"),
        )
        .await;
    sync_all(&s).await;
    let past = meetings(&s.alice, &s.bob, "past").await;
    assert_eq!(past.items[0].title, "Called-off lunch", "it is stored");
    let bob: Person = s.alice.call("get-person", &[("id", &s.bob)]).await.unwrap();
    assert_eq!(bob.cadence.last_met, Some(review.starts_at));
    assert_eq!(bob.cadence.usual_days, Some(7));

    let dana: Person = s
        .alice
        .call("get-person", &[("id", &s.dana)])
        .await
        .unwrap();
    assert_eq!(
        dana.cadence,
        Cadence::default(),
        "Dana is only suggested, never matched"
    );
}

#[tokio::test]
async fn the_widget_shows_any_day_asked_for() {
    let s = synced().await;
    let amsterdam = chrono_tz::Europe::Amsterdam;
    let day_of =
        |at: chrono::DateTime<Utc>| at.with_timezone(&amsterdam).format("%Y-%m-%d").to_string();
    let visit = Utc::now() + Duration::days(1);
    let that_day: Vec<Meeting> = s
        .alice
        .call::<MeetingsToday>("todays-meetings", &[("day", &day_of(visit))])
        .await
        .unwrap()
        .meetings;
    assert!(
        that_day.iter().any(|m| m.title == "Site visit"),
        "{:?}",
        that_day.iter().map(|m| &m.title).collect::<Vec<_>>()
    );
    let review_day: Vec<Meeting> = s
        .alice
        .call::<MeetingsToday>(
            "todays-meetings",
            &[("day", &day_of(Utc::now() - Duration::days(3)))],
        )
        .await
        .unwrap()
        .meetings;
    assert!(review_day.iter().any(|m| m.title == "Quarterly review"));
    assert!(!review_day.iter().any(|m| m.title == "Site visit"));
    let bad = s
        .alice
        .call::<MeetingsToday>("todays-meetings", &[("day", "someday")])
        .await
        .unwrap_err();
    assert!(matches!(bad, app::error::AppError::Invalid(_)), "{bad:?}");
}

#[tokio::test]
async fn meeting_notes_outlive_resyncs_and_show_on_the_logged_activity() {
    let s = synced().await;
    let first = review(&s).await;
    let _: () = s
        .alice
        .call(
            "save-meeting-notes",
            &[("id", &first.id), ("notes", "Decided: ship it.")],
        )
        .await
        .unwrap();
    let detail: MeetingDetail = s
        .alice
        .call("get-meeting", &[("id", &first.id)])
        .await
        .unwrap();
    assert_eq!(
        (detail.meeting.title.as_str(), detail.notes.as_str()),
        ("Quarterly review", "Decided: ship it.")
    );
    assert!(detail.notes_saved_at.is_some());

    // The event is edited on the server and synced again: the notes stay with it.
    s._radicale
        .put_event(
            "work",
            "past.ics",
            &meeting(
                "past-1",
                "Quarterly review",
                Utc::now() - Duration::days(3),
                90,
                &[("Bob Builder", "BOB@builders.example"), DANA],
            ),
        )
        .await;
    sync_all(&s).await;
    let again = review(&s).await;
    assert_eq!(
        (again.ends_at - again.starts_at).num_minutes(),
        90,
        "resynced"
    );
    let detail: MeetingDetail = s
        .alice
        .call("get-meeting", &[("id", &again.id)])
        .await
        .unwrap();
    assert_eq!(detail.notes, "Decided: ship it.");

    // Logged, the activity shows them.
    log(&s.alice, &again.id).await.unwrap();
    let logged = logged_reviews(&s).await;
    assert_eq!(
        logged[0].meeting_notes.as_deref(),
        Some("Decided: ship it.")
    );

    // Too long, or someone else's meeting: refused.
    let long = "x".repeat(app::limits::NOTES + 1);
    let too_long = s
        .alice
        .call::<()>("save-meeting-notes", &[("id", &again.id), ("notes", &long)])
        .await
        .unwrap_err();
    assert!(
        matches!(too_long, app::error::AppError::Invalid(_)),
        "{too_long:?}"
    );
    let mallory = s.server.user("mallory-notes@example.org").await;
    let theirs = mallory
        .call::<MeetingDetail>("get-meeting", &[("id", &again.id)])
        .await
        .unwrap_err();
    assert!(
        matches!(theirs, app::error::AppError::NotFound(_)),
        "{theirs:?}"
    );
    let write = mallory
        .call::<()>(
            "save-meeting-notes",
            &[("id", &again.id), ("notes", "mine")],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(write, app::error::AppError::NotFound(_)),
        "{write:?}"
    );

    // Emptied, the notes are gone.
    let _: () = s
        .alice
        .call("save-meeting-notes", &[("id", &again.id), ("notes", "  ")])
        .await
        .unwrap();
    let detail: MeetingDetail = s
        .alice
        .call("get-meeting", &[("id", &again.id)])
        .await
        .unwrap();
    assert_eq!((detail.notes.as_str(), detail.notes_saved_at), ("", None));
}

#[tokio::test]
async fn a_person_added_after_the_sync_is_suggested_at_once() {
    let s = synced().await;
    // Dana goes, and comes back as a new person, after the sync: no re-sync happens.
    let _: () = s
        .alice
        .call("delete-person", &[("id", &s.dana)])
        .await
        .unwrap();
    let gone = review(&s).await;
    let dana = gone.attendees.iter().find(|a| a.email == DANA.1).unwrap();
    assert!(dana.suggestions.is_empty(), "{:?}", dana.suggestions);
    let again = s
        .alice
        .save_person(&[("first_name", "Dana"), ("last_name", "Scully")])
        .await
        .unwrap();
    let review = review(&s).await;
    let dana = review.attendees.iter().find(|a| a.email == DANA.1).unwrap();
    assert_eq!(
        dana.suggestions
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>(),
        [again.as_str()]
    );
    assert!(
        dana.person.is_none(),
        "a name is a suggestion, never a link"
    );
}

#[tokio::test]
async fn a_meeting_running_for_days_is_upcoming_until_it_ends_and_on_each_of_its_days() {
    use app::models::MeetingScope;
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#e8590c").await;
    let start = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(5);
    let bob = [("Bob", "bob@builders.example")];
    for (uid, title, at, minutes) in [
        ("retreat", "Retreat", start, 5 * 24 * 60),
        ("standup", "Standup", start + Duration::days(1), 30),
        ("review", "Review", start + Duration::days(10), 60),
    ] {
        radicale
            .put_event(
                "work",
                &format!("{uid}.ics"),
                &meeting(uid, title, at, minutes, &bob),
            )
            .await;
    }
    let server = common::start().await;
    let alice = server.user("alice-retreat@example.org").await;
    let bob = common::calendar::add_bob(&alice).await;
    let connection = connect(&alice, &radicale.base, USER, PASSWORD, "Work").await;
    let owner = common::calendar::connection_owner(&server, &connection).await;
    let meetings = &server.services.meetings;
    let tz = chrono_tz::UTC;
    let titles = |list: Vec<Meeting>| list.into_iter().map(|m| m.title).collect::<Vec<_>>();
    let at = |now: chrono::DateTime<Utc>| {
        let (owner, bob) = (owner.clone(), bob.clone());
        async move {
            let page = |scope| {
                let (owner, bob) = (owner.clone(), bob.clone());
                async move {
                    let page = meetings
                        .for_person(&owner, tz, &bob, scope, 1, None, None, now)
                        .await
                        .unwrap();
                    (titles(page.items), page.total)
                }
            };
            let today = meetings.on_day(&owner, tz, None, now, false).await.unwrap();
            (
                page(MeetingScope::Upcoming).await,
                page(MeetingScope::Past).await,
                titles(today.meetings),
            )
        }
    };

    // During the standup on the retreat's second day: both are running.
    let (upcoming, past, today) = at(start + Duration::days(1) + Duration::minutes(10)).await;
    assert_eq!(
        upcoming,
        (vec!["Retreat".into(), "Standup".into(), "Review".into()], 3)
    );
    assert_eq!(past, (vec![], 0));
    assert_eq!(today, vec!["Retreat", "Standup"]);

    // Three days in: the retreat, begun long before, is still upcoming and on today's list.
    let (upcoming, past, today) = at(start + Duration::days(3)).await;
    assert_eq!(upcoming, (vec!["Retreat".into(), "Review".into()], 2));
    assert_eq!(past, (vec!["Standup".into()], 1));
    assert_eq!(today, vec!["Retreat"]);

    // After it: past, newest first.
    let (upcoming, past, today) = at(start + Duration::days(6)).await;
    assert_eq!(upcoming, (vec!["Review".into()], 1));
    assert_eq!(past, (vec!["Standup".into(), "Retreat".into()], 2));
    assert!(today.is_empty(), "{today:?}");
}

#[tokio::test]
async fn a_busy_day_shows_the_next_meetings_and_offers_all_of_them() {
    use app::models::TODAY_SHOWN;
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#e8590c").await;
    let tz = chrono_tz::Europe::Amsterdam; // the test client's time zone
    let today = Utc::now().with_timezone(&tz).date_naive();
    for hour in 0..12 {
        let at = tz
            .from_local_datetime(&today.and_hms_opt(hour * 2, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc);
        radicale
            .put_event(
                "work",
                &format!("m{hour}.ics"),
                &meeting(&format!("m{hour}"), &format!("Meeting {hour}"), at, 30, &[]),
            )
            .await;
    }
    let server = common::start().await;
    let alice = server.user("alice-busy@example.org").await;
    connect(&alice, &radicale.base, USER, PASSWORD, "Work").await;

    let capped: MeetingsToday = alice.call("todays-meetings", &[]).await.unwrap();
    assert_eq!(capped.total, 12);
    assert_eq!(capped.meetings.len(), TODAY_SHOWN);
    let all: MeetingsToday = alice
        .call("todays-meetings", &[("all", "true")])
        .await
        .unwrap();
    assert_eq!(all.total, 12);
    assert_eq!(all.meetings.len(), 12);

    let page = alice.get("/").await.text().await.unwrap();
    assert_eq!(
        page.matches("class=\"today-item").count(),
        TODAY_SHOWN,
        "{page}"
    );
    assert!(page.contains("href=\"/?today=all\""), "{page}");
    assert!(page.contains("Show all 12 meetings today"), "{page}");
    let page = alice.get("/?today=all").await.text().await.unwrap();
    assert_eq!(page.matches("class=\"today-item").count(), 12, "{page}");
    assert!(page.contains("Show fewer"), "{page}");
}
