//! Dana's calendar on Radicale (her username is her address, so she is "self" in her meetings)
//! and connecting it to a Rondo account through the server functions, as the Settings page does.
use app::models::{Connection, DiscoveredCalendar};
use chrono::{DateTime, Duration, Utc};

use super::radicale::Radicale;
use super::{Client, TestServer};

pub const DANA: (&str, &str) = ("dana@example.org", "dana-password-123");

/// An attendee line for Bob, whom tests add as a person so meetings with him match.
pub const BOB: &str = "ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@builders.example\n";

/// Adds Bob (whom [`BOB`] invites) as one of the client's people; returns his id.
pub async fn add_bob(client: &Client) -> String {
    client
        .save_person(&[
            ("first_name", "Bob"),
            ("emails.0.address", "bob@builders.example"),
        ])
        .await
        .unwrap()
}

pub fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A one-hour event starting at `start`; `extra` adds property lines (each ending in `\n`).
pub fn event(uid: &str, title: &str, start: DateTime<Utc>, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\nDTSTART:{}\nDTEND:{}\nSUMMARY:{title}\n{extra}END:VEVENT\nEND:VCALENDAR\n",
        stamp(start),
        stamp(start + Duration::hours(1))
    )
}

fn dana_calendar(radicale: &Radicale) -> String {
    format!("{}/{}/cal/", radicale.base, DANA.0)
}

/// Creates Dana's principal and calendar unless they exist.
pub async fn dana_calendar_ready(radicale: &Radicale) {
    let http = super::http();
    // Radicale creates the principal collection on first authenticated access.
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
        .request(
            reqwest::Method::from_bytes(b"MKCALENDAR").unwrap(),
            dana_calendar(radicale),
        )
        .basic_auth(DANA.0, Some(DANA.1))
        .send()
        .await;
}

async fn put(http: reqwest::Client, url: String, ics: String) {
    let put = http
        .put(&url)
        .basic_auth(DANA.0, Some(DANA.1))
        .header("content-type", "text/calendar")
        .body(ics.replace('\n', "\r\n"))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "PUT {url}: {}", put.status());
}

/// Creates or replaces one object in Dana's calendar.
pub async fn dana_put(radicale: &Radicale, file: &str, ics: &str) {
    dana_calendar_ready(radicale).await;
    let url = format!("{}{file}", dana_calendar(radicale));
    put(super::http(), url, ics.to_string()).await;
}

/// Deletes one object from Dana's calendar.
pub async fn dana_delete(radicale: &Radicale, file: &str) {
    let url = format!("{}{file}", dana_calendar(radicale));
    let status = super::http()
        .delete(&url)
        .basic_auth(DANA.0, Some(DANA.1))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "DELETE {url}: {status}");
}

/// Creates or replaces many `(file, ics)` objects, a few requests at a time.
pub async fn dana_put_all(radicale: &Radicale, objects: Vec<(String, String)>) {
    dana_calendar_ready(radicale).await;
    let http = super::http();
    let base = dana_calendar(radicale);
    let mut objects = objects.into_iter();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < 8 {
            let Some((file, ics)) = objects.next() else {
                break;
            };
            running.spawn(put(http.clone(), format!("{base}{file}"), ics));
        }
        match running.join_next().await {
            Some(done) => done.expect("PUT task"),
            None => break,
        }
    }
}

/// Connects Dana's calendar at `base` (Radicale, or a proxy in front of it) to the signed-in
/// account, optionally with auto-logging on, and waits for the first sync.
pub async fn connect(client: &Client, base: &str, auto_log: bool) -> Connection {
    connect_named(client, base, "", auto_log).await
}

/// As [`connect`], with a connection name (empty: Rondo's default).
pub async fn connect_named(client: &Client, base: &str, name: &str, auto_log: bool) -> Connection {
    connect_as(client, base, DANA, name, auto_log).await
}

/// As [`connect_named`], as another Radicale user (`(username, password)`).
pub async fn connect_as(
    client: &Client,
    base: &str,
    (username, password): (&str, &str),
    name: &str,
    auto_log: bool,
) -> Connection {
    let found: Vec<DiscoveredCalendar> = client
        .call(
            "test-caldav",
            &[
                ("server_url", base),
                ("username", username),
                ("password", password),
            ],
        )
        .await
        .unwrap();
    let started: Connection = client
        .call(
            "create-caldav",
            &[
                ("connection[server_url]", base),
                ("connection[username]", username),
                ("connection[password]", password),
                ("connection[name]", name),
                ("connection[calendars][0]", &found[0].remote_id),
            ],
        )
        .await
        .unwrap();
    // The first sync runs in the background; wait for it as the page does.
    let created = client.synced(&started.id).await;
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

/// The id of the user who owns a connection (the store's calls are owner-scoped).
pub async fn connection_owner(server: &TestServer, connection: &Connection) -> String {
    connection_row(server, &connection.id).await.owner
}

/// A connection as stored, whoever owns it.
pub async fn connection_row(
    server: &TestServer,
    id: &str,
) -> server::calendar::store::ConnectionRow {
    server
        .services
        .calendars
        .connections
        .all_rows()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap()
}
