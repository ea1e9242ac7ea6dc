//! The `sync_run` table: the last runs of each connection, shown in its Edit dialog.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use app::models::SyncRun;

use crate::db::Db;
use crate::error::StoreError;

/// Removes a connection's runs (`$owner`, `$id`: the connection), as its deletion's last step.
pub(crate) const DELETE_FOR_CONNECTION: &str =
    "DELETE sync_run WHERE owner = $owner AND connection = $id;";

/// How many runs each connection keeps.
pub const KEPT_RUNS: i64 = 50;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct StoredRun {
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    added: i64,
    changed: i64,
    removed: i64,
    logged: i64,
    error: Option<String>,
}

#[derive(Clone)]
pub struct SyncHistory {
    db: Db,
}

impl SyncHistory {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Appends a run, keeping the last `KEPT_RUNS`.
    pub async fn record(
        &self,
        owner: &str,
        connection: &str,
        run: &SyncRun,
    ) -> Result<(), StoreError> {
        let stored = StoredRun {
            started_at: run.started_at,
            finished_at: run.finished_at,
            added: run.added as i64,
            changed: run.changed as i64,
            removed: run.removed as i64,
            logged: run.logged as i64,
            error: run.error.clone(),
        };
        let sql = format!(
            // Not for a connection deleted meanwhile (a sync that outlived it).
            "IF {} {{
                CREATE sync_run CONTENT {{ owner: $owner, connection: $connection, started_at: $run.started_at, finished_at: $run.finished_at,
                    added: $run.added, changed: $run.changed, removed: $run.removed, logged: $run.logged, error: $run.error }};
                LET $keep = (SELECT VALUE id FROM sync_run WHERE connection = $connection ORDER BY started_at DESC LIMIT $kept);
                DELETE sync_run WHERE connection = $connection AND id NOTINSIDE $keep;
             }};",
            super::connections::IS_LIVE
        );
        crate::db::retrying(|| async {
            self.db
                .query(sql.as_str())
                .bind(("owner", owner.to_string()))
                .bind(("connection", connection.to_string()))
                .bind(("run", stored.clone()))
                .bind(("kept", KEPT_RUNS))
                .await?
                .check()?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// The last run of each of the user's connections that has one, by connection id.
    pub async fn latest(&self, owner: &str) -> Result<HashMap<String, SyncRun>, StoreError> {
        let rows: Vec<LatestRun> = self
            .db
            .query("SELECT connection, started_at, finished_at, added, changed, removed, logged, error FROM sync_run WHERE owner = $owner ORDER BY started_at DESC")
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        let mut latest = HashMap::new();
        for row in rows {
            latest.entry(row.connection).or_insert_with(|| SyncRun {
                started_at: row.started_at,
                finished_at: row.finished_at,
                added: row.added.max(0) as u64,
                changed: row.changed.max(0) as u64,
                removed: row.removed.max(0) as u64,
                logged: row.logged.max(0) as u64,
                error: row.error,
            });
        }
        Ok(latest)
    }

    /// Newest first.
    pub async fn list(&self, owner: &str, connection: &str) -> Result<Vec<SyncRun>, StoreError> {
        let rows: Vec<StoredRun> = self
            .db
            .query("SELECT started_at, finished_at, added, changed, removed, logged, error FROM sync_run WHERE owner = $owner AND connection = $connection ORDER BY started_at DESC LIMIT $kept")
            .bind(("owner", owner.to_string()))
            .bind(("connection", connection.to_string()))
            .bind(("kept", KEPT_RUNS))
            .await?
            .take(0)?;
        Ok(rows.into_iter().map(to_run).collect())
    }
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct LatestRun {
    connection: String,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    added: i64,
    changed: i64,
    removed: i64,
    logged: i64,
    error: Option<String>,
}

fn to_run(r: StoredRun) -> SyncRun {
    SyncRun {
        started_at: r.started_at,
        finished_at: r.finished_at,
        added: r.added.max(0) as u64,
        changed: r.changed.max(0) as u64,
        removed: r.removed.max(0) as u64,
        logged: r.logged.max(0) as u64,
        error: r.error,
    }
}
