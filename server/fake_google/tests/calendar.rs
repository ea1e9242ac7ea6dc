//! Calendar API v3 against the fake: calendar list, paging, sync tokens, windows, errors.
mod common;

use common::*;
use fake_google::{Calendar, FakeGoogle};
use serde_json::{json, Value};

fn timed(id: &str, start: &str, end: &str) -> Value {
    json!({"id": id, "summary": id, "start": {"dateTime": start}, "end": {"dateTime": end}})
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

fn events_url(fake: &FakeGoogle, calendar: &str, query: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse(&fake.calendar_api_url()).unwrap();
    url.path_segments_mut()
        .unwrap()
        .extend(["calendars", calendar, "events"]);
    url.query_pairs_mut().extend_pairs(query);
    url.to_string()
}

/// Follows nextPageToken to the end; returns all items and the final sync token.
async fn list_all(
    fake: &FakeGoogle,
    token: &str,
    query: &[(&str, &str)],
) -> (Vec<Value>, String, usize) {
    let mut items = Vec::new();
    let mut page_token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut q: Vec<(&str, &str)> = query.to_vec();
        if let Some(p) = &page_token {
            q.push(("pageToken", p));
        }
        let (status, page) = get(&events_url(fake, "ada@example.com", &q), token).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["nextPageToken"].as_str() {
            Some(next) => {
                assert!(page.get("nextSyncToken").is_none());
                page_token = Some(next.to_string());
            }
            None => {
                return (
                    items,
                    page["nextSyncToken"].as_str().unwrap().to_string(),
                    pages,
                )
            }
        }
    }
}

#[tokio::test]
async fn calendar_list_defaults_to_the_primary_calendar() {
    let fake = FakeGoogle::start(config()).await;
    let token = access_token(&fake).await;
    let (status, body) = get(
        &format!("{}/users/me/calendarList", fake.calendar_api_url()),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["kind"], "calendar#calendarList");
    assert!(body["nextSyncToken"].is_string());
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "calendar#calendarListEntry");
    assert_eq!(items[0]["id"], "ada@example.com");
    assert_eq!(items[0]["summary"], "ada@example.com");
    assert_eq!(items[0]["primary"], true);
    assert_eq!(items[0]["accessRole"], "owner");
}

#[tokio::test]
async fn calendar_list_pages() {
    let fake = FakeGoogle::start(config()).await;
    fake.set_calendars(vec![
        Calendar::primary("ada@example.com"),
        Calendar::new("team@group.calendar.google.com", "Team").with_access_role("reader"),
        Calendar::new("holidays@group.v.calendar.google.com", "Holidays"),
    ]);
    let token = access_token(&fake).await;
    let base = format!("{}/users/me/calendarList", fake.calendar_api_url());
    let (_, first) = get(&format!("{base}?maxResults=2"), &token).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    assert_eq!(first["items"][0]["primary"], true);
    assert!(first["items"][1].get("primary").is_none());
    assert_eq!(first["items"][1]["accessRole"], "reader");
    let next = first["nextPageToken"].as_str().unwrap();
    let (_, second) = get(&format!("{base}?maxResults=2&pageToken={next}"), &token).await;
    assert_eq!(ids(&second), vec!["holidays@group.v.calendar.google.com"]);
    assert!(second["nextSyncToken"].is_string());
}

#[tokio::test]
async fn six_hundred_events_page_by_250_and_end_with_a_sync_token() {
    let fake = FakeGoogle::start(config()).await;
    for i in 0..600 {
        let day = 1 + i % 28;
        fake.put_event(
            "ada@example.com",
            timed(
                &format!("ev{i:03}"),
                &format!("2024-03-{day:02}T10:00:00Z"),
                &format!("2024-03-{day:02}T11:00:00Z"),
            ),
        );
    }
    let token = access_token(&fake).await;
    let (items, sync_token, pages) = list_all(
        &fake,
        &token,
        &[
            ("singleEvents", "true"),
            ("showDeleted", "true"),
            ("maxResults", "250"),
        ],
    )
    .await;
    assert_eq!(pages, 3);
    assert_eq!(items.len(), 600);
    let expected: Vec<String> = (0..600).map(|i| format!("ev{i:03}")).collect();
    let got: Vec<String> = items
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, expected);
    assert_eq!(items[0]["kind"], "calendar#event");
    assert_eq!(items[0]["status"], "confirmed");
    assert_eq!(items[0]["iCalUID"], "ev000@google.com");

    // Nothing changed since: an empty incremental page.
    let (status, page) = get(
        &events_url(&fake, "ada@example.com", &[("syncToken", &sync_token)]),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), Vec::<String>::new());
    assert!(page["nextSyncToken"].is_string());
}

#[tokio::test]
async fn incremental_sync_returns_only_changes_including_cancellations() {
    let fake = FakeGoogle::start(config()).await;
    for i in 0..5 {
        fake.put_event(
            "primary",
            timed(
                &format!("e{i}"),
                "2024-01-01T10:00:00Z",
                "2024-01-01T11:00:00Z",
            ),
        );
    }
    let token = access_token(&fake).await;
    let window = [
        ("timeMin", "2023-12-01T00:00:00Z"),
        ("timeMax", "2024-02-01T00:00:00Z"),
        ("singleEvents", "true"),
        ("showDeleted", "true"),
    ];
    let (items, sync_token, _) = list_all(&fake, &token, &window).await;
    assert_eq!(items.len(), 5);

    fake.put_event(
        "primary",
        timed("e1", "2024-01-02T10:00:00Z", "2024-01-02T11:00:00Z"),
    );
    fake.cancel_event("primary", "e3");
    // Far outside the first window: incremental sync ignores windows.
    fake.put_event(
        "primary",
        timed("late", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"),
    );

    let query = [
        ("syncToken", sync_token.as_str()),
        ("showDeleted", "true"),
        ("singleEvents", "true"),
    ];
    let (status, page) = get(&events_url(&fake, "ada@example.com", &query), &token).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), vec!["e1", "e3", "late"]);
    let cancelled = &page["items"][1];
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled.get("summary").is_none());
    assert!(cancelled["etag"].is_string() && cancelled["updated"].is_string());
    let next = page["nextSyncToken"].as_str().unwrap();
    assert_ne!(next, sync_token);

    // Paged incremental sync: pageToken alongside syncToken, as clients send it.
    for i in 0..3 {
        fake.put_event("primary", json!({"id": format!("n{i}")}));
    }
    let (_, first) = get(
        &events_url(
            &fake,
            "primary",
            &[("syncToken", next), ("maxResults", "2")],
        ),
        &token,
    )
    .await;
    assert_eq!(ids(&first), vec!["n0", "n1"]);
    let page_token = first["nextPageToken"].as_str().unwrap();
    let (_, second) = get(
        &events_url(
            &fake,
            "primary",
            &[
                ("syncToken", next),
                ("maxResults", "2"),
                ("pageToken", page_token),
            ],
        ),
        &token,
    )
    .await;
    assert_eq!(ids(&second), vec!["n2"]);
    assert!(second["nextSyncToken"].is_string());
}

#[tokio::test]
async fn invalidated_or_unknown_sync_tokens_are_gone() {
    let fake = FakeGoogle::start(config()).await;
    fake.put_event("primary", json!({"id": "a"}));
    let token = access_token(&fake).await;
    let (_, sync_token, _) = list_all(&fake, &token, &[]).await;
    fake.invalidate_sync_tokens();
    let (status, body) = get(
        &events_url(&fake, "primary", &[("syncToken", &sync_token)]),
        &token,
    )
    .await;
    assert_eq!(status, 410);
    assert_eq!(
        body,
        json!({"error": {"code": 410, "message": "Sync token is no longer valid, a full sync is required.",
            "errors": [{"domain": "calendar", "reason": "fullSyncRequired",
                        "message": "Sync token is no longer valid, a full sync is required."}],
            "status": "GONE"}})
    );
    let (status, _) = get(
        &events_url(&fake, "primary", &[("syncToken", "made-up")]),
        &token,
    )
    .await;
    assert_eq!(status, 410);
    // A fresh full sync gives a token that works again.
    let (_, fresh, _) = list_all(&fake, &token, &[]).await;
    assert_eq!(
        get(
            &events_url(&fake, "primary", &[("syncToken", &fresh)]),
            &token
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn sync_token_with_a_window_is_rejected() {
    let fake = FakeGoogle::start(config()).await;
    let token = access_token(&fake).await;
    let (_, sync_token, _) = list_all(&fake, &token, &[]).await;
    let query = [
        ("syncToken", sync_token.as_str()),
        ("timeMin", "2024-01-01T00:00:00Z"),
    ];
    let (status, body) = get(&events_url(&fake, "primary", &query), &token).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 400);
}

#[tokio::test]
async fn windows_all_day_events_and_show_deleted() {
    let fake = FakeGoogle::start(config()).await;
    fake.put_event(
        "primary",
        timed("before", "2024-01-01T08:00:00Z", "2024-01-01T09:00:00Z"),
    );
    fake.put_event(
        "primary",
        timed("edge", "2024-01-01T09:00:00Z", "2024-01-01T10:00:00Z"),
    );
    fake.put_event(
        "primary",
        timed(
            "inside",
            "2024-01-01T10:30:00+01:00",
            "2024-01-01T12:00:00+01:00",
        ),
    );
    fake.put_event(
        "primary",
        json!({"id": "allday", "start": {"date": "2024-01-01"}, "end": {"date": "2024-01-02"}}),
    );
    fake.put_event(
        "primary",
        timed("gone", "2024-01-01T10:00:00Z", "2024-01-01T10:30:00Z"),
    );
    fake.cancel_event("primary", "gone");
    fake.put_event(
        "primary",
        timed("after", "2024-01-01T12:00:00Z", "2024-01-01T13:00:00Z"),
    );
    let token = access_token(&fake).await;
    let window = [
        ("timeMin", "2024-01-01T10:00:00Z"),
        ("timeMax", "2024-01-01T12:00:00Z"),
    ];
    let (status, page) = get(&events_url(&fake, "primary", &window), &token).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), vec!["inside", "allday"]);
    let mut with_deleted = window.to_vec();
    with_deleted.push(("showDeleted", "true"));
    let (_, page) = get(&events_url(&fake, "primary", &with_deleted), &token).await;
    assert_eq!(ids(&page), vec!["inside", "allday", "gone"]);
    assert_eq!(page["kind"], "calendar#events");
    assert_eq!(page["timeZone"], "UTC");
    assert_eq!(page["accessRole"], "owner");
}

#[tokio::test]
async fn recurring_instances_share_the_series_uid() {
    let fake = FakeGoogle::start(config()).await;
    for day in 1..=3 {
        fake.put_event(
            "primary",
            json!({
                "id": format!("weekly_202401{day:02}T100000Z"),
                "recurringEventId": "weekly",
                "iCalUID": "weekly-uid@example.com",
                "originalStartTime": {"dateTime": format!("2024-01-{day:02}T10:00:00Z")},
                "start": {"dateTime": format!("2024-01-{day:02}T10:00:00Z")},
                "end": {"dateTime": format!("2024-01-{day:02}T11:00:00Z")},
            }),
        );
    }
    fake.cancel_event("primary", "weekly_20240102T100000Z");
    let token = access_token(&fake).await;
    let (_, page) = get(
        &events_url(&fake, "primary", &[("showDeleted", "true")]),
        &token,
    )
    .await;
    let cancelled = &page["items"][1];
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["recurringEventId"], "weekly");
    assert_eq!(
        cancelled["originalStartTime"]["dateTime"],
        "2024-01-02T10:00:00Z"
    );
    assert_eq!(page["items"][2]["iCalUID"], "weekly-uid@example.com");
}

#[tokio::test]
async fn unknown_and_removed_calendars_are_not_found() {
    let fake = FakeGoogle::start(config()).await;
    fake.set_calendars(vec![
        Calendar::primary("ada@example.com"),
        Calendar::new("team@group.calendar.google.com", "Team"),
    ]);
    fake.put_event("team@group.calendar.google.com", json!({"id": "t1"}));
    let token = access_token(&fake).await;
    // The id is percent-encoded in the path (`@` → `%40`).
    let url = events_url(&fake, "team@group.calendar.google.com", &[]);
    let (status, page) = get(&url, &token).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), vec!["t1"]);
    assert!(fake.remove_calendar("team@group.calendar.google.com"));
    let (status, body) = get(&url, &token).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["errors"][0]["reason"], "notFound");
    assert_eq!(
        get(&events_url(&fake, "nobody@example.com", &[]), &token)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn expired_revoked_or_missing_tokens_are_unauthenticated() {
    let fake = FakeGoogle::start(config()).await;
    let token = access_token(&fake).await;
    let url = events_url(&fake, "primary", &[]);
    assert_eq!(get(&url, &token).await.0, 200);
    fake.expire_access_tokens();
    let response = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {"code": 401,
            "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            "errors": [{"message": "Invalid Credentials", "domain": "global", "reason": "authError",
                        "location": "Authorization", "locationType": "header"}],
            "status": "UNAUTHENTICATED"}})
    );

    let fresh = access_token(&fake).await;
    assert_eq!(get(&url, &fresh).await.0, 200);
    fake.revoke_all_tokens();
    assert_eq!(get(&url, &fresh).await.0, 401);
    let anonymous = http().get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn short_lived_access_tokens_expire_on_the_real_clock() {
    let fake = FakeGoogle::start(fake_google::Config {
        access_token_lifetime: std::time::Duration::from_secs(1),
        ..config()
    })
    .await;
    let tokens = sign_in(&fake, true).await;
    assert_eq!(tokens["expires_in"], 1);
    let token = tokens["access_token"].as_str().unwrap();
    let url = events_url(&fake, "primary", &[]);
    assert_eq!(get(&url, token).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(get(&url, token).await.0, 401);
}
