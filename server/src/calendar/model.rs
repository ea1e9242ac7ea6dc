//! Provider-neutral calendar data as Rondo stores it.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use app::models::{ConnectionStatus, EventStatus, Response};

use crate::matcher::Guest;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum When {
    At(DateTime<Utc>),
    /// All-day: a calendar date, never shifted by time zones.
    Day(NaiveDate),
}

impl When {
    /// The instant used for ordering and range queries (midnight UTC for dates).
    pub fn instant(&self) -> DateTime<Utc> {
        match self {
            When::At(at) => *at,
            When::Day(day) => day.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
        }
    }

    /// How an occurrence of a series is identified (its original start), for every provider:
    /// UTC to the second, or the date for all-day series.
    pub fn occurrence_id(&self) -> String {
        match self {
            When::At(at) => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            When::Day(day) => day.format("%Y-%m-%d").to_string(),
        }
    }

    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            When::Day(d) => Some(*d),
            When::At(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttendeeRecord {
    pub email: String,
    pub name: Option<String>,
    pub response: Option<Response>,
    pub role: Option<String>,
    /// Rooms and other resources are never matched to people.
    pub is_resource: bool,
    /// The connected account itself.
    pub is_self: bool,
}

impl AttendeeRecord {
    /// What the matcher looks at.
    pub fn guest(&self) -> Guest<'_> {
        Guest {
            email: &self.email,
            name: self.name.as_deref(),
            is_resource: self.is_resource,
            is_self: self.is_self,
        }
    }
}

/// One event occurrence, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub uid: String,
    /// `None` for single events; the occurrence's original start otherwise.
    pub recurrence_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub start: When,
    pub end: When,
    pub time_zone: Option<String>,
    pub status: EventStatus,
    pub organizer: Option<AttendeeRecord>,
    pub attendees: Vec<AttendeeRecord>,
    pub meeting_url: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    /// A Google out-of-office entry (stored only when the connection shows them): no guests,
    /// never matched, logged or joined.
    pub out_of_office: bool,
    /// The event in the provider's web calendar (Google's `htmlLink`).
    pub web_url: Option<String>,
}

impl EventRecord {
    pub fn all_day(&self) -> bool {
        matches!(self.start, When::Day(_))
    }

    pub fn guests(&self) -> impl Iterator<Item = Guest<'_>> {
        guests(self.organizer.as_ref(), &self.attendees)
    }
}

/// An event's organizer first, then its attendees, as the matcher sees them.
pub fn guests<'a>(
    organizer: Option<&'a AttendeeRecord>,
    attendees: &'a [AttendeeRecord],
) -> impl Iterator<Item = Guest<'a>> {
    organizer
        .into_iter()
        .chain(attendees)
        .map(AttendeeRecord::guest)
}

/// What a sync changed, summed over calendars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
}

impl std::ops::AddAssign for Changes {
    fn add_assign(&mut self, other: Self) {
        self.added += other.added;
        self.changed += other.changed;
        self.removed += other.removed;
    }
}

/// A failed sync in words a user can act on, and the status it leaves the connection in.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncFailure {
    pub message: String,
    pub status: ConnectionStatus,
}

impl SyncFailure {
    pub fn error(message: impl Into<String>) -> Self {
        SyncFailure {
            message: message.into(),
            status: ConnectionStatus::Error,
        }
    }

    pub fn needs_reauth(message: impl Into<String>) -> Self {
        SyncFailure {
            message: message.into(),
            status: ConnectionStatus::NeedsReauth,
        }
    }

    /// Storing failed: details go to the log, the user gets a plain sentence.
    pub fn storage(error: crate::error::StoreError) -> Self {
        tracing::error!(error = %error, "storing calendar data failed");
        SyncFailure::error("Rondo could not save the calendar data. Try again later.")
    }
}

/// What one sync of one connection did.
#[derive(Debug, Default)]
pub struct SyncOutcome {
    pub changes: Changes,
    pub warnings: Vec<String>,
    /// Addresses the provider marked as the account itself (Google's `self`), as seen in the
    /// stored events: recorded as the user's own.
    pub self_addresses: std::collections::BTreeSet<String>,
}

/// A calendar colour as pages may use it: `#rrggbb` (Apple's `#rrggbbaa` loses its alpha).
/// Anything else — names, `rgb()`, stray characters — is dropped, so nothing foreign ever
/// reaches a `style` attribute.
pub fn hex_color(raw: &str) -> Option<String> {
    let hex = raw.trim().strip_prefix('#')?;
    let digits = match hex.len() {
        6 | 8 if hex.bytes().all(|b| b.is_ascii_hexdigit()) => &hex[..6],
        _ => return None,
    };
    Some(format!("#{digits}"))
}

/// A link pages may offer as "Join": absolute http(s) only, so a provider's `javascript:` or
/// `data:` URL never becomes clickable.
pub fn web_link(raw: &str) -> Option<String> {
    let url = reqwest::Url::parse(raw.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
        .then(|| raw.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::{hex_color, web_link};

    #[test]
    fn only_web_links_can_be_joined() {
        assert_eq!(
            web_link(" https://meet.google.com/abc-defg-hij ").as_deref(),
            Some("https://meet.google.com/abc-defg-hij")
        );
        assert!(web_link("http://zoom.us/j/1").is_some());
        assert_eq!(web_link("javascript:alert(1)"), None);
        assert_eq!(web_link("data:text/html,hi"), None);
        assert_eq!(web_link("/relative/path"), None);
        assert_eq!(web_link("file:///etc/passwd"), None);
    }

    #[test]
    fn only_hex_colours_pass() {
        assert_eq!(hex_color("#FF2968FF").as_deref(), Some("#FF2968"));
        assert_eq!(hex_color(" #0b8043 ").as_deref(), Some("#0b8043"));
        assert_eq!(hex_color("#12345é8"), None);
        assert_eq!(hex_color("#fff"), None);
        assert_eq!(hex_color("red;background:url(x)"), None);
        assert_eq!(hex_color("#12345g"), None);
    }
}
