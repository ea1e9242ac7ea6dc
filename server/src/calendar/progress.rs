//! A running sync's progress, kept on its connection so any page (and any server process) can
//! show it. Written once per stored batch (a multiget of 50, a Google page), never per event.
use std::sync::{Arc, Mutex};

use app::models::{SyncPhase, SyncProgress};

use super::store::ConnectionStore;

/// Where one sync of one connection is. Cheap to clone; the default reports nowhere.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Reporter>>);

struct Reporter {
    connections: ConnectionStore,
    connection: String,
    state: Mutex<SyncProgress>,
}

impl Progress {
    /// Reports on `connection`, starting where `ConnectionStore::mark_syncing` left it.
    pub fn new(connections: ConnectionStore, connection: &str) -> Self {
        Progress(Some(Arc::new(Reporter {
            connections,
            connection: connection.to_string(),
            state: Mutex::new(SyncProgress {
                phase: SyncPhase::Listing,
                done: 0,
                total: None,
            }),
        })))
    }

    /// The next calendar is being listed: the count so far stays, its total is not known yet.
    pub async fn listing(&self) {
        self.change(|p| {
            p.phase = SyncPhase::Listing;
            p.total = None;
        })
        .await
    }

    /// `count` more events are about to be fetched: the total becomes what is done plus them.
    pub async fn expect(&self, count: usize) {
        if count == 0 {
            return; // nothing new: still "listing" as far as the user can tell
        }
        self.change(|p| {
            p.phase = SyncPhase::Fetching;
            p.total = Some(p.done + count as u64);
        })
        .await
    }

    /// `count` more events were fetched and stored.
    pub async fn advance(&self, count: usize) {
        if count == 0 {
            return;
        }
        self.change(|p| {
            p.phase = SyncPhase::Fetching;
            p.done += count as u64;
        })
        .await
    }

    /// Applies `change` and writes the result when it differs. Progress is for the eye only: a
    /// failed write is logged and the sync goes on.
    async fn change(&self, change: impl FnOnce(&mut SyncProgress)) {
        let Some(reporter) = &self.0 else { return };
        let next = {
            let mut state = reporter.state.lock().expect("progress state");
            let before = *state;
            change(&mut state);
            (*state != before).then_some(*state)
        };
        if let Some(next) = next {
            if let Err(e) = reporter
                .connections
                .set_progress(&reporter.connection, next)
                .await
            {
                tracing::warn!(connection = %reporter.connection, error = %e, "could not save the sync's progress");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::store::NewConnection;
    use app::models::ConnectionStatus;

    #[tokio::test]
    async fn progress_counts_across_calendars_and_ends_with_the_sync() {
        let connections = ConnectionStore::new(crate::db::memory().await.unwrap());
        let id = (connections.create("u1", NewConnection::example(Vec::new()), |_| None))
            .await
            .unwrap();
        let stored = || async { connections.row("u1", &id).await.unwrap().progress };
        connections.mark_syncing("u1", &id).await.unwrap();
        let at = |phase, done, total| Some(SyncProgress { phase, done, total });
        assert_eq!(stored().await, at(SyncPhase::Listing, 0, None));

        let progress = Progress::new(connections.clone(), &id);
        progress.expect(0).await;
        assert_eq!(stored().await, at(SyncPhase::Listing, 0, None));
        progress.expect(120).await;
        progress.advance(50).await;
        assert_eq!(stored().await, at(SyncPhase::Fetching, 50, Some(120)));
        progress.advance(70).await;
        // The next calendar: the count stays, its total is unknown until it is listed.
        progress.listing().await;
        assert_eq!(stored().await, at(SyncPhase::Listing, 120, None));
        progress.expect(30).await;
        assert_eq!(stored().await, at(SyncPhase::Fetching, 120, Some(150)));

        connections
            .set_status("u1", &id, ConnectionStatus::Ok, None, true)
            .await
            .unwrap();
        assert_eq!(stored().await, None, "cleared when the sync ends");
        // A late write from a sync already stopped (its deadline) does not bring it back.
        progress.advance(10).await;
        assert_eq!(stored().await, None);
    }
}
