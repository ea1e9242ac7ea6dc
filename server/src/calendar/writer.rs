//! Where every provider's sync writes one calendar: the same diff-and-store steps for CalDAV
//! and Google. Objects are keyed by href (CalDAV) or event id (Google) with their ETag; a
//! listing that names everything lets the rest be removed; cursors are saved last.
use std::collections::{HashMap, HashSet};

use super::model::{EventRecord, SyncOutcome};
use super::store::{CalendarRow, ConnectionStore, EventStore};
use crate::activities::Activities;
use crate::error::StoreError;
use crate::matcher::Index;
use crate::text::normalize_email;

/// The stores a sync writes to.
#[derive(Clone)]
pub struct SyncStores {
    pub connections: ConnectionStore,
    pub events: EventStore,
    pub activities: Activities,
}

/// One calendar being synced: what was stored before, and where changes go.
pub struct CalendarWriter<'a> {
    stores: &'a SyncStores,
    owner: &'a str,
    pub calendar: &'a CalendarRow,
    index: &'a Index,
    /// href → ETag as stored when the sync began.
    stored: HashMap<String, String>,
}

impl<'a> CalendarWriter<'a> {
    pub async fn open(
        stores: &'a SyncStores,
        owner: &'a str,
        calendar: &'a CalendarRow,
        index: &'a Index,
    ) -> Result<CalendarWriter<'a>, StoreError> {
        let stored = stores.events.objects(&calendar.id).await?;
        Ok(CalendarWriter {
            stores,
            owner,
            calendar,
            index,
            stored,
        })
    }

    pub fn stored_hrefs(&self) -> impl Iterator<Item = &String> {
        self.stored.keys()
    }

    /// Whether the object is stored with this ETag already (nothing to fetch or write).
    pub fn is_current(&self, href: &str, etag: &str) -> bool {
        !etag.is_empty() && self.stored.get(href).is_some_and(|e| e == etag)
    }

    /// Of `listed` (href, ETag), the hrefs that are new or changed.
    pub fn wanted<'l>(
        &self,
        listed: impl IntoIterator<Item = (&'l String, &'l String)>,
    ) -> Vec<String> {
        listed
            .into_iter()
            .filter(|(href, etag)| !self.is_current(href, etag))
            .map(|(href, _)| href.clone())
            .collect()
    }

    /// Replaces what one object holds with `events`.
    pub async fn store(
        &self,
        href: &str,
        etag: &str,
        events: &[EventRecord],
        outcome: &mut SyncOutcome,
    ) -> Result<(), StoreError> {
        outcome.changes += self
            .stores
            .events
            .replace_object(
                self.owner,
                self.calendar.key(),
                (href, etag),
                events,
                self.index,
            )
            .await?;
        Ok(())
    }

    /// The object is gone at the provider.
    pub async fn remove(&self, href: &str, outcome: &mut SyncOutcome) -> Result<(), StoreError> {
        outcome.changes += self
            .stores
            .events
            .remove_object(self.calendar.key(), href)
            .await?;
        Ok(())
    }

    /// The provider reports the object as cancelled: it goes, and so do the activities
    /// auto-logged from it that the user did not edit.
    pub async fn cancel(&self, href: &str, outcome: &mut SyncOutcome) -> Result<(), StoreError> {
        let (changes, sources) = self
            .stores
            .events
            .cancel_object(self.calendar.key(), href)
            .await?;
        outcome.changes += changes;
        self.stores
            .activities
            .forget_auto_logged(self.owner, sources, false)
            .await?;
        Ok(())
    }

    /// After a listing that names everything that exists: whatever it did not name is gone.
    pub async fn remove_unlisted(
        &self,
        listed: &HashSet<&str>,
        outcome: &mut SyncOutcome,
    ) -> Result<(), StoreError> {
        for href in self.stored.keys().filter(|h| !listed.contains(h.as_str())) {
            self.remove(href, outcome).await?;
        }
        Ok(())
    }

    /// Saved only after the changes it covers are stored, so an interrupted sync repeats work
    /// instead of losing it.
    pub async fn save_cursor(
        &self,
        sync_token: Option<String>,
        ctag: Option<String>,
    ) -> Result<(), StoreError> {
        self.stores
            .connections
            .save_cursor(&self.calendar.id, sync_token, ctag)
            .await
    }
}

/// The account's own addresses in lookup form (entries without "@" are usernames, not addresses).
pub fn own_addresses<'s>(candidates: impl IntoIterator<Item = &'s str>) -> HashSet<String> {
    candidates
        .into_iter()
        .filter(|s| s.contains('@'))
        .map(normalize_email)
        .collect()
}
