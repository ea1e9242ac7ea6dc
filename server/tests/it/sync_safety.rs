//! Answers that would lose events if believed, against a real Radicale behind a proxy that can
//! replace one answer: an empty sync answer, a listing that drops most of a calendar, a
//! multiget that leaves events out. And the window: stored series are expanded again as days
//! pass or the window changes, without refetching.
use crate::common;

use std::sync::Arc;

use app::models::{Connection, ConnectionStatus, SyncReport};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use common::calendar::{connect, connection_owner, dana_calendar_ready, dana_put, event, BOB};
use common::proxy::Recorder;
use common::radicale::Radicale;
use common::{Client, TestServer};
use server::clock::{Clock, ManualClock};

const EMPTY_MULTISTATUS: &str =
    r#"<?xml version="1.0" encoding="utf-8"?><multistatus xmlns="DAV:"/>"#;

struct Setup {
    radicale: Radicale,
    proxy: Recorder,
    clock: Arc<ManualClock>,
    server: TestServer,
    dana: Client,
    connection: Connection,
    owner: String,
}

/// Dana's calendar with `n` upcoming meetings, connected through a proxy: first sync done and
/// a second one that took the sync token.
async fn setup(n: usize, email: &str) -> Setup {
    let radicale = Radicale::start().await;
    dana_calendar_ready(&radicale).await;
    for i in 0..n {
        let start = Utc::now() + Duration::days(1 + i as i64);
        dana_put(
            &radicale,
            &format!("m{i}.ics"),
            &event(&format!("m{i}"), &format!("Meeting {i}"), start, BOB),
        )
        .await;
    }
    let clock = Arc::new(ManualClock::new(Utc::now().trunc_subsecs(0)));
    let server = common::start_with_clock(clock.clone()).await;
    let proxy = Recorder::start(&radicale.base).await;
    let dana = server.user(email).await;
    let connection = connect(&dana, &proxy.base, false).await;
    let owner = connection_owner(&server, &connection).await;
    let s = Setup {
        radicale,
        proxy,
        clock,
        server,
        dana,
        connection,
        owner,
    };
    assert_eq!(s.sync().await.error, None);
    assert!(s.token().await.is_some(), "the second sync takes the token");
    s.proxy.take();
    s
}

impl Setup {
    async fn sync(&self) -> SyncReport {
        self.server
            .services
            .calendars
            .sync(&self.owner, &self.connection.id)
            .await
            .unwrap()
    }

    async fn token(&self) -> Option<String> {
        self.server
            .services
            .calendars
            .connections
            .calendars(&self.owner, &self.connection.id)
            .await
            .unwrap()
            .remove(0)
            .sync_token
    }

    /// Occurrence starts of one series, in order.
    async fn starts(&self, uid: &str) -> Vec<DateTime<Utc>> {
        let rows: Vec<serde_json::Value> = self
            .server
            .services
            .db
            .query("SELECT VALUE starts_at FROM event WHERE uid = $uid ORDER BY starts_at")
            .bind(("uid", uid.to_string()))
            .await
            .unwrap()
            .take(0)
            .unwrap();
        rows.iter()
            .map(|v| v.as_str().unwrap().parse().unwrap())
            .collect()
    }

    async fn set_window(&self, days_back: u32, days_ahead: u32) {
        let calendar = &self.connection.calendars[0].remote_id;
        let _: Connection = self
            .dana
            .call(
                "update-connection",
                &[
                    ("update[id]", &self.connection.id),
                    ("update[name]", &self.connection.name),
                    ("update[calendars][0]", calendar),
                    ("update[sync_enabled]", "on"),
                    ("update[days_back]", &days_back.to_string()),
                    ("update[days_ahead]", &days_ahead.to_string()),
                ],
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_empty_sync_answer_loses_nothing() {
    let s = setup(6, "empty-answer@example.org").await;
    assert_eq!(s.server.stored_events().await, 6);
    let token = s.token().await;

    // A 207 with no responses and no sync token: cut short, never "everything was deleted".
    s.proxy
        .answer_next("REPORT sync-collection", 207, EMPTY_MULTISTATUS);
    let report = s.sync().await;
    let error = report.error.expect("a failed sync");
    assert!(error.contains("could not read"), "{error}");
    assert_eq!(s.server.stored_events().await, 6);
    assert_eq!(s.token().await, token, "the cursor is kept");

    let report = s.sync().await;
    assert_eq!(report.error, None);
    assert_eq!(s.server.stored_events().await, 6);
}

#[tokio::test]
async fn a_listing_that_drops_most_events_waits_for_a_second_one() {
    let s = setup(6, "mass-removal@example.org").await;
    let token = s.token().await;
    // The token is refused, and the full listing that follows names nothing (but is well formed).
    let empty_listing = r#"<?xml version="1.0" encoding="utf-8"?><multistatus xmlns="DAV:"><sync-token>http://radicale.org/ns/sync/made-up</sync-token></multistatus>"#;
    let refuse_then_list_nothing = || {
        s.proxy.answer_next("REPORT sync-collection", 403, "");
        s.proxy
            .answer_next("REPORT sync-collection", 207, empty_listing);
    };

    refuse_then_list_nothing();
    let report = s.sync().await;
    let error = report.error.expect("held back");
    assert!(error.contains("listed only 0 of the 6 events"), "{error}");
    assert_eq!(s.server.stored_events().await, 6, "kept until confirmed");
    assert_eq!(s.token().await, token);

    // The server answers properly again: nothing was lost, nothing is pending.
    assert_eq!(s.sync().await.error, None);
    assert_eq!(s.server.stored_events().await, 6);

    // A genuine mass deletion: two listings in a row agree, and the second one applies it.
    refuse_then_list_nothing();
    assert!(s.sync().await.error.is_some());
    assert_eq!(s.server.stored_events().await, 6);
    refuse_then_list_nothing();
    let report = s.sync().await;
    assert_eq!(report.error, None);
    assert_eq!((report.removed, s.server.stored_events().await), (6, 0));
    drop(s.radicale);
}

#[tokio::test]
async fn a_multiget_that_leaves_events_out_fails_and_keeps_them() {
    let s = setup(1, "multiget-gap@example.org").await;
    let before = s.starts("m0").await;
    let token = s.token().await;
    // m0 moves by an hour on the server and two new meetings appear.
    let moved = before[0] + Duration::hours(1);
    dana_put(&s.radicale, "m0.ics", &event("m0", "Meeting 0", moved, BOB)).await;
    for i in 1..3 {
        let start = Utc::now() + Duration::days(3 + i);
        dana_put(
            &s.radicale,
            &format!("m{i}.ics"),
            &event(&format!("m{i}"), "New", start, BOB),
        )
        .await;
    }

    // The fetch answers for none of them: a 404 for m0, and the others left out entirely.
    let href = format!("/{}/cal/m0.ics", "dana%40example.org");
    s.proxy.answer_next(
        "REPORT calendar-multiget",
        207,
        &format!(r#"<?xml version="1.0"?><multistatus xmlns="DAV:"><response><href>{href}</href><status>HTTP/1.1 404 Not Found</status></response></multistatus>"#),
    );
    let report = s.sync().await;
    let error = report.error.expect("a failed sync");
    assert!(error.contains("did not return 3"), "{error}");
    assert_eq!(s.starts("m0").await, before, "the stored copy stays");
    assert_eq!(s.server.stored_events().await, 1);
    assert_eq!(s.token().await, token, "asked again next time");

    let report = s.sync().await;
    assert_eq!(report.error, None);
    assert_eq!(s.starts("m0").await, vec![moved]);
    assert_eq!(s.server.stored_events().await, 3);
}

/// A daily meeting since long ago, without end.
fn daily(uid: &str, since: DateTime<Utc>) -> String {
    event(uid, "Daily", since, "RRULE:FREQ=DAILY\n")
}

#[tokio::test]
async fn stored_series_follow_the_window_without_refetching() {
    let s = setup(0, "window@example.org").await;
    let since = (s.clock.now() - Duration::days(400)).trunc_subsecs(0);
    dana_put(&s.radicale, "daily.ics", &daily("daily", since)).await;
    s.set_window(10, 20).await;
    assert_eq!(s.sync().await.error, None);
    let first = s.starts("daily").await;
    assert_eq!(first.len(), 30, "{first:?}");
    s.proxy.take();

    // Ten days pass with no change on the server: the series moves with the window, from the
    // stored copy (one sync request, no fetch).
    s.clock.advance(Duration::days(10));
    let report = s.sync().await;
    assert_eq!(report.error, None);
    assert_eq!(s.proxy.take(), vec!["REPORT sync-collection"]);
    let moved = s.starts("daily").await;
    assert_eq!(moved.len(), 30);
    assert_eq!(moved[0], first[0] + Duration::days(10));
    assert_eq!(moved[29], first[29] + Duration::days(10));
    assert_eq!((report.added, report.removed), (10, 10), "{report:?}");

    // A shrunk window removes what fell outside it; a wider one brings occurrences back.
    s.set_window(2, 5).await;
    assert_eq!(s.sync().await.error, None);
    let now = s.clock.now();
    let shrunk = s.starts("daily").await;
    assert_eq!(shrunk.len(), 7, "{shrunk:?}");
    assert!(shrunk
        .iter()
        .all(|t| *t > now - Duration::days(3) && *t < now + Duration::days(6)));
    s.set_window(30, 60).await;
    assert_eq!(s.sync().await.error, None);
    assert_eq!(s.starts("daily").await.len(), 90);
    assert_eq!(
        s.proxy.take(),
        vec!["REPORT sync-collection", "REPORT sync-collection"],
        "never refetched"
    );
}

#[tokio::test]
async fn without_sync_collection_a_wider_window_lists_again() {
    let s = setup(0, "window-ctag@example.org").await;
    let now = s.clock.now();
    dana_put(
        &s.radicale,
        "near.ics",
        &event("near", "Near", now + Duration::days(3), BOB),
    )
    .await;
    dana_put(
        &s.radicale,
        "far.ics",
        &event("far", "Far", now + Duration::days(50), BOB),
    )
    .await;
    s.server
        .services
        .db
        .query("UPDATE calendar SET supports_sync = false, sync_token = NONE")
        .await
        .unwrap()
        .check()
        .unwrap();
    s.set_window(10, 20).await;
    assert_eq!(s.sync().await.error, None);
    assert_eq!(
        s.server.stored_events().await,
        1,
        "only the near one is in the window"
    );

    // Nothing changed on the server (same ctag), but the window now reaches the far meeting.
    s.set_window(10, 60).await;
    assert_eq!(s.sync().await.error, None);
    assert_eq!(s.server.stored_events().await, 2);
    s.set_window(10, 20).await;
    assert_eq!(s.sync().await.error, None);
    assert_eq!(
        s.server.stored_events().await,
        1,
        "and it goes when the window shrinks again"
    );
}

/// A sync whose writes the database refuses ends as a failure the page shows with its own run
/// (not the good run before it), and the connection is not left "syncing"; the next sync stores
/// what it could not.
#[tokio::test]
async fn a_sync_the_database_refuses_shows_its_own_failed_run() {
    let s = setup(2, "dana-refused@example.org").await;
    let listed = || async {
        s.server
            .services
            .calendars
            .get(&s.owner, &s.connection.id)
            .await
            .unwrap()
    };
    let before = listed()
        .await
        .last_run
        .expect("the setup's syncs are recorded");
    assert_eq!(before.error, None);
    let start = Utc::now() + Duration::days(5);
    dana_put(
        &s.radicale,
        "new.ics",
        &event("new", "New meeting", start, BOB),
    )
    .await;
    let db = &s.server.services.db;
    let schema = |sql: &'static str| async move {
        db.query(sql).await.unwrap().check().unwrap();
    };
    schema("DEFINE EVENT refuse ON TABLE event WHEN $event = 'CREATE' THEN { THROW 'disk full' }")
        .await;

    s.clock.advance(Duration::minutes(1));
    let failed = s.sync().await;
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("could not save")),
        "{failed:?}"
    );
    let shown = listed().await;
    assert_eq!(shown.status, ConnectionStatus::Error);
    let run = shown.last_run.expect("the failed run is recorded");
    assert!(
        run.started_at > before.started_at,
        "{run:?} after {before:?}"
    );
    assert_eq!(run.added, 0);
    assert!(
        run.error
            .as_deref()
            .is_some_and(|e| e.contains("could not save")),
        "{run:?}"
    );

    schema("REMOVE EVENT refuse ON TABLE event").await;
    s.clock.advance(Duration::minutes(1));
    let report = s.sync().await;
    assert_eq!((report.added, report.error), (1, None));
    let shown = listed().await;
    assert_eq!(shown.status, ConnectionStatus::Ok);
    assert_eq!(shown.last_run.map(|r| (r.added, r.error)), Some((1, None)));
}
