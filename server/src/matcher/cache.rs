//! One match index per user, built from the people store and the user's own addresses on
//! first use and dropped whenever either changes (the next lookup rebuilds it).
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::index::{Index, PersonEmail, PersonNames};
use crate::db::Db;
use crate::error::StoreError;
use crate::my_addresses::MyAddresses;
use crate::people::People;

/// Users whose index is kept at most.
const MAX_CACHED_USERS: usize = 1_000;

pub struct Matcher {
    people: People,
    mine: MyAddresses,
    cache: RwLock<HashMap<String, Arc<Index>>>,
}

impl Matcher {
    pub fn new(db: Db) -> Self {
        Matcher {
            people: People::new(db.clone()),
            mine: MyAddresses::new(db),
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The user's index, built on first use and kept until their people change.
    pub async fn index(&self, owner: &str) -> Result<Arc<Index>, StoreError> {
        if let Some(index) = self.cache.read().expect("matcher cache").get(owner) {
            return Ok(index.clone());
        }
        let directory = self.people.directory(owner).await?;
        let own = self.mine.own(owner).await?;
        let index = Arc::new(
            Index::build(
                directory.names.iter().map(|n| PersonNames {
                    id: &n.id,
                    first_name: &n.first_name,
                    last_name: &n.last_name,
                }),
                directory.emails.iter().map(|e| PersonEmail {
                    person: &e.person,
                    normalized: &e.normalized,
                    primary: e.primary,
                }),
            )
            .with_own(own),
        );
        let mut cache = self.cache.write().expect("matcher cache");
        // One index per active user; a rebuild is cheap next to unbounded growth.
        if cache.len() >= MAX_CACHED_USERS {
            cache.clear();
        }
        cache.insert(owner.to_string(), index.clone());
        Ok(index)
    }

    pub fn invalidate(&self, owner: &str) {
        self.cache.write().expect("matcher cache").remove(owner);
    }
}
