//! A sync on the embedded engine with little room for one transaction (`RONDO_DB_MEMTABLE_MB`
//! at its floor, 8 MiB): a batch of objects with thousands of occurrences between them, and one
//! object with more occurrences than a transaction can hold. Written as one transaction each,
//! the batch failed the whole sync, on every later sync again (the engine refuses a commit
//! larger than its memtable; 64 MiB held ~12,000 occurrences). So did replacing or removing
//! that object in one transaction.
use crate::common;

use app::models::{Connection, ConnectionStatus, SyncReport};
use chrono::{Duration, SubsecRound, Utc};
use common::binary::RondoServer;
use common::calendar::{connect, dana_delete, dana_put_all, stamp, BOB};
use common::radicale::{Radicale, PASSWORD, USER};
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

    // Shrunk, its many old occurrences go a batch at a time before the rest is written; grown
    // again, it is replaced in parts.
    let expect = |count: i64, changes: (u64, u64, u64)| {
        let radicale = &radicale;
        let dana = &dana;
        let server = &server;
        let id = connection.id.clone();
        async move {
            dana_put_all(
                radicale,
                vec![(
                    "flood.ics".into(),
                    series(
                        "flood",
                        &format!("FREQ=MINUTELY;INTERVAL=5;COUNT={count}"),
                        start,
                    ),
                )],
            )
            .await;
            let report: SyncReport = dana.call("sync-connection", &[("id", &id)]).await.unwrap();
            assert_eq!(report.error, None, "{}", server.log());
            assert_eq!(
                (report.added, report.changed, report.removed),
                changes,
                "{count}: {report:?}"
            );
            let synced = dana.synced(&id).await;
            assert_eq!(synced.event_count, (SERIES * HOURS + count) as u64);
        }
    };
    expect(100, (0, 100, 4900)).await;
    expect(4000, (3900, 100, 0)).await;

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

/// Saves the Edit dialog with `calendars` ticked.
async fn edit(
    client: &Client,
    id: &str,
    calendars: &[&str],
) -> Result<Connection, app::error::AppError> {
    let keys: Vec<String> = (0..calendars.len())
        .map(|i| format!("update[calendars][{i}]"))
        .collect();
    let mut form = vec![
        ("update[id]", id),
        ("update[name]", "Alice"),
        ("update[sync_enabled]", "on"),
    ];
    form.extend(
        keys.iter()
            .map(String::as_str)
            .zip(calendars.iter().copied()),
    );
    client.call("update-connection", &form).await
}

/// Unticking a calendar of 6,000 occurrences at an 8 MiB memtable: its events, removed in one
/// transaction with the settings, made the Edit dialog fail to save. Now its events are hidden
/// at once and removed a batch at a time; ticked again, it syncs afresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_calendar_unticked_is_hidden_and_cleared_in_batches() {
    let radicale = Radicale::start().await;
    radicale.make_calendar("big", "Big", "#1BADF8").await;
    radicale.make_calendar("small", "Small", "#FF2968").await;
    let start = Utc::now().trunc_subsecs(0) - Duration::days(20);
    for i in 0..2 * SERIES {
        let uid = format!("hourly-{i}");
        let rule = format!("FREQ=HOURLY;COUNT={HOURS}");
        radicale
            .put_event("big", &format!("{uid}.ics"), &series(&uid, &rule, start))
            .await;
    }
    radicale
        .put_event(
            "small",
            "one.ics",
            &series("one", "COUNT=1;FREQ=DAILY", start),
        )
        .await;
    let big = (2 * SERIES * HOURS) as u64;
    let dir = tempfile::tempdir().unwrap();
    let server = RondoServer::start(
        dir.path(),
        &[("RONDO_SCHEDULER", "false"), ("RONDO_DB_MEMTABLE_MB", "8")],
    )
    .await;
    let alice = Client::signed_up(&server.base, "alice-limits@example.org").await;
    let (big_id, small_id) = (radicale.calendar_url("big"), radicale.calendar_url("small"));
    let started: Connection = alice
        .call(
            "create-caldav",
            &[
                ("connection[server_url]", radicale.base.as_str()),
                ("connection[username]", USER),
                ("connection[password]", PASSWORD),
                ("connection[name]", "Alice"),
                ("connection[calendars][0]", &big_id),
                ("connection[calendars][1]", &small_id),
            ],
        )
        .await
        .unwrap();
    let connection = alice.synced(&started.id).await;
    assert_eq!(connection.last_error, None, "{}", server.log());
    assert_eq!(connection.event_count, big + 1);

    let edited = edit(&alice, &connection.id, &[&small_id])
        .await
        .unwrap_or_else(|e| {
            panic!("the edit saves: {e:?}\n{}", server.log());
        });
    assert_eq!(edited.event_count, 1);
    let seen: app::models::MeetingsToday = alice
        .call(
            "todays-meetings",
            &[
                ("day", &Utc::now().date_naive().to_string()),
                ("all", "true"),
            ],
        )
        .await
        .unwrap();
    assert!(
        seen.meetings
            .iter()
            .all(|m| !m.title.starts_with("Series hourly")),
        "the unticked calendar's meetings are gone: {:?}",
        seen.meetings.iter().map(|m| &m.title).collect::<Vec<_>>()
    );

    // Ticked again, it is listed and stored afresh.
    edit(&alice, &connection.id, &[&big_id, &small_id])
        .await
        .unwrap();
    let report: SyncReport = alice
        .call("sync-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    assert_eq!(report.error, None, "{}", server.log());
    assert_eq!(report.added, big, "{report:?}");
    assert_eq!(alice.synced(&connection.id).await.event_count, big + 1);
}
