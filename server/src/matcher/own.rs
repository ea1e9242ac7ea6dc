//! The user's own addresses in lookup form. An attendee with one of them is the user: never
//! matched to a person, never offered as a new one, and their answer is the user's answer.
use std::collections::HashSet;

use super::index::lookup_keys;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnAddresses {
    /// Each address normalized, and its Gmail canonical form.
    keys: HashSet<String>,
}

impl OwnAddresses {
    /// Entries without "@" (a CalDAV username, a principal path) are not addresses and are left out.
    pub fn new<S: AsRef<str>>(addresses: impl IntoIterator<Item = S>) -> Self {
        let keys = addresses
            .into_iter()
            .filter(|a| a.as_ref().contains('@'))
            .flat_map(|a| lookup_keys(a.as_ref()))
            .collect();
        OwnAddresses { keys }
    }

    /// Whether `address` is one of them, also as a Gmail alias (dots, `+tags`, googlemail.com).
    pub fn contains(&self, address: &str) -> bool {
        !address.trim().is_empty() && lookup_keys(address).iter().any(|k| self.keys.contains(k))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
