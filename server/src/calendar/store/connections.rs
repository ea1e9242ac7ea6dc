//! The `connection` and `calendar` tables: what the user connected, its settings and status,
//! the calendars it offers and their sync cursors. The only module that writes them.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use app::models::{
    CalendarInfo, Connection, ConnectionStatus, Provider, SyncFrequency, SyncPhase, SyncProgress,
    DEFAULT_DAYS_AHEAD, DEFAULT_DAYS_BACK,
};

use super::events;
use crate::activities;
use crate::calendar::model::hex_color;
use crate::clock::Clock;
use crate::db::Db;
use crate::error::StoreError;
use crate::freshness::{touched, Data, UserCache};
use crate::ids::{new_id, record};

/// A connection as the sync layer sees it (secrets still sealed).
#[derive(Debug, Clone)]
pub struct ConnectionRow {
    pub id: String,
    pub owner: String,
    pub provider: Provider,
    pub name: String,
    pub server_url: Option<String>,
    pub username: Option<String>,
    pub account_email: Option<String>,
    pub credential: Option<String>,
    pub sync_enabled: bool,
    pub auto_log: bool,
    pub days_back: i64,
    pub days_ahead: i64,
    pub sync_frequency: SyncFrequency,
    /// Google: out-of-office entries are stored (and shown) too.
    pub show_out_of_office: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// When the last sync attempt ended, successful or not.
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub status: ConnectionStatus,
    pub next_sync_at: Option<DateTime<Utc>>,
    pub failures: Option<i64>,
    /// The running sync's progress (none when no sync runs).
    pub progress: Option<SyncProgress>,
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

/// The stored shape; enums are strings in the database and typed everywhere else.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct StoredConnection {
    id: String,
    owner: String,
    provider: String,
    name: String,
    server_url: Option<String>,
    username: Option<String>,
    account_email: Option<String>,
    credential: Option<String>,
    sync_enabled: bool,
    auto_log: bool,
    days_back: i64,
    days_ahead: i64,
    sync_frequency: Option<String>,
    show_out_of_office: Option<bool>,
    last_sync_at: Option<DateTime<Utc>>,
    last_attempt_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    status: String,
    next_sync_at: Option<DateTime<Utc>>,
    failures: Option<i64>,
    progress_phase: Option<String>,
    progress_done: Option<i64>,
    progress_total: Option<i64>,
}

impl From<StoredConnection> for ConnectionRow {
    fn from(s: StoredConnection) -> Self {
        let progress = s
            .progress_phase
            .as_deref()
            .and_then(SyncPhase::parse)
            .map(|phase| SyncProgress {
                phase,
                done: s.progress_done.unwrap_or(0).max(0) as u64,
                total: s.progress_total.map(|t| t.max(0) as u64),
            });
        ConnectionRow {
            progress,
            provider: Provider::parse(&s.provider).unwrap_or(Provider::CalDav),
            status: ConnectionStatus::parse(&s.status),
            id: s.id,
            owner: s.owner,
            name: s.name,
            server_url: s.server_url,
            username: s.username,
            account_email: s.account_email,
            credential: s.credential,
            sync_enabled: s.sync_enabled,
            auto_log: s.auto_log,
            days_back: s.days_back,
            days_ahead: s.days_ahead,
            sync_frequency: s
                .sync_frequency
                .as_deref()
                .and_then(SyncFrequency::parse)
                .unwrap_or_default(),
            show_out_of_office: s.show_out_of_office.unwrap_or(false),
            last_sync_at: s.last_sync_at,
            last_attempt_at: s.last_attempt_at,
            last_error: s.last_error,
            next_sync_at: s.next_sync_at,
            failures: s.failures,
        }
    }
}

fn rows(stored: Vec<StoredConnection>) -> Vec<ConnectionRow> {
    stored.into_iter().map(ConnectionRow::from).collect()
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
    /// The fingerprint of a mass removal waiting for a second listing to confirm it.
    pub removal_pending: Option<String>,
    /// The window the stored occurrences were expanded for.
    pub expanded_from: Option<DateTime<Utc>>,
    pub expanded_to: Option<DateTime<Utc>>,
    /// How many occurrences it held when last counted (after each sync; see `recount`).
    pub event_count: Option<i64>,
}

impl CalendarRow {
    pub fn key(&self) -> events::CalendarKey<'_> {
        events::CalendarKey {
            id: &self.id,
            connection: &self.connection,
        }
    }
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
    pub sync_frequency: SyncFrequency,
}

/// What the user changes in the Edit dialog.
#[derive(Debug, Clone)]
pub struct ConnectionSettings<'a> {
    pub name: &'a str,
    pub selected: &'a HashSet<String>,
    pub sync_enabled: bool,
    pub auto_log: bool,
    pub days_back: u32,
    pub days_ahead: u32,
    pub sync_frequency: SyncFrequency,
    pub show_out_of_office: bool,
}

impl<'a> ConnectionSettings<'a> {
    /// A new connection's settings (as "Connect" stores them) named `name`, syncing `selected`.
    pub fn new(name: &'a str, selected: &'a HashSet<String>) -> Self {
        ConnectionSettings {
            name,
            selected,
            sync_enabled: true,
            auto_log: false,
            days_back: DEFAULT_DAYS_BACK,
            days_ahead: DEFAULT_DAYS_AHEAD,
            sync_frequency: SyncFrequency::default(),
            show_out_of_office: false,
        }
    }
}

/// A calendar's display name and colour, for meeting cards.
#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CalendarLabel {
    pub id: String,
    pub name: String,
    pub color: Option<String>,
}

const CONNECTION_FIELDS: &str = "record::id(id) AS id, owner, provider, name, server_url, username, account_email, credential, sync_enabled, auto_log, days_back, days_ahead, sync_frequency, show_out_of_office, last_sync_at, last_attempt_at, last_error, status, next_sync_at, failures, progress_phase, progress_done, progress_total";
const CALENDAR_FIELDS: &str = "record::id(id) AS id, connection, remote_id, name, color, selected, supports_sync, sync_token, ctag, removal_pending, expanded_from, expanded_to, event_count";

/// Whether connection `$connection` of `$owner` is there and not being deleted: what a sync
/// that outlived its connection's deletion checks before leaving anything behind that nothing
/// would remove (its run, an address it reported).
pub(crate) const IS_LIVE: &str = "(SELECT VALUE id FROM type::record('connection', $connection) WHERE owner = $owner AND deleting_since IS NONE)[0] != NONE";

/// Rows removed per transaction when a connection is deleted: small enough that a deletion
/// stays within the engine's memtable and a few MB of memory.
const DELETE_BATCH: i64 = 500;

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Deleting {
    owner: String,
    id: String,
    #[surreal(default)]
    calendars: Vec<String>,
    #[surreal(default)]
    addresses: Vec<String>,
}

#[derive(Clone)]
pub struct ConnectionStore {
    db: Db,
    /// The calendars of each user's connections being deleted, whose events are hidden until
    /// they are gone (almost always none).
    deleting: Arc<UserCache<(), Arc<Vec<String>>>>,
}

pub(crate) fn connection_rid(id: &str) -> Result<RecordId, StoreError> {
    record("connection", id).ok_or(StoreError::NotFound("connection"))
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct ClearingRow {
    owner: String,
    id: String,
}

/// Unticked calendars whose clearing made no progress since `$before`. Bounded below too: NONE
/// sorts first in the index, and every calendar not being cleared has it.
const STALLED_CLEARINGS: &str = "SELECT owner, record::id(id) AS id FROM calendar WHERE clearing_since > d'1970-01-01T00:00:00Z' AND clearing_since < $before AND selected = false";

/// A long removal, marked alive at each batch so the scheduler resumes only one that stalled.
enum Alive<'a> {
    /// A connection's deletion (its `deleting_since`).
    Deletion(RecordId, &'a dyn Clock),
    /// Unticked calendars' clearing (each one's `clearing_since`), which stops for a calendar
    /// ticked again.
    Clearing(Vec<RecordId>, &'a dyn Clock),
}

impl Alive<'_> {
    /// The statement setting `$go`: whether the batch is to run.
    fn go(&self) -> &'static str {
        match self {
            // Its calendars are gone already.
            Alive::Deletion(..) => "LET $go = true;",
            // One ticked again keeps its new sync's rows.
            Alive::Clearing(..) => {
                "LET $go = (SELECT VALUE selected FROM type::record('calendar', $calendar))[0] = false;"
            }
        }
    }

    fn field(&self) -> &'static str {
        match self {
            Alive::Deletion(..) => "deleting_since",
            Alive::Clearing(..) => "clearing_since",
        }
    }

    fn records(&self) -> Vec<RecordId> {
        match self {
            Alive::Deletion(record, _) => vec![record.clone()],
            Alive::Clearing(records, _) => records.clone(),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        match self {
            Alive::Deletion(_, clock) | Alive::Clearing(_, clock) => clock.now(),
        }
    }
}

impl ConnectionStore {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            deleting: Arc::new(UserCache::new(&[Data::Calendar])),
        }
    }

    /// Creates a connection with its credential (`seal` seals it for the new id): one that
    /// exists without its credential would be synced by another process's scheduler meanwhile,
    /// and fail.
    pub async fn create(
        &self,
        owner: &str,
        new: NewConnection,
        seal: impl FnOnce(&str) -> Option<String>,
    ) -> Result<String, StoreError> {
        let id = new_id();
        self.db
            .query(
                "CREATE $rid CONTENT { owner: $owner, provider: $provider, name: $name, server_url: $url, username: $username,
                   account_email: $account, credential: $credential, sync_enabled: true, auto_log: false, days_back: $back,
                   days_ahead: $ahead, sync_frequency: $frequency, show_out_of_office: false, last_sync_at: NONE, last_error: NONE, status: 'ok' }",
            )
            .bind(("rid", connection_rid(&id)?))
            .bind(("owner", owner.to_string()))
            .bind(("provider", new.provider.as_str().to_string()))
            .bind(("name", new.name))
            .bind(("url", new.server_url))
            .bind(("username", new.username))
            .bind(("account", new.account_email))
            .bind(("back", DEFAULT_DAYS_BACK as i64))
            .bind(("ahead", DEFAULT_DAYS_AHEAD as i64))
            .bind(("frequency", new.sync_frequency.as_str().to_string()))
            .bind(("credential", seal(&id)))
            .await?
            .check()?;
        let calendars = self.upsert_calendars(owner, &id, &new.calendars).await;
        touched(owner, Data::Connections).await;
        calendars?;
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
        let upserted = self.upsert_each(owner, connection, calendars).await;
        // Also after a partial failure: the calendars before it were written.
        touched(owner, Data::Calendar).await;
        upserted
    }

    async fn upsert_each(
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
        let row: Option<StoredConnection> = self
            .db
            .query(format!(
                "SELECT {CONNECTION_FIELDS} FROM $rid WHERE owner = $owner AND deleting_since IS NONE"
            ))
            .bind(("rid", connection_rid(id)?))
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        row.map(ConnectionRow::from)
            .ok_or(StoreError::NotFound("connection"))
    }

    /// Whether another connection (of any user) uses the same provider account.
    pub async fn account_in_use_elsewhere(
        &self,
        id: &str,
        provider: Provider,
        account_email: &str,
    ) -> Result<bool, StoreError> {
        let others: Vec<serde_json::Value> = self
            .db
            .query("SELECT VALUE id FROM connection WHERE provider = $provider AND account_email = $email AND id != $rid AND deleting_since IS NONE LIMIT 1")
            .bind(("provider", provider.as_str().to_string()))
            .bind(("email", account_email.to_string()))
            .bind(("rid", connection_rid(id)?))
            .await?
            .take(0)?;
        Ok(!others.is_empty())
    }

    /// Every connection of one user, as stored.
    pub async fn list_rows(&self, owner: &str) -> Result<Vec<ConnectionRow>, StoreError> {
        Ok(rows(
            self.db
                .query(format!(
                    "SELECT {CONNECTION_FIELDS} FROM connection WHERE owner = $owner AND deleting_since IS NONE"
                ))
                .bind(("owner", owner.to_string()))
                .await?
                .take(0)?,
        ))
    }

    /// Every connection of every user (for the scheduler and the CLI).
    pub async fn all_rows(&self) -> Result<Vec<ConnectionRow>, StoreError> {
        Ok(rows(
            self.db
                .query(format!(
                    "SELECT {CONNECTION_FIELDS} FROM connection WHERE deleting_since IS NONE ORDER BY owner"
                ))
                .await?
                .take(0)?,
        ))
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

    /// Names and colours of all of a user's calendars.
    pub async fn calendar_labels(
        &self,
        owner: &str,
    ) -> Result<HashMap<String, CalendarLabel>, StoreError> {
        let labels: Vec<CalendarLabel> = self
            .db
            .query("SELECT record::id(id) AS id, name, color FROM calendar WHERE owner = $owner")
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        Ok(labels
            .into_iter()
            .map(|c| {
                let color = c.color.as_deref().and_then(hex_color);
                (c.id.clone(), CalendarLabel { color, ..c })
            })
            .collect())
    }

    /// The user's connections with their calendars (and how many occurrences each held when
    /// last counted), without their last runs (the sync history's).
    pub async fn list(&self, owner: &str) -> Result<Vec<Connection>, StoreError> {
        let mut response = self
            .db
            .query(format!(
                "SELECT {CONNECTION_FIELDS} FROM connection WHERE owner = $owner AND deleting_since IS NONE ORDER BY name;
                 SELECT {CALENDAR_FIELDS} FROM calendar WHERE owner = $owner ORDER BY name;"
            ))
            .bind(("owner", owner.to_string()))
            .await?;
        let connections = rows(response.take(0)?);
        let calendars: Vec<CalendarRow> = response.take(1)?;
        Ok(connections
            .into_iter()
            .map(|row| {
                let calendars: Vec<CalendarInfo> = calendars
                    .iter()
                    .filter(|c| c.connection == row.id)
                    .map(|c| CalendarInfo {
                        id: c.id.clone(),
                        remote_id: c.remote_id.clone(),
                        name: c.name.clone(),
                        color: c.color.as_deref().and_then(hex_color),
                        selected: c.selected,
                        event_count: c.event_count.unwrap_or(0).max(0) as u64,
                    })
                    .collect();
                to_connection(row, calendars)
            })
            .collect())
    }

    pub async fn set_credential(
        &self,
        owner: &str,
        id: &str,
        sealed: Option<String>,
    ) -> Result<(), StoreError> {
        crate::db::retrying(|| async {
            self.db
                .query("UPDATE $rid SET credential = $sealed WHERE owner = $owner")
                .bind(("rid", connection_rid(id)?))
                .bind(("owner", owner.to_string()))
                .bind(("sealed", sealed.clone()))
                .await?
                .check()?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Replaces the credential only while it is still `old`, so a re-encryption (key
    /// rotation) never overwrites a password or token saved meanwhile. Whether it replaced.
    pub async fn replace_credential(
        &self,
        owner: &str,
        id: &str,
        old: &str,
        new: String,
    ) -> Result<bool, StoreError> {
        let replaced: Vec<surrealdb::types::RecordId> = self
            .db
            .query("UPDATE $rid SET credential = $new WHERE owner = $owner AND credential = $old RETURN VALUE id")
            .bind(("rid", connection_rid(id)?))
            .bind(("owner", owner.to_string()))
            .bind(("old", old.to_string()))
            .bind(("new", new))
            .await?
            .take(0)?;
        Ok(!replaced.is_empty())
    }

    /// Saves the Edit dialog; unticked calendars drop their cursors at once and their events
    /// and stored objects right after, a batch per transaction (a large calendar's in one
    /// did not fit the engine); their events are hidden meanwhile ([`Self::hidden_calendars`]),
    /// and each batch marks the clearing alive at the clock's time (one that stalls is finished
    /// by the scheduler, [`Self::stalled_clearings`]).
    /// A calendar ticked again is first cleared of what an interrupted clearing left, and
    /// starts afresh. Switching out-of-office entries on or off drops every calendar's sync
    /// cursor, so the next sync lists everything again: the entries it skipped come in, or the
    /// stored ones go.
    pub async fn update_settings(
        &self,
        owner: &str,
        id: &str,
        settings: ConnectionSettings<'_>,
        clock: &dyn Clock,
    ) -> Result<(), StoreError> {
        let row = self.row(owner, id).await?;
        let relist = row.provider == Provider::Google
            && row.show_out_of_office != settings.show_out_of_office;
        let selected: Vec<String> = settings.selected.iter().cloned().collect();
        let calendars = self.calendars(owner, id).await?;
        // What an interrupted clearing left of a calendar ticked again.
        let reticked: Vec<String> = calendars
            .iter()
            .filter(|c| !c.selected && settings.selected.contains(&c.remote_id))
            .map(|c| c.id.clone())
            .collect();
        self.clear_calendars(owner, &reticked, clock).await?;
        let now = clock.now();
        crate::db::retrying(|| async {
            let response = self
                .db
                .query(
                    "BEGIN TRANSACTION;
                     UPDATE $rid SET name = $name, sync_enabled = $sync, auto_log = $auto, days_back = $back, days_ahead = $ahead, sync_frequency = $frequency, show_out_of_office = $ooo WHERE owner = $owner;
                     IF $relist { UPDATE calendar SET sync_token = NONE WHERE owner = $owner AND connection = $id; };
                     UPDATE calendar SET clearing_since = $now WHERE owner = $owner AND connection = $id AND selected = true AND remote_id NOTINSIDE $selected;
                     UPDATE calendar SET selected = (remote_id IN $selected) WHERE owner = $owner AND connection = $id;
                     UPDATE calendar SET sync_token = NONE, ctag = NONE, removal_pending = NONE, expanded_from = NONE, expanded_to = NONE WHERE owner = $owner AND connection = $id AND selected = false;
                     COMMIT TRANSACTION;",
                )
                .bind(("rid", connection_rid(id)?))
                .bind(("id", id.to_string()))
                .bind(("owner", owner.to_string()))
                .bind(("name", settings.name.to_string()))
                .bind(("sync", settings.sync_enabled))
                .bind(("auto", settings.auto_log))
                .bind(("back", settings.days_back as i64))
                .bind(("ahead", settings.days_ahead as i64))
                .bind(("frequency", settings.sync_frequency.as_str().to_string()))
                .bind(("ooo", settings.show_out_of_office))
                .bind(("relist", relist))
                .bind(("selected", selected.clone()))
                .bind(("now", now))
                .await?;
            crate::db::check_all(response)?;
            Ok(())
        })
        .await?;
        touched(owner, Data::Calendar).await;
        touched(owner, Data::Connections).await;
        // Those unticked now (one left by a stopped clearing is the scheduler's).
        let unticked: Vec<String> = calendars
            .iter()
            .filter(|c| c.selected && !settings.selected.contains(&c.remote_id))
            .map(|c| c.id.clone())
            .collect();
        self.clear_calendars(owner, &unticked, clock).await
    }

    /// Removes unticked calendars' stored objects and events, one calendar after another and a
    /// batch per transaction, and zeroes their counts; they are no longer hidden after. Each
    /// batch marks every calendar still to be cleared alive, so the scheduler leaves them to
    /// this clearing. A calendar ticked again meanwhile is left alone: its new sync's events
    /// stay.
    pub async fn clear_calendars(
        &self,
        owner: &str,
        calendars: &[String],
        clock: &dyn Clock,
    ) -> Result<(), StoreError> {
        for (i, calendar) in calendars.iter().enumerate() {
            let still_to_clear = calendars[i..].iter();
            let alive = Alive::Clearing(
                still_to_clear
                    .map(|c| RecordId::new("calendar", c.as_str()))
                    .collect(),
                clock,
            );
            self.clear_calendar_rows(owner, calendar, &alive).await?;
            crate::db::retrying(|| async {
                self.db
                    .query(
                        "UPDATE type::record('calendar', $calendar) SET event_count = 0, recount = false, clearing_since = NONE WHERE selected = false",
                    )
                    .bind(("calendar", calendar.to_string()))
                    .await?
                    .check()?;
                Ok(())
            })
            .await?;
            touched(owner, Data::Calendar).await;
        }
        Ok(())
    }

    /// Unticked calendars whose clearing made no progress since `stalled_before` (its process
    /// stopped), to be cleared again (owner, calendar). Read from the index: the scheduler
    /// asks every round.
    pub async fn stalled_clearings(
        &self,
        stalled_before: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<ClearingRow> = self
            .db
            .query(STALLED_CLEARINGS)
            .bind(("before", stalled_before))
            .await?
            .take(0)?;
        Ok(rows.into_iter().map(|r| (r.owner, r.id)).collect())
    }

    /// Removes a calendar's events, then its stored objects, [`DELETE_BATCH`] rows per
    /// statement, marking the removal `alive` at each batch.
    async fn clear_calendar_rows(
        &self,
        owner: &str,
        calendar: &str,
        alive: &Alive<'_>,
    ) -> Result<(), StoreError> {
        for batch in events::DELETE_BATCH_FOR_CALENDAR {
            loop {
                let removed = self.delete_batch(owner, alive, batch, calendar).await?;
                if removed > 0 {
                    touched(owner, Data::Calendar).await;
                }
                if removed < DELETE_BATCH as usize {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Deletes the connection and everything it stored: [`ConnectionStore::begin_delete`],
    /// [`ConnectionStore::clear_deleted`], [`ConnectionStore::remove_deleted`]. Re-matches
    /// nothing: for a connection that stored nothing yet (a connect rolled back);
    /// `Calendars::delete` is the whole deletion.
    pub async fn delete(&self, owner: &str, id: &str, clock: &dyn Clock) -> Result<(), StoreError> {
        self.begin_delete(owner, id, clock.now()).await?;
        if self.clear_deleted(owner, id, clock).await?.is_some() {
            self.remove_deleted(owner, id).await?;
        }
        Ok(())
    }

    /// Starts deleting the connection, in one transaction: activities logged from its events
    /// lose their link to them, the addresses it reported go (kept on the row until the
    /// meetings they touch are matched again), its calendars go (so a sync still running
    /// stores nothing more), its sealed credential goes, and it is marked deleted, which hides
    /// it everywhere. Its events and stored objects are then removed by
    /// [`ConnectionStore::clear_deleted`].
    pub async fn begin_delete(
        &self,
        owner: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.row(owner, id).await?;
        crate::db::retrying(|| async {
            let response = self
                .db
                .query(format!(
                    "BEGIN TRANSACTION;
                     -- Run again after a write conflict with another deletion of it: that one's
                     -- lists of calendars and addresses stand (this one would find none left).
                     IF (SELECT VALUE deleting_since FROM $rid)[0] != NONE {{
                        THROW 'already_deleting';
                     }};
                     {}
                     {}
                     LET $calendars = (SELECT VALUE record::id(id) FROM calendar WHERE owner = $owner AND connection = $id);
                     DELETE calendar WHERE owner = $owner AND connection = $id;
                     UPDATE $rid SET deleting_calendars = $calendars, deleting_addresses = $reported, deleting_since = $now, credential = NONE WHERE owner = $owner;
                     COMMIT TRANSACTION;",
                    activities::UNLINK_SOURCES_WITH_PREFIX,
                    crate::my_addresses::DELETE_FOR_CONNECTION,
                ))
                .bind(("rid", connection_rid(id)?))
                .bind(("id", id.to_string()))
                .bind(("owner", owner.to_string()))
                .bind(("prefix", format!("event:{id}:")))
                .bind(("now", now))
                .await?;
            crate::db::check_all(response)?;
            Ok(())
        })
        .await
        .map_err(|e| match e {
            // The other deletion took it: to this one it is gone, as if it had come second.
            e if e.to_string().contains("already_deleting") => StoreError::NotFound("connection"),
            e => e,
        })?;
        for data in [
            Data::Calendar,
            Data::Connections,
            Data::Activities,
            Data::People,
        ] {
            touched(owner, data).await;
        }
        Ok(())
    }

    /// Removes what a connection being deleted stored: its events and stored objects, a batch
    /// per transaction (all in one held every deletion in memory: 280 MB for 12,000
    /// occurrences). Each batch marks the deletion alive at the clock's time; run again after an interruption, it goes on
    /// where it stopped. Returns the addresses the connection had reported, whose meetings are
    /// to be matched again before [`ConnectionStore::remove_deleted`]; `None` when the
    /// connection is not being deleted (or is gone).
    pub async fn clear_deleted(
        &self,
        owner: &str,
        id: &str,
        clock: &dyn Clock,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let rid = connection_rid(id)?;
        let alive = Alive::Deletion(rid.clone(), clock);
        let deleting: Vec<Deleting> = self
            .db
            .query("SELECT owner, record::id(id) AS id, deleting_calendars ?? [] AS calendars, deleting_addresses ?? [] AS addresses FROM $rid WHERE owner = $owner AND deleting_since IS NOT NONE")
            .bind(("rid", rid.clone()))
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        let Some(deleting) = deleting.into_iter().next() else {
            return Ok(None);
        };
        for calendar in &deleting.calendars {
            self.clear_calendar_rows(owner, calendar, &alive).await?;
        }
        Ok(Some(deleting.addresses))
    }

    /// Ends a deletion [`ConnectionStore::clear_deleted`] cleared: the connection's sync
    /// history, any address reported since, and the connection itself go.
    pub async fn remove_deleted(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let rid = connection_rid(id)?;
        crate::db::retrying(|| async {
            self.db
                .query(format!(
                    "BEGIN TRANSACTION;
                     {}
                     {}
                     DELETE $rid WHERE owner = $owner AND deleting_since IS NOT NONE;
                     COMMIT TRANSACTION;",
                    super::history::DELETE_FOR_CONNECTION,
                    // One a sync reported in the instant since the clearing is not re-matched,
                    // but it must not outlive its connection.
                    crate::my_addresses::DELETE_FOR_CONNECTION,
                ))
                .bind(("rid", rid.clone()))
                .bind(("id", id.to_string()))
                .bind(("owner", owner.to_string()))
                .await?
                .check()?;
            Ok(())
        })
        .await?;
        touched(owner, Data::Calendar).await;
        touched(owner, Data::Connections).await;
        Ok(())
    }

    /// Runs one of [`events::DELETE_BATCH_FOR_CALENDAR`] for up to [`DELETE_BATCH`] rows of one
    /// calendar, marking the removal `alive`; returns how many rows went.
    async fn delete_batch(
        &self,
        owner: &str,
        alive: &Alive<'_>,
        batch: &'static str,
        calendar: &str,
    ) -> Result<usize, StoreError> {
        let go = alive.go();
        crate::db::retrying(|| async {
            // Each statement is atomic on its own: a batch deleted is deleted. UPDATE creates
            // nothing: a calendar or connection gone meanwhile stays gone.
            let response = self
                .db
                .query(format!(
                    "{go}
                     {batch}
                     UPDATE $alive SET {} = $now WHERE array::len($batch) > 0;
                     RETURN array::len($batch);",
                    alive.field()
                ))
                .bind(("calendar", calendar.to_string()))
                .bind(("owner", owner.to_string()))
                .bind(("limit", DELETE_BATCH))
                .bind(("alive", alive.records()))
                .bind(("now", alive.now()))
                .await?;
            let mut response = crate::db::check_all(response)?;
            let last = response.num_statements() - 1;
            let removed: Option<i64> = response.take(last)?;
            Ok(removed.unwrap_or(0) as usize)
        })
        .await
    }

    /// The calendars whose events no page shows: those of the user's connections being
    /// deleted, and unticked ones whose events are being removed (or were left by a removal
    /// that stopped). Kept until the user's calendar data changes. Unticked calendars already
    /// cleared are not listed: any calendar listed here makes every count of the user's
    /// meetings read each row instead of the index's keys.
    pub async fn hidden_calendars(&self, owner: &str) -> Result<Arc<Vec<String>>, StoreError> {
        self.deleting
            .get_or_load(owner, (), async {
                let mut response = self
                    .db
                    .query(
                        "SELECT VALUE deleting_calendars ?? [] FROM connection WHERE owner = $owner AND deleting_since IS NOT NONE;
                         SELECT VALUE record::id(id) FROM calendar WHERE owner = $owner AND selected = false AND clearing_since IS NOT NONE;",
                    )
                    .bind(("owner", owner.to_string()))
                    .await?;
                let deleting: Vec<Vec<String>> = response.take(0)?;
                let unticked: Vec<String> = response.take(1)?;
                let hidden = deleting.into_iter().flatten().chain(unticked).collect();
                Ok::<_, StoreError>(Arc::new(hidden))
            })
            .await
    }

    /// Deletions that made no progress since `stalled_before` (their process stopped).
    pub async fn stalled_deletions(
        &self,
        stalled_before: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<Deleting> = self
            .db
            .query("SELECT owner, record::id(id) AS id FROM connection WHERE deleting_since IS NOT NONE AND deleting_since < $before")
            .bind(("before", stalled_before))
            .await?
            .take(0)?;
        Ok(rows.into_iter().map(|r| (r.owner, r.id)).collect())
    }

    pub async fn set_status(
        &self,
        owner: &str,
        id: &str,
        status: ConnectionStatus,
        error: Option<String>,
        synced: bool,
    ) -> Result<(), StoreError> {
        // A sync's progress is over once its status is anything but "syncing".
        let sql = match (synced, status == ConnectionStatus::Syncing) {
            (true, _) => "UPDATE $rid SET status = $status, last_error = $error, last_sync_at = time::now(), progress_phase = NONE, progress_done = NONE, progress_total = NONE WHERE owner = $owner",
            (false, false) => "UPDATE $rid SET status = $status, last_error = $error, progress_phase = NONE, progress_done = NONE, progress_total = NONE WHERE owner = $owner",
            (false, true) => "UPDATE $rid SET status = $status, last_error = $error WHERE owner = $owner",
        };
        crate::db::retrying(|| async {
            self.db
                .query(sql)
                .bind(("rid", connection_rid(id)?))
                .bind(("owner", owner.to_string()))
                .bind(("status", status.as_str().to_string()))
                .bind(("error", error.clone()))
                .await?
                .check()?;
            Ok(())
        })
        .await?;
        touched(owner, Data::Connections).await;
        Ok(())
    }

    /// A sync began: "syncing", with its progress at the start (the last error stays shown
    /// until the sync ends).
    pub async fn mark_syncing(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        crate::db::retrying(|| async {
            self.db
                .query("UPDATE $rid SET status = 'syncing', progress_phase = $phase, progress_done = 0, progress_total = NONE WHERE owner = $owner")
                .bind(("rid", connection_rid(id)?))
                .bind(("owner", owner.to_string()))
                .bind(("phase", SyncPhase::Listing.as_str().to_string()))
                .await?
                .check()?;
            Ok(())
        })
        .await?;
        touched(owner, Data::Connections).await;
        Ok(())
    }

    /// Where the running sync is; only while it is still marked as syncing (a sync stopped by
    /// its deadline must not write over its final status).
    pub async fn set_progress(&self, id: &str, progress: SyncProgress) -> Result<(), StoreError> {
        crate::db::retrying(|| async {
            self.db
                .query("UPDATE type::record('connection', $id) SET progress_phase = $phase, progress_done = $done, progress_total = $total WHERE status = 'syncing'")
                .bind(("id", id.to_string()))
                .bind(("phase", progress.phase.as_str().to_string()))
                .bind(("done", progress.done as i64))
                .bind(("total", progress.total.map(|t| t as i64)))
                .await?
                .check()?;
            Ok(())
        })
        .await?;
        Ok(())
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
            .query("UPDATE type::record('calendar', $id) SET sync_token = $sync_token, ctag = $ctag, removal_pending = NONE, last_synced_at = time::now() WHERE selected = true")
            .bind(("id", calendar.to_string()))
            .bind(("sync_token", sync_token))
            .bind(("ctag", ctag))
            .await?
            .check()?;
        Ok(())
    }

    /// Remembers a mass removal to be confirmed by the next listing.
    pub async fn set_removal_pending(
        &self,
        calendar: &str,
        fingerprint: &str,
    ) -> Result<(), StoreError> {
        self.db
            .query("UPDATE type::record('calendar', $id) SET removal_pending = $fingerprint WHERE selected = true")
            .bind(("id", calendar.to_string()))
            .bind(("fingerprint", fingerprint.to_string()))
            .await?
            .check()?;
        Ok(())
    }

    /// Records the window the calendar's stored occurrences now cover.
    pub async fn set_expanded(
        &self,
        calendar: &str,
        window: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<(), StoreError> {
        self.db
            .query(
                "UPDATE type::record('calendar', $id) SET expanded_from = $from, expanded_to = $to WHERE selected = true",
            )
            .bind(("id", calendar.to_string()))
            .bind(("from", window.0))
            .bind(("to", window.1))
            .await?
            .check()?;
        Ok(())
    }

    /// Connections the scheduler should sync now: enabled, not waiting for re-authentication,
    /// due, and not leased by a running sync.
    pub async fn due(&self, now: DateTime<Utc>) -> Result<Vec<ConnectionRow>, StoreError> {
        Ok(rows(
            self.db
                .query(format!(
                    "SELECT {CONNECTION_FIELDS} FROM connection WHERE sync_enabled = true AND status != 'needs_reauth' AND deleting_since IS NONE
                       AND (next_sync_at IS NONE OR next_sync_at <= $now) AND (lease_until IS NONE OR lease_until < $now)
                     ORDER BY next_sync_at ASC"
                ))
                .bind(("now", now))
                .await?
                .take(0)?,
        ))
    }

    /// Connections still marked "syncing" whose lease has lapsed were interrupted (their process
    /// died): say so instead of showing "Syncing…" until the next sync. Returns how many.
    pub async fn mark_interrupted(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let rows: Vec<serde_json::Value> = self
            .db
            .query("UPDATE connection SET status = 'error', last_error = $message, progress_phase = NONE, progress_done = NONE, progress_total = NONE WHERE status = 'syncing' AND (lease_until = NONE OR lease_until < $now) RETURN owner")
            .bind(("now", now))
            .bind(("message", "The last sync was interrupted (the server stopped). Rondo finishes it at the next sync.".to_string()))
            .await?
            .take(0)?;
        for owner in rows.iter().filter_map(|r| r["owner"].as_str()) {
            touched(owner, Data::Connections).await;
        }
        Ok(rows.len())
    }

    /// A sync attempt ended at `at`: when the scheduler should come back, and how many
    /// failures in a row led there.
    pub async fn record_attempt(
        &self,
        id: &str,
        at: DateTime<Utc>,
        next: DateTime<Utc>,
        failures: i64,
    ) -> Result<(), StoreError> {
        self.set_schedule(id, Some(at), next, failures).await
    }

    /// When the scheduler should come back, and how many failures in a row led there.
    pub async fn schedule_next(
        &self,
        id: &str,
        next: DateTime<Utc>,
        failures: i64,
    ) -> Result<(), StoreError> {
        self.set_schedule(id, None, next, failures).await
    }

    async fn set_schedule(
        &self,
        id: &str,
        attempt_at: Option<DateTime<Utc>>,
        next: DateTime<Utc>,
        failures: i64,
    ) -> Result<(), StoreError> {
        let attempt = if attempt_at.is_some() {
            "last_attempt_at = $at, "
        } else {
            ""
        };
        let sql = format!("UPDATE type::record('connection', $id) SET {attempt}next_sync_at = $next, failures = $failures");
        crate::db::retrying(|| async {
            self.db
                .query(sql.as_str())
                .bind(("id", id.to_string()))
                .bind(("at", attempt_at))
                .bind(("next", next))
                .bind(("failures", failures))
                .await?
                .check()?;
            Ok(())
        })
        .await?;
        Ok(())
    }
}

fn to_connection(row: ConnectionRow, calendars: Vec<CalendarInfo>) -> Connection {
    Connection {
        progress: row
            .progress
            .filter(|_| row.status == ConnectionStatus::Syncing),
        last_run: None,
        event_count: calendars.iter().map(|c| c.event_count).sum(),
        provider: row.provider,
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
        sync_frequency: row.sync_frequency,
        show_out_of_office: row.show_out_of_office,
        last_sync_at: row.last_sync_at,
        last_error: row.last_error,
        status: row.status,
    }
}

#[async_trait::async_trait]
impl events::HiddenCalendars for ConnectionStore {
    async fn hidden_calendars(&self, owner: &str) -> Result<Arc<Vec<String>>, StoreError> {
        ConnectionStore::hidden_calendars(self, owner).await
    }
}

#[cfg(test)]
impl NewConnection {
    /// A CalDAV connection "Work" offering `calendars`, for tests.
    pub(crate) fn example(calendars: Vec<NewCalendar>) -> Self {
        NewConnection {
            provider: Provider::CalDav,
            name: "Work".into(),
            server_url: Some("https://dav.example.org/".into()),
            username: Some("ana".into()),
            account_email: None,
            calendars,
            sync_frequency: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(remote_id: &str) -> NewCalendar {
        NewCalendar {
            remote_id: remote_id.into(),
            name: remote_id.into(),
            color: None,
            supports_sync: true,
            selected: true,
        }
    }

    /// An unticked calendar is hidden only until its events are gone: a hidden calendar makes
    /// every count of the user's meetings read each row instead of the index's keys.
    #[tokio::test]
    async fn an_unticked_calendar_is_hidden_only_while_its_events_go() {
        let db = crate::db::memory().await.unwrap();
        crate::migrations::apply(&db).await.unwrap();
        let store = ConnectionStore::new(db.clone());
        let owner = crate::ids::new_id();
        let new = NewConnection::example(vec![calendar("home"), calendar("work")]);
        let id = store.create(&owner, new, |_| None).await.unwrap();
        let ids: HashMap<String, String> = (store.calendars(&owner, &id).await.unwrap())
            .into_iter()
            .map(|c| (c.remote_id, c.id))
            .collect();
        for (uid, remote) in [("h1", "home"), ("h2", "home"), ("w1", "work")] {
            db.query(
                "CREATE event CONTENT { owner: $owner, connection: $connection, calendar: $calendar, uid: $uid,
                   recurrence_id: '', title: 't', starts_at: d'2026-01-01T10:00:00Z', ends_at: d'2026-01-01T11:00:00Z',
                   all_day: false, status: 'confirmed', updated_at: time::now(), attendees: [] }",
            )
            .bind(("owner", owner.clone()))
            .bind(("connection", id.clone()))
            .bind(("calendar", ids[remote].clone()))
            .bind(("uid", uid))
            .await
            .unwrap()
            .check()
            .unwrap();
        }
        let hidden = || async { store.hidden_calendars(&owner).await.unwrap().to_vec() };
        assert!(hidden().await.is_empty());

        let selected = HashSet::from(["work".to_string()]);
        let settings = ConnectionSettings::new("Work", &selected);
        let clock = crate::clock::SystemClock;
        store
            .update_settings(&owner, &id, settings, &clock)
            .await
            .unwrap();
        let left: Vec<String> = db
            .query("SELECT VALUE uid FROM event WHERE owner = $owner")
            .bind(("owner", owner.clone()))
            .await
            .unwrap()
            .take(0)
            .unwrap();
        assert_eq!(left, vec!["w1"], "the unticked calendar's events went");
        assert!(hidden().await.is_empty(), "and it is not hidden after");

        // A clearing that stopped midway (the process died) keeps the calendar hidden.
        db.query("UPDATE type::record('calendar', $calendar) SET clearing_since = time::now()")
            .bind(("calendar", ids["home"].clone()))
            .await
            .unwrap()
            .check()
            .unwrap();
        touched(&owner, Data::Calendar).await;
        assert_eq!(hidden().await, vec![ids["home"].clone()]);

        // Ticked again, with a new sync's event in it, before the scheduler resumes that
        // clearing: the resumed clearing leaves it alone.
        db.query(
            "UPDATE type::record('calendar', $calendar) SET selected = true, event_count = 1;
             CREATE event CONTENT { owner: $owner, connection: $connection, calendar: $calendar, uid: 'h3',
               recurrence_id: '', title: 't', starts_at: d'2026-01-02T10:00:00Z', ends_at: d'2026-01-02T11:00:00Z',
               all_day: false, status: 'confirmed', updated_at: time::now(), attendees: [] };",
        )
        .bind(("calendar", ids["home"].clone()))
        .bind(("owner", owner.clone()))
        .bind(("connection", id.clone()))
        .await
        .unwrap()
        .check()
        .unwrap();
        (store.clear_calendars(&owner, &[ids["home"].clone()], &clock))
            .await
            .unwrap();
        let mut left: Vec<String> = db
            .query("SELECT VALUE uid FROM event WHERE owner = $owner")
            .bind(("owner", owner.clone()))
            .await
            .unwrap()
            .take(0)
            .unwrap();
        left.sort();
        assert_eq!(left, vec!["h3", "w1"]);
        let home = store.calendars(&owner, &id).await.unwrap();
        let home = home.iter().find(|c| c.remote_id == "home").unwrap();
        assert_eq!(home.event_count, Some(1), "its count stands");
    }

    /// The scheduler asks every round: from the index, not by reading every calendar.
    #[tokio::test]
    async fn stalled_clearings_are_read_from_the_index() {
        let db = crate::db::memory().await.unwrap();
        crate::migrations::apply(&db).await.unwrap();
        let mut response = db
            .query(format!("EXPLAIN {STALLED_CLEARINGS}"))
            .bind(("before", Utc::now()))
            .await
            .unwrap();
        let plan: surrealdb::types::Value = response.take(0).unwrap();
        let plan = format!("{plan:?}");
        assert!(
            plan.contains("IndexScan")
                && plan.contains("calendar_clearing")
                && plan.contains(">d'1970-01-01T00:00:00Z'")
                && !plan.contains("TableScan"),
            "{plan}"
        );
    }
}
