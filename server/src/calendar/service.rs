//! The calendar use cases behind the server functions: connect, test, edit, delete, sync.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::models::{
    CalDavInput, Connection, ConnectionStatus, ConnectionUpdate, DiscoveredCalendar, Provider,
    SyncReport, SyncRun, UserInfo, MAX_WINDOW_DAYS,
};

use super::autolog;
use super::caldav_sync::{self, CalDavAccount};
use super::credentials;
use super::discovered::Discovered;
use super::google::flow::GoogleConnect;
use super::google::{self, GoogleSettings};
use super::model::{SyncFailure, SyncOutcome};
use super::progress::Progress;
use super::schedule;
use super::store::{
    ConnectionRow, ConnectionSettings, ConnectionStore, EventStore, GuestFilter, Lease,
    NewCalendar, NewConnection, SyncHistory,
};
use super::writer::SyncStores;
use app::limits;

use crate::activities::Activities;
use crate::clock::{Clock, SystemClock};
use crate::db::Db;
use crate::error::{within, StoreError};
use crate::matcher::index::lookup_keys;
use crate::matcher::Matcher;
use crate::my_addresses::MyAddresses;
use crate::rate_limit::RateLimit;
use crate::secrets::{ExposeSecret, KeyringSource};

#[derive(Clone)]
pub struct CalendarSettings {
    /// The master keys; re-read from the key file when a credential names a key this
    /// process does not have yet (another process rotated them).
    pub keyring: Arc<KeyringSource>,
    pub allow_private_servers: bool,
    /// The explicit proxy for CalDAV traffic (`RONDO_CALENDAR_PROXY`); none by default, and
    /// `HTTP_PROXY` and friends are ignored.
    pub calendar_proxy: Option<reqwest::Url>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// The operator's longest time between two syncs of any connection
    /// (`RONDO_SYNC_INTERVAL_MINUTES`); each connection's own frequency otherwise.
    pub max_sync_interval: Option<Duration>,
    /// Identifies this process as holder of sync leases.
    pub instance: String,
    /// How long a sync may hold its connection's lease; a crashed process blocks the
    /// connection at most this long.
    pub lease: Duration,
    /// The longest one sync may run before it is stopped (what it stored so far is kept and
    /// the next sync carries on); measured on tokio's timer, not on `clock`.
    pub sync_timeout: Duration,
    /// The time every sync and scheduling decision is stamped with.
    pub clock: Arc<dyn Clock>,
    /// Google OAuth client and endpoints (unconfigured by default).
    pub google: GoogleSettings,
}

impl CalendarSettings {
    pub fn new(keyring: impl Into<KeyringSource>, allow_private_servers: bool) -> Self {
        CalendarSettings {
            keyring: Arc::new(keyring.into()),
            allow_private_servers,
            calendar_proxy: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_sync_interval: None,
            instance: format!("rondo-{}", crate::ids::new_id()),
            lease: DEFAULT_LEASE,
            sync_timeout: DEFAULT_SYNC_TIMEOUT,
            clock: Arc::new(SystemClock),
            google: GoogleSettings::default(),
        }
    }
}

/// A sync holds its connection's lease at most this long by default; a crashed process's
/// lease lapses after it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10 * 60);

/// What the user reads when a sync's results could not be stored (details go to the log).
const STORE_FAILED: &str = "Rondo could not save this sync. It tries again at the next sync.";

/// One sync may run this long by default before it is stopped.
pub const DEFAULT_SYNC_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// How a sync under its lease ended.
enum SyncEnd {
    Finished(Result<(SyncReport, Ending), StoreError>),
    TimedOut,
    /// Another process holds the connection now (this one's renewal updated nothing).
    LeaseLost,
}

/// The status a finished sync leaves its connection in.
struct Ending {
    status: ConnectionStatus,
    error: Option<String>,
    /// Whether it counts as synced (sets "last sync").
    synced: bool,
}

/// Stops renewing a sync's lease when dropped.
struct LeaseHeartbeat(tokio::task::JoinHandle<()>);

impl Drop for LeaseHeartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A sync that holds its connection's lease and shows as "syncing".
struct Begun {
    row: ConnectionRow,
    lease: Lease,
    started: chrono::DateTime<chrono::Utc>,
}

fn already_running() -> SyncReport {
    SyncReport {
        error: Some("A sync of this connection is already running. Try again in a moment.".into()),
        ..Default::default()
    }
}

/// The report of a sync started with [`Calendars::start_sync`], for whoever waits for it
/// (several may: a "Sync now" during a running sync of this process joins it).
pub struct SyncHandle(tokio::sync::watch::Receiver<Option<SyncReport>>);

impl SyncHandle {
    fn ready(report: SyncReport) -> Self {
        SyncHandle(tokio::sync::watch::channel(Some(report)).1)
    }

    /// Waits for the sync to end.
    pub async fn report(mut self) -> SyncReport {
        match self.0.wait_for(Option::is_some).await {
            Ok(report) => report.clone().unwrap_or_default(),
            Err(_) => SyncReport {
                error: Some(
                    "The sync stopped unexpectedly. Rondo tries again at the next sync.".into(),
                ),
                ..Default::default()
            },
        }
    }
}

/// Takes a connection off `Calendars::running` when its background sync ends, however it ends.
struct RunningSync {
    calendars: Arc<Calendars>,
    id: String,
}

impl Drop for RunningSync {
    fn drop(&mut self) {
        self.calendars
            .running
            .lock()
            .expect("running syncs")
            .remove(&self.id);
    }
}

/// The calendar use cases: connect, test, edit, delete and sync connections.
pub struct Calendars {
    pub connections: ConnectionStore,
    pub events: EventStore,
    pub history: SyncHistory,
    pub settings: CalendarSettings,
    pub matcher: Arc<Matcher>,
    pub google: GoogleConnect,
    activities: Activities,
    /// The addresses connections report as the user's.
    pub mine: MyAddresses,
    discovery_limit: RateLimit,
    /// What "Test connection" found, reused by the connect that follows.
    discovered: Discovered,
    /// Background syncs of this process by connection id; a second start joins the first.
    running: Mutex<HashMap<String, tokio::sync::watch::Receiver<Option<SyncReport>>>>,
    /// Serializes `start_sync`, so two starts in this process never both try for the lease.
    starting: tokio::sync::Mutex<()>,
    db: Db,
}

/// Discoveries (test, connect, a new password) each user may start per minute: each one makes
/// Rondo fetch and parse whatever the entered server sends.
pub const DISCOVERIES_PER_MINUTE: usize = 10;

fn discovery_limit() -> RateLimit {
    RateLimit::new(DISCOVERIES_PER_MINUTE, Duration::from_secs(60))
}

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::Invalid(message.into())
}

impl Calendars {
    pub fn new(db: Db, matcher: Arc<Matcher>, settings: CalendarSettings) -> Self {
        let connections = ConnectionStore::new(db.clone());
        Self {
            google: GoogleConnect::new(
                db.clone(),
                connections.clone(),
                settings.google.clone(),
                settings.keyring.clone(),
                settings.clock.clone(),
            ),
            events: EventStore::new(db.clone()).hiding(Arc::new(connections.clone())),
            history: SyncHistory::new(db.clone()),
            activities: Activities::new(db.clone()),
            mine: MyAddresses::new(db.clone()),
            discovery_limit: discovery_limit(),
            discovered: Discovered::default(),
            running: Mutex::default(),
            starting: tokio::sync::Mutex::new(()),
            connections,
            settings,
            matcher,
            db,
        }
    }

    /// Where one sync of `row` writes, and reports its progress.
    fn stores(&self, row: &ConnectionRow) -> SyncStores {
        SyncStores {
            connections: self.connections.clone(),
            events: self.events.clone(),
            activities: self.activities.clone(),
            progress: Progress::new(self.connections.clone(), &row.id),
        }
    }

    /// The user's connections with their calendars, event counts, running syncs' progress and
    /// last runs.
    pub async fn list(&self, owner: &str) -> Result<Vec<Connection>, StoreError> {
        let mut connections = self.connections.list(owner).await?;
        // Read after the connections: a sync records its run before it stops "syncing", so a
        // connection seen no longer syncing always comes with the run that ended it.
        let mut last_runs = self.history.latest(owner).await?;
        for connection in &mut connections {
            connection.last_run = last_runs.remove(&connection.id);
        }
        Ok(connections)
    }

    pub async fn get(&self, owner: &str, id: &str) -> Result<Connection, StoreError> {
        self.list(owner)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(StoreError::NotFound("connection"))
    }

    /// A connection's last runs, newest first.
    pub async fn history(&self, owner: &str, id: &str) -> Result<Vec<SyncRun>, StoreError> {
        self.connections.row(owner, id).await?;
        self.history.list(owner, id).await
    }

    fn count_discovery(&self, owner: &str) -> Result<(), StoreError> {
        let now = Instant::now();
        if self.discovery_limit.wait(owner, now).is_some() {
            return Err(invalid(
                "Too many connection attempts in the last minute. Wait a minute and try again.",
            ));
        }
        self.discovery_limit.record(owner, now);
        Ok(())
    }

    fn account(
        &self,
        server_url: &str,
        username: &str,
        password: &str,
    ) -> Result<CalDavAccount, StoreError> {
        if server_url.trim().is_empty() || username.trim().is_empty() || password.is_empty() {
            return Err(invalid("Enter the server URL, username and password."));
        }
        within("The server URL", server_url.trim(), limits::URL)?;
        within("The username", username.trim(), limits::USERNAME)?;
        within("The password", password, limits::PASSWORD)?;
        Ok(CalDavAccount {
            server_url: server_url.trim().to_string(),
            username: username.trim().to_string(),
            password: password.into(),
            outbound: super::net::Outbound {
                allow_private: self.settings.allow_private_servers,
                proxy: self.settings.calendar_proxy.clone(),
            },
            connect_timeout: self.settings.connect_timeout,
            request_timeout: self.settings.request_timeout,
        })
    }

    /// Fails when stored credentials exist that the current key cannot open.
    pub async fn verify_key(&self) -> Result<(), crate::secrets::SecretError> {
        let rows = self.connections.all_rows().await.unwrap_or_default();
        if let Some(row) = rows.iter().find(|r| r.credential.is_some()) {
            let sealed = crate::secrets::SealedSecret::decode(
                row.credential.as_deref().unwrap_or_default(),
            )?;
            self.settings.keyring.open(
                &sealed,
                &crate::secrets::SecretContext {
                    user: &row.owner,
                    connection: &row.id,
                },
            )?;
        }
        Ok(())
    }

    pub async fn test_caldav(
        &self,
        owner: &str,
        server_url: &str,
        username: &str,
        password: &str,
    ) -> Result<Vec<DiscoveredCalendar>, StoreError> {
        let account = self.account(server_url, username, password)?;
        self.count_discovery(owner)?;
        let found = caldav_sync::discover(&account)
            .await
            .map_err(|f| invalid(f.message))?;
        self.discovered.remember(owner, &account, &found);
        Ok(found
            .calendars
            .into_iter()
            .map(|c| DiscoveredCalendar {
                remote_id: c.remote_id,
                name: c.name,
                color: c.color,
            })
            .collect())
    }

    /// Stores a CalDAV connection and starts its first sync in the background; returns as soon
    /// as the sync holds its lease (the connection shows "syncing"). The account is discovered
    /// once: a "Test connection" of exactly this account a moment ago stands in for it.
    pub async fn create_caldav(
        self: &Arc<Self>,
        user: &UserInfo,
        input: CalDavInput,
    ) -> Result<Connection, StoreError> {
        let account = self.account(&input.server_url, &input.username, &input.password)?;
        let caldav_sync::Discovered {
            calendars: found,
            addresses,
        } = match self.discovered.take(&user.id, &account) {
            Some(found) => found,
            None => {
                self.count_discovery(&user.id)?;
                caldav_sync::discover(&account)
                    .await
                    .map_err(|f| invalid(f.message))?
            }
        };
        let chosen: HashSet<String> = if input.all_calendars {
            found.iter().map(|c| c.remote_id.clone()).collect()
        } else {
            input.calendars.into_iter().collect()
        };
        if found.is_empty() && input.all_calendars {
            return Err(invalid(
                "Connected, but this account has no event calendars.",
            ));
        }
        if !found.iter().any(|c| chosen.contains(&c.remote_id)) {
            return Err(invalid("Tick at least one calendar to sync."));
        }
        within("The connection name", input.name.trim(), limits::NAME)?;
        let name = match input.name.trim() {
            "" => format!(
                "{} ({})",
                account.username,
                reqwest::Url::parse(&account.server_url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_default()
            ),
            name => name.to_string(),
        };
        let calendars = found
            .into_iter()
            .map(|c| NewCalendar {
                selected: chosen.contains(&c.remote_id),
                remote_id: c.remote_id,
                name: c.name,
                color: c.color,
                supports_sync: c.supports_sync,
            })
            .collect();
        let id = self
            .connections
            .create(
                &user.id,
                NewConnection {
                    provider: Provider::CalDav,
                    name,
                    server_url: Some(account.server_url.clone()),
                    username: Some(account.username.clone()),
                    account_email: None,
                    calendars,
                    sync_frequency: input.sync_frequency.unwrap_or_default(),
                },
                |id| {
                    let password = account.password.expose_secret();
                    Some(credentials::seal(
                        &self.settings.keyring,
                        &user.id,
                        id,
                        password,
                    ))
                },
            )
            .await?;
        self.reported(&user.id, &id, &addresses, true).await?;
        // The first sync runs in the background: the page shows its progress.
        self.start_sync(&user.id, &id).await?;
        self.get(&user.id, &id).await
    }

    pub async fn update(
        &self,
        user: &UserInfo,
        update: ConnectionUpdate,
    ) -> Result<Connection, StoreError> {
        let row = self.connections.row(&user.id, &update.id).await?;
        let name = update.name.trim();
        if name.is_empty() {
            return Err(invalid("Give the connection a name."));
        }
        within("The connection name", name, limits::NAME)?;
        let days_back = update.days_back.unwrap_or(row.days_back.max(0) as u32);
        let days_ahead = update.days_ahead.unwrap_or(row.days_ahead.max(0) as u32);
        if days_back > MAX_WINDOW_DAYS || days_ahead > MAX_WINDOW_DAYS {
            return Err(invalid(format!(
                "The sync window can reach at most {MAX_WINDOW_DAYS} days back and ahead."
            )));
        }
        if update.calendars.is_empty() {
            return Err(invalid("Tick at least one calendar to sync."));
        }
        let sync_frequency = update.sync_frequency.unwrap_or(row.sync_frequency);
        if sync_frequency != row.sync_frequency {
            // The new frequency counts from the last attempt, as if it had always been chosen
            // (backoff after failures still applies).
            if let Some(attempted) = row.last_attempt_at {
                let failures = row.failures.unwrap_or(0);
                let next = schedule::next_sync_at(
                    attempted,
                    sync_frequency,
                    self.settings.max_sync_interval,
                    failures.max(0) as u32,
                );
                self.connections
                    .schedule_next(&row.id, next, failures)
                    .await?;
            }
        }
        if !update.password.is_empty() {
            // Check the new password before storing it.
            let account = self.account(
                row.server_url.as_deref().unwrap_or_default(),
                row.username.as_deref().unwrap_or_default(),
                &update.password,
            )?;
            self.count_discovery(&user.id)?;
            let found = caldav_sync::discover(&account)
                .await
                .map_err(|f| invalid(f.message))?;
            self.reported(&user.id, &row.id, &found.addresses, true)
                .await?;
            let sealed =
                credentials::seal(&self.settings.keyring, &user.id, &row.id, &update.password);
            self.connections
                .set_credential(&user.id, &row.id, Some(sealed))
                .await?;
            self.connections
                .set_status(&user.id, &row.id, ConnectionStatus::Ok, None, false)
                .await?;
            // A fixed password ends any backoff: the scheduler syncs it at once.
            self.connections
                .schedule_next(&row.id, self.settings.clock.now(), 0)
                .await?;
        }
        let selected: HashSet<String> = update.calendars.into_iter().collect();
        self.connections
            .update_settings(
                &user.id,
                &row.id,
                ConnectionSettings {
                    name,
                    selected: &selected,
                    sync_enabled: update.sync_enabled,
                    auto_log: update.auto_log,
                    days_back,
                    days_ahead,
                    sync_frequency,
                    show_out_of_office: update.show_out_of_office,
                },
                self.settings.clock.as_ref(),
            )
            .await?;
        self.get(&user.id, &row.id).await
    }

    pub async fn delete(&self, user: &UserInfo, id: &str) -> Result<(), StoreError> {
        self.google.revoke(&user.id, id).await;
        let clock = self.settings.clock.as_ref();
        self.connections
            .begin_delete(&user.id, id, clock.now())
            .await?;
        let finished = self.finish_deletion(&user.id, id).await;
        crate::memory::return_freed_memory();
        finished
    }

    /// Goes on with a deletion [`ConnectionStore::begin_delete`] started, wherever it stopped:
    /// its events and stored objects go, the meetings its addresses touch are matched again
    /// (other calendars' guests may be people now, not the user), and then the connection.
    async fn finish_deletion(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let clock = self.settings.clock.as_ref();
        let Some(addresses) = self.connections.clear_deleted(owner, id, clock).await? else {
            return Ok(()); // finished meanwhile
        };
        self.rematch_addresses(owner, &addresses).await?;
        self.connections.remove_deleted(owner, id).await
    }

    /// Finishes the deletions that stopped midway (no progress for a sync lease's length: their
    /// process died); returns how many finished. Their meetings are hidden meanwhile. A shorter
    /// wait could start a second finisher beside a live one whose re-match of a large calendar
    /// takes minutes, or whose clock is behind.
    pub async fn finish_stalled_deletions(&self) -> Result<usize, StoreError> {
        let stalled = (self.connections)
            .stalled_deletions(self.stalled_before())
            .await?;
        let mut finished = 0;
        for (owner, id) in &stalled {
            // One that keeps failing must not hold up the others (or the round's syncs).
            match self.finish_deletion(owner, id).await {
                Ok(()) => finished += 1,
                Err(e) => {
                    tracing::error!(connection = %id, error = %e, "finishing a deletion failed")
                }
            }
        }
        if finished > 0 {
            crate::memory::return_freed_memory();
        }
        self.finish_stalled_clearings().await;
        Ok(finished)
    }

    /// Clears the unticked calendars whose clearing stopped with its process (they stay hidden
    /// until then, and every count of their user's meetings reads each row meanwhile): those
    /// whose clearing made no progress for a lease's length, as for deletions, so one an Edit
    /// request is clearing is left to it.
    async fn finish_stalled_clearings(&self) {
        let clock = self.settings.clock.as_ref();
        let stalled = match self
            .connections
            .stalled_clearings(self.stalled_before())
            .await
        {
            Ok(stalled) => stalled,
            Err(e) => return tracing::error!(error = %e, "looking for stalled clearings failed"),
        };
        for (owner, calendar) in &stalled {
            let clearing = std::slice::from_ref(calendar);
            if let Err(e) = self
                .connections
                .clear_calendars(owner, clearing, clock)
                .await
            {
                tracing::error!(calendar = %calendar, error = %e, "clearing an unticked calendar failed");
            }
        }
    }

    /// Before when a deletion or clearing that made no progress has stalled: a sync lease's
    /// length ago.
    fn stalled_before(&self) -> chrono::DateTime<chrono::Utc> {
        let lease = chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
        self.settings.clock.now() - lease
    }

    /// Records the addresses a connection reports as the user's (`replace`: all of them, so
    /// others it reported before go) and re-matches the meetings they touch when that changed.
    pub async fn reported(
        &self,
        owner: &str,
        connection: &str,
        addresses: &[String],
        replace: bool,
    ) -> Result<(), StoreError> {
        let changed = self
            .mine
            .record_reported(owner, connection, addresses, replace)
            .await?;
        self.rematch_addresses(owner, &changed).await
    }

    async fn rematch_addresses(&self, owner: &str, addresses: &[String]) -> Result<(), StoreError> {
        if addresses.is_empty() {
            return Ok(());
        }
        let index = self.matcher.index(owner).await?;
        let keys: Vec<String> = addresses.iter().flat_map(|a| lookup_keys(a)).collect();
        self.events
            .rematch(
                owner,
                GuestFilter::Touching {
                    keys: &keys,
                    people: &[],
                },
                &index,
            )
            .await?;
        Ok(())
    }

    /// Syncs every chosen calendar of a connection under its lease (one sync per connection,
    /// also across processes), auto-logs past meetings when enabled, records the run in the
    /// history and schedules the next one (backing off after failures). Runs in the caller's
    /// task; see [`Calendars::start_sync`] for the background.
    pub async fn sync(&self, owner: &str, id: &str) -> Result<SyncReport, StoreError> {
        match self.begin(owner, id).await? {
            Some(begun) => self.run(begun).await,
            None => Ok(already_running()),
        }
    }

    /// Starts a sync in its own task and returns once it holds the lease and shows as
    /// "syncing", so it outlives the request that started it (the user may leave the page).
    /// A sync of the connection already running in this process is joined instead; one
    /// running in another process gives an "already running" report.
    pub async fn start_sync(
        self: &Arc<Self>,
        owner: &str,
        id: &str,
    ) -> Result<SyncHandle, StoreError> {
        let _starting = self.starting.lock().await;
        let running = self.running.lock().expect("running syncs").get(id).cloned();
        if let Some(running) = running {
            self.connections.row(owner, id).await?; // only the owner may join it
            return Ok(SyncHandle(running));
        }
        let Some(begun) = self.begin(owner, id).await? else {
            return Ok(SyncHandle::ready(already_running()));
        };
        let (done, report) = tokio::sync::watch::channel(None);
        self.running
            .lock()
            .expect("running syncs")
            .insert(id.to_string(), report.clone());
        let guard = RunningSync {
            calendars: self.clone(),
            id: id.to_string(),
        };
        tokio::spawn(async move {
            let calendars = guard.calendars.clone();
            let report = calendars.run(begun).await.unwrap_or_else(|e| {
                tracing::error!(connection = %guard.id, error = %e, "background sync failed");
                SyncReport {
                    error: Some(STORE_FAILED.into()),
                    ..Default::default()
                }
            });
            drop(guard);
            let _ = done.send(Some(report));
            crate::memory::return_freed_memory();
        });
        Ok(SyncHandle(report))
    }

    /// Takes the connection's lease and marks it "syncing"; `None` when another sync holds it.
    async fn begin(&self, owner: &str, id: &str) -> Result<Option<Begun>, StoreError> {
        let row = self.connections.row(owner, id).await?;
        let started = self.settings.clock.now();
        // One holder per sync, not per process: a second sync of the same connection in this
        // process (a "Sync now" during a scheduled run) must wait like any other.
        let holder = format!("{}:{}", self.settings.instance, crate::ids::new_id());
        let lease_end =
            started + chrono::Duration::from_std(self.settings.lease).expect("lease fits");
        let Some(lease) = Lease::acquire(&self.db, id, &holder, started, lease_end).await? else {
            return Ok(None);
        };
        if let Err(e) = self.connections.mark_syncing(owner, id).await {
            lease.release().await?;
            return Err(e);
        }
        // The run starts once the lease is ours: on a busy shared database server taking it can
        // take seconds, and the history must show one run of a connection at a time.
        let started = self.settings.clock.now();
        Ok(Some(Begun {
            row,
            lease,
            started,
        }))
    }

    /// The sync itself, under the lease `begin` took.
    async fn run(&self, begun: Begun) -> Result<SyncReport, StoreError> {
        let Begun {
            row,
            lease,
            started,
        } = begun;
        let (owner, id) = (row.owner.as_str(), row.id.as_str());
        let clock = self.settings.clock.as_ref();
        let (lost, lease_lost) = tokio::sync::oneshot::channel();
        let heartbeat = self.keep_lease(lease.clone(), lost);
        // Stopping a sync drops it between writes: every object is stored in its own
        // transaction and cursors are saved last, so nothing half-written remains.
        let end = tokio::select! {
            result = self.sync_locked(&row) => SyncEnd::Finished(result),
            _ = tokio::time::sleep(self.settings.sync_timeout) => SyncEnd::TimedOut,
            Ok(()) = lease_lost => SyncEnd::LeaseLost,
        };
        // The heartbeat goes on until the lease is released: counting, auto-logging and
        // recording the run may take a while after a long sync, and a lease lapsing meanwhile
        // would have the connection shown as interrupted.
        if !matches!(end, SyncEnd::LeaseLost) {
            // Still holding the lease, so no other sync writes these calendars meanwhile. A
            // failed count leaves them marked; the next sync counts them.
            if let Err(e) = self.events.recount(id).await {
                tracing::error!(connection = id, error = %e, "counting events failed");
            }
        }
        let (mut report, ending) = match end {
            SyncEnd::Finished(Ok(finished)) => finished,
            // Ends like any failed sync: recorded with its run, scheduled with backoff and no
            // longer "syncing" (a writer's failure to store comes the same way).
            SyncEnd::Finished(Err(e)) => failed(id, SyncFailure::storage(e)),
            SyncEnd::TimedOut => {
                let minutes = self.settings.sync_timeout.as_secs().div_ceil(60);
                failed(id, SyncFailure::error(format!(
                    "The sync took longer than {minutes} minute{} and was stopped. What it stored is kept; Rondo carries on at the next sync.",
                    if minutes == 1 { "" } else { "s" }
                )))
            }
            SyncEnd::LeaseLost => {
                tracing::warn!(
                    connection = id,
                    "the sync lease was lost; stopped this sync"
                );
                // The process holding the lease now records and schedules its own sync.
                return Ok(SyncReport {
                    error: Some("Another Rondo server took over this sync.".into()),
                    ..Default::default()
                });
            }
        };
        if report.error.is_none() && row.auto_log {
            let logged = match self.matcher.index(owner).await {
                Ok(index) => {
                    autolog::run(
                        &self.events,
                        &self.activities,
                        &row,
                        index.own(),
                        clock.now(),
                        false,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match logged {
                Ok(logged) => report.logged = logged.logged.len() as u64,
                Err(e) => tracing::error!(connection = id, error = %e, "auto-logging failed"),
            }
        }
        let finished = clock.now();
        let failures = if report.error.is_some() {
            row.failures.unwrap_or(0) + 1
        } else {
            0
        };
        // The frequency as it is now: the user may have changed it while this sync ran.
        let frequency = match self.connections.row(owner, id).await {
            Ok(now) => now.sync_frequency,
            Err(_) => row.sync_frequency,
        };
        let next = schedule::next_sync_at(
            finished,
            frequency,
            self.settings.max_sync_interval,
            failures as u32,
        );
        let attempt = self
            .connections
            .record_attempt(id, finished, next, failures)
            .await;
        let run = SyncRun {
            started_at: started,
            finished_at: finished,
            added: report.added,
            changed: report.changed,
            removed: report.removed,
            logged: report.logged,
            error: report.error.clone(),
        };
        let recorded = self.history.record(owner, id, &run).await;
        // Last, once the run is recorded: a page that sees the connection no longer "syncing"
        // must also see this run's result, not the previous one (or none). Also after a failed
        // write above, so the connection is not left "syncing" with its lease held.
        let shown = self
            .connections
            .set_status(owner, id, ending.status, ending.error, ending.synced)
            .await;
        drop(heartbeat);
        lease.release().await?;
        attempt.and(recorded).and(shown)?;
        Ok(report)
    }

    /// Renews the lease every third of its length while the sync runs, so a long sync (many
    /// pages, rate-limit waits) is never taken over; dropping the guard stops it. A killed
    /// process stops renewing and its lease lapses as before. A renewal that finds the lease
    /// taken (it lapsed, e.g. under clock skew) signals `lost` so the sync stops.
    fn keep_lease(&self, lease: Lease, lost: tokio::sync::oneshot::Sender<()>) -> LeaseHeartbeat {
        let clock = self.settings.clock.clone();
        let length = self.settings.lease;
        LeaseHeartbeat(tokio::spawn(async move {
            loop {
                tokio::time::sleep(length / 3).await;
                let until = clock.now() + chrono::Duration::from_std(length).expect("lease fits");
                match lease.renew(until).await {
                    Ok(true) => {}
                    Ok(false) => {
                        let _ = lost.send(());
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(connection = %lease.connection(), error = %e, "renewing the sync lease failed")
                    }
                }
            }
        }))
    }

    /// The sync's work; how it ended is returned, for `run` to write once all else is stored.
    async fn sync_locked(&self, row: &ConnectionRow) -> Result<(SyncReport, Ending), StoreError> {
        let (owner, id) = (row.owner.as_str(), row.id.as_str());
        // What the connection is known to be, before matching: a CalDAV username that is an
        // address, the Google account it is named after.
        let known: Vec<String> = match row.provider {
            Provider::CalDav => row.username.clone(),
            Provider::Google => row.account_email.clone(),
        }
        .into_iter()
        .collect();
        self.reported(owner, id, &known, false).await?;
        let index = self.matcher.index(owner).await?;
        let now = self.settings.clock.now();
        let result = match row.provider {
            Provider::Google => {
                google::sync::sync_connection(
                    &self.stores(row),
                    &self.settings.google,
                    &self.settings.keyring,
                    row,
                    &index,
                    now,
                )
                .await
            }
            Provider::CalDav => self.sync_caldav(row, &index, now).await,
        };
        match result {
            Ok(outcome) => {
                let seen: Vec<String> = outcome.self_addresses.iter().cloned().collect();
                self.reported(owner, id, &seen, false).await?;
                let report = SyncReport {
                    added: outcome.changes.added,
                    changed: outcome.changes.changed,
                    removed: outcome.changes.removed,
                    warnings: outcome.warnings,
                    error: None,
                    logged: 0,
                };
                let ending = Ending {
                    status: ConnectionStatus::Ok,
                    error: None,
                    synced: true,
                };
                Ok((report, ending))
            }
            Err(failure) => Ok(failed(id, failure)),
        }
    }

    async fn sync_caldav(
        &self,
        row: &ConnectionRow,
        index: &crate::matcher::Index,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<SyncOutcome, SyncFailure> {
        let stored = row.credential.as_deref().ok_or_else(|| {
            SyncFailure::needs_reauth(
                "No password is stored for this connection. Edit it and enter the password.",
            )
        })?;
        let password = credentials::open(&self.settings.keyring, &row.owner, &row.id, stored)
            .map_err(SyncFailure::error)?;
        let account = self
            .account(
                row.server_url.as_deref().unwrap_or_default(),
                row.username.as_deref().unwrap_or_default(),
                password.expose_secret(),
            )
            .map_err(|e| SyncFailure::error(e.to_string()))?;
        caldav_sync::sync_connection(&self.stores(row), &account, row, index, now).await
    }
}

fn failed(connection: &str, failure: SyncFailure) -> (SyncReport, Ending) {
    tracing::warn!(connection, error = %failure.message, "calendar sync failed");
    let report = SyncReport {
        error: Some(failure.message.clone()),
        ..Default::default()
    };
    let ending = Ending {
        status: failure.status,
        error: Some(failure.message),
        synced: false,
    };
    (report, ending)
}
