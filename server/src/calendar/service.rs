//! The calendar use cases behind the server functions: connect, test, edit, delete, sync.
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use app::models::{
    CalDavInput, Connection, ConnectionStatus, ConnectionUpdate, DiscoveredCalendar, Provider,
    SyncReport, UserInfo,
};

use super::autolog;
use super::caldav_sync::{self, CalDavAccount};
use super::credentials;
use super::google::{self, GoogleSettings};
use super::meetings::Meetings;
use super::model::{SyncFailure, SyncOutcome};
use super::store::{CalendarStore, ConnectionRow, NewCalendar, NewConnection, SyncRunInsert};
use crate::activities::Activities;
use crate::clock::{Clock, SystemClock};
use crate::error::StoreError;
use crate::matcher::service::Matcher;
use crate::secrets::{ExposeSecret, Keyring};

#[derive(Clone)]
pub struct CalendarSettings {
    pub keyring: Arc<Keyring>,
    pub allow_private_servers: bool,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// How often each connection is synced in the background.
    pub sync_interval: Duration,
    /// Identifies this process as holder of sync leases.
    pub instance: String,
    /// How long a sync may hold its connection's lease; a crashed process blocks the
    /// connection at most this long.
    pub lease: Duration,
    /// The time every sync and scheduling decision is stamped with.
    pub clock: Arc<dyn Clock>,
    /// Google OAuth client and endpoints (unconfigured by default).
    pub google: GoogleSettings,
}

impl CalendarSettings {
    pub fn new(keyring: Keyring, allow_private_servers: bool) -> Self {
        CalendarSettings {
            keyring: Arc::new(keyring),
            allow_private_servers,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            sync_interval: Duration::from_secs(15 * 60),
            instance: format!("rondo-{}", crate::ids::new_id()),
            lease: DEFAULT_LEASE,
            clock: Arc::new(SystemClock),
            google: GoogleSettings::default(),
        }
    }
}

/// A sync holds its connection's lease at most this long by default; a crashed process's
/// lease lapses after it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10 * 60);

/// Stops renewing a sync's lease when dropped.
struct LeaseHeartbeat(tokio::task::JoinHandle<()>);

impl Drop for LeaseHeartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub struct Calendars {
    pub store: CalendarStore,
    pub settings: CalendarSettings,
    pub matcher: Arc<Matcher>,
    pub meetings: Meetings,
    activities: Activities,
}

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::Invalid(message.into())
}

impl Calendars {
    pub fn new(store: CalendarStore, matcher: Arc<Matcher>, settings: CalendarSettings) -> Self {
        let db = store.db().clone();
        Self {
            store,
            settings,
            matcher,
            meetings: Meetings::new(db.clone()),
            activities: Activities::new(db),
        }
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
        Ok(CalDavAccount {
            server_url: server_url.trim().to_string(),
            username: username.trim().to_string(),
            password: password.to_string(),
            allow_private: self.settings.allow_private_servers,
            connect_timeout: self.settings.connect_timeout,
            request_timeout: self.settings.request_timeout,
        })
    }

    /// Fails when stored credentials exist that the current key cannot open.
    pub async fn verify_key(&self) -> Result<(), crate::secrets::SecretError> {
        let rows = self.store.all_rows().await.unwrap_or_default();
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
        server_url: &str,
        username: &str,
        password: &str,
    ) -> Result<Vec<DiscoveredCalendar>, StoreError> {
        let account = self.account(server_url, username, password)?;
        let found = caldav_sync::discover(&account)
            .await
            .map_err(|f| invalid(f.message))?;
        Ok(found
            .into_iter()
            .map(|c| DiscoveredCalendar {
                remote_id: c.remote_id,
                name: c.name,
                color: c.color,
            })
            .collect())
    }

    pub async fn create_caldav(
        &self,
        user: &UserInfo,
        input: CalDavInput,
    ) -> Result<Connection, StoreError> {
        let account = self.account(&input.server_url, &input.username, &input.password)?;
        let found = caldav_sync::discover(&account)
            .await
            .map_err(|f| invalid(f.message))?;
        let chosen: HashSet<&String> = input.calendars.iter().collect();
        if !found.iter().any(|c| chosen.contains(&c.remote_id)) {
            return Err(invalid("Tick at least one calendar to sync."));
        }
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
            .store
            .create(
                &user.id,
                NewConnection {
                    provider: Provider::CalDav,
                    name,
                    server_url: Some(account.server_url.clone()),
                    username: Some(account.username.clone()),
                    account_email: None,
                    calendars,
                },
            )
            .await?;
        let sealed = credentials::seal(&self.settings.keyring, &user.id, &id, &account.password);
        self.store
            .set_credential(&user.id, &id, Some(sealed))
            .await?;
        // The first sync right away, so the user sees their events counted.
        self.sync(&user.id, &id).await?;
        self.store.get(&user.id, &id).await
    }

    pub async fn update(
        &self,
        user: &UserInfo,
        update: ConnectionUpdate,
    ) -> Result<Connection, StoreError> {
        let row = self.store.row(&user.id, &update.id).await?;
        let name = update.name.trim();
        if name.is_empty() {
            return Err(invalid("Give the connection a name."));
        }
        let days_back = update.days_back.unwrap_or(row.days_back.max(0) as u32);
        let days_ahead = update.days_ahead.unwrap_or(row.days_ahead.max(0) as u32);
        if days_back > 3650 || days_ahead > 3650 {
            return Err(invalid(
                "The sync window can reach at most 3650 days back and ahead.",
            ));
        }
        if update.calendars.is_empty() {
            return Err(invalid("Tick at least one calendar to sync."));
        }
        if !update.password.is_empty() {
            // Check the new password before storing it.
            let account = self.account(
                row.server_url.as_deref().unwrap_or_default(),
                row.username.as_deref().unwrap_or_default(),
                &update.password,
            )?;
            caldav_sync::discover(&account)
                .await
                .map_err(|f| invalid(f.message))?;
            let sealed =
                credentials::seal(&self.settings.keyring, &user.id, &row.id, &update.password);
            self.store
                .set_credential(&user.id, &row.id, Some(sealed))
                .await?;
            self.store
                .set_status(&user.id, &row.id, ConnectionStatus::Ok, None, false)
                .await?;
            // A fixed password ends any backoff: the scheduler syncs it at once.
            self.store
                .schedule_next(&row.id, self.settings.clock.now(), 0)
                .await?;
        }
        let selected: HashSet<String> = update.calendars.into_iter().collect();
        self.store
            .update_settings(
                &user.id,
                &row.id,
                name,
                &selected,
                app::models::checked(&update.sync_enabled),
                app::models::checked(&update.auto_log),
                days_back,
                days_ahead,
            )
            .await?;
        self.store.get(&user.id, &row.id).await
    }

    pub async fn delete(&self, user: &UserInfo, id: &str) -> Result<(), StoreError> {
        self.google_revoke(&user.id, id).await;
        self.store.delete(&user.id, id).await
    }

    /// Syncs every chosen calendar of a connection under its lease (one sync per connection,
    /// also across processes), auto-logs past meetings when enabled, records the run in the
    /// history and schedules the next one (backing off after failures).
    pub async fn sync(&self, owner: &str, id: &str) -> Result<SyncReport, StoreError> {
        let row = self.store.row(owner, id).await?;
        let clock = self.settings.clock.as_ref();
        let started = clock.now();
        // One holder per sync, not per process: a second sync of the same connection in this
        // process (a "Sync now" during a scheduled run) must wait like any other.
        let holder = format!("{}:{}", self.settings.instance, crate::ids::new_id());
        let holder = holder.as_str();
        let lease_end =
            started + chrono::Duration::from_std(self.settings.lease).expect("lease fits");
        if !self
            .store
            .acquire_lease(id, holder, started, lease_end)
            .await?
        {
            return Ok(SyncReport {
                error: Some(
                    "A sync of this connection is already running. Try again in a moment.".into(),
                ),
                ..Default::default()
            });
        }
        let heartbeat = self.keep_lease(id, holder);
        let result = self.sync_locked(&row).await;
        drop(heartbeat);
        let mut report = match result {
            Ok(report) => report,
            Err(e) => {
                self.store.release_lease(id, holder).await?;
                return Err(e);
            }
        };
        if report.error.is_none() && row.auto_log {
            match autolog::run(
                self.store.db(),
                &self.meetings,
                &self.activities,
                &row,
                clock.now(),
                false,
            )
            .await
            {
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
        let next = finished
            + chrono::Duration::from_std(crate::scheduler::backoff(
                self.settings.sync_interval,
                failures as u32,
            ))
            .expect("delay fits");
        self.store.schedule_next(id, next, failures).await?;
        let run = SyncRunInsert {
            started_at: started,
            finished_at: finished,
            added: report.added as i64,
            changed: report.changed as i64,
            removed: report.removed as i64,
            logged: report.logged as i64,
            error: report.error.clone(),
        };
        self.store.record_run(owner, id, &run).await?;
        self.store.release_lease(id, holder).await?;
        Ok(report)
    }

    /// Renews the lease every third of its length while the sync runs, so a long sync (many
    /// pages, rate-limit waits) is never taken over; dropping the guard stops it. A killed
    /// process stops renewing and its lease lapses as before.
    fn keep_lease(&self, id: &str, holder: &str) -> LeaseHeartbeat {
        let store = CalendarStore::new(self.store.db().clone());
        let clock = self.settings.clock.clone();
        let lease = self.settings.lease;
        let (id, holder) = (id.to_string(), holder.to_string());
        LeaseHeartbeat(tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                let until = clock.now() + chrono::Duration::from_std(lease).expect("lease fits");
                if let Err(e) = store.renew_lease(&id, &holder, until).await {
                    tracing::warn!(connection = %id, error = %e, "renewing the sync lease failed");
                }
            }
        }))
    }

    async fn sync_locked(&self, row: &ConnectionRow) -> Result<SyncReport, StoreError> {
        let (owner, id) = (row.owner.as_str(), row.id.as_str());
        self.store
            .set_status(
                owner,
                id,
                ConnectionStatus::Syncing,
                row.last_error.clone(),
                false,
            )
            .await?;
        let index = self.matcher.index(owner).await?;
        let now = self.settings.clock.now();
        let result = match Provider::parse(&row.provider) {
            Some(Provider::Google) => {
                google::sync::sync_connection(
                    &self.store,
                    &self.settings.google,
                    &self.settings.keyring,
                    row,
                    &index,
                    now,
                )
                .await
            }
            _ => self.sync_caldav(row, &index, now).await,
        };
        match result {
            Ok(outcome) => {
                self.store
                    .set_status(owner, id, ConnectionStatus::Ok, None, true)
                    .await?;
                Ok(SyncReport {
                    added: outcome.changes.added,
                    changed: outcome.changes.changed,
                    removed: outcome.changes.removed,
                    warnings: outcome.warnings,
                    error: None,
                    logged: 0,
                })
            }
            Err(failure) => self.fail(owner, id, failure).await,
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
        caldav_sync::sync_connection(&self.store, &account, row, index, now).await
    }

    async fn fail(
        &self,
        owner: &str,
        id: &str,
        failure: SyncFailure,
    ) -> Result<SyncReport, StoreError> {
        tracing::warn!(connection = id, error = %failure.message, "calendar sync failed");
        self.store
            .set_status(
                owner,
                id,
                failure.status,
                Some(failure.message.clone()),
                false,
            )
            .await?;
        Ok(SyncReport {
            error: Some(failure.message),
            ..Default::default()
        })
    }
}
