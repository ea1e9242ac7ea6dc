//! Several Rondo processes on one real SurrealDB server (`surreal start` over `ws://`): two
//! serve the web and run the sync scheduler (started together on the empty database, so they
//! race for the schema migrations), one only serves the web. Four users connect the
//! same CalDAV calendar through different processes; "Sync now" is pressed on every process at
//! once, over and over, while both schedulers sync too. The connection leases must keep one sync
//! per connection at a time: every connection syncs, no event or auto-logged activity is
//! stored twice, no two runs of one connection overlap, and every process serves the same data,
//! a write made through one process included, at once.
use crate::common;

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant};

use app::models::{Connection, ConnectionStatus, Dashboard, SyncReport};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use common::binary::RondoServer;
use common::calendar::{connect, dana_put_all, event, stamp, BOB};
use common::radicale::Radicale;
use common::surreal::{self, SurrealServer};
use common::Client;
use serde_json::Value;
use server::db::{AuthLevel, DbSettings};

const USERS: usize = 4;
const PAST: i64 = 40;
const UPCOMING: i64 = 10;
const WEEKLY: i64 = 8;
/// Occurrences each connection stores: every meeting is inside the default window.
const EVENTS: usize = (PAST + UPCOMING + WEEKLY) as usize;
/// Ended meetings with Bob: one auto-logged activity each, per user.
const LOGGABLE: usize = (PAST + WEEKLY) as usize;

/// Dana's calendar: past and upcoming meetings with Bob, and a weekly one that has ended.
fn calendar(now: DateTime<Utc>) -> Vec<(String, String)> {
    let mut objects = Vec::new();
    for i in 0..PAST {
        let start = now - Duration::days(60) + Duration::days(i);
        objects.push((
            format!("past-{i}.ics"),
            event(&format!("past-{i}"), &format!("Past {i}"), start, BOB),
        ));
    }
    for i in 0..UPCOMING {
        let start = now + Duration::days(i + 1);
        objects.push((
            format!("next-{i}.ics"),
            event(&format!("next-{i}"), &format!("Next {i}"), start, BOB),
        ));
    }
    let first = now - Duration::weeks(WEEKLY + 1);
    objects.push((
        "weekly.ics".into(),
        format!(
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:weekly\nDTSTAMP:20260101T000000Z\n\
             DTSTART:{}\nDTEND:{}\nRRULE:FREQ=WEEKLY;COUNT={WEEKLY}\nSUMMARY:Weekly\n{BOB}END:VEVENT\nEND:VCALENDAR\n",
            stamp(first),
            stamp(first + Duration::minutes(30)),
        ),
    ));
    objects
}

async fn query(db: &server::db::Db, sql: &str) -> Vec<Value> {
    db.query(sql).await.unwrap().take(0).unwrap()
}

/// Every user's connections as each process lists them, once all are synced; panics with the
/// processes' logs after `timeout`.
async fn wait_until_synced(
    users: &[Client],
    processes: &[RondoServer],
    timeout: StdDuration,
) -> Vec<Connection> {
    let deadline = Instant::now() + timeout;
    loop {
        let mut all = Vec::new();
        let mut synced = true;
        for user in users {
            for process in processes {
                let listed: Vec<Connection> = user
                    .on(&process.base)
                    .call("list-connections", &[])
                    .await
                    .unwrap();
                assert_eq!(listed.len(), 1, "one connection per user: {listed:?}");
                let c = &listed[0];
                synced &= c.last_sync_at.is_some()
                    && c.status == ConnectionStatus::Ok
                    && c.event_count == EVENTS as u64;
                all.push(c.clone());
            }
        }
        if synced {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "not every connection synced: {all:#?}\n{}",
            logs(processes)
        );
        tokio::time::sleep(StdDuration::from_millis(500)).await;
    }
}

fn logs(processes: &[RondoServer]) -> String {
    processes
        .iter()
        .map(|p| format!("--- {}\n{}", p.base, p.log()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_processes_share_one_surrealdb_server_and_sync_each_connection_once() {
    let surreal = SurrealServer::start().await;
    let radicale = Radicale::start().await;
    let now = Utc::now().trunc_subsecs(0);
    dana_put_all(&radicale, calendar(now)).await;

    // Three processes, each with its own data directory, one database and one master key
    // (the first start creates the key file the others read). The two with the scheduler sign
    // in as the server's root user and start at the same moment on the empty database (they
    // take turns applying the migrations); the web-only one then signs in as a user of
    // Rondo's database alone, defined once that database exists.
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("shared.key");
    let key_file = key_file.to_str().unwrap();
    let db_settings = DbSettings {
        endpoint: surreal.endpoint.clone(),
        namespace: "rondo".into(),
        database: "scale".into(),
        username: Some(surreal::USER.into()),
        password: Some(surreal::PASSWORD.to_string().into()),
        auth_level: AuthLevel::Root,
        ..DbSettings::memory()
    };
    let start =
        |name: &'static str,
         scheduler: &'static str,
         (user, password, auth): (&'static str, &'static str, &'static str)| {
            let data_dir = dir.path().join(name);
            std::fs::create_dir(&data_dir).unwrap();
            let endpoint = surreal.endpoint.clone();
            async move {
                RondoServer::start(
                    &data_dir,
                    &[
                        ("RONDO_DATABASE_URL", endpoint.as_str()),
                        ("RONDO_DATABASE_NAMESPACE", "rondo"),
                        ("RONDO_DATABASE_NAME", "scale"),
                        ("RONDO_DATABASE_USER", user),
                        ("RONDO_DATABASE_PASSWORD", password),
                        ("RONDO_DATABASE_AUTH", auth),
                        ("RONDO_SECRET_KEY_FILE", key_file),
                        ("RONDO_SCHEDULER", scheduler),
                        ("RONDO_SYNC_INTERVAL_MINUTES", "1"),
                    ],
                )
                .await
            }
        };
    let root = (surreal::USER, surreal::PASSWORD, "root");
    let (first, second) = tokio::join!(
        start("web-sync-1", "true", root),
        start("web-sync-2", "true", root)
    );
    let db = server::db::connect(&db_settings).await.unwrap();
    let versions: Vec<i64> = db
        .query("SELECT VALUE version FROM migration ORDER BY version")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    let expected: Vec<i64> = server::migrations::MIGRATIONS
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(versions, expected, "each migration recorded once");
    db.query("DEFINE USER `rondo-web` ON DATABASE PASSWORD 'rondo-web-pw' ROLES EDITOR")
        .await
        .unwrap()
        .check()
        .unwrap();
    let web = start("web", "false", ("rondo-web", "rondo-web-pw", "database")).await;
    let processes = [first, second, web];
    let base = |i: usize| processes[i % processes.len()].base.clone();

    // Each user signs up on one process, adds Bob on the next and connects Dana's calendar
    // (auto-logging on) on the third: sessions, people and sealed passwords are shared.
    let mut users = Vec::new();
    let mut bobs = Vec::new();
    let mut connections = Vec::new();
    for i in 0..USERS {
        let user = Client::signed_up(&base(i), &format!("user{i}@scale.example")).await;
        let bob = common::calendar::add_bob(&user.on(&base(i + 1))).await;
        let connection = connect(&user.on(&base(i + 2)), &radicale.base, true).await;
        users.push(user);
        bobs.push(bob);
        connections.push(connection);
    }

    // "Sync now" on every process at once, for every connection, a few times over, while the
    // two schedulers pick up the new connections too.
    let mut finished = 0;
    let mut refused = 0;
    for _round in 0..3 {
        let mut presses = tokio::task::JoinSet::new();
        for (user, connection) in users.iter().zip(&connections) {
            for process in &processes {
                let client = user.on(&process.base);
                let id = connection.id.clone();
                presses.spawn(async move {
                    client
                        .call::<SyncReport>("sync-connection", &[("id", &id)])
                        .await
                });
            }
        }
        while let Some(report) = presses.join_next().await {
            let report = report
                .unwrap()
                .unwrap_or_else(|e| panic!("sync now: {e:?}\n{}", logs(&processes)));
            match report.error {
                None => finished += 1,
                Some(e) if e.contains("already running") => refused += 1,
                Some(e) => panic!("sync failed: {e}\n{}", logs(&processes)),
            }
        }
        tokio::time::sleep(StdDuration::from_millis(500)).await;
    }
    assert!(
        finished >= USERS && refused > 0,
        "the syncs contended: {finished} finished, {refused} refused as already running"
    );

    // Every connection synced, as every process sees it.
    let listed = wait_until_synced(&users, &processes, StdDuration::from_secs(120)).await;
    assert!(listed
        .iter()
        .all(|c| connections.iter().any(|own| own.id == c.id)));

    // The schedulers carry on on their own: every connection is synced again by one of them
    // (nobody presses "Sync now" any more) within the one-minute interval and a tick or two.
    let presses_ended = Utc::now();
    let deadline = Instant::now() + StdDuration::from_secs(150);
    loop {
        let rows = db
            .query("SELECT connection FROM sync_run WHERE started_at > $after GROUP BY connection")
            .bind(("after", presses_ended))
            .await
            .unwrap()
            .take::<Vec<Value>>(0)
            .unwrap();
        if rows.len() == USERS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the schedulers did not sync every connection again: {rows:?}\n{}",
            logs(&processes)
        );
        tokio::time::sleep(StdDuration::from_secs(2)).await;
    }
    let listed = wait_until_synced(&users, &processes, StdDuration::from_secs(60)).await;
    assert_eq!(listed.len(), USERS * processes.len());

    // The store: each connection holds each occurrence once ...
    let events = query(
        &db,
        "SELECT connection, count() AS n FROM event GROUP BY connection",
    )
    .await;
    assert_eq!(events.len(), USERS, "{events:?}");
    assert!(events.iter().all(|r| r["n"] == EVENTS as i64), "{events:?}");
    let duplicates = query(
        &db,
        "SELECT * FROM (SELECT connection, calendar, uid, recurrence_id, count() AS n FROM event
           GROUP BY connection, calendar, uid, recurrence_id) WHERE n > 1",
    )
    .await;
    assert!(duplicates.is_empty(), "duplicate events: {duplicates:?}");

    // ... each ended meeting is logged once per user ...
    let logged = query(
        &db,
        "SELECT owner, source_key, count() AS n FROM activity WHERE auto_logged = true
           GROUP BY owner, source_key",
    )
    .await;
    assert_eq!(logged.len(), USERS * LOGGABLE, "{logged:?}");
    assert!(
        logged.iter().all(|r| r["n"] == 1),
        "duplicate activities: {:?}",
        logged.iter().filter(|r| r["n"] != 1).collect::<Vec<_>>()
    );

    // ... and no two runs of one connection overlapped (one lease holder at a time).
    let runs = query(
        &db,
        "SELECT connection, time::micros(started_at) AS started, time::micros(finished_at) AS finished, error
           FROM sync_run ORDER BY started ASC",
    )
    .await;
    let mut by_connection: HashMap<String, Vec<&Value>> = HashMap::new();
    for run in &runs {
        assert!(run["error"].is_null(), "a run failed: {run:?}");
        by_connection
            .entry(run["connection"].as_str().unwrap().to_string())
            .or_default()
            .push(run);
    }
    assert_eq!(by_connection.len(), USERS);
    for (connection, runs) in &by_connection {
        assert!(runs.len() >= 2, "{connection}: {runs:?}");
        for pair in runs.windows(2) {
            assert!(
                pair[1]["started"].as_i64().unwrap() >= pair[0]["finished"].as_i64().unwrap(),
                "{connection}: overlapping runs {:?} and {:?}",
                pair[0],
                pair[1]
            );
        }
    }

    // Every process serves every user the same data and pages.
    for (user, bob) in users.iter().zip(&bobs) {
        for process in &processes {
            let on = user.on(&process.base);
            let dashboard: Dashboard = on.call("load-dashboard", &[]).await.unwrap();
            assert_eq!(dashboard.counts.activities, LOGGABLE as u64);
            assert!(dashboard.has_calendar_connections);
            for path in ["/".to_string(), format!("/people/{bob}")] {
                let page = on.get(&path).await;
                assert_eq!(page.status(), 200, "{} {path}", process.base);
                let html = page.text().await.unwrap();
                assert!(
                    html.contains("Bob") && html.contains("Weekly"),
                    "{} {path}: {html}",
                    process.base
                );
            }
        }
    }

    // A write through one process shows through every other at once: what they keep (the
    // dashboards and people lists just served) is stale the moment the write commits, not
    // when it expires (RONDO_CACHE_SECONDS, five minutes here).
    let (user, bob) = (&users[0], &bobs[0]);
    let before: Dashboard = user.on(&base(1)).call("load-dashboard", &[]).await.unwrap();
    for process in &processes {
        let people = user
            .on(&process.base)
            .get("/people")
            .await
            .text()
            .await
            .unwrap();
        assert!(!people.contains("Carol"), "{}", process.base);
    }
    user.on(&base(0))
        .save_person(&[
            ("first_name", "Carol"),
            ("emails.0.address", "carol@scale.example"),
        ])
        .await
        .unwrap();
    user.on(&base(2))
        .add_activity(bob, "Call through the web-only process", "2026-01-10T09:00")
        .await
        .unwrap();
    for process in &processes {
        let on = user.on(&process.base);
        let dashboard: Dashboard = on.call("load-dashboard", &[]).await.unwrap();
        assert_eq!(
            (dashboard.counts.people, dashboard.counts.activities),
            (before.counts.people + 1, before.counts.activities + 1),
            "{}",
            process.base
        );
        let people = on.get("/people").await.text().await.unwrap();
        assert!(people.contains("Carol"), "{}: {people}", process.base);
    }
}
