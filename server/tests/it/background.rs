//! Auto-logging against a real Radicale: which meetings, exactly once, removal after
//! cancellation, edited ones kept, and the sync history. (The scheduler is in `scheduler.rs`.)
use crate::common;

use app::models::{Activity, Connection, Page, SyncReport};
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

/// Dana's calendar with one meeting of every kind (ended, ended and later edited, declined,
/// cancelled, with a stranger, in the future, all-day), connected to her account with
/// auto-logging on; Bob is a person, so meetings with him match.
struct AutoLog {
    radicale: Radicale,
    server: common::TestServer,
    dana: common::Client,
    bob: String,
    connection: Connection,
}

async fn auto_logging() -> AutoLog {
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
    let bob = common::calendar::add_bob(&dana).await;
    let connection = connect(&dana, &radicale.base, true).await;
    AutoLog {
        radicale,
        server,
        dana,
        bob,
        connection,
    }
}

/// The first sync with auto-logging on (the one at connect time ran before it was switched on).
async fn first_auto_logged_sync(a: &AutoLog) -> SyncReport {
    a.server
        .services
        .calendars
        .sync(
            &connection_owner(&a.server, &a.connection).await,
            &a.connection.id,
        )
        .await
        .unwrap()
}

/// Bob's activity with this title.
async fn bobs_activity(a: &AutoLog, title: &str) -> Activity {
    let page: Page<Activity> = a
        .dana
        .call("person-activities", &[("person_id", &a.bob), ("page", "1")])
        .await
        .unwrap();
    page.items
        .into_iter()
        .find(|activity| activity.title == title)
        .unwrap()
}

async fn sync_now(a: &AutoLog) -> SyncReport {
    a.dana
        .call("sync-connection", &[("id", &a.connection.id)])
        .await
        .unwrap()
}

#[tokio::test]
async fn connecting_with_auto_log_switches_it_on() {
    let a = auto_logging().await;
    assert!(a.connection.auto_log);
}

#[tokio::test]
async fn auto_log_logs_only_ended_accepted_meetings_with_known_people() {
    let a = auto_logging().await;
    let first = first_auto_logged_sync(&a).await;
    assert_eq!(first.logged, 2, "{first:?}");
    assert_eq!(
        titles(&a.dana, &a.bob).await,
        vec!["Edited later", "Ended meeting"]
    );
}

#[tokio::test]
async fn repeated_syncs_never_log_a_meeting_twice() {
    let a = auto_logging().await;
    first_auto_logged_sync(&a).await;
    let again = sync_now(&a).await;
    assert_eq!((again.logged, again.error), (0, None));
    assert_eq!(titles(&a.dana, &a.bob).await.len(), 2);
}

#[tokio::test]
async fn cancelling_drops_auto_logged_activities_but_keeps_edited_ones() {
    let a = auto_logging().await;
    first_auto_logged_sync(&a).await;
    // The user edits one activity; then both meetings are cancelled on the server.
    let kept = bobs_activity(&a, "Edited later").await;
    let when = kept.occurred_at.format("%Y-%m-%dT%H:%M").to_string();
    let _: String = a
        .dana
        .call(
            "save-activity",
            &[
                ("activity[id]", &kept.id),
                ("activity[kind]", "meeting"),
                ("activity[occurred_at]", &when),
                ("activity[title]", "Edited later"),
                ("activity[notes]", "my notes"),
                ("activity[people][0]", &a.bob),
            ],
        )
        .await
        .unwrap();
    let now = Utc::now();
    dana_put(
        &a.radicale,
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
        &a.radicale,
        "kept.ics",
        &event(
            "kept",
            "Edited later",
            now - Duration::days(3),
            &format!("{BOB}STATUS:CANCELLED\n"),
        ),
    )
    .await;
    let after = sync_now(&a).await;
    assert_eq!(after.error, None);
    assert_eq!(
        titles(&a.dana, &a.bob).await,
        vec!["Edited later"],
        "the auto-created one goes, the edited one stays"
    );
}

#[tokio::test]
async fn a_deleted_auto_logged_meeting_stays_unlogged_until_logged_by_hand() {
    let a = auto_logging().await;
    first_auto_logged_sync(&a).await;
    let ended = bobs_activity(&a, "Ended meeting").await;
    a.dana
        .call::<()>("delete-activity", &[("id", &ended.id)])
        .await
        .unwrap();

    // Later syncs leave it deleted.
    for _ in 0..2 {
        let again = sync_now(&a).await;
        assert_eq!((again.logged, again.error), (0, None));
    }
    assert_eq!(titles(&a.dana, &a.bob).await, vec!["Edited later"]);

    // Logging it by hand brings it back, once.
    let past: Page<app::models::Meeting> = a
        .dana
        .call(
            "person-meetings",
            &[("person_id", &a.bob), ("scope", "past"), ("page", "1")],
        )
        .await
        .unwrap();
    let meeting = past
        .items
        .iter()
        .find(|m| m.title == "Ended meeting")
        .unwrap();
    let _: String = a
        .dana
        .call("log-meeting", &[("event_id", &meeting.id)])
        .await
        .unwrap();
    assert_eq!(sync_now(&a).await.logged, 0);
    assert_eq!(
        titles(&a.dana, &a.bob).await,
        vec!["Edited later", "Ended meeting"]
    );
}

#[tokio::test]
async fn every_sync_is_in_the_history_newest_first() {
    let a = auto_logging().await;
    first_auto_logged_sync(&a).await;
    sync_now(&a).await;
    let history: Vec<app::models::SyncRun> = a
        .dana
        .call("connection-history", &[("id", &a.connection.id)])
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

#[tokio::test]
async fn undoing_the_deletion_of_an_auto_logged_meeting_brings_it_back_as_it_was() {
    let a = auto_logging().await;
    first_auto_logged_sync(&a).await;
    let ended = bobs_activity(&a, "Ended meeting").await;
    a.dana
        .call::<()>("delete-activity", &[("id", &ended.id)])
        .await
        .unwrap();
    a.dana
        .call::<()>("restore-activity", &[("id", &ended.id)])
        .await
        .unwrap();
    let back = bobs_activity(&a, "Ended meeting").await;
    assert_eq!(back, ended, "same id, time, links and source");
    // The meeting is no longer dismissed, and the restored activity is its one log.
    assert_eq!(sync_now(&a).await.logged, 0);
    assert_eq!(
        titles(&a.dana, &a.bob).await,
        vec!["Edited later", "Ended meeting"]
    );
    // Deleting it again works like the first time; a second undo of one deletion does not.
    a.dana
        .call::<()>("delete-activity", &[("id", &ended.id)])
        .await
        .unwrap();
    assert_eq!(sync_now(&a).await.logged, 0, "dismissed again");
    a.dana
        .call::<()>("restore-activity", &[("id", &ended.id)])
        .await
        .unwrap();
    let twice = a
        .dana
        .call::<()>("restore-activity", &[("id", &ended.id)])
        .await
        .unwrap_err();
    assert!(
        matches!(&twice, app::error::AppError::Invalid(m) if m.contains("can no longer be restored")),
        "{twice:?}"
    );
}
