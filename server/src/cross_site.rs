//! Cross-site request refusal (CSRF, login CSRF, sign-out CSRF): every request that may change
//! something (anything but GET, HEAD and OPTIONS) is refused with 403 when the browser says it
//! came from another site (`Sec-Fetch-Site: cross-site` or `same-site`) or names an `Origin`
//! other than Rondo's own. Requests carrying neither header (curl, scripts, old browsers) pass:
//! they cannot be forged by a web page in a current browser, and the `SameSite=Lax` session
//! cookie still stays home.
//!
//! Rondo's own origin is the public URL's (`RONDO_PUBLIC_URL`), or the `Host` the request was
//! sent to with the public URL's scheme, so a reverse proxy that rewrites `Host` still works.
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const REFUSED: &str = "Refused: this request came from another website. Rondo accepts changes only from its own pages. Open Rondo directly and try again.";

#[derive(Debug, Clone)]
pub struct OriginGuard {
    /// `https://crm.example.org`, lowercase, no trailing slash.
    public_origin: String,
    /// The public URL's scheme, for requests reaching Rondo under another `Host`.
    scheme: String,
}

impl OriginGuard {
    pub fn new(public_url: &str) -> Self {
        let (public_origin, scheme) = match reqwest::Url::parse(public_url) {
            Ok(url) => (url.origin().ascii_serialization(), url.scheme().to_string()),
            Err(_) => (public_url.trim_end_matches('/').to_string(), "http".into()),
        };
        OriginGuard {
            public_origin: public_origin.to_ascii_lowercase(),
            scheme,
        }
    }

    /// Why a request must be refused, if it must. `authority` is the request target's, for
    /// HTTP/2 requests without a `Host` header.
    pub fn refusal(
        &self,
        method: &Method,
        headers: &HeaderMap,
        authority: Option<&str>,
    ) -> Option<&'static str> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return None;
        }
        if let Some(site) = headers.get("sec-fetch-site") {
            if matches!(site.as_bytes(), b"cross-site" | b"same-site") {
                return Some(REFUSED);
            }
        }
        let origin = headers.get(header::ORIGIN)?;
        let origin = origin
            .to_str()
            .map(|o| o.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let own_host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or(authority)
            .map(|host| format!("{}://{}", self.scheme, host.trim().to_ascii_lowercase()));
        if origin == self.public_origin || own_host.as_deref() == Some(origin.as_str()) {
            None
        } else {
            Some(REFUSED)
        }
    }
}

/// The middleware: `axum::middleware::from_fn_with_state(guard, refuse_cross_site)`.
pub async fn refuse_cross_site(
    State(guard): State<Arc<OriginGuard>>,
    request: Request,
    next: Next,
) -> Response {
    let authority = request.uri().authority().map(|a| a.as_str());
    if let Some(reason) = guard.refusal(request.method(), request.headers(), authority) {
        tracing::warn!(
            method = %request.method(),
            path = %request.uri().path(),
            origin = ?request.headers().get(header::ORIGIN),
            sec_fetch_site = ?request.headers().get("sec-fetch-site"),
            host = ?request.headers().get(header::HOST),
            public_origin = %guard.public_origin,
            "refused a cross-site request (behind an https proxy? set RONDO_PUBLIC_URL)"
        );
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            reason,
        )
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn reading_is_never_refused() {
        let guard = OriginGuard::new("https://crm.example.org");
        let foreign = headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ]);
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert_eq!(guard.refusal(&method, &foreign, None), None, "{method}");
        }
    }

    #[test]
    fn changes_from_other_sites_are_refused() {
        let guard = OriginGuard::new("https://crm.example.org/");
        for pairs in [
            vec![("sec-fetch-site", "cross-site")],
            vec![
                ("sec-fetch-site", "same-site"),
                ("origin", "https://crm.example.org"),
            ],
            vec![
                ("origin", "https://evil.example"),
                ("host", "crm.example.org"),
            ],
            vec![("origin", "null"), ("host", "crm.example.org")],
            // Same host, other scheme or port: another origin.
            vec![
                ("origin", "http://crm.example.org"),
                ("host", "crm.example.org"),
            ],
            vec![
                ("origin", "https://crm.example.org:8443"),
                ("host", "crm.example.org"),
            ],
        ] {
            assert_eq!(
                guard.refusal(&Method::POST, &headers(&pairs), None),
                Some(REFUSED),
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn own_pages_and_tools_without_headers_pass() {
        let guard = OriginGuard::new("https://crm.example.org");
        for pairs in [
            vec![],
            vec![
                ("sec-fetch-site", "same-origin"),
                ("origin", "https://crm.example.org"),
            ],
            vec![("sec-fetch-site", "none")],
            // Behind a proxy that rewrites Host: the public origin still counts.
            vec![
                ("origin", "https://CRM.example.org"),
                ("host", "127.0.0.1:3000"),
            ],
            // Reached under another name with the public scheme (the Host it was sent to).
            vec![
                ("origin", "https://rondo.lan:8443"),
                ("host", "rondo.lan:8443"),
            ],
        ] {
            assert_eq!(
                guard.refusal(&Method::POST, &headers(&pairs), None),
                None,
                "{pairs:?}"
            );
        }
        // HTTP/2: the authority stands in for the Host header.
        let h2 = headers(&[("origin", "https://rondo.lan")]);
        assert_eq!(guard.refusal(&Method::POST, &h2, Some("rondo.lan")), None);
        assert_eq!(
            guard.refusal(&Method::POST, &h2, Some("other.lan")),
            Some(REFUSED)
        );
    }
}
