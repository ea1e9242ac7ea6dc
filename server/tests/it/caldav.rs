//! The CalDAV provider against a real Radicale server: discovery, first and incremental sync,
//! recurrence with exceptions, time zones, edits and deletions, broken sync tokens, ctag mode and
//! wrong credentials. A recording proxy in front of Radicale shows which requests a sync sent.
use crate::common;

use std::sync::Arc;
use std::time::Duration;

use app::models::{CalDavInput, ConnectionStatus, UserInfo};
use chrono::{DateTime, Days, NaiveDate, Utc};
use common::proxy::Recorder;
use common::radicale::{Radicale, PASSWORD, USER};
use serde_json::Value;
use server::calendar::model::{EventRecord, When};
use server::calendar::service::{CalendarSettings, Calendars};
use server::calendar::store::{CalendarRow, ObjectWrite};
use server::db::Db;
use server::matcher::Matcher;
use server::secrets::Keyring;

struct Fixture {
    db: Db,
    calendars: Arc<Calendars>,
    user: UserInfo,
}

async fn fixture() -> Fixture {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let db = server::db::memory().await.unwrap();
    let settings = CalendarSettings {
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(20),
        ..CalendarSettings::new(Keyring::generate(), true)
    };
    let calendars = Arc::new(Calendars::new(
        db.clone(),
        Arc::new(Matcher::new(db.clone())),
        settings,
    ));
    let user = UserInfo {
        id: "user-1".into(),
        email: "alice@example.org".into(),
        name: "Alice".into(),
        time_zone: "Europe/Amsterdam".into(),
    };
    Fixture {
        db,
        calendars,
        user,
    }
}

fn day(offset: i64) -> NaiveDate {
    let today = Utc::now().date_naive();
    if offset >= 0 {
        today.checked_add_days(Days::new(offset as u64)).unwrap()
    } else {
        today.checked_sub_days(Days::new((-offset) as u64)).unwrap()
    }
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

fn vevent(body: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Rondo tests//EN\n{}\nEND:VCALENDAR\n",
        body.trim()
    )
}

fn single(title: &str) -> String {
    let d = ymd(day(1));
    vevent(&format!(
        "BEGIN:VEVENT\nUID:single-1\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=Europe/Berlin:{d}T100000\nDTEND;TZID=Europe/Berlin:{d}T110000\nSUMMARY:{title}\nLOCATION:https://meet.google.com/abc-defg-hij\nORGANIZER;CN=Alice:mailto:alice@example.org\nATTENDEE;CN=Bob Builder;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:Bob@Example.com\nATTENDEE;CN=Carol;PARTSTAT=TENTATIVE;ROLE=OPT-PARTICIPANT:mailto:carol@example.com\nEND:VEVENT"
    ))
}

fn all_day() -> String {
    vevent(&format!("BEGIN:VEVENT\nUID:allday-1\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:{}\nDTEND;VALUE=DATE:{}\nSUMMARY:Offsite\nEND:VEVENT", ymd(day(2)), ymd(day(4))))
}

fn multi_zone() -> String {
    let d = ymd(day(3));
    vevent(&format!(
        "BEGIN:VEVENT\nUID:flight-1\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=America/New_York:{d}T180000\nDTEND;TZID=Europe/London:{}T070000\nSUMMARY:Flight to London\nEND:VEVENT",
        ymd(day(4))
    ))
}

/// Weekly for 8 weeks from three weeks ago: the 2nd occurrence excluded, the 3rd moved to 14:00.
fn recurring() -> String {
    let first = day(-21);
    let second = ymd(first + Days::new(7));
    let third = ymd(first + Days::new(14));
    vevent(&format!(
        "BEGIN:VEVENT\nUID:weekly-1\nDTSTAMP:20260101T000000Z\nDTSTART;TZID=Europe/Amsterdam:{f}T090000\nDTEND;TZID=Europe/Amsterdam:{f}T093000\nRRULE:FREQ=WEEKLY;COUNT=8\nEXDATE;TZID=Europe/Amsterdam:{second}T090000\nSUMMARY:Weekly sync\nEND:VEVENT\nBEGIN:VEVENT\nUID:weekly-1\nDTSTAMP:20260101T000000Z\nRECURRENCE-ID;TZID=Europe/Amsterdam:{third}T090000\nDTSTART;TZID=Europe/Amsterdam:{third}T140000\nDTEND;TZID=Europe/Amsterdam:{third}T150000\nSUMMARY:Weekly sync (moved)\nEND:VEVENT",
        f = ymd(first)
    ))
}

fn broken() -> String {
    let d = ymd(day(5));
    vevent(&format!("BEGIN:VEVENT\nUID:broken-1\nDTSTAMP:20260101T000000Z\nDTSTART:{d}T120000Z\nDTEND:{d}T100000Z\nSUMMARY:Ends before it starts\nEND:VEVENT"))
}

async fn events(db: &Db) -> Vec<Value> {
    let mut r = db
        .query("SELECT uid, recurrence_id, title, starts_at, ends_at, all_day, start_date, end_date, time_zone, status, organizer, attendees, meeting_url FROM event ORDER BY starts_at")
        .await
        .unwrap();
    r.take::<Vec<Value>>(0).unwrap()
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("datetime expected, got {v}"))
}

async fn connect(f: &Fixture, server: &str, calendars: Vec<String>) -> String {
    let input = CalDavInput {
        name: "Radicale".into(),
        server_url: server.into(),
        username: USER.into(),
        password: PASSWORD.into(),
        calendars,
        all_calendars: false,
        sync_frequency: None,
    };
    let id = f
        .calendars
        .create_caldav(&f.user, input)
        .await
        .expect("connect")
        .id;
    // The first sync runs in the background: joining it waits for its end.
    let first = f.calendars.start_sync(&f.user.id, &id).await.unwrap();
    first.report().await;
    id
}

/// Discovers the account's calendars and connects with every one ticked.
/// An hour-long meeting as a sync would hand it to the store.
fn hour_long(uid: &str, title: &str, start: chrono::DateTime<Utc>) -> EventRecord {
    EventRecord {
        uid: uid.into(),
        recurrence_id: None,
        title: title.into(),
        description: None,
        location: None,
        start: When::At(start),
        end: When::At(start + chrono::Duration::hours(1)),
        time_zone: None,
        status: app::models::EventStatus::Confirmed,
        organizer: None,
        attendees: vec![],
        meeting_url: None,
        last_modified: None,
        out_of_office: false,
        web_url: None,
    }
}

async fn connect_all(f: &Fixture, server: &str) -> String {
    let found = f
        .calendars
        .test_caldav(&f.user.id, server, USER, PASSWORD)
        .await
        .unwrap();
    connect(f, server, found.into_iter().map(|c| c.remote_id).collect()).await
}

/// The connection's first calendar, as stored.
async fn first_calendar(f: &Fixture, connection: &str) -> CalendarRow {
    f.calendars
        .connections
        .calendars(&f.user.id, connection)
        .await
        .unwrap()
        .remove(0)
}

/// Radicale with a "Work" calendar holding one meeting, connected with every calendar ticked.
async fn connected_with_one_event() -> (Radicale, Fixture, String) {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#FF2968FF").await;
    radicale
        .put_event("work", "single.ics", &single("Planning"))
        .await;
    let f = fixture().await;
    let id = connect_all(&f, &radicale.base).await;
    (radicale, f, id)
}

/// The form without JavaScript adds an account in one post: nothing tested first, every
/// calendar found is synced.
#[tokio::test]
async fn connecting_with_all_calendars_ticks_every_one_found() {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#FF2968FF").await;
    radicale.make_calendar("home", "Home", "#1BADF8").await;
    let f = fixture().await;
    let connection = f
        .calendars
        .create_caldav(
            &f.user,
            CalDavInput {
                name: String::new(),
                server_url: radicale.base.clone(),
                username: USER.into(),
                password: PASSWORD.into(),
                calendars: vec![],
                all_calendars: true,
                sync_frequency: None,
            },
        )
        .await
        .expect("connect");
    let mut selected: Vec<_> = connection
        .calendars
        .iter()
        .filter(|c| c.selected)
        .map(|c| c.name.as_str())
        .collect();
    selected.sort();
    assert_eq!(selected, ["Home", "Work"]);
    // Without the flag, nothing ticked is refused as before.
    let refused = f
        .calendars
        .create_caldav(
            &f.user,
            CalDavInput {
                server_url: radicale.base.clone(),
                username: USER.into(),
                password: PASSWORD.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("Tick at least one calendar"),
        "{refused}"
    );
}

#[tokio::test]
async fn discovery_finds_event_calendars_from_the_base_url() {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#FF2968FF").await;
    radicale.make_calendar("home", "Home", "#1BADF8").await;
    let f = fixture().await;
    let mut found = f
        .calendars
        .test_caldav(&f.user.id, &radicale.base, USER, PASSWORD)
        .await
        .unwrap();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|c| (c.name.as_str(), c.color.as_deref()))
        .collect();
    assert_eq!(
        names,
        vec![("Home", Some("#1BADF8")), ("Work", Some("#FF2968"))]
    );
    assert!(
        found[1].remote_id.ends_with("/alice/work/"),
        "{}",
        found[1].remote_id
    );
    // A calendar URL pasted directly also works.
    let direct = f
        .calendars
        .test_caldav(&f.user.id, &radicale.calendar_url("work"), USER, PASSWORD)
        .await
        .unwrap();
    assert!(direct.iter().any(|c| c.name == "Work"));
    // Wrong password: a clear message, and the secret is nowhere in it.
    let wrong = f
        .calendars
        .test_caldav(&f.user.id, &radicale.base, USER, "not-the-password")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        wrong.contains("rejected the username or password"),
        "{wrong}"
    );
    assert!(!wrong.contains("not-the-password"));
    // Nothing was stored by testing.
    assert!(f.calendars.list(&f.user.id).await.unwrap().is_empty());
}

/// Radicale with a "Work" calendar holding one event of every kind (timed, all-day, across two
/// zones, recurring with exceptions, malformed), connected through a recording proxy; the
/// connect ran the first sync.
struct Synced {
    radicale: Radicale,
    proxy: Recorder,
    f: Fixture,
    id: String,
}

async fn synced_every_kind() -> Synced {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#FF2968FF").await;
    for (file, ics) in [
        ("single.ics", single("Planning")),
        ("allday.ics", all_day()),
        ("flight.ics", multi_zone()),
        ("weekly.ics", recurring()),
        ("broken.ics", broken()),
    ] {
        radicale.put_event("work", file, &ics).await;
    }
    let proxy = Recorder::start(&radicale.base).await;
    let f = fixture().await;
    let id = connect_all(&f, &proxy.base).await;
    Synced {
        radicale,
        proxy,
        f,
        id,
    }
}

/// The stored events (occurrences) with this UID.
async fn by_uid(db: &Db, uid: &str) -> Vec<Value> {
    events(db)
        .await
        .into_iter()
        .filter(|e| e["uid"] == uid)
        .collect()
}

/// The local time `h:00` on `day` in `zone`, in UTC.
fn local(day: NaiveDate, h: u32, zone: chrono_tz::Tz) -> DateTime<Utc> {
    day.and_hms_opt(h, 0, 0)
        .unwrap()
        .and_local_timezone(zone)
        .unwrap()
        .with_timezone(&Utc)
}

/// On the server, the single meeting is renamed and the all-day event deleted; then a sync.
async fn edit_and_delete_then_sync(s: &Synced) -> app::models::SyncReport {
    s.radicale
        .put_event("work", "single.ics", &single("Planning (new room)"))
        .await;
    s.radicale.delete_event("work", "allday.ics").await;
    s.f.calendars.sync(&s.f.user.id, &s.id).await.unwrap()
}

#[tokio::test]
async fn the_first_sync_leaves_the_connection_ok_and_counts_every_event() {
    let s = synced_every_kind().await;
    let connection = s.f.calendars.get(&s.f.user.id, &s.id).await.unwrap();
    assert_eq!(
        connection.status,
        ConnectionStatus::Ok,
        "{:?}",
        connection.last_error
    );
    assert_eq!(connection.event_count as usize, events(&s.f.db).await.len());
}

#[tokio::test]
async fn a_timed_event_keeps_its_zone_link_attendees_and_organizer() {
    let s = synced_every_kind().await;
    let single_ev = &by_uid(&s.f.db, "single-1").await[0];
    assert_eq!(single_ev["title"], "Planning");
    assert_eq!(single_ev["time_zone"], "Europe/Berlin");
    assert_eq!(
        single_ev["meeting_url"],
        "https://meet.google.com/abc-defg-hij"
    );
    assert_eq!(
        at(&single_ev["starts_at"]),
        local(day(1), 10, chrono_tz::Europe::Berlin)
    );
    let attendees = single_ev["attendees"].as_array().unwrap();
    assert_eq!(attendees.len(), 2);
    assert_eq!(attendees[0]["email"], "Bob@Example.com");
    assert_eq!(attendees[0]["response"], "accepted");
    assert_eq!(attendees[1]["role"], "opt-participant");
    assert_eq!(single_ev["organizer"]["email"], "alice@example.org");
}

#[tokio::test]
async fn an_all_day_event_is_stored_by_its_dates() {
    let s = synced_every_kind().await;
    let allday = &by_uid(&s.f.db, "allday-1").await[0];
    assert_eq!(allday["all_day"], true);
    assert_eq!(allday["start_date"], day(2).to_string());
    assert_eq!(allday["end_date"], day(4).to_string());
}

#[tokio::test]
async fn an_event_starting_and_ending_in_different_zones_keeps_both_ends() {
    let s = synced_every_kind().await;
    let flight = &by_uid(&s.f.db, "flight-1").await[0];
    assert_eq!(
        at(&flight["starts_at"]),
        local(day(3), 18, chrono_tz::America::New_York)
    );
    assert_eq!(
        at(&flight["ends_at"]),
        local(day(4), 7, chrono_tz::Europe::London)
    );
}

#[tokio::test]
async fn a_recurring_event_is_stored_as_occurrences_without_the_excluded_one() {
    let s = synced_every_kind().await;
    let weekly = by_uid(&s.f.db, "weekly-1").await;
    assert_eq!(
        weekly.len(),
        7,
        "8 occurrences minus one EXDATE: {weekly:#?}"
    );
    let excluded = local(day(-21) + Days::new(7), 9, chrono_tz::Europe::Amsterdam);
    assert!(
        weekly.iter().all(|e| at(&e["starts_at"]) != excluded),
        "EXDATE occurrence must be gone"
    );
    assert!(
        weekly.iter().all(|e| e["recurrence_id"] != ""),
        "occurrences carry their recurrence id"
    );
}

#[tokio::test]
async fn a_moved_occurrence_is_stored_at_its_new_time() {
    let s = synced_every_kind().await;
    let weekly = by_uid(&s.f.db, "weekly-1").await;
    let moved: Vec<_> = weekly
        .iter()
        .filter(|e| e["title"] == "Weekly sync (moved)")
        .collect();
    assert_eq!(moved.len(), 1);
    assert_eq!(
        at(&moved[0]["starts_at"]),
        local(day(-21) + Days::new(14), 14, chrono_tz::Europe::Amsterdam)
    );
}

#[tokio::test]
async fn a_malformed_event_is_skipped() {
    let s = synced_every_kind().await;
    assert!(
        by_uid(&s.f.db, "broken-1").await.is_empty(),
        "the malformed event is skipped"
    );
}

#[tokio::test]
async fn an_unchanged_calendar_syncs_with_one_request_and_changes_nothing() {
    let s = synced_every_kind().await;
    let stored = events(&s.f.db).await;
    s.proxy.take();
    let report = s.f.calendars.sync(&s.f.user.id, &s.id).await.unwrap();
    assert_eq!(
        (
            report.added,
            report.changed,
            report.removed,
            report.error.as_deref()
        ),
        (0, 0, 0, None)
    );
    assert_eq!(
        report.warnings.len(),
        0,
        "the broken event is not refetched: {:?}",
        report.warnings
    );
    assert_eq!(s.proxy.take(), vec!["REPORT sync-collection"]);
    assert_eq!(events(&s.f.db).await, stored);
}

#[tokio::test]
async fn an_incremental_sync_fetches_only_the_changed_events() {
    let s = synced_every_kind().await;
    s.proxy.take();
    let report = edit_and_delete_then_sync(&s).await;
    assert_eq!(
        (report.added, report.changed, report.removed),
        (0, 1, 1),
        "{report:?}"
    );
    assert_eq!(
        s.proxy.take(),
        vec!["REPORT sync-collection", "REPORT calendar-multiget"]
    );
}

#[tokio::test]
async fn edits_and_deletions_made_on_the_server_arrive() {
    let s = synced_every_kind().await;
    let total = events(&s.f.db).await.len();
    edit_and_delete_then_sync(&s).await;
    let after = events(&s.f.db).await;
    assert_eq!(after.len(), total - 1);
    assert!(after.iter().any(|e| e["title"] == "Planning (new room)"));
    assert!(!after.iter().any(|e| e["uid"] == "allday-1"));
}

#[tokio::test]
async fn a_broken_sync_token_triggers_a_full_resync() {
    let (radicale, f, id) = connected_with_one_event().await;
    assert_eq!(events(&f.db).await.len(), 1);

    // The token goes bad, an event appears on the server, and a stale object lingers locally.
    f.db.query("UPDATE calendar SET sync_token = 'http://radicale.org/ns/sync/0000000000000000000000000000000000000000'").await.unwrap().check().unwrap();
    let calendar = first_calendar(&f, &id).await;
    let stale = hour_long("ghost-1", "Ghost", Utc::now() + chrono::Duration::hours(2));
    f.calendars
        .events
        .replace_objects(
            &f.user.id,
            calendar.key(),
            &[ObjectWrite {
                known: false,
                href: "/alice/work/ghost.ics",
                etag: "\"ghost\"",
                data: None,
                events: &[stale],
            }],
            &Default::default(),
        )
        .await
        .unwrap();
    radicale.put_event("work", "allday.ics", &all_day()).await;

    let report = f.calendars.sync(&f.user.id, &id).await.unwrap();
    assert_eq!(report.error, None);
    assert_eq!((report.added, report.removed), (1, 1), "{report:?}");
    let uids: Vec<String> = events(&f.db)
        .await
        .iter()
        .map(|e| e["uid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(uids.len(), 2);
    assert!(
        uids.contains(&"allday-1".to_string()) && uids.contains(&"single-1".to_string()),
        "{uids:?}"
    );
    let calendar = first_calendar(&f, &id).await;
    assert!(
        calendar
            .sync_token
            .as_deref()
            .is_some_and(|t| !t.ends_with("0000000000")),
        "a fresh token is stored"
    );
}

#[tokio::test]
async fn without_sync_collection_the_ctag_and_etags_drive_the_sync() {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#FF2968FF").await;
    radicale
        .put_event("work", "single.ics", &single("Planning"))
        .await;
    radicale.put_event("work", "weekly.ics", &recurring()).await;
    let proxy = Recorder::start(&radicale.base).await;
    let f = fixture().await;
    let id = connect_all(&f, &proxy.base).await;
    // Behave like a server without RFC 6578, starting over.
    f.db.query("UPDATE calendar SET supports_sync = false, sync_token = NONE; DELETE event; DELETE calendar_object;").await.unwrap().check().unwrap();
    proxy.take();

    let report = f.calendars.sync(&f.user.id, &id).await.unwrap();
    assert_eq!(report.added, 8, "{report:?}");
    assert_eq!(
        proxy.take(),
        vec![
            "PROPFIND",
            "REPORT calendar-query",
            "REPORT calendar-multiget"
        ]
    );

    // Unchanged: one small PROPFIND for the ctag.
    let report = f.calendars.sync(&f.user.id, &id).await.unwrap();
    assert_eq!((report.added, report.changed, report.removed), (0, 0, 0));
    assert_eq!(proxy.take(), vec!["PROPFIND"]);

    // A deletion on the server changes the ctag and is found by the ETag diff.
    radicale.delete_event("work", "single.ics").await;
    let report = f.calendars.sync(&f.user.id, &id).await.unwrap();
    assert_eq!(
        (report.added, report.changed, report.removed),
        (0, 0, 1),
        "{report:?}"
    );
    assert_eq!(proxy.take(), vec!["PROPFIND", "REPORT calendar-query"]);
}

#[tokio::test]
async fn a_wrong_password_sets_needs_reauthentication_without_losing_events() {
    let (radicale, f, id) = connected_with_one_event().await;

    // The password changes at the server's side: simulate by storing a wrong one.
    let sealed = server::calendar::credentials::seal(
        &f.calendars.settings.keyring,
        &f.user.id,
        &id,
        "an-old-password",
    );
    f.calendars
        .connections
        .set_credential(&f.user.id, &id, Some(sealed))
        .await
        .unwrap();
    let report = f.calendars.sync(&f.user.id, &id).await.unwrap();
    let message = report.error.expect("sync fails");
    assert!(
        message.contains("rejected the username or password"),
        "{message}"
    );
    let connection = f.calendars.get(&f.user.id, &id).await.unwrap();
    assert_eq!(connection.status, ConnectionStatus::NeedsReauth);
    assert_eq!(connection.last_error.as_deref(), Some(message.as_str()));
    assert_eq!(events(&f.db).await.len(), 1, "stored events are kept");

    // Connecting with a wrong password is refused before anything is stored.
    let input = CalDavInput {
        name: String::new(),
        server_url: radicale.base.clone(),
        username: USER.into(),
        password: "wrong".into(),
        calendars: f
            .calendars
            .connections
            .calendars(&f.user.id, &id)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.remote_id)
            .collect(),
        all_calendars: false,
        sync_frequency: None,
    };
    assert!(f.calendars.create_caldav(&f.user, input).await.is_err());
    assert_eq!(f.calendars.list(&f.user.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let radicale = Radicale::start().await;
    let f = fixture().await;
    let strict = Calendars::new(
        f.db.clone(),
        Arc::new(Matcher::new(f.db.clone())),
        CalendarSettings {
            allow_private_servers: false,
            ..f.calendars.settings.clone()
        },
    );
    let error = strict
        .test_caldav(&f.user.id, &radicale.base, USER, PASSWORD)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("private or local network"), "{error}");
}

#[tokio::test]
async fn key_rotation_reencrypts_credentials_without_losing_them() {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#FF2968FF").await;
    radicale
        .put_event("work", "single.ics", &single("Planning"))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("secret.key");
    let original = server::secrets::KeyringSource::from_file(&key_file).unwrap();
    let old_id = original.current().current_id().to_string();
    let mut f = fixture().await;
    Arc::get_mut(&mut f.calendars)
        .expect("not shared yet")
        .settings
        .keyring = Arc::new(original);
    let running = Calendars::new(
        f.db.clone(),
        Arc::new(Matcher::new(f.db.clone())),
        f.calendars.settings.clone(),
    );
    let id = connect_all(&f, &radicale.base).await;

    let rotation = server::keys::rotate(&f.db, &key_file).await.unwrap();
    assert_eq!(rotation.resealed, 1);
    assert_ne!(rotation.key_id, old_id);
    let row = f.calendars.connections.row(&f.user.id, &id).await.unwrap();
    assert!(
        row.credential
            .as_deref()
            .unwrap()
            .starts_with(&format!("v1.{}.", rotation.key_id)),
        "re-encrypted with the new key"
    );

    // A server that was running all along (sharing the database) meets the new key id: it
    // re-reads the key file once and syncs as before.
    let report = running.sync(&f.user.id, &id).await.unwrap();
    assert_eq!(report.error, None);
    assert_eq!(running.settings.keyring.reloads(), 1);
    running.sync(&f.user.id, &id).await.unwrap();
    assert_eq!(
        running.settings.keyring.reloads(),
        1,
        "once, not on every use"
    );

    // A server started with the rotated key file syncs as before.
    let rotated = server::secrets::load_or_create_key_file(&key_file).unwrap();
    assert_eq!(rotated.current_id(), rotation.key_id);
    let after = Calendars::new(
        f.db.clone(),
        Arc::new(Matcher::new(f.db.clone())),
        CalendarSettings {
            keyring: Arc::new(rotated.into()),
            ..f.calendars.settings.clone()
        },
    );
    after.verify_key().await.unwrap();
    let report = after.sync(&f.user.id, &id).await.unwrap();
    assert_eq!(report.error, None);
    // A stranger key is refused at start-up instead of failing silently later.
    let stranger = Calendars::new(
        f.db.clone(),
        Arc::new(Matcher::new(f.db.clone())),
        CalendarSettings {
            keyring: Arc::new(Keyring::generate().into()),
            ..f.calendars.settings.clone()
        },
    );
    assert!(stranger.verify_key().await.is_err());
}

/// New objects are inserted without lookups; one stored meanwhile (by another sync) makes the
/// unique index refuse the batch, which is written again with lookups: one copy of each.
#[tokio::test]
async fn an_object_stored_meanwhile_is_replaced_not_duplicated() {
    let (_radicale, f, id) = connected_with_one_event().await;
    let calendar = first_calendar(&f, &id).await;
    let write = |title: &'static str, etag: &'static str| {
        let event = hour_long("twice-1", title, Utc::now() + chrono::Duration::hours(4));
        let (f, key) = (&f, calendar.key());
        async move {
            f.calendars
                .events
                .replace_objects(
                    &f.user.id,
                    key,
                    &[
                        ObjectWrite {
                            known: false,
                            href: "/alice/work/twice.ics",
                            etag,
                            data: Some("BEGIN:VCALENDAR"),
                            events: &[event],
                        },
                        ObjectWrite {
                            known: false,
                            href: &format!("/alice/work/other-{etag}.ics"),
                            etag,
                            data: None,
                            events: &[],
                        },
                    ],
                    &Default::default(),
                )
                .await
                .unwrap()
        }
    };
    write("First", "\"1\"").await;
    write("Second", "\"2\"").await;
    let twice: Vec<Value> = events(&f.db)
        .await
        .into_iter()
        .filter(|e| e["uid"] == "twice-1")
        .collect();
    assert_eq!(twice.len(), 1, "{twice:?}");
    assert_eq!(twice[0]["title"], "Second");
    let objects: Vec<Value> =
        f.db.query("SELECT etag FROM calendar_object WHERE href = '/alice/work/twice.ics'")
            .await
            .unwrap()
            .take(0)
            .unwrap();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0]["etag"], "\"2\"");
    let others: Vec<Value> = f
        .db
        .query("SELECT href FROM calendar_object WHERE string::starts_with(href, '/alice/work/other-')")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    assert_eq!(others.len(), 2, "{others:?}");
}

/// What a sync still running would write next into `calendar`: one new meeting.
async fn write_late(
    f: &Fixture,
    calendar: &CalendarRow,
) -> Result<server::calendar::model::Changes, server::error::StoreError> {
    let late = hour_long("late-1", "Late", Utc::now() + chrono::Duration::hours(3));
    let write = ObjectWrite {
        known: false,
        href: "/alice/work/late.ics",
        etag: "\"late\"",
        data: None,
        events: &[late],
    };
    (f.calendars.events)
        .replace_objects(&f.user.id, calendar.key(), &[write], &Default::default())
        .await
}

#[tokio::test]
async fn a_sync_that_outlives_its_deleted_connection_stores_nothing() {
    let (_radicale, f, id) = connected_with_one_event().await;
    let calendar = first_calendar(&f, &id).await;
    f.calendars.delete(&f.user, &id).await.unwrap();
    assert!(events(&f.db).await.is_empty());

    // What a sync still running at that moment would write next.
    let written = write_late(&f, &calendar).await;
    assert!(written.is_err(), "{written:?}");
    assert!(events(&f.db).await.is_empty(), "no zombie events");
    let objects: Vec<Value> =
        f.db.query("SELECT * FROM calendar_object")
            .await
            .unwrap()
            .take(0)
            .unwrap();
    assert!(objects.is_empty(), "{objects:?}");
}

/// A sync still running when its calendar is unticked stores nothing more there (the
/// calendar is no longer hidden once cleared, so a late write would show), and ends well.
#[tokio::test]
async fn a_sync_that_outlives_its_calendar_being_unticked_stores_nothing() {
    let (_radicale, f, id) = connected_with_one_event().await;
    let calendar = first_calendar(&f, &id).await;
    let none = std::collections::HashSet::new();
    let unticked = server::calendar::store::ConnectionSettings::new("Work", &none);
    (f.calendars.connections)
        .update_settings(&f.user.id, &id, unticked, &server::clock::SystemClock)
        .await
        .unwrap();
    assert!(events(&f.db).await.is_empty());

    let written = write_late(&f, &calendar).await;
    assert!(
        matches!(written, Err(server::error::StoreError::Unticked)),
        "{written:?}"
    );
    assert!(events(&f.db).await.is_empty(), "no zombie events");
    let hidden = f.calendars.connections.hidden_calendars(&f.user.id).await;
    assert!(hidden.unwrap().is_empty(), "cleared, so not hidden");
}

#[tokio::test]
async fn connection_tests_are_limited_per_user_per_minute() {
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#FF2968FF").await;
    let f = fixture().await;
    for _ in 0..server::calendar::service::DISCOVERIES_PER_MINUTE {
        f.calendars
            .test_caldav(&f.user.id, &radicale.base, USER, PASSWORD)
            .await
            .expect("within the limit");
    }
    let refused = f
        .calendars
        .test_caldav(&f.user.id, &radicale.base, USER, PASSWORD)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("Too many connection attempts"),
        "{refused}"
    );
    f.calendars
        .test_caldav("someone-else", &radicale.base, USER, PASSWORD)
        .await
        .expect("other users are not affected");
}
