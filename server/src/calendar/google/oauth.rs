//! OAuth2 with Google through the `oauth2` crate: the consent URL (PKCE S256, offline access),
//! code exchange, refresh, revocation, and the OpenID userinfo call naming the account.
use chrono::Utc;
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    Scope, TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde::Deserialize;
use thiserror::Error;

use super::tokens::TokenSet;
use super::{GoogleSettings, SCOPE_CALENDAR};

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum OAuthError {
    #[error("Google Calendar is not configured on this server.")]
    NotConfigured,
    /// The refresh token (or code) was revoked, expired or already used.
    #[error("Google no longer accepts this sign-in (invalid_grant).")]
    InvalidGrant,
    #[error("Google refused the sign-in: {0}")]
    Refused(String),
    #[error("Rondo could not reach Google's sign-in service ({0}).")]
    Network(String),
}

pub struct GoogleOAuth {
    client: Client,
    http: reqwest::Client,
    userinfo_url: String,
    revoke_url: String,
}

/// Where to send the user, and the PKCE verifier to keep until they come back.
pub struct Authorization {
    pub url: String,
    pub verifier: String,
}

#[derive(Deserialize)]
struct UserInfo {
    email: Option<String>,
}

fn refused<E: std::fmt::Display>(e: E) -> OAuthError {
    OAuthError::Refused(e.to_string())
}

impl GoogleOAuth {
    pub fn new(settings: &GoogleSettings) -> Result<Self, OAuthError> {
        let (Some(id), Some(secret)) = (&settings.client_id, &settings.client_secret) else {
            return Err(OAuthError::NotConfigured);
        };
        if !settings.configured() {
            return Err(OAuthError::NotConfigured);
        }
        let e = &settings.endpoints;
        let client = BasicClient::new(ClientId::new(id.clone()))
            .set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()))
            .set_auth_uri(AuthUrl::new(e.auth_url.clone()).map_err(refused)?)
            .set_token_uri(TokenUrl::new(e.token_url.clone()).map_err(refused)?)
            .set_redirect_uri(RedirectUrl::new(settings.redirect_uri()).map_err(refused)?)
            // Google documents the client credentials in the request body.
            .set_auth_type(AuthType::RequestBody);
        let http = settings
            .http_builder()
            .map_err(|e| OAuthError::Network(e.to_string()))?
            // Following redirects from a token endpoint invites SSRF.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.request_timeout)
            .build()
            .map_err(|e| OAuthError::Network(e.to_string()))?;
        Ok(GoogleOAuth {
            client,
            http,
            userinfo_url: e.userinfo_url.clone(),
            revoke_url: e.revoke_url.clone(),
        })
    }

    /// The consent URL for `state`: read-only calendar access plus the account's address, with
    /// a refresh token (`access_type=offline`, `prompt=consent`).
    pub fn authorize(&self, state: &str, login_hint: Option<&str>) -> Authorization {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.to_string();
        let mut request = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .add_scope(Scope::new(SCOPE_CALENDAR.into()))
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("email".into()))
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent")
            .add_extra_param("include_granted_scopes", "true")
            .set_pkce_challenge(challenge);
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_string());
        }
        let (url, _) = request.url();
        Authorization {
            url: url.to_string(),
            verifier: verifier.secret().clone(),
        }
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> Result<TokenSet, OAuthError> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        Ok(to_tokens(&response, None))
    }

    /// A new access token; Google keeps the refresh token, so the old one is carried over.
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<TokenSet, OAuthError> {
        let Some(refresh) = &tokens.refresh_token else {
            return Err(OAuthError::InvalidGrant);
        };
        let response = self
            .client
            .exchange_refresh_token(&RefreshToken::new(refresh.expose_secret().to_owned()))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        Ok(to_tokens(&response, Some(tokens)))
    }

    /// Revokes the grant (the refresh token revokes its access tokens too). A plain form post
    /// as Google documents it: the `oauth2` crate insists on HTTPS, which a local test fake lacks.
    pub async fn revoke(&self, tokens: &TokenSet) -> Result<(), OAuthError> {
        let token = tokens
            .refresh_token
            .as_ref()
            .unwrap_or(&tokens.access_token);
        let response = self
            .http
            .post(&self.revoke_url)
            .form(&[("token", token.expose_secret())])
            .send()
            .await
            .map_err(|e| OAuthError::Network(e.to_string()))?;
        match response.status() {
            s if s.is_success() => Ok(()),
            s => Err(OAuthError::Refused(format!("revocation answered {s}"))),
        }
    }

    /// The connected account's email address (OpenID userinfo).
    pub async fn account_email(&self, access_token: &str) -> Result<String, OAuthError> {
        let response = self
            .http
            .get(&self.userinfo_url)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| OAuthError::Network(e.to_string()))?;
        if !response.status().is_success() {
            return Err(OAuthError::Refused(format!(
                "the account's address could not be read ({})",
                response.status()
            )));
        }
        let info: UserInfo = response
            .json()
            .await
            .map_err(|e| OAuthError::Refused(e.to_string()))?;
        info.email
            .filter(|e| e.contains('@'))
            .ok_or_else(|| OAuthError::Refused("Google did not share the account's address".into()))
    }
}

fn to_tokens<R: TokenResponse>(response: &R, previous: Option<&TokenSet>) -> TokenSet {
    TokenSet {
        access_token: response.access_token().secret().clone().into(),
        refresh_token: response
            .refresh_token()
            .map(|r| r.secret().clone().into())
            .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
        expires_at: response
            .expires_in()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| Utc::now() + d),
        scope: response
            .scopes()
            .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
            .or_else(|| previous.and_then(|p| p.scope.clone())),
    }
}

fn token_error<RE: std::error::Error + 'static>(
    e: RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(r)
            if *r.error() == BasicErrorResponseType::InvalidGrant =>
        {
            OAuthError::InvalidGrant
        }
        RequestTokenError::ServerResponse(r) => OAuthError::Refused(
            r.error_description()
                .cloned()
                .unwrap_or_else(|| r.error().to_string()),
        ),
        RequestTokenError::Request(e) => OAuthError::Network(e.to_string()),
        other => OAuthError::Refused(other.to_string()),
    }
}
