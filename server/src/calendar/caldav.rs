//! A CalDAV client that speaks what real servers offer: RFC 6764 discovery, PROPFIND, and the
//! sync-collection, calendar-query and calendar-multiget REPORTs. Every request goes through one
//! place that follows redirects itself (re-checking each target), retries server errors with
//! backoff, and caps response sizes.
//!
//! The password goes only to the origin (scheme, host, port) the user entered. A redirect or a
//! discovered href naming another origin ends the request with [`CalDavError::OtherOrigin`]
//! before anything is sent there, so a hostile or compromised server cannot collect the
//! password by pointing elsewhere; the user can enter that address themselves if they trust it.
use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use super::dav_xml::{self, DavResponse, APPLE, CALDAV, CALSERVER, DAV};
use super::net::{self, NetError, Outbound, MAX_REDIRECTS, MAX_RESPONSE_BYTES};
use super::retry::{Attempt, RetryPolicy};

#[derive(Debug, Clone)]
pub struct Credentials {
    username: String,
    password: SecretString,
}

impl Credentials {
    pub fn new(username: String, password: impl Into<SecretString>) -> Self {
        Credentials {
            username,
            password: password.into(),
        }
    }
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum CalDavError {
    #[error("The server rejected the username or password.")]
    Unauthorized,
    #[error("The calendar or account was not found on the server.")]
    NotFound,
    #[error("No CalDAV calendars were found at this address.")]
    NotCalDav,
    #[error("The server no longer accepts the stored sync token.")]
    InvalidSyncToken,
    #[error("{0}")]
    Net(#[from] NetError),
    #[error("The server had an internal problem (HTTP {0}).")]
    Server(u16),
    #[error("The server refused the request (HTTP {0}).")]
    Http(u16),
    #[error("The server sent a response Rondo could not read ({0}).")]
    BadResponse(String),
    /// A redirect or href pointed to another origin; nothing was sent there.
    #[error("The server pointed to another address, {0}. Rondo sends your password only to the address you entered. If you trust {0}, enter it as the server URL instead.")]
    OtherOrigin(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RemoteCalendar {
    /// Absolute URL of the collection.
    pub href: String,
    pub display_name: Option<String>,
    pub color: Option<String>,
    pub supports_sync_collection: bool,
}

/// What discovery found: the event calendars, and the addresses the server knows the account
/// by (the principal's `calendar-user-address-set`, RFC 6638).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Discovery {
    pub calendars: Vec<RemoteCalendar>,
    pub addresses: Vec<String>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct SyncDelta {
    pub changed: Vec<(String, String)>,
    pub deleted: Vec<String>,
    pub new_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CalendarObject {
    pub href: String,
    pub etag: String,
    pub calendar_data: String,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Multiget {
    pub found: Vec<CalendarObject>,
    pub missing: Vec<String>,
}

pub struct CalDavClient {
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    allow_private: bool,
    retry: RetryPolicy,
}

/// Whether `url` may receive the password entered for `base`: the same origin (scheme, host
/// and port), or over https on the same port a host of the same registrable domain (by the
/// public suffix list) — iCloud sends `caldav.icloud.com` users on to `p42-caldav.icloud.com`,
/// the same party, while `a.github.io` and `b.github.io` stay strangers.
pub fn same_origin(base: &Url, url: &Url) -> bool {
    if url.origin() == base.origin() {
        return true;
    }
    let registrable = |u: &Url| {
        u.host_str()
            .and_then(|h| psl::domain_str(h))
            .map(str::to_ascii_lowercase)
    };
    base.scheme() == "https"
        && url.scheme() == "https"
        && base.port_or_known_default() == url.port_or_known_default()
        && registrable(base).is_some()
        && registrable(base) == registrable(url)
}

struct Reply {
    status: StatusCode,
    url: Url,
    body: String,
}

impl CalDavClient {
    pub fn new(
        base: &str,
        credentials: Credentials,
        outbound: &Outbound,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Result<Self, CalDavError> {
        let base = net::parse_url(base)?;
        let http = net::client_builder(outbound)?
            // `send_once` follows redirects itself: reqwest would turn a redirected PROPFIND or
            // REPORT into a GET, and each hop's origin is checked there before credentials go.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .user_agent(concat!("Rondo/", env!("CARGO_PKG_VERSION"), " (CalDAV)"))
            .build()
            .map_err(|e| CalDavError::Net(NetError::Connect(e.to_string())))?;
        Ok(CalDavClient {
            http,
            base,
            credentials,
            allow_private: outbound.allow_private,
            retry: RetryPolicy::caldav(),
        })
    }

    fn resolve(&self, href: &str) -> Result<Url, CalDavError> {
        self.base
            .join(href)
            .map_err(|_| CalDavError::BadResponse(format!("invalid href {href}")))
    }

    /// Sends one DAV request, following up to five redirects (each target checked against the
    /// private-network rule and the entered origin) and retrying 5xx answers with exponential
    /// backoff.
    async fn send(
        &self,
        method: &str,
        url: Url,
        depth: &str,
        body: &str,
    ) -> Result<Reply, CalDavError> {
        self.retry
            .run("caldav", || async {
                match self.send_once(method, url.clone(), depth, body).await {
                    Ok(reply) => Attempt::Done(reply),
                    Err(e @ CalDavError::Server(_)) => Attempt::Retry(e, None),
                    Err(e) => Attempt::Fail(e),
                }
            })
            .await
    }

    async fn send_once(
        &self,
        method: &str,
        mut url: Url,
        depth: &str,
        body: &str,
    ) -> Result<Reply, CalDavError> {
        let method = Method::from_bytes(method.as_bytes()).expect("valid method");
        for _ in 0..=MAX_REDIRECTS {
            // Names are checked by the client's resolver on connect; literal addresses here.
            net::check_literal(&url, self.allow_private)?;
            if !same_origin(&self.base, &url) {
                return Err(CalDavError::OtherOrigin(url.origin().ascii_serialization()));
            }
            let response = self
                .http
                .request(method.clone(), url.clone())
                .header("Depth", depth)
                .header("Content-Type", "application/xml; charset=utf-8")
                .basic_auth(
                    &self.credentials.username,
                    Some(self.credentials.password.expose_secret()),
                )
                .body(body.to_string())
                .send()
                .await
                .map_err(|e| CalDavError::Net(net::describe(&e, &url)))?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or(CalDavError::Http(status.as_u16()))?;
                url = url
                    .join(location)
                    .map_err(|_| CalDavError::BadResponse("invalid redirect".into()))?;
                continue;
            }
            match status.as_u16() {
                401 => return Err(CalDavError::Unauthorized),
                code if code >= 500 => return Err(CalDavError::Server(code)),
                _ => {}
            }
            let bytes = net::read_capped(response, MAX_RESPONSE_BYTES).await?;
            let body = String::from_utf8_lossy(&bytes).into_owned();
            return Ok(Reply { status, url, body });
        }
        Err(NetError::TooManyRedirects.into())
    }

    async fn multistatus(
        &self,
        method: &str,
        url: Url,
        depth: &str,
        body: &str,
    ) -> Result<(Url, dav_xml::Multistatus), CalDavError> {
        let reply = self.send(method, url, depth, body).await?;
        match reply.status.as_u16() {
            207 => {}
            404 | 410 => return Err(CalDavError::NotFound),
            code => return Err(CalDavError::Http(code)),
        }
        let ms = dav_xml::multistatus(&reply.body).map_err(CalDavError::BadResponse)?;
        Ok((reply.url, ms))
    }

    /// RFC 6764 and RFC 4791 discovery: principal, calendar home, then the VEVENT collections;
    /// the principal's addresses on the way. Calendars on another origin are left out (their
    /// sync would need the password there); when only such calendars exist, the answer is
    /// [`CalDavError::OtherOrigin`].
    pub async fn discover(&self) -> Result<Discovery, CalDavError> {
        let (home, addresses) = self.calendar_home().await?;
        let calendars = self.calendars_in(home).await?;
        Ok(Discovery {
            calendars,
            addresses,
        })
    }

    async fn calendars_in(&self, home: Url) -> Result<Vec<RemoteCalendar>, CalDavError> {
        let (at, ms) = self
            .multistatus("PROPFIND", home.clone(), "1", &propfind(COLLECTION_PROPS))
            .await?;
        let calendars: Vec<RemoteCalendar> = ms
            .responses
            .iter()
            .filter_map(|r| remote_calendar(&at, r))
            .collect();
        if !calendars.is_empty() {
            return self.on_own_origin(calendars);
        }
        // The URL may itself be a calendar collection.
        let (at, ms) = self
            .multistatus("PROPFIND", home, "0", &propfind(COLLECTION_PROPS))
            .await?;
        let own: Vec<RemoteCalendar> = ms
            .responses
            .iter()
            .filter_map(|r| remote_calendar(&at, r))
            .collect();
        if own.is_empty() {
            return Err(CalDavError::NotCalDav);
        }
        self.on_own_origin(own)
    }

    fn on_own_origin(
        &self,
        calendars: Vec<RemoteCalendar>,
    ) -> Result<Vec<RemoteCalendar>, CalDavError> {
        let (own, foreign): (Vec<_>, Vec<_>) = calendars
            .into_iter()
            .partition(|c| Url::parse(&c.href).is_ok_and(|url| same_origin(&self.base, &url)));
        match foreign.first() {
            Some(first) if own.is_empty() => Err(CalDavError::OtherOrigin(
                Url::parse(&first.href)
                    .map(|u| u.origin().ascii_serialization())
                    .unwrap_or_else(|_| first.href.clone()),
            )),
            _ => {
                for skipped in &foreign {
                    tracing::warn!(calendar = %skipped.href, "skipped a calendar on another origin");
                }
                Ok(own)
            }
        }
    }

    async fn calendar_home(&self) -> Result<(Url, Vec<String>), CalDavError> {
        let well_known = self.base.join("/.well-known/caldav").expect("static path");
        let at_root = self.base.path() == "/" || self.base.path().is_empty();
        let candidates = if at_root {
            vec![well_known, self.base.clone()]
        } else {
            vec![self.base.clone(), well_known]
        };
        let mut last_error = CalDavError::NotCalDav;
        let mut elsewhere = None;
        for start in candidates {
            match self.home_from(start).await {
                Ok(Some(home)) => return Ok(home),
                Ok(None) => {}
                Err(CalDavError::Unauthorized) => return Err(CalDavError::Unauthorized),
                // Remembered: "enter that address" beats a generic "not CalDAV".
                Err(e @ CalDavError::OtherOrigin(_)) => elsewhere = Some(e),
                Err(e) => last_error = e,
            }
        }
        if let Some(e) = elsewhere {
            return Err(e);
        }
        Err(match last_error {
            CalDavError::NotFound | CalDavError::Http(_) | CalDavError::BadResponse(_) => {
                CalDavError::NotCalDav
            }
            other => other,
        })
    }

    /// From a starting URL: its calendar-home-set, or the principal's, or the URL itself when it
    /// is a calendar collection; with the addresses of the principal that answered.
    async fn home_from(&self, start: Url) -> Result<Option<(Url, Vec<String>)>, CalDavError> {
        let (at, ms) = self
            .multistatus("PROPFIND", start, "0", &propfind(PRINCIPAL_PROPS))
            .await?;
        let Some(response) = ms.responses.first() else {
            return Ok(None);
        };
        if let Some(home) = href_in(response, CALDAV, "calendar-home-set") {
            return Ok(Some((join(&at, &home)?, user_addresses(response))));
        }
        if response
            .prop(DAV, "resourcetype")
            .is_some_and(|t| t.child(CALDAV, "calendar").is_some())
        {
            return Ok(Some((join(&at, &response.href)?, Vec::new())));
        }
        let Some(principal) = href_in(response, DAV, "current-user-principal") else {
            return Ok(None);
        };
        let principal = join(&at, &principal)?;
        let (at, ms) = self
            .multistatus("PROPFIND", principal, "0", &propfind(PRINCIPAL_PROPS))
            .await?;
        let Some(response) = ms.responses.first() else {
            return Ok(None);
        };
        match href_in(response, CALDAV, "calendar-home-set") {
            Some(home) => Ok(Some((join(&at, &home)?, user_addresses(response)))),
            None => Ok(None),
        }
    }

    /// The collection's getctag (or, lacking one, its sync-token): a cheap "has anything changed".
    pub async fn get_ctag(&self, calendar: &str) -> Result<Option<String>, CalDavError> {
        let body =
            propfind(r#"<d:getctag xmlns:d="http://calendarserver.org/ns/"/><d:sync-token/>"#);
        let (_, ms) = self
            .multistatus("PROPFIND", self.resolve(calendar)?, "0", &body)
            .await?;
        Ok(ms.responses.first().and_then(|r| {
            r.prop_text(CALSERVER, "getctag")
                .or_else(|| r.prop_text(DAV, "sync-token"))
        }))
    }

    /// RFC 6578 sync-collection: with a token, what changed since; without, everything.
    pub async fn sync_collection(
        &self,
        calendar: &str,
        token: Option<&str>,
    ) -> Result<SyncDelta, CalDavError> {
        let url = self.resolve(calendar)?;
        let token_xml = token
            .map(|t| format!("<d:sync-token>{}</d:sync-token>", dav_xml::escape(t)))
            .unwrap_or_else(|| "<d:sync-token/>".into());
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:">{token_xml}<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#
        );
        let reply = self.send("REPORT", url.clone(), "1", &body).await?;
        match reply.status.as_u16() {
            207 => {}
            400 | 403 | 409 | 412 if token.is_some() => return Err(CalDavError::InvalidSyncToken),
            404 | 410 => return Err(CalDavError::NotFound),
            code => return Err(CalDavError::Http(code)),
        }
        let ms = dav_xml::multistatus(&reply.body).map_err(CalDavError::BadResponse)?;
        // RFC 6578 requires the new token in every answer: one without it was cut short or
        // made up (an empty listing would otherwise look like "everything was deleted").
        if ms.sync_token.is_none() {
            return Err(CalDavError::BadResponse(
                "a sync answer without its sync token".into(),
            ));
        }
        let mut delta = SyncDelta {
            new_token: ms.sync_token,
            ..Default::default()
        };
        for r in ms
            .responses
            .into_iter()
            .filter(|r| !is_collection(&reply.url, &r.href))
        {
            if r.status == Some(404) {
                delta.deleted.push(r.href);
            } else if let Some(etag) = r.prop_text(DAV, "getetag") {
                delta.changed.push((r.href, etag));
            }
        }
        Ok(delta)
    }

    /// Hrefs and ETags of the events overlapping a window (RFC 4791 calendar-query).
    pub async fn calendar_query_etags(
        &self,
        calendar: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, CalDavError> {
        let url = self.resolve(calendar)?;
        let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="{}" end="{}"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#,
            stamp(from),
            stamp(to)
        );
        let (at, ms) = self.multistatus("REPORT", url, "1", &body).await?;
        Ok(etags(&at, ms))
    }

    /// Hrefs and ETags of every object in the collection: a Depth 1 PROPFIND, as clients
    /// without sync-collection list (no token; nothing computed for one on the server).
    pub async fn list_etags(&self, calendar: &str) -> Result<Vec<(String, String)>, CalDavError> {
        let (at, ms) = self
            .multistatus(
                "PROPFIND",
                self.resolve(calendar)?,
                "1",
                &propfind("<d:getetag/>"),
            )
            .await?;
        Ok(etags(&at, ms))
    }

    /// Fetches objects by href in batches; hrefs the server did not return (a 404, no data, or
    /// left out of the answer) come back as missing.
    pub async fn multiget(
        &self,
        calendar: &str,
        hrefs: &[String],
        batch: usize,
    ) -> Result<Multiget, CalDavError> {
        let url = self.resolve(calendar)?;
        let mut result = Multiget::default();
        for chunk in hrefs.chunks(batch.max(1)) {
            let list: String = chunk
                .iter()
                .map(|h| format!("<d:href>{}</d:href>", dav_xml::escape(h)))
                .collect();
            let body = format!(
                r#"<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>{list}</c:calendar-multiget>"#
            );
            let (at, ms) = self.multistatus("REPORT", url.clone(), "1", &body).await?;
            let answered: HashSet<String> = ms
                .responses
                .iter()
                .map(|r| href_key(&at, &r.href))
                .collect();
            result.missing.extend(
                chunk
                    .iter()
                    .filter(|h| !answered.contains(&href_key(&at, h)))
                    .cloned(),
            );
            for r in ms.responses {
                match (
                    r.prop_text(DAV, "getetag"),
                    r.prop(CALDAV, "calendar-data").map(|n| n.text.clone()),
                ) {
                    (Some(etag), Some(data)) if !data.trim().is_empty() => {
                        result.found.push(CalendarObject {
                            href: r.href,
                            etag,
                            calendar_data: data,
                        })
                    }
                    _ => result.missing.push(r.href),
                }
            }
        }
        Ok(result)
    }
}

const PRINCIPAL_PROPS: &str = r#"<d:current-user-principal/><d:resourcetype/><c:calendar-home-set xmlns:c="urn:ietf:params:xml:ns:caldav"/><c:calendar-user-address-set xmlns:c="urn:ietf:params:xml:ns:caldav"/>"#;
/// No sync-token or getctag here: some servers (Radicale) work them out over every object of
/// every calendar listed, seconds for a large one, and the sync asks for them itself.
const COLLECTION_PROPS: &str = r#"<d:resourcetype/><d:displayname/><d:supported-report-set/><c:supported-calendar-component-set xmlns:c="urn:ietf:params:xml:ns:caldav"/><a:calendar-color xmlns:a="http://apple.com/ns/ical/"/>"#;

/// The member objects of a listing with their ETags (the collection itself left out).
fn etags(at: &Url, ms: dav_xml::Multistatus) -> Vec<(String, String)> {
    ms.responses
        .into_iter()
        .filter(|r| !is_collection(at, &r.href))
        .filter_map(|r| r.prop_text(DAV, "getetag").map(|e| (r.href, e)))
        .collect()
}

fn propfind(props: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>{props}</d:prop></d:propfind>"#
    )
}

/// The email addresses in a principal's `calendar-user-address-set` (RFC 6638 §2.4.1): its
/// `mailto:` hrefs, in any case. Principal paths, `urn:uuid:` and `tel:` entries are no
/// addresses; the order (the preferred one first, as servers list them) is kept.
fn user_addresses(response: &DavResponse) -> Vec<String> {
    let Some(set) = response.prop(CALDAV, "calendar-user-address-set") else {
        return Vec::new();
    };
    let mut found: Vec<String> = Vec::new();
    for href in set.children_named(DAV, "href") {
        let Some(text) = href.trimmed_text() else {
            continue;
        };
        let Some(scheme) = text.get(..7) else {
            continue;
        };
        let address = text[7..].trim();
        if scheme.eq_ignore_ascii_case("mailto:")
            && address.contains('@')
            && !found.iter().any(|f| f.eq_ignore_ascii_case(address))
        {
            found.push(address.to_string());
        }
    }
    found
}

fn href_in(response: &DavResponse, ns: &str, prop: &str) -> Option<String> {
    response.prop(ns, prop)?.child(DAV, "href")?.trimmed_text()
}

fn join(at: &Url, href: &str) -> Result<Url, CalDavError> {
    at.join(href)
        .map_err(|_| CalDavError::BadResponse(format!("invalid href {href}")))
}

/// An href in comparable form: its decoded path, however the server wrote it (absolute or
/// not, percent-encoded or not).
fn href_key(base: &Url, href: &str) -> String {
    let path = base
        .join(href)
        .map(|u| u.path().to_string())
        .unwrap_or_else(|_| href.to_string());
    percent_encoding::percent_decode_str(&path)
        .decode_utf8_lossy()
        .into_owned()
}

fn is_collection(collection: &Url, href: &str) -> bool {
    collection
        .join(href)
        .is_ok_and(|u| u.path().trim_end_matches('/') == collection.path().trim_end_matches('/'))
}

/// A collection from a Depth 1 PROPFIND, kept when it is a calendar that can hold events.
fn remote_calendar(at: &Url, r: &DavResponse) -> Option<RemoteCalendar> {
    r.prop(DAV, "resourcetype")?.child(CALDAV, "calendar")?;
    if let Some(set) = r.prop(CALDAV, "supported-calendar-component-set") {
        let comps: Vec<&str> = set
            .children_named(CALDAV, "comp")
            .filter_map(|c| c.attribute("name"))
            .collect();
        if !comps.is_empty() && !comps.iter().any(|c| c.eq_ignore_ascii_case("VEVENT")) {
            return None;
        }
    }
    let supports_sync_collection = r
        .prop(DAV, "supported-report-set")
        .is_some_and(|set| set.find(DAV, "sync-collection").is_some());
    Some(RemoteCalendar {
        href: join(at, &r.href).ok()?.to_string(),
        display_name: r.prop_text(DAV, "displayname"),
        color: r.prop_text(APPLE, "calendar-color"),
        supports_sync_collection,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendars_without_events_are_skipped_and_sync_support_detected() {
        let xml = r#"<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:a="http://apple.com/ns/ical/">
<d:response><d:href>/dav/alice/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop></d:propstat></d:response>
<d:response><d:href>/dav/alice/work/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Work</d:displayname><a:calendar-color>#FF2968FF</a:calendar-color>
<c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>
<d:supported-report-set><d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report></d:supported-report-set></d:prop></d:propstat></d:response>
<d:response><d:href>/dav/alice/tasks/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><c:supported-calendar-component-set><c:comp name="VTODO"/></c:supported-calendar-component-set></d:prop></d:propstat></d:response>
</d:multistatus>"#;
        let at = Url::parse("https://dav.example.com/dav/alice/").unwrap();
        let ms = dav_xml::multistatus(xml).unwrap();
        let found: Vec<RemoteCalendar> = ms
            .responses
            .iter()
            .filter_map(|r| remote_calendar(&at, r))
            .collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].href, "https://dav.example.com/dav/alice/work/");
        assert_eq!(found[0].display_name.as_deref(), Some("Work"));
        assert_eq!(found[0].color.as_deref(), Some("#FF2968FF"));
        assert!(found[0].supports_sync_collection);
    }

    fn addresses_in(xml: &str) -> Vec<String> {
        let ms = dav_xml::multistatus(xml).unwrap();
        user_addresses(ms.responses.first().unwrap())
    }

    #[test]
    fn the_principals_mailto_addresses_are_read_from_real_answers() {
        // Radicale 3.9 (captured): the set holds only the principal's path, no address.
        let radicale = r#"<?xml version='1.0' encoding='utf-8'?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response><href>/alex/</href><propstat><prop><current-user-principal><href>/alex/</href></current-user-principal><resourcetype><principal /><collection /></resourcetype><C:calendar-home-set><href>/alex/</href></C:calendar-home-set><C:calendar-user-address-set><href>/alex/</href></C:calendar-user-address-set></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#;
        assert!(addresses_in(radicale).is_empty());
        // Apple's CalendarServer / iCloud: a default CalDAV namespace on the property, hrefs
        // in DAV:, `preferred` attributes, upper-case MAILTO, principal paths and urn:uuid.
        let icloud = r#"<?xml version='1.0' encoding='UTF-8'?>
<multistatus xmlns='DAV:'><response><href>/1234567/principal/</href><propstat><prop>
<calendar-home-set xmlns='urn:ietf:params:xml:ns:caldav'><href xmlns='DAV:'>https://p42-caldav.icloud.com:443/1234567/calendars/</href></calendar-home-set>
<calendar-user-address-set xmlns='urn:ietf:params:xml:ns:caldav'>
  <href xmlns='DAV:' preferred='1'>mailto:alex@icloud.com</href>
  <href xmlns='DAV:' preferred='0'>MAILTO:Alex.Doe@me.com</href>
  <href xmlns='DAV:' preferred='0'>/1234567/principal/</href>
  <href xmlns='DAV:' preferred='0'>urn:uuid:A211480B-0708-4022-A2BC-90D8B3506DFC</href>
  <href xmlns='DAV:' preferred='0'>tel:+15555550100</href>
  <href xmlns='DAV:' preferred='0'>mailto:ALEX@icloud.com</href>
</calendar-user-address-set></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"#;
        assert_eq!(
            addresses_in(icloud),
            vec!["alex@icloud.com".to_string(), "Alex.Doe@me.com".to_string()]
        );
        // Nextcloud (sabre/dav): prefixed namespaces, the address then the principal.
        let nextcloud = r#"<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">
 <d:response><d:href>/remote.php/dav/principals/users/alex/</d:href><d:propstat><d:prop>
  <cal:calendar-home-set><d:href>/remote.php/dav/calendars/alex/</d:href></cal:calendar-home-set>
  <cal:calendar-user-address-set><d:href>mailto:alex@cloud.example.org</d:href><d:href>/remote.php/dav/principals/users/alex/</d:href></cal:calendar-user-address-set>
 </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>"#;
        assert_eq!(
            addresses_in(nextcloud),
            vec!["alex@cloud.example.org".to_string()]
        );
        // A server that does not know the property (a 404 propstat) or leaves it empty.
        let missing = r#"<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/p/</d:href>
<d:propstat><d:prop><c:calendar-home-set><d:href>/cal/</d:href></c:calendar-home-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
<d:propstat><d:prop><c:calendar-user-address-set/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat></d:response></d:multistatus>"#;
        assert!(addresses_in(missing).is_empty());
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let c = Credentials::new("alice".into(), "hunter2-secret");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn credentials_go_only_to_the_entered_origin() {
        let base = Url::parse("https://caldav.example.com/dav/").unwrap();
        for same in [
            "https://caldav.example.com/dav/alice/",
            "https://CalDAV.example.com:443/other",
            // The same registrable domain over https: iCloud's per-account hosts.
            "https://p42-caldav.example.com/dav/",
        ] {
            assert!(same_origin(&base, &Url::parse(same).unwrap()), "{same}");
        }
        for other in [
            // Over TLS is not enough: another domain is another party.
            "https://evil.example/dav/",
            "https://caldav.example.com.evil.example/dav/",
            "https://caldav.example.com:8443/dav/",
            "http://caldav.example.com/dav/",
        ] {
            assert!(!same_origin(&base, &Url::parse(other).unwrap()), "{other}");
        }
        // Hosts on a shared public suffix are different parties.
        let pages = Url::parse("https://alice.github.io/dav/").unwrap();
        assert!(!same_origin(
            &pages,
            &Url::parse("https://mallory.github.io/dav/").unwrap()
        ));
        let icloud = Url::parse("https://caldav.icloud.com/").unwrap();
        assert!(same_origin(
            &icloud,
            &Url::parse("https://p42-caldav.icloud.com/123/calendars/").unwrap()
        ));
    }

    #[tokio::test]
    async fn another_origin_is_refused_before_anything_is_sent() {
        let client = CalDavClient::new(
            "https://caldav.example.com/dav/",
            Credentials::new("alice".into(), "hunter2"),
            &Outbound::new(false),
            Duration::from_secs(1),
            Duration::from_secs(1),
        )
        .unwrap();
        let error = client
            .get_ctag("https://collector.example:8443/steal/")
            .await
            .unwrap_err();
        assert_eq!(
            error,
            CalDavError::OtherOrigin("https://collector.example:8443".into())
        );
        let text = error.to_string();
        assert!(
            text.contains("https://collector.example:8443")
                && text.contains("enter it as the server URL"),
            "{text}"
        );
    }

    #[test]
    fn the_collection_itself_is_not_an_object() {
        let at = Url::parse("https://h/cal/work/").unwrap();
        assert!(is_collection(&at, "/cal/work/"));
        assert!(is_collection(&at, "/cal/work"));
        assert!(!is_collection(&at, "/cal/work/a.ics"));
    }
}
