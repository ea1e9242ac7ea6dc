//! A `rondo serve` process killed (SIGKILL) in the middle of a sync against Radicale, then
//! `rondo calendar sync` over the same on-disk database: the second run must converge on
//! exactly what the server holds, with no duplicate events and no duplicate activities.
//!
//! A proxy in front of Radicale holds the sync's second `calendar-multiget`, so the kill lands
//! while the first batch is stored and the rest is not, every time, however slow the machine.
use crate::common;

use std::time::{Duration as StdDuration, Instant};

use app::models::SyncReport;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use common::binary::{self, text, RondoServer};
use common::calendar::{connect, dana_put_all, event, stamp, BOB, DANA};
use common::proxy::Recorder;
use common::radicale::Radicale;
use common::Client;
use serde_json::Value;
use server::db::DbSettings;

/// The lease the killed process takes: short, so the next run need not wait ten minutes.
const LEASE_SECONDS: u64 = 2;
const STRANGER: &str = "ATTENDEE;CN=Xavier:mailto:x@nowhere.example\n";

/// What Dana's calendar holds after the initial three meetings, and what Rondo must end with.
struct Bulk {
    objects: Vec<(String, String)>,
    /// Stored occurrences (all inside the default window of 90 days back, 30 ahead).
    events: usize,
    /// Ended, timed meetings with Bob: one activity each.
    loggable: usize,
}

/// 200 past meetings (every other one with Bob), 20 upcoming ones with Bob, and a daily
/// meeting with Bob for 30 days from 20 days ago with one occurrence moved.
fn bulk(now: DateTime<Utc>) -> Bulk {
    let mut objects = Vec::new();
    for i in 0..200 {
        let start = now - Duration::days(60) + Duration::hours(7 * i);
        let who = if i % 2 == 0 { BOB } else { STRANGER };
        objects.push((
            format!("past-{i}.ics"),
            event(&format!("past-{i}"), &format!("Past {i}"), start, who),
        ));
    }
    for i in 0..20 {
        let start = now + Duration::days(i + 1);
        objects.push((
            format!("next-{i}.ics"),
            event(&format!("next-{i}"), &format!("Next {i}"), start, BOB),
        ));
    }
    // Starting 6 hours past the hour of `now`, so the occurrence today is clearly not over.
    let first = now - Duration::days(20) + Duration::hours(6);
    let moved = first + Duration::days(5);
    objects.push((
        "daily.ics".into(),
        format!(
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n\
             BEGIN:VEVENT\nUID:daily\nDTSTAMP:20260101T000000Z\nDTSTART:{}\nDTEND:{}\nRRULE:FREQ=DAILY;COUNT=30\nSUMMARY:Daily\n{BOB}END:VEVENT\n\
             BEGIN:VEVENT\nUID:daily\nDTSTAMP:20260101T000000Z\nRECURRENCE-ID:{}\nDTSTART:{}\nDTEND:{}\nSUMMARY:Daily (moved)\n{BOB}END:VEVENT\n\
             END:VCALENDAR\n",
            stamp(first),
            stamp(first + Duration::minutes(30)),
            stamp(moved),
            stamp(moved + Duration::hours(2)),
            stamp(moved + Duration::hours(3)),
        ),
    ));
    Bulk {
        objects,
        events: 200 + 20 + 30,
        // 100 past with Bob, and the daily occurrences that ended: days -20 … -1.
        loggable: 100 + 20,
    }
}

fn initial(now: DateTime<Utc>, k: i64, title: &str) -> (String, String) {
    (
        format!("initial-{k}.ics"),
        event(
            &format!("initial-{k}"),
            title,
            now - Duration::days(k + 1),
            BOB,
        ),
    )
}

/// How many objects Radicale lists in Dana's calendar.
async fn radicale_objects(radicale: &Radicale) -> usize {
    let body = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
            format!("{}/{}/cal/", radicale.base, DANA.0),
        )
        .basic_auth(DANA.0, Some(DANA.1))
        .header("depth", "1")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    body.matches(".ics</").count()
}

async fn query(db: &server::db::Db, sql: &str, connection: &str) -> Vec<Value> {
    db.query(sql)
        .bind(("connection", connection.to_string()))
        .await
        .unwrap()
        .take(0)
        .unwrap()
}

/// The data directory's database, as `rondo` opens it (only while no process has it open).
async fn open(data_dir: &std::path::Path) -> server::db::Db {
    server::db::connect(&DbSettings {
        endpoint: format!("surrealkv://{}", data_dir.join("db").display()),
        ..DbSettings::memory()
    })
    .await
    .unwrap()
}

fn n(rows: &[Value]) -> i64 {
    rows.first().and_then(|r| r["n"].as_i64()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_midway_converges_on_the_next_run() {
    let radicale = Radicale::start().await;
    let now = Utc::now().trunc_subsecs(0);
    let start: Vec<(String, String)> = (0..3)
        .map(|k| initial(now, k, &format!("Initial {k}")))
        .collect();
    dana_put_all(&radicale, start).await;
    let proxy = Recorder::start(&radicale.base).await;
    let dir = tempfile::tempdir().unwrap();
    let lease = LEASE_SECONDS.to_string();
    let mut server = RondoServer::start(
        dir.path(),
        &[
            ("RONDO_SCHEDULER", "false"),
            ("RONDO_SYNC_LEASE_SECONDS", &lease),
        ],
    )
    .await;

    // Dana connects with auto-logging on; the three ended meetings with Bob are logged.
    let dana = Client::signed_up(&server.base, "dana-crash@example.org").await;
    common::calendar::add_bob(&dana).await;
    let connection = connect(&dana, &proxy.base, true).await;
    let first: SyncReport = dana
        .call("sync-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    assert_eq!((first.logged, first.error), (3, None));

    // Much arrives at once, and one logged meeting is renamed.
    let bulk = bulk(now);
    let mut changes = bulk.objects.clone();
    changes.push(initial(now, 0, "Initial 0 (renamed)"));
    dana_put_all(&radicale, changes).await;
    let expected_objects = 3 + bulk.objects.len();
    assert_eq!(radicale_objects(&radicale).await, expected_objects);

    // "Sync now", killed while its third multiget batch is on the wire (the first batch is
    // stored by then: each batch is stored while the next is fetched).
    let gate = proxy.hold_from("REPORT calendar-multiget", 3);
    let cut_off = {
        let id = connection.id.clone();
        tokio::spawn(async move { dana.send("sync-connection", &[("id", &id)]).await.is_err() })
    };
    tokio::time::timeout(StdDuration::from_secs(300), gate.arrived())
        .await
        .unwrap_or_else(|_| panic!("the sync never reached its third batch: {}", server.log()));
    server.kill();
    let killed = Instant::now();
    gate.release();
    assert!(cut_off.await.unwrap(), "the killed server never answered");

    // What the crash left: the first batch stored, the rest not, the connection still marked
    // as syncing and leased by the dead process.
    let id = connection.id.as_str();
    {
        let db = open(dir.path()).await;
        let stored = n(&query(
            &db,
            "SELECT count() AS n FROM event WHERE connection = $connection GROUP ALL",
            id,
        )
        .await);
        assert!(
            stored > 3 && stored < (3 + bulk.events) as i64,
            "killed mid-sync: {stored} events"
        );
        let state = query(
            &db,
            "SELECT status, lease_owner FROM connection WHERE record::id(id) = $connection",
            id,
        )
        .await;
        assert_eq!(state[0]["status"], "syncing", "{state:?}");
        assert!(state[0]["lease_owner"].is_string(), "{state:?}");
    }

    // The dead process's lease lapses after LEASE_SECONDS (time in which the handle above
    // also finishes closing); then a new process syncs.
    tokio::time::sleep_until((killed + StdDuration::from_secs(LEASE_SECONDS + 1)).into()).await;
    let args = ["calendar", "sync", "--connection", connection.id.as_str()];
    let second = binary::run_async(dir.path(), &args, &[]).await;
    let (out, err) = (text(&second.stdout), text(&second.stderr));
    assert!(second.status.success(), "{out}\n{err}");
    let expected_new = bulk.loggable;
    assert!(
        out.contains(&format!(", 0 removed, {expected_new} logged")),
        "every new ended meeting logged once: {out}"
    );
    let third = binary::run_async(dir.path(), &args, &[]).await;
    assert!(third.status.success(), "{}", text(&third.stderr));
    assert!(
        text(&third.stdout).contains(": 0 added, 0 changed, 0 removed, 0 logged"),
        "converged: nothing left to do: {}",
        text(&third.stdout)
    );

    // The database (no process has it open now) holds exactly Radicale's calendar.
    let db = open(dir.path()).await;
    let events = query(
        &db,
        "SELECT count() AS n FROM event WHERE connection = $connection GROUP ALL",
        id,
    )
    .await;
    assert_eq!(n(&events), (3 + bulk.events) as i64);
    let duplicates = query(
        &db,
        "SELECT * FROM (SELECT calendar, uid, recurrence_id, count() AS n FROM event WHERE connection = $connection
           GROUP BY calendar, uid, recurrence_id) WHERE n > 1",
        id,
    )
    .await;
    assert!(duplicates.is_empty(), "{duplicates:?}");
    let objects = query(
        &db,
        "SELECT count() AS n FROM calendar_object GROUP ALL",
        id,
    )
    .await;
    assert_eq!(n(&objects), expected_objects as i64);

    let logged = query(
        &db,
        "SELECT source_key, count() AS n FROM activity WHERE auto_logged = true GROUP BY source_key",
        id,
    )
    .await;
    assert_eq!(
        logged.len(),
        3 + bulk.loggable,
        "one activity per ended meeting"
    );
    assert!(logged.iter().all(|r| r["n"] == 1), "{logged:?}");

    let state = query(
        &db,
        "SELECT status, failures, lease_owner FROM connection WHERE record::id(id) = $connection",
        id,
    )
    .await;
    assert_eq!(state[0]["status"], "ok", "{state:?}");
    assert_eq!(state[0]["failures"], 0);
    assert!(state[0]["lease_owner"].is_null(), "{state:?}");

    // History: connect, "sync now", then the two CLI runs; the killed run never finished.
    let runs = query(
        &db,
        "SELECT logged, error, started_at FROM sync_run WHERE connection = $connection ORDER BY started_at DESC",
        id,
    )
    .await;
    let summary: Vec<(i64, bool)> = runs
        .iter()
        .map(|r| (r["logged"].as_i64().unwrap(), r["error"].is_null()))
        .collect();
    assert_eq!(
        summary,
        vec![(0, true), (expected_new as i64, true), (3, true), (0, true)]
    );
}
