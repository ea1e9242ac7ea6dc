//! Meetings through the server functions, with events synced from a real Radicale: a person's
//! meetings across two connections, log-as-activity idempotence, re-linking when an email is
//! added, name suggestions, today's meetings, and isolation between users.
use crate::common;

use app::models::{Activity, Connection, DiscoveredCalendar, MatchReason, Meeting, Page, Response};
use chrono::{Duration, TimeZone, Utc};
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
    client
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
        .unwrap()
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

#[tokio::test]
async fn meetings_on_people_logging_relinking_and_isolation() {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#e8590c").await;
    let now = Utc::now();
    let dana = ("Dana Scully", "dana@fbi.example");
    radicale
        .put_event(
            "work",
            "past.ics",
            &meeting(
                "past-1",
                "Quarterly review",
                now - Duration::days(3),
                60,
                &[("Bob Builder", "BOB@builders.example"), dana],
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
    let dana_id = alice
        .save_person(&[("first_name", "Dana"), ("last_name", "Scully")])
        .await
        .unwrap();
    connect(&alice, &radicale.base, USER, PASSWORD, "Alice's calendar").await;
    connect(&alice, &radicale.base, BOB.0, BOB.1, "Shared calendar").await;

    // Bob's meetings come from both connections, upcoming soonest first, past newest first.
    let upcoming = meetings(&alice, &bob, "upcoming").await;
    assert_eq!(
        upcoming
            .items
            .iter()
            .map(|m| m.title.as_str())
            .collect::<Vec<_>>(),
        vec!["Site visit", "Planning"]
    );
    assert_eq!(upcoming.total, 2);
    let past = meetings(&alice, &bob, "past").await;
    assert_eq!(
        past.items
            .iter()
            .map(|m| m.title.as_str())
            .collect::<Vec<_>>(),
        vec!["Quarterly review", "Kick-off"]
    );
    let review = &past.items[0];
    assert_eq!(
        review.meeting_url.as_deref(),
        Some("https://zoom.us/j/123456789")
    );
    assert_eq!(review.calendar_name, "Work");
    assert_eq!(review.calendar_color.as_deref(), Some("#e8590c"));
    let bob_attendee = review
        .attendees
        .iter()
        .find(|a| a.email == "BOB@builders.example")
        .unwrap();
    assert_eq!(
        bob_attendee.person.as_ref().map(|p| p.id.as_str()),
        Some(bob.as_str())
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
    assert!(review
        .attendees
        .iter()
        .any(|a| a.organizer && a.email == "alice@example.org"));
    // Dana has no email on file: only a suggestion, never a link.
    let dana_attendee = review.attendees.iter().find(|a| a.email == dana.1).unwrap();
    assert!(dana_attendee.person.is_none());
    assert_eq!(
        dana_attendee
            .suggestions
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>(),
        vec![dana_id.as_str()]
    );
    assert_eq!(meetings(&alice, &dana_id, "past").await.total, 0);
    // Date filter.
    let day = (now - Duration::days(10)).format("%Y-%m-%d").to_string();
    let filtered: Page<Meeting> = alice
        .call(
            "person-meetings",
            &[
                ("person_id", &bob),
                ("scope", "past"),
                ("page", "1"),
                ("from", &day),
                ("to", &day),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        filtered
            .items
            .iter()
            .map(|m| m.title.as_str())
            .collect::<Vec<_>>(),
        vec!["Kick-off"]
    );

    // Log as activity, twice: one activity, linked to the meeting's people, dated at its start.
    let first: String = alice
        .call("log-meeting", &[("event_id", &review.id)])
        .await
        .unwrap();
    let second: String = alice
        .call("log-meeting", &[("event_id", &review.id)])
        .await
        .unwrap();
    assert_eq!(first, second);
    let timeline: Page<Activity> = alice
        .call("person-activities", &[("person_id", &bob), ("page", "1")])
        .await
        .unwrap();
    let logged: Vec<&Activity> = timeline
        .items
        .iter()
        .filter(|a| a.title == "Quarterly review")
        .collect();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].id, first);
    assert_eq!(
        logged[0].occurred_at.timestamp(),
        review.starts_at.timestamp()
    );
    assert_eq!(
        meetings(&alice, &bob, "past").await.items[0]
            .logged_activity
            .as_deref(),
        Some(first.as_str())
    );
    let future = alice
        .call::<String>("log-meeting", &[("event_id", &upcoming.items[0].id)])
        .await
        .unwrap_err();
    assert!(future.to_string().contains("not ended"), "{future}");

    // Accepting a suggestion adds the email: from then on it is an exact match.
    alice
        .call::<()>(
            "link-attendee",
            &[("person_id", &dana_id), ("email", dana.1)],
        )
        .await
        .unwrap();
    let dana_past = meetings(&alice, &dana_id, "past").await;
    assert_eq!(
        dana_past
            .items
            .iter()
            .map(|m| m.title.as_str())
            .collect::<Vec<_>>(),
        vec!["Quarterly review"]
    );
    assert_eq!(
        dana_past.items[0]
            .attendees
            .iter()
            .find(|a| a.email == dana.1)
            .unwrap()
            .reason,
        Some(MatchReason::PrimaryEmail),
        "her only address"
    );

    // Adding an address to a person in the edit form re-links their meetings at once.
    assert_eq!(meetings(&alice, &carol, "upcoming").await.total, 0);
    alice
        .save_person(&[
            ("id", &carol),
            ("first_name", "Carol"),
            ("last_name", "Jones"),
            ("emails.0.address", "carol@home.example"),
            ("emails.1.address", "carol.work@example.com"),
        ])
        .await
        .unwrap();
    assert_eq!(
        meetings(&alice, &carol, "upcoming")
            .await
            .items
            .iter()
            .map(|m| m.title.as_str())
            .collect::<Vec<_>>(),
        vec!["Planning"]
    );
    // And removing it unlinks them.
    alice
        .save_person(&[
            ("id", &carol),
            ("first_name", "Carol"),
            ("last_name", "Jones"),
            ("emails.0.address", "carol@home.example"),
        ])
        .await
        .unwrap();
    assert_eq!(meetings(&alice, &carol, "upcoming").await.total, 0);

    // An unmatched attendee becomes a new person in one click.
    let organizer_id: String = alice
        .call(
            "add-attendee-person",
            &[("email", "alice@example.org"), ("name", "Alice Liddell")],
        )
        .await
        .unwrap();
    assert_eq!(meetings(&alice, &organizer_id, "past").await.total, 2);

    // Another user reaches none of it.
    let mallory = server.user("mallory-meet@example.org").await;
    assert!(mallory
        .call::<Page<Meeting>>(
            "person-meetings",
            &[("person_id", &bob), ("scope", "past"), ("page", "1")]
        )
        .await
        .is_err());
    assert!(mallory
        .call::<String>("log-meeting", &[("event_id", &review.id)])
        .await
        .is_err());
    assert!(mallory
        .call::<()>(
            "link-attendee",
            &[("person_id", &bob), ("email", "x@y.example")]
        )
        .await
        .is_err());
    let theirs: Vec<Meeting> = mallory.call("todays-meetings", &[]).await.unwrap();
    assert!(theirs.is_empty());
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
    let list: Vec<Meeting> = alice.call("todays-meetings", &[]).await.unwrap();
    assert_eq!(
        list.iter().map(|m| m.title.as_str()).collect::<Vec<_>>(),
        vec!["Conference", "Breakfast", "Lunch"]
    );
    assert!(list[0].all_day && list[0].start_date == Some(today));
}
