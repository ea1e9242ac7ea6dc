//! Google's error bodies: the JSON API shape (`{"error":{"code","message","errors":[…],"status"}}`)
//! used by the Calendar API, and the OAuth shape (`{"error","error_description"}`) used by
//! `/token` and `/revoke`.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

pub const AUTH_ERROR_MESSAGE: &str = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.";
pub const SYNC_GONE_MESSAGE: &str = "Sync token is no longer valid, a full sync is required.";

/// One Google JSON API error.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub reason: String,
    pub domain: String,
    /// Extra fields of the single `errors[]` entry (`location`, `locationType`).
    pub detail: Map<String, Value>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, reason: &str, message: &str) -> Self {
        ApiError {
            status,
            message: message.to_string(),
            reason: reason.to_string(),
            domain: default_domain(reason).to_string(),
            detail: Map::new(),
            retry_after: None,
        }
    }

    /// 401 for a missing, unknown, expired or revoked access token.
    pub fn unauthenticated() -> Self {
        let mut error = ApiError::new(StatusCode::UNAUTHORIZED, "authError", AUTH_ERROR_MESSAGE);
        error
            .detail
            .insert("location".into(), json!("Authorization"));
        error.detail.insert("locationType".into(), json!("header"));
        error
    }

    /// 403 for a token without a Calendar scope.
    pub fn insufficient_scopes() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficientPermissions",
            "Request had insufficient authentication scopes.",
        )
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "notFound", "Not Found")
    }

    pub fn sync_token_gone() -> Self {
        ApiError::new(StatusCode::GONE, "fullSyncRequired", SYNC_GONE_MESSAGE)
    }

    /// 400 for a bad query parameter.
    pub fn invalid_parameter(parameter: &str, message: &str) -> Self {
        let mut error = ApiError::new(StatusCode::BAD_REQUEST, "invalid", message);
        error.detail.insert("location".into(), json!(parameter));
        error
            .detail
            .insert("locationType".into(), json!("parameter"));
        error
    }

    pub fn body(&self) -> Value {
        // The top-level message of 401 is the long one; the entry says "Invalid Credentials".
        let entry_message = if self.reason == "authError" {
            "Invalid Credentials".to_string()
        } else {
            self.message.clone()
        };
        let mut entry = Map::new();
        entry.insert("message".into(), json!(entry_message));
        entry.insert("domain".into(), json!(self.domain));
        entry.insert("reason".into(), json!(self.reason));
        entry.extend(self.detail.clone());
        json!({
            "error": {
                "code": self.status.as_u16(),
                "message": self.message,
                "errors": [Value::Object(entry)],
                "status": status_name(self.status),
            }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
                ),
            );
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// An OAuth endpoint error: `{"error": CODE, "error_description": TEXT}`.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: String,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &str, description: &str) -> Self {
        OAuthError {
            status,
            error: error.to_string(),
            description: description.to_string(),
            retry_after: None,
        }
    }

    pub fn invalid_grant(description: &str) -> Self {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub fn invalid_request(description: &str) -> Self {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub fn invalid_client() -> Self {
        OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        )
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The message Google's documentation shows for each error reason.
pub fn default_message(reason: &str) -> &'static str {
    match reason {
        "rateLimitExceeded" => "Rate Limit Exceeded",
        "userRateLimitExceeded" => "User Rate Limit Exceeded",
        "quotaExceeded" => "Calendar usage limits exceeded.",
        "backendError" => "Backend Error",
        "authError" => AUTH_ERROR_MESSAGE,
        "insufficientPermissions" => "Request had insufficient authentication scopes.",
        "forbidden" => "Forbidden",
        "notFound" => "Not Found",
        "fullSyncRequired" => SYNC_GONE_MESSAGE,
        _ => "Error",
    }
}

/// The reason Google uses for an injected status when a test names none.
pub fn default_reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "authError",
        403 | 429 => "rateLimitExceeded",
        404 => "notFound",
        410 => "fullSyncRequired",
        s if s >= 500 => "backendError",
        _ => "badRequest",
    }
}

fn default_domain(reason: &str) -> &'static str {
    match reason {
        "rateLimitExceeded" | "userRateLimitExceeded" | "quotaExceeded" => "usageLimits",
        "fullSyncRequired" => "calendar",
        _ => "global",
    }
}

fn status_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        410 => "GONE",
        412 => "FAILED_PRECONDITION",
        429 => "RESOURCE_EXHAUSTED",
        500 => "INTERNAL",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthenticated_body_matches_google() {
        let body = ApiError::unauthenticated().body();
        assert_eq!(body["error"]["code"], 401);
        assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
        assert_eq!(body["error"]["errors"][0]["message"], "Invalid Credentials");
        assert_eq!(body["error"]["errors"][0]["reason"], "authError");
        assert_eq!(body["error"]["errors"][0]["location"], "Authorization");
        assert_eq!(body["error"]["errors"][0]["locationType"], "header");
    }

    #[test]
    fn gone_body_matches_google() {
        let body = ApiError::sync_token_gone().body();
        assert_eq!(body["error"]["code"], 410);
        assert_eq!(body["error"]["status"], "GONE");
        assert_eq!(body["error"]["errors"][0]["domain"], "calendar");
        assert_eq!(body["error"]["errors"][0]["reason"], "fullSyncRequired");
    }

    #[test]
    fn rate_limits_use_usage_limits_domain() {
        let e = ApiError::new(StatusCode::FORBIDDEN, "userRateLimitExceeded", "x");
        assert_eq!(e.body()["error"]["errors"][0]["domain"], "usageLimits");
    }
}
