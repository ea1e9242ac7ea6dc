//! A fake Google for Rondo's tests and end-to-end runs: OAuth 2.0 for web server apps with
//! PKCE, token revocation, OpenID userinfo, and Calendar API v3 `calendarList.list` and
//! `events.list` with paging and sync tokens, plus failure injection, a request log, and a
//! JSON control API under `/_fake/`. Everything is served from one base URL.
//!
//! ```no_run
//! # async fn demo() {
//! use fake_google::{Config, FakeGoogle};
//! let fake = FakeGoogle::start(Config::default()).await;
//! fake.put_event("primary", serde_json::json!({"id": "e1", "summary": "Lunch"}));
//! let token_url = fake.token_url(); // give these URLs to the client under test
//! # }
//! ```
mod calendar_api;
mod calendars;
mod config;
mod consent;
mod consent_page;
mod control;
mod failures;
mod google_error;
mod oauth;
mod paging;
mod request_log;
mod state;
mod tokens;
mod util;

use std::net::SocketAddr;

use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use calendars::{html_link, Calendar, StoreError};
pub use config::Config;
pub use consent::Decision;
pub use failures::Failure;
pub use request_log::{LoggedRequest, TokenRequestCounts};
pub use tokens::{pkce_challenge, IssuedTokens};

use state::{lock, Shared, State};

/// The HTTP app: Google's endpoints behind the logging / failure-injection middleware, and
/// the control API.
fn router(shared: Shared) -> Router {
    Router::new()
        .route("/o/oauth2/v2/auth", get(oauth::authorize))
        .route(consent_page::DECISION_PATH, post(oauth::decide))
        .route("/token", post(oauth::token))
        .route("/revoke", post(oauth::revoke))
        .route("/v1/userinfo", get(oauth::userinfo))
        .route(
            "/calendar/v3/users/me/calendarList",
            get(calendar_api::calendar_list),
        )
        .route(
            "/calendar/v3/calendars/{calendar_id}/events",
            get(calendar_api::events_list),
        )
        .merge(control::routes())
        .fallback(|| async { google_error::ApiError::not_found() })
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            request_log::intercept,
        ))
        .with_state(shared)
}

/// A running fake Google. Dropping it stops the server.
pub struct FakeGoogle {
    base_url: String,
    addr: SocketAddr,
    shared: Shared,
    server: JoinHandle<()>,
}

impl Drop for FakeGoogle {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeGoogle {
    /// Serves on 127.0.0.1 with a free port. Panics if it cannot bind.
    pub async fn start(config: Config) -> FakeGoogle {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake-google: binding 127.0.0.1:0");
        FakeGoogle::serve(config, listener).expect("fake-google: reading the bound address")
    }

    /// Serves on an already bound listener (the binary binds `--host`/`--port`).
    pub fn serve(config: Config, listener: TcpListener) -> std::io::Result<FakeGoogle> {
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let shared: Shared = std::sync::Arc::new(std::sync::Mutex::new(State::new(config)));
        let app = router(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake-google stopped");
            }
        });
        Ok(FakeGoogle {
            base_url,
            addr,
            shared,
            server,
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `B/o/oauth2/v2/auth` (Google: `https://accounts.google.com/o/oauth2/v2/auth`).
    pub fn auth_url(&self) -> String {
        format!("{}/o/oauth2/v2/auth", self.base_url)
    }

    /// `B/token` (Google: `https://oauth2.googleapis.com/token`).
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base_url)
    }

    /// `B/revoke` (Google: `https://oauth2.googleapis.com/revoke`).
    pub fn revoke_url(&self) -> String {
        format!("{}/revoke", self.base_url)
    }

    /// `B/v1/userinfo` (Google: `https://openidconnect.googleapis.com/v1/userinfo`).
    pub fn userinfo_url(&self) -> String {
        format!("{}/v1/userinfo", self.base_url)
    }

    /// `B/calendar/v3` (Google: `https://www.googleapis.com/calendar/v3`).
    pub fn calendar_api_url(&self) -> String {
        format!("{}/calendar/v3", self.base_url)
    }

    pub fn config(&self) -> Config {
        lock(&self.shared).config.clone()
    }

    /// Back to the state of a fresh start (one primary calendar, no tokens, empty log).
    pub fn reset(&self) {
        lock(&self.shared).reset();
    }

    /// Replaces the calendar list; events of calendars whose id stays are kept.
    /// Panics on an empty or duplicate id.
    pub fn set_calendars(&self, calendars: Vec<Calendar>) {
        if let Err(e) = lock(&self.shared).calendars.set_calendars(calendars) {
            panic!("{e}");
        }
    }

    pub fn calendars(&self) -> Vec<Calendar> {
        lock(&self.shared).calendars.calendars()
    }

    /// Removes a calendar and its events; false if there was none.
    pub fn remove_calendar(&self, calendar_id: &str) -> bool {
        lock(&self.shared).calendars.remove_calendar(calendar_id)
    }

    /// Inserts or replaces (by `id`) an event and returns it as stored, with `kind`, `etag`,
    /// `updated`, `created`, `iCalUID` and `status` filled in. `calendar_id` may be `primary`.
    /// Panics on an unknown calendar or an event without a string `id`.
    pub fn put_event(&self, calendar_id: &str, event: Value) -> Value {
        lock(&self.shared)
            .calendars
            .put_event(calendar_id, event)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Marks an event `cancelled` (how Google reports deletions) and returns it as stored.
    /// Panics on an unknown calendar or event.
    pub fn cancel_event(&self, calendar_id: &str, event_id: &str) -> Value {
        lock(&self.shared)
            .calendars
            .cancel_event(calendar_id, event_id)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The stored event, all fields, cancelled or not.
    pub fn event(&self, calendar_id: &str, event_id: &str) -> Option<Value> {
        lock(&self.shared).calendars.event(calendar_id, event_id)
    }

    /// Every sync token and events page token issued so far answers 410 from now on.
    pub fn invalidate_sync_tokens(&self) {
        lock(&self.shared).calendars.invalidate_sync_tokens();
    }

    /// Every access token issued so far is expired now (refresh tokens keep working).
    pub fn expire_access_tokens(&self) {
        lock(&self.shared).tokens.expire_access_tokens();
    }

    /// Revokes every access and refresh token issued so far.
    pub fn revoke_all_tokens(&self) {
        lock(&self.shared).tokens.revoke_all();
    }

    /// Queues a failure for the next `failure.count` requests under `failure.path_prefix`.
    /// Panics on a non-error status or a zero count.
    pub fn fail_next(&self, failure: Failure) {
        if let Err(e) = failure.validate() {
            panic!("fake-google: bad failure: {e}");
        }
        lock(&self.shared).failures.push(failure);
    }

    pub fn clear_failures(&self) {
        lock(&self.shared).failures.clear();
    }

    /// Requests to Google's endpoints, oldest first (control API calls are not logged).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared).log.clone()
    }

    /// Logged requests whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<LoggedRequest> {
        lock(&self.shared)
            .log
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .cloned()
            .collect()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared).log.clear();
    }

    /// Every access and refresh token issued since the start or the last reset.
    pub fn issued_tokens(&self) -> IssuedTokens {
        lock(&self.shared).tokens.issued()
    }

    /// `/token` calls by grant type since the start or the last reset.
    pub fn token_requests(&self) -> TokenRequestCounts {
        lock(&self.shared).token_counts
    }

    /// Opens `auth_url` (as built by the client under test) and clicks Allow: returns the
    /// redirect URL `redirect_uri?code=…&state=…&scope=…`. Panics if the page refuses.
    pub async fn consent(&self, auth_url: &str) -> String {
        self.decide(auth_url, Decision::Allow)
            .await
            .unwrap_or_else(|e| panic!("fake-google consent: {e}"))
    }

    /// Like [`FakeGoogle::consent`] but clicks Cancel: `redirect_uri?error=access_denied&state=…`.
    pub async fn deny(&self, auth_url: &str) -> String {
        self.decide(auth_url, Decision::Deny)
            .await
            .unwrap_or_else(|e| panic!("fake-google consent: {e}"))
    }

    /// The consent page's answer, or why there was none (e.g. the error page's text).
    pub async fn decide(&self, auth_url: &str, decision: Decision) -> Result<String, String> {
        consent::decide(&self.base_url, auth_url, decision).await
    }
}
