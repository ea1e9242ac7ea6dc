//! Injected failures and the request log.
mod common;

use common::*;
use fake_google::{Failure, FakeGoogle};
use serde_json::Value;

#[tokio::test]
async fn injected_429_with_retry_after_then_success() {
    let fake = FakeGoogle::start(config()).await;
    let token = access_token(&fake).await;
    fake.fail_next(
        Failure::rate_limited("/calendar/v3")
            .retry_after(7)
            .times(2),
    );
    let url = format!("{}/users/me/calendarList", fake.calendar_api_url());
    for _ in 0..2 {
        let response = http().get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], 429);
        assert_eq!(body["error"]["errors"][0]["reason"], "rateLimitExceeded");
        assert_eq!(body["error"]["errors"][0]["domain"], "usageLimits");
    }
    assert_eq!(get(&url, &token).await.0, 200);
    let log = fake.requests_to("/calendar/v3");
    assert_eq!(
        log.iter()
            .map(|r| (r.status, r.injected))
            .collect::<Vec<_>>(),
        vec![(429, true), (429, true), (200, false)]
    );
}

#[tokio::test]
async fn injected_403_and_503_bodies() {
    let fake = FakeGoogle::start(config()).await;
    let token = access_token(&fake).await;
    fake.fail_next(Failure::user_rate_limited("/calendar/v3/calendars"));
    fake.fail_next(Failure::backend_error("/calendar/v3"));
    let events = format!("{}/calendars/primary/events", fake.calendar_api_url());
    let (status, body) = get(&events, &token).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error"]["errors"][0]["reason"],
        "userRateLimitExceeded"
    );
    assert_eq!(body["error"]["message"], "User Rate Limit Exceeded");
    let (status, body) = get(&events, &token).await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["errors"][0]["reason"], "backendError");
    assert_eq!(get(&events, &token).await.0, 200);
}

#[tokio::test]
async fn token_endpoint_failures_use_the_oauth_shape() {
    let fake = FakeGoogle::start(config()).await;
    let code = code(&fake, true).await;
    fake.fail_next(Failure::new("/token", 503));
    let response = exchange(&fake, &code, Some(VERIFIER)).await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "temporarily_unavailable"
    );
    // The code was not consumed by the injected failure.
    assert_eq!(exchange(&fake, &code, Some(VERIFIER)).await.status(), 200);
    assert_eq!(fake.token_requests().authorization_code, 2);
}

#[tokio::test]
async fn the_log_records_paths_queries_and_tokens() {
    let fake = FakeGoogle::start(config()).await;
    let token = access_token(&fake).await;
    fake.clear_requests();
    let url = format!(
        "{}/calendars/ada%40example.com/events?singleEvents=true&maxResults=10",
        fake.calendar_api_url()
    );
    assert_eq!(get(&url, &token).await.0, 200);
    let log = fake.requests();
    assert_eq!(log.len(), 1);
    let r = &log[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/calendar/v3/calendars/ada%40example.com/events");
    assert_eq!(r.query_param("singleEvents"), Some("true"));
    assert_eq!(r.query_param("maxResults"), Some("10"));
    assert!(r.has_authorization);
    assert_eq!(r.bearer_token.as_deref(), Some(token.as_str()));
    assert_eq!(r.status, 200);
    assert!(fake.issued_tokens().all().contains(&token));
}
