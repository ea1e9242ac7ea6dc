//! The per-user match index, cached in memory and rebuilt after people or emails change, and
//! re-matching of stored events so links are never stale.
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use surrealdb::types::SurrealValue;

use super::index::{Index, PersonEmail, PersonNames};
use crate::calendar::meetings::AttendeeRow;
use crate::calendar::model::AttendeeRecord;
use crate::calendar::store::MatchRow;
use crate::db::Db;
use crate::error::StoreError;

pub struct Matcher {
    db: Db,
    cache: RwLock<HashMap<String, Arc<Index>>>,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct NameRow {
    id: String,
    first_name: String,
    last_name: String,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct EmailRow {
    person: String,
    normalized: String,
    primary: bool,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct StoredEvent {
    id: String,
    organizer: Option<AttendeeRow>,
    attendees: Vec<AttendeeRow>,
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Relink {
    id: String,
    people: Vec<String>,
    matches: Vec<MatchRow>,
}

impl Matcher {
    pub fn new(db: Db) -> Self {
        Matcher {
            db,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The user's index, built on first use and kept until their people change.
    pub async fn index(&self, owner: &str) -> Result<Arc<Index>, StoreError> {
        if let Some(index) = self.cache.read().expect("matcher cache").get(owner) {
            return Ok(index.clone());
        }
        let mut response = self
            .db
            .query("SELECT record::id(id) AS id, first_name, last_name FROM person WHERE owner = $owner; SELECT person, normalized, primary FROM person_email WHERE owner = $owner;")
            .bind(("owner", owner.to_string()))
            .await?;
        let names: Vec<NameRow> = response.take(0)?;
        let emails: Vec<EmailRow> = response.take(1)?;
        let index = Arc::new(Index::build(
            names.iter().map(|n| PersonNames {
                id: &n.id,
                first_name: &n.first_name,
                last_name: &n.last_name,
            }),
            emails.iter().map(|e| PersonEmail {
                person: &e.person,
                normalized: &e.normalized,
                primary: e.primary,
            }),
        ));
        self.cache
            .write()
            .expect("matcher cache")
            .insert(owner.to_string(), index.clone());
        Ok(index)
    }

    pub fn invalidate(&self, owner: &str) {
        self.cache.write().expect("matcher cache").remove(owner);
    }

    /// After people changed: re-matches every event with an attendee under one of `keys`
    /// (addresses added or removed) or matched to one of `people`. Returns how many were looked at.
    pub async fn rematch(
        &self,
        owner: &str,
        keys: &[String],
        people: &[String],
    ) -> Result<usize, StoreError> {
        self.invalidate(owner);
        let events: Vec<StoredEvent> = self
            .db
            .query("SELECT record::id(id) AS id, organizer, attendees FROM event WHERE owner = $owner AND (attendee_keys CONTAINSANY $keys OR matches.*.person CONTAINSANY $people)")
            .bind(("owner", owner.to_string()))
            .bind(("keys", keys.to_vec()))
            .bind(("people", people.to_vec()))
            .await?
            .take(0)?;
        self.relink(owner, events).await
    }

    /// Re-matches all of a user's events (the `calendar rematch` command).
    pub async fn rematch_all(&self, owner: &str) -> Result<usize, StoreError> {
        self.invalidate(owner);
        let events: Vec<StoredEvent> = self
            .db
            .query(
                "SELECT record::id(id) AS id, organizer, attendees FROM event WHERE owner = $owner",
            )
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        self.relink(owner, events).await
    }

    async fn relink(&self, owner: &str, events: Vec<StoredEvent>) -> Result<usize, StoreError> {
        let index = self.index(owner).await?;
        let count = events.len();
        let updates: Vec<Relink> = events
            .into_iter()
            .map(|e| {
                let organizer = e
                    .organizer
                    .as_ref()
                    .filter(|o| o.email.is_some())
                    .map(AttendeeRow::record);
                let attendees: Vec<AttendeeRecord> =
                    e.attendees.iter().map(AttendeeRow::record).collect();
                let matches = super::match_event(&index, organizer.as_ref(), &attendees);
                Relink {
                    id: e.id,
                    people: super::linked_people(&matches),
                    matches: matches.into_iter().map(MatchRow::from).collect(),
                }
            })
            .collect();
        for chunk in updates.chunks(500) {
            self.db
                .query("FOR $u IN $updates { UPDATE type::record('event', $u.id) SET people = $u.people, matches = $u.matches WHERE owner = $owner; };")
                .bind(("updates", chunk.to_vec()))
                .bind(("owner", owner.to_string()))
                .await?
                .check()?;
        }
        Ok(count)
    }
}
