//! Matching meeting attendees to people. Email first and exact (O(1) per address through hash
//! maps); Gmail aliases a little lower; names only as suggestions, never as links, because name
//! matching produced false positives in the system Rondo descends from.
use std::collections::HashMap;

/// Names whose suggestions an index remembers at most.
pub const MAX_CACHED_SUGGESTIONS: usize = 20_000;

use serde::{Deserialize, Serialize};
use strsim::jaro_winkler;

pub use app::models::MatchReason;

use super::own::OwnAddresses;
use crate::text::fold;
use crate::text::normalize_email;

pub const NAME_THRESHOLD: f64 = 0.92;
/// People scoring within this of the best name score are offered together.
pub const AMBIGUITY_BAND: f64 = 0.02;
pub const ALIAS_CONFIDENCE: u8 = 95;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonMatch {
    pub person: String,
    pub confidence: u8,
    pub reason: MatchReason,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// An email match: the meeting belongs to this person.
    Linked(PersonMatch),
    /// Name look-alikes for the user to confirm; never linked automatically.
    Suggested(Vec<PersonMatch>),
    Unmatched,
}

/// Gmail ignores dots and `+tags` in the local part, and googlemail.com is gmail.com.
pub fn gmail_key(normalized: &str) -> Option<String> {
    let (local, domain) = normalized.rsplit_once('@')?;
    if domain != "gmail.com" && domain != "googlemail.com" {
        return None;
    }
    let local = local.split('+').next().unwrap_or(local).replace('.', "");
    Some(format!("{local}@gmail.com"))
}

/// The keys under which an address can be found: itself, and its Gmail canonical form.
pub fn lookup_keys(address: &str) -> Vec<String> {
    let normalized = normalize_email(address);
    let mut keys = vec![normalized.clone()];
    if let Some(alias) = gmail_key(&normalized).filter(|a| *a != normalized) {
        keys.push(alias);
    }
    keys
}

/// "Müller, Anna" → "Anna Müller": a display name in reading order, quotes dropped.
pub fn reading_order(name: &str) -> String {
    let name = name.trim().trim_matches('"');
    match name.split_once(',') {
        Some((last, first)) if !first.trim().is_empty() => {
            format!("{} {}", first.trim(), last.trim())
        }
        _ => name.to_string(),
    }
}

/// "Müller, Anna" → "anna muller"; folded and in reading order.
pub fn normalize_name(name: &str) -> String {
    fold(&reading_order(name).replace(['.', '_'], " "))
}

/// A name to try when the attendee has none: the local part when it looks like `first.last`.
pub fn name_from_address(address: &str) -> Option<String> {
    let local = normalize_email(address)
        .split('@')
        .next()?
        .split('+')
        .next()?
        .to_string();
    let parts: Vec<&str> = local.split(['.', '_']).filter(|p| !p.is_empty()).collect();
    (parts.len() >= 2 && parts.iter().all(|p| p.chars().all(char::is_alphabetic)))
        .then(|| parts.join(" "))
}

struct NameEntry {
    person: String,
    /// "first last" and "last first".
    forms: [String; 2],
}

#[derive(Default)]
pub struct Index {
    exact: HashMap<String, (String, bool)>,
    aliases: HashMap<String, String>,
    names: Vec<NameEntry>,
    /// Name entries by the initials of a form's first and last word, in both orders: a full-name
    /// Jaro-Winkler score over the threshold with a different first letter of either name is
    /// practically impossible, and this keeps each lookup to a few dozen comparisons.
    by_initials: HashMap<(char, char), Vec<usize>>,
    /// Suggestions already computed: the same attendees come back meeting after meeting.
    suggested: std::sync::RwLock<HashMap<String, Vec<PersonMatch>>>,
    /// The user's own addresses: never matched, whoever else has them.
    own: OwnAddresses,
}

pub struct PersonNames<'a> {
    pub id: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

pub struct PersonEmail<'a> {
    pub person: &'a str,
    pub normalized: &'a str,
    pub primary: bool,
}

impl Index {
    pub fn build<'a>(
        people: impl IntoIterator<Item = PersonNames<'a>>,
        emails: impl IntoIterator<Item = PersonEmail<'a>>,
    ) -> Self {
        let mut index = Index::default();
        for e in emails {
            let normalized = normalize_email(e.normalized);
            if let Some(alias) = gmail_key(&normalized) {
                index
                    .aliases
                    .entry(alias)
                    .or_insert_with(|| e.person.to_string());
            }
            index
                .exact
                .insert(normalized, (e.person.to_string(), e.primary));
        }
        for p in people {
            let first = fold(p.first_name);
            let last = fold(p.last_name);
            if first.is_empty() || last.is_empty() {
                continue;
            }
            let forms = [format!("{first} {last}"), format!("{last} {first}")];
            let at = index.names.len();
            for key in forms.iter().filter_map(|f| initials(f)) {
                let list = index.by_initials.entry(key).or_default();
                if list.last() != Some(&at) {
                    list.push(at);
                }
            }
            index.names.push(NameEntry {
                person: p.id.to_string(),
                forms,
            });
        }
        index
    }

    /// The same index, knowing the user's own addresses.
    pub fn with_own(mut self, own: OwnAddresses) -> Self {
        self.own = own;
        self
    }

    pub fn own(&self) -> &OwnAddresses {
        &self.own
    }

    pub fn match_email(&self, address: &str) -> Option<PersonMatch> {
        let normalized = normalize_email(address);
        if let Some((person, primary)) = self.exact.get(&normalized) {
            let reason = if *primary {
                MatchReason::PrimaryEmail
            } else {
                MatchReason::OtherEmail
            };
            return Some(PersonMatch {
                person: person.clone(),
                confidence: 100,
                reason,
            });
        }
        let alias = gmail_key(&normalized)?;
        self.aliases.get(&alias).map(|person| PersonMatch {
            person: person.clone(),
            confidence: ALIAS_CONFIDENCE,
            reason: MatchReason::Alias,
        })
    }

    /// How many names' suggestions are in the cache.
    pub fn cached_suggestions(&self) -> usize {
        self.suggested.read().expect("suggestion cache").len()
    }

    /// People whose full name looks like `name` (two or more tokens), best first.
    pub fn suggest(&self, name: &str) -> Vec<PersonMatch> {
        let wanted = normalize_name(name);
        if wanted.split_whitespace().count() < 2 {
            return Vec::new();
        }
        if let Some(known) = self
            .suggested
            .read()
            .expect("suggestion cache")
            .get(&wanted)
        {
            return known.clone();
        }
        let found = self.score_names(&wanted);
        let mut cache = self.suggested.write().expect("suggestion cache");
        // Names come from calendars anyone can invite you to: bounded, refilled on demand.
        if cache.len() >= MAX_CACHED_SUGGESTIONS {
            cache.clear();
        }
        cache.insert(wanted, found.clone());
        found
    }

    fn score_names(&self, wanted: &str) -> Vec<PersonMatch> {
        let Some(candidates) = initials(wanted).and_then(|k| self.by_initials.get(&k)) else {
            return Vec::new();
        };
        let mut scored: Vec<(f64, &str)> = candidates
            .iter()
            .map(|&i| {
                let entry = &self.names[i];
                let score = entry
                    .forms
                    .iter()
                    .map(|f| jaro_winkler(wanted, f))
                    .fold(0.0, f64::max);
                (score, entry.person.as_str())
            })
            .filter(|(score, _)| *score >= NAME_THRESHOLD)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let Some(best) = scored.first().map(|s| s.0) else {
            return Vec::new();
        };
        scored
            .into_iter()
            .take_while(|(score, _)| best - score <= AMBIGUITY_BAND)
            .map(|(score, person)| PersonMatch {
                person: person.to_string(),
                confidence: name_confidence(score),
                reason: MatchReason::Name,
            })
            .collect()
    }

    /// Email first; for attendees without an email match, name suggestions from the display
    /// name or a `first.last` address. The user's own addresses are never matched.
    pub fn match_attendee(
        &self,
        address: &str,
        display_name: Option<&str>,
        is_self: bool,
    ) -> Outcome {
        if is_self || self.own.contains(address) {
            return Outcome::Unmatched;
        }
        if let Some(found) = self.match_email(address) {
            return Outcome::Linked(found);
        }
        let name = display_name
            .map(str::to_string)
            .filter(|n| normalize_name(n).split_whitespace().count() >= 2)
            .or_else(|| name_from_address(address));
        match name.map(|n| self.suggest(&n)) {
            Some(list) if !list.is_empty() => Outcome::Suggested(list),
            _ => Outcome::Unmatched,
        }
    }
}

/// First letters of the first and the last word.
fn initials(name: &str) -> Option<(char, char)> {
    let first = name.split_whitespace().next()?.chars().next()?;
    let last = name.split_whitespace().last()?.chars().next()?;
    Some((first, last))
}

/// 0.92 → 60, 1.0 → 90, linear in between.
fn name_confidence(score: f64) -> u8 {
    let t = ((score - NAME_THRESHOLD) / (1.0 - NAME_THRESHOLD)).clamp(0.0, 1.0);
    (60.0 + t * 30.0).round() as u8
}
