//! People as the user changes them, with their meetings kept in step: every change of a
//! person's addresses (form, attendee fixes, CLI, demo data) or of the user's own addresses
//! re-links the events it touches. An address is either the user's or one person's, never both
//! by the user's hand (a calendar may report one of the user's that a person has: the user wins).
use std::sync::Arc;

use app::models::{EmailAddress, PersonInput};

use crate::activities::Activities;
use crate::calendar::store::{EventStore, GuestFilter};
use crate::error::StoreError;
use crate::matcher::index::{lookup_keys, reading_order};
use crate::matcher::Matcher;
use crate::my_addresses::{MyAddresses, StoredAddress};
use crate::people::People;
use crate::text::{capitalize, normalize_email};

#[derive(Clone)]
pub struct Contacts {
    pub people: People,
    pub matcher: Arc<Matcher>,
    activities: Activities,
    events: EventStore,
    mine: MyAddresses,
}

impl Contacts {
    pub fn new(
        people: People,
        matcher: Arc<Matcher>,
        activities: Activities,
        events: EventStore,
        mine: MyAddresses,
    ) -> Self {
        Contacts {
            mine,
            people,
            matcher,
            activities,
            events,
        }
    }

    /// Creates or updates a person and re-links the meetings their old and new addresses touch.
    /// None of the user's own addresses may be given to a person.
    pub async fn save_person(&self, owner: &str, input: PersonInput) -> Result<String, StoreError> {
        let before = self.emails_of(owner, input.id.as_deref()).await;
        let after = input.emails.clone();
        let own = self.matcher.index(owner).await?;
        let had = |address: &str| {
            let key = normalize_email(address);
            before.iter().any(|e| normalize_email(&e.address) == key)
        };
        if let Some(mine) = after
            .iter()
            .map(|e| e.address.trim())
            .find(|a| !had(a) && own.own().contains(a))
        {
            return Err(StoreError::Invalid(format!(
                "{mine} is one of your own addresses (Settings → Profile), so it cannot belong to a person."
            )));
        }
        let id = self.people.save(owner, input).await?;
        self.addresses_changed(owner, &id, &before, &after).await?;
        Ok(id)
    }

    pub async fn delete_person(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let before = self.emails_of(owner, Some(id)).await;
        self.people.delete(owner, id).await?;
        self.activities.unlink_person(owner, id).await?;
        self.addresses_changed(owner, id, &before, &[]).await
    }

    /// A new person from a meeting attendee ("Doe, Jane" <jane@…>).
    pub async fn add_attendee(
        &self,
        owner: &str,
        email: &str,
        name: &str,
    ) -> Result<String, StoreError> {
        let (first_name, last_name) = split_name(name, email);
        let input = PersonInput {
            first_name,
            last_name,
            emails: vec![EmailAddress {
                address: email.trim().to_string(),
                label: "work".into(),
                primary: true,
            }],
            primary_email: Some(0),
            ..Default::default()
        };
        self.save_person(owner, input).await
    }

    /// Adds a meeting attendee's address to an existing person (once).
    pub async fn link_attendee(
        &self,
        owner: &str,
        person_id: &str,
        email: &str,
    ) -> Result<(), StoreError> {
        let person = self.people.get(owner, person_id).await?;
        let mut input = person.to_input();
        let wanted = normalize_email(email);
        if !person
            .emails
            .iter()
            .any(|e| normalize_email(&e.address) == wanted)
        {
            input.emails.push(EmailAddress {
                address: email.trim().to_string(),
                label: "other".into(),
                primary: person.emails.is_empty(),
            });
        }
        self.save_person(owner, input).await?;
        Ok(())
    }

    /// The user's stored own addresses (the sign-in address is not stored).
    pub async fn my_addresses(&self, owner: &str) -> Result<Vec<StoredAddress>, StoreError> {
        self.mine.list(owner).await
    }

    /// Adds one of the user's own addresses by hand and unlinks the meetings it was matched
    /// in. An address one of the user's people has is refused, naming them: it is either theirs
    /// or the user's, and only the user can say which.
    pub async fn add_my_address(&self, owner: &str, address: &str) -> Result<String, StoreError> {
        if let Some((shown, name)) = self.people.holder_of(owner, address).await? {
            return Err(StoreError::Conflict(format!(
                "{shown} belongs to {name}. Remove it from {name} first (or delete {name} if that is you)."
            )));
        }
        let id = self.mine.add_manual(owner, address).await?;
        self.own_addresses_changed(owner, &[address.to_string()])
            .await?;
        Ok(id)
    }

    /// Removes an address the user added; its meetings are matched again.
    pub async fn remove_my_address(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let address = self.mine.remove_manual(owner, id).await?;
        self.own_addresses_changed(owner, &[address]).await
    }

    /// After the user's own addresses changed by hand (the calendar service re-matches what
    /// connections report).
    async fn own_addresses_changed(
        &self,
        owner: &str,
        addresses: &[String],
    ) -> Result<(), StoreError> {
        let keys: Vec<String> = addresses.iter().flat_map(|a| lookup_keys(a)).collect();
        self.relink(
            owner,
            GuestFilter::Touching {
                keys: &keys,
                people: &[],
            },
        )
        .await?;
        Ok(())
    }

    /// Re-matches every event of a user (after bulk changes: demo data, `calendar rematch`).
    /// Returns how many events were looked at.
    pub async fn rematch_all(&self, owner: &str) -> Result<usize, StoreError> {
        self.relink(owner, GuestFilter::All).await
    }

    /// Re-matches the user's events stored before the unknown-guests flag existed.
    pub async fn rematch_unflagged(&self, owner: &str) -> Result<usize, StoreError> {
        self.relink(owner, GuestFilter::Unflagged).await
    }

    /// After a person's addresses changed (`before` and `after` both count: a removed address
    /// unlinks, an added one links).
    async fn addresses_changed(
        &self,
        owner: &str,
        person: &str,
        before: &[EmailAddress],
        after: &[EmailAddress],
    ) -> Result<(), StoreError> {
        let keys: Vec<String> = before
            .iter()
            .chain(after)
            .flat_map(|e| lookup_keys(&e.address))
            .collect();
        let people = [person.to_string()];
        self.relink(
            owner,
            GuestFilter::Touching {
                keys: &keys,
                people: &people,
            },
        )
        .await?;
        Ok(())
    }

    async fn relink(&self, owner: &str, filter: GuestFilter<'_>) -> Result<usize, StoreError> {
        let index = self.matcher.index(owner).await?;
        self.events.rematch(owner, filter, &index).await
    }

    async fn emails_of(&self, owner: &str, id: Option<&str>) -> Vec<EmailAddress> {
        match id.filter(|id| !id.is_empty()) {
            Some(id) => self
                .people
                .get(owner, id)
                .await
                .map(|p| p.emails)
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

/// "Doe, Jane" or "Jane Doe" → ("Jane", "Doe"); without a name, from a `jane.doe@` address.
fn split_name(name: &str, email: &str) -> (String, String) {
    let reordered = reading_order(name);
    let from_address = || {
        let local = email
            .split('@')
            .next()
            .unwrap_or_default()
            .split('+')
            .next()
            .unwrap_or_default();
        local
            .split(['.', '_', '-'])
            .filter(|p| !p.is_empty())
            .map(capitalize)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let full = if reordered.is_empty() || reordered.contains('@') {
        from_address()
    } else {
        reordered
    };
    // A calendar may send any name; a person's name fields have a limit, so cut rather than fail.
    let cut = |s: &str| s.trim().chars().take(app::limits::NAME).collect::<String>();
    match full.rsplit_once(' ') {
        Some((first, last)) => (cut(first), cut(last)),
        None => (cut(&full), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::split_name;

    #[test]
    fn overlong_attendee_names_are_cut_to_the_name_limit() {
        let (first, last) = split_name(&format!("{} Doe", "A".repeat(500)), "a@example.org");
        assert_eq!(first.chars().count(), app::limits::NAME);
        assert_eq!(last, "Doe");
    }

    #[test]
    fn attendee_names_become_first_and_last_names() {
        assert_eq!(split_name("Jane Doe", "x@y"), ("Jane".into(), "Doe".into()));
        assert_eq!(
            split_name("Doe, Jane", "x@y"),
            ("Jane".into(), "Doe".into())
        );
        assert_eq!(
            split_name("Mary Ann van Dijk", "x@y"),
            ("Mary Ann van".into(), "Dijk".into())
        );
        assert_eq!(
            split_name("", "jane.doe+news@y.example"),
            ("Jane".into(), "Doe".into())
        );
        assert_eq!(
            split_name("jane@y.example", "jane@y.example"),
            ("Jane".into(), String::new())
        );
    }
}
