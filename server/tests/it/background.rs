//! Auto-logging against a real Radicale: which meetings, exactly once, removal after
//! cancellation, edited ones kept, and the sync history. (The scheduler is in `scheduler.rs`.)
use crate::common;

use app::models::{Activity, Page};
use chrono::{Duration, Utc};
use common::calendar::{connect, connection_owner, dana_put, event, BOB};
use common::radicale::Radicale;

async fn titles(client: &common::Client, person: &str) -> Vec<String> {
    let page: Page<Activity> = client
        .call("person-activities", &[("person_id", person), ("page", "1")])
        .await
        .unwrap();
    let mut t: Vec<String> = page.items.into_iter().map(|a| a.title).collect();
    t.sort();
    t
}

#[tokio::test]
async fn auto_log_logs_ended_meetings_once_and_drops_cancelled_ones() {
    let radicale = Radicale::start().await;
    let now = Utc::now();
    dana_put(
        &radicale,
        "ended.ics",
        &event("ended", "Ended meeting", now - Duration::days(2), BOB),
    )
    .await;
    dana_put(
        &radicale,
        "kept.ics",
        &event("kept", "Edited later", now - Duration::days(3), BOB),
    )
    .await;
    dana_put(
        &radicale,
        "declined.ics",
        &event(
            "declined",
            "Declined by me",
            now - Duration::days(1),
            &format!("{BOB}ATTENDEE;CN=Dana;PARTSTAT=DECLINED:mailto:dana@example.org\n"),
        ),
    )
    .await;
    dana_put(
        &radicale,
        "cancelled.ics",
        &event(
            "cancelled",
            "Cancelled",
            now - Duration::days(1),
            &format!("{BOB}STATUS:CANCELLED\n"),
        ),
    )
    .await;
    dana_put(
        &radicale,
        "stranger.ics",
        &event(
            "stranger",
            "With a stranger",
            now - Duration::days(1),
            "ATTENDEE;CN=X:mailto:x@nowhere.example\n",
        ),
    )
    .await;
    dana_put(
        &radicale,
        "future.ics",
        &event("future", "Not yet", now + Duration::days(1), BOB),
    )
    .await;
    let day = (now - Duration::days(1)).format("%Y%m%d").to_string();
    let all_day = format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:allday\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:{day}\nSUMMARY:Offsite\n{BOB}END:VEVENT\nEND:VCALENDAR\n");
    dana_put(&radicale, "allday.ics", &all_day).await;

    let server = common::start().await;
    let dana = server.user("dana-bg@example.org").await;
    let bob = dana
        .save_person(&[
            ("first_name", "Bob"),
            ("emails.0.address", "bob@builders.example"),
        ])
        .await
        .unwrap();
    let connection = connect(&dana, &radicale.base, true).await;
    assert!(connection.auto_log);

    let first = server
        .services
        .calendars
        .sync(
            &connection_owner(&server, &connection).await,
            &connection.id,
        )
        .await
        .unwrap();
    assert_eq!(first.logged, 2, "{first:?}");
    assert_eq!(
        titles(&dana, &bob).await,
        vec!["Edited later", "Ended meeting"]
    );
    // Repeated syncs never log twice.
    let again: app::models::SyncReport = dana
        .call("sync-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    assert_eq!((again.logged, again.error), (0, None));
    assert_eq!(titles(&dana, &bob).await.len(), 2);

    // The user edits one activity; then both meetings are cancelled on the server.
    let page: Page<Activity> = dana
        .call("person-activities", &[("person_id", &bob), ("page", "1")])
        .await
        .unwrap();
    let kept = page
        .items
        .iter()
        .find(|a| a.title == "Edited later")
        .unwrap();
    let when = kept.occurred_at.format("%Y-%m-%dT%H:%M").to_string();
    let _: String = dana
        .call(
            "save-activity",
            &[
                ("activity[id]", &kept.id),
                ("activity[kind]", "meeting"),
                ("activity[occurred_at]", &when),
                ("activity[title]", "Edited later"),
                ("activity[notes]", "my notes"),
                ("activity[people][0]", &bob),
            ],
        )
        .await
        .unwrap();
    dana_put(
        &radicale,
        "ended.ics",
        &event(
            "ended",
            "Ended meeting",
            now - Duration::days(2),
            &format!("{BOB}STATUS:CANCELLED\n"),
        ),
    )
    .await;
    dana_put(
        &radicale,
        "kept.ics",
        &event(
            "kept",
            "Edited later",
            now - Duration::days(3),
            &format!("{BOB}STATUS:CANCELLED\n"),
        ),
    )
    .await;
    let after: app::models::SyncReport = dana
        .call("sync-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    assert_eq!(after.error, None);
    assert_eq!(
        titles(&dana, &bob).await,
        vec!["Edited later"],
        "the auto-created one goes, the edited one stays"
    );

    // Every run is in the history, newest first.
    let history: Vec<app::models::SyncRun> = dana
        .call("connection-history", &[("id", &connection.id)])
        .await
        .unwrap();
    assert!(history.len() >= 3, "{history:?}");
    // Oldest first from the end: the sync at connect time (auto-log still off), then the one that logged.
    assert_eq!(
        history
            .iter()
            .rev()
            .map(|r| r.logged)
            .take(2)
            .collect::<Vec<_>>(),
        vec![0, 2]
    );
    assert!(history[0].started_at >= history[1].started_at);
}
