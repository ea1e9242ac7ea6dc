//! Helpers for the fake's own tests: a PKCE pair, auth URLs, and a signed-in token.
#![allow(dead_code)]
use fake_google::{pkce_challenge, Config, FakeGoogle};
use reqwest::Url;
use serde_json::Value;

pub const REDIRECT: &str = "http://127.0.0.1:9/oauth/google/callback";
pub const CALENDAR_SCOPE: &str = "https://www.googleapis.com/auth/calendar.readonly";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub fn config() -> Config {
    Config {
        client_id: "rondo-test.apps.googleusercontent.com".into(),
        // Characters the Basic scheme must url-encode.
        client_secret: "s3cr/t+&:x y".into(),
        account_email: "ada@example.com".into(),
        ..Config::default()
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The URL a client would send the browser to.
pub fn auth_url(fake: &FakeGoogle, offline: bool, state: &str) -> String {
    let mut url = Url::parse(&fake.auth_url()).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &fake.config().client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", &format!("openid {CALENDAR_SCOPE} email"))
        .append_pair("state", state)
        .append_pair("code_challenge", &pkce_challenge(VERIFIER))
        .append_pair("code_challenge_method", "S256")
        .append_pair("access_type", if offline { "offline" } else { "online" })
        .append_pair("prompt", "consent");
    url.to_string()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Allow on the consent page → the authorization code.
pub async fn code(fake: &FakeGoogle, offline: bool) -> String {
    let redirect = fake.consent(&auth_url(fake, offline, "st")).await;
    query_param(&redirect, "code").expect("a code in the redirect")
}

/// Exchanges a code with client credentials in the form body.
pub async fn exchange(fake: &FakeGoogle, code: &str, verifier: Option<&str>) -> reqwest::Response {
    let config = fake.config();
    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("redirect_uri", REDIRECT.to_string()),
        ("client_id", config.client_id.clone()),
        ("client_secret", config.client_secret.clone()),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v.to_string()));
    }
    http()
        .post(fake.token_url())
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// A complete sign-in: the token response JSON.
pub async fn sign_in(fake: &FakeGoogle, offline: bool) -> Value {
    let code = code(fake, offline).await;
    let response = exchange(fake, &code, Some(VERIFIER)).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub async fn access_token(fake: &FakeGoogle) -> String {
    sign_in(fake, true).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

pub async fn get(url: &str, token: &str) -> (u16, Value) {
    let response = http().get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
