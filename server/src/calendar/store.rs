//! Connections, their calendars, stored CalDAV objects and event occurrences — all owner-scoped.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use app::models::{
    CalendarInfo, Connection, ConnectionStatus, Provider, SyncRun, DEFAULT_DAYS_AHEAD,
    DEFAULT_DAYS_BACK,
};

use super::model::{AttendeeRecord, Changes, EventRecord, MatchRecord};
use crate::db::Db;
use crate::error::StoreError;
use crate::ids::{new_id, record};
use crate::matcher::{self, Index};

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ConnectionRow {
    pub id: String,
    pub owner: String,
    pub provider: String,
    pub name: String,
    pub server_url: Option<String>,
    pub username: Option<String>,
    pub account_email: Option<String>,
    pub credential: Option<String>,
    pub sync_enabled: bool,
    pub auto_log: bool,
    pub days_back: i64,
    pub days_ahead: i64,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub status: String,
    pub next_sync_at: Option<DateTime<Utc>>,
    pub failures: Option<i64>,
}

impl ConnectionRow {
    /// The sync window around `now`.
    pub fn window(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            now - chrono::Duration::days(self.days_back),
            now + chrono::Duration::days(self.days_ahead),
        )
    }
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CalendarRow {
    pub id: String,
    pub connection: String,
    pub remote_id: String,
    pub name: String,
    pub color: Option<String>,
    pub selected: bool,
    pub supports_sync: bool,
    pub sync_token: Option<String>,
    pub ctag: Option<String>,
}

/// One sync run as stored in the connection's history.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct SyncRunInsert {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub added: i64,
    pub changed: i64,
    pub removed: i64,
    pub logged: i64,
    pub error: Option<String>,
}

/// A calendar offered by the account, as discovered.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCalendar {
    pub remote_id: String,
    pub name: String,
    pub color: Option<String>,
    pub supports_sync: bool,
    pub selected: bool,
}

#[derive(Debug, Clone)]
pub struct NewConnection {
    pub provider: Provider,
    pub name: String,
    pub server_url: Option<String>,
    pub username: Option<String>,
    pub account_email: Option<String>,
    pub calendars: Vec<NewCalendar>,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Occurrence {
    uid: String,
    recurrence_id: String,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct CountBy {
    key: String,
    n: i64,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct AttendeeRow {
    email: String,
    name: Option<String>,
    response: Option<String>,
    role: Option<String>,
    is_resource: bool,
    is_self: bool,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct OrganizerRow {
    email: Option<String>,
    name: Option<String>,
    is_self: bool,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct MatchRow {
    pub email: String,
    pub person: String,
    pub confidence: i64,
    pub reason: String,
    pub suggested: bool,
}

impl From<MatchRecord> for MatchRow {
    fn from(m: MatchRecord) -> Self {
        MatchRow {
            email: m.email,
            person: m.person,
            confidence: m.confidence as i64,
            reason: m.reason,
            suggested: m.suggested,
        }
    }
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct EventInsert {
    id: RecordId,
    owner: String,
    connection: String,
    calendar: String,
    href: Option<String>,
    uid: String,
    recurrence_id: String,
    title: String,
    description: Option<String>,
    location: Option<String>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    all_day: bool,
    start_date: Option<String>,
    end_date: Option<String>,
    time_zone: Option<String>,
    status: String,
    organizer: Option<OrganizerRow>,
    attendees: Vec<AttendeeRow>,
    meeting_url: Option<String>,
    etag: Option<String>,
    last_modified: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    attendee_keys: Vec<String>,
    people: Vec<String>,
    matches: Vec<MatchRow>,
}

fn attendee_row(a: &AttendeeRecord) -> AttendeeRow {
    AttendeeRow {
        email: a.email.clone(),
        name: a.name.clone(),
        response: a.response.clone(),
        role: a.role.clone(),
        is_resource: a.is_resource,
        is_self: a.is_self,
    }
}

/// The key that makes an occurrence unique within a calendar.
fn identity(uid: &str, recurrence_id: &str) -> String {
    format!("{uid}\u{1f}{recurrence_id}")
}

/// Where a logged activity came from: one event occurrence of one connection.
pub fn event_source(connection: &str, calendar: &str, uid: &str, recurrence_id: &str) -> String {
    format!("event:{connection}:{calendar}:{uid}:{recurrence_id}")
}

const CONNECTION_FIELDS: &str = "record::id(id) AS id, owner, provider, name, server_url, username, account_email, credential, sync_enabled, auto_log, days_back, days_ahead, last_sync_at, last_error, status, next_sync_at, failures";
const CALENDAR_FIELDS: &str = "record::id(id) AS id, connection, remote_id, name, color, selected, supports_sync, sync_token, ctag";

pub struct CalendarStore {
    db: Db,
}

impl CalendarStore {
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn new(db: Db) -> Self {
        Self { db }
    }

    fn rid(id: &str) -> Result<RecordId, StoreError> {
        record("connection", id).ok_or(StoreError::NotFound("connection"))
    }

    pub async fn create(&self, owner: &str, new: NewConnection) -> Result<String, StoreError> {
        let id = new_id();
        self.db
            .query(
                "CREATE $rid CONTENT { owner: $owner, provider: $provider, name: $name, server_url: $url, username: $username,
                   account_email: $account, credential: NONE, sync_enabled: true, auto_log: false, days_back: $back,
                   days_ahead: $ahead, last_sync_at: NONE, last_error: NONE, status: 'ok' }",
            )
            .bind(("rid", Self::rid(&id)?))
            .bind(("owner", owner.to_string()))
            .bind(("provider", new.provider.as_str().to_string()))
            .bind(("name", new.name))
            .bind(("url", new.server_url))
            .bind(("username", new.username))
            .bind(("account", new.account_email))
            .bind(("back", DEFAULT_DAYS_BACK as i64))
            .bind(("ahead", DEFAULT_DAYS_AHEAD as i64))
            .await?
            .check()?;
        self.upsert_calendars(owner, &id, &new.calendars).await?;
        Ok(id)
    }

    /// Adds newly offered calendars and refreshes names and colors of known ones; the user's
    /// choices and sync cursors are kept.
    pub async fn upsert_calendars(
        &self,
        owner: &str,
        connection: &str,
        calendars: &[NewCalendar],
    ) -> Result<(), StoreError> {
        for c in calendars {
            self.db
                .query(
                    "IF (SELECT * FROM calendar WHERE connection = $connection AND remote_id = $remote) {
                        UPDATE calendar SET name = $name, color = $color, supports_sync = $sync WHERE connection = $connection AND remote_id = $remote;
                     } ELSE {
                        CREATE calendar CONTENT { owner: $owner, connection: $connection, remote_id: $remote, name: $name, color: $color,
                          selected: $selected, supports_sync: $sync, sync_token: NONE, ctag: NONE, last_synced_at: NONE };
                     };",
                )
                .bind(("owner", owner.to_string()))
                .bind(("connection", connection.to_string()))
                .bind(("remote", c.remote_id.clone()))
                .bind(("name", c.name.clone()))
                .bind(("color", c.color.clone()))
                .bind(("sync", c.supports_sync))
                .bind(("selected", c.selected))
                .await?
                .check()?;
        }
        Ok(())
    }

    pub async fn row(&self, owner: &str, id: &str) -> Result<ConnectionRow, StoreError> {
        let row: Option<ConnectionRow> = self
            .db
            .query(format!(
                "SELECT {CONNECTION_FIELDS} FROM $rid WHERE owner = $owner"
            ))
            .bind(("rid", Self::rid(id)?))
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        row.ok_or(StoreError::NotFound("connection"))
    }

    /// Whether another connection (of any user) uses the same provider account.
    pub async fn account_in_use_elsewhere(
        &self,
        id: &str,
        provider: &str,
        account_email: &str,
    ) -> Result<bool, StoreError> {
        let others: Vec<serde_json::Value> = self
            .db
            .query("SELECT VALUE id FROM connection WHERE provider = $provider AND account_email = $email AND id != $rid LIMIT 1")
            .bind(("provider", provider.to_string()))
            .bind(("email", account_email.to_string()))
            .bind(("rid", Self::rid(id)?))
            .await?
            .take(0)?;
        Ok(!others.is_empty())
    }

    /// Every connection of one user, as stored.
    pub async fn list_rows(&self, owner: &str) -> Result<Vec<ConnectionRow>, StoreError> {
        Ok(self
            .db
            .query(format!(
                "SELECT {CONNECTION_FIELDS} FROM connection WHERE owner = $owner"
            ))
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?)
    }

    /// Every connection of every user (for the scheduler and the CLI).
    pub async fn all_rows(&self) -> Result<Vec<ConnectionRow>, StoreError> {
        Ok(self
            .db
            .query(format!(
                "SELECT {CONNECTION_FIELDS} FROM connection ORDER BY owner"
            ))
            .await?
            .take(0)?)
    }

    pub async fn calendars(
        &self,
        owner: &str,
        connection: &str,
    ) -> Result<Vec<CalendarRow>, StoreError> {
        Ok(self
            .db
            .query(format!("SELECT {CALENDAR_FIELDS} FROM calendar WHERE owner = $owner AND connection = $connection ORDER BY name"))
            .bind(("owner", owner.to_string()))
            .bind(("connection", connection.to_string()))
            .await?
            .take(0)?)
    }

    pub async fn list(&self, owner: &str) -> Result<Vec<Connection>, StoreError> {
        let mut response = self
            .db
            .query(format!(
                "SELECT {CONNECTION_FIELDS} FROM connection WHERE owner = $owner ORDER BY name;
                 SELECT {CALENDAR_FIELDS} FROM calendar WHERE owner = $owner ORDER BY name;
                 SELECT calendar AS key, count() AS n FROM event WHERE owner = $owner GROUP BY calendar;"
            ))
            .bind(("owner", owner.to_string()))
            .await?;
        let rows: Vec<ConnectionRow> = response.take(0)?;
        let calendars: Vec<CalendarRow> = response.take(1)?;
        let counts: HashMap<String, u64> = response
            .take::<Vec<CountBy>>(2)?
            .into_iter()
            .map(|c| (c.key, c.n.max(0) as u64))
            .collect();
        Ok(rows
            .into_iter()
            .map(|row| {
                let calendars: Vec<CalendarInfo> = calendars
                    .iter()
                    .filter(|c| c.connection == row.id)
                    .map(|c| CalendarInfo {
                        id: c.id.clone(),
                        remote_id: c.remote_id.clone(),
                        name: c.name.clone(),
                        color: c.color.clone(),
                        selected: c.selected,
                        event_count: counts.get(&c.id).copied().unwrap_or(0),
                    })
                    .collect();
                to_connection(row, calendars)
            })
            .collect())
    }

    pub async fn get(&self, owner: &str, id: &str) -> Result<Connection, StoreError> {
        self.list(owner)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(StoreError::NotFound("connection"))
    }

    pub async fn set_credential(
        &self,
        owner: &str,
        id: &str,
        sealed: Option<String>,
    ) -> Result<(), StoreError> {
        self.db
            .query("UPDATE $rid SET credential = $sealed WHERE owner = $owner")
            .bind(("rid", Self::rid(id)?))
            .bind(("owner", owner.to_string()))
            .bind(("sealed", sealed))
            .await?
            .check()?;
        Ok(())
    }

    pub async fn update_settings(
        &self,
        owner: &str,
        id: &str,
        name: &str,
        selected: &HashSet<String>,
        sync_enabled: bool,
        auto_log: bool,
        days_back: u32,
        days_ahead: u32,
    ) -> Result<(), StoreError> {
        self.row(owner, id).await?;
        let selected: Vec<String> = selected.iter().cloned().collect();
        self.db
            .query(
                "BEGIN TRANSACTION;
                 UPDATE $rid SET name = $name, sync_enabled = $sync, auto_log = $auto, days_back = $back, days_ahead = $ahead WHERE owner = $owner;
                 UPDATE calendar SET selected = (remote_id IN $selected) WHERE owner = $owner AND connection = $id;
                 -- Unticked calendars drop their events and start afresh if ticked again.
                 LET $dropped = (SELECT VALUE record::id(id) FROM calendar WHERE owner = $owner AND connection = $id AND selected = false);
                 DELETE event WHERE owner = $owner AND calendar IN $dropped;
                 DELETE calendar_object WHERE owner = $owner AND calendar IN $dropped;
                 UPDATE calendar SET sync_token = NONE, ctag = NONE WHERE owner = $owner AND connection = $id AND selected = false;
                 COMMIT TRANSACTION;",
            )
            .bind(("rid", Self::rid(id)?))
            .bind(("id", id.to_string()))
            .bind(("owner", owner.to_string()))
            .bind(("name", name.to_string()))
            .bind(("sync", sync_enabled))
            .bind(("auto", auto_log))
            .bind(("back", days_back as i64))
            .bind(("ahead", days_ahead as i64))
            .bind(("selected", selected))
            .await?
            .check()?;
        Ok(())
    }

    /// Removes the connection, its calendars and events; activities logged from its events stay
    /// but lose their link to them.
    pub async fn delete(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        self.row(owner, id).await?;
        self.db
            .query(
                "BEGIN TRANSACTION;
                 UPDATE activity SET source = NONE WHERE owner = $owner AND string::starts_with(source ?? '', $prefix);
                 DELETE event WHERE owner = $owner AND connection = $id;
                 LET $calendars = (SELECT VALUE record::id(id) FROM calendar WHERE owner = $owner AND connection = $id);
                 DELETE calendar_object WHERE owner = $owner AND calendar IN $calendars;
                 DELETE calendar WHERE owner = $owner AND connection = $id;
                 DELETE $rid WHERE owner = $owner;
                 COMMIT TRANSACTION;",
            )
            .bind(("rid", Self::rid(id)?))
            .bind(("id", id.to_string()))
            .bind(("owner", owner.to_string()))
            .bind(("prefix", format!("event:{id}:")))
            .await?
            .check()?;
        Ok(())
    }

    pub async fn set_status(
        &self,
        owner: &str,
        id: &str,
        status: ConnectionStatus,
        error: Option<String>,
        synced: bool,
    ) -> Result<(), StoreError> {
        let sql = if synced {
            "UPDATE $rid SET status = $status, last_error = $error, last_sync_at = time::now() WHERE owner = $owner"
        } else {
            "UPDATE $rid SET status = $status, last_error = $error WHERE owner = $owner"
        };
        self.db
            .query(sql)
            .bind(("rid", Self::rid(id)?))
            .bind(("owner", owner.to_string()))
            .bind(("status", status.as_str().to_string()))
            .bind(("error", error))
            .await?
            .check()?;
        Ok(())
    }

    /// href → ETag of every object stored for a calendar.
    pub async fn objects(&self, calendar: &str) -> Result<HashMap<String, String>, StoreError> {
        #[derive(Debug, SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct ObjectRow {
            href: String,
            etag: String,
        }
        let rows: Vec<ObjectRow> = self
            .db
            .query("SELECT href, etag FROM calendar_object WHERE calendar = $calendar")
            .bind(("calendar", calendar.to_string()))
            .await?
            .take(0)?;
        Ok(rows.into_iter().map(|r| (r.href, r.etag)).collect())
    }

    /// The occurrences stored for one object.
    async fn occurrences(&self, calendar: &str, href: &str) -> Result<Vec<Occurrence>, StoreError> {
        Ok(self
            .db
            .query(
                "SELECT uid, recurrence_id FROM event WHERE calendar = $calendar AND href = $href",
            )
            .bind(("calendar", calendar.to_string()))
            .bind(("href", href.to_string()))
            .await?
            .take(0)?)
    }

    async fn identities(&self, calendar: &str, href: &str) -> Result<HashSet<String>, StoreError> {
        Ok(self
            .occurrences(calendar, href)
            .await?
            .into_iter()
            .map(|r| identity(&r.uid, &r.recurrence_id))
            .collect())
    }

    /// Replaces everything stored for one object (`href`) with `events`, in one transaction.
    /// Attendees are matched against `index` on the way in.
    pub async fn replace_object(
        &self,
        owner: &str,
        calendar: &CalendarRow,
        href: &str,
        etag: &str,
        events: &[EventRecord],
        index: &Index,
    ) -> Result<Changes, StoreError> {
        let before = self.identities(&calendar.id, href).await?;
        let now = Utc::now();
        let rows: Vec<EventInsert> = events
            .iter()
            .map(|e| event_insert(owner, calendar, Some(href), Some(etag), e, index, now))
            .collect();
        let after: HashSet<String> = rows
            .iter()
            .map(|r| identity(&r.uid, &r.recurrence_id))
            .collect();
        self.db
            .query(
                "BEGIN TRANSACTION;
                 DELETE event WHERE calendar = $calendar AND href = $href;
                 -- The same UID may move between objects; never keep two copies.
                 -- (Google instances share a UID and differ by occurrence, hence both.)
                 DELETE event WHERE owner = $owner AND connection = $connection AND calendar = $calendar AND uid IN $uids AND recurrence_id IN $rids;
                 INSERT INTO event $rows;
                 IF (SELECT * FROM calendar_object WHERE calendar = $calendar AND href = $href) {
                    UPDATE calendar_object SET etag = $etag WHERE calendar = $calendar AND href = $href;
                 } ELSE {
                    CREATE calendar_object CONTENT { owner: $owner, calendar: $calendar, href: $href, etag: $etag };
                 };
                 COMMIT TRANSACTION;",
            )
            .bind(("calendar", calendar.id.clone()))
            .bind(("connection", calendar.connection.clone()))
            .bind(("owner", owner.to_string()))
            .bind(("href", href.to_string()))
            .bind(("etag", etag.to_string()))
            .bind(("uids", events.iter().map(|e| e.uid.clone()).collect::<Vec<_>>()))
            .bind(("rids", rows.iter().map(|r| r.recurrence_id.clone()).collect::<Vec<_>>()))
            .bind(("rows", rows))
            .await?
            .check()?;
        Ok(Changes {
            added: after.difference(&before).count() as u64,
            changed: after.intersection(&before).count() as u64,
            removed: before.difference(&after).count() as u64,
        })
    }

    pub async fn remove_object(
        &self,
        calendar: &CalendarRow,
        href: &str,
    ) -> Result<Changes, StoreError> {
        let before = self.identities(&calendar.id, href).await?;
        self.db
            .query("BEGIN TRANSACTION; DELETE event WHERE calendar = $calendar AND href = $href; DELETE calendar_object WHERE calendar = $calendar AND href = $href; COMMIT TRANSACTION;")
            .bind(("calendar", calendar.id.clone()))
            .bind(("href", href.to_string()))
            .await?
            .check()?;
        Ok(Changes {
            removed: before.len() as u64,
            ..Default::default()
        })
    }

    /// Removes an object the provider reports as cancelled, returning the activity sources of
    /// the occurrences it held (so auto-logged activities can follow the cancellation).
    pub async fn cancel_object(
        &self,
        calendar: &CalendarRow,
        href: &str,
    ) -> Result<(Changes, Vec<String>), StoreError> {
        let rows = self.occurrences(&calendar.id, href).await?;
        let sources = rows
            .iter()
            .map(|r| event_source(&calendar.connection, &calendar.id, &r.uid, &r.recurrence_id))
            .collect();
        Ok((self.remove_object(calendar, href).await?, sources))
    }

    /// Saved only after the changes it covers are stored, so an interrupted sync repeats work
    /// instead of losing it.
    pub async fn save_cursor(
        &self,
        calendar: &str,
        sync_token: Option<String>,
        ctag: Option<String>,
    ) -> Result<(), StoreError> {
        self.db
            .query("UPDATE type::record('calendar', $id) SET sync_token = $sync_token, ctag = $ctag, last_synced_at = time::now()")
            .bind(("id", calendar.to_string()))
            .bind(("sync_token", sync_token))
            .bind(("ctag", ctag))
            .await?
            .check()?;
        Ok(())
    }

    /// Connections the scheduler should sync now: enabled, not waiting for re-authentication,
    /// due, and not leased by a running sync.
    pub async fn due(&self, now: DateTime<Utc>) -> Result<Vec<ConnectionRow>, StoreError> {
        Ok(self
            .db
            .query(format!(
                "SELECT {CONNECTION_FIELDS} FROM connection WHERE sync_enabled = true AND status != 'needs_reauth'
                   AND (next_sync_at IS NONE OR next_sync_at <= $now) AND (lease_until IS NONE OR lease_until < $now)
                 ORDER BY next_sync_at ASC"
            ))
            .bind(("now", now))
            .await?
            .take(0)?)
    }

    /// Takes the connection's sync lease unless another live sync holds it. The lease expires,
    /// so a crashed process never blocks a connection for longer than `until`.
    pub async fn acquire_lease(
        &self,
        id: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let taken: Vec<serde_json::Value> = self
            .db
            .query("UPDATE type::record('connection', $id) SET lease_until = $until, lease_owner = $holder WHERE lease_until IS NONE OR lease_until < $now RETURN VALUE lease_owner")
            .bind(("id", id.to_string()))
            .bind(("holder", holder.to_string()))
            .bind(("now", now))
            .bind(("until", until))
            .await?
            .take(0)?;
        Ok(!taken.is_empty())
    }

    /// Extends a lease its holder still has.
    pub async fn renew_lease(
        &self,
        id: &str,
        holder: &str,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.db
            .query("UPDATE type::record('connection', $id) SET lease_until = $until WHERE lease_owner = $holder")
            .bind(("id", id.to_string()))
            .bind(("holder", holder.to_string()))
            .bind(("until", until))
            .await?
            .check()?;
        Ok(())
    }

    pub async fn release_lease(&self, id: &str, holder: &str) -> Result<(), StoreError> {
        self.db
            .query("UPDATE type::record('connection', $id) SET lease_until = NONE, lease_owner = NONE WHERE lease_owner = $holder")
            .bind(("id", id.to_string()))
            .bind(("holder", holder.to_string()))
            .await?
            .check()?;
        Ok(())
    }

    /// Connections still marked "syncing" whose lease has lapsed were interrupted (their process
    /// died): say so instead of showing "Syncing…" until the next sync. Returns how many.
    pub async fn mark_interrupted(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let rows: Vec<serde_json::Value> = self
            .db
            .query("UPDATE connection SET status = 'error', last_error = $message WHERE status = 'syncing' AND (lease_until = NONE OR lease_until < $now) RETURN id")
            .bind(("now", now))
            .bind(("message", "The last sync was interrupted (the server stopped). Rondo finishes it at the next sync.".to_string()))
            .await?
            .take(0)?;
        Ok(rows.len())
    }

    /// When the scheduler should come back, and how many failures in a row led there.
    pub async fn schedule_next(
        &self,
        id: &str,
        next: DateTime<Utc>,
        failures: i64,
    ) -> Result<(), StoreError> {
        self.db
            .query("UPDATE type::record('connection', $id) SET next_sync_at = $next, failures = $failures")
            .bind(("id", id.to_string()))
            .bind(("next", next))
            .bind(("failures", failures))
            .await?
            .check()?;
        Ok(())
    }

    /// Appends to the connection's sync history, keeping the last 50 runs.
    pub async fn record_run(
        &self,
        owner: &str,
        connection: &str,
        run: &SyncRunInsert,
    ) -> Result<(), StoreError> {
        self.db
            .query(
                "CREATE sync_run CONTENT { owner: $owner, connection: $connection, started_at: $run.started_at, finished_at: $run.finished_at,
                    added: $run.added, changed: $run.changed, removed: $run.removed, logged: $run.logged, error: $run.error };
                 LET $keep = (SELECT VALUE id FROM sync_run WHERE connection = $connection ORDER BY started_at DESC LIMIT 50);
                 DELETE sync_run WHERE connection = $connection AND id NOTINSIDE $keep;",
            )
            .bind(("owner", owner.to_string()))
            .bind(("connection", connection.to_string()))
            .bind(("run", run.clone()))
            .await?
            .check()?;
        Ok(())
    }

    pub async fn history(&self, owner: &str, connection: &str) -> Result<Vec<SyncRun>, StoreError> {
        let rows: Vec<SyncRunInsert> = self
            .db
            .query("SELECT started_at, finished_at, added, changed, removed, logged, error FROM sync_run WHERE owner = $owner AND connection = $connection ORDER BY started_at DESC LIMIT 50")
            .bind(("owner", owner.to_string()))
            .bind(("connection", connection.to_string()))
            .await?
            .take(0)?;
        Ok(rows
            .into_iter()
            .map(|r| SyncRun {
                started_at: r.started_at,
                finished_at: r.finished_at,
                added: r.added.max(0) as u64,
                changed: r.changed.max(0) as u64,
                removed: r.removed.max(0) as u64,
                logged: r.logged.max(0) as u64,
                error: r.error,
            })
            .collect())
    }

    pub async fn event_count(&self, owner: &str, connection: &str) -> Result<u64, StoreError> {
        #[derive(Debug, SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct N {
            n: i64,
        }
        let row: Option<N> = self
            .db
            .query("SELECT count() AS n FROM event WHERE owner = $owner AND connection = $connection GROUP ALL")
            .bind(("owner", owner.to_string()))
            .bind(("connection", connection.to_string()))
            .await?
            .take(0)?;
        Ok(row.map(|r| r.n.max(0) as u64).unwrap_or(0))
    }
}

fn event_insert(
    owner: &str,
    calendar: &CalendarRow,
    href: Option<&str>,
    etag: Option<&str>,
    e: &EventRecord,
    index: &Index,
    now: DateTime<Utc>,
) -> EventInsert {
    let recurrence_id = e.recurrence_id.clone().unwrap_or_default();
    let matches = matcher::match_event(index, e.organizer.as_ref(), &e.attendees);
    EventInsert {
        id: RecordId::new("event", new_id()),
        owner: owner.to_string(),
        connection: calendar.connection.clone(),
        calendar: calendar.id.clone(),
        href: href.map(str::to_string),
        uid: e.uid.clone(),
        recurrence_id,
        title: e.title.clone(),
        description: e.description.clone(),
        location: e.location.clone(),
        starts_at: e.start.instant(),
        ends_at: e.end.instant(),
        all_day: e.all_day(),
        start_date: e.start.date().map(|d| d.to_string()),
        end_date: e.end.date().map(|d| d.to_string()),
        time_zone: e.time_zone.clone(),
        status: e.status.clone(),
        organizer: e.organizer.as_ref().map(|o| OrganizerRow {
            email: Some(o.email.clone()),
            name: o.name.clone(),
            is_self: o.is_self,
        }),
        attendees: e.attendees.iter().map(attendee_row).collect(),
        meeting_url: e.meeting_url.clone(),
        etag: etag.map(str::to_string),
        last_modified: e.last_modified,
        updated_at: now,
        attendee_keys: matcher::attendee_keys(e.organizer.as_ref(), &e.attendees),
        people: matcher::linked_people(&matches),
        matches: matches.into_iter().map(MatchRow::from).collect(),
    }
}

fn to_connection(row: ConnectionRow, calendars: Vec<CalendarInfo>) -> Connection {
    Connection {
        event_count: calendars.iter().map(|c| c.event_count).sum(),
        provider: Provider::parse(&row.provider).unwrap_or(Provider::CalDav),
        has_secret: row.credential.is_some(),
        id: row.id,
        name: row.name,
        server_url: row.server_url,
        username: row.username,
        calendars,
        sync_enabled: row.sync_enabled,
        auto_log: row.auto_log,
        days_back: row.days_back.max(0) as u32,
        days_ahead: row.days_ahead.max(0) as u32,
        last_sync_at: row.last_sync_at,
        last_error: row.last_error,
        status: ConnectionStatus::parse(&row.status),
    }
}
