//! Sync leases on the `connection` table: one running sync per connection, across processes.
//! A lease expires, so a crashed process never blocks a connection for longer than its length.
//! Processes taking the same lease at the same moment on a shared SurrealDB server make all but
//! one transaction fail with a write conflict: the statement is run again, and then sees the
//! winner's lease.
use chrono::{DateTime, Utc};

use crate::db::{retrying, Db};
use crate::error::StoreError;

/// One sync's hold on one connection.
#[derive(Clone)]
pub struct Lease {
    db: Db,
    connection: String,
    holder: String,
}

impl Lease {
    /// Takes the connection's lease until `until` unless another live sync holds it.
    pub async fn acquire(
        db: &Db,
        connection: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Lease>, StoreError> {
        let taken: Vec<serde_json::Value> = retrying(|| async {
            Ok(db
                .query("UPDATE type::record('connection', $id) SET lease_until = $until, lease_owner = $holder WHERE lease_until IS NONE OR lease_until < $now RETURN VALUE lease_owner")
                .bind(("id", connection.to_string()))
                .bind(("holder", holder.to_string()))
                .bind(("now", now))
                .bind(("until", until))
                .await?
                .take(0)?)
        })
        .await?;
        Ok((!taken.is_empty()).then(|| Lease {
            db: db.clone(),
            connection: connection.to_string(),
            holder: holder.to_string(),
        }))
    }

    pub fn connection(&self) -> &str {
        &self.connection
    }

    /// Extends the lease; `false` when it is no longer ours (it lapsed and was taken over).
    pub async fn renew(&self, until: DateTime<Utc>) -> Result<bool, StoreError> {
        let renewed: Vec<serde_json::Value> = retrying(|| async {
            Ok(self
                .db
                .query("UPDATE type::record('connection', $id) SET lease_until = $until WHERE lease_owner = $holder RETURN VALUE lease_owner")
                .bind(("id", self.connection.clone()))
                .bind(("holder", self.holder.clone()))
                .bind(("until", until))
                .await?
                .take(0)?)
        })
        .await?;
        Ok(!renewed.is_empty())
    }

    pub async fn release(self) -> Result<(), StoreError> {
        retrying(|| async {
            self.db
                .query("UPDATE type::record('connection', $id) SET lease_until = NONE, lease_owner = NONE WHERE lease_owner = $holder")
                .bind(("id", self.connection.clone()))
                .bind(("holder", self.holder.clone()))
                .await?
                .check()?;
            Ok(())
        })
        .await
    }
}
