//! Background sync inside the server process: every enabled connection at its own frequency
//! (see `calendar::schedule`), users served round-robin so one user's many calendars never starve the others, a
//! cap on concurrent syncs and on sync starts per second per provider, and exponential backoff
//! after failures (see `calendar::backoff`); the connection's lease keeps one sync per
//! connection across processes.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::models::Provider;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::calendar::service::Calendars;
use crate::calendar::store::ConnectionRow;

/// Round-robin across users: each user's most overdue connection first, then everyone's second,
/// and so on; users with the most overdue work go first in each round.
pub fn fair_order(due: Vec<ConnectionRow>) -> Vec<ConnectionRow> {
    let mut by_owner: BTreeMap<String, Vec<ConnectionRow>> = BTreeMap::new();
    for row in due {
        by_owner.entry(row.owner.clone()).or_default().push(row);
    }
    let mut queues: Vec<Vec<ConnectionRow>> = by_owner
        .into_values()
        .map(|mut q| {
            q.sort_by_key(|r| r.next_sync_at);
            q.reverse(); // pop() takes the most overdue
            q
        })
        .collect();
    queues.sort_by_key(|q| q.last().and_then(|r| r.next_sync_at));
    let mut out = Vec::new();
    while queues.iter().any(|q| !q.is_empty()) {
        for q in queues.iter_mut() {
            if let Some(row) = q.pop() {
                out.push(row);
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    pub tick: Duration,
    pub concurrency: usize,
    pub rate_per_provider: f64,
}

impl SchedulerConfig {
    pub fn from(config: &crate::config::Config) -> Self {
        SchedulerConfig {
            // How often due connections are looked for: far below the smallest frequency
            // (15 minutes), so no sync starts more than a tick late.
            tick: Duration::from_secs(30),
            concurrency: config.sync_concurrency,
            rate_per_provider: config.sync_rate_per_provider,
        }
    }
}

/// Runs the syncs of `Calendars` in the background; it knows nothing else of the server.
/// Each connection is scheduled on its own: a round starts what is due and does not wait for
/// it, so one slow sync (stopped after `CalendarSettings::sync_timeout`) holds up nobody else.
pub struct Scheduler {
    calendars: Arc<Calendars>,
    config: SchedulerConfig,
    permits: Arc<Semaphore>,
    /// Connections whose sync this scheduler has started and not yet seen finish.
    running: Arc<Mutex<HashSet<String>>>,
    /// When each provider's last sync started (the per-provider rate limit).
    last_start: tokio::sync::Mutex<HashMap<Provider, tokio::time::Instant>>,
}

/// Takes a connection off `running` when its sync task ends, however it ends.
struct Running {
    set: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.set.lock().expect("running set").remove(&self.id);
    }
}

impl Scheduler {
    pub fn new(calendars: Arc<Calendars>, config: SchedulerConfig) -> Self {
        Scheduler {
            permits: Arc::new(Semaphore::new(config.concurrency.max(1))),
            calendars,
            config,
            running: Arc::default(),
            last_start: Default::default(),
        }
    }

    /// Runs until the task is dropped.
    pub async fn run(self) {
        loop {
            match self.start_due().await {
                Ok(started) if started.is_empty() => {}
                Ok(started) => tracing::debug!(started = started.len(), "background syncs started"),
                Err(e) => tracing::error!(error = %e, "background sync round failed"),
            }
            tokio::time::sleep(self.config.tick).await;
        }
    }

    /// One round, waited for: starts what is due (see `start_due`) and returns the ids in the
    /// order their syncs started, once those syncs have finished.
    pub async fn tick(&self) -> Result<Vec<String>, crate::error::StoreError> {
        let started = self.start_due().await?;
        let mut ids = Vec::with_capacity(started.len());
        for (id, task) in started {
            let _ = task.await;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Starts the sync of every connection due at the clock's current time that is not syncing
    /// already, in fair order, under the concurrency cap and the per-provider start rate, and
    /// returns without waiting for them.
    pub async fn start_due(
        &self,
    ) -> Result<Vec<(String, JoinHandle<()>)>, crate::error::StoreError> {
        let now = self.calendars.settings.clock.now();
        self.calendars.connections.mark_interrupted(now).await?;
        if let Err(e) = self.calendars.finish_stalled_deletions().await {
            tracing::error!(error = %e, "looking for stalled deletions failed");
        }
        let due = fair_order(self.calendars.connections.due(now).await?);
        // The provider rate limit spaces real requests, so it runs on tokio's timer, not on the
        // (possibly simulated) sync clock.
        let gap = Duration::from_secs_f64(1.0 / self.config.rate_per_provider.max(0.01));
        let mut started = Vec::with_capacity(due.len());
        for row in due {
            if !self
                .running
                .lock()
                .expect("running set")
                .insert(row.id.clone())
            {
                continue;
            }
            let running = Running {
                set: self.running.clone(),
                id: row.id.clone(),
            };
            let permit = self
                .permits
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore open");
            {
                let mut last_start = self.last_start.lock().await;
                if let Some(last) = last_start.get(&row.provider) {
                    tokio::time::sleep_until(*last + gap).await;
                }
                last_start.insert(row.provider, tokio::time::Instant::now());
            }
            let calendars = self.calendars.clone();
            let id = row.id.clone();
            let task = tokio::spawn(async move {
                let _permit = permit;
                let _running = running;
                // Started like any other sync, so a "Sync now" meanwhile joins it.
                let report = match calendars.start_sync(&row.owner, &row.id).await {
                    Ok(running) => Ok(running.report().await),
                    Err(e) => Err(e),
                };
                match report {
                    Ok(report) if report.error.is_some() => {
                        tracing::warn!(connection = %row.id, error = ?report.error, "background sync failed")
                    }
                    Ok(report) => {
                        tracing::debug!(connection = %row.id, added = report.added, changed = report.changed, removed = report.removed, logged = report.logged, "background sync")
                    }
                    Err(e) => {
                        tracing::error!(connection = %row.id, error = %e, "background sync failed")
                    }
                }
            });
            started.push((id, task));
        }
        Ok(started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::models::ConnectionStatus;
    use chrono::{DateTime, Utc};

    fn row(owner: &str, id: &str, minutes_overdue: i64) -> ConnectionRow {
        ConnectionRow {
            id: id.into(),
            owner: owner.into(),
            provider: Provider::CalDav,
            name: id.into(),
            server_url: None,
            username: None,
            account_email: None,
            credential: None,
            sync_enabled: true,
            auto_log: false,
            days_back: 90,
            days_ahead: 30,
            sync_frequency: Default::default(),
            show_out_of_office: false,
            last_sync_at: None,
            last_attempt_at: None,
            last_error: None,
            status: ConnectionStatus::Ok,
            next_sync_at: Some(
                DateTime::<Utc>::from_timestamp(1_800_000_000 - minutes_overdue * 60, 0).unwrap(),
            ),
            failures: Some(0),
            progress: None,
        }
    }

    #[test]
    fn users_are_served_round_robin() {
        let mut due: Vec<ConnectionRow> = (0..5)
            .map(|i| row("greedy", &format!("g{i}"), 10 + i))
            .collect();
        due.push(row("alice", "a1", 3));
        due.push(row("bob", "b1", 1));
        due.push(row("bob", "b2", 2));
        let order: Vec<String> = fair_order(due).into_iter().map(|r| r.id).collect();
        assert_eq!(order, vec!["g4", "a1", "b2", "g3", "b1", "g2", "g1", "g0"]);
    }
}
