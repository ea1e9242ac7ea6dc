//! Auto-logging: every meeting that ended, was not cancelled or declined, is not all-day and has
//! a matched person becomes a meeting activity, exactly once (the unique source rule makes
//! repeated and concurrent runs harmless). Meetings cancelled, or declined by the user under any
//! of their addresses, lose their auto-created activity unless the user edited it (one logged
//! by hand stays). A meeting whose activity the user deleted is never logged again
//! automatically.
use chrono::{DateTime, Utc};

use super::meetings::activity_for;
use super::store::{ConnectionRow, EventStore};
use crate::activities::Activities;
use crate::error::StoreError;
use crate::matcher::OwnAddresses;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AutoLogReport {
    /// Titles of the activities created (or, in a dry run, that would be).
    pub logged: Vec<String>,
    pub removed: u64,
}

/// Logs a connection's ended meetings inside its window (never back-filling older ones).
pub async fn run(
    events: &EventStore,
    activities: &Activities,
    connection: &ConnectionRow,
    own: &OwnAddresses,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<AutoLogReport, StoreError> {
    let owner = connection.owner.as_str();
    let (from, _) = connection.window(now);
    let candidates = events
        .loggable(owner, &connection.id, (from, now), own)
        .await?;
    let sources: Vec<String> = candidates.iter().map(|e| e.source()).collect();
    let logged = activities.logged_sources(owner, sources.clone()).await?;
    // A meeting whose activity the user deleted stays un-logged.
    let dismissed = activities.dismissed_sources(owner, sources).await?;
    let mut report = AutoLogReport::default();
    for event in candidates
        .iter()
        .filter(|e| !logged.contains_key(&e.source()) && !dismissed.contains(&e.source()))
    {
        if !dry_run {
            let mut activity = activity_for(event);
            activity.auto_logged = true;
            activities.create(owner, activity).await?;
        }
        report.logged.push(event.title.clone());
    }
    let mut gone = events.cancelled_sources(owner, &connection.id).await?;
    gone.extend(events.declined_sources(owner, &connection.id, own).await?);
    report.removed = activities.forget_auto_logged(owner, gone, dry_run).await?;
    Ok(report)
}
