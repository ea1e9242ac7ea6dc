//! The two Calendar v3 calls Rondo needs — `calendarList.list` and `events.list` — with
//! Google's error bodies classified and rate limits / server errors retried.
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use crate::calendar::retry::{parse_retry_after, Attempt, RetryPolicy};

/// Google's page size limit is 2500; 250 keeps pages small and quick to store.
pub const PAGE_SIZE: u32 = 250;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ApiError {
    #[error("Google did not accept the access token.")]
    Unauthorized,
    #[error("Google asked for a full sync (the sync token expired).")]
    SyncTokenGone,
    #[error("Google could not find {0}.")]
    NotFound(String),
    #[error("Google is limiting requests right now (rate limit).")]
    RateLimited,
    #[error("Google refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("Google had a server error ({0}).")]
    Server(u16),
    #[error("Rondo could not reach Google ({0}).")]
    Network(String),
    #[error("Google sent a response Rondo could not read ({0}).")]
    Decode(String),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleCalendar {
    pub id: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub summary_override: Option<String>,
    #[serde(default)]
    pub background_color: Option<String>,
    #[serde(default)]
    pub primary: bool,
    #[serde(default)]
    pub access_role: Option<String>,
}

impl GoogleCalendar {
    pub fn name(&self) -> String {
        self.summary_override
            .clone()
            .or_else(|| self.summary.clone())
            .unwrap_or_else(|| self.id.clone())
    }
}

/// One page of `events.list`; items stay raw so one odd event cannot spoil the page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    #[serde(default)]
    pub items: Vec<Value>,
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub next_sync_token: Option<String>,
}

/// A first (windowed) listing, or the changes since a sync token.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    Full {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    Since {
        sync_token: &'a str,
    },
}

pub struct CalendarApi {
    http: reqwest::Client,
    base: Url,
    retry: RetryPolicy,
}

impl CalendarApi {
    /// `builder` carries the proxy choice (see `GoogleSettings::http_builder`).
    pub fn new(
        base: &str,
        builder: reqwest::ClientBuilder,
        retry: RetryPolicy,
        timeout: Duration,
    ) -> Result<Self, ApiError> {
        let base = Url::parse(base.trim_end_matches('/'))
            .map_err(|e| ApiError::Network(format!("bad Calendar API URL: {e}")))?;
        let http = builder
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApiError::Network(e.to_string()))?;
        Ok(CalendarApi { http, base, retry })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("an http(s) base URL")
            .pop_if_empty()
            .extend(segments);
        url
    }

    pub async fn calendar_list(&self, token: &str) -> Result<Vec<GoogleCalendar>, ApiError> {
        let mut calendars = Vec::new();
        let mut page_token: Option<String> = None;
        loop {
            let mut url = self.url(&["users", "me", "calendarList"]);
            url.query_pairs_mut()
                .append_pair("maxResults", &PAGE_SIZE.to_string());
            if let Some(p) = &page_token {
                url.query_pairs_mut().append_pair("pageToken", p);
            }
            let page = self.get(token, url).await?;
            let items = page.get("items").cloned().unwrap_or(Value::Array(vec![]));
            let items: Vec<GoogleCalendar> =
                serde_json::from_value(items).map_err(|e| ApiError::Decode(e.to_string()))?;
            calendars.extend(items);
            page_token = page
                .get("nextPageToken")
                .and_then(Value::as_str)
                .map(str::to_string);
            if page_token.is_none() {
                return Ok(calendars);
            }
        }
    }

    pub async fn events(
        &self,
        token: &str,
        calendar_id: &str,
        listing: Listing<'_>,
        page_token: Option<&str>,
    ) -> Result<EventsPage, ApiError> {
        let mut url = self.url(&["calendars", calendar_id, "events"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("singleEvents", "true")
                .append_pair("showDeleted", "true")
                .append_pair("maxResults", &PAGE_SIZE.to_string());
            match listing {
                Listing::Full { from, to } => {
                    q.append_pair("timeMin", &from.to_rfc3339_opts(SecondsFormat::Secs, true))
                        .append_pair("timeMax", &to.to_rfc3339_opts(SecondsFormat::Secs, true));
                }
                Listing::Since { sync_token } => {
                    q.append_pair("syncToken", sync_token);
                }
            }
            if let Some(p) = page_token {
                q.append_pair("pageToken", p);
            }
        }
        let page = self.get(token, url).await?;
        serde_json::from_value(page).map_err(|e| ApiError::Decode(e.to_string()))
    }

    async fn get(&self, token: &str, url: Url) -> Result<Value, ApiError> {
        self.retry
            .run("google", || async {
                match self.http.get(url.clone()).bearer_auth(token).send().await {
                    Ok(response) => classify(response).await,
                    Err(e) if e.is_timeout() || e.is_connect() => {
                        Attempt::Retry(ApiError::Network(e.to_string()), None)
                    }
                    Err(e) => Attempt::Fail(ApiError::Network(e.to_string())),
                }
            })
            .await
    }
}

/// Google's error body: `{"error": {"code", "message", "errors": [{"reason"}]}}`.
fn error_reason(body: &Value) -> (String, Option<String>) {
    let error = body.get("error");
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let reason = error
        .and_then(|e| e.get("errors"))
        .and_then(|e| e.get(0))
        .and_then(|e| e.get("reason"))
        .and_then(Value::as_str)
        .map(str::to_string);
    (message, reason)
}

async fn classify(response: reqwest::Response) -> Attempt<Value, ApiError> {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()));
    let body: Value = match response.bytes().await {
        Ok(bytes) if status.is_success() => match serde_json::from_slice(&bytes) {
            Ok(value) => return Attempt::Done(value),
            Err(e) => return Attempt::Fail(ApiError::Decode(e.to_string())),
        },
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        Err(e) => return Attempt::Retry(ApiError::Network(e.to_string()), None),
    };
    let (message, reason) = error_reason(&body);
    match status {
        StatusCode::UNAUTHORIZED => Attempt::Fail(ApiError::Unauthorized),
        StatusCode::GONE => Attempt::Fail(ApiError::SyncTokenGone),
        StatusCode::NOT_FOUND => Attempt::Fail(ApiError::NotFound(if message.is_empty() {
            "the calendar".into()
        } else {
            message
        })),
        StatusCode::TOO_MANY_REQUESTS => Attempt::Retry(ApiError::RateLimited, retry_after),
        StatusCode::FORBIDDEN
            if matches!(
                reason.as_deref(),
                Some("rateLimitExceeded" | "userRateLimitExceeded")
            ) =>
        {
            Attempt::Retry(ApiError::RateLimited, retry_after)
        }
        s if s.is_server_error() => Attempt::Retry(ApiError::Server(s.as_u16()), retry_after),
        s => Attempt::Fail(ApiError::Refused {
            status: s.as_u16(),
            message: if message.is_empty() {
                s.canonical_reason().unwrap_or("refused").to_string()
            } else {
                message
            },
        }),
    }
}
