//! The axum application: Leptos pages and server functions, the Google OAuth redirects, static
//! files, and `/healthz`, behind the cross-site request refusal of [`crate::cross_site`].
//!
//! Client assets (`/pkg`) are served as built by `scripts/build-client.sh`: content-hashed names
//! listed in `<site_root>/hash.txt` (Leptos's own hash-file format, so `HydrationScripts` and
//! `HashedStylesheet` link to them), precompressed `.br`/`.gz` siblings chosen by
//! `Accept-Encoding`, and cached for a year as immutable. Everything else (pages, server
//! functions, public files) is compressed on the fly and pages are revalidated on every visit.
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

use app::api::backend::{Backend, ClientAddr};
use app::{shell, App};

use crate::config::Config;
use crate::services::Services;

/// The file in the site root that names the hashed client assets (`js: <hash>` etc.).
pub const HASH_FILE: &str = "hash.txt";
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

pub fn leptos_options(config: &Config) -> LeptosOptions {
    // Leptos looks for the hash file next to the server binary unless the path is absolute.
    let site_root = std::path::absolute(&config.site_root).unwrap_or(config.site_root.clone());
    let hash_file = site_root.join(HASH_FILE);
    LeptosOptions::builder()
        .output_name("rondo")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .hash_files(hash_file.is_file())
        .hash_file(hash_file.display().to_string().into())
        .build()
}

pub fn router(config: &Config, services: Arc<Services>) -> Router {
    let backend: Arc<dyn Backend> = services.clone();
    let options = leptos_options(config);
    let routes = generate_route_list(App);
    let context = {
        let backend = backend.clone();
        move || provide_context(backend.clone())
    };
    let dynamic = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::google_routes::routes(services))
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        // Public assets, else the app's own "Page not found".
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(config.trusted_proxies.clone()),
            record_client_addr,
        ))
        .layer(middleware::map_response(revalidate_pages))
        .layer(middleware::map_response(server_fn_status))
        .layer(CompressionLayer::new().br(true).gzip(true));
    dynamic
        .nest_service("/pkg", pkg_service(&config.site_root))
        .with_state(options)
        // Outermost: refused before any route, server function or cookie handling runs.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(crate::cross_site::OriginGuard::new(&config.public_url)),
            crate::cross_site::refuse_cross_site,
        ))
}

/// Puts the client's address into the request's extensions, where sign-in finds it. Needs the
/// router served with `into_make_service_with_connect_info::<SocketAddr>()`; without it no
/// address is known and only the per-address throttle applies.
async fn record_client_addr(
    State(trusted): State<Arc<Vec<IpAddr>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = client_ip(peer, request.headers(), &trusted) {
        request.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(request).await
}

/// The peer's address, or, when the peer is a trusted proxy, the nearest address in
/// `X-Forwarded-For` that is not one (read right to left: each proxy appends the address it
/// saw, so only the part added by trusted proxies is believed).
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut ip = peer?.to_canonical();
    if !trusted.contains(&ip) {
        return Some(ip);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(hop) => {
                ip = hop.to_canonical();
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // Garbage from further out is not believed: stay with the last trusted hop.
            Err(_) => break,
        }
    }
    Some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in forwarded {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxy = ip("10.0.0.1");
        let spoofed = headers(&["6.6.6.6, 203.0.113.9"]);
        // No proxies configured: the peer, whatever the header says.
        assert_eq!(
            client_ip(Some(ip("198.51.100.2")), &spoofed, &[]),
            Some(ip("198.51.100.2"))
        );
        assert_eq!(client_ip(Some(proxy), &spoofed, &[]), Some(proxy));
        // Through a trusted proxy: the address it saw, not what the client claimed before it.
        assert_eq!(
            client_ip(Some(proxy), &spoofed, &[proxy]),
            Some(ip("203.0.113.9"))
        );
        // Two trusted hops, header split over two lines.
        let inner = ip("10.0.0.2");
        assert_eq!(
            client_ip(
                Some(proxy),
                &headers(&["6.6.6.6", "203.0.113.9, 10.0.0.2"]),
                &[proxy, inner]
            ),
            Some(ip("203.0.113.9"))
        );
        // Garbage or nothing after a trusted proxy: the proxy itself.
        assert_eq!(
            client_ip(Some(proxy), &headers(&["1.2.3.4, unknown"]), &[proxy]),
            Some(proxy)
        );
        assert_eq!(client_ip(Some(proxy), &headers(&[]), &[proxy]), Some(proxy));
        assert_eq!(client_ip(None, &spoofed, &[proxy]), None);
        // IPv4-mapped IPv6 peers count as their IPv4 address.
        assert_eq!(
            client_ip(Some(ip("::ffff:10.0.0.1")), &spoofed, &[proxy]),
            Some(ip("203.0.113.9"))
        );
    }
}

/// `/pkg`: the client assets, precompressed at build time (never compressed again here).
fn pkg_service(site_root: &Path) -> Router {
    let files = ServeDir::new(PathBuf::from(site_root).join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(cache_assets))
}

async fn cache_assets(request: Request, next: Next) -> Response {
    let hashed = is_hashed_asset(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(CACHE_CONTROL, if hashed { IMMUTABLE } else { NO_CACHE });
    response
}

/// server_fn answers every failed call with 500. Expected failures (a wrong password, a name too
/// long, something not found) get their own 4xx status, so neither the browser console nor a
/// log reports them as server faults; the JSON body the client decodes is unchanged.
async fn server_fn_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are a few hundred bytes of JSON; anything larger is left as it was sent.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Pages always come back to the server (with their own hashed asset links); other dynamic
/// answers keep whatever caching they set.
async fn revalidate_pages(mut response: Response) -> Response {
    let html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html && !response.headers().contains_key(CACHE_CONTROL) {
        response.headers_mut().insert(CACHE_CONTROL, NO_CACHE);
    }
    response
}

/// `name.<16 hex digits>.ext` as written by `scripts/build-client.sh`: its content never changes.
pub fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.split('.');
    let (Some(stem), Some(hash), Some(_ext)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty() && hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod asset_tests {
    use super::is_hashed_asset;

    #[test]
    fn hashed_asset_names() {
        assert!(is_hashed_asset("/rondo.0123456789abcdef.js"));
        assert!(is_hashed_asset("/rondo.0123456789abcdef.wasm"));
        assert!(is_hashed_asset("/rondo.0123456789abcdef.css"));
        // The precompressed siblings are requested under the plain name; still, they match.
        assert!(is_hashed_asset("rondo.0123456789abcdef.wasm.br"));
        assert!(!is_hashed_asset("/rondo.js"));
        assert!(!is_hashed_asset("/rondo_bg.wasm"));
        assert!(!is_hashed_asset("/rondo.0123456789abcdeg.js"));
        assert!(!is_hashed_asset("/rondo.0123.js"));
        assert!(!is_hashed_asset("/.0123456789abcdef.js"));
    }
}
