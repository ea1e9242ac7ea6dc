//! Domain behaviour below the HTTP layer: sessions, the unique source rule, demo data.
use app::models::{ActivityKind, PersonInput, SignUpInput};
use chrono::{TimeZone, Utc};
use server::activities::{Activities, NewActivity};
use server::auth::{Accounts, SignInThrottle};
use server::people::People;

fn sign_up_input(email: &str) -> SignUpInput {
    SignUpInput {
        email: email.into(),
        password: "correct horse battery".into(),
        name: String::new(),
        time_zone: "UTC".into(),
        invite: None,
    }
}

#[tokio::test]
async fn expired_sessions_are_refused_and_removed() {
    let db = server::db::memory().await.unwrap();
    let accounts = Accounts::new(db.clone(), SignInThrottle::default());
    accounts
        .sign_up(&sign_up_input("exp@example.org"))
        .await
        .unwrap();
    let (user, session) = accounts
        .sign_in("exp@example.org", "correct horse battery", None)
        .await
        .unwrap();
    assert_eq!(
        accounts
            .user_for_session(&session.token)
            .await
            .unwrap()
            .unwrap()
            .id,
        user.id
    );
    db.query("UPDATE session SET expires_at = time::now() - 1h")
        .await
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(
        accounts.user_for_session(&session.token).await.unwrap(),
        None
    );
    let mut left = db.query("SELECT id FROM session").await.unwrap();
    let rows: Vec<serde_json::Value> = left.take(0).unwrap();
    assert!(rows.is_empty(), "expired session deleted: {rows:?}");
    assert_eq!(
        accounts.user_for_session("not-a-token").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn throttle_unlocks_after_the_window() {
    let throttle = SignInThrottle::new(2, std::time::Duration::from_secs(60));
    let t0 = std::time::Instant::now();
    throttle.reserve("a", None, t0).unwrap();
    throttle.reserve("a", None, t0).unwrap();
    assert!(throttle.reserve("a", None, t0).is_err());
    assert!(
        throttle.reserve("b", None, t0).is_ok(),
        "other addresses are unaffected"
    );
    assert!(throttle
        .reserve("a", None, t0 + std::time::Duration::from_secs(61))
        .is_ok());
}

#[tokio::test]
async fn the_same_source_is_logged_once() {
    let db = server::db::memory().await.unwrap();
    let people = People::new(db.clone());
    let activities = Activities::new(db.clone());
    let ana = people
        .save(
            "owner-1",
            PersonInput {
                first_name: "Ana".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let activity = NewActivity {
        kind: ActivityKind::Meeting,
        occurred_at: Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap(),
        title: "Weekly".into(),
        notes: String::new(),
        people: vec![ana.clone()],
        source: Some("event:c1:cal1:uid-1:".into()),
        auto_logged: false,
    };
    let first = activities
        .create("owner-1", activity.clone())
        .await
        .unwrap();
    let second = activities
        .create("owner-1", activity.clone())
        .await
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(activities.count("owner-1").await.unwrap(), 1);
    // Manual activities never collide with each other.
    let manual = NewActivity {
        source: None,
        ..activity.clone()
    };
    activities.create("owner-1", manual.clone()).await.unwrap();
    activities.create("owner-1", manual).await.unwrap();
    assert_eq!(activities.count("owner-1").await.unwrap(), 3);
    // Another user may log the same source for themselves.
    let other = activities.create("owner-2", activity).await.unwrap();
    assert_ne!(other, first);
}

#[tokio::test]
async fn demo_data_is_realistic_and_searchable() {
    let db = server::db::memory().await.unwrap();
    let summary = server::demo::generate(&db, "demo-owner", 1200, 42)
        .await
        .unwrap();
    assert_eq!(summary.people, 1200);
    assert!(
        summary.emails >= 1200 && summary.emails < 3600,
        "{summary:?}"
    );
    assert!(summary.activities > 600, "{summary:?}");
    let people = People::new(db.clone());
    let (count, _) = people.counts("demo-owner").await.unwrap();
    assert_eq!(count, 1200);
    let page = people.list("demo-owner", "acme", 1).await.unwrap();
    assert!(
        page.total > 20
            && page
                .items
                .iter()
                .all(|p| p.organization == "Acme Corporation"),
        "{}",
        page.total
    );
    // Accented names are folded for search: "jose" finds "José".
    let jose = people.list("demo-owner", "jose", 1).await.unwrap();
    assert!(jose.items.iter().any(|p| p.first_name == "José"));
    // Adding demo data twice never collides on email addresses.
    server::demo::generate(&db, "demo-owner", 50, 42)
        .await
        .unwrap();
    assert_eq!(people.counts("demo-owner").await.unwrap().0, 1250);
    assert!(server::demo::generate(&db, "demo-owner", 100_001, 1)
        .await
        .is_err());
}
