//! The `oauth2` crate (what Rondo's client uses) against the fake: HTTP Basic client
//! authentication with url-encoded credentials, PKCE, offline access and refresh.
mod common;

use common::*;
use fake_google::FakeGoogle;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};

#[tokio::test]
async fn oauth2_crate_signs_in_and_refreshes() {
    let fake = FakeGoogle::start(config()).await;
    let config = fake.config();
    let client = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_client_secret(ClientSecret::new(config.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(fake.auth_url()).unwrap())
        .set_token_uri(TokenUrl::new(fake.token_url()).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new(CALENDAR_SCOPE.into()))
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("email".into()))
        .add_extra_param("access_type", "offline")
        .add_extra_param("prompt", "consent")
        .add_extra_param("include_granted_scopes", "true")
        .set_pkce_challenge(challenge)
        .url();
    let redirect = fake.consent(url.as_str()).await;
    assert_eq!(
        query_param(&redirect, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    let code = query_param(&redirect, "code").unwrap();

    let http = http();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 3599);
    let scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(scopes.contains(&CALENDAR_SCOPE.to_string()));
    let refresh = tokens.refresh_token().unwrap().clone();
    let log = fake.requests_to("/token");
    assert_eq!(log[0].authorization_scheme.as_deref(), Some("Basic"));

    let refreshed = client
        .exchange_refresh_token(&refresh)
        .request_async(&http)
        .await
        .unwrap();
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    assert!(refreshed.refresh_token().is_none());

    fake.revoke_all_tokens();
    let error = client
        .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
        .request_async(&http)
        .await
        .unwrap_err();
    match error {
        RequestTokenError::ServerResponse(e) => {
            assert_eq!(e.error().as_ref(), "invalid_grant");
        }
        other => panic!("expected invalid_grant, got {other:?}"),
    }
}
