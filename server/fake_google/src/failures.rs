//! Injected failures: a queue of error responses that matching API requests consume before
//! they reach a handler (rate limits, backend errors, …).
use std::collections::VecDeque;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::google_error::{default_message, default_reason, ApiError, OAuthError};

/// One injected failure. JSON form (control API):
/// `{"pathPrefix":"/calendar/v3","status":429,"reason":"rateLimitExceeded","retryAfter":2,"count":1}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Failure {
    /// Requests whose path starts with this fail ("" matches every API request).
    #[serde(alias = "path_prefix")]
    pub path_prefix: String,
    /// 400–599; typically 403, 429, 500 or 503.
    pub status: u16,
    /// Google's error reason; defaults by status (403/429 → rateLimitExceeded, 5xx → backendError).
    pub reason: Option<String>,
    /// Sent as a `Retry-After` header (seconds).
    #[serde(alias = "retry_after")]
    pub retry_after: Option<u64>,
    /// How many matching requests fail.
    pub count: u32,
}

impl Default for Failure {
    fn default() -> Self {
        Failure {
            path_prefix: String::new(),
            status: 503,
            reason: None,
            retry_after: None,
            count: 1,
        }
    }
}

impl Failure {
    pub fn new(path_prefix: impl Into<String>, status: u16) -> Self {
        Failure {
            path_prefix: path_prefix.into(),
            status,
            ..Failure::default()
        }
    }

    /// 429 `rateLimitExceeded`.
    pub fn rate_limited(path_prefix: impl Into<String>) -> Self {
        Failure::new(path_prefix, 429).reason("rateLimitExceeded")
    }

    /// 403 `userRateLimitExceeded`.
    pub fn user_rate_limited(path_prefix: impl Into<String>) -> Self {
        Failure::new(path_prefix, 403).reason("userRateLimitExceeded")
    }

    /// 503 `backendError`.
    pub fn backend_error(path_prefix: impl Into<String>) -> Self {
        Failure::new(path_prefix, 503).reason("backendError")
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn times(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(400..=599).contains(&self.status) {
            return Err(format!("status {} is not an error status", self.status));
        }
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        Ok(())
    }

    fn matches(&self, path: &str) -> bool {
        path.starts_with(&self.path_prefix)
    }

    /// The error response: Google's JSON API error for API paths, the OAuth error shape for
    /// the OAuth endpoints.
    pub fn response(&self, path: &str) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let oauth = ["/token", "/revoke", "/o/oauth2"]
            .iter()
            .any(|p| path.starts_with(p));
        if oauth {
            let error = self.reason.clone().unwrap_or_else(|| {
                match self.status {
                    403 | 429 => "rate_limit_exceeded",
                    s if s >= 500 => "temporarily_unavailable",
                    _ => "invalid_request",
                }
                .to_string()
            });
            let mut e = OAuthError::new(status, &error, "Injected by fake-google.");
            e.retry_after = self.retry_after;
            return e.into_response();
        }
        let reason = self
            .reason
            .clone()
            .unwrap_or_else(|| default_reason(status).to_string());
        let mut e = ApiError::new(status, &reason, default_message(&reason));
        e.retry_after = self.retry_after;
        e.into_response()
    }
}

#[derive(Debug, Default)]
pub struct FailureQueue(VecDeque<Failure>);

impl FailureQueue {
    pub fn push(&mut self, failure: Failure) {
        self.0.push_back(failure);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn pending(&self) -> Vec<Failure> {
        self.0.iter().cloned().collect()
    }

    /// Consumes one use of the first failure matching `path`.
    pub fn take(&mut self, path: &str) -> Option<Failure> {
        let i = self.0.iter().position(|f| f.matches(path))?;
        let failure = self.0[i].clone();
        if self.0[i].count <= 1 {
            self.0.remove(i);
        } else {
            self.0[i].count -= 1;
        }
        Some(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_consumes_counts_in_order() {
        let mut q = FailureQueue::default();
        q.push(Failure::rate_limited("/calendar/v3").times(2));
        q.push(Failure::backend_error("/token"));
        assert!(q.take("/v1/userinfo").is_none());
        assert_eq!(q.take("/token").unwrap().status, 503);
        assert_eq!(
            q.take("/calendar/v3/users/me/calendarList").unwrap().status,
            429
        );
        assert_eq!(q.take("/calendar/v3/x").unwrap().status, 429);
        assert!(q.take("/calendar/v3/x").is_none());
    }

    #[test]
    fn json_form_uses_camel_case_with_defaults() {
        let f: Failure = serde_json::from_str(r#"{"pathPrefix":"/token","status":429}"#).unwrap();
        assert_eq!(f.count, 1);
        assert_eq!(f.retry_after, None);
        assert!(Failure::new("", 200).validate().is_err());
    }
}
