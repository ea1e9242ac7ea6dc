//! A sync on the embedded engine with little room for one transaction (`RONDO_DB_MEMTABLE_MB`
//! at its floor, 8 MiB): a batch of objects with thousands of occurrences between them, and one
//! object with more occurrences than a transaction can hold. Written as one transaction each,
//! the batch failed the whole sync, on every later sync again (the engine refuses a commit
//! larger than its memtable; 64 MiB held ~12,000 occurrences). So did replacing or removing
//! that object in one transaction.
use crate::common;

use app::models::{ConnectionStatus, SyncReport};
use chrono::{Duration, SubsecRound, Utc};
use common::binary::RondoServer;
use common::calendar::{connect, dana_delete, dana_put_all, stamp, BOB};
use common::radicale::Radicale;
use common::Client;

/// Hourly series, 300 occurrences each: 3,000 in one multiget batch (about 15 MB for the engine).
const SERIES: i64 = 10;
const HOURS: i64 = 300;

fn series(uid: &str, rule: &str, start: chrono::DateTime<Utc>) -> String {
    format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\n\
         DTSTART:{}\nDTEND:{}\nRRULE:{rule}\nSUMMARY:Series {uid}\nDESCRIPTION:Agenda\\, notes and links.\n{BOB}END:VEVENT\nEND:VCALENDAR\n",
        stamp(start),
        stamp(start + Duration::minutes(30)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_batches_are_written_in_parts_the_engine_can_hold() {
    let radicale = Radicale::start().await;
    let now = Utc::now().trunc_subsecs(0);
    let start = now - Duration::days(20);
    let objects = (0..SERIES)
        .map(|i| {
            let uid = format!("hourly-{i}");
            let rule = format!("FREQ=HOURLY;COUNT={HOURS}");
            (format!("{uid}.ics"), series(&uid, &rule, start))
        })
        .collect();
    dana_put_all(&radicale, objects).await;
    let dir = tempfile::tempdir().unwrap();
    let server = RondoServer::start(
        dir.path(),
        &[("RONDO_SCHEDULER", "false"), ("RONDO_DB_MEMTABLE_MB", "8")],
    )
    .await;
    let dana = Client::signed_up(&server.base, "dana-limits@example.org").await;

    // The first sync stores every occurrence.
    let connection = connect(&dana, &radicale.base, false).await;
    assert_eq!(
        (connection.status, connection.last_error.as_deref()),
        (ConnectionStatus::Ok, None),
        "{}",
        server.log()
    );
    assert_eq!(connection.event_count, (SERIES * HOURS) as u64);

    // An object with more occurrences than one transaction holds (every five minutes, 5,000
    // times) is written in parts, every occurrence stored.
    dana_put_all(
        &radicale,
        vec![(
            "flood.ics".into(),
            series("flood", "FREQ=MINUTELY;INTERVAL=5;COUNT=5000", start),
        )],
    )
    .await;
    let report: SyncReport = dana
        .call("sync-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    assert_eq!(report.error, None, "{}", server.log());
    assert_eq!((report.added, report.changed), (5000, 0), "{report:?}");
    let synced = dana.synced(&connection.id).await;
    assert_eq!(synced.status, ConnectionStatus::Ok);
    assert_eq!(synced.event_count, (SERIES * HOURS + 5000) as u64);

    // Changed, it is replaced in parts again: the same occurrences, none twice.
    dana_put_all(
        &radicale,
        vec![(
            "flood.ics".into(),
            series("flood", "FREQ=MINUTELY;INTERVAL=5;COUNT=4000", start),
        )],
    )
    .await;
    let report: SyncReport = dana
        .call("sync-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    assert_eq!(report.error, None, "{}", server.log());
    assert_eq!(
        (report.added, report.changed, report.removed),
        (0, 4000, 1000),
        "{report:?}"
    );
    let synced = dana.synced(&connection.id).await;
    assert_eq!(synced.event_count, (SERIES * HOURS + 4000) as u64);

    // Deleted at the server, its occurrences go, a batch at a time.
    dana_delete(&radicale, "flood.ics").await;
    let report: SyncReport = dana
        .call("sync-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    assert_eq!(report.error, None, "{}", server.log());
    assert_eq!(report.removed, 4000, "{report:?}");
    let synced = dana.synced(&connection.id).await;
    assert_eq!(synced.event_count, (SERIES * HOURS) as u64);
}
