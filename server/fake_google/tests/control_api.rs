//! The `/_fake/` JSON control API drives the same state as the Rust handle.
mod common;

use common::*;
use fake_google::FakeGoogle;
use serde_json::{json, Value};

#[tokio::test]
async fn control_api_round_trip() {
    let fake = FakeGoogle::start(config()).await;
    let base = fake.base_url();
    let c = http();

    let calendars = json!([
        {"id": "ada@example.com", "summary": "Ada", "primary": true},
        {"id": "team@group.calendar.google.com", "summary": "Team", "accessRole": "reader"}
    ]);
    let r = c
        .put(format!("{base}/_fake/calendars"))
        .json(&calendars)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(fake.calendars().len(), 2);

    let event = json!({"summary": "Standup", "start": {"dateTime": "2024-01-01T10:00:00Z"},
                       "end": {"dateTime": "2024-01-01T10:15:00Z"}});
    let r = c
        .put(format!(
            "{base}/_fake/calendars/team%40group.calendar.google.com/events/standup1"
        ))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let stored: Value = r.json().await.unwrap();
    assert_eq!(stored["id"], "standup1");
    assert_eq!(stored["kind"], "calendar#event");
    assert!(fake
        .event("team@group.calendar.google.com", "standup1")
        .is_some());

    let r = c
        .delete(format!(
            "{base}/_fake/calendars/team%40group.calendar.google.com/events/standup1"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "cancelled");
    let r = c
        .delete(format!(
            "{base}/_fake/calendars/team%40group.calendar.google.com/events/nope"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Sign in, then drive tokens and failures over HTTP.
    let token = access_token(&fake).await;
    let list = format!("{}/users/me/calendarList", fake.calendar_api_url());
    let failure = json!({"pathPrefix": "/calendar/v3", "status": 429, "retryAfter": 3, "count": 1});
    let r = c
        .post(format!("{base}/_fake/failures"))
        .json(&failure)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c.get(&list).bearer_auth(&token).send().await.unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "3")
    );
    assert_eq!(get(&list, &token).await.0, 200);

    let tokens: Value = c
        .get(format!("{base}/_fake/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["accessTokens"], json!([token]));
    assert_eq!(tokens["refreshTokens"].as_array().unwrap().len(), 1);
    assert_eq!(tokens["tokenRequests"]["authorizationCode"], 1);

    let requests: Value = c
        .get(format!("{base}/_fake/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = requests.as_array().unwrap().last().unwrap();
    assert_eq!(last["path"], "/calendar/v3/users/me/calendarList");
    assert_eq!(last["bearerToken"], json!(token));
    assert_eq!(last["status"], 200);

    let r = c
        .post(format!("{base}/_fake/tokens/expire"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(get(&list, &token).await.0, 401);

    let token = access_token(&fake).await;
    c.post(format!("{base}/_fake/tokens/revoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&list, &token).await.0, 401);

    c.post(format!("{base}/_fake/reset")).send().await.unwrap();
    assert_eq!(fake.calendars().len(), 1);
    assert!(fake.issued_tokens().all().is_empty());
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn control_api_invalidates_sync_tokens() {
    let fake = FakeGoogle::start(config()).await;
    let token = access_token(&fake).await;
    let events = format!("{}/calendars/primary/events", fake.calendar_api_url());
    let (_, page) = get(&events, &token).await;
    let sync = page["nextSyncToken"].as_str().unwrap().to_string();
    let r = http()
        .post(format!("{}/_fake/sync-tokens/invalidate", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        get(&format!("{events}?syncToken={sync}"), &token).await.0,
        410
    );
}

#[tokio::test]
async fn control_api_rejects_bad_input() {
    let fake = FakeGoogle::start(config()).await;
    let base = fake.base_url();
    let c = http();
    let r = c
        .put(format!("{base}/_fake/calendars"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .put(format!("{base}/_fake/calendars/ada%40example.com/events/a"))
        .json(&json!({"id": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .put(format!("{base}/_fake/calendars/nobody/events/a"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = c
        .post(format!("{base}/_fake/failures"))
        .json(&json!({"status": 200}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
