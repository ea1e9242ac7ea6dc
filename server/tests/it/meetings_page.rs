//! The Meetings page through its server functions, with events synced from a real Radicale:
//! upcoming, this week and past, "Unmatched" (a meeting whose guests are all unknown included,
//! the user's own addresses and rooms never unknown), paging, "Add all unknown guests" (the
//! right people, nobody known or the user, nobody twice), and meetings stored before the
//! unknown-guests flag existed.
use crate::common;

use app::error::AppError;
use app::models::{Meeting, MeetingList, Page, PersonSummary};
use chrono::{DateTime, Datelike, Duration, Utc};
use common::calendar::{connect, dana_put_all, event, DANA};
use common::radicale::Radicale;

/// The user's own address on the connected calendar (its username, reported as theirs).
const ME: &str = DANA.0;
/// A second address of the user's, added by hand in Settings → Profile.
const MY_ALIAS: &str = "dana.at.home@example.net";

fn organizer(name: &str, email: &str) -> String {
    format!("ORGANIZER;CN={name}:mailto:{email}\n")
}

fn guest(name: &str, email: &str) -> String {
    format!("ATTENDEE;CN=\"{name}\";PARTSTAT=ACCEPTED:mailto:{email}\n")
}

fn me_invited() -> String {
    format!("ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ME}\n")
}

const ROOM: &str = "ATTENDEE;CUTYPE=ROOM;CN=Room 1:mailto:room1@rooms.example\n";

struct Fixture {
    _radicale: Radicale,
    server: common::TestServer,
    client: common::Client,
    /// (title, start) of every meeting on the calendar.
    starts: Vec<(String, DateTime<Utc>)>,
}

/// Past meetings with Bob only, beyond the named ones: enough for a second page.
const OLD: usize = 24;

/// Dana's calendar: Bob is one of her people; "Strangers" has only unknown guests (and her);
/// "Mixed" has Bob, two unknown guests, a room and her hand-added address; "With Bob" and
/// "Solo" (her alias only) have none unknown; "Called off" (cancelled) has an unknown guest
/// but nothing to act on; and `OLD` past meetings with Bob.
async fn fixture() -> Fixture {
    let radicale = Radicale::start().await;
    let now = Utc::now();
    let bob = guest("Bob Builder", "bob@builders.example");
    let named = [
        (
            "with-bob",
            "With Bob",
            now + Duration::days(1),
            format!("{}{bob}{}", organizer("Dana", ME), me_invited()),
        ),
        (
            "strangers",
            "Strangers",
            now + Duration::days(2),
            format!(
                "{}{}{}{}",
                organizer("Ann Other", "ann@else.example"),
                guest("Ann Other", "ann@else.example"),
                guest("Chen, Wei", "wei@corp.example"),
                me_invited()
            ),
        ),
        (
            "called-off",
            "Called off",
            now + Duration::days(3),
            format!(
                "STATUS:CANCELLED\n{}{}{}",
                organizer("Ann Other", "ann@else.example"),
                guest("Zed Zero", "zed@else.example"),
                me_invited()
            ),
        ),
        (
            "mixed",
            "Mixed",
            now - Duration::days(3),
            format!(
                "{}{bob}{}{}{ROOM}{}",
                organizer("Dana", ME),
                guest("Dee Dee", "dee@x.example"),
                guest("Eve Early", "eve.early@x.example"),
                guest("Dana at home", MY_ALIAS)
            ),
        ),
        (
            "solo",
            "Solo",
            now - Duration::days(5),
            format!(
                "{}{}",
                organizer("Dana", ME),
                guest("Dana at home", MY_ALIAS)
            ),
        ),
    ];
    let mut starts = Vec::new();
    let mut objects = Vec::new();
    for (uid, title, start, extra) in named {
        starts.push((title.to_string(), start));
        objects.push((format!("{uid}.ics"), event(uid, title, start, &extra)));
    }
    for i in 1..=OLD {
        let title = format!("Old {i:02}");
        let start = now - Duration::days(6 + i as i64);
        objects.push((
            format!("old-{i}.ics"),
            event(&format!("old-{i}"), &title, start, &bob),
        ));
        starts.push((title, start));
    }
    dana_put_all(&radicale, objects).await;

    let server = common::start().await;
    let client = server.user("meetings-page@example.org").await;
    client
        .save_person(&[
            ("first_name", "Bob"),
            ("last_name", "Builder"),
            ("emails.0.address", "bob@builders.example"),
        ])
        .await
        .unwrap();
    let _: () = client
        .call("add-my-address", &[("address", MY_ALIAS)])
        .await
        .unwrap();
    connect(&client, &radicale.base, false).await;
    Fixture {
        _radicale: radicale,
        server,
        client,
        starts,
    }
}

async fn list(client: &common::Client, when: &str, unmatched: bool, page: u32) -> MeetingList {
    client
        .call(
            "list-meetings",
            &[
                ("when", when),
                ("unmatched", if unmatched { "true" } else { "false" }),
                ("page", &page.to_string()),
            ],
        )
        .await
        .unwrap()
}

fn titles(list: &MeetingList) -> Vec<&str> {
    list.meetings
        .items
        .iter()
        .map(|m| m.title.as_str())
        .collect()
}

fn find<'a>(list: &'a MeetingList, title: &str) -> &'a Meeting {
    list.meetings
        .items
        .iter()
        .find(|m| m.title == title)
        .unwrap_or_else(|| panic!("{title} in {:?}", titles(list)))
}

fn unknown(meeting: &Meeting) -> Vec<&str> {
    meeting.unknown_guests().map(|a| a.email.as_str()).collect()
}

async fn add_all(client: &common::Client, id: &str) -> Result<u32, AppError> {
    client.call("add-unknown-guests", &[("event_id", id)]).await
}

async fn people(client: &common::Client) -> Vec<String> {
    let page: Page<PersonSummary> = client
        .call("list-people", &[("query", ""), ("page", "1")])
        .await
        .unwrap();
    page.items.iter().map(|p| p.full_name()).collect()
}

#[tokio::test]
async fn all_meetings_upcoming_and_past_with_unmatched_ones_among_them() {
    let f = fixture().await;
    let upcoming = list(&f.client, "upcoming", false, 1).await;
    assert_eq!(
        titles(&upcoming),
        vec!["With Bob", "Strangers", "Called off"]
    );
    // A meeting whose guests are all unknown is listed, its guests unknown (never you).
    let strangers = find(&upcoming, "Strangers");
    assert_eq!(
        unknown(strangers),
        vec!["ann@else.example", "wei@corp.example"]
    );
    assert!(unknown(find(&upcoming, "With Bob")).is_empty());

    let past = list(&f.client, "past", false, 1).await;
    assert_eq!(&titles(&past)[..3], &["Mixed", "Solo", "Old 01"]);
    // Rooms and your own addresses (reported by the calendar, added by hand) are not unknown.
    assert_eq!(
        unknown(find(&past, "Mixed")),
        vec!["dee@x.example", "eve.early@x.example"]
    );
    assert!(unknown(find(&past, "Solo")).is_empty());

    let counts = past.counts;
    assert_eq!((counts.upcoming, counts.past), (3, 2 + OLD as u64));
    assert_eq!((counts.all, counts.unmatched), (2 + OLD as u64, 1));
    assert_eq!(upcoming.counts.unmatched, 1);
}

#[tokio::test]
async fn unmatched_lists_the_meetings_with_an_unknown_guest() {
    let f = fixture().await;
    // A cancelled meeting is listed among all, not as one to act on.
    let upcoming = list(&f.client, "upcoming", true, 1).await;
    assert_eq!(titles(&upcoming), vec!["Strangers"]);
    assert_eq!(upcoming.meetings.total, 1);
    let past = list(&f.client, "past", true, 1).await;
    assert_eq!(titles(&past), vec!["Mixed"]);
    // The time tabs count within "Unmatched", the guest tabs within the time tab.
    assert_eq!((past.counts.upcoming, past.counts.past), (1, 1));
    assert_eq!(
        (past.counts.all, past.counts.unmatched),
        (2 + OLD as u64, 1)
    );
}

#[tokio::test]
async fn past_meetings_come_in_pages_newest_first() {
    let f = fixture().await;
    let first = list(&f.client, "past", false, 1).await;
    let second = list(&f.client, "past", false, 2).await;
    let per_page = app::models::MEETING_LIST_PER_PAGE as usize;
    assert_eq!(first.meetings.items.len(), per_page);
    assert_eq!(first.meetings.total, 2 + OLD as u64);
    assert_eq!(first.meetings.page_count(), 2);
    let all: Vec<&str> = titles(&first).into_iter().chain(titles(&second)).collect();
    let mut expected: Vec<(String, DateTime<Utc>)> = f
        .starts
        .iter()
        .filter(|(_, start)| *start < Utc::now())
        .cloned()
        .collect();
    expected.sort_by_key(|(_, start)| std::cmp::Reverse(*start));
    assert_eq!(
        all,
        expected.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn this_week_is_monday_to_sunday_in_the_users_zone_in_order() {
    let f = fixture().await;
    // The test accounts live in Europe/Amsterdam.
    let tz: chrono_tz::Tz = "Europe/Amsterdam".parse().unwrap();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let monday = today - chrono::Days::new(today.weekday().num_days_from_monday() as u64);
    let from = app::time::day_start(monday, tz);
    let to = app::time::day_start(monday + chrono::Days::new(7), tz);
    let mut expected: Vec<&(String, DateTime<Utc>)> = f
        .starts
        .iter()
        .filter(|(_, start)| *start >= from && *start < to)
        .collect();
    expected.sort_by_key(|(_, start)| *start);
    let week = list(&f.client, "week", false, 1).await;
    assert_eq!(
        titles(&week),
        expected.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>()
    );
    assert_eq!(week.counts.week, expected.len() as u64);
    let unmatched = list(&f.client, "week", true, 1).await;
    let expected_unmatched: Vec<&str> = expected
        .iter()
        .map(|(t, _)| t.as_str())
        .filter(|t| ["Strangers", "Mixed"].contains(t))
        .collect();
    assert_eq!(titles(&unmatched), expected_unmatched);
}

#[tokio::test]
async fn adding_all_unknown_guests_makes_people_of_them_once() {
    let f = fixture().await;
    let strangers = find(&list(&f.client, "upcoming", true, 1).await, "Strangers").clone();
    // The organizer is also an attendee: one person. "Chen, Wei" reads as Wei Chen.
    assert_eq!(add_all(&f.client, &strangers.id).await.unwrap(), 2);
    let known = people(&f.client).await;
    assert!(known.contains(&"Ann Other".to_string()), "{known:?}");
    assert!(known.contains(&"Wei Chen".to_string()), "{known:?}");
    assert_eq!(known.len(), 3, "{known:?}");
    // The meeting shows them as matched and left "Unmatched".
    let upcoming = list(&f.client, "upcoming", false, 1).await;
    let strangers = find(&upcoming, "Strangers");
    assert!(unknown(strangers).is_empty());
    let matched: Vec<String> = strangers
        .matched_people()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(matched, vec!["Ann Other", "Wei Chen"]);
    assert!(titles(&list(&f.client, "upcoming", true, 1).await).is_empty());
    // A second press adds nobody.
    assert_eq!(add_all(&f.client, &strangers.id).await.unwrap(), 0);
    assert_eq!(people(&f.client).await.len(), 3);
}

#[tokio::test]
async fn adding_all_skips_guests_someone_has_by_now_rooms_and_you() {
    let f = fixture().await;
    let mixed = find(&list(&f.client, "past", true, 1).await, "Mixed").clone();
    // Dee became one of the user's people after the page was shown.
    f.client
        .save_person(&[
            ("first_name", "Dee"),
            ("last_name", "Dee"),
            ("emails.0.address", "DEE@x.example"),
        ])
        .await
        .unwrap();
    assert_eq!(add_all(&f.client, &mixed.id).await.unwrap(), 1);
    let known = people(&f.client).await;
    assert_eq!(known, vec!["Bob Builder", "Dee Dee", "Eve Early"]);
    assert!(titles(&list(&f.client, "past", true, 1).await).is_empty());
}

#[tokio::test]
async fn a_person_named_like_a_guest_is_suggested_on_the_list_at_once() {
    let f = fixture().await;
    f.client
        .save_person(&[("first_name", "Wei"), ("last_name", "Chen")])
        .await
        .unwrap();
    let upcoming = list(&f.client, "upcoming", true, 1).await;
    let wei = find(&upcoming, "Strangers")
        .attendees
        .iter()
        .find(|a| a.email == "wei@corp.example")
        .unwrap();
    let suggested: Vec<&str> = wei.suggestions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(suggested, vec!["Wei Chen"]);
    // Still unknown: a suggestion is not a link.
    assert!(wei.is_unknown());
}

#[tokio::test]
async fn meetings_stored_before_the_flag_are_flagged_at_start_up() {
    let f = fixture().await;
    f.server
        .services
        .db
        .query("UPDATE event SET unknown_guests = NONE")
        .await
        .unwrap()
        .check()
        .unwrap();
    assert!(titles(&list(&f.client, "upcoming", true, 1).await).is_empty());
    let flagged = f.server.services.flag_unknown_guests().await.unwrap();
    assert_eq!(flagged, 5 + OLD);
    assert_eq!(
        titles(&list(&f.client, "upcoming", true, 1).await),
        vec!["Strangers"]
    );
    // Once done, nothing is left to flag.
    assert_eq!(f.server.services.flag_unknown_guests().await.unwrap(), 0);
}

#[tokio::test]
async fn another_user_neither_sees_nor_adds_the_guests() {
    let f = fixture().await;
    let strangers = find(&list(&f.client, "upcoming", true, 1).await, "Strangers").clone();
    let other = f.server.user("someone-else@example.org").await;
    assert!(list(&other, "upcoming", false, 1)
        .await
        .meetings
        .items
        .is_empty());
    assert!(matches!(
        add_all(&other, &strangers.id).await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(people(&f.client).await, vec!["Bob Builder"]);
}

#[tokio::test]
async fn without_javascript_the_form_returns_to_its_page_with_the_result_or_the_error() {
    let f = fixture().await;
    let strangers = find(&list(&f.client, "upcoming", true, 1).await, "Strangers").clone();
    let location = |answer: &reqwest::Response| {
        assert_eq!(answer.status(), reqwest::StatusCode::FOUND);
        answer.headers()["location"].to_str().unwrap().to_string()
    };
    // Back to the same filter, the last result replaced by this one, for this meeting.
    let answer = f
        .client
        .post_plain_form(
            "add-unknown-guests",
            &[("event_id", &strangers.id)],
            "/meetings?unmatched=1&meeting=other&added=5",
        )
        .await;
    assert_eq!(
        location(&answer),
        format!("/meetings?unmatched=1&meeting={}&added=2", strangers.id)
    );
    // A failure comes back to the meeting it was for, with the error Leptos reads back.
    let answer = f
        .client
        .post_plain_form(
            "add-unknown-guests",
            &[("event_id", "gone0")],
            "/meetings?when=past&added=2",
        )
        .await;
    let back = location(&answer);
    assert!(
        back.starts_with("/meetings?when=past&meeting=gone0&__path=") && back.contains("&__err="),
        "{back}"
    );
}
