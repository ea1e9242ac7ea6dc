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
    let page = people.list("demo-owner", "acme", 1, None).await.unwrap();
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
    let jose = people.list("demo-owner", "jose", 1, None).await.unwrap();
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

/// Pages read next to a person (the links the people list follows) hold exactly the rows the
/// numbered pages hold, both ways, across a run of namesakes wider than a page; search terms
/// still apply, and a cursor whose person is gone falls back to the page number.
#[tokio::test]
async fn people_pages_read_from_a_neighbour_match_the_numbered_pages() {
    use app::models::{NameCursor, PEOPLE_PER_PAGE};
    let db = server::db::memory().await.unwrap();
    let people = People::new(db.clone());
    let owner = "cursor-owner";
    let per_page = PEOPLE_PER_PAGE as usize;
    let add = |first: String, last: &'static str| {
        let people = people.clone();
        async move {
            people
                .save(
                    owner,
                    PersonInput {
                        first_name: first,
                        last_name: last.into(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
        }
    };
    // 10 before, 30 namesakes (over a page boundary both ways), 20 after: 60 people, 3 pages.
    for i in 0..10 {
        add(format!("Aaron {i:02}"), "Adams").await;
    }
    for _ in 0..30 {
        add("Sam".into(), "Lee").await;
    }
    for i in 0..20 {
        add(format!("Zed {i:02}"), "Zimmer").await;
    }
    let ids = |page: &app::models::Page<app::models::PersonSummary>| {
        page.items.iter().map(|p| p.id.clone()).collect::<Vec<_>>()
    };
    let numbered: Vec<Vec<String>> = {
        let mut pages = Vec::new();
        for n in 1..=3 {
            pages.push(ids(&people.list(owner, "", n, None).await.unwrap()));
        }
        pages
    };
    assert_eq!(
        numbered.iter().map(Vec::len).collect::<Vec<_>>(),
        [per_page, per_page, 10]
    );
    // A page by number starts right after the page before's last person (kept per user), and
    // holds what skipping everyone before it holds.
    let skipped = |n: u32| {
        let db = db.clone();
        async move {
            let ids: Vec<String> = db
                .query("SELECT VALUE record::id(id) FROM person WHERE owner = $owner ORDER BY sort_name LIMIT $limit START $start")
                .bind(("owner", owner))
                .bind(("limit", per_page as i64))
                .bind(("start", ((n - 1) as usize * per_page) as i64))
                .await
                .unwrap()
                .take(0)
                .unwrap();
            ids
        }
    };
    for (n, page) in (1..).zip(&numbered) {
        assert_eq!(page, &skipped(n).await, "page {n}");
    }
    let all: Vec<&String> = numbered.iter().flatten().collect();
    assert_eq!(
        all.iter().collect::<std::collections::HashSet<_>>().len(),
        60,
        "no one twice"
    );

    // Forward from the last person of each page, then back from the first of each.
    let mut forward = vec![numbered[0].clone()];
    for n in 2..=3 {
        let after = NameCursor::After(forward.last().unwrap().last().unwrap().clone());
        let page = people.list(owner, "", n, Some(&after)).await.unwrap();
        assert_eq!((page.total, page.page), (60, n));
        forward.push(ids(&page));
    }
    assert_eq!(forward, numbered);
    // The cursor decides, not the number (which only labels the page).
    let after_first = NameCursor::After(numbered[0].last().unwrap().clone());
    let labelled = people.list(owner, "", 9, Some(&after_first)).await.unwrap();
    assert_eq!((ids(&labelled), labelled.page), (numbered[1].clone(), 9));
    for n in (1..=2).rev() {
        let before = NameCursor::Before(numbered[n as usize][0].clone());
        let page = people.list(owner, "", n, Some(&before)).await.unwrap();
        assert_eq!(ids(&page), numbered[n as usize - 1], "back to page {n}");
    }

    // With search terms: the namesakes only, 30 of them over two pages.
    let first = people.list(owner, "sam lee", 1, None).await.unwrap();
    assert_eq!((first.total, first.items.len()), (30, per_page));
    let after = NameCursor::After(first.items.last().unwrap().id.clone());
    let second = people
        .list(owner, "sam lee", 2, Some(&after))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 30 - per_page);
    assert!(second.items.iter().all(|p| p.last_name == "Lee"));
    assert!(second
        .items
        .iter()
        .all(|p| !first.items.iter().any(|f| f.id == p.id)));

    // The cursor's person deleted (or someone else's id): the page number decides.
    let gone = numbered[0].last().unwrap().clone();
    people.delete(owner, &gone).await.unwrap();
    let page = people
        .list(owner, "", 2, Some(&NameCursor::After(gone)))
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.total), (per_page, 59));
    assert_eq!(
        page.items[0].id, numbered[1][1],
        "page 2 by number, one fewer before it"
    );
    let stranger = people
        .list(
            "someone-else",
            "",
            1,
            Some(&NameCursor::After(numbered[1][0].clone())),
        )
        .await
        .unwrap();
    assert!(stranger.items.is_empty());

    // Two newcomers at the top of the list: every page by number moves at once.
    add("Aaa".into(), "Aardvark").await;
    add("Aab".into(), "Aardvark").await;
    for n in 1..=3 {
        let page = people.list(owner, "", n, None).await.unwrap();
        assert_eq!(page.total, 61, "the kept total follows each change");
        assert_eq!(ids(&page), skipped(n).await, "page {n} after the newcomers");
    }
    assert_eq!(people.counts(owner).await.unwrap(), (61, 0));
}
