//! "Add account" stores the connection and returns at once; the first sync runs in the
//! background with its progress on the connection. Against a real Radicale behind a proxy that
//! counts requests and holds the sync at its second multiget batch, so each check is made while
//! the sync is provably in the middle.
use crate::common;

use std::time::Duration;

use app::models::{
    Connection, ConnectionStatus, DiscoveredCalendar, SyncPhase, SyncProgress, SyncReport,
};
use chrono::Utc;
use common::calendar::{dana_calendar_ready, dana_put_all, event, DANA};
use common::proxy::Recorder;
use common::radicale::Radicale;
use common::{Client, TestServer};

/// Three multiget batches: 50, 50 and 20.
const EVENTS: usize = 120;

struct Setup {
    _radicale: Radicale,
    proxy: Recorder,
    server: TestServer,
}

async fn setup(events: usize) -> Setup {
    let radicale = Radicale::start().await;
    dana_calendar_ready(&radicale).await;
    let now = Utc::now();
    dana_put_all(
        &radicale,
        (0..events)
            .map(|i| {
                let start = now + chrono::Duration::hours(1 + i as i64);
                (
                    format!("e{i}.ics"),
                    event(&format!("e{i}"), &format!("Event {i}"), start, ""),
                )
            })
            .collect(),
    )
    .await;
    let proxy = Recorder::start(&radicale.base).await;
    let server = common::start().await;
    Setup {
        _radicale: radicale,
        proxy,
        server,
    }
}

impl Setup {
    async fn test_connection(&self, client: &Client) -> Vec<DiscoveredCalendar> {
        client
            .call(
                "test-caldav",
                &[
                    ("server_url", self.proxy.base.as_str()),
                    ("username", DANA.0),
                    ("password", DANA.1),
                ],
            )
            .await
            .unwrap()
    }

    /// "Add account", which must answer while the sync is held at the proxy.
    async fn add_account(&self, client: &Client, calendar: &str) -> Connection {
        tokio::time::timeout(
            Duration::from_secs(30),
            client.call::<Connection>(
                "create-caldav",
                &[
                    ("connection[server_url]", self.proxy.base.as_str()),
                    ("connection[username]", DANA.0),
                    ("connection[password]", DANA.1),
                    ("connection[name]", "Dana"),
                    ("connection[calendars][0]", calendar),
                ],
            ),
        )
        .await
        .expect("Add account answers before the first sync ends")
        .unwrap()
    }

    async fn runs(&self, client: &Client, id: &str) -> usize {
        let runs: Vec<serde_json::Value> = client
            .call("connection-history", &[("id", id)])
            .await
            .unwrap();
        runs.len()
    }
}

fn count(requests: &[String], label: &str) -> usize {
    requests.iter().filter(|r| *r == label).count()
}

async fn listed(client: &Client, id: &str) -> Connection {
    let list: Vec<Connection> = client.call("list-connections", &[]).await.unwrap();
    list.into_iter().find(|c| c.id == id).unwrap()
}

/// Lists the connection without pause until it is no longer syncing, like a page polling at
/// the worst moment: the page stops polling at the first listing that is not "syncing", so that
/// listing must already carry the run's result.
async fn first_listing_not_syncing(client: &Client, id: &str) -> Connection {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let connection = listed(client, id).await;
        if !connection.is_syncing() {
            return connection;
        }
        assert!(std::time::Instant::now() < deadline, "the sync never ended");
    }
}

#[tokio::test]
async fn add_account_returns_at_once_discovers_once_and_shows_the_first_sync_s_progress() {
    let s = setup(EVENTS).await;
    let dana = s.server.user("dana-first@example.org").await;
    let found = s.test_connection(&dana).await;
    let tested = s.proxy.take();
    let discovery = count(&tested, "PROPFIND");
    assert!(discovery > 0, "Test connection discovers: {tested:?}");

    // Each batch is stored while the next is fetched: holding the third multiget stops the
    // sync with exactly two batches stored.
    let gate = s.proxy.hold_from("REPORT calendar-multiget", 3);
    let created = s.add_account(&dana, &found[0].remote_id).await;
    assert_eq!(created.status, ConnectionStatus::Syncing);
    tokio::time::timeout(Duration::from_secs(60), gate.arrived())
        .await
        .expect("the first sync reaches its third batch");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let during = loop {
        let during = listed(&dana, &created.id).await;
        if during.progress.as_ref().is_some_and(|p| p.done == 100) {
            break during;
        }
        assert!(std::time::Instant::now() < deadline, "{during:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    // Mid-sync: two batches stored, the total known from the listing, shown on the page too
    // (a reload without JavaScript sees it).
    assert_eq!(during.status, ConnectionStatus::Syncing);
    assert_eq!(
        during.progress,
        Some(SyncProgress {
            phase: SyncPhase::Fetching,
            done: 100,
            total: Some(EVENTS as u64),
        })
    );
    let page = dana.get("/settings/calendars").await.text().await.unwrap();
    assert!(page.contains("Syncing… 100 of 120 events"), "{page}");
    assert!(
        page.contains(r#"<progress max="120" value="100">"#),
        "{page}"
    );
    assert_eq!(s.server.stored_events().await, 100);

    gate.release();
    let done = first_listing_not_syncing(&dana, &created.id).await;
    assert_eq!(done.status, ConnectionStatus::Ok);
    assert_eq!(done.progress, None);
    assert_eq!(done.event_count, EVENTS as u64);
    let run = done.last_run.expect("the first run is recorded");
    assert_eq!((run.added, run.error), (EVENTS as u64, None));
    assert_eq!(s.server.stored_events().await, EVENTS);

    // The discovery of "Test connection" was the only one: the sync listed the calendar with
    // one Depth 1 PROPFIND (no sync token asked for: BENCHMARKS.md, "Sync") and fetched it.
    let after = s.proxy.take();
    assert_eq!(count(&after, "PROPFIND"), 1, "{after:?}");
    assert_eq!(count(&after, "REPORT sync-collection"), 0, "{after:?}");
    assert_eq!(count(&after, "REPORT calendar-multiget"), 3, "{after:?}");
    let tokens = || async {
        let tokens: Vec<Option<String>> = s
            .server
            .services
            .db
            .query("SELECT VALUE sync_token FROM calendar")
            .await
            .unwrap()
            .take(0)
            .unwrap();
        tokens
    };
    assert_eq!(tokens().await, vec![None]);
    // The next sync takes the token with a full listing and fetches nothing; the one after
    // asks what changed since.
    for _ in 0..2 {
        let report: SyncReport = dana
            .call("sync-connection", &[("id", &created.id)])
            .await
            .unwrap();
        assert_eq!((report.added, report.changed, report.removed), (0, 0, 0));
        assert_eq!(s.proxy.take(), vec!["REPORT sync-collection"]);
        assert!(tokens().await[0].is_some());
    }

    // Without a test first (a script, or the test's discovery expired), Add account
    // discovers once itself.
    let erin = s.server.user("erin-first@example.org").await;
    let created = s.add_account(&erin, &found[0].remote_id).await;
    erin.synced(&created.id).await;
    let requests = s.proxy.take();
    assert_eq!(count(&requests, "PROPFIND"), discovery + 1, "{requests:?}");
}

#[tokio::test]
async fn sync_now_during_a_running_sync_joins_it_instead_of_running_twice() {
    let s = setup(EVENTS).await;
    let dana = s.server.user("dana-join@example.org").await;
    let found = s.test_connection(&dana).await;
    s.proxy.take();
    s.proxy.reset_max_in_flight();
    let gate = s.proxy.hold_from("REPORT calendar-multiget", 2);
    let created = s.add_account(&dana, &found[0].remote_id).await;
    gate.arrived().await;

    // Two "Sync now" while the first sync is held: both wait for that same sync.
    let clicks: Vec<_> = (0..2)
        .map(|_| {
            let (dana, id) = (dana.clone(), created.id.clone());
            tokio::spawn(async move {
                dana.call::<SyncReport>("sync-connection", &[("id", &id)])
                    .await
                    .unwrap()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    gate.release();
    for click in clicks {
        let report = click.await.unwrap();
        assert_eq!((report.added, report.error), (EVENTS as u64, None));
    }
    let requests = s.proxy.take();
    assert_eq!(
        count(&requests, "PROPFIND"),
        1,
        "one sync ran (a first sync lists by PROPFIND): {requests:?}"
    );
    assert_eq!(s.proxy.max_in_flight(), 1, "never two requests at once");
    assert_eq!(s.runs(&dana, &created.id).await, 1);
    assert_eq!(s.server.stored_events().await, EVENTS);

    // Another server process sharing the database finds the lease held and stays out.
    let gate = s.proxy.hold_from("REPORT sync-collection", 1);
    let sync = {
        let (dana, id) = (dana.clone(), created.id.clone());
        tokio::spawn(async move {
            dana.call::<SyncReport>("sync-connection", &[("id", &id)])
                .await
                .unwrap()
        })
    };
    gate.arrived().await;
    let owner = common::calendar::connection_owner(&s.server, &created).await;
    let other = server::calendar::service::Calendars::new(
        s.server.services.db.clone(),
        s.server.services.calendars.matcher.clone(),
        s.server.services.calendars.settings.clone(),
    );
    let report = other.sync(&owner, &created.id).await.unwrap();
    assert!(
        report.error.unwrap_or_default().contains("already running"),
        "the other process does not sync"
    );
    gate.release();
    assert_eq!(sync.await.unwrap().error, None);
    assert_eq!(s.runs(&dana, &created.id).await, 2);
}

#[tokio::test]
async fn a_sync_goes_on_when_the_page_that_started_it_is_left() {
    let s = setup(EVENTS).await;
    let dana = s.server.user("dana-leave@example.org").await;
    let found = s.test_connection(&dana).await;
    let created = s.add_account(&dana, &found[0].remote_id).await;
    dana.synced(&created.id).await;
    let owner = common::calendar::connection_owner(&s.server, &created).await;
    s.server
        .services
        .db
        .query("DELETE event; DELETE calendar_object; UPDATE calendar SET sync_token = NONE")
        .await
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(s.server.stored_events().await, 0);

    // "Sync now", and the browser leaves (the request is dropped) while the sync is held.
    let gate = s.proxy.hold_from("REPORT calendar-multiget", 2);
    let left = dana
        .send_and_leave(
            "sync-connection",
            &[("id", created.id.as_str())],
            Duration::from_millis(300),
        )
        .await;
    assert!(left.is_err(), "the request was cut off: {left:?}");
    gate.arrived().await;
    gate.release();
    let done = dana.synced(&created.id).await;
    assert_eq!(done.status, ConnectionStatus::Ok);
    assert_eq!(s.server.stored_events().await, EVENTS);
    let runs: Vec<app::models::SyncRun> = s
        .server
        .services
        .calendars
        .history(&owner, &created.id)
        .await
        .unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].added, EVENTS as u64);
}
