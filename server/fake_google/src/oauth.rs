//! Google's OAuth 2.0 endpoints for web server apps: the authorization (consent) endpoint with
//! PKCE, the token endpoint (authorization_code and refresh_token grants), revocation, and the
//! OpenID Connect userinfo endpoint.
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::Utc;
use reqwest::Url;
use serde_json::{json, Map, Value};

use crate::config::Config;
use crate::consent_page::{consent_page, error_page, is_identity_scope, ConsentView};
use crate::google_error::OAuthError;
use crate::state::{lock, Shared};
use crate::tokens::{Grant, PendingAuth};
use crate::util::{bearer, form_decode, form_map, form_pairs, query_map};

/// `GET /o/oauth2/v2/auth`: validates the request and shows the consent page.
pub async fn authorize(State(shared): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let q = query_map(query.as_deref());
    let mut state = lock(&shared);
    let param = |name: &str| q.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let missing = |name: &str| {
        error_page(
            "Error 400: invalid_request",
            &format!("Required parameter is missing: {name}"),
        )
    };
    let invalid = |detail: String| error_page("Error 400: invalid_request", &detail);

    let Some(client_id) = param("client_id") else {
        return missing("client_id");
    };
    if client_id != state.config.client_id {
        return error_page(
            "Error 401: invalid_client",
            "The OAuth client was not found.",
        );
    }
    let Some(redirect_uri) = param("redirect_uri") else {
        return missing("redirect_uri");
    };
    if Url::parse(redirect_uri).is_err() {
        return invalid(format!(
            "Invalid parameter value for redirect_uri: Invalid Format: {redirect_uri}"
        ));
    }
    let allowed = &state.config.allowed_redirect_uris;
    if !allowed.is_empty() && !allowed.iter().any(|u| u == redirect_uri) {
        return error_page(
            "Error 400: redirect_uri_mismatch",
            &format!("The redirect URI in the request, {redirect_uri}, does not match the ones authorized for the OAuth client."),
        );
    }
    match param("response_type") {
        None => return missing("response_type"),
        Some("code") => {}
        Some(other) => {
            return invalid(format!(
                "Invalid response_type: {other} (only code is supported)"
            ))
        }
    }
    let scopes = dedup_scopes(param("scope").unwrap_or_default());
    if scopes.is_empty() {
        return missing("scope");
    }
    let Some(code_challenge) = param("code_challenge") else {
        return invalid("fake-google requires PKCE: code_challenge is missing".into());
    };
    match param("code_challenge_method") {
        Some("S256") => {}
        other => {
            return invalid(format!(
                "Invalid code_challenge_method: {} (fake-google requires S256)",
                other.unwrap_or("(missing, which means plain)")
            ))
        }
    }
    let offline = match param("access_type") {
        None | Some("online") => false,
        Some("offline") => true,
        Some(other) => return invalid(format!("Invalid access_type: {other}")),
    };
    let pending = PendingAuth {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        state: q.get("state").cloned(),
        scopes,
        code_challenge: code_challenge.to_string(),
        offline,
        created: Utc::now(),
    };
    let request_id = state.tokens.begin(pending.clone());
    consent_page(&ConsentView {
        request_id: &request_id,
        account_email: &state.config.account_email,
        client_id,
        scopes: &pending.scopes,
        offline,
    })
}

/// `POST /o/oauth2/v2/auth/decision`: Allow or Cancel on the consent page → 302 to the app.
pub async fn decide(State(shared): State<Shared>, body: Bytes) -> Response {
    let fields = form_pairs(&body);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut state = lock(&shared);
    let Some(pending) = field("request_id").and_then(|id| state.tokens.take_pending(id)) else {
        return error_page(
            "Error 400: invalid_request",
            "This sign-in request has expired or was already answered.",
        );
    };
    let mut target = Url::parse(&pending.redirect_uri).expect("validated by authorize");
    match field("decision") {
        Some("allow") => {
            let granted: Vec<String> = if field("granular").is_some() {
                let ticked: Vec<&str> = fields
                    .iter()
                    .filter(|(k, _)| k == "scope")
                    .map(|(_, v)| v.as_str())
                    .collect();
                pending
                    .scopes
                    .iter()
                    .filter(|s| is_identity_scope(s) || ticked.contains(&s.as_str()))
                    .cloned()
                    .collect()
            } else {
                pending.scopes.clone()
            };
            let code = state.tokens.issue_code(&pending, granted.clone());
            let mut pairs = target.query_pairs_mut();
            pairs.append_pair("code", &code);
            if let Some(s) = &pending.state {
                pairs.append_pair("state", s);
            }
            pairs
                .append_pair("scope", &granted.join(" "))
                .append_pair("authuser", "0")
                .append_pair("prompt", "consent");
        }
        Some("deny") => {
            let mut pairs = target.query_pairs_mut();
            pairs.append_pair("error", "access_denied");
            if let Some(s) = &pending.state {
                pairs.append_pair("state", s);
            }
        }
        _ => return error_page("Error 400: invalid_request", "Unknown decision."),
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

/// `POST /token`.
pub async fn token(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let form = form_map(&body);
    let mut state = lock(&shared);
    let client_id = match authenticate_client(&state.config, &headers, &form) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let lifetime = state.config.access_token_lifetime;
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let grant = match field("grant_type") {
        None => Err(OAuthError::invalid_request(
            "Missing required parameter: grant_type",
        )),
        Some("authorization_code") => match (field("code"), field("redirect_uri")) {
            (None, _) => Err(OAuthError::invalid_request(
                "Missing required parameter: code",
            )),
            (_, None) => Err(OAuthError::invalid_request(
                "Missing required parameter: redirect_uri",
            )),
            (Some(code), Some(redirect_uri)) => state.tokens.redeem_code(
                code,
                &client_id,
                redirect_uri,
                field("code_verifier"),
                lifetime,
            ),
        },
        Some("refresh_token") => match field("refresh_token") {
            None => Err(OAuthError::invalid_request(
                "Missing required parameter: refresh_token",
            )),
            Some(rt) => state.tokens.refresh(rt, &client_id, lifetime),
        },
        Some(other) => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {other}"),
        )),
    };
    match grant {
        Ok(grant) => token_response(&state.config, &grant),
        Err(e) => e.into_response(),
    }
}

/// HTTP Basic (`base64(urlencode(id):urlencode(secret))`) or `client_id`/`client_secret` fields.
fn authenticate_client(
    config: &Config,
    headers: &HeaderMap,
    form: &std::collections::BTreeMap<String, String>,
) -> Result<String, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, encoded)| encoded.trim().to_string());
    let (id, secret) = match basic {
        Some(encoded) => {
            let decoded = STANDARD
                .decode(encoded)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(OAuthError::invalid_client)?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(OAuthError::invalid_client)?;
            (form_decode(id), Some(form_decode(secret)))
        }
        None => {
            let id = form
                .get("client_id")
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    OAuthError::invalid_request("Could not determine client ID from request.")
                })?;
            (id.clone(), form.get("client_secret").cloned())
        }
    };
    if id != config.client_id || secret.as_deref() != Some(config.client_secret.as_str()) {
        return Err(OAuthError::invalid_client());
    }
    Ok(id)
}

fn token_response(config: &Config, grant: &Grant) -> Response {
    let mut body = Map::new();
    body.insert("access_token".into(), json!(grant.access_token));
    body.insert("expires_in".into(), json!(grant.expires_in));
    if let Some(rt) = &grant.refresh_token {
        body.insert("refresh_token".into(), json!(rt));
    }
    body.insert("scope".into(), json!(grant.scopes.join(" ")));
    body.insert("token_type".into(), json!("Bearer"));
    if grant.scopes.iter().any(|s| is_identity_scope(s)) {
        body.insert("id_token".into(), json!(id_token(config, &grant.scopes)));
    }
    let mut response = Json(Value::Object(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn has_email_scope(scopes: &[String]) -> bool {
    scopes
        .iter()
        .any(|s| s == "email" || s == "https://www.googleapis.com/auth/userinfo.email")
}

fn has_profile_scope(scopes: &[String]) -> bool {
    scopes
        .iter()
        .any(|s| s == "profile" || s == "https://www.googleapis.com/auth/userinfo.profile")
}

/// A JWT-shaped but unsigned ID token (the signature part is a fixed placeholder).
fn id_token(config: &Config, scopes: &[String]) -> String {
    let now = Utc::now().timestamp();
    let header = json!({"alg": "RS256", "kid": "fake-google", "typ": "JWT"});
    let mut claims = json!({
        "iss": "https://accounts.google.com",
        "azp": config.client_id,
        "aud": config.client_id,
        "sub": config.subject,
        "iat": now,
        "exp": now + 3600,
    });
    if has_email_scope(scopes) {
        claims["email"] = json!(config.account_email);
        claims["email_verified"] = json!(true);
    }
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        part(&header),
        part(&claims),
        URL_SAFE_NO_PAD.encode("fake-google-unsigned")
    )
}

/// `POST /revoke` with `token` in the form body or the query string.
pub async fn revoke(
    State(shared): State<Shared>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let token = form_map(&body)
        .remove("token")
        .or_else(|| query_map(query.as_deref()).remove("token"))
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return OAuthError::invalid_request("Missing required parameter: token").into_response();
    };
    if lock(&shared).tokens.revoke(&token) {
        Json(json!({})).into_response()
    } else {
        OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        )
        .into_response()
    }
}

/// `GET /v1/userinfo` (OpenID Connect): `sub`, plus the email with the email scope.
pub async fn userinfo(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let state = lock(&shared);
    let scopes = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .and_then(|t| state.tokens.valid_access(t))
        .map(|t| t.scopes.clone());
    let Some(scopes) = scopes else {
        let mut response = OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request",
            "Invalid Credentials",
        )
        .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
            ),
        );
        return response;
    };
    let config = &state.config;
    let mut body = json!({"sub": config.subject});
    if has_email_scope(&scopes) {
        body["email"] = json!(config.account_email);
        body["email_verified"] = json!(true);
    }
    if has_profile_scope(&scopes) {
        let name = config.account_email.split('@').next().unwrap_or_default();
        body["name"] = json!(name);
        body["given_name"] = json!(name);
    }
    Json(body).into_response()
}

fn dedup_scopes(scope: &str) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for s in scope.split_whitespace() {
        if !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_string());
        }
    }
    scopes
}
