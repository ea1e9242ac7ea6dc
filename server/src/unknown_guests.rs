//! "Add all unknown guests" of a meeting: a person for each guest who is none of the user's
//! people, in one step. Who is unknown is decided here, on the server, when the button is
//! pressed: rooms, the user's own addresses and any address one of their people has by now are
//! skipped, so a second press (or another tab) adds nobody twice.
use std::collections::HashSet;

use crate::calendar::store::EventStore;
use crate::contacts::Contacts;
use crate::error::StoreError;
use crate::matcher::{self, index::lookup_keys};

#[derive(Clone)]
pub struct UnknownGuests {
    contacts: Contacts,
    events: EventStore,
}

impl UnknownGuests {
    pub fn new(contacts: Contacts, events: EventStore) -> Self {
        UnknownGuests { contacts, events }
    }

    /// Adds each unknown guest of one meeting as a person (named as invited, else after the
    /// address, which becomes their primary email) and re-links the meetings they are in.
    /// Returns how many people were added.
    pub async fn add_all(&self, owner: &str, event_id: &str) -> Result<u32, StoreError> {
        let event = self.events.get(owner, event_id).await?;
        let index = self.contacts.matcher.index(owner).await?;
        let mut added_keys: HashSet<String> = HashSet::new();
        let mut added = 0;
        for guest in event.guests().filter(|g| matcher::is_unknown(&index, g)) {
            // One person per address: the organizer is usually an attendee too, and a Gmail
            // address may come in two spellings.
            let keys = lookup_keys(guest.email);
            if keys.iter().any(|k| added_keys.contains(k)) {
                continue;
            }
            added_keys.extend(keys);
            let name = guest.name.unwrap_or_default();
            match self.contacts.add_attendee(owner, guest.email, name).await {
                Ok(_) => added += 1,
                // Given to someone meanwhile (another tab, a second press): known now.
                Err(StoreError::Conflict(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(added)
    }
}
