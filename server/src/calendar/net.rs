//! Outbound HTTP to user-entered servers: refuse private networks (server-side request forgery),
//! cap response sizes, and map transport failures to plain language.
use std::net::IpAddr;

use reqwest::Url;
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

/// Loopback, private, link-local, unique-local, unspecified, multicast and similar ranges.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
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
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

pub fn parse_url(text: &str) -> Result<Url, NetError> {
    let url = Url::parse(text.trim()).map_err(|_| NetError::BadUrl(text.trim().to_string()))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        _ => Err(NetError::BadUrl(text.trim().to_string())),
    }
}

/// Resolves the URL's host and refuses it when any address is in a forbidden range.
pub async fn ensure_allowed(url: &Url, allow_private: bool) -> Result<(), NetError> {
    if allow_private {
        return Ok(());
    }
    let host = url
        .host_str()
        .ok_or_else(|| NetError::BadUrl(url.to_string()))?
        .trim_matches(['[', ']'])
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| NetError::Dns(host.clone()))?
            .map(|a| a.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(NetError::Dns(host));
    }
    if addresses.into_iter().any(is_forbidden) {
        return Err(NetError::PrivateAddress(host));
    }
    Ok(())
}

/// Maps a reqwest failure to what a user can act on.
pub fn describe(error: &reqwest::Error, url: &Url) -> NetError {
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
