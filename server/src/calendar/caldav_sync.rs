//! Keeping an exact copy of CalDAV calendars: `sync-collection` with a stored token where the
//! server supports it, else a ctag check and an ETag diff inside the window. Objects are fetched
//! with `calendar-multiget` in batches; one broken event becomes a warning, never a failed sync.
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use app::models::{ConnectionStatus, Response};

use crate::matcher::Index;
use crate::secrets::SecretString;
use crate::text::normalize_email;

use super::caldav::{CalDavClient, CalDavError, Credentials, Multiget, SyncDelta};
use super::ical;
use super::model::{hex_color, AttendeeRecord, EventRecord, SyncFailure, SyncOutcome, When};
use super::store::ConnectionRow;
use super::writer::{own_addresses, CalendarWriter, ObjectToStore, Removal, SyncStores};

const MULTIGET_BATCH: usize = 50;

#[derive(Clone, Debug)]
pub struct CalDavAccount {
    pub server_url: String,
    pub username: String,
    pub password: SecretString,
    /// The private-network rule and proxy for this account's traffic.
    pub outbound: super::net::Outbound,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FoundCalendar {
    pub remote_id: String,
    pub name: String,
    pub color: Option<String>,
    pub supports_sync: bool,
}

pub fn explain(error: &CalDavError) -> SyncFailure {
    let status = if matches!(error, CalDavError::Unauthorized) {
        ConnectionStatus::NeedsReauth
    } else {
        ConnectionStatus::Error
    };
    let message = match error {
        CalDavError::Unauthorized => "The server rejected the username or password. Edit the connection and enter the current password (for iCloud and Fastmail: an app-specific password).".to_string(),
        CalDavError::NotFound => "The calendar or account was not found on the server (404). Check the server URL, or untick calendars that were deleted.".to_string(),
        CalDavError::NotCalDav => "This server does not offer CalDAV calendars at that address. Check the server URL (for Nextcloud: https://HOST/remote.php/dav).".to_string(),
        // Retrying cannot help: the server keeps pointing there until the user decides.
        CalDavError::OtherOrigin(_) => error.to_string(),
        other => format!("{other} Rondo will try again at the next sync."),
    };
    SyncFailure { message, status }
}

async fn client(account: &CalDavAccount) -> Result<CalDavClient, SyncFailure> {
    let url = super::net::parse_url(&account.server_url).map_err(|e| SyncFailure {
        message: e.to_string(),
        status: ConnectionStatus::Error,
    })?;
    super::net::ensure_allowed(&url, account.outbound.allow_private)
        .await
        .map_err(|e| SyncFailure {
            message: e.to_string(),
            status: ConnectionStatus::Error,
        })?;
    CalDavClient::new(
        url.as_str(),
        Credentials::new(account.username.clone(), account.password.clone()),
        &account.outbound,
        account.connect_timeout,
        account.request_timeout,
    )
    .map_err(|e| explain(&e))
}

/// A CalDAV account's calendars, and the addresses it is known by: the principal's
/// `calendar-user-address-set`, and the username when it is an address.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovered {
    pub calendars: Vec<FoundCalendar>,
    pub addresses: Vec<String>,
}

pub async fn discover(account: &CalDavAccount) -> Result<Discovered, SyncFailure> {
    let client = client(account).await?;
    let found = client.discover().await.map_err(|e| explain(&e))?;
    let mut addresses = found.addresses;
    if account.username.contains('@') {
        addresses.push(account.username.clone());
    }
    let calendars = found
        .calendars
        .into_iter()
        .map(|c| FoundCalendar {
            name: c
                .display_name
                .clone()
                .unwrap_or_else(|| fallback_name(&c.href)),
            remote_id: c.href,
            color: c.color.as_deref().and_then(hex_color),
            supports_sync: c.supports_sync_collection,
        })
        .collect();
    Ok(Discovered {
        calendars,
        addresses,
    })
}

fn fallback_name(href: &str) -> String {
    href.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(href)
        .to_string()
}

pub async fn sync_connection(
    stores: &SyncStores,
    account: &CalDavAccount,
    row: &ConnectionRow,
    index: &Index,
    now: DateTime<Utc>,
) -> Result<SyncOutcome, SyncFailure> {
    let client = client(account).await?;
    let mut outcome = SyncOutcome::default();
    let calendars = stores
        .connections
        .calendars(&row.owner, &row.id)
        .await
        .map_err(SyncFailure::storage)?;
    let context = Context {
        window: row.window(now),
        self_emails: own_addresses(
            [account.username.as_str()]
                .into_iter()
                .chain(row.account_email.as_deref()),
        ),
    };
    // A calendar whose answer looked wrong keeps its data and cursor; the others go on.
    let mut suspicious = Vec::new();
    for calendar in calendars.iter().filter(|c| c.selected) {
        stores.progress.listing().await;
        let result = match CalendarWriter::open(stores, &row.owner, calendar, index).await {
            Err(e) => Err(Failure::Store(e)),
            Ok(writer) => sync_calendar(&client, &context, &writer, &mut outcome).await,
        };
        match result {
            Ok(()) => {}
            Err(Failure::Suspicious(message)) => suspicious.push(message),
            Err(Failure::Dav(e)) => return Err(explain(&e)),
            // Unticked while this sync ran: what it stored goes with the calendar's other
            // events, and nothing more is stored.
            Err(Failure::Store(crate::error::StoreError::Unticked)) => {}
            Err(Failure::Store(e)) => return Err(SyncFailure::storage(e)),
        }
    }
    if !suspicious.is_empty() {
        return Err(SyncFailure::error(suspicious.join(" ")));
    }
    Ok(outcome)
}

struct Context {
    window: (DateTime<Utc>, DateTime<Utc>),
    self_emails: HashSet<String>,
}

enum Failure {
    Dav(CalDavError),
    Store(crate::error::StoreError),
    /// An answer that would lose data if believed (explained); the cursor is kept so the next
    /// sync asks again.
    Suspicious(String),
}

impl From<CalDavError> for Failure {
    fn from(e: CalDavError) -> Self {
        Failure::Dav(e)
    }
}

impl From<crate::error::StoreError> for Failure {
    fn from(e: crate::error::StoreError) -> Self {
        Failure::Store(e)
    }
}

/// Syncs one calendar. When the window moved (days pass, or the user changed it), the stored
/// objects are first expanded again from their kept text, without refetching them.
async fn sync_calendar(
    client: &CalDavClient,
    cx: &Context,
    writer: &CalendarWriter<'_>,
    outcome: &mut SyncOutcome,
) -> Result<(), Failure> {
    let moved = writer.window_moved(cx.window);
    let refetch = if moved {
        reexpand(cx, writer, outcome).await?
    } else {
        Vec::new()
    };
    if writer.calendar.supports_sync {
        sync_with_token(client, cx, writer, refetch, outcome).await?;
    } else {
        sync_with_etags(client, cx, writer, moved, refetch, outcome).await?;
    }
    writer.expanded(cx.window).await?;
    Ok(())
}

/// Expands every stored object again in the current window; returns the hrefs of objects whose
/// text was too large to keep, which must be fetched again.
async fn reexpand(
    cx: &Context,
    writer: &CalendarWriter<'_>,
    outcome: &mut SyncOutcome,
) -> Result<Vec<String>, Failure> {
    const PAGE: u32 = 200;
    // Occurrences that only moved with the window are no news: count what came and went.
    let mut scratch = SyncOutcome::default();
    let mut refetch = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = writer.stored_objects(after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.href.clone());
        let mut kept = Vec::with_capacity(page.len());
        for object in page {
            match object.data {
                Some(data) => kept.push((object.href, object.etag, data)),
                None => refetch.push(object.href),
            }
        }
        let parsed = parse_objects(cx, kept, &mut scratch).await;
        writer.store_all(parsed, &mut scratch).await?;
    }
    outcome.changes.added += scratch.changes.added;
    outcome.changes.removed += scratch.changes.removed;
    outcome.warnings.append(&mut scratch.warnings);
    Ok(refetch)
}

async fn sync_with_token(
    client: &CalDavClient,
    cx: &Context,
    writer: &CalendarWriter<'_>,
    refetch: Vec<String>,
    outcome: &mut SyncOutcome,
) -> Result<(), Failure> {
    let calendar = writer.calendar;
    // A calendar's first sync lists by PROPFIND and leaves the token to the next sync, whose
    // token-less sync-collection lists everything again. Radicale's first token for a
    // collection writes a history file per object (10,000 fsyncs, ~28 s): that is then paid
    // in the background, not while the user waits for "Connect".
    let first = calendar.sync_token.is_none() && calendar.expanded_from.is_none();
    let listing = if first {
        client
            .list_etags(&calendar.remote_id)
            .await
            .map(|changed| SyncDelta {
                changed,
                ..Default::default()
            })
    } else {
        client
            .sync_collection(&calendar.remote_id, calendar.sync_token.as_deref())
            .await
    };
    let (delta, full) = match listing {
        Ok(delta) => (delta, calendar.sync_token.is_none()),
        Err(CalDavError::InvalidSyncToken) => {
            tracing::info!(calendar = %calendar.id, "sync token rejected; running a full resync");
            (
                client.sync_collection(&calendar.remote_id, None).await?,
                true,
            )
        }
        Err(e) => return Err(e.into()),
    };
    let mut removal = Removal::Done;
    if full {
        let listed: HashSet<&str> = delta
            .changed
            .iter()
            .map(|(href, _)| href.as_str())
            .collect();
        removal = writer.remove_unlisted(&listed, true, outcome).await?;
    }
    for href in &delta.deleted {
        writer.remove(href, outcome).await?;
    }
    let mut wanted = writer.wanted(delta.changed.iter().map(|(href, etag)| (href, etag)));
    let deleted: HashSet<&String> = delta.deleted.iter().collect();
    let refetch: Vec<String> = refetch
        .into_iter()
        .filter(|h| !deleted.contains(h) && !wanted.contains(h))
        .collect();
    wanted.extend(refetch);
    let missing = fetch_and_store(client, cx, writer, &wanted, outcome).await?;
    suspicious(writer, removal, &missing)?;
    writer.save_cursor(delta.new_token, None).await?;
    Ok(())
}

async fn sync_with_etags(
    client: &CalDavClient,
    cx: &Context,
    writer: &CalendarWriter<'_>,
    moved: bool,
    refetch: Vec<String>,
    outcome: &mut SyncOutcome,
) -> Result<(), Failure> {
    let calendar = writer.calendar;
    let ctag = client.get_ctag(&calendar.remote_id).await?;
    if !moved && ctag.is_some() && ctag == calendar.ctag {
        return Ok(()); // unchanged: one small request
    }
    let (from, to) = cx.window;
    let listed: HashMap<String, String> = client
        .calendar_query_etags(&calendar.remote_id, from, to)
        .await?
        .into_iter()
        .collect();
    let names: HashSet<&str> = listed.keys().map(String::as_str).collect();
    // The listing covers the window only: when the window just changed, whatever left it
    // rightly goes at once.
    let removal = writer.remove_unlisted(&names, !moved, outcome).await?;
    let mut wanted = writer.wanted(&listed);
    let refetch: Vec<String> = refetch
        .into_iter()
        .filter(|h| listed.contains_key(h) && !wanted.contains(h))
        .collect();
    wanted.extend(refetch);
    let missing = fetch_and_store(client, cx, writer, &wanted, outcome).await?;
    suspicious(writer, removal, &missing)?;
    writer.save_cursor(None, ctag).await?;
    Ok(())
}

/// A removal awaiting confirmation or objects the server listed but did not return fail the
/// calendar's sync, before its cursor is saved: nothing is lost and the next sync asks again.
fn suspicious(
    writer: &CalendarWriter<'_>,
    removal: Removal,
    missing: &[String],
) -> Result<(), Failure> {
    let name = &writer.calendar.name;
    let mut messages: Vec<String> = removal.explain(name).into_iter().collect();
    if !missing.is_empty() {
        messages.push(format!(
            "The server did not return {} of the events it listed in \"{name}\" ({}). Rondo keeps what it had and asks again at the next sync.",
            missing.len(),
            missing.iter().take(3).map(String::as_str).collect::<Vec<_>>().join(", ")
        ));
    }
    match messages.is_empty() {
        true => Ok(()),
        false => Err(Failure::Suspicious(messages.join(" "))),
    }
}

/// Fetches and stores `hrefs`; returns those the server did not return. The next batch is
/// fetched while the one before is parsed and stored, so the server's time to answer and ours
/// to write overlap.
async fn fetch_and_store(
    client: &CalDavClient,
    cx: &Context,
    writer: &CalendarWriter<'_>,
    hrefs: &[String],
    outcome: &mut SyncOutcome,
) -> Result<Vec<String>, Failure> {
    let mut missing = Vec::new();
    let progress = writer.progress();
    progress.expect(hrefs.len()).await;
    let remote_id = &writer.calendar.remote_id;
    let mut batches = hrefs.chunks(MULTIGET_BATCH);
    let mut current = fetch_batch(client, remote_id, batches.next()).await?;
    while let Some((asked, fetched)) = current.take() {
        missing.extend(fetched.missing);
        let store = async {
            let objects = fetched
                .found
                .into_iter()
                .map(|o| (o.href, o.etag, o.calendar_data))
                .collect();
            let parsed = parse_objects(cx, objects, outcome).await;
            // One transaction per fetched batch, and one progress write.
            writer.store_all(parsed, outcome).await?;
            progress.advance(asked).await;
            Ok::<_, Failure>(())
        };
        let (stored, next) = tokio::join!(store, fetch_batch(client, remote_id, batches.next()));
        stored?;
        current = next?;
    }
    Ok(missing)
}

/// One multiget batch, with how many objects it asked for; `None` past the last batch.
async fn fetch_batch(
    client: &CalDavClient,
    remote_id: &str,
    batch: Option<&[String]>,
) -> Result<Option<(usize, Multiget)>, CalDavError> {
    match batch {
        Some(batch) => Ok(Some((
            batch.len(),
            client.multiget(remote_id, batch, MULTIGET_BATCH).await?,
        ))),
        None => Ok(None),
    }
}

/// Parses objects (href, ETag, iCalendar text) in the window, ready to store; an object that
/// cannot be read becomes a warning and keeps what was stored for it.
async fn parse_objects(
    cx: &Context,
    objects: Vec<(String, String, String)>,
    outcome: &mut SyncOutcome,
) -> Vec<ObjectToStore> {
    let (from, to) = cx.window;
    let hrefs: Vec<String> = objects.iter().map(|o| o.0.clone()).collect();
    // Parsing and expansion are CPU work: off the async workers, one hand-off per batch, and
    // a panic in them costs its object only.
    let parsed = tokio::task::spawn_blocking(move || {
        objects
            .into_iter()
            .map(|(href, etag, data)| {
                let parsed = std::panic::catch_unwind(|| {
                    ical::parse_calendar(&data, from, to, chrono_tz::Tz::UTC)
                        .map_err(|e| e.to_string())
                });
                (href, etag, data, parsed)
            })
            .collect::<Vec<_>>()
    })
    .await;
    let Ok(parsed) = parsed else {
        outcome.warnings.extend(
            hrefs
                .iter()
                .map(|href| format!("{href}: the event could not be read")),
        );
        return Vec::new();
    };
    let mut ready = Vec::with_capacity(parsed.len());
    for (href, etag, data, parsed) in parsed {
        match parsed {
            Ok(Ok(parsed)) => {
                for warning in parsed.warnings {
                    outcome.warnings.push(format!(
                        "{}: {}",
                        warning.uid.unwrap_or_else(|| href.clone()),
                        warning.message
                    ));
                }
                let events = parsed
                    .events
                    .into_iter()
                    .map(|e| to_record(e, &cx.self_emails))
                    .collect();
                ready.push(ObjectToStore {
                    href,
                    etag,
                    data: Some(data),
                    events,
                });
            }
            Ok(Err(e)) => outcome.warnings.push(format!("{href}: {e}")),
            Err(_) => outcome
                .warnings
                .push(format!("{href}: the event could not be read")),
        }
    }
    ready
}

fn to_attendee(a: ical::Attendee, self_emails: &HashSet<String>) -> AttendeeRecord {
    let email = strip_mailto(a.email.trim()).to_string();
    AttendeeRecord {
        is_self: self_emails.contains(&normalize_email(&email)),
        is_resource: matches!(
            a.cutype.as_deref().map(str::to_uppercase).as_deref(),
            Some("ROOM" | "RESOURCE")
        ),
        response: a.partstat.as_deref().and_then(Response::parse),
        role: a.role.map(|r| r.to_lowercase()),
        name: a.name,
        email,
    }
}

/// A parsed occurrence as stored; attendees at `self_emails` are the account itself.
pub fn to_record(e: ical::EventOccurrence, self_emails: &HashSet<String>) -> EventRecord {
    let when = |t: ical::EventTime| match t {
        ical::EventTime::DateTime(at) => When::At(at),
        ical::EventTime::Date(d) => When::Day(d),
    };
    EventRecord {
        status: e.status,
        uid: e.uid,
        recurrence_id: e.recurrence_id,
        title: e.title,
        description: e.description,
        location: e.location,
        start: when(e.start),
        end: when(e.end),
        time_zone: e.time_zone,
        organizer: e.organizer.map(|o| to_attendee(o, self_emails)),
        attendees: e
            .attendees
            .into_iter()
            .map(|a| to_attendee(a, self_emails))
            .collect(),
        meeting_url: e.meeting_url,
        last_modified: e.last_modified,
        out_of_office: false,
        web_url: None,
    }
}

/// `mailto:` in any case, as calendar servers write it.
fn strip_mailto(address: &str) -> &str {
    match address.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &address[7..],
        _ => address,
    }
}
