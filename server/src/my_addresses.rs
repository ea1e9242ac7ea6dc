//! The `my_address` table: the user's own addresses besides the sign-in one. Calendar
//! connections report theirs (a CalDAV principal's `calendar-user-address-set`, a CalDAV
//! username that is an address, the Google account and Google's `self` attendee); the user adds
//! others in Settings → Profile. The only module that reads or writes the table.
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use app::models::MyAddressSource;

use crate::auth;
use crate::db::Db;
use crate::error::StoreError;
use crate::freshness::{touched, Data};
use crate::matcher::OwnAddresses;
use crate::text::normalize_email;

/// For deleting a connection (binds `$owner`, `$id`): the addresses it reported go with it,
/// and `$reported` holds them (normalized), for re-matching the meetings they touch.
pub(crate) const DELETE_FOR_CONNECTION: &str =
    "LET $reported = (SELECT VALUE normalized FROM my_address WHERE owner = $owner AND connection = $id);
     DELETE my_address WHERE owner = $owner AND connection = $id;";

const MANUAL: &str = "manual";

/// One stored address.
#[derive(Debug, Clone, PartialEq, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct StoredAddress {
    pub id: String,
    pub address: String,
    pub normalized: String,
    pub source: String,
    /// The connection that reported it.
    pub connection: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl StoredAddress {
    pub fn source(&self) -> MyAddressSource {
        MyAddressSource::parse(&self.source).unwrap_or(MyAddressSource::Calendar)
    }
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct NewAddress {
    owner: String,
    address: String,
    normalized: String,
    source: String,
    connection: Option<String>,
    scope: String,
}

#[derive(Clone)]
pub struct MyAddresses {
    db: Db,
}

impl MyAddresses {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Stored addresses, oldest first.
    pub async fn list(&self, owner: &str) -> Result<Vec<StoredAddress>, StoreError> {
        Ok(self
            .db
            .query("SELECT record::id(id) AS id, address, normalized, source, connection, created_at FROM my_address WHERE owner = $owner ORDER BY created_at, normalized")
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?)
    }

    /// Every address that is the user: the sign-in address and the stored ones.
    pub async fn own(&self, owner: &str) -> Result<OwnAddresses, StoreError> {
        let account = auth::account_email(&self.db, owner).await?;
        let stored = self.list(owner).await?;
        Ok(OwnAddresses::new(
            account
                .iter()
                .map(String::as_str)
                .chain(stored.iter().map(|a| a.address.as_str())),
        ))
    }

    /// Adds an address by hand; returns its id. Checking it against people is the caller's.
    pub async fn add_manual(&self, owner: &str, address: &str) -> Result<String, StoreError> {
        let address = address.trim();
        let normalized = normalize_email(address);
        crate::auth::validate_email(&normalized)
            .map_err(|_| StoreError::Invalid(format!("\"{address}\" is not an email address.")))?;
        if self.own(owner).await?.contains(&normalized) {
            return Err(StoreError::Conflict(format!(
                "{address} is already one of your addresses."
            )));
        }
        let row = NewAddress {
            owner: owner.to_string(),
            address: address.to_string(),
            normalized,
            source: MyAddressSource::Manual.as_str().into(),
            connection: None,
            scope: MANUAL.into(),
        };
        let created = self
            .db
            .query("CREATE my_address CONTENT $row RETURN VALUE record::id(id)")
            .bind(("row", row))
            .await;
        touched(owner, Data::People).await;
        let id: Option<String> = created?.take(0)?;
        id.ok_or(StoreError::NotFound("address"))
    }

    /// Removes an address the user added; returns it. Reported ones stay (they follow the
    /// connection that reported them).
    pub async fn remove_manual(&self, owner: &str, id: &str) -> Result<String, StoreError> {
        let deleted = self
            .db
            .query("DELETE my_address WHERE id = type::record('my_address', $id) AND owner = $owner AND scope = $manual RETURN BEFORE")
            .bind(("id", id.to_string()))
            .bind(("owner", owner.to_string()))
            .bind(("manual", MANUAL))
            .await;
        touched(owner, Data::People).await;
        let gone: Vec<serde_json::Value> = deleted?.take(0)?;
        gone.first()
            .and_then(|row| row.get("address")?.as_str().map(str::to_string))
            .ok_or(StoreError::NotFound("address"))
    }

    /// Records what a connection reports as the user's addresses. With `replace`, addresses it
    /// no longer reports go (a discovery names them all); otherwise only new ones are added (a
    /// sync sees some). Returns the addresses added or removed, for re-matching.
    pub async fn record_reported(
        &self,
        owner: &str,
        connection: &str,
        addresses: &[String],
        replace: bool,
    ) -> Result<Vec<String>, StoreError> {
        let mut wanted: Vec<(String, String)> = addresses
            .iter()
            .map(|a| a.trim())
            .filter(|a| a.contains('@'))
            .map(|a| (a.to_string(), normalize_email(a)))
            .collect();
        wanted.sort_by(|a, b| a.1.cmp(&b.1));
        wanted.dedup_by(|a, b| a.1 == b.1);
        if wanted.is_empty() && !replace {
            return Ok(Vec::new()); // every sync of a connection whose username is no address
        }
        let stored: Vec<StoredAddress> = self
            .list(owner)
            .await?
            .into_iter()
            .filter(|a| a.connection.as_deref() == Some(connection))
            .collect();
        let added: Vec<NewAddress> = wanted
            .iter()
            .filter(|(_, n)| !stored.iter().any(|s| &s.normalized == n))
            .map(|(address, normalized)| NewAddress {
                owner: owner.to_string(),
                address: address.clone(),
                normalized: normalized.clone(),
                source: MyAddressSource::Calendar.as_str().into(),
                connection: Some(connection.to_string()),
                scope: connection.to_string(),
            })
            .collect();
        let removed: Vec<String> = if replace {
            stored
                .iter()
                .filter(|s| !wanted.iter().any(|(_, n)| n == &s.normalized))
                .map(|s| s.normalized.clone())
                .collect()
        } else {
            Vec::new()
        };
        if added.is_empty() && removed.is_empty() {
            return Ok(Vec::new());
        }
        self.db
            .query(format!(
                // Only for a live connection (a sync may outlive its connection's deletion).
                "BEGIN TRANSACTION;
                 DELETE my_address WHERE owner = $owner AND scope = $connection AND normalized IN $removed;
                 IF {} {{ INSERT IGNORE INTO my_address $added; }};
                 COMMIT TRANSACTION;",
                crate::calendar::store::connections::IS_LIVE
            ))
            .bind(("owner", owner.to_string()))
            .bind(("connection", connection.to_string()))
            .bind(("removed", removed.clone()))
            .bind(("added", added.clone()))
            .await?
            .check()?;
        touched(owner, Data::People).await;
        Ok(added
            .into_iter()
            .map(|a| a.normalized)
            .chain(removed)
            .collect())
    }
}
