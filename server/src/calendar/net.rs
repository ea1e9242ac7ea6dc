//! Outbound HTTP to user-entered servers: refuse private networks (server-side request forgery)
//! on every connection, ignore proxy environment variables, cap response sizes, and map
//! transport failures to plain language.
//!
//! The private-network rule is enforced where the connection is made, not only before it: the
//! clients built by [`client_builder`] resolve names through [`GuardedResolver`], which drops
//! forbidden addresses from the very answer the connection uses, so a second, hostile DNS
//! answer (DNS rebinding) cannot reach 127.0.0.1. Literal IP addresses never reach a resolver,
//! so they are checked separately: [`check_literal`] before each request and [`redirect_policy`]
//! on each redirect reqwest follows itself.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Proxy, Url};
use thiserror::Error;

pub const MAX_RESPONSE_BYTES: usize = 20 * 1024 * 1024;
pub const MAX_REDIRECTS: usize = 5;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum NetError {
    #[error("The address \"{0}\" is not a valid http(s) URL.")]
    BadUrl(String),
    #[error(
        "{0} points to a private or local network address, which is not allowed on this server."
    )]
    PrivateAddress(String),
    #[error("The server name {0} could not be found (DNS).")]
    Dns(String),
    #[error("The server did not answer in time.")]
    Timeout,
    #[error("A secure (TLS) connection to the server failed: {0}")]
    Tls(String),
    #[error("Could not connect to the server: {0}")]
    Connect(String),
    #[error("The server's response was larger than {0} MB.")]
    TooLarge(usize),
    #[error("The server redirected too many times.")]
    TooManyRedirects,
}

/// How calendar traffic leaves this server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outbound {
    /// Let connections reach loopback and private networks (`RONDO_ALLOW_PRIVATE_SERVERS`).
    pub allow_private: bool,
    /// The only proxy calendar traffic uses (`RONDO_CALENDAR_PROXY`); `HTTP_PROXY` and friends
    /// are ignored, so credentials never go to a proxy nobody configured for them.
    pub proxy: Option<Url>,
}

impl Outbound {
    pub fn new(allow_private: bool) -> Self {
        Outbound {
            allow_private,
            proxy: None,
        }
    }
}

/// A client builder for calendar traffic: names resolve through [`GuardedResolver`], redirects
/// reqwest follows go through [`redirect_policy`], and only the configured proxy is used.
/// Callers add timeouts, a user agent, or their own redirect policy.
pub fn client_builder(outbound: &Outbound) -> Result<reqwest::ClientBuilder, NetError> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: outbound.allow_private,
            // The operator chose the proxy; it may well live on a private network.
            trusted: outbound
                .proxy
                .as_ref()
                .and_then(|p| p.host_str())
                .map(str::to_ascii_lowercase),
        }))
        .redirect(redirect_policy(outbound.allow_private));
    if let Some(proxy) = &outbound.proxy {
        builder = builder.proxy(
            Proxy::all(proxy.clone()).map_err(|e| NetError::Connect(format!("bad proxy: {e}")))?,
        );
    }
    Ok(builder)
}

/// A name that resolved only to forbidden addresses.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("{0} resolves only to private or local network addresses")]
pub struct ForbiddenHost(pub String);

/// Resolves names with the system resolver and keeps only the addresses connections may use;
/// fails when none is left. reqwest connects to exactly what this returns.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    allow_private: bool,
    /// A name exempt from the rule (the configured proxy).
    trusted: Option<String>,
}

impl GuardedResolver {
    pub fn new(allow_private: bool) -> Self {
        GuardedResolver {
            allow_private,
            trusted: None,
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let allow_private =
            self.allow_private || self.trusted.as_deref() == Some(host.trim_end_matches('.'));
        Box::pin(async move {
            let addresses = allowed_addresses(&host, allow_private).await?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// The addresses `host` resolves to that a connection may use (port 0: reqwest fills it in).
async fn allowed_addresses(
    host: &str,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    if found.is_empty() {
        return Err(format!("no addresses found for {host}").into());
    }
    let kept: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| allow_private || !is_forbidden(a.ip()))
        .collect();
    if kept.is_empty() {
        return Err(Box::new(ForbiddenHost(host.to_string())));
    }
    Ok(kept)
}

/// For redirects reqwest follows itself: at most [`MAX_REDIRECTS`], never to a forbidden
/// literal address (names are covered by the resolver).
pub fn redirect_policy(allow_private: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(NetError::TooManyRedirects);
        }
        match check_literal(attempt.url(), allow_private) {
            Ok(()) => attempt.follow(),
            Err(e) => attempt.error(e),
        }
    })
}

/// The URL's host when it is a literal IP address.
fn literal_ip(url: &Url) -> Option<IpAddr> {
    // The URL parser normalises every IPv4 spelling (0x7f.1, 2130706433) to dotted form.
    url.host_str()?.trim_matches(['[', ']']).parse().ok()
}

/// Refuses a literal forbidden IP host; names pass (the resolver checks them).
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), NetError> {
    if url.host_str().is_none() {
        return Err(NetError::BadUrl(url.to_string()));
    }
    match literal_ip(url) {
        Some(ip) if !allow_private && is_forbidden(ip) => Err(NetError::PrivateAddress(
            url.host_str().unwrap_or_default().to_string(),
        )),
        _ => Ok(()),
    }
}

fn forbidden_v4(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1])) // carrier-grade NAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || o[0] >= 240
}

/// The IPv4 address in the last 32 bits of `v6`.
fn low_v4(v6: Ipv6Addr) -> Ipv4Addr {
    let o = v6.octets();
    Ipv4Addr::new(o[12], o[13], o[14], o[15])
}

fn forbidden_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, which includes :: and ::1):
    // the stack may well deliver them to the IPv4 address.
    if s[..5] == [0; 5] && (s[5] == 0 || s[5] == 0xffff) {
        return forbidden_v4(low_v4(v6));
    }
    // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): a translator forwards to the embedded
    // IPv4 address, so judge that one (DNS64 hosts reach public IPv4 servers this way).
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return forbidden_v4(low_v4(v6));
    }
    // Local-use NAT64 64:ff9b:1::/48 (RFC 8215): site-specific translation, never public.
    if s[..3] == [0x64, 0xff9b, 1] {
        return true;
    }
    v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
}

/// Loopback, private, link-local, unique-local, unspecified, multicast and similar ranges,
/// including IPv4 ones hidden in IPv6 (mapped, compatible, NAT64).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

pub fn parse_url(text: &str) -> Result<Url, NetError> {
    let url = Url::parse(text.trim()).map_err(|_| NetError::BadUrl(text.trim().to_string()))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        _ => Err(NetError::BadUrl(text.trim().to_string())),
    }
}

/// Refuses a URL whose host is a forbidden literal address or a name with no allowed address:
/// an early, clear answer. The connection itself is guarded by [`GuardedResolver`].
pub async fn ensure_allowed(url: &Url, allow_private: bool) -> Result<(), NetError> {
    check_literal(url, allow_private)?;
    if allow_private || literal_ip(url).is_some() {
        return Ok(());
    }
    let host = url.host_str().unwrap_or_default().to_string();
    match allowed_addresses(&host, false).await {
        Ok(_) => Ok(()),
        Err(e) if e.is::<ForbiddenHost>() => Err(NetError::PrivateAddress(host)),
        Err(_) => Err(NetError::Dns(host)),
    }
}

/// Maps a reqwest failure to what a user can act on.
pub fn describe(error: &reqwest::Error, url: &Url) -> NetError {
    if let Some(e) = find_source::<NetError>(error) {
        return e.clone();
    }
    if let Some(ForbiddenHost(host)) = find_source::<ForbiddenHost>(error) {
        return NetError::PrivateAddress(host.clone());
    }
    let text = format!("{error:?}").to_lowercase();
    if error.is_timeout() {
        NetError::Timeout
    } else if text.contains("dns")
        || text.contains("failed to lookup")
        || text.contains("name or service not known")
    {
        NetError::Dns(url.host_str().unwrap_or_default().to_string())
    } else if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        NetError::Tls("the certificate could not be verified".into())
    } else {
        NetError::Connect(if error.is_connect() {
            "connection refused or unreachable".into()
        } else {
            "the request failed".into()
        })
    }
}

/// The first error of type `T` in `error`'s source chain.
fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// Reads a body, refusing to buffer more than `limit` bytes.
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, NetError> {
    if response
        .content_length()
        .is_some_and(|len| len as usize > limit)
    {
        return Err(NetError::TooLarge(limit / (1024 * 1024)));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        NetError::Connect(if e.is_timeout() {
            "timed out".into()
        } else {
            "the response broke off".into()
        })
    })? {
        if body.len() + chunk.len() > limit {
            return Err(NetError::TooLarge(limit / (1024 * 1024)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_ranges_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "fec0::1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "17.253.144.10",
            "8.8.8.8",
            "2a00:1450:4001:80b::200e",
            "172.32.0.1",
        ] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn ipv4_hidden_in_ipv6_is_judged_as_ipv4() {
        for ip in [
            // IPv4-compatible (::a.b.c.d)
            "::127.0.0.1",
            "::10.0.0.1",
            "::169.254.169.254",
            // NAT64 well-known prefix with a private IPv4 inside
            "64:ff9b::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::192.168.0.1",
            "64:ff9b::169.254.169.254",
            // local-use NAT64: always refused
            "64:ff9b:1::1",
            "64:ff9b:1:abcd::8.8.8.8",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        // Public IPv4 through DNS64/NAT64 stays reachable from IPv6-only hosts.
        for ip in ["64:ff9b::8.8.8.8", "::8.8.8.8", "64:ff9b:2::1"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_with_only_private_addresses() {
        let refused = GuardedResolver::new(false)
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost is refused");
        assert_eq!(
            refused.downcast_ref::<ForbiddenHost>(),
            Some(&ForbiddenHost("localhost".into()))
        );
        let allowed: Vec<SocketAddr> = GuardedResolver::new(true)
            .resolve("localhost".parse().unwrap())
            .await
            .expect("allowed with allow_private")
            .collect();
        assert!(!allowed.is_empty());
        assert!(allowed.iter().all(|a| a.ip().is_loopback()), "{allowed:?}");
    }

    /// A local HTTP server answering every request with `answer(port)`; counts requests.
    async fn serve(
        answer: impl Fn(u16) -> axum::response::Response + Clone + Send + Sync + 'static,
    ) -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let app = axum::Router::new().fallback(move || {
            let answer = answer.clone();
            counted.fetch_add(1, Ordering::SeqCst);
            async move { answer(addr.port()) }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (addr, hits)
    }

    fn redirect_to(location: String) -> axum::response::Response {
        axum::response::Response::builder()
            .status(302)
            .header("location", location)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    fn ok() -> axum::response::Response {
        axum::response::Response::new(axum::body::Body::from("ok"))
    }

    #[tokio::test]
    async fn connections_by_name_use_only_checked_addresses() {
        use std::sync::atomic::Ordering;
        let (addr, hits) = serve(|_| ok()).await;
        // No check before the request: the client itself must refuse at connection time.
        let client = client_builder(&Outbound::new(false))
            .unwrap()
            .build()
            .unwrap();
        let url = Url::parse(&format!("http://localhost:{}/", addr.port())).unwrap();
        let error = client.get(url.clone()).send().await.unwrap_err();
        assert_eq!(
            describe(&error, &url),
            NetError::PrivateAddress("localhost".into())
        );
        assert_eq!(hits.load(Ordering::SeqCst), 0);
        // Allowed, the same request goes through.
        let client = client_builder(&Outbound::new(true))
            .unwrap()
            .build()
            .unwrap();
        let body = client.get(url).send().await.unwrap().text().await.unwrap();
        assert_eq!(body, "ok");
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn followed_redirects_to_literal_private_addresses_are_refused() {
        use std::sync::atomic::Ordering;
        let (inner, inner_hits) = serve(|_| ok()).await;
        let target = format!("http://{inner}/secret");
        let (outer, _) = serve(move |_| redirect_to(target.clone())).await;
        let client = client_builder(&Outbound::new(false))
            .unwrap()
            .build()
            .unwrap();
        // The literal first address is the caller's to check (`check_literal`); the redirect
        // is the policy's.
        let url = Url::parse(&format!("http://{outer}/")).unwrap();
        assert_eq!(
            check_literal(&url, false),
            Err(NetError::PrivateAddress("127.0.0.1".into()))
        );
        let error = client.get(url.clone()).send().await.unwrap_err();
        assert_eq!(
            describe(&error, &url),
            NetError::PrivateAddress("127.0.0.1".into())
        );
        assert_eq!(inner_hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn followed_redirects_are_capped() {
        use std::sync::atomic::Ordering;
        let (addr, hits) =
            serve(|port| redirect_to(format!("http://127.0.0.1:{port}/again"))).await;
        let client = client_builder(&Outbound::new(true))
            .unwrap()
            .build()
            .unwrap();
        let url = Url::parse(&format!("http://{addr}/")).unwrap();
        let error = client.get(url.clone()).send().await.unwrap_err();
        assert_eq!(describe(&error, &url), NetError::TooManyRedirects);
        assert_eq!(hits.load(Ordering::SeqCst), MAX_REDIRECTS + 1);
    }

    /// A "proxy" that accepts connections, counts them, and answers every request with 200.
    async fn proxy_trap() -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    let _ = stream.read(&mut buffer).await;
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: close\r\n\r\nproxied")
                        .await;
                });
            }
        });
        (addr, connections)
    }

    #[tokio::test]
    async fn an_explicit_calendar_proxy_is_used() {
        use std::sync::atomic::Ordering;
        let (trap, connections) = proxy_trap().await;
        let outbound = Outbound {
            allow_private: false,
            proxy: Some(Url::parse(&format!("http://{trap}")).unwrap()),
        };
        let client = client_builder(&outbound).unwrap().build().unwrap();
        let body = client
            .get("http://calendar.example/dav/")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "proxied");
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }

    /// Proxy variables are process-wide, so this runs itself again in a child process with them
    /// pointing at a proxy that never answers.
    #[test]
    fn proxy_environment_variables_are_ignored() {
        const CHILD: &str = "RONDO_TEST_PROXY_ENV_CHILD";
        if std::env::var_os(CHILD).is_some() {
            return tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(proxy_environment_child());
        }
        let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        trap.set_nonblocking(true).unwrap();
        let proxy = format!("http://{}", trap.local_addr().unwrap());
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args([
                "calendar::net::tests::proxy_environment_variables_are_ignored",
                "--exact",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        for name in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            child.env(name, &proxy);
        }
        let output = child.output().unwrap();
        assert!(
            output.status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed"),
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let mut proxied = 0;
        while trap.accept().is_ok() {
            proxied += 1;
        }
        assert!(
            proxied >= 1,
            "the control client used the environment's proxy"
        );
    }

    async fn proxy_environment_child() {
        let (addr, _) = serve(|_| ok()).await;
        let url = format!("http://calendar.example:{}/", addr.port());
        // The calendar client goes straight to the server (the trap proxy never answers).
        let client = client_builder(&Outbound::new(true))
            .unwrap()
            .resolve("calendar.example", addr)
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap();
        let body = client.get(&url).send().await.unwrap().text().await.unwrap();
        assert_eq!(body, "ok");
        // Control: a default client honours the variables, so they are in effect here.
        let control = reqwest::Client::builder()
            .resolve("calendar.example", addr)
            .timeout(std::time::Duration::from_millis(500))
            .build()
            .unwrap();
        assert!(control.get(&url).send().await.is_err());
    }

    #[tokio::test]
    async fn literal_private_hosts_are_refused_unless_allowed() {
        let url = parse_url("http://127.0.0.1:5232/").unwrap();
        assert_eq!(
            ensure_allowed(&url, false).await,
            Err(NetError::PrivateAddress("127.0.0.1".into()))
        );
        assert_eq!(ensure_allowed(&url, true).await, Ok(()));
        let v6 = parse_url("http://[::1]:8080/dav").unwrap();
        assert!(matches!(
            ensure_allowed(&v6, false).await,
            Err(NetError::PrivateAddress(_))
        ));
        let named = parse_url("http://localhost:8080/").unwrap();
        assert!(matches!(
            ensure_allowed(&named, false).await,
            Err(NetError::PrivateAddress(_))
        ));
    }

    #[test]
    fn only_http_urls_are_accepted() {
        assert!(parse_url("https://caldav.icloud.com").is_ok());
        assert!(matches!(
            parse_url("file:///etc/passwd"),
            Err(NetError::BadUrl(_))
        ));
        assert!(matches!(parse_url("not a url"), Err(NetError::BadUrl(_))));
    }
}
