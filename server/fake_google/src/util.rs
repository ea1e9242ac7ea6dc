//! Small helpers shared by the handlers: random strings, form bodies, query strings, HTML.
use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use rand::distributions::Alphanumeric;
use rand::Rng;

pub fn random_string(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// `application/x-www-form-urlencoded` pairs in order (repeated keys kept).
pub fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

/// Form or query pairs as a map; the last value of a repeated key wins.
pub fn form_map(bytes: &[u8]) -> BTreeMap<String, String> {
    form_pairs(bytes).into_iter().collect()
}

pub fn query_map(query: Option<&str>) -> BTreeMap<String, String> {
    form_map(query.unwrap_or_default().as_bytes())
}

/// Undoes `application/x-www-form-urlencoded` encoding of one value ('+' is a space).
pub fn form_decode(value: &str) -> String {
    let spaced = value.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// RFC 3339 with milliseconds and `Z`, the way Google writes `updated`.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The bearer token of an `Authorization` header value, if it is one.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_values() {
        assert_eq!(form_decode("a%2Fb+c%3A"), "a/b c:");
        assert_eq!(form_decode("plain"), "plain");
    }

    #[test]
    fn finds_bearer_tokens() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
