//! Where every provider's sync writes one calendar: the same diff-and-store steps for CalDAV
//! and Google. Objects are keyed by href (CalDAV) or event id (Google) with their ETag; a
//! listing that names everything lets the rest be removed; cursors are saved last.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::budget;
use super::model::{EventRecord, SyncOutcome};
use super::progress::Progress;
use super::store::{CalendarRow, ConnectionStore, EventStore, ObjectWrite, StoredObject};
use crate::activities::Activities;
use crate::error::StoreError;
use crate::matcher::Index;
use crate::text::normalize_email;

/// A listing may remove at most this many objects, or half the calendar, without the next
/// listing confirming it.
pub const MASS_REMOVAL_MIN: usize = 5;

/// What became of the objects a full listing did not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Done,
    /// Kept until the next listing agrees: the listing named only `listed` of `stored`.
    AwaitingConfirmation {
        listed: usize,
        stored: usize,
    },
}

impl Removal {
    /// What the user reads when a calendar's removal waits for confirmation.
    pub fn explain(self, calendar: &str) -> Option<String> {
        match self {
            Removal::Done => None,
            Removal::AwaitingConfirmation { listed, stored } => Some(format!(
                "The server listed only {listed} of the {stored} events Rondo has from \"{calendar}\". Rondo keeps them and asks again at the next sync; if the server still lists them as gone, they are removed then."
            )),
        }
    }
}

/// One fetched object, parsed and ready to store.
#[derive(Debug, Clone)]
pub struct ObjectToStore {
    pub href: String,
    pub etag: String,
    /// Its iCalendar text, kept for re-expansion (CalDAV).
    pub data: Option<String>,
    pub events: Vec<EventRecord>,
}

/// The stores a sync writes to, and where it reports its progress.
#[derive(Clone)]
pub struct SyncStores {
    pub connections: ConnectionStore,
    pub events: EventStore,
    pub activities: Activities,
    pub progress: Progress,
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

    /// Where this sync reports how far it is.
    pub fn progress(&self) -> &Progress {
        &self.stores.progress
    }

    /// Whether the sync window moved (a day or more) or changed since the stored occurrences
    /// were expanded. A calendar never expanded by this version counts as unmoved.
    pub fn window_moved(&self, window: (DateTime<Utc>, DateTime<Utc>)) -> bool {
        let day = chrono::Duration::days(1);
        match (self.calendar.expanded_from, self.calendar.expanded_to) {
            (Some(from), Some(to)) => {
                (from - window.0).abs() >= day || (to - window.1).abs() >= day
            }
            _ => false,
        }
    }

    /// Records that the stored occurrences now cover `window`.
    pub async fn expanded(&self, window: (DateTime<Utc>, DateTime<Utc>)) -> Result<(), StoreError> {
        let unchanged = self.calendar.expanded_from.is_some() && !self.window_moved(window);
        if unchanged {
            return Ok(());
        }
        self.stores
            .connections
            .set_expanded(&self.calendar.id, window)
            .await
    }

    /// One page of this calendar's stored objects (with their kept text), after `after`.
    pub async fn stored_objects(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredObject>, StoreError> {
        self.stores
            .events
            .stored_objects(&self.calendar.id, after, limit)
            .await
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

    /// Replaces what one object holds with `events` (see [`CalendarWriter::store_all`]).
    pub async fn store(
        &self,
        object: (&str, &str, Option<&str>),
        events: Vec<EventRecord>,
        outcome: &mut SyncOutcome,
    ) -> Result<(), StoreError> {
        let (href, etag, data) = object;
        self.store_all(
            vec![ObjectToStore {
                href: href.to_string(),
                etag: etag.to_string(),
                data: data.map(str::to_string),
                events,
            }],
            outcome,
        )
        .await
    }

    /// Replaces what each object holds, in as few transactions as the engine can hold, each
    /// within the per-object budget and keeping its iCalendar text (when not too large) for
    /// re-expansion.
    pub async fn store_all(
        &self,
        mut objects: Vec<ObjectToStore>,
        outcome: &mut SyncOutcome,
    ) -> Result<(), StoreError> {
        for object in objects.iter_mut() {
            for e in &object.events {
                let me = e.organizer.iter().chain(&e.attendees).filter(|a| a.is_self);
                outcome
                    .self_addresses
                    .extend(me.map(|a| normalize_email(&a.email)));
            }
            if let Some(warning) =
                budget::fit(&mut object.events, budget::MAX_STORED_BYTES_PER_OBJECT)
            {
                let name = object.events.first().map_or(&object.href, |e| &e.uid);
                outcome.warnings.push(format!("{name}: {warning}"));
            }
            if object
                .data
                .as_ref()
                .is_some_and(|d| d.len() > budget::MAX_KEPT_OBJECT_BYTES)
            {
                object.data = None;
            }
        }
        // One transaction per run of objects the engine can hold at once; an object larger
        // than one transaction is written in parts of its occurrences.
        let limit = crate::db::transaction_budget();
        let costs: Vec<usize> = objects
            .iter()
            .map(|o| budget::object_cost(&o.events, o.data.as_deref()))
            .collect();
        let writes: Vec<ObjectWrite<'_>> = objects
            .iter()
            .map(|o| ObjectWrite {
                known: self.stored.contains_key(&o.href),
                href: &o.href,
                etag: &o.etag,
                data: o.data.as_deref(),
                events: &o.events,
            })
            .collect();
        let (events, key) = (&self.stores.events, self.calendar.key());
        for run in budget::runs(&costs, limit) {
            outcome.changes += match &writes[run.clone()] {
                [object] if costs[run.start] > limit => {
                    let room = limit.saturating_sub(budget::object_cost(&[], object.data));
                    events
                        .replace_object_in_parts(self.owner, key, object, room, self.index)
                        .await?
                }
                run => {
                    events
                        .replace_objects(self.owner, key, run, self.index)
                        .await?
                }
            };
        }
        Ok(())
    }

    /// The object is gone at the provider.
    pub async fn remove(&self, href: &str, outcome: &mut SyncOutcome) -> Result<(), StoreError> {
        outcome.changes += self
            .stores
            .events
            .remove_object(self.owner, self.calendar.key(), href)
            .await?;
        Ok(())
    }

    /// The provider reports the object as cancelled: it goes, and so do the activities
    /// auto-logged from it that the user did not edit.
    /// The activities go first: a removal interrupted midway (a large object goes a batch at
    /// a time) must not leave activities whose meetings are gone.
    pub async fn cancel(&self, href: &str, outcome: &mut SyncOutcome) -> Result<(), StoreError> {
        let events = &self.stores.events;
        let sources = events.sources_of(self.calendar.key(), href).await?;
        self.stores
            .activities
            .forget_auto_logged(self.owner, sources, false)
            .await?;
        outcome.changes += events
            .remove_object(self.owner, self.calendar.key(), href)
            .await?;
        Ok(())
    }

    /// After a listing that names everything that exists: whatever it did not name is gone.
    /// A listing that would remove most of the calendar (at least `MASS_REMOVAL_MIN` objects)
    /// is applied only when the next listing names the same objects as gone: a cut-short or
    /// empty answer must never wipe a calendar. With `guarded` false (the user just shrank the
    /// window, so much may rightly go) it is applied at once.
    pub async fn remove_unlisted(
        &self,
        listed: &HashSet<&str>,
        guarded: bool,
        outcome: &mut SyncOutcome,
    ) -> Result<Removal, StoreError> {
        let mut gone: Vec<&String> = self
            .stored
            .keys()
            .filter(|h| !listed.contains(h.as_str()))
            .collect();
        if guarded && gone.len() >= MASS_REMOVAL_MIN && gone.len() * 2 > self.stored.len() {
            gone.sort();
            let mut digest = Sha256::new();
            for href in &gone {
                digest.update(href.as_bytes());
                digest.update(b"\n");
            }
            let fingerprint = format!("{:x}", digest.finalize());
            if self.calendar.removal_pending.as_deref() != Some(fingerprint.as_str()) {
                self.stores
                    .connections
                    .set_removal_pending(&self.calendar.id, &fingerprint)
                    .await?;
                return Ok(Removal::AwaitingConfirmation {
                    listed: self.stored.len() - gone.len(),
                    stored: self.stored.len(),
                });
            }
        }
        for href in gone {
            self.remove(href, outcome).await?;
        }
        Ok(Removal::Done)
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
