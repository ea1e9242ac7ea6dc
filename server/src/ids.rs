//! Record ids: random, URL-safe keys shown to the client as plain strings.
use surrealdb::types::RecordId;

pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A record id for a key that came from a client; anything but `[0-9a-z]` is refused so a
/// crafted id can never name another table.
pub fn record(table: &'static str, key: &str) -> Option<RecordId> {
    let valid =
        !key.is_empty() && key.len() <= 64 && key.bytes().all(|b| b.is_ascii_alphanumeric());
    valid.then(|| RecordId::new(table, key))
}
