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
    assert!(
        matches!(other.sign_up("BO@example.org", "another long password").await, Err(AppError::Conflict(m)) if m.contains("already exists"))
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
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/api/sign-up", server.base))
        .form(&[
            ("email", "dee@example.org"),
            ("password", "correct horse battery"),
            ("name", ""),
            ("time_zone", ""),
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

#[tokio::test]
async fn favorites_activities_and_dashboard() {
    let server = common::start().await;
    let client = server.user("dash@example.org").await;
    let ana = client
        .save_person(&[("first_name", "Ana"), ("emails.0.address", "ana@x.example")])
        .await
        .unwrap();
    let bo = client.save_person(&[("first_name", "Bo")]).await.unwrap();
    assert!(client
        .call::<bool>("set-favorite", &[("id", &ana), ("favorite", "true")])
        .await
        .unwrap());

    let first = client
        .add_activity(&ana, "Intro call", "2026-01-10T09:00")
        .await
        .unwrap();
    client
        .add_activity(&ana, "Follow-up", "2026-02-10T09:00")
        .await
        .unwrap();
    let shared = client
        .call::<String>(
            "save-activity",
            &[
                ("activity[kind]", "meeting"),
                ("activity[occurred_at]", "2026-03-01T14:30"),
                ("activity[title]", "Lunch"),
                ("activity[people][0]", &ana),
                ("activity[people][1]", &bo),
            ],
        )
        .await
        .unwrap();

    let timeline: Page<Activity> = client
        .call("person-activities", &[("person_id", &ana), ("page", "1")])
        .await
        .unwrap();
    let titles: Vec<_> = timeline.items.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["Lunch", "Follow-up", "Intro call"], "newest first");
    assert_eq!(
        timeline.items[0].occurred_at.to_rfc3339(),
        "2026-03-01T13:30:00+00:00",
        "entered in Europe/Amsterdam"
    );
    assert_eq!(timeline.items[0].people.len(), 2);

    // Edit, then delete.
    client
        .call::<String>(
            "save-activity",
            &[
                ("activity[id]", &first),
                ("activity[kind]", "email"),
                ("activity[occurred_at]", "2026-01-11T10:00"),
                ("activity[title]", "Intro email"),
                ("activity[people][0]", &ana),
            ],
        )
        .await
        .unwrap();
    let edited: Activity = client
        .call("get-activity", &[("id", &first)])
        .await
        .unwrap();
    assert_eq!(
        (edited.title.as_str(), edited.kind.as_str()),
        ("Intro email", "email")
    );
    client
        .call::<()>("delete-activity", &[("id", &shared)])
        .await
        .unwrap();
    let bo_timeline: Page<Activity> = client
        .call("person-activities", &[("person_id", &bo), ("page", "1")])
        .await
        .unwrap();
    assert_eq!(bo_timeline.total, 0);

    let dashboard: Dashboard = client.call("load-dashboard", &[]).await.unwrap();
    assert_eq!(
        (
            dashboard.counts.people,
            dashboard.counts.favorites,
            dashboard.counts.activities
        ),
        (2, 1, 2)
    );
    assert_eq!(
        dashboard
            .favorites
            .iter()
            .map(|p| p.first_name.as_str())
            .collect::<Vec<_>>(),
        ["Ana"]
    );
    assert_eq!(dashboard.recent_activities[0].title, "Follow-up");
    assert!(!dashboard.has_calendar_connections);

    // Bad input is refused with a clear message and stores nothing.
    let err = client
        .add_activity(&ana, "  ", "2026-01-10T09:00")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Invalid(m) if m.contains("title")));
    let err = client
        .add_activity(&ana, "When?", "someday")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Invalid(m) if m.contains("date")));
    let dashboard: Dashboard = client.call("load-dashboard", &[]).await.unwrap();
    assert_eq!(dashboard.counts.activities, 2);
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

#[tokio::test]
async fn nobody_reaches_another_users_data() {
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
    let nf = |r: Result<(), AppError>| assert!(matches!(r, Err(AppError::NotFound(_))), "{r:?}");
    nf(mallory
        .call::<Person>("get-person", &[("id", &person)])
        .await
        .map(|_| ()));
    nf(mallory
        .call::<()>("delete-person", &[("id", &person)])
        .await);
    nf(mallory
        .call::<bool>("set-favorite", &[("id", &person), ("favorite", "true")])
        .await
        .map(|_| ()));
    nf(mallory
        .save_person(&[("id", &person), ("first_name", "Hacked")])
        .await
        .map(|_| ()));
    nf(mallory
        .call::<Page<Activity>>(
            "person-activities",
            &[("person_id", &person), ("page", "1")],
        )
        .await
        .map(|_| ()));
    nf(mallory
        .call::<Activity>("get-activity", &[("id", &activity)])
        .await
        .map(|_| ()));
    nf(mallory
        .call::<()>("delete-activity", &[("id", &activity)])
        .await);
    nf(mallory
        .call::<String>(
            "save-activity",
            &[
                ("activity[id]", &activity),
                ("activity[kind]", "note"),
                ("activity[occurred_at]", "2026-01-01T10:00"),
                ("activity[title]", "x"),
                ("activity[people][0]", &person),
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
        }));
    assert!(matches!(
        mallory
            .add_activity(&person, "Sneaky", "2026-01-01T10:00")
            .await,
        Err(AppError::Invalid(_))
    ));
    // Mallory may use the same email for her own person: uniqueness is per user.
    mallory
        .save_person(&[
            ("first_name", "Mine"),
            ("emails.0.address", "secret@example.org"),
        ])
        .await
        .unwrap();
    let listed: Page<PersonSummary> = mallory
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
    let dashboard: Dashboard = mallory.call("load-dashboard", &[]).await.unwrap();
    assert_eq!(
        (dashboard.counts.people, dashboard.counts.activities),
        (1, 0)
    );

    // Alice's data is untouched.
    let still: Person = alice.call("get-person", &[("id", &person)]).await.unwrap();
    assert_eq!(
        (still.first_name.as_str(), still.favorite),
        ("Secret", false)
    );
    let timeline: Page<Activity> = alice
        .call(
            "person-activities",
            &[("person_id", &person), ("page", "1")],
        )
        .await
        .unwrap();
    assert_eq!(timeline.total, 1);

    // And without a session nothing is reachable at all.
    let anonymous = server.client();
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
