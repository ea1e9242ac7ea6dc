//! Keeping an exact copy of Google calendars: a first listing bounded by the connection's window
//! that ends with a sync token, then only the changes since that token. A 410 drops the token
//! and runs a full listing that also removes what no longer exists. Each Google event (each
//! instance, with `singleEvents`) is stored as one object keyed by its id; one broken event
//! becomes a warning, never a failed sync.
use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::api::{ApiError, CalendarApi, EventsPage, Listing};
use super::cursor::Cursor;
use super::events::{to_record, GoogleEvent};
use super::oauth::{GoogleOAuth, OAuthError};
use super::tokens::TokenSet;
use super::GoogleSettings;
use crate::calendar::model::{SyncFailure, SyncOutcome};
use crate::calendar::store::{ConnectionRow, ConnectionStore};
use crate::calendar::writer::{own_addresses, CalendarWriter, SyncStores};
use crate::matcher::Index;
use crate::secrets::KeyringSource;

/// Words for the user, and the status each failure leaves the connection in.
pub fn explain_api(error: &ApiError) -> SyncFailure {
    match error {
        ApiError::Unauthorized => SyncFailure::needs_reauth(
            "Google no longer accepts Rondo's access to this account. Reconnect it.",
        ),
        ApiError::RateLimited => SyncFailure::error(
            "Google is limiting requests right now (rate limit). Rondo will try again at the next sync.",
        ),
        ApiError::NotFound(_) => SyncFailure::error(
            "A chosen calendar no longer exists in this Google account. Edit the connection and untick it.",
        ),
        other => SyncFailure::error(format!("{other} Rondo will try again at the next sync.")),
    }
}

pub fn explain_oauth(error: &OAuthError) -> SyncFailure {
    match error {
        OAuthError::InvalidGrant => SyncFailure::needs_reauth(
            "Google access was revoked or has expired. Reconnect the account to resume syncing.",
        ),
        OAuthError::NotConfigured => SyncFailure::error(
            "Google Calendar is not configured on this server (RONDO_GOOGLE_CLIENT_ID and RONDO_GOOGLE_CLIENT_SECRET).",
        ),
        other => SyncFailure::error(format!("{other} Rondo will try again at the next sync.")),
    }
}

/// The tokens of one connection during a sync: refreshed shortly before expiry, or once after
/// a 401, and saved (sealed) as soon as they change.
pub struct Session<'a> {
    oauth: GoogleOAuth,
    tokens: TokenSet,
    refreshed: bool,
    store: &'a ConnectionStore,
    keyring: &'a KeyringSource,
    row: &'a ConnectionRow,
}

impl<'a> Session<'a> {
    pub async fn open(
        settings: &GoogleSettings,
        keyring: &'a KeyringSource,
        store: &'a ConnectionStore,
        row: &'a ConnectionRow,
        now: DateTime<Utc>,
    ) -> Result<Session<'a>, SyncFailure> {
        let stored = row.credential.as_deref().ok_or_else(|| {
            SyncFailure::needs_reauth(
                "No Google sign-in is stored for this connection. Reconnect it.",
            )
        })?;
        let tokens = TokenSet::open(keyring, &row.owner, &row.id, stored)
            .map_err(SyncFailure::needs_reauth)?;
        let oauth = GoogleOAuth::new(settings).map_err(|e| explain_oauth(&e))?;
        let mut session = Session {
            oauth,
            tokens,
            refreshed: false,
            store,
            keyring,
            row,
        };
        if !session.tokens.fresh(now) {
            session.refresh().await?;
        }
        Ok(session)
    }

    async fn refresh(&mut self) -> Result<(), SyncFailure> {
        self.tokens = self
            .oauth
            .refresh(&self.tokens)
            .await
            .map_err(|e| explain_oauth(&e))?;
        self.refreshed = true;
        let sealed = self
            .tokens
            .seal(self.keyring, &self.row.owner, &self.row.id);
        self.store
            .set_credential(&self.row.owner, &self.row.id, Some(sealed))
            .await
            .map_err(SyncFailure::storage)
    }

    /// Runs `call` with the access token; a 401 refreshes the token once and tries again. A
    /// refresh that fails says why (only `invalid_grant` means re-authentication).
    async fn authorized<T, F, Fut>(&mut self, call: F) -> Result<T, Failure>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        match call(self.tokens.access_token().to_owned()).await {
            Err(ApiError::Unauthorized) if !self.refreshed => {
                self.refresh().await.map_err(Failure::Auth)?;
                Ok(call(self.tokens.access_token().to_owned()).await?)
            }
            other => Ok(other?),
        }
    }
}

pub fn api(settings: &GoogleSettings) -> Result<CalendarApi, SyncFailure> {
    let builder = settings
        .http_builder()
        .map_err(|e| explain_api(&ApiError::Network(e.to_string())))?;
    CalendarApi::new(
        &settings.endpoints.api_url,
        builder,
        settings.retry.clone(),
        settings.request_timeout,
    )
    .map_err(|e| explain_api(&e))
}

pub async fn sync_connection(
    stores: &SyncStores,
    settings: &GoogleSettings,
    keyring: &KeyringSource,
    row: &ConnectionRow,
    index: &Index,
    now: DateTime<Utc>,
) -> Result<SyncOutcome, SyncFailure> {
    let mut session = Session::open(settings, keyring, &stores.connections, row, now).await?;
    let api = api(settings)?;
    let calendars = stores
        .connections
        .calendars(&row.owner, &row.id)
        .await
        .map_err(SyncFailure::storage)?;
    let self_emails = own_addresses(row.account_email.as_deref());
    let mut outcome = SyncOutcome::default();
    let selected = calendars.iter().filter(|c| c.selected).count();
    let mut failed_calendars = 0;
    let mut suspicious = Vec::new();
    for calendar in calendars.iter().filter(|c| c.selected) {
        let writer = CalendarWriter::open(stores, &row.owner, calendar, index)
            .await
            .map_err(SyncFailure::storage)?;
        let cx = CalendarSync {
            api: &api,
            writer,
            window: row.window(now),
            self_emails: &self_emails,
            show_out_of_office: row.show_out_of_office,
        };
        match cx.run(&mut session, &mut outcome).await {
            Ok(()) => {}
            // One calendar gone or no longer shared must not stop the others.
            Err(Failure::Api(e @ (ApiError::NotFound(_) | ApiError::Refused { .. }))) => {
                failed_calendars += 1;
                outcome.warnings.push(format!(
                    "{}: {e} Edit the connection and untick it if it is gone.",
                    calendar.name
                ));
            }
            // Kept as it was until a second listing confirms; the other calendars go on.
            Err(Failure::Suspicious(message)) => suspicious.push(message),
            Err(Failure::Api(e)) => return Err(explain_api(&e)),
            Err(Failure::Auth(f)) => return Err(f),
            // Unticked while this sync ran: what it stored goes with the calendar's other
            // events, and nothing more is stored.
            Err(Failure::Store(crate::error::StoreError::Unticked)) => {}
            Err(Failure::Store(e)) => return Err(SyncFailure::storage(e)),
        }
    }
    if !suspicious.is_empty() {
        return Err(SyncFailure::error(suspicious.join(" ")));
    }
    if failed_calendars > 0 && failed_calendars == selected {
        return Err(SyncFailure::error(outcome.warnings.join(" ")));
    }
    Ok(outcome)
}

enum Failure {
    Api(ApiError),
    /// Refreshing the access token failed, already explained.
    Auth(SyncFailure),
    Store(crate::error::StoreError),
    /// An answer that would lose data if believed (explained); the cursor is kept.
    Suspicious(String),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl From<crate::error::StoreError> for Failure {
    fn from(e: crate::error::StoreError) -> Self {
        Failure::Store(e)
    }
}

struct CalendarSync<'a> {
    api: &'a CalendarApi,
    writer: CalendarWriter<'a>,
    window: (DateTime<Utc>, DateTime<Utc>),
    self_emails: &'a HashSet<String>,
    show_out_of_office: bool,
}

impl CalendarSync<'_> {
    async fn run(
        &self,
        session: &mut Session<'_>,
        outcome: &mut SyncOutcome,
    ) -> Result<(), Failure> {
        let stored = self
            .writer
            .calendar
            .sync_token
            .as_deref()
            .and_then(Cursor::decode);
        // A window that moved past the cursor's is listed afresh, and whatever left it may
        // go at once; any other full listing must not remove most of the calendar unconfirmed.
        let window_moved = stored.as_ref().is_some_and(|c| !c.covers(self.window));
        let cursor = stored.filter(|c| c.covers(self.window));
        match self
            .listing(session, outcome, cursor.clone(), !window_moved)
            .await
        {
            Err(Failure::Api(ApiError::SyncTokenGone)) if cursor.is_some() => {
                tracing::info!(calendar = %self.writer.calendar.id, "Google sync token expired; running a full sync");
                self.listing(session, outcome, None, true).await
            }
            other => other,
        }
    }

    /// One listing from start to its `nextSyncToken`, stored as it goes; the token is saved
    /// only after every page is stored, so an interrupted sync repeats work instead of losing it.
    async fn listing(
        &self,
        session: &mut Session<'_>,
        outcome: &mut SyncOutcome,
        cursor: Option<Cursor>,
        guarded: bool,
    ) -> Result<(), Failure> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut page_token: Option<String> = None;
        let sync_token = cursor.as_ref().map(|c| c.token.as_str());
        let next_sync_token = loop {
            let page = self
                .page(session, sync_token, page_token.as_deref())
                .await?;
            let listed = page.items.len();
            for item in page.items {
                // Listed means it exists, readable or not: never removed as vanished below.
                let id = item.get("id").and_then(|v| v.as_str()).map(str::to_string);
                if let Some(id) = &id {
                    seen.insert(id.clone());
                }
                match serde_json::from_value::<GoogleEvent>(item) {
                    Ok(event) => self.apply(&event, outcome).await?,
                    Err(e) => outcome.warnings.push(format!(
                        "{}: unreadable event ({e})",
                        id.as_deref().unwrap_or("an event")
                    )),
                }
            }
            // Google never says how many there are: progress counts the events listed so far.
            self.writer.progress().advance(listed).await;
            match (page.next_page_token, page.next_sync_token) {
                (Some(next), _) => page_token = Some(next),
                (None, token) => break token,
            }
        };
        if cursor.is_none() {
            // A full listing names everything that exists in the window; the rest is gone.
            let listed: HashSet<&str> = seen.iter().map(String::as_str).collect();
            let removal = self
                .writer
                .remove_unlisted(&listed, guarded, outcome)
                .await?;
            if let Some(message) = removal.explain(&self.writer.calendar.name) {
                return Err(Failure::Suspicious(message));
            }
        }
        let (from, to) = match &cursor {
            Some(c) => (c.from, c.to),
            None => self.window,
        };
        let next = next_sync_token.map(|token| Cursor { from, to, token }.encode());
        self.writer.save_cursor(next, None).await?;
        Ok(())
    }

    async fn page(
        &self,
        session: &mut Session<'_>,
        sync_token: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<EventsPage, Failure> {
        let listing = match sync_token {
            Some(sync_token) => Listing::Since { sync_token },
            None => Listing::Full {
                from: self.window.0,
                to: self.window.1,
            },
        };
        let (api, calendar_id) = (self.api, self.writer.calendar.remote_id.as_str());
        session
            .authorized(|token| async move {
                api.events(&token, calendar_id, listing, page_token).await
            })
            .await
    }

    async fn apply(&self, event: &GoogleEvent, outcome: &mut SyncOutcome) -> Result<(), Failure> {
        // A status entry is stored like nothing (out of office only if the connection shows
        // them): one that was a meeting before, or shown before, goes like a cancelled one.
        if event.is_cancelled() || event.is_hidden(self.show_out_of_office) {
            // A cancelled series may arrive as its parent alone: its instances go with it.
            let instance_prefix = format!("{}_", event.id);
            let gone: Vec<String> = self
                .writer
                .stored_hrefs()
                .filter(|href| {
                    **href == event.id
                        || (event.recurring_event_id.is_none()
                            && href.starts_with(&instance_prefix))
                })
                .cloned()
                .collect();
            for href in gone {
                self.writer.cancel(&href, outcome).await?;
            }
            return Ok(());
        }
        let etag = event
            .etag
            .clone()
            .unwrap_or_else(|| event.updated.map(|u| u.to_rfc3339()).unwrap_or_default());
        if self.writer.is_current(&event.id, &etag) {
            return Ok(()); // unchanged since the last listing
        }
        match to_record(event, self.self_emails) {
            Ok(record) => {
                self.writer
                    .store((&event.id, &etag, None), vec![record], outcome)
                    .await?;
            }
            // The stored copy (if any) stays: a bad update never loses what was there.
            Err(reason) => outcome.warnings.push(format!(
                "{}: skipped ({reason})",
                event.summary.clone().unwrap_or_else(|| event.id.clone())
            )),
        }
        Ok(())
    }
}
