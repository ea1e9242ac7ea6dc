//! Contact matching: which of the user's people an event's guests are. Pure logic over an
//! in-memory index; `cache` keeps one index per user, built from the people store.
pub mod cache;
pub mod index;
pub mod own;

pub use cache::Matcher;
pub use index::{Index, MatchReason, Outcome, PersonMatch};
pub use own::OwnAddresses;

use serde::{Deserialize, Serialize};

use crate::text::normalize_email;

/// An organizer or attendee as the matcher sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guest<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
    /// Rooms and other resources are never matched to people.
    pub is_resource: bool,
    /// The connected account itself is never matched.
    pub is_self: bool,
}

/// A guest linked to (or suggested as) one of the user's people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchRecord {
    /// The guest's normalized address.
    pub email: String,
    pub person: String,
    pub confidence: u8,
    pub reason: MatchReason,
    /// Name matches are only offered, never linked.
    pub suggested: bool,
}

/// Matches an event's guests (organizer first). Rooms and the user's own addresses are
/// skipped; each address is matched once, each person linked under their strongest match.
pub fn match_guests<'a>(
    index: &Index,
    guests: impl IntoIterator<Item = Guest<'a>>,
) -> Vec<MatchRecord> {
    let mut out: Vec<MatchRecord> = Vec::new();
    for g in guests {
        if g.is_resource || g.email.trim().is_empty() {
            continue;
        }
        let email = normalize_email(g.email);
        if out.iter().any(|m| m.email == email) {
            continue;
        }
        let record = |m: PersonMatch, suggested: bool| MatchRecord {
            email: email.clone(),
            person: m.person,
            confidence: m.confidence,
            reason: m.reason,
            suggested,
        };
        match index.match_attendee(g.email, g.name, g.is_self) {
            Outcome::Linked(m) => out.push(record(m, false)),
            Outcome::Suggested(list) => out.extend(list.into_iter().map(|m| record(m, true))),
            Outcome::Unmatched => {}
        }
    }
    out
}

/// Whether a guest is someone the user does not know yet: a person's address (no room, not
/// the user under any of their addresses) that none of their people has. A name suggestion
/// does not make a guest known. (`MeetingAttendee::is_unknown` reads the same off a meeting.)
pub fn is_unknown(index: &Index, guest: &Guest<'_>) -> bool {
    !guest.is_resource
        && !guest.is_self
        && !guest.email.trim().is_empty()
        && !index.own().contains(guest.email)
        && index.match_email(guest.email).is_none()
}

/// The people an event is linked to (email matches only), without repeats.
pub fn linked_people(matches: &[MatchRecord]) -> Vec<String> {
    let mut people: Vec<String> = Vec::new();
    for m in matches.iter().filter(|m| !m.suggested) {
        if !people.contains(&m.person) {
            people.push(m.person.clone());
        }
    }
    people
}

/// Every key an event can be found under when an address changes: the guests' normalized
/// addresses and their Gmail canonical forms.
pub fn guest_keys<'a>(guests: impl IntoIterator<Item = Guest<'a>>) -> Vec<String> {
    let mut keys: Vec<String> = guests
        .into_iter()
        .flat_map(|g| index::lookup_keys(g.email))
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests;
