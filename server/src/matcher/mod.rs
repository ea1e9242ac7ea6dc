//! Contact matching: which of the user's people an event's attendees are.
pub mod index;
pub mod service;

pub use index::{Index, MatchReason, Outcome, PersonMatch};

use crate::calendar::model::{AttendeeRecord, MatchRecord};

/// Matches the organizer and attendees of one event. Rooms and the user's own addresses are
/// skipped; each person is linked at most once, under their strongest match.
pub fn match_event(
    index: &Index,
    organizer: Option<&AttendeeRecord>,
    attendees: &[AttendeeRecord],
) -> Vec<MatchRecord> {
    let mut out: Vec<MatchRecord> = Vec::new();
    for a in organizer.into_iter().chain(attendees) {
        if a.is_resource || a.email.trim().is_empty() {
            continue;
        }
        let email = crate::auth::normalize_email(&a.email);
        if out.iter().any(|m| m.email == email) {
            continue;
        }
        match index.match_attendee(&a.email, a.name.as_deref(), a.is_self) {
            Outcome::Linked(m) => out.push(MatchRecord {
                email,
                person: m.person,
                confidence: m.confidence,
                reason: m.reason.as_str().into(),
                suggested: false,
            }),
            Outcome::Suggested(list) => out.extend(list.into_iter().map(|m| MatchRecord {
                email: email.clone(),
                person: m.person,
                confidence: m.confidence,
                reason: m.reason.as_str().into(),
                suggested: true,
            })),
            Outcome::Unmatched => {}
        }
    }
    out
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

/// Every key an event can be found under when an address changes: attendees' and organizer's
/// normalized addresses and their Gmail canonical forms.
pub fn attendee_keys(
    organizer: Option<&AttendeeRecord>,
    attendees: &[AttendeeRecord],
) -> Vec<String> {
    let mut keys: Vec<String> = organizer
        .into_iter()
        .chain(attendees)
        .flat_map(|a| index::lookup_keys(&a.email))
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests;
