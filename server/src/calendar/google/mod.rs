//! Google Calendar: OAuth2 (authorization code + PKCE, refresh, revocation), the Calendar v3
//! API client with rate-limit retries, event mapping, and incremental sync with sync tokens.
//! Every Google endpoint comes from configuration, so tests run against a local fake.
pub mod api;
pub mod cursor;
pub mod events;
pub mod flow;
pub mod oauth;
pub mod sync;
pub mod tokens;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

pub const SCOPE_CALENDAR: &str = "https://www.googleapis.com/auth/calendar.readonly";
pub const CALLBACK_PATH: &str = "/oauth/google/callback";

/// Where Google lives; the defaults are Google's documented endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct GoogleEndpoints {
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: String,
    pub userinfo_url: String,
    /// Calendar API v3 root, without a trailing slash.
    pub api_url: String,
}

impl Default for GoogleEndpoints {
    fn default() -> Self {
        GoogleEndpoints {
            auth_url: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            revoke_url: "https://oauth2.googleapis.com/revoke".into(),
            userinfo_url: "https://openidconnect.googleapis.com/v1/userinfo".into(),
            api_url: "https://www.googleapis.com/calendar/v3".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct GoogleSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub endpoints: GoogleEndpoints,
    /// The server's public URL; the OAuth redirect URI is derived from it.
    pub public_url: String,
    pub retry: crate::calendar::retry::RetryPolicy,
    pub request_timeout: Duration,
    /// The explicit proxy for calendar traffic (`RONDO_CALENDAR_PROXY`); proxy environment
    /// variables are ignored.
    pub proxy: Option<reqwest::Url>,
}

impl Default for GoogleSettings {
    fn default() -> Self {
        GoogleSettings {
            client_id: None,
            client_secret: None,
            endpoints: GoogleEndpoints::default(),
            public_url: "http://localhost:3000".into(),
            retry: crate::calendar::retry::RetryPolicy::default(),
            request_timeout: Duration::from_secs(60),
            proxy: None,
        }
    }
}

impl GoogleSettings {
    /// Both the client id and secret are set.
    pub fn configured(&self) -> bool {
        self.client_id
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
            && self
                .client_secret
                .as_ref()
                .is_some_and(|s| !s.expose_secret().trim().is_empty())
    }

    /// A client builder for Google's endpoints: the configured proxy only. The endpoints come
    /// from the operator's configuration (a local fake in tests), so private addresses are fine.
    pub fn http_builder(&self) -> Result<reqwest::ClientBuilder, crate::calendar::net::NetError> {
        crate::calendar::net::client_builder(&crate::calendar::net::Outbound {
            allow_private: true,
            proxy: self.proxy.clone(),
        })
    }

    pub fn redirect_uri(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.public_url.trim_end_matches('/'))
    }
}
