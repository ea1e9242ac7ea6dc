//! Session cookie plumbing for server functions.
use std::sync::Arc;

use http::header::{COOKIE, SET_COOKIE};
use http::HeaderValue;
use leptos::prelude::*;

use super::backend::{Backend, ClientAddr, NewSession};
use crate::error::{AppError, AppResult};
use crate::models::UserInfo;

pub const SESSION_COOKIE: &str = "rondo_session";

pub fn backend() -> AppResult<Arc<dyn Backend>> {
    use_context::<Arc<dyn Backend>>().ok_or(AppError::Internal)
}

pub fn session_token() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    session_from_headers(&parts.headers)
}

/// The client's address, as the server's middleware recorded it on the request.
pub fn client_addr() -> Option<ClientAddr> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<ClientAddr>()
        .copied()
}

/// The session cookie's value among a request's headers.
pub fn session_from_headers(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// The path of the page the request came from, with its query replaced by `query` ("" drops
/// it). Only the path is kept, so a redirect built from it never leaves the site.
pub fn back_with_query(query: &str) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    let referer = parts.headers.get(http::header::REFERER)?.to_str().ok()?;
    let path = referer.parse::<http::Uri>().ok()?.path().to_string();
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    Some(match query {
        "" => path,
        query => format!("{path}?{query}"),
    })
}

/// Whether the request is a plain HTML form post (no WASM client): the browser asks for a page
/// back, where the client's own calls ask for data.
pub fn plain_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// After a plain form post, go to `path` instead of back to the form's page (a form on a page
/// of its own, e.g. "Add CalDAV account" without JavaScript). The client's calls are left alone:
/// its dialogs close by themselves.
pub fn redirect_plain_form(path: &str) {
    if plain_form_post() {
        leptos_axum::redirect(path);
    }
}

/// The page the request came from (path and query) with the parameters in `set` put in place
/// of any of the same name (an empty value just removes them), and the error of an earlier
/// form post dropped. `set`'s values go in as given (URL-safe). Only a path on this site, like
/// [`back_with_query`].
pub fn back_with_params(set: &[(&str, &str)]) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    let referer = parts.headers.get(http::header::REFERER)?.to_str().ok()?;
    let uri = referer.parse::<http::Uri>().ok()?;
    let path = uri.path();
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    let replaced = |pair: &str| {
        let key = pair.split('=').next().unwrap_or_default();
        key == "__path" || key == "__err" || set.iter().any(|(k, _)| *k == key)
    };
    let query: Vec<String> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !replaced(pair))
        .map(str::to_string)
        .chain(
            set.iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{k}={v}")),
        )
        .collect();
    Some(match query.is_empty() {
        true => path.to_string(),
        false => format!("{path}?{}", query.join("&")),
    })
}

pub async fn current_user() -> AppResult<Option<UserInfo>> {
    match session_token() {
        Some(token) => backend()?.user_for_session(&token).await,
        None => Ok(None),
    }
}

pub async fn require_user() -> AppResult<(Arc<dyn Backend>, UserInfo)> {
    let backend = backend()?;
    let token = session_token().ok_or(AppError::Unauthorized)?;
    let user = backend
        .user_for_session(&token)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok((backend, user))
}

fn set_cookie(value: String) {
    if let (Some(response), Ok(header)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&value),
    ) {
        response.append_header(SET_COOKIE, header);
    }
}

pub fn start_session(session: &NewSession, secure: bool) {
    let max_age = (session.expires_at - chrono::Utc::now())
        .num_seconds()
        .max(0);
    let secure = if secure { "; Secure" } else { "" };
    set_cookie(format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        session.token
    ));
}

pub fn end_session(secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    set_cookie(format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ));
}
