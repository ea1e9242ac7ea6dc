//! OAuth 2.0 with PKCE, refresh, revocation and userinfo against the fake.
mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use fake_google::{Decision, FakeGoogle};
use serde_json::{json, Value};

#[tokio::test]
async fn consent_and_pkce_exchange_issue_tokens() {
    let fake = FakeGoogle::start(config()).await;
    let redirect = fake.consent(&auth_url(&fake, true, "state-1")).await;
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("state-1"));
    let scope = query_param(&redirect, "scope").unwrap();
    assert!(scope.split(' ').any(|s| s == CALENDAR_SCOPE), "{scope}");
    let code = query_param(&redirect, "code").unwrap();

    let response = exchange(&fake, &code, Some(VERIFIER)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert!(body["refresh_token"].is_string());
    assert!(body["id_token"].as_str().unwrap().split('.').count() == 3);
    assert_eq!(body["scope"], format!("openid {CALENDAR_SCOPE} email"));
    let issued = fake.issued_tokens();
    assert_eq!(
        issued.access_tokens,
        vec![body["access_token"].as_str().unwrap()]
    );
    assert_eq!(
        issued.refresh_tokens,
        vec![body["refresh_token"].as_str().unwrap()]
    );
    assert_eq!(fake.token_requests().authorization_code, 1);

    // Single use.
    let again = exchange(&fake, &code, Some(VERIFIER)).await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn online_access_gets_no_refresh_token() {
    let fake = FakeGoogle::start(config()).await;
    let body = sign_in(&fake, false).await;
    assert!(body.get("refresh_token").is_none(), "{body}");
}

#[tokio::test]
async fn pkce_mismatch_and_missing_verifier_are_invalid_grant() {
    let fake = FakeGoogle::start(config()).await;
    let code = code(&fake, true).await;
    let wrong = exchange(
        &fake,
        &code,
        Some("another-verifier-another-verifier-another-v"),
    )
    .await;
    assert_eq!(wrong.status(), 400);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");

    let missing = exchange(&fake, &code, None).await;
    assert_eq!(missing.status(), 400);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"error": "invalid_grant", "error_description": "Missing code verifier."})
    );
    // A failed attempt does not use the code up.
    assert_eq!(exchange(&fake, &code, Some(VERIFIER)).await.status(), 200);
}

#[tokio::test]
async fn redirect_uri_must_match_the_authorization_request() {
    let fake = FakeGoogle::start(config()).await;
    let code = code(&fake, true).await;
    let config = fake.config();
    let response = http()
        .post(fake.token_url())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/elsewhere"),
            ("code_verifier", VERIFIER),
            ("client_id", &config.client_id),
            ("client_secret", &config.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

/// The Rust oauth2 crate url-encodes id and secret before base64.
fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

#[tokio::test]
async fn basic_client_authentication_and_refresh() {
    let fake = FakeGoogle::start(config()).await;
    let config = fake.config();
    let code = code(&fake, true).await;
    let response = http()
        .post(fake.token_url())
        .header(
            "Authorization",
            basic(&config.client_id, &config.client_secret),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let first: Value = response.json().await.unwrap();
    let refresh_token = first["refresh_token"].as_str().unwrap();

    let refreshed = http()
        .post(fake.token_url())
        .header(
            "Authorization",
            basic(&config.client_id, &config.client_secret),
        )
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    let second: Value = refreshed.json().await.unwrap();
    assert!(second.get("refresh_token").is_none());
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["scope"], first["scope"]);
    assert_eq!(fake.token_requests().refresh_token, 1);
    let log = fake.requests_to("/token");
    assert_eq!(log[1].grant_type.as_deref(), Some("refresh_token"));
    assert_eq!(log[1].authorization_scheme.as_deref(), Some("Basic"));

    let wrong = http()
        .post(fake.token_url())
        .header("Authorization", basic(&config.client_id, "nope"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap(),
        json!({"error": "invalid_client", "error_description": "The OAuth client was not found."})
    );
}

async fn revoke(fake: &FakeGoogle, token: &str) -> (u16, Value) {
    let response = http()
        .post(fake.revoke_url())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn refresh(fake: &FakeGoogle, refresh_token: &str) -> (u16, Value) {
    let config = fake.config();
    let response = http()
        .post(fake.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &config.client_id),
            ("client_secret", &config.client_secret),
        ])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn revoked_refresh_token_is_invalid_grant_and_kills_its_access_tokens() {
    let fake = FakeGoogle::start(config()).await;
    let tokens = sign_in(&fake, true).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let list = format!("{}/users/me/calendarList", fake.calendar_api_url());
    assert_eq!(get(&list, access).await.0, 200);

    assert_eq!(revoke(&fake, refresh_token).await, (200, json!({})));
    assert_eq!(
        refresh(&fake, refresh_token).await,
        (
            400,
            json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
        )
    );
    assert_eq!(get(&list, access).await.0, 401);
    assert_eq!(
        revoke(&fake, refresh_token).await,
        (
            400,
            json!({"error": "invalid_token", "error_description": "Token expired or revoked"})
        )
    );
    assert_eq!(revoke(&fake, "never-issued").await.0, 400);
}

#[tokio::test]
async fn revoking_an_access_token_by_query_revokes_its_refresh_token() {
    let fake = FakeGoogle::start(config()).await;
    let tokens = sign_in(&fake, true).await;
    let access = tokens["access_token"].as_str().unwrap();
    let response = http()
        .post(format!("{}?token={access}", fake.revoke_url()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, _) = refresh(&fake, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn userinfo_names_the_account() {
    let fake = FakeGoogle::start(config()).await;
    let access = access_token(&fake).await;
    let (status, body) = get(&fake.userinfo_url(), &access).await;
    assert_eq!(status, 200);
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["email_verified"], true);
    assert!(body["sub"].as_str().unwrap().starts_with("1000"));
    assert_eq!(get(&fake.userinfo_url(), "bogus").await.0, 401);
    fake.expire_access_tokens();
    assert_eq!(get(&fake.userinfo_url(), &access).await.0, 401);
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let fake = FakeGoogle::start(config()).await;
    let redirect = fake.deny(&auth_url(&fake, true, "s2")).await;
    assert_eq!(
        query_param(&redirect, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("s2"));
    assert_eq!(query_param(&redirect, "code"), None);
}

#[tokio::test]
async fn consent_page_shows_account_scopes_and_buttons() {
    let fake = FakeGoogle::start(config()).await;
    let response = http().get(auth_url(&fake, true, "s")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Sign in with Google (fake)"));
    assert!(html.contains("ada@example.com"));
    assert!(html.contains(CALENDAR_SCOPE));
    assert!(html.contains("<button id=\"allow\""));
    assert!(html.contains("<button id=\"deny\""));
}

#[tokio::test]
async fn bad_authorization_requests_get_an_error_page() {
    let fake = FakeGoogle::start(config()).await;
    let good = auth_url(&fake, true, "s");
    let cases = [
        (
            "client_id=rondo-test.apps.googleusercontent.com",
            "client_id=someone-else",
            "invalid_client",
        ),
        (
            "code_challenge_method=S256",
            "code_challenge_method=plain",
            "code_challenge_method",
        ),
        ("response_type=code", "response_type=token", "response_type"),
    ];
    for (from, to, expect) in cases {
        let url = good.replace(from, to);
        assert_ne!(url, good);
        let response = http().get(&url).send().await.unwrap();
        assert_eq!(response.status(), 400, "{to}");
        assert!(response.text().await.unwrap().contains(expect), "{to}");
        let refused = fake.decide(&url, Decision::Allow).await;
        assert!(refused.is_err());
    }
    let no_pkce = good.replace("code_challenge=", "not_a_challenge=");
    assert_eq!(http().get(&no_pkce).send().await.unwrap().status(), 400);
}

#[tokio::test]
async fn unticking_the_calendar_scope_grants_only_identity() {
    let fake = FakeGoogle::start(config()).await;
    let html = http()
        .get(auth_url(&fake, true, "s"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"request_id\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let request_id = &html[start..start + html[start..].find('"').unwrap()];
    // What a browser posts with the calendar checkbox unticked.
    let response = http()
        .post(format!("{}/o/oauth2/v2/auth/decision", fake.base_url()))
        .form(&[
            ("request_id", request_id),
            ("granular", "1"),
            ("scope", "openid"),
            ("scope", "email"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        query_param(&location, "scope").as_deref(),
        Some("openid email")
    );
    let code = query_param(&location, "code").unwrap();
    let tokens: Value = exchange(&fake, &code, Some(VERIFIER))
        .await
        .json()
        .await
        .unwrap();
    let list = format!("{}/users/me/calendarList", fake.calendar_api_url());
    let (status, body) = get(&list, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error"]["errors"][0]["reason"],
        "insufficientPermissions"
    );
}

#[tokio::test]
async fn expired_codes_and_unknown_grants_are_refused() {
    let fake = FakeGoogle::start(config()).await;
    let (status, body) = {
        let response = exchange(&fake, "4/0never-issued", Some(VERIFIER)).await;
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let config = fake.config();
    let response = http()
        .post(fake.token_url())
        .form(&[
            ("grant_type", "password"),
            ("client_id", &config.client_id),
            ("client_secret", &config.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
}
