//! Meeting notes: what the user writes about one meeting (one occurrence), kept by the event's
//! source key, so they survive re-syncs that rewrite the event and show on its logged activity.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use app::limits;

use crate::db::Db;
use crate::error::{within, StoreError};
use crate::freshness::{touched, Data};

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct NoteRow {
    source_key: String,
    text: String,
    updated_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct MeetingNotes {
    db: Db,
}

impl MeetingNotes {
    pub fn new(db: Db) -> Self {
        MeetingNotes { db }
    }

    /// The notes for one meeting and when they were last saved.
    pub async fn get(
        &self,
        owner: &str,
        source: &str,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let row: Option<NoteRow> = self
            .db
            .query("SELECT source_key, text, updated_at FROM meeting_note WHERE owner = $owner AND source_key = $key LIMIT 1")
            .bind(("owner", owner.to_string()))
            .bind(("key", source.to_string()))
            .await?
            .take(0)?;
        Ok(row.map(|r| (r.text, r.updated_at)))
    }

    /// Saves the notes as typed; empty notes are removed.
    pub async fn save(&self, owner: &str, source: &str, text: &str) -> Result<(), StoreError> {
        within("The meeting notes", text, limits::NOTES)?;
        // One record per meeting, named by owner and source, so concurrent saves cannot make two.
        let query = if text.trim().is_empty() {
            "DELETE type::record('meeting_note', [$owner, $key])"
        } else {
            "UPSERT type::record('meeting_note', [$owner, $key])
                CONTENT { owner: $owner, source_key: $key, text: $text, updated_at: time::now() }"
        };
        let saved = self
            .db
            .query(query)
            .bind(("owner", owner.to_string()))
            .bind(("key", source.to_string()))
            .bind(("text", text.to_string()))
            .await;
        // The notes show on the meeting's logged activity.
        touched(owner, Data::Activities).await;
        saved?.check()?;
        Ok(())
    }

    /// The notes of those `sources` that have any, by source.
    pub async fn for_sources(
        &self,
        owner: &str,
        sources: Vec<String>,
    ) -> Result<HashMap<String, String>, StoreError> {
        if sources.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<NoteRow> = self
            .db
            .query("SELECT source_key, text, updated_at FROM meeting_note WHERE owner = $owner AND source_key IN $keys")
            .bind(("owner", owner.to_string()))
            .bind(("keys", sources))
            .await?
            .take(0)?;
        Ok(rows.into_iter().map(|r| (r.source_key, r.text)).collect())
    }
}
