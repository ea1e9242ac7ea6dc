//! Two hundred syncs of a real Radicale calendar through a proxy that drops connections,
//! answers 500 and 502, truncates bodies, sends empty multistatus answers and answers too late,
//! while the calendar changes underneath. After every sync, failed or not, no meeting the server
//! kept is missing and nothing is stored twice; after every successful one Rondo holds exactly
//! what the server has.
use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use common::calendar::{
    connect, connection_owner, dana_calendar_ready, dana_delete, dana_put, event, BOB,
};
use common::proxy::Recorder;
use common::radicale::Radicale;

const SYNCS: usize = 200;
/// Percent of requests that meet a fault.
const FAULT_RATE: u64 = 25;

/// A weekly series with a moved and a cancelled occurrence, around today.
fn weekly(uid: &str) -> String {
    let first = (Utc::now() - Duration::weeks(3))
        .format("%Y%m%d")
        .to_string();
    let moved = (Utc::now() - Duration::weeks(1))
        .format("%Y%m%d")
        .to_string();
    let cancelled = (Utc::now() + Duration::weeks(1))
        .format("%Y%m%d")
        .to_string();
    format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=Europe/Berlin:{first}T100000\nDTEND;TZID=Europe/Berlin:{first}T110000\nRRULE:FREQ=WEEKLY;COUNT=7\nEXDATE;TZID=Europe/Berlin:{cancelled}T100000\nSUMMARY:Weekly\n{BOB}END:VEVENT\nBEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\nRECURRENCE-ID;TZID=Europe/Berlin:{moved}T100000\nDTSTART;TZID=Europe/Berlin:{moved}T150000\nDTEND;TZID=Europe/Berlin:{moved}T160000\nSUMMARY:Weekly (moved)\nEND:VEVENT\nEND:VCALENDAR\n"
    )
}

type Identity = (String, String);

async fn stored(db: &server::db::Db) -> (Vec<Identity>, BTreeMap<String, String>) {
    #[derive(serde::Deserialize)]
    struct Row {
        uid: String,
        recurrence_id: String,
        title: String,
    }
    let rows: Vec<serde_json::Value> = db
        .query("SELECT uid, recurrence_id, title FROM event")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|r| serde_json::from_value(r).unwrap())
        .collect();
    let titles = rows
        .iter()
        .map(|r| (r.uid.clone(), r.title.clone()))
        .collect();
    (
        rows.into_iter().map(|r| (r.uid, r.recurrence_id)).collect(),
        titles,
    )
}

#[tokio::test]
async fn two_hundred_syncs_through_a_chaotic_server_lose_and_duplicate_nothing() {
    let radicale = Radicale::start().await;
    dana_calendar_ready(&radicale).await;
    for i in 0..10 {
        let start = Utc::now() + Duration::hours(5 + 7 * i);
        dana_put(
            &radicale,
            &format!("s{i}.ics"),
            &event(&format!("s{i}"), "Stable", start, BOB),
        )
        .await;
    }
    dana_put(&radicale, "weekly.ics", &weekly("weekly")).await;
    let server = common::start_with(|settings| {
        settings.connect_timeout = StdDuration::from_secs(1);
        settings.request_timeout = StdDuration::from_secs(1);
    })
    .await;
    let proxy = Recorder::start(&radicale.base).await;
    let dana = server.user("chaos@example.org").await;
    let connection = connect(&dana, &proxy.base, false).await;
    let owner = connection_owner(&server, &connection).await;
    let calendars = server.services.calendars.clone();
    let db = &server.services.db;

    // What the server keeps throughout, as a clean first sync stored it.
    let (stable, _) = stored(db).await;
    let stable: BTreeSet<Identity> = stable.into_iter().collect();
    assert_eq!(
        stable.len(),
        10 + 6,
        "ten singles and six weekly occurrences"
    );

    // Meetings that come, change and go while the syncs run: uid → current title.
    let mut churn: BTreeMap<String, String> = BTreeMap::new();
    proxy.chaos(Some((0x5eed_cafe, FAULT_RATE)));
    let (mut ok, mut failed) = (0, 0);
    for i in 0..SYNCS {
        match i % 7 {
            0 => {
                let uid = format!("c{i}");
                let start = Utc::now() + Duration::days(2) + Duration::minutes(i as i64);
                dana_put(
                    &radicale,
                    &format!("{uid}.ics"),
                    &event(&uid, "New", start, BOB),
                )
                .await;
                churn.insert(uid, "New".into());
            }
            3 => {
                if let Some(uid) = churn.keys().nth(i % churn.len().max(1)).cloned() {
                    let title = format!("Changed {i}");
                    let start = Utc::now() + Duration::days(3);
                    dana_put(
                        &radicale,
                        &format!("{uid}.ics"),
                        &event(&uid, &title, start, BOB),
                    )
                    .await;
                    churn.insert(uid, title);
                }
            }
            5 if churn.len() > 3 => {
                let uid = churn.keys().next().cloned().unwrap();
                dana_delete(&radicale, &format!("{uid}.ics")).await;
                churn.remove(&uid);
            }
            _ => {}
        }
        let report = calendars.sync(&owner, &connection.id).await.unwrap();
        let (rows, titles) = stored(db).await;
        let unique: BTreeSet<Identity> = rows.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            rows.len(),
            "sync {i}: an occurrence is stored twice"
        );
        let lost: Vec<&Identity> = stable.difference(&unique).collect();
        assert!(lost.is_empty(), "sync {i} ({report:?}): lost {lost:?}");
        if report.error.is_none() {
            ok += 1;
            let expected: BTreeSet<Identity> = stable
                .iter()
                .cloned()
                .chain(churn.keys().map(|uid| (uid.clone(), String::new())))
                .collect();
            assert_eq!(
                unique, expected,
                "sync {i}: a successful sync holds what the server has"
            );
            for (uid, title) in &churn {
                assert_eq!(titles.get(uid), Some(title), "sync {i}: {uid} is current");
            }
        } else {
            failed += 1;
        }
    }
    let faults = proxy.faults();
    proxy.chaos(None);
    assert!(
        faults.len() == 6,
        "every kind of fault was played: {faults:?}"
    );
    assert!(
        failed >= 20 && ok >= 50,
        "{ok} ok, {failed} failed, faults {faults:?}"
    );

    // Once the server behaves, one sync brings everything up to date.
    let report = calendars.sync(&owner, &connection.id).await.unwrap();
    assert_eq!(report.error, None);
    let (rows, _) = stored(db).await;
    assert_eq!(rows.len(), stable.len() + churn.len());
    eprintln!("{SYNCS} syncs: {ok} ok, {failed} failed; faults {faults:?}");
}
