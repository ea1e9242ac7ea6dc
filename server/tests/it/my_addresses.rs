//! "Know who you are": the user's own addresses against a real Radicale whose username ("alice")
//! is no address. Until the user adds their address in Settings → Profile it is a stranger in
//! every meeting; afterwards it is "you": never matched or suggested, declined meetings are not
//! auto-logged (and go again when declined later), your answer is on the meeting. The sign-in
//! address counts without adding it; a CalDAV username that is an address is reported by its
//! connection and goes with it.
use crate::common;

use app::models::{Activity, Connection, Meeting, MyAddress, MyAddressSource, Page, Response};
use chrono::{Duration, Utc};
use common::calendar::{event, BOB};
use common::radicale::{Radicale, PASSWORD, USER};

/// The Rondo account's sign-in address.
const ACCOUNT: &str = "owner@rondo.example";
/// The user's address in their calendar server's invitations: Rondo cannot know it by itself.
const ME: &str = "alex@home.example";

fn me(partstat: &str) -> String {
    format!("ATTENDEE;CN=Alex Doe;PARTSTAT={partstat}:mailto:{ME}\n")
}

struct Setup {
    radicale: Radicale,
    _server: common::TestServer,
    client: common::Client,
    bob: String,
    /// A person whose name looks like the user's attendee entry ("Alex Doe").
    namesake: String,
    connection: Connection,
}

/// Alice's calendar with ended meetings with Bob that the user declined, tentatively accepted
/// and accepted under `ME`, one declined under the sign-in address, connected with auto-logging
/// on after its first sync.
async fn setup() -> Setup {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#1971c2").await;
    let ago = |days| Utc::now() - Duration::days(days);
    let events = [
        ("declined", "Declined standup", me("DECLINED"), 1),
        ("tentative", "Maybe lunch", me("TENTATIVE"), 2),
        ("accepted", "Accepted review", me("ACCEPTED"), 3),
        (
            "account",
            "Declined as the account",
            format!(
                "ATTENDEE;PARTSTAT=DECLINED:mailto:{}\n",
                ACCOUNT.to_uppercase()
            ),
            4,
        ),
    ];
    for (uid, title, mine, days) in events {
        radicale
            .put_event(
                "work",
                &format!("{uid}.ics"),
                &event(uid, title, ago(days), &format!("{BOB}{mine}")),
            )
            .await;
    }
    let server = common::start().await;
    let client = server.user(ACCOUNT).await;
    let bob = common::calendar::add_bob(&client).await;
    let namesake = client
        .save_person(&[
            ("first_name", "Alex"),
            ("last_name", "Doe"),
            ("emails.0.address", "alex.doe@work.example"),
        ])
        .await
        .unwrap();
    let connection =
        common::calendar::connect_as(&client, &radicale.base, (USER, PASSWORD), "Work", true).await;
    Setup {
        radicale,
        _server: server,
        client,
        bob,
        namesake,
        connection,
    }
}

impl Setup {
    async fn sync(&self) -> app::models::SyncReport {
        let report: app::models::SyncReport = self
            .client
            .call("sync-connection", &[("id", &self.connection.id)])
            .await
            .unwrap();
        assert_eq!(report.error, None, "{report:?}");
        report
    }

    async fn logged(&self) -> Vec<String> {
        let page: Page<Activity> = self
            .client
            .call(
                "person-activities",
                &[("person_id", &self.bob), ("page", "1")],
            )
            .await
            .unwrap();
        let mut titles: Vec<String> = page.items.into_iter().map(|a| a.title).collect();
        titles.sort();
        titles
    }

    async fn meeting(&self, title: &str) -> Meeting {
        let page: Page<Meeting> = self
            .client
            .call(
                "person-meetings",
                &[("person_id", &self.bob), ("scope", "past"), ("page", "1")],
            )
            .await
            .unwrap();
        page.items.into_iter().find(|m| m.title == title).unwrap()
    }

    async fn add(&self, address: &str) -> Result<(), app::error::AppError> {
        self.client
            .call("add-my-address", &[("address", address)])
            .await
    }

    async fn addresses(&self) -> Vec<MyAddress> {
        self.client.call("my-addresses", &[]).await.unwrap()
    }
}

fn attendee<'m>(meeting: &'m Meeting, email: &str) -> &'m app::models::MeetingAttendee {
    meeting
        .attendees
        .iter()
        .find(|a| a.email.eq_ignore_ascii_case(email))
        .unwrap()
}

#[tokio::test]
async fn an_address_added_in_the_profile_makes_meetings_know_you() {
    let s = setup().await;
    // Before: the user's own address is a stranger with a look-alike suggestion, their answer
    // unknown; only the sign-in address is known (and needs no adding).
    let declined = s.meeting("Declined standup").await;
    let stranger = attendee(&declined, ME);
    assert!(!stranger.is_self);
    assert_eq!(
        stranger
            .suggestions
            .iter()
            .map(|p| &p.id)
            .collect::<Vec<_>>(),
        vec![&s.namesake]
    );
    assert_eq!(declined.my_response, None);
    assert_eq!(
        s.meeting("Declined as the account").await.my_response,
        Some(Response::Declined)
    );

    s.add("  Alex@Home.example ").await.unwrap();
    let listed: Vec<(String, MyAddressSource)> = s
        .addresses()
        .await
        .into_iter()
        .map(|a| (a.address, a.source))
        .collect();
    assert_eq!(
        listed,
        vec![
            (ACCOUNT.to_string(), MyAddressSource::Account),
            ("Alex@Home.example".to_string(), MyAddressSource::Manual),
        ]
    );

    // After: "you", no suggestion, no person, your answer on the meeting.
    let declined = s.meeting("Declined standup").await;
    let you = attendee(&declined, ME);
    assert!(you.is_self && you.person.is_none() && you.suggestions.is_empty());
    assert_eq!(declined.my_response, Some(Response::Declined));
    assert_eq!(
        s.meeting("Maybe lunch").await.my_response,
        Some(Response::Tentative)
    );
    assert_eq!(
        s.meeting("Accepted review").await.my_response,
        Some(Response::Accepted)
    );
    // Bob is still matched everywhere.
    assert!(declined
        .attendees
        .iter()
        .any(|a| a.person.as_ref().map(|p| &p.id) == Some(&s.bob)));
}

#[tokio::test]
async fn meetings_you_declined_are_not_auto_logged_and_go_when_declined_later() {
    let s = setup().await;
    s.add(ME).await.unwrap();
    let first = s.sync().await;
    assert_eq!(first.logged, 2, "{first:?}");
    assert_eq!(s.logged().await, vec!["Accepted review", "Maybe lunch"]);

    // Declining an auto-logged meeting later removes its activity; one logged by hand stays.
    let declined = s.meeting("Declined standup").await;
    let _: String = s
        .client
        .call("log-meeting", &[("event_id", &declined.id)])
        .await
        .unwrap();
    let start = Utc::now() - Duration::days(3);
    s.radicale
        .put_event(
            "work",
            "accepted.ics",
            &event(
                "accepted",
                "Accepted review",
                start,
                &format!("{BOB}{}SEQUENCE:1\n", me("DECLINED")),
            ),
        )
        .await;
    let after = s.sync().await;
    assert_eq!(after.logged, 0);
    assert_eq!(s.logged().await, vec!["Declined standup", "Maybe lunch"]);
    assert_eq!(
        s.meeting("Accepted review").await.my_response,
        Some(Response::Declined)
    );
}

#[tokio::test]
async fn without_your_address_a_declined_meeting_is_logged() {
    // What the issue reported: the user's address unknown, their decline means nothing.
    let s = setup().await;
    s.sync().await;
    assert_eq!(
        s.logged().await,
        vec!["Accepted review", "Declined standup", "Maybe lunch"]
    );
}

#[tokio::test]
async fn an_address_is_yours_or_a_persons_never_both() {
    let s = setup().await;
    // A person's address cannot become yours: the message names them.
    let taken = s.add("ALEX.DOE@work.example").await.unwrap_err();
    assert!(
        taken.to_string().contains("alex.doe@work.example")
            && taken.to_string().contains("Alex Doe"),
        "{taken}"
    );
    // Nor can one of yours (the sign-in one, a hand-added one, a Gmail spelling) be given to
    // a person, also from a meeting's "Add as new person".
    s.add("a.lex@gmail.com").await.unwrap();
    for address in [ACCOUNT, "alex+crm@googlemail.com"] {
        let refused = s
            .client
            .save_person(&[("first_name", "Me"), ("emails.0.address", address)])
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("one of your own addresses"),
            "{address}: {refused}"
        );
    }
    let refused = s
        .client
        .call::<String>(
            "add-attendee-person",
            &[("email", ACCOUNT), ("name", "Owner")],
        )
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("one of your own addresses"));
    // Adding the same address twice is refused plainly.
    let twice = s.add("alex@gmail.com").await.unwrap_err();
    assert!(
        twice.to_string().contains("already one of your addresses"),
        "{twice}"
    );
    // The namesake keeps working as a person.
    let edited = s
        .client
        .save_person(&[
            ("id", &s.namesake),
            ("first_name", "Alex"),
            ("last_name", "Doe"),
            ("emails.0.address", "alex.doe@work.example"),
        ])
        .await;
    assert_eq!(edited.unwrap(), s.namesake);
}

#[tokio::test]
async fn removing_an_address_you_added_makes_it_a_stranger_again() {
    let s = setup().await;
    s.add(ME).await.unwrap();
    let added = s
        .addresses()
        .await
        .into_iter()
        .find(|a| a.source == MyAddressSource::Manual)
        .unwrap();
    // The sign-in address cannot be removed.
    assert!(s
        .client
        .call::<()>("remove-my-address", &[("id", "")])
        .await
        .is_err());
    s.client
        .call::<()>("remove-my-address", &[("id", &added.id)])
        .await
        .unwrap();
    assert_eq!(s.addresses().await.len(), 1);
    let declined = s.meeting("Declined standup").await;
    let stranger = attendee(&declined, ME);
    assert!(!stranger.is_self);
    assert_eq!(stranger.suggestions.len(), 1);
    assert_eq!(declined.my_response, None);
}

#[tokio::test]
async fn a_caldav_username_that_is_an_address_is_reported_by_its_connection() {
    let radicale = Radicale::start().await;
    common::calendar::dana_put(
        &radicale,
        "m.ics",
        &event("m", "Planning", Utc::now() + Duration::days(1), BOB),
    )
    .await;
    let server = common::start().await;
    let client = server.user("dana-rondo@example.org").await;
    let connection =
        common::calendar::connect_named(&client, &radicale.base, "Dana's", false).await;
    let addresses: Vec<MyAddress> = client.call("my-addresses", &[]).await.unwrap();
    let reported = addresses
        .iter()
        .find(|a| a.address == common::calendar::DANA.0)
        .expect("reported");
    assert_eq!(reported.source, MyAddressSource::Calendar);
    assert_eq!(reported.connection.as_deref(), Some("Dana's"));
    assert!(!reported.removable());
    assert!(reported.source_label().contains("Dana's"));

    client
        .call::<()>("delete-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    let left: Vec<MyAddress> = client.call("my-addresses", &[]).await.unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
}
