//! Google Calendar end to end against the fake Google in `server/fake_google`: the OAuth flow
//! (PKCE, state, callback errors), full then incremental sync with paging, cancelled instances,
//! 410 recovery, token refresh, revocation → "needs re-authentication" → Reconnect, rate-limit
//! retries, and tokens that never leave the server unencrypted.
use crate::common;

use std::sync::Arc;
use std::time::Duration;

use app::models::{Connection, ConnectionStatus, GoogleProblem, SyncReport};
use chrono::{DateTime, Utc};
use fake_google::{Config as FakeConfig, Failure, FakeGoogle};
use serde_json::{json, Value};
use server::calendar::google::{GoogleEndpoints, GoogleSettings};
use server::calendar::retry::RetryPolicy;
use server::calendar::service::CalendarSettings;
use server::clock::{Clock, ManualClock, SystemClock};

const ACCOUNT: &str = "person@example.com";

struct Setup {
    fake: FakeGoogle,
    rondo: common::TestServer,
    client: common::Client,
}

fn google_settings(fake: &FakeGoogle, public_url: String) -> GoogleSettings {
    let config = fake.config();
    GoogleSettings {
        client_id: Some(config.client_id),
        client_secret: Some(config.client_secret.into()),
        endpoints: GoogleEndpoints {
            auth_url: fake.auth_url(),
            token_url: fake.token_url(),
            revoke_url: fake.revoke_url(),
            userinfo_url: fake.userinfo_url(),
            api_url: fake.calendar_api_url(),
        },
        public_url,
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(2),
        },
        request_timeout: Duration::from_secs(30),
        proxy: None,
    }
}

async fn setup_with(config: FakeConfig) -> Setup {
    setup_on(config, Arc::new(SystemClock)).await
}

async fn setup_on(config: FakeConfig, clock: Arc<dyn Clock>) -> Setup {
    setup_custom(config, |s| s.clock = clock).await
}

async fn setup_custom(config: FakeConfig, adjust: impl FnOnce(&mut CalendarSettings)) -> Setup {
    let fake = FakeGoogle::start(config).await;
    let rondo = common::start_with(|s| {
        s.google = google_settings(&fake, s.google.public_url.clone());
        adjust(s);
    })
    .await;
    let client = rondo.user("owner@example.com").await;
    Setup {
        fake,
        rondo,
        client,
    }
}

async fn setup() -> Setup {
    setup_with(FakeConfig::default()).await
}

fn location(response: &reqwest::Response) -> String {
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {}",
        response.status()
    );
    response.headers()["location"].to_str().unwrap().to_string()
}

fn at(hours_from_now: i64) -> DateTime<Utc> {
    let now = Utc::now();
    let hour = now - chrono::Duration::seconds(now.timestamp() % 3600);
    hour + chrono::Duration::hours(hours_from_now)
}

fn meeting(id: &str, start: DateTime<Utc>, title: &str) -> Value {
    json!({
        "id": id,
        "summary": title,
        "start": {"dateTime": start.to_rfc3339(), "timeZone": "Europe/Amsterdam"},
        "end": {"dateTime": (start + chrono::Duration::minutes(30)).to_rfc3339(), "timeZone": "Europe/Amsterdam"},
        "organizer": {"email": ACCOUNT, "self": true},
        "attendees": [
            {"email": ACCOUNT, "self": true, "organizer": true, "responseStatus": "accepted"},
            {"email": "ana@example.org", "displayName": "Ana Lima", "responseStatus": "accepted"},
            {"email": "room-4@resource.calendar.google.com", "displayName": "Room 4", "resource": true, "responseStatus": "accepted"}
        ],
        "hangoutLink": "https://meet.google.com/abc-defg-hij"
    })
}

impl Setup {
    /// Runs the browser's part of the flow: Rondo → consent (Allow) → callback. Returns where
    /// the callback sent the browser.
    async fn connect_via(&self, start_path: &str) -> String {
        let auth_url = location(&self.client.get(start_path).await);
        assert!(auth_url.starts_with(&self.fake.auth_url()), "{auth_url}");
        let back = self.fake.consent(&auth_url).await;
        self.callback(&back).await
    }

    async fn callback(&self, url: &str) -> String {
        let path = url.strip_prefix(&self.rondo.base).expect("back at Rondo");
        location(&self.client.get(path).await)
    }

    async fn connections(&self) -> Vec<Connection> {
        self.client.call("list-connections", &[]).await.unwrap()
    }

    async fn connection(&self) -> Connection {
        let mut list = self.connections().await;
        assert_eq!(list.len(), 1, "{list:?}");
        list.remove(0)
    }

    /// Connects a new account and waits for the first (background) sync to finish.
    async fn connect(&self) -> Connection {
        let back = self.connect_via("/oauth/google/start").await;
        assert!(back.starts_with("/settings/calendars?connected="), "{back}");
        let connection = self.connection().await;
        self.wait_for_runs(&connection.id, 1).await;
        self.connection().await
    }

    async fn wait_for_runs(&self, id: &str, runs: usize) {
        let owner = self.owner().await;
        for _ in 0..300 {
            let history = self
                .rondo
                .services
                .calendars
                .history(&owner, id)
                .await
                .unwrap();
            if history.len() >= runs {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("sync run {runs} of {id} did not finish");
    }

    async fn owner(&self) -> String {
        let user: Option<app::models::UserInfo> =
            self.client.call("current-user", &[]).await.unwrap();
        user.unwrap().id
    }

    async fn sync(&self, id: &str) -> SyncReport {
        self.client
            .call("sync-connection", &[("id", id)])
            .await
            .unwrap()
    }

    fn event_requests(&self) -> Vec<fake_google::LoggedRequest> {
        self.fake
            .requests_to("/calendar/v3/calendars/")
            .into_iter()
            .filter(|r| !r.injected)
            .collect()
    }
}

#[tokio::test]
async fn connect_then_full_and_incremental_sync_across_600_events() {
    let s = setup().await;
    s.fake.set_calendars(vec![
        fake_google::Calendar::primary(ACCOUNT),
        fake_google::Calendar::new("team@group.calendar.google.com", "Team"),
        fake_google::Calendar::new("boss@example.com", "Boss (free/busy)")
            .with_access_role("freeBusyReader"),
    ]);
    for i in 0..600 {
        s.fake.put_event(
            "primary",
            meeting(&format!("ev{i:03}"), at(i - 300), &format!("Meeting {i}")),
        );
    }
    let connection = s.connect().await;
    assert_eq!(connection.provider, app::models::Provider::Google);
    assert_eq!(connection.username.as_deref(), Some(ACCOUNT));
    assert_eq!(connection.status, ConnectionStatus::Ok, "{connection:?}");
    let mut chosen: Vec<_> = connection
        .calendars
        .iter()
        .map(|c| (c.name.as_str(), c.selected))
        .collect();
    chosen.sort();
    assert_eq!(
        chosen,
        vec![("Team", false), (ACCOUNT, true)],
        "the primary calendar is chosen; free/busy-only ones are not offered"
    );
    assert_eq!(connection.event_count, 600);
    // The background first sync is over: no progress left, its result shown.
    assert_eq!(connection.progress, None);
    let run = connection.last_run.as_ref().expect("the first run");
    assert_eq!((run.added, run.error.as_deref()), (600, None));

    // The first sync: three pages bounded by the window, ending with a sync token.
    let first = s.event_requests();
    assert_eq!(first.len(), 3, "{first:?}");
    for (i, r) in first.iter().enumerate() {
        assert_eq!(
            r.query.get("singleEvents").map(String::as_str),
            Some("true")
        );
        assert_eq!(r.query.get("showDeleted").map(String::as_str), Some("true"));
        assert_eq!(r.query.get("maxResults").map(String::as_str), Some("250"));
        assert!(r.query.contains_key("timeMin") && r.query.contains_key("timeMax"));
        assert!(!r.query.contains_key("syncToken"));
        assert_eq!(r.query.contains_key("pageToken"), i > 0);
    }

    // Nothing changed: one request with only the sync token.
    s.fake.clear_requests();
    let report = s.sync(&connection.id).await;
    assert_eq!(
        (report.added, report.changed, report.removed),
        (0, 0, 0),
        "{report:?}"
    );
    let second = s.event_requests();
    assert_eq!(second.len(), 1);
    assert!(second[0].query.contains_key("syncToken"));
    assert!(!second[0].query.contains_key("timeMin"));

    // An edit, a new meeting and a cancellation arrive as exactly that.
    s.fake
        .put_event("primary", meeting("ev010", at(-290), "Renamed meeting"));
    s.fake
        .put_event("primary", meeting("new1", at(5), "Brand new"));
    s.fake.cancel_event("primary", "ev020");
    let report = s.sync(&connection.id).await;
    assert_eq!(
        (report.added, report.changed, report.removed),
        (1, 1, 1),
        "{report:?}"
    );
    assert_eq!(s.connection().await.event_count, 600);

    let owner = s.owner().await;
    let titles: Vec<String> = s
        .rondo
        .services
        .db
        .query("SELECT VALUE title FROM event WHERE owner = $owner AND title IN ['Renamed meeting', 'Brand new', 'Meeting 20']")
        .bind(("owner", owner))
        .await
        .unwrap()
        .take(0)
        .unwrap();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(!titles.contains(&"Meeting 20".to_string()));
}

#[tokio::test]
async fn stored_meetings_keep_attendees_rooms_all_day_dates_and_the_meet_link() {
    let s = setup().await;
    s.fake
        .put_event("primary", meeting("m1", at(2), "Planning"));
    s.fake.put_event(
        "primary",
        json!({"id": "allday", "summary": "Offsite", "start": {"date": "2026-12-01"}, "end": {"date": "2026-12-02"}}),
    );
    let person = s
        .client
        .save_person(&[
            ("first_name", "Ana"),
            ("last_name", "Lima"),
            ("emails.0.address", "ana@example.org"),
        ])
        .await
        .unwrap();
    let connection = s.connect().await;
    assert_eq!(connection.event_count, 2);
    let meetings: app::models::Page<app::models::Meeting> = s
        .client
        .call(
            "person-meetings",
            &[("person_id", &person), ("scope", "upcoming"), ("page", "0")],
        )
        .await
        .unwrap();
    let planning = meetings
        .items
        .iter()
        .find(|m| m.title == "Planning")
        .expect("matched meeting");
    assert_eq!(
        planning.meeting_url.as_deref(),
        Some("https://meet.google.com/abc-defg-hij")
    );
    let ana = planning
        .attendees
        .iter()
        .find(|a| a.email == "ana@example.org")
        .unwrap();
    assert_eq!(
        ana.person.as_ref().map(|p| p.id.as_str()),
        Some(person.as_str())
    );
    let room = planning
        .attendees
        .iter()
        .find(|a| a.email.starts_with("room-4"))
        .unwrap();
    assert!(room.is_resource && room.person.is_none());
    assert!(planning.attendees.iter().any(|a| a.is_self));

    let days: Vec<Value> = s
        .rondo
        .services
        .db
        .query("SELECT all_day, start_date, end_date FROM event WHERE uid = 'allday@google.com' OR uid = 'allday'")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(days[0]["all_day"], json!(true));
    assert_eq!(days[0]["start_date"], json!("2026-12-01"));
}

#[tokio::test]
async fn working_location_focus_time_and_out_of_office_are_no_meetings() {
    let s = setup().await;
    s.fake
        .put_event("primary", meeting("review", at(1), "Review"));
    for (id, kind) in [
        ("office", "workingLocation"),
        ("focus", "focusTime"),
        ("away", "outOfOffice"),
    ] {
        let mut e = meeting(id, at(3), kind);
        e["eventType"] = json!(kind);
        s.fake.put_event("primary", e);
    }
    let connection = s.connect().await;
    assert_eq!(connection.event_count, 1, "only the review is a meeting");
    // A meeting turned into a status entry later goes like a cancelled one.
    let mut review = meeting("review", at(1), "Review");
    review["eventType"] = json!("outOfOffice");
    s.fake.put_event("primary", review);
    let report = s.sync(&connection.id).await;
    assert_eq!((report.added, report.removed), (0, 1), "{report:?}");
    assert_eq!(s.connection().await.event_count, 0);
}

/// Saves the Edit dialog of a Google connection: auto-logging on, out-of-office shown or not.
async fn edit_google(s: &Setup, connection: &Connection, out_of_office: bool) -> Connection {
    let mut form = vec![
        ("update[id]", connection.id.as_str()),
        ("update[name]", connection.name.as_str()),
        (
            "update[calendars][0]",
            connection.calendars[0].remote_id.as_str(),
        ),
        ("update[sync_enabled]", "on"),
        ("update[auto_log]", "on"),
    ];
    if out_of_office {
        form.push(("update[show_out_of_office]", "on"));
    }
    s.client.call("update-connection", &form).await.unwrap()
}

async fn meetings_on(s: &Setup, day: DateTime<Utc>) -> Vec<app::models::Meeting> {
    // The day in the account's zone (the test accounts' is Amsterdam).
    let day = day
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .date_naive()
        .to_string();
    let today: app::models::MeetingsToday = s
        .client
        .call("todays-meetings", &[("day", &day), ("all", "true")])
        .await
        .unwrap();
    today.meetings
}

#[tokio::test]
async fn out_of_office_is_shown_while_switched_on_never_matched_joined_or_logged() {
    let s = setup().await;
    s.client
        .save_person(&[
            ("first_name", "Ana"),
            ("last_name", "Lima"),
            ("emails.0.address", "ana@example.org"),
        ])
        .await
        .unwrap();
    // Ended meetings, so auto-logging considers them; the entry even names Ana and a Meet link.
    let away_at = at(-2);
    s.fake
        .put_event("primary", meeting("review", away_at, "Review"));
    let mut away = meeting("away", away_at, "Vacation");
    away["eventType"] = json!("outOfOffice");
    s.fake.put_event("primary", away);
    for (id, kind) in [("office", "workingLocation"), ("focus", "focusTime")] {
        let mut e = meeting(id, away_at, kind);
        e["eventType"] = json!(kind);
        s.fake.put_event("primary", e);
    }
    let connection = s.connect().await;
    assert!(!connection.show_out_of_office, "off by default");
    assert_eq!(connection.event_count, 1);

    // Switched on: the next sync lists the calendar again and stores the entry, alone.
    let edited = edit_google(&s, &connection, true).await;
    assert!(edited.show_out_of_office);
    let report = s.sync(&connection.id).await;
    assert_eq!((report.added, report.removed), (1, 0), "{report:?}");
    assert_eq!(report.logged, 1, "the review is logged, the entry is not");
    assert_eq!(s.connection().await.event_count, 2);
    let day = meetings_on(&s, away_at).await;
    let entry = day
        .iter()
        .find(|m| m.title == "Vacation")
        .expect("the entry is shown on its day");
    assert!(entry.out_of_office);
    assert!(entry.attendees.is_empty() && entry.matched_people().is_empty());
    assert_eq!(entry.join_url(), None);
    assert!(day
        .iter()
        .all(|m| m.title != "focusTime" && m.title != "workingLocation"));
    let refused: Result<String, _> = s
        .client
        .call("log-meeting", &[("event_id", &entry.id)])
        .await;
    assert!(
        refused.unwrap_err().to_string().contains("Out-of-office"),
        "never logged by hand either"
    );
    let detail: app::models::MeetingDetail = s
        .client
        .call("get-meeting", &[("id", &entry.id)])
        .await
        .unwrap();
    assert_eq!(
        detail.google_url.as_deref(),
        Some(fake_google::html_link("away", ACCOUNT).as_str())
    );

    // Switched off: the next sync removes it again.
    edit_google(&s, &connection, false).await;
    let report = s.sync(&connection.id).await;
    assert_eq!((report.added, report.removed), (0, 1), "{report:?}");
    let day = meetings_on(&s, away_at).await;
    assert_eq!(
        day.iter().map(|m| m.title.as_str()).collect::<Vec<_>>(),
        vec!["Review"]
    );
}

#[tokio::test]
async fn the_google_link_of_each_event_is_stored_and_returned() {
    let s = setup().await;
    s.fake
        .put_event("primary", meeting("standup", at(2), "Standup"));
    s.connect().await;
    let day = meetings_on(&s, at(2)).await;
    let detail: app::models::MeetingDetail = s
        .client
        .call("get-meeting", &[("id", &day[0].id)])
        .await
        .unwrap();
    let link = fake_google::html_link("standup", ACCOUNT);
    assert!(link.starts_with("https://www.google.com/calendar/event?eid="));
    assert_eq!(detail.google_url, Some(link));
}

#[tokio::test]
async fn a_cancelled_instance_removes_only_that_occurrence() {
    let s = setup().await;
    for day in 0..5 {
        let start = at(24 * day + 1);
        let mut e = meeting(
            &format!("standup_{}", start.format("%Y%m%dT%H%M%SZ")),
            start,
            "Standup",
        );
        e["recurringEventId"] = json!("standup");
        e["iCalUID"] = json!("standup@google.com");
        e["originalStartTime"] = json!({"dateTime": start.to_rfc3339()});
        s.fake.put_event("primary", e);
    }
    let connection = s.connect().await;
    assert_eq!(
        connection.event_count, 5,
        "instances share a UID yet are stored apart"
    );
    let third = format!("standup_{}", at(49).format("%Y%m%dT%H%M%SZ"));
    s.fake.cancel_event("primary", &third);
    let report = s.sync(&connection.id).await;
    assert_eq!(
        (report.added, report.changed, report.removed),
        (0, 0, 1),
        "{report:?}"
    );
    assert_eq!(s.connection().await.event_count, 4);
    let left: Vec<String> = s
        .rondo
        .services
        .db
        .query("SELECT VALUE recurrence_id FROM event WHERE uid = 'standup@google.com' ORDER BY recurrence_id")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    assert_eq!(left.len(), 4);
    assert!(!left.contains(&at(49).format("%Y-%m-%dT%H:%M:%SZ").to_string()));
}

#[tokio::test]
async fn a_stale_sync_token_runs_a_full_sync_that_drops_vanished_events() {
    let s = setup().await;
    for i in 0..3 {
        s.fake
            .put_event("primary", meeting(&format!("e{i}"), at(i + 1), "Kept"));
    }
    let connection = s.connect().await;
    assert_eq!(connection.event_count, 3);
    // Moved far outside the window while the token was invalidated: gone from Rondo's view.
    s.fake.invalidate_sync_tokens();
    s.fake
        .put_event("primary", meeting("e2", at(24 * 400), "Moved away"));
    s.fake.clear_requests();
    let report = s.sync(&connection.id).await;
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(report.removed, 1, "{report:?}");
    let requests = s.fake.requests_to("/calendar/v3/calendars/");
    assert_eq!(requests[0].status, 410);
    assert!(
        requests[1].query.contains_key("timeMin"),
        "then a full listing"
    );
    assert_eq!(s.connection().await.event_count, 2);
    // And the new token works incrementally again.
    s.fake.clear_requests();
    let report = s.sync(&connection.id).await;
    assert_eq!((report.added, report.changed, report.removed), (0, 0, 0));
    assert!(s.event_requests()[0].query.contains_key("syncToken"));
}

#[tokio::test]
async fn a_window_that_rolls_past_the_listing_lists_again() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let s = setup_on(FakeConfig::default(), clock.clone()).await;
    s.fake
        .put_event("primary", meeting("soon", at(24 * 10), "Soon"));
    // Beyond the 30 days ahead at first, and never changed afterwards.
    s.fake
        .put_event("primary", meeting("later", at(24 * 35), "Later"));
    let connection = s.connect().await;
    assert_eq!(connection.event_count, 1);
    let report = s.sync(&connection.id).await;
    assert_eq!(
        report.added, 0,
        "an incremental sync cannot see it: {report:?}"
    );

    clock.advance(chrono::Duration::days(10));
    s.fake.clear_requests();
    let report = s.sync(&connection.id).await;
    assert_eq!(report.added, 1, "{report:?}");
    assert!(
        s.event_requests()[0].query.contains_key("timeMin"),
        "a full listing"
    );
    assert_eq!(s.connection().await.event_count, 2);
}

#[tokio::test]
async fn access_tokens_are_refreshed_on_401_and_before_expiry() {
    let s = setup().await;
    s.fake.put_event("primary", meeting("e1", at(1), "One"));
    let connection = s.connect().await;
    s.fake.expire_access_tokens();
    let report = s.sync(&connection.id).await;
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(
        s.fake.token_requests().refresh_token,
        1,
        "refreshed once after the 401"
    );
    assert_eq!(s.connection().await.status, ConnectionStatus::Ok);

    // Tokens that live shorter than the refresh margin are renewed before any API call.
    let s = setup_with(FakeConfig {
        access_token_lifetime: Duration::from_secs(60),
        ..FakeConfig::default()
    })
    .await;
    let connection = s.connect().await;
    s.fake.clear_requests();
    let report = s.sync(&connection.id).await;
    assert!(report.error.is_none(), "{report:?}");
    let log = s.fake.requests();
    assert_eq!(log[0].path, "/token", "refresh first: {log:?}");
    assert!(log.iter().skip(1).all(|r| r.status == 200), "{log:?}");
}

#[tokio::test]
async fn a_revoked_grant_needs_reauthentication_until_reconnected() {
    let s = setup().await;
    s.fake.put_event("primary", meeting("e1", at(1), "One"));
    let connection = s.connect().await;
    s.fake.revoke_all_tokens();
    let report = s.sync(&connection.id).await;
    let error = report.error.expect("the sync fails");
    assert!(error.contains("Reconnect"), "{error}");
    let after = s.connection().await;
    assert_eq!(after.status, ConnectionStatus::NeedsReauth);
    assert_eq!(
        after.event_count, 1,
        "events stay until the account is reconnected"
    );

    // Reconnect runs the flow for the same connection.
    let back = s
        .connect_via(&format!("/oauth/google/start?connection={}", connection.id))
        .await;
    assert_eq!(
        back,
        format!("/settings/calendars?reconnected={}", connection.id)
    );
    s.wait_for_runs(&connection.id, 3).await;
    let list = s.connections().await;
    assert_eq!(list.len(), 1, "no second connection");
    assert_eq!(list[0].status, ConnectionStatus::Ok, "{:?}", list[0]);
    let report = s.sync(&connection.id).await;
    assert!(report.error.is_none(), "{report:?}");
}

#[tokio::test]
async fn rate_limits_are_retried_with_backoff_then_reported_plainly() {
    let s = setup().await;
    s.fake.put_event("primary", meeting("e1", at(1), "One"));
    let connection = s.connect().await;
    s.fake.put_event("primary", meeting("e2", at(2), "Two"));
    s.fake.fail_next(
        Failure::rate_limited("/calendar/v3")
            .retry_after(1)
            .times(1),
    );
    s.fake
        .fail_next(Failure::user_rate_limited("/calendar/v3").times(1));
    s.fake.fail_next(Failure::new("/calendar/v3", 429).times(1));
    s.fake.clear_requests();
    let started = std::time::Instant::now();
    let report = s.sync(&connection.id).await;
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(report.added, 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    let log = s.fake.requests_to("/calendar/v3");
    assert_eq!(log.iter().filter(|r| r.injected).count(), 3, "{log:?}");

    // Past the bound, the sync fails with a plain message and nothing is lost.
    s.fake
        .fail_next(Failure::backend_error("/calendar/v3").times(10));
    let report = s.sync(&connection.id).await;
    let error = report.error.expect("gives up");
    assert!(
        error.contains("server error") || error.contains("try again"),
        "{error}"
    );
    let after = s.connection().await;
    assert_eq!(after.status, ConnectionStatus::Error);
    assert_eq!(after.event_count, 2);
    s.fake.clear_failures();
    s.fake
        .fail_next(Failure::rate_limited("/calendar/v3").times(10));
    let error = s.sync(&connection.id).await.error.expect("gives up");
    assert!(error.contains("rate limit"), "{error}");
}

#[tokio::test]
async fn tokens_never_leave_the_server_unencrypted() {
    let s = setup().await;
    s.fake.put_event("primary", meeting("e1", at(1), "One"));
    let connection = s.connect().await;
    s.fake.expire_access_tokens();
    s.sync(&connection.id).await; // a refreshed token is stored too
    let issued = s.fake.issued_tokens().all();
    assert!(issued.len() >= 3, "{issued:?}");
    let mut stored = String::new();
    for table in [
        "connection",
        "calendar",
        "calendar_object",
        "event",
        "oauth_state",
        "sync_run",
        "session",
        "user",
    ] {
        let rows: Vec<Value> = s
            .rondo
            .services
            .db
            .query(format!("SELECT * FROM {table}"))
            .await
            .unwrap()
            .take(0)
            .unwrap();
        stored.push_str(&serde_json::to_string(&rows).unwrap());
    }
    let listed = serde_json::to_string(&s.connections().await).unwrap();
    let page = s
        .client
        .get("/settings/calendars")
        .await
        .text()
        .await
        .unwrap();
    for token in &issued {
        assert!(
            !stored.contains(token.as_str()),
            "token stored in plaintext"
        );
        assert!(!listed.contains(token.as_str()) && !page.contains(token.as_str()));
    }
    assert!(stored.contains("\"credential\""));
}

#[tokio::test]
async fn callback_errors_explain_and_leave_nothing_behind() {
    let s = setup().await;
    // The user cancels on Google's page.
    let auth_url = location(&s.client.get("/oauth/google/start").await);
    let denied = s.fake.deny(&auth_url).await;
    let back = s.callback(&denied).await;
    assert_eq!(problem(&back), GoogleProblem::Denied, "{back}");
    assert!(problem(&back).message().contains("not granted"));

    // A state can be used once.
    let auth_url = location(&s.client.get("/oauth/google/start").await);
    let allowed = s.fake.consent(&auth_url).await;
    assert!(s.callback(&allowed).await.contains("connected="));
    let again = s.callback(&allowed).await;
    assert_eq!(problem(&again), GoogleProblem::Expired, "{again}");

    // Another browser session cannot finish someone's sign-in.
    let auth_url = location(&s.client.get("/oauth/google/start").await);
    let allowed = s.fake.consent(&auth_url).await;
    let stranger = s.rondo.user("stranger@example.com").await;
    let path = allowed.strip_prefix(&s.rondo.base).unwrap();
    let back = location(&stranger.get(path).await);
    assert_eq!(problem(&back), GoogleProblem::OtherSession, "{back}");
    let theirs: Vec<Connection> = stranger.call("list-connections", &[]).await.unwrap();
    assert!(theirs.is_empty());

    // A made-up state, none at all, or a real state without a code.
    let back = location(&s.client.get("/oauth/google/callback?state=forged").await);
    assert_eq!(problem(&back), GoogleProblem::Expired, "{back}");
    let back = location(&s.client.get("/oauth/google/callback").await);
    assert_eq!(problem(&back), GoogleProblem::MissingState, "{back}");
    let auth_url = location(&s.client.get("/oauth/google/start").await);
    let state = reqwest::Url::parse(&auth_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let back = location(
        &s.client
            .get(&format!("/oauth/google/callback?state={state}"))
            .await,
    );
    assert_eq!(problem(&back), GoogleProblem::MissingCode, "{back}");

    assert_eq!(
        s.connections().await.len(),
        1,
        "only the one allowed sign-in connected"
    );
    // Signed out, the start page sends the browser to sign in.
    let anonymous = s.rondo.client();
    assert_eq!(
        location(&anonymous.get("/oauth/google/start").await),
        "/login"
    );
}

#[tokio::test]
async fn without_a_client_the_button_explains_and_the_start_refuses() {
    let rondo = common::start().await;
    let client = rondo.user("owner@example.com").await;
    let options: app::models::ProviderOptions =
        client.call("calendar-providers", &[]).await.unwrap();
    assert!(!options.google_configured);
    assert_eq!(
        options.google_redirect_uri,
        format!("{}/oauth/google/callback", rondo.base)
    );
    let back = location(&client.get("/oauth/google/start").await);
    assert_eq!(problem(&back), GoogleProblem::NotConfigured, "{back}");
}

#[tokio::test]
async fn deleting_the_connection_revokes_the_grant_at_google() {
    let s = setup().await;
    let connection = s.connect().await;
    let refresh = s.fake.issued_tokens().refresh_tokens[0].clone();
    let _: () = s
        .client
        .call("delete-connection", &[("id", &connection.id)])
        .await
        .unwrap();
    assert!(s.connections().await.is_empty());
    let revocations = s.fake.requests_to("/revoke");
    assert_eq!(revocations.len(), 1);
    assert_eq!(revocations[0].status, 200);
    // The refresh token is dead at Google now.
    let refused = reqwest::Client::new()
        .post(s.fake.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", s.fake.config().client_id.as_str()),
            ("client_secret", s.fake.config().client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}

/// The problem a redirect back to Settings → Calendars names (only a code travels).
fn problem(back: &str) -> GoogleProblem {
    let code = back
        .strip_prefix("/settings/calendars?error=")
        .unwrap_or_else(|| panic!("not an error redirect: {back}"));
    let problem = GoogleProblem::from_code(code);
    assert_eq!(problem.code(), code, "a known code");
    problem
}

#[tokio::test]
async fn an_unreadable_event_keeps_its_stored_copy_even_through_a_full_sync() {
    let s = setup().await;
    s.fake.put_event("primary", meeting("good", at(1), "Good"));
    s.fake.put_event("primary", meeting("odd", at(2), "Odd"));
    let connection = s.connect().await;
    assert_eq!(connection.event_count, 2);
    let mut broken = meeting("odd", at(2), "Odd");
    broken["attendees"] = json!([{"email": 5}]);
    s.fake.put_event("primary", broken);
    s.fake.invalidate_sync_tokens();
    let report = s.sync(&connection.id).await;
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(report.removed, 0, "{report:?}");
    assert!(
        report.warnings.iter().any(|w| w.starts_with("odd")),
        "{report:?}"
    );
    assert_eq!(s.connection().await.event_count, 2, "nothing lost");
}

#[tokio::test]
async fn a_passing_failure_while_refreshing_is_not_a_revocation() {
    let s = setup().await;
    s.fake.put_event("primary", meeting("e1", at(1), "One"));
    let connection = s.connect().await;
    s.fake.expire_access_tokens();
    s.fake.fail_next(Failure::new("/token", 503).times(1));
    let report = s.sync(&connection.id).await;
    assert!(report.error.is_some(), "{report:?}");
    assert_eq!(
        s.connection().await.status,
        ConnectionStatus::Error,
        "retried later, no reconnect needed"
    );
    let report = s.sync(&connection.id).await;
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(s.connection().await.status, ConnectionStatus::Ok);
}

#[tokio::test]
async fn a_calendar_gone_at_google_does_not_stop_the_others() {
    let s = setup().await;
    s.fake.set_calendars(vec![
        fake_google::Calendar::primary(ACCOUNT),
        fake_google::Calendar::new("team@group.calendar.google.com", "Team"),
    ]);
    s.fake.put_event("primary", meeting("mine", at(1), "Mine"));
    s.fake.put_event(
        "team@group.calendar.google.com",
        meeting("ours", at(2), "Ours"),
    );
    let connection = s.connect().await;
    let updated: Connection = s
        .client
        .call(
            "update-connection",
            &[
                ("update[id]", connection.id.as_str()),
                ("update[name]", ACCOUNT),
                ("update[calendars][0]", ACCOUNT),
                ("update[calendars][1]", "team@group.calendar.google.com"),
                ("update[sync_enabled]", "on"),
            ],
        )
        .await
        .unwrap();
    assert!(updated.calendars.iter().all(|c| c.selected));
    s.sync(&connection.id).await;
    assert_eq!(s.connection().await.event_count, 2);

    s.fake.remove_calendar("team@group.calendar.google.com");
    s.fake.put_event("primary", meeting("more", at(3), "More"));
    let report = s.sync(&connection.id).await;
    assert!(report.error.is_none(), "{report:?}");
    assert_eq!(
        report.added, 1,
        "the primary calendar still syncs: {report:?}"
    );
    assert!(
        report.warnings.iter().any(|w| w.starts_with("Team:")),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_cancelled_series_removes_all_its_instances() {
    let s = setup().await;
    for day in 0..3 {
        let start = at(24 * day + 1);
        let mut e = meeting(
            &format!("weekly_{}", start.format("%Y%m%dT%H%M%SZ")),
            start,
            "Weekly",
        );
        e["recurringEventId"] = json!("weekly");
        e["originalStartTime"] = json!({"dateTime": start.to_rfc3339()});
        s.fake.put_event("primary", e);
    }
    s.fake
        .put_event("primary", meeting("other", at(5), "Other"));
    let connection = s.connect().await;
    assert_eq!(connection.event_count, 4);
    s.fake
        .put_event("primary", json!({"id": "weekly", "status": "cancelled"}));
    let report = s.sync(&connection.id).await;
    assert_eq!(report.removed, 3, "{report:?}");
    assert_eq!(s.connection().await.event_count, 1);
}

#[tokio::test]
async fn one_sync_of_a_connection_at_a_time_also_within_one_process() {
    let s = setup().await;
    for i in 0..300 {
        s.fake
            .put_event("primary", meeting(&format!("e{i}"), at(i - 150), "Busy"));
    }
    let connection = s.connect().await;
    let owner = s.owner().await;

    // Two "Sync now" at once, the first made to last a second (a rate limit): the second
    // joins it; one listing, one run, one report.
    let slow = || {
        s.fake.fail_next(
            Failure::rate_limited("/calendar/v3")
                .retry_after(1)
                .times(1),
        )
    };
    slow();
    s.fake.clear_requests();
    let (a, b) = tokio::join!(s.sync(&connection.id), s.sync(&connection.id));
    assert_eq!(a, b);
    assert_eq!(a.error, None, "{a:?}");
    assert_eq!(s.event_requests().len(), 1, "one incremental listing");
    s.wait_for_runs(&connection.id, 2).await;
    let runs = s
        .rondo
        .services
        .calendars
        .history(&owner, &connection.id)
        .await;
    assert_eq!(runs.unwrap().len(), 2, "the first sync and one more");

    // A sync that does not go through the server's own start (the command line, another
    // process) meets the lease and is refused.
    slow();
    let direct = s.rondo.services.calendars.sync(&owner, &connection.id);
    let (a, b) = tokio::join!(s.sync(&connection.id), async { direct.await.unwrap() });
    let refused = [&a, &b]
        .iter()
        .filter(|r| {
            r.error
                .as_deref()
                .is_some_and(|e| e.contains("already running"))
        })
        .count();
    assert_eq!(refused, 1, "{a:?} / {b:?}");
}

#[tokio::test]
async fn deleting_keeps_the_grant_while_another_connection_uses_the_account() {
    let s = setup().await;
    let first = s.connect().await;
    let other_user = s.rondo.user("colleague@example.com").await;
    let auth_url = location(&other_user.get("/oauth/google/start").await);
    let back = s.fake.consent(&auth_url).await;
    let path = back.strip_prefix(&s.rondo.base).unwrap();
    assert!(location(&other_user.get(path).await).contains("connected="));
    let theirs: Vec<Connection> = other_user.call("list-connections", &[]).await.unwrap();
    assert_eq!(theirs.len(), 1);

    let _: () = s
        .client
        .call("delete-connection", &[("id", &first.id)])
        .await
        .unwrap();
    assert!(
        s.fake.requests_to("/revoke").is_empty(),
        "the colleague's connection still needs it"
    );
    let _: () = other_user
        .call("delete-connection", &[("id", &theirs[0].id)])
        .await
        .unwrap();
    assert_eq!(
        s.fake.requests_to("/revoke").len(),
        1,
        "the last one revokes"
    );
}

#[tokio::test]
async fn a_cross_site_request_cannot_start_a_sign_in() {
    let s = setup().await;
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/oauth/google/start", s.rondo.base))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(&location(&response)), GoogleProblem::CrossSite);
}

#[tokio::test]
async fn a_sync_longer_than_its_lease_keeps_the_lease() {
    let s = setup_custom(FakeConfig::default(), |s| {
        s.lease = Duration::from_millis(900)
    })
    .await;
    s.fake.put_event("primary", meeting("e1", at(1), "One"));
    let connection = s.connect().await;
    // Two rate-limit answers with Retry-After: 1 make this sync last over two seconds.
    s.fake.fail_next(
        Failure::rate_limited("/calendar/v3")
            .retry_after(1)
            .times(2),
    );
    let long = s.sync(&connection.id);
    // As another server process would: straight at the lease, not joining the running sync.
    let owner = s.owner().await;
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        s.rondo
            .services
            .calendars
            .sync(&owner, &connection.id)
            .await
            .unwrap()
    };
    let (long, meanwhile) = tokio::join!(long, meanwhile);
    assert!(long.error.is_none(), "{long:?}");
    let refused = meanwhile.error.expect("refused while the first sync runs");
    assert!(refused.contains("already running"), "{refused}");
}

#[tokio::test]
async fn googles_self_attendee_is_you_and_your_declines_are_not_logged() {
    let s = setup().await;
    let ana = s
        .client
        .save_person(&[
            ("first_name", "Ana"),
            ("last_name", "Lima"),
            ("emails.0.address", "ana@example.org"),
        ])
        .await
        .unwrap();
    // No `self` given: the fake sets it on the account's own entry, as Google does.
    let event = |id: &str, title: &str, answer: &str| {
        let start = at(-30);
        json!({
            "id": id, "summary": title,
            "start": {"dateTime": start.to_rfc3339()},
            "end": {"dateTime": (start + chrono::Duration::minutes(30)).to_rfc3339()},
            "attendees": [
                {"email": ACCOUNT, "responseStatus": answer},
                {"email": "ana@example.org", "displayName": "Ana Lima", "responseStatus": "accepted"}
            ]
        })
    };
    let stored = s
        .fake
        .put_event("primary", event("no", "Declined sync", "declined"));
    assert_eq!(stored["attendees"][0]["self"], json!(true));
    s.fake
        .put_event("primary", event("maybe", "Tentative sync", "tentative"));
    s.fake
        .put_event("primary", event("yes", "Accepted sync", "accepted"));
    let connection = s.connect().await;

    // The Google account is one of the user's addresses, reported by its connection.
    let addresses: Vec<app::models::MyAddress> = s.client.call("my-addresses", &[]).await.unwrap();
    let google = addresses
        .iter()
        .find(|a| a.address == ACCOUNT)
        .expect("the Google account");
    assert_eq!(google.source, app::models::MyAddressSource::Calendar);
    assert_eq!(google.connection.as_deref(), Some(connection.name.as_str()));

    let past: app::models::Page<app::models::Meeting> = s
        .client
        .call(
            "person-meetings",
            &[("person_id", &ana), ("scope", "past"), ("page", "1")],
        )
        .await
        .unwrap();
    let answer = |title: &str| {
        let m = past.items.iter().find(|m| m.title == title).unwrap();
        assert!(m.attendees.iter().any(|a| a.is_self && a.email == ACCOUNT));
        m.my_response
    };
    assert_eq!(
        answer("Declined sync"),
        Some(app::models::Response::Declined)
    );
    assert_eq!(
        answer("Tentative sync"),
        Some(app::models::Response::Tentative)
    );

    let owner = s.owner().await;
    let services = &s.rondo.services;
    let row = services
        .calendars
        .connections
        .row(&owner, &connection.id)
        .await
        .unwrap();
    let index = services.calendars.matcher.index(&owner).await.unwrap();
    let report = server::calendar::autolog::run(
        &services.calendars.events,
        &services.activities,
        &row,
        index.own(),
        Utc::now(),
        true,
    )
    .await
    .unwrap();
    let mut logged = report.logged;
    logged.sort();
    assert_eq!(logged, vec!["Accepted sync", "Tentative sync"]);
}
