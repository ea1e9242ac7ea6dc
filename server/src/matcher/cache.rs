//! One match index per user, built from the people store and the user's own addresses on
//! first use and rebuilt after either changed (`freshness`).
use std::sync::Arc;

use super::index::{Index, PersonEmail, PersonNames};
use crate::db::Db;
use crate::error::StoreError;
use crate::freshness::{Data, UserCache};
use crate::my_addresses::MyAddresses;
use crate::people::People;

pub struct Matcher {
    people: People,
    mine: MyAddresses,
    cache: UserCache<(), Arc<Index>>,
}

impl Matcher {
    pub fn new(db: Db) -> Self {
        Matcher {
            people: People::new(db.clone()),
            mine: MyAddresses::new(db),
            cache: UserCache::new(&[Data::People]),
        }
    }

    /// The user's index, built on first use and kept until their people change.
    pub async fn index(&self, owner: &str) -> Result<Arc<Index>, StoreError> {
        self.cache.get_or_load(owner, (), self.build(owner)).await
    }

    async fn build(&self, owner: &str) -> Result<Arc<Index>, StoreError> {
        let directory = self.people.directory(owner).await?;
        let own = self.mine.own(owner).await?;
        Ok(Arc::new(
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
        ))
    }
}
