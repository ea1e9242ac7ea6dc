//! Auto-logging: every meeting that ended, was not cancelled or declined, is not all-day and has
//! a matched person becomes a meeting activity, exactly once (the unique source rule makes
//! repeated and concurrent runs harmless). Cancelled meetings lose their auto-created activity
//! unless the user edited it.
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

use super::meetings::{activity_for, Meetings};
use super::store::ConnectionRow;
use crate::activities::Activities;
use crate::db::Db;
use crate::error::StoreError;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AutoLogReport {
    /// Activities created (or, in a dry run, that would be).
    pub logged: Vec<String>,
    pub removed: u64,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Key {
    source_key: String,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Count {
    n: i64,
}

/// Logs a connection's ended meetings inside its window (never back-filling older ones).
pub async fn run(
    db: &Db,
    meetings: &Meetings,
    activities: &Activities,
    connection: &ConnectionRow,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<AutoLogReport, StoreError> {
    let owner = connection.owner.as_str();
    let (from, _) = connection.window(now);
    let candidates = meetings.loggable(owner, &connection.id, from, now).await?;
    let sources: Vec<String> = candidates.iter().map(|e| e.source()).collect();
    let existing: Vec<Key> = db
        .query("SELECT source_key FROM activity WHERE owner = $owner AND source_key IN $sources")
        .bind(("owner", owner.to_string()))
        .bind(("sources", sources))
        .await?
        .take(0)?;
    let mut report = AutoLogReport::default();
    for event in candidates
        .iter()
        .filter(|e| !existing.iter().any(|k| k.source_key == e.source()))
    {
        if !dry_run {
            let mut activity = activity_for(event);
            activity.auto_logged = true;
            activities.create(owner, activity).await?;
        }
        report.logged.push(event.title.clone());
    }
    let cancelled = meetings.cancelled_sources(owner, &connection.id).await?;
    report.removed = forget_cancelled(db, owner, cancelled, dry_run).await?;
    Ok(report)
}

/// Removes the auto-logged, unedited activities of cancelled meetings (`sources`); returns how
/// many were (or, in a dry run, would be) removed.
pub async fn forget_cancelled(
    db: &Db,
    owner: &str,
    sources: Vec<String>,
    dry_run: bool,
) -> Result<u64, StoreError> {
    if sources.is_empty() {
        return Ok(0);
    }
    let query = if dry_run {
        "SELECT count() AS n FROM activity WHERE owner = $owner AND source_key IN $sources AND auto_logged = true AND edited = false GROUP ALL"
    } else {
        "DELETE activity WHERE owner = $owner AND source_key IN $sources AND auto_logged = true AND edited = false RETURN BEFORE"
    };
    let mut response = db
        .query(query)
        .bind(("owner", owner.to_string()))
        .bind(("sources", sources))
        .await?;
    Ok(if dry_run {
        response
            .take::<Option<Count>>(0)?
            .map(|c| c.n.max(0) as u64)
            .unwrap_or(0)
    } else {
        response.take::<Vec<serde_json::Value>>(0)?.len() as u64
    })
}
