//! Background sync against a real Radicale: auto-logging (which meetings, exactly once, removal
//! after cancellation, edited ones kept), the scheduler's interval, leases and re-authentication.
mod common;

use std::time::Duration as StdDuration;

use app::models::{Activity, Connection, DiscoveredCalendar, Page};
use chrono::{Duration, Utc};
use common::radicale::Radicale;
use server::scheduler::{Scheduler, SchedulerConfig};

const DANA: (&str, &str) = ("dana@example.org", "dana-password-123");

fn stamp(at: chrono::DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

fn event(uid: &str, title: &str, start: chrono::DateTime<Utc>, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\nDTSTART:{}\nDTEND:{}\nSUMMARY:{title}\n{extra}END:VEVENT\nEND:VCALENDAR\n",
        stamp(start),
        stamp(start + Duration::hours(1))
    )
}

const BOB: &str = "ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@builders.example\n";

/// Dana's own calendar on Radicale (her username is her address, so she is "self").
async fn dana_put(radicale: &Radicale, file: &str, ics: &str) {
    let http = reqwest::Client::new();
    let base = format!("{}/{}/cal/", radicale.base, DANA.0);
    let _ = http
        .request(
            reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
            format!("{}/{}/", radicale.base, DANA.0),
        )
        .basic_auth(DANA.0, Some(DANA.1))
        .header("depth", "0")
        .send()
        .await;
    let _ = http
        .request(reqwest::Method::from_bytes(b"MKCALENDAR").unwrap(), &base)
        .basic_auth(DANA.0, Some(DANA.1))
        .send()
        .await;
    let put = http
        .put(format!("{base}{file}"))
        .basic_auth(DANA.0, Some(DANA.1))
        .header("content-type", "text/calendar")
        .body(ics.replace('\n', "\r\n"))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
}

async fn connect(client: &common::Client, base: &str, auto_log: bool) -> Connection {
    let found: Vec<DiscoveredCalendar> = client
        .call(
            "test-caldav",
            &[
                ("server_url", base),
                ("username", DANA.0),
                ("password", DANA.1),
            ],
        )
        .await
        .unwrap();
    let created: Connection = client
        .call(
            "create-caldav",
            &[
                ("connection[server_url]", base),
                ("connection[username]", DANA.0),
                ("connection[password]", DANA.1),
                ("connection[calendars][0]", &found[0].remote_id),
            ],
        )
        .await
        .unwrap();
    if !auto_log {
        return created;
    }
    client
        .call(
            "update-connection",
            &[
                ("update[id]", &created.id),
                ("update[name]", &created.name),
                ("update[calendars][0]", &found[0].remote_id),
                ("update[sync_enabled]", "on"),
                ("update[auto_log]", "on"),
            ],
        )
        .await
        .unwrap()
}

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

async fn connection_owner(server: &common::TestServer, connection: &Connection) -> String {
    server
        .services
        .calendars
        .store
        .all_rows()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == connection.id)
        .unwrap()
        .owner
}

#[tokio::test]
async fn the_scheduler_respects_the_interval_leases_and_reauthentication() {
    let radicale = Radicale::start().await;
    dana_put(
        &radicale,
        "a.ics",
        &event("a", "Planning", Utc::now() + Duration::days(1), BOB),
    )
    .await;
    let server = common::start().await;
    let first = server.user("first-bg@example.org").await;
    let second = server.user("second-bg@example.org").await;
    let c1 = connect(&first, &radicale.base, false).await;
    let c2 = connect(&second, &radicale.base, false).await;
    let scheduler = Scheduler::new(
        server.services.clone(),
        SchedulerConfig {
            tick: StdDuration::from_secs(1),
            concurrency: 2,
            rate_per_provider: 50.0,
        },
    );
    let store = &server.services.calendars.store;

    // Both were synced when connected: nothing is due until the interval has passed.
    let now = Utc::now();
    assert_eq!(scheduler.tick(now).await.unwrap(), 0);
    assert_eq!(
        scheduler.tick(now + Duration::minutes(16)).await.unwrap(),
        2
    );
    assert_eq!(
        scheduler
            .tick(Utc::now() + Duration::minutes(14))
            .await
            .unwrap(),
        0,
        "just synced: not due again"
    );

    // A change on the server arrives with nobody clicking.
    dana_put(
        &radicale,
        "b.ics",
        &event("b", "Review", Utc::now() + Duration::days(2), BOB),
    )
    .await;
    let later = Utc::now() + Duration::minutes(16);
    assert_eq!(scheduler.tick(later).await.unwrap(), 2);
    let list: Vec<Connection> = first.call("list-connections", &[]).await.unwrap();
    assert_eq!(list[0].event_count, 2);

    // A lease held by another (live) process blocks a second sync; once it lapses, sync resumes.
    let owner = connection_owner(&server, &c1).await;
    assert!(store
        .acquire_lease(
            &c1.id,
            "other-process",
            Utc::now(),
            Utc::now() + Duration::minutes(30)
        )
        .await
        .unwrap());
    let blocked = server
        .services
        .calendars
        .sync(&owner, &c1.id)
        .await
        .unwrap();
    assert!(blocked.error.unwrap().contains("already running"));
    assert!(
        !store
            .due(Utc::now() + Duration::minutes(16))
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == c1.id),
        "leased: not handed out"
    );
    server.services.db.query("UPDATE connection SET lease_until = time::now() - 1m WHERE lease_owner = 'other-process'").await.unwrap().check().unwrap();
    assert_eq!(
        server
            .services
            .calendars
            .sync(&owner, &c1.id)
            .await
            .unwrap()
            .error,
        None,
        "a crashed holder's lease lapses"
    );

    // Wrong credentials: needs re-authentication, and the scheduler leaves it alone.
    let owner2 = connection_owner(&server, &c2).await;
    let sealed = server::calendar::credentials::seal(
        &server.services.calendars.settings.keyring,
        &owner2,
        &c2.id,
        "stale-password",
    );
    store
        .set_credential(&owner2, &c2.id, Some(sealed))
        .await
        .unwrap();
    assert!(server
        .services
        .calendars
        .sync(&owner2, &c2.id)
        .await
        .unwrap()
        .error
        .is_some());
    let rows = store.all_rows().await.unwrap();
    let row = rows.iter().find(|r| r.id == c2.id).unwrap();
    assert_eq!(row.status, "needs_reauth");
    assert_eq!(row.failures, Some(1));
    assert!(
        row.next_sync_at.unwrap() > Utc::now() + Duration::minutes(29),
        "backed off to twice the interval"
    );
    let due = store.due(Utc::now() + Duration::days(1)).await.unwrap();
    assert!(
        due.iter().all(|r| r.id != c2.id),
        "skipped until reconnected"
    );
}
