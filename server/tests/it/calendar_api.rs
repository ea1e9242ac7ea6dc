//! The calendar server functions over HTTP against Radicale: connect, list, edit, sync, delete;
//! users never reach each other's connections; the password never leaves the server, in any
//! response, page or log line.
use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use app::models::{Connection, ConnectionStatus, DiscoveredCalendar, SyncReport};
use common::radicale::{Radicale, PASSWORD, USER};

/// Every log line of the calling test, at debug level, to search for secrets. Scoped to the
/// test's thread (where its runtime also runs the server), so other tests in this binary neither
/// add to it nor fight over the global subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

async fn connect(client: &common::Client, radicale: &Radicale) -> Connection {
    let found: Vec<DiscoveredCalendar> = client
        .call(
            "test-caldav",
            &[
                ("server_url", &radicale.base),
                ("username", USER),
                ("password", PASSWORD),
            ],
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let started: Connection = client
        .call(
            "create-caldav",
            &[
                ("connection[name]", "My Radicale"),
                ("connection[server_url]", &radicale.base),
                ("connection[username]", USER),
                ("connection[password]", PASSWORD),
                ("connection[calendars][0]", &found[0].remote_id),
            ],
        )
        .await
        .unwrap();
    client.synced(&started.id).await
}

fn event(uid: &str, title: &str) -> String {
    let d = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y%m%d");
    format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\nDTSTART:{d}T100000Z\nDTEND:{d}T110000Z\nSUMMARY:{title}\nEND:VEVENT\nEND:VCALENDAR\n")
}

/// Radicale with a "Work" calendar holding one event, connected to Alice's account.
struct Connected {
    radicale: Radicale,
    server: common::TestServer,
    alice: common::Client,
    created: Connection,
}

async fn connected() -> Connected {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#3366FF").await;
    radicale
        .put_event("work", "a.ics", &event("a", "Kick-off"))
        .await;
    let server = common::start().await;
    let alice = server.user("alice-cal@example.org").await;
    let created = connect(&alice, &radicale).await;
    Connected {
        radicale,
        server,
        alice,
        created,
    }
}

/// Renames the connection to "Work calendar", 30 days back and 60 ahead.
async fn rename(c: &Connected) -> Connection {
    c.alice
        .call(
            "update-connection",
            &[
                ("update[id]", &c.created.id),
                ("update[name]", "Work calendar"),
                ("update[calendars][0]", &c.created.calendars[0].remote_id),
                ("update[sync_enabled]", "on"),
                ("update[days_back]", "30"),
                ("update[days_ahead]", "60"),
            ],
        )
        .await
        .unwrap()
}

/// The stored (sealed) credential of the only connection.
async fn sealed_credential(server: &common::TestServer) -> String {
    let stored: Vec<serde_json::Value> = server
        .services
        .db
        .query("SELECT credential FROM connection")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    stored[0]["credential"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn connecting_returns_the_connection_and_its_first_sync_follows() {
    let c = connected().await;
    let created = &c.created;
    assert_eq!(
        (
            created.name.as_str(),
            created.status,
            created.event_count,
            created.has_secret
        ),
        ("My Radicale", ConnectionStatus::Ok, 1, true)
    );
    assert!(created.last_sync_at.is_some());
    assert_eq!(created.calendars[0].color.as_deref(), Some("#3366FF"));
}

#[tokio::test]
async fn syncing_a_connection_adds_new_events() {
    let c = connected().await;
    c.radicale
        .put_event("work", "b.ics", &event("b", "Review"))
        .await;
    let report: SyncReport = c
        .alice
        .call("sync-connection", &[("id", &c.created.id)])
        .await
        .unwrap();
    assert_eq!((report.added, report.error), (1, None));
}

#[tokio::test]
async fn editing_a_connection_changes_its_settings() {
    let c = connected().await;
    let edited = rename(&c).await;
    assert_eq!(
        (
            edited.name.as_str(),
            edited.sync_enabled,
            edited.auto_log,
            edited.days_back,
            edited.days_ahead
        ),
        ("Work calendar", true, false, 30, 60)
    );
}

#[tokio::test]
async fn a_sync_window_beyond_ten_years_is_refused() {
    let c = connected().await;
    let bad: Result<Connection, _> = c
        .alice
        .call(
            "update-connection",
            &[
                ("update[id]", &c.created.id),
                ("update[name]", "x"),
                ("update[days_back]", "99999"),
                ("update[calendars][0]", "c"),
            ],
        )
        .await;
    assert!(bad.unwrap_err().to_string().contains("3650"));
}

#[tokio::test]
async fn another_user_lists_no_connections() {
    let c = connected().await;
    let mallory = c.server.user("mallory-cal@example.org").await;
    let theirs: Vec<Connection> = mallory.call("list-connections", &[]).await.unwrap();
    assert!(theirs.is_empty());
}

#[tokio::test]
async fn another_user_can_neither_sync_delete_nor_edit_a_connection() {
    let c = connected().await;
    let created = &c.created;
    let mallory = c.server.user("mallory-cal@example.org").await;
    assert!(mallory
        .call::<SyncReport>("sync-connection", &[("id", &created.id)])
        .await
        .is_err());
    assert!(mallory
        .call::<()>("delete-connection", &[("id", &created.id)])
        .await
        .is_err());
    assert!(mallory
        .call::<Connection>(
            "update-connection",
            &[
                ("update[id]", &created.id),
                ("update[name]", "pwned"),
                ("update[calendars][0]", "x")
            ]
        )
        .await
        .is_err());
}

#[tokio::test]
async fn the_password_is_stored_encrypted() {
    let c = connected().await;
    let sealed = sealed_credential(&c.server).await;
    assert!(
        sealed.starts_with("v1.") && !sealed.contains(PASSWORD),
        "stored encrypted"
    );
}

#[tokio::test]
async fn neither_password_nor_ciphertext_reaches_responses_pages_or_logs() {
    let (logs, _guard) = logs();
    let c = connected().await;
    let _: SyncReport = c
        .alice
        .call("sync-connection", &[("id", &c.created.id)])
        .await
        .unwrap();
    rename(&c).await;
    let list = c.alice.http_text("POST", "/api/list-connections").await;
    assert!(
        list.contains("Work calendar") && list.contains("\"has_secret\":true"),
        "{list}"
    );
    let page = c
        .alice
        .get("/settings/calendars")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Work calendar"),
        "the page renders the connection"
    );
    let sealed = sealed_credential(&c.server).await;
    let captured = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        captured.contains("DEBUG") || captured.contains("INFO"),
        "logs were captured"
    );
    for text in [&list, &page, &captured] {
        assert!(!text.contains(PASSWORD), "password leaked");
        assert!(!text.contains(&sealed), "ciphertext leaked");
    }
}

#[tokio::test]
async fn deleting_a_connection_removes_it_and_its_events() {
    let c = connected().await;
    c.alice
        .call::<()>("delete-connection", &[("id", &c.created.id)])
        .await
        .unwrap();
    let left: Vec<Connection> = c.alice.call("list-connections", &[]).await.unwrap();
    assert!(left.is_empty());
    let events: Vec<serde_json::Value> = c
        .server
        .services
        .db
        .query("SELECT id FROM event")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    assert!(events.is_empty());
}

#[tokio::test]
async fn connecting_requires_sign_in_and_valid_input() {
    let server = common::start().await;
    let anonymous = server.client();
    assert!(anonymous
        .call::<Vec<Connection>>("list-connections", &[])
        .await
        .is_err());
    let alice = server.user("alice-input@example.org").await;
    let missing = alice
        .call::<Vec<DiscoveredCalendar>>(
            "test-caldav",
            &[("server_url", ""), ("username", ""), ("password", "")],
        )
        .await
        .unwrap_err();
    assert!(missing.to_string().contains("server URL"), "{missing}");
    let bad_url = alice
        .call::<Vec<DiscoveredCalendar>>(
            "test-caldav",
            &[
                ("server_url", "file:///etc/passwd"),
                ("username", "a"),
                ("password", "b"),
            ],
        )
        .await
        .unwrap_err();
    assert!(
        bad_url.to_string().contains("not a valid http(s) URL"),
        "{bad_url}"
    );
}
