//! Opaque page and sync tokens. A sync token is (calendar, change sequence, generation); a
//! page token also carries the listing it continues and where the listing's snapshot was taken.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::calendars::Listing;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncToken {
    pub calendar: String,
    pub seq: u64,
    pub generation: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsPageToken {
    pub calendar: String,
    pub generation: u64,
    /// Sequence at the first page; the last page's sync token names it.
    pub snapshot: u64,
    pub cursor: u64,
    /// `Some(seq)` for an incremental listing, `None` for a full one.
    pub since: Option<u64>,
    pub time_min: Option<DateTime<Utc>>,
    pub time_max: Option<DateTime<Utc>>,
    pub show_deleted: bool,
}

impl EventsPageToken {
    pub fn listing(&self) -> Listing {
        match self.since {
            Some(since) => Listing::Since { since },
            None => Listing::Full {
                time_min: self.time_min,
                time_max: self.time_max,
                show_deleted: self.show_deleted,
            },
        }
    }
}

/// calendarList pages are plain offsets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListPageToken {
    pub offset: usize,
}

const SYNC_PREFIX: &str = "fgS";
const PAGE_PREFIX: &str = "fgP";
const LIST_PREFIX: &str = "fgL";

pub fn encode_sync(token: &SyncToken) -> String {
    encode(SYNC_PREFIX, token)
}

pub fn decode_sync(text: &str) -> Option<SyncToken> {
    decode(SYNC_PREFIX, text)
}

pub fn encode_page(token: &EventsPageToken) -> String {
    encode(PAGE_PREFIX, token)
}

pub fn decode_page(text: &str) -> Option<EventsPageToken> {
    decode(PAGE_PREFIX, text)
}

pub fn encode_list_page(token: &ListPageToken) -> String {
    encode(LIST_PREFIX, token)
}

pub fn decode_list_page(text: &str) -> Option<ListPageToken> {
    decode(LIST_PREFIX, text)
}

fn encode<T: Serialize>(prefix: &str, value: &T) -> String {
    let json = serde_json::to_vec(value).expect("tokens serialize");
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(json))
}

fn decode<T: DeserializeOwned>(prefix: &str, text: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(text.strip_prefix(prefix)?).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_do_not_mix() {
        let sync = SyncToken {
            calendar: "me@example.com".into(),
            seq: 7,
            generation: 2,
        };
        let text = encode_sync(&sync);
        assert_eq!(decode_sync(&text), Some(sync));
        assert_eq!(decode_page(&text), None);
        assert_eq!(decode_sync("garbage"), None);
        let list = ListPageToken { offset: 3 };
        assert_eq!(decode_list_page(&encode_list_page(&list)), Some(list));
    }
}
