//! One match index per user, built from the people store on first use and dropped whenever
//! their people or addresses change (the next lookup rebuilds it).
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::index::{Index, PersonEmail, PersonNames};
use crate::error::StoreError;
use crate::people::People;

/// Users whose index is kept at most.
const MAX_CACHED_USERS: usize = 1_000;

pub struct Matcher {
    people: People,
    cache: RwLock<HashMap<String, Arc<Index>>>,
}

impl Matcher {
    pub fn new(people: People) -> Self {
        Matcher {
            people,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The user's index, built on first use and kept until their people change.
    pub async fn index(&self, owner: &str) -> Result<Arc<Index>, StoreError> {
        if let Some(index) = self.cache.read().expect("matcher cache").get(owner) {
            return Ok(index.clone());
        }
        let directory = self.people.directory(owner).await?;
        let index = Arc::new(Index::build(
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
        ));
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
