//! Server functions over real HTTP against an in-memory database.
use crate::common;

use app::error::AppError;
use app::models::{Activity, Dashboard, Page, Person, PersonSummary, UserInfo};

#[tokio::test]
async fn sign_up_sign_out_and_sign_in_again() {
    let server = common::start().await;
    let client = server.client();
    assert_eq!(
        client
            .call::<Option<UserInfo>>("current-user", &[])
            .await
            .unwrap(),
        None
    );
    client
        .sign_up("Ana@Example.org ", "correct horse battery")
        .await
        .unwrap();
    // Signing up starts no session (the answer must not tell new addresses from known ones).
    assert_eq!(
        client
            .call::<Option<UserInfo>>("current-user", &[])
            .await
            .unwrap(),
        None
    );
    client
        .sign_in("ana@example.org", "correct horse battery")
        .await
        .unwrap();
    let me = client
        .call::<Option<UserInfo>>("current-user", &[])
        .await
        .unwrap()
        .expect("signed in");
    assert_eq!(me.email, "Ana@Example.org");
    assert_eq!(me.time_zone, "Europe/Amsterdam");
    client.call::<()>("sign-out", &[]).await.unwrap();
    assert_eq!(
        client
            .call::<Option<UserInfo>>("current-user", &[])
            .await
            .unwrap(),
        None
    );
    client
        .sign_in("ana@example.org", "correct horse battery")
        .await
        .unwrap();
    assert!(client
        .call::<Option<UserInfo>>("current-user", &[])
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn sign_up_errors_are_clear() {
    let server = common::start().await;
    let client = server.client();
    client
        .sign_up("bo@example.org", "correct horse battery")
        .await
        .unwrap();
    let other = server.client();
    // A known address is answered like a new one (see auth::sign_up_does_not_reveal_accounts).
    assert_eq!(
        other
            .sign_up("BO@example.org", "another long password")
            .await,
        Ok(())
    );
    assert!(
        matches!(other.sign_up("new@example.org", "short").await, Err(AppError::Invalid(m)) if m.contains("at least 10"))
    );
    assert!(
        matches!(other.sign_up("not-an-email", "long enough password").await, Err(AppError::Invalid(m)) if m.contains("not a valid email"))
    );
    assert!(
        matches!(other.sign_in("bo@example.org", "wrong password!!").await, Err(AppError::Invalid(m)) if m == "Wrong email or password.")
    );
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited() {
    let server = common::start().await;
    server
        .client()
        .sign_up("cy@example.org", "correct horse battery")
        .await
        .unwrap();
    let attacker = server.client();
    for _ in 0..5 {
        assert!(matches!(
            attacker
                .sign_in("cy@example.org", "guess guess guess")
                .await,
            Err(AppError::Invalid(_))
        ));
    }
    // Locked now, even with the right password.
    assert!(
        matches!(attacker.sign_in("cy@example.org", "correct horse battery").await, Err(AppError::RateLimited(m)) if m >= 1)
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax() {
    let server = common::start().await;
    server
        .client()
        .sign_up("dee@example.org", "correct horse battery")
        .await
        .unwrap();
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/api/sign-in", server.base))
        .form(&[
            ("email", "dee@example.org"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("rondo_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http must not set Secure: {cookie}"
    );
}

#[tokio::test]
async fn people_crud_with_several_emails() {
    let server = common::start().await;
    let client = server.user("owner@example.org").await;
    let id = client
        .save_person(&[
            ("first_name", "José"),
            ("last_name", "Müller"),
            ("organization", "Acme"),
            ("job_title", "CTO"),
            ("emails.0.address", " Jose.Muller@Acme.example "),
            ("emails.0.label", "Work"),
            ("emails.1.address", "jose@gmail.com"),
            ("emails.1.label", "personal"),
            ("emails.2.address", ""),
            ("primary_email", "1"),
            ("phones.0.number", "+31 6 1234 5678"),
            ("phones.0.label", "mobile"),
            ("notes", "Met in Lisbon"),
        ])
        .await
        .unwrap();
    let person: Person = client.call("get-person", &[("id", &id)]).await.unwrap();
    assert_eq!(person.full_name(), "José Müller");
    assert_eq!(person.emails.len(), 2);
    assert_eq!(
        person.emails[0].address, "Jose.Muller@Acme.example",
        "shown as entered"
    );
    assert_eq!(person.emails[0].label, "work");
    assert!(!person.emails[0].primary && person.emails[1].primary);
    assert_eq!(person.phones[0].number, "+31 6 1234 5678");

    for query in ["jose", "MÜLLER", "acme", "jose.muller@acme", "josé mül"] {
        let found: Page<PersonSummary> = client
            .call("list-people", &[("query", query), ("page", "1")])
            .await
            .unwrap();
        assert_eq!(found.total, 1, "query {query}");
        assert_eq!(
            found.items[0].primary_email.as_deref(),
            Some("jose@gmail.com")
        );
    }
    let none: Page<PersonSummary> = client
        .call("list-people", &[("query", "nobody"), ("page", "1")])
        .await
        .unwrap();
    assert_eq!(none.total, 0);

    // Edit: drop one email, rename.
    client
        .save_person(&[
            ("id", &id),
            ("first_name", "José"),
            ("last_name", "Müller-Silva"),
            ("emails.0.address", "jose@gmail.com"),
        ])
        .await
        .unwrap();
    let person: Person = client.call("get-person", &[("id", &id)]).await.unwrap();
    assert_eq!(person.last_name, "Müller-Silva");
    assert_eq!(person.emails.len(), 1);
    assert!(person.emails[0].primary);

    client
        .call::<()>("delete-person", &[("id", &id)])
        .await
        .unwrap();
    assert!(matches!(
        client.call::<Person>("get-person", &[("id", &id)]).await,
        Err(AppError::NotFound(_))
    ));
}

#[tokio::test]
async fn an_email_cannot_belong_to_two_people() {
    let server = common::start().await;
    let client = server.user("owner2@example.org").await;
    client
        .save_person(&[
            ("first_name", "Ana"),
            ("last_name", "Silva"),
            ("emails.0.address", "ana@example.org"),
        ])
        .await
        .unwrap();
    let err = client
        .save_person(&[
            ("first_name", "Other"),
            ("emails.0.address", " ANA@example.org"),
        ])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AppError::Conflict("ana@example.org already belongs to Ana Silva.".into())
    );
    let err = client
        .save_person(&[
            ("first_name", "Twice"),
            ("emails.0.address", "t@example.org"),
            ("emails.1.address", "T@example.org"),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Invalid(m) if m.contains("listed twice")));
    assert!(matches!(
        client.save_person(&[("notes", "nameless")]).await,
        Err(AppError::Invalid(_))
    ));
    // Another user may use the same address for their own person.
    let other = server.user("someone@example.org").await;
    other
        .save_person(&[
            ("first_name", "Ana"),
            ("emails.0.address", "ana@example.org"),
        ])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_gmail_alias_cannot_belong_to_a_second_person() {
    let server = common::start().await;
    let client = server.user("alias-owner@example.org").await;
    let zoe = client
        .save_person(&[
            ("first_name", "Zoe"),
            ("last_name", "Zed"),
            ("emails.0.address", "zoez@gmail.com"),
        ])
        .await
        .unwrap();
    for alias in [
        "zoez+crm@googlemail.com",
        "Zoe.Z@gmail.com",
        "zoez+work@gmail.com",
    ] {
        let err = client
            .save_person(&[("first_name", "Other"), ("emails.0.address", alias)])
            .await
            .unwrap_err();
        assert_eq!(
            err,
            AppError::Conflict(format!(
                "{} (a Gmail alias of zoez@gmail.com) already belongs to Zoe Zed.",
                alias.to_lowercase()
            )),
            "{alias}"
        );
    }
    // The other way round: an alias stored first blocks the plain address too.
    client
        .save_person(&[
            ("first_name", "Max"),
            ("emails.0.address", "m.ax+news@googlemail.com"),
        ])
        .await
        .unwrap();
    let err = client
        .save_person(&[
            ("first_name", "Other"),
            ("emails.0.address", "max@gmail.com"),
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m.ends_with("already belongs to Max.")),
        "{err:?}"
    );
    // The same person may keep several spellings of their own address.
    client
        .save_person(&[
            ("id", &zoe),
            ("first_name", "Zoe"),
            ("last_name", "Zed"),
            ("emails.0.address", "zoez@gmail.com"),
            ("emails.1.address", "zoez+crm@googlemail.com"),
        ])
        .await
        .unwrap();
    // Not Gmail: dots and tags are different addresses elsewhere.
    client
        .save_person(&[
            ("first_name", "Ana"),
            ("emails.0.address", "ana@example.org"),
        ])
        .await
        .unwrap();
    client
        .save_person(&[
            ("first_name", "Ana2"),
            ("emails.0.address", "ana+x@example.org"),
        ])
        .await
        .unwrap();
}

#[tokio::test]
async fn people_are_paged_and_sorted() {
    let server = common::start().await;
    let client = server.user("pager@example.org").await;
    for i in 0..30 {
        client
            .save_person(&[
                ("first_name", &format!("Person{i:02}")),
                ("last_name", "Test"),
            ])
            .await
            .unwrap();
    }
    let first: Page<PersonSummary> = client
        .call("list-people", &[("query", ""), ("page", "1")])
        .await
        .unwrap();
    let second: Page<PersonSummary> = client
        .call("list-people", &[("query", ""), ("page", "2")])
        .await
        .unwrap();
    assert_eq!(
        (first.total, first.items.len(), second.items.len()),
        (30, 25, 5)
    );
    assert_eq!(first.page_count(), 2);
    assert_eq!(first.items[0].first_name, "Person00");
    assert_eq!(second.items[4].first_name, "Person29");
}

/// A signed-in user with two people: Ana (a favorite, with an email) and Bo.
struct People {
    client: common::Client,
    ana: String,
    bo: String,
    _server: common::TestServer,
}

async fn ana_and_bo() -> People {
    let server = common::start().await;
    let client = server.user("dash@example.org").await;
    let ana = client
        .save_person(&[("first_name", "Ana"), ("emails.0.address", "ana@x.example")])
        .await
        .unwrap();
    let bo = client.save_person(&[("first_name", "Bo")]).await.unwrap();
    People {
        client,
        ana,
        bo,
        _server: server,
    }
}

async fn favorite(p: &People, id: &str) -> bool {
    p.client
        .call::<bool>("set-favorite", &[("id", id), ("favorite", "true")])
        .await
        .unwrap()
}

/// Ana's two calls, and a lunch with both Ana and Bo: the ids of the first call and the lunch.
async fn add_history(p: &People) -> (String, String) {
    let first = p
        .client
        .add_activity(&p.ana, "Intro call", "2026-01-10T09:00")
        .await
        .unwrap();
    p.client
        .add_activity(&p.ana, "Follow-up", "2026-02-10T09:00")
        .await
        .unwrap();
    let shared = p
        .client
        .call::<String>(
            "save-activity",
            &[
                ("activity[kind]", "meeting"),
                ("activity[occurred_at]", "2026-03-01T14:30"),
                ("activity[title]", "Lunch"),
                ("activity[people][0]", &p.ana),
                ("activity[people][1]", &p.bo),
            ],
        )
        .await
        .unwrap();
    (first, shared)
}

async fn delete_activity(p: &People, id: &str) {
    p.client
        .call::<()>("delete-activity", &[("id", id)])
        .await
        .unwrap();
}

async fn timeline(p: &People, person: &str) -> Page<Activity> {
    p.client
        .call("person-activities", &[("person_id", person), ("page", "1")])
        .await
        .unwrap()
}

/// Ana a favorite, her history, and the lunch deleted again: two people, one favorite, two
/// activities.
async fn dashboard_after_history(p: &People) -> Dashboard {
    favorite(p, &p.ana).await;
    let (_, shared) = add_history(p).await;
    delete_activity(p, &shared).await;
    p.client.call("load-dashboard", &[]).await.unwrap()
}

#[tokio::test]
async fn setting_a_favorite_confirms_it() {
    let p = ana_and_bo().await;
    assert!(favorite(&p, &p.ana).await);
}

#[tokio::test]
async fn a_timeline_lists_activities_newest_first() {
    let p = ana_and_bo().await;
    add_history(&p).await;
    let timeline = timeline(&p, &p.ana).await;
    let titles: Vec<_> = timeline.items.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["Lunch", "Follow-up", "Intro call"], "newest first");
}

#[tokio::test]
async fn activity_times_are_entered_in_the_users_time_zone() {
    let p = ana_and_bo().await;
    add_history(&p).await;
    assert_eq!(
        timeline(&p, &p.ana).await.items[0].occurred_at.to_rfc3339(),
        "2026-03-01T13:30:00+00:00",
        "entered in Europe/Amsterdam"
    );
}

#[tokio::test]
async fn an_activity_can_involve_several_people() {
    let p = ana_and_bo().await;
    add_history(&p).await;
    assert_eq!(timeline(&p, &p.ana).await.items[0].people.len(), 2);
}

#[tokio::test]
async fn editing_an_activity_changes_its_title_and_kind() {
    let p = ana_and_bo().await;
    let (first, _) = add_history(&p).await;
    p.client
        .call::<String>(
            "save-activity",
            &[
                ("activity[id]", &first),
                ("activity[kind]", "email"),
                ("activity[occurred_at]", "2026-01-11T10:00"),
                ("activity[title]", "Intro email"),
                ("activity[people][0]", &p.ana),
            ],
        )
        .await
        .unwrap();
    let edited: Activity = p
        .client
        .call("get-activity", &[("id", &first)])
        .await
        .unwrap();
    assert_eq!(
        (edited.title.as_str(), edited.kind.as_str()),
        ("Intro email", "email")
    );
}

#[tokio::test]
async fn deleting_an_activity_removes_it_from_every_timeline() {
    let p = ana_and_bo().await;
    let (_, shared) = add_history(&p).await;
    delete_activity(&p, &shared).await;
    assert_eq!(timeline(&p, &p.bo).await.total, 0);
}

#[tokio::test]
async fn the_dashboard_counts_people_favorites_and_activities() {
    let p = ana_and_bo().await;
    let dashboard = dashboard_after_history(&p).await;
    assert_eq!(
        (
            dashboard.counts.people,
            dashboard.counts.favorites,
            dashboard.counts.activities
        ),
        (2, 1, 2)
    );
}

#[tokio::test]
async fn the_dashboard_lists_favorites_and_the_latest_activity() {
    let p = ana_and_bo().await;
    let dashboard = dashboard_after_history(&p).await;
    assert_eq!(
        dashboard
            .favorites
            .iter()
            .map(|p| p.first_name.as_str())
            .collect::<Vec<_>>(),
        ["Ana"]
    );
    assert_eq!(dashboard.recent_activities[0].title, "Follow-up");
}

#[tokio::test]
async fn the_dashboard_knows_there_are_no_calendar_connections() {
    let p = ana_and_bo().await;
    assert!(!dashboard_after_history(&p).await.has_calendar_connections);
}

#[tokio::test]
async fn an_activity_without_a_title_is_refused_and_not_stored() {
    let p = ana_and_bo().await;
    let before = dashboard_after_history(&p).await.counts.activities;
    let err = p
        .client
        .add_activity(&p.ana, "  ", "2026-01-10T09:00")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Invalid(m) if m.contains("title")));
    let dashboard: Dashboard = p.client.call("load-dashboard", &[]).await.unwrap();
    assert_eq!((before, dashboard.counts.activities), (2, 2));
}

#[tokio::test]
async fn an_activity_without_a_valid_date_is_refused_and_not_stored() {
    let p = ana_and_bo().await;
    let before = dashboard_after_history(&p).await.counts.activities;
    let err = p
        .client
        .add_activity(&p.ana, "When?", "someday")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Invalid(m) if m.contains("date")));
    let dashboard: Dashboard = p.client.call("load-dashboard", &[]).await.unwrap();
    assert_eq!((before, dashboard.counts.activities), (2, 2));
}

#[tokio::test]
async fn deleting_a_person_keeps_their_activities() {
    let server = common::start().await;
    let client = server.user("keep@example.org").await;
    let ana = client.save_person(&[("first_name", "Ana")]).await.unwrap();
    let bo = client.save_person(&[("first_name", "Bo")]).await.unwrap();
    let lunch = client
        .call::<String>(
            "save-activity",
            &[
                ("activity[kind]", "meeting"),
                ("activity[occurred_at]", "2026-03-01T12:00"),
                ("activity[title]", "Lunch"),
                ("activity[people][0]", &ana),
                ("activity[people][1]", &bo),
            ],
        )
        .await
        .unwrap();
    client
        .call::<()>("delete-person", &[("id", &bo)])
        .await
        .unwrap();
    let kept: Activity = client
        .call("get-activity", &[("id", &lunch)])
        .await
        .unwrap();
    assert_eq!(
        kept.people
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["Ana"]
    );
}

/// Alice with a person (with an email) and an activity, and Mallory, another user.
struct TwoUsers {
    server: common::TestServer,
    alice: common::Client,
    mallory: common::Client,
    person: String,
    activity: String,
}

async fn alice_and_mallory() -> TwoUsers {
    let server = common::start().await;
    let alice = server.user("alice@example.org").await;
    let person = alice
        .save_person(&[
            ("first_name", "Secret"),
            ("emails.0.address", "secret@example.org"),
        ])
        .await
        .unwrap();
    let activity = alice
        .add_activity(&person, "Private", "2026-01-01T10:00")
        .await
        .unwrap();
    let mallory = server.user("mallory@example.org").await;
    TwoUsers {
        server,
        alice,
        mallory,
        person,
        activity,
    }
}

fn not_found(r: Result<(), AppError>) {
    assert!(matches!(r, Err(AppError::NotFound(_))), "{r:?}");
}

/// Mallory's attempts to change Alice's person: delete, favorite, edit.
async fn change_person(t: &TwoUsers) -> Vec<Result<(), AppError>> {
    let person = &t.person;
    vec![
        t.mallory
            .call::<()>("delete-person", &[("id", person)])
            .await,
        t.mallory
            .call::<bool>("set-favorite", &[("id", person), ("favorite", "true")])
            .await
            .map(|_| ()),
        t.mallory
            .save_person(&[("id", person), ("first_name", "Hacked")])
            .await
            .map(|_| ()),
    ]
}

/// Mallory's attempts to change Alice's activity: delete, edit (an edit naming a person who
/// is not hers is refused as not found too).
async fn change_activity(t: &TwoUsers) -> Vec<Result<(), AppError>> {
    vec![
        t.mallory
            .call::<()>("delete-activity", &[("id", &t.activity)])
            .await,
        t.mallory
            .call::<String>(
                "save-activity",
                &[
                    ("activity[id]", &t.activity),
                    ("activity[kind]", "note"),
                    ("activity[occurred_at]", "2026-01-01T10:00"),
                    ("activity[title]", "x"),
                    ("activity[people][0]", &t.person),
                ],
            )
            .await
            .map(|_| ())
            .map_err(|e| {
                if matches!(e, AppError::Invalid(_)) {
                    AppError::NotFound("activity".into())
                } else {
                    e
                }
            }),
    ]
}

/// Mallory tries to log an activity with Alice's person.
async fn log_with_alices_person(t: &TwoUsers) -> Result<String, AppError> {
    t.mallory
        .add_activity(&t.person, "Sneaky", "2026-01-01T10:00")
        .await
}

/// Mallory keeps a person of her own with the same email as Alice's.
async fn mallory_keeps_the_same_email(t: &TwoUsers) {
    t.mallory
        .save_person(&[
            ("first_name", "Mine"),
            ("emails.0.address", "secret@example.org"),
        ])
        .await
        .unwrap();
}

#[tokio::test]
async fn another_user_cannot_read_someone_elses_person_or_timeline() {
    let t = alice_and_mallory().await;
    not_found(
        t.mallory
            .call::<Person>("get-person", &[("id", &t.person)])
            .await
            .map(|_| ()),
    );
    not_found(
        t.mallory
            .call::<Page<Activity>>(
                "person-activities",
                &[("person_id", &t.person), ("page", "1")],
            )
            .await
            .map(|_| ()),
    );
}

#[tokio::test]
async fn another_user_cannot_read_someone_elses_activity() {
    let t = alice_and_mallory().await;
    not_found(
        t.mallory
            .call::<Activity>("get-activity", &[("id", &t.activity)])
            .await
            .map(|_| ()),
    );
}

#[tokio::test]
async fn another_user_cannot_delete_favorite_or_edit_someone_elses_person() {
    let t = alice_and_mallory().await;
    for attempt in change_person(&t).await {
        not_found(attempt);
    }
}

#[tokio::test]
async fn another_user_cannot_delete_or_edit_someone_elses_activity() {
    let t = alice_and_mallory().await;
    for attempt in change_activity(&t).await {
        not_found(attempt);
    }
}

#[tokio::test]
async fn another_user_cannot_log_an_activity_with_someone_elses_person() {
    let t = alice_and_mallory().await;
    assert!(matches!(
        log_with_alices_person(&t).await,
        Err(AppError::Invalid(_))
    ));
}

#[tokio::test]
async fn another_users_attempts_leave_the_owners_data_untouched() {
    let t = alice_and_mallory().await;
    change_person(&t).await;
    change_activity(&t).await;
    let _ = log_with_alices_person(&t).await;
    mallory_keeps_the_same_email(&t).await;
    let still: Person = t
        .alice
        .call("get-person", &[("id", &t.person)])
        .await
        .unwrap();
    assert_eq!(
        (still.first_name.as_str(), still.favorite),
        ("Secret", false)
    );
    let timeline: Page<Activity> = t
        .alice
        .call(
            "person-activities",
            &[("person_id", &t.person), ("page", "1")],
        )
        .await
        .unwrap();
    assert_eq!(timeline.total, 1);
}

#[tokio::test]
async fn another_user_may_use_the_same_email_and_finds_only_their_own_person() {
    let t = alice_and_mallory().await;
    mallory_keeps_the_same_email(&t).await;
    let listed: Page<PersonSummary> = t
        .mallory
        .call("list-people", &[("query", "secret"), ("page", "1")])
        .await
        .unwrap();
    assert_eq!(
        listed
            .items
            .iter()
            .map(|p| p.first_name.as_str())
            .collect::<Vec<_>>(),
        ["Mine"]
    );
}

#[tokio::test]
async fn another_users_dashboard_counts_only_their_own_data() {
    let t = alice_and_mallory().await;
    mallory_keeps_the_same_email(&t).await;
    let dashboard: Dashboard = t.mallory.call("load-dashboard", &[]).await.unwrap();
    assert_eq!(
        (dashboard.counts.people, dashboard.counts.activities),
        (1, 0)
    );
}

#[tokio::test]
async fn without_a_session_nothing_is_reachable() {
    let t = alice_and_mallory().await;
    let anonymous = t.server.client();
    assert_eq!(
        anonymous
            .call::<Page<PersonSummary>>("list-people", &[("query", ""), ("page", "1")])
            .await
            .unwrap_err(),
        AppError::Unauthorized
    );
    assert_eq!(
        anonymous
            .call::<Dashboard>("load-dashboard", &[])
            .await
            .unwrap_err(),
        AppError::Unauthorized
    );
}

#[tokio::test]
async fn pages_render_on_the_server_and_health_answers() {
    let server = common::start().await;
    let health = server.client().get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let login = server.client().get("/login").await.text().await.unwrap();
    assert!(
        login.contains("Sign in to Rondo") && login.contains("/pkg/rondo"),
        "{login}"
    );
    let client = server.user("ssr@example.org").await;
    client
        .save_person(&[("first_name", "Zoë"), ("last_name", "Ångström")])
        .await
        .unwrap();
    let people = client.get("/people").await.text().await.unwrap();
    assert!(people.contains("Zoë Ångström"), "server-rendered list");
}

#[tokio::test]
async fn the_dashboard_lists_people_by_their_latest_activity_so_far() {
    let p = ana_and_bo().await;
    add_history(&p).await; // Ana's calls, then the lunch with Ana and Bo on 1 March
    p.client
        .add_activity(&p.ana, "Another call", "2026-03-05T09:00")
        .await
        .unwrap();
    // Planned for the future: not a contact yet.
    p.client
        .add_activity(&p.bo, "Planned call", "2099-01-01T09:00")
        .await
        .unwrap();
    let dashboard: Dashboard = p.client.call("load-dashboard", &[]).await.unwrap();
    let seen: Vec<(&str, String)> = dashboard
        .recently_contacted
        .iter()
        .map(|c| (c.person.name.as_str(), c.at.to_rfc3339()))
        .collect();
    assert_eq!(
        seen,
        [
            ("Ana", "2026-03-05T08:00:00+00:00".to_string()),
            ("Bo", "2026-03-01T13:30:00+00:00".to_string())
        ]
    );
}
