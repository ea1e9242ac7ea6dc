//! The middleware in front of every Google endpoint: it records each request, counts `/token`
//! calls by grant type, and answers with an injected failure when one matches.
use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::state::{lock, Shared};
use crate::util::{bearer, form_map, query_map};

/// One request to a Google endpoint (control API calls are not logged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub at: DateTime<Utc>,
    pub method: String,
    pub path: String,
    /// Query parameters; the last value of a repeated one.
    pub query: BTreeMap<String, String>,
    pub has_authorization: bool,
    /// `Bearer`, `Basic`, … as sent.
    pub authorization_scheme: Option<String>,
    /// The access token of a `Bearer` header.
    pub bearer_token: Option<String>,
    /// `grant_type` of a `/token` form (nothing else of that body is kept).
    pub grant_type: Option<String>,
    pub status: u16,
    /// Whether the response was an injected failure.
    pub injected: bool,
}

impl LoggedRequest {
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

/// `/token` calls by `grant_type`, since the last reset (injected failures included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequestCounts {
    pub authorization_code: usize,
    pub refresh_token: usize,
    pub other: usize,
}

impl TokenRequestCounts {
    pub fn total(&self) -> usize {
        self.authorization_code + self.refresh_token + self.other
    }

    fn count(&mut self, grant_type: Option<&str>) {
        match grant_type {
            Some("authorization_code") => self.authorization_code += 1,
            Some("refresh_token") => self.refresh_token += 1,
            _ => self.other += 1,
        }
    }
}

const MAX_TOKEN_BODY: usize = 64 * 1024;

pub async fn intercept(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/_fake") {
        return next.run(request).await;
    }
    let at = Utc::now();
    let method = request.method().to_string();
    let query = query_map(request.uri().query());
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (request, grant_type) = if path == "/token" {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_TOKEN_BODY).await else {
            return (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
        };
        let grant_type = form_map(&bytes).remove("grant_type");
        (Request::from_parts(parts, Body::from(bytes)), grant_type)
    } else {
        (request, None)
    };
    let failure = {
        let mut state = lock(&shared);
        if path == "/token" {
            state.token_counts.count(grant_type.as_deref());
        }
        state.failures.take(&path)
    };
    let response = match &failure {
        Some(failure) => failure.response(&path),
        None => next.run(request).await,
    };
    tracing::debug!(%method, %path, status = response.status().as_u16(), injected = failure.is_some(), "request");
    lock(&shared).log.push(LoggedRequest {
        at,
        method,
        path,
        query,
        has_authorization: authorization.is_some(),
        authorization_scheme: authorization
            .as_deref()
            .and_then(|a| a.split_whitespace().next())
            .map(str::to_string),
        bearer_token: authorization
            .as_deref()
            .and_then(bearer)
            .map(str::to_string),
        grant_type,
        status: response.status().as_u16(),
        injected: failure.is_some(),
    });
    response
}
