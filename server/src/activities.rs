//! Activities: meetings, calls, emails and notes linked to one or more people.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use app::limits;
use app::models::{
    Activity, ActivityInput, ActivityKind, Page, RecentContact, UserInfo, ACTIVITIES_PER_PAGE,
};
use app::time::from_local_input;

use crate::db::{count_of, inlined, CountRow, Db, Literal};
use crate::error::{within, StoreError};
use crate::freshness::{touched, Data, UserCache};
use crate::ids::{new_id, record};
use crate::meeting_notes::MeetingNotes;
use crate::people::People;

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct ActivityRow {
    id: String,
    kind: String,
    occurred_at: DateTime<Utc>,
    title: String,
    notes: String,
    people: Vec<String>,
    source: Option<String>,
}

const FIELDS: &str = "record::id(id) AS id, kind, occurred_at, title, notes, people, source";

/// For a connection's deletion (binds `$owner`, `$prefix`): activities logged from its events
/// stay, without the link to them.
pub(crate) const UNLINK_SOURCES_WITH_PREFIX: &str = "UPDATE activity SET source = NONE WHERE owner = $owner AND string::starts_with(source ?? '', $prefix);";

/// A new activity as the domain sees it (already validated and in UTC).
#[derive(Debug, Clone)]
pub struct NewActivity {
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub title: String,
    pub notes: String,
    pub people: Vec<String>,
    /// Where it came from, e.g. a calendar event; at most one activity per source.
    pub source: Option<String>,
    /// Created by auto-logging (removed again if the meeting is cancelled, unless edited).
    pub auto_logged: bool,
}

/// An activity created in bulk (demo data), stored as given.
#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ImportedActivity {
    pub owner: String,
    pub kind: String,
    pub occurred_at: chrono::DateTime<Utc>,
    pub title: String,
    pub notes: String,
    pub people: Vec<String>,
    pub source: Option<String>,
    pub source_key: String,
    pub edited: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

#[derive(Clone)]
pub struct Activities {
    db: Db,
    meeting_notes: MeetingNotes,
    /// How many activities each user has: counted from index keys (6 ms at 15,000), shown on
    /// the dashboard, which is read afresh after a sync or each minute.
    counted: Arc<UserCache<(), u64>>,
}

impl Activities {
    pub fn new(db: Db) -> Self {
        Self {
            meeting_notes: MeetingNotes::new(db.clone()),
            db,
            counted: Arc::new(UserCache::new(&[Data::Activities])),
        }
    }

    fn rid(id: &str) -> Result<RecordId, StoreError> {
        record("activity", id).ok_or(StoreError::NotFound("activity"))
    }

    fn trash_rid(id: &str) -> Result<RecordId, StoreError> {
        record("activity_trash", id).ok_or(StoreError::NotFound("activity"))
    }

    async fn to_models(
        &self,
        people: &People,
        owner: &str,
        rows: Vec<ActivityRow>,
    ) -> Result<Vec<Activity>, StoreError> {
        let mut ids: Vec<String> = rows.iter().flat_map(|r| r.people.iter().cloned()).collect();
        ids.sort();
        ids.dedup();
        let refs = people.refs(owner, &ids).await?;
        let sources = rows.iter().filter_map(|r| r.source.clone()).collect();
        let mut notes = self.meeting_notes.for_sources(owner, sources).await?;
        Ok(rows
            .into_iter()
            .map(|r| Activity {
                meeting_notes: r.source.as_ref().and_then(|s| notes.remove(s)),
                kind: ActivityKind::parse(&r.kind).unwrap_or(ActivityKind::Other),
                people: r
                    .people
                    .iter()
                    .filter_map(|id| refs.iter().find(|p| &p.id == id).cloned())
                    .collect(),
                id: r.id,
                occurred_at: r.occurred_at,
                title: r.title,
                notes: r.notes,
                source: r.source,
            })
            .collect())
    }

    pub async fn for_person(
        &self,
        people: &People,
        owner: &str,
        person_id: &str,
        page: u32,
    ) -> Result<Page<Activity>, StoreError> {
        people.get(owner, person_id).await?;
        let page = page.max(1);
        let mut response = self
            .db
            .query(format!(
                "SELECT {FIELDS} FROM activity WHERE owner = $owner AND people CONTAINS $person ORDER BY occurred_at DESC LIMIT $limit START $start;
                 SELECT count() AS n FROM activity WHERE owner = $owner AND people CONTAINS $person GROUP ALL;"
            ))
            .bind(("owner", owner.to_string()))
            .bind(("person", person_id.to_string()))
            .bind(("limit", ACTIVITIES_PER_PAGE as i64))
            .bind(("start", ((page - 1) * ACTIVITIES_PER_PAGE) as i64))
            .await?;
        let rows: Vec<ActivityRow> = response.take(0)?;
        let total: Option<CountRow> = response.take(1)?;
        Ok(Page {
            items: self.to_models(people, owner, rows).await?,
            total: count_of(total),
            page,
            per_page: ACTIVITIES_PER_PAGE,
        })
    }

    pub async fn recent(
        &self,
        people: &People,
        owner: &str,
        limit: i64,
    ) -> Result<Vec<Activity>, StoreError> {
        let rows: Vec<ActivityRow> = self
            .db
            .query(format!("SELECT {FIELDS} FROM activity WHERE owner = $owner ORDER BY occurred_at DESC LIMIT $limit"))
            .bind(("owner", owner.to_string()))
            .bind(("limit", limit))
            .await?
            .take(0)?;
        self.to_models(people, owner, rows).await
    }

    /// When the user met `person` by the meetings and calls logged with them: the latest
    /// `recent` up to `now`, newest first.
    pub async fn met_at(
        &self,
        owner: &str,
        person: &str,
        now: DateTime<Utc>,
        recent: usize,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        Ok(self
            .db
            .query("SELECT VALUE occurred_at FROM activity WHERE owner = $owner AND people CONTAINS $person
                AND kind IN ['meeting', 'call'] AND occurred_at <= $now ORDER BY occurred_at DESC LIMIT $recent")
            .bind(("owner", owner.to_string()))
            .bind(("person", person.to_string()))
            .bind(("recent", recent as i64))
            .bind(("now", now))
            .await?
            .take(0)?)
    }

    /// The people with the latest activities up to `now` (logged meetings included), most
    /// recent first, each with when that was.
    pub async fn recently_contacted(
        &self,
        people: &People,
        owner: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<RecentContact>, StoreError> {
        #[derive(Debug, SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct Touch {
            people: Vec<String>,
            occurred_at: DateTime<Utc>,
        }
        // Newest activities first, a page at a time until enough different people turned up;
        // bounded, so a very busy week costs no more than `MAX_PAGES` pages.
        const PAGE: i64 = 40;
        const MAX_PAGES: i64 = 12;
        let mut latest: Vec<(String, DateTime<Utc>)> = Vec::new();
        for page in 0..MAX_PAGES {
            let touches: Vec<Touch> = self
                .db
                .query("SELECT people, occurred_at FROM activity WHERE owner = $owner AND occurred_at <= $now ORDER BY occurred_at DESC LIMIT $limit START $start")
                .bind(("owner", owner.to_string()))
                .bind(("now", now))
                .bind(("limit", PAGE))
                .bind(("start", page * PAGE))
                .await?
                .take(0)?;
            let last_page = (touches.len() as i64) < PAGE;
            for touch in touches {
                for person in touch.people {
                    if latest.len() < limit && !latest.iter().any(|(p, _)| *p == person) {
                        latest.push((person, touch.occurred_at));
                    }
                }
            }
            if last_page || latest.len() >= limit {
                break;
            }
        }
        let ids: Vec<String> = latest.iter().map(|(p, _)| p.clone()).collect();
        let refs = people.refs(owner, &ids).await?;
        Ok(latest
            .into_iter()
            .filter_map(|(id, at)| {
                let person = refs.iter().find(|r| r.id == id)?.clone();
                Some(RecentContact { person, at })
            })
            .collect())
    }

    /// How many activities the user has (kept until their activities change).
    pub async fn count(&self, owner: &str) -> Result<u64, StoreError> {
        self.counted
            .get_or_load(owner, (), async {
                let row: Option<CountRow> = self
                    .db
                    .query(inlined(
                        "SELECT count() AS n FROM activity WHERE owner = $owner GROUP ALL",
                        &[("owner", Literal::key(owner)?)],
                    ))
                    .await?
                    .take(0)?;
                Ok::<_, StoreError>(count_of(row))
            })
            .await
    }

    pub async fn get(
        &self,
        people: &People,
        owner: &str,
        id: &str,
    ) -> Result<Activity, StoreError> {
        let row: Option<ActivityRow> = self
            .db
            .query(format!("SELECT {FIELDS} FROM $rid WHERE owner = $owner"))
            .bind(("rid", Self::rid(id)?))
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        let row = row.ok_or(StoreError::NotFound("activity"))?;
        Ok(self.to_models(people, owner, vec![row]).await?.remove(0))
    }

    /// Checks a form submission and turns it into a `NewActivity` in UTC.
    pub async fn validate(
        &self,
        people: &People,
        user: &UserInfo,
        input: &ActivityInput,
    ) -> Result<NewActivity, StoreError> {
        let title = input.title.trim().to_string();
        if title.is_empty() {
            return Err(StoreError::Invalid("Give the activity a title.".into()));
        }
        within("The title", &title, limits::TITLE)?;
        within("The notes", input.notes.trim(), limits::NOTES)?;
        let occurred_at = from_local_input(&input.occurred_at, &user.time_zone)
            .ok_or_else(|| StoreError::Invalid("Enter a valid date and time.".into()))?;
        let mut ids: Vec<String> = input
            .people
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        ids.sort();
        ids.dedup();
        let known = people.refs(&user.id, &ids).await?;
        if ids.is_empty() || known.len() != ids.len() {
            return Err(StoreError::Invalid(
                "Link the activity to at least one of your people.".into(),
            ));
        }
        Ok(NewActivity {
            kind: input.kind,
            occurred_at,
            title,
            notes: input.notes.trim().to_string(),
            people: ids,
            source: None,
            auto_logged: false,
        })
    }

    /// Creates an activity. With a `source` that was logged before, returns the existing id.
    pub async fn create(&self, owner: &str, activity: NewActivity) -> Result<String, StoreError> {
        let id = new_id();
        let source_key = activity
            .source
            .clone()
            .unwrap_or_else(|| format!("manual:{id}"));
        let result = self
            .db
            .query(
                // Logging a meeting by hand undoes an earlier deletion of its activity.
                "IF $auto = false { DELETE dismissed_source WHERE owner = $owner AND source_key = $key; };
                 CREATE $rid CONTENT { owner: $owner, kind: $kind, occurred_at: $at, title: $title, notes: $notes, people: $people,
                   source: $source, source_key: $key, edited: false, auto_logged: $auto, created_at: time::now(), updated_at: time::now() }",
            )
            .bind(("rid", Self::rid(&id)?))
            .bind(("owner", owner.to_string()))
            .bind(("kind", activity.kind.as_str().to_string()))
            .bind(("at", activity.occurred_at))
            .bind(("title", activity.title))
            .bind(("notes", activity.notes))
            .bind(("people", activity.people))
            .bind(("source", activity.source.clone()))
            .bind(("key", source_key.clone()))
            .bind(("auto", activity.auto_logged))
            .await
            .and_then(|r| r.check())
            .map_err(StoreError::from);
        touched(owner, Data::Activities).await;
        match result {
            Err(e) if e.violates("activity_source") => {
                self.id_for_source(owner, &source_key).await?.ok_or(e)
            }
            Err(e) => Err(e),
            Ok(_) => Ok(id),
        }
    }

    pub async fn id_for_source(
        &self,
        owner: &str,
        source: &str,
    ) -> Result<Option<String>, StoreError> {
        #[derive(Debug, SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct IdRow {
            id: String,
        }
        let row: Option<IdRow> = self
            .db
            .query("SELECT record::id(id) AS id FROM activity WHERE owner = $owner AND source_key = $key LIMIT 1")
            .bind(("owner", owner.to_string()))
            .bind(("key", source.to_string()))
            .await?
            .take(0)?;
        Ok(row.map(|r| r.id))
    }

    /// Saves a user's edit; the activity is marked edited so automation never removes it.
    pub async fn update(
        &self,
        owner: &str,
        id: &str,
        activity: NewActivity,
    ) -> Result<(), StoreError> {
        let updated = self
            .db
            .query(
                "UPDATE $rid SET kind = $kind, occurred_at = $at, title = $title, notes = $notes, people = $people,
                   edited = true, updated_at = time::now() WHERE owner = $owner RETURN 1 AS n",
            )
            .bind(("rid", Self::rid(id)?))
            .bind(("owner", owner.to_string()))
            .bind(("kind", activity.kind.as_str().to_string()))
            .bind(("at", activity.occurred_at))
            .bind(("title", activity.title))
            .bind(("notes", activity.notes))
            .bind(("people", activity.people))
            .await;
        touched(owner, Data::Activities).await;
        let updated: Vec<CountRow> = updated?.take(0)?;
        if updated.is_empty() {
            Err(StoreError::NotFound("activity"))
        } else {
            Ok(())
        }
    }

    /// Deletes an activity, keeping it a week for [`Activities::restore`]. One logged from a
    /// meeting leaves a tombstone, so auto-logging never logs that meeting again (logging it by
    /// hand, or undoing the deletion, does).
    pub async fn delete(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let gone: Vec<serde_json::Value> = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 LET $gone = (DELETE $rid WHERE owner = $owner RETURN BEFORE);
                 IF array::len($gone) > 0 {
                     UPSERT $trash CONTENT { owner: $owner, deleted_at: time::now(), row: $gone[0] };
                 };
                 DELETE activity_trash WHERE owner = $owner AND deleted_at < time::now() - 7d;
                 RETURN $gone;
                 COMMIT TRANSACTION;",
            )
            .bind(("rid", Self::rid(id)?))
            .bind(("trash", Self::trash_rid(id)?))
            .bind(("owner", owner.to_string()))
            .await?
            .take(4)?; // BEGIN and COMMIT count as statements: RETURN is the fifth
        touched(owner, Data::Activities).await;
        let Some(gone) = gone.first() else {
            return Err(StoreError::NotFound("activity"));
        };
        let from_meeting = gone.get("source").is_some_and(|s| s.is_string());
        if let (true, Some(key)) = (
            from_meeting,
            gone.get("source_key").and_then(|k| k.as_str()),
        ) {
            self.db
                .query(
                    "IF array::len((SELECT VALUE id FROM dismissed_source WHERE owner = $owner AND source_key = $key)) = 0 {
                        CREATE dismissed_source CONTENT { owner: $owner, source_key: $key, dismissed_at: time::now() };
                     };",
                )
                .bind(("owner", owner.to_string()))
                .bind(("key", key.to_string()))
                .await?
                .check()?;
        }
        Ok(())
    }

    /// Undoes [`Activities::delete`] within a week: the activity comes back as it was (same id,
    /// links and source) and its meeting may be auto-logged again.
    pub async fn restore(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let mut response = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 LET $rows = (SELECT VALUE row FROM $trash WHERE owner = $owner);
                 IF array::len($rows) > 0 {
                     CREATE $rid CONTENT $rows[0];
                     DELETE dismissed_source WHERE owner = $owner AND source_key = $rows[0].source_key;
                     DELETE $trash;
                 };
                 RETURN array::len($rows);
                 COMMIT TRANSACTION;",
            )
            .bind(("rid", Self::rid(id)?))
            .bind(("trash", Self::trash_rid(id)?))
            .bind(("owner", owner.to_string()))
            .await?;
        touched(owner, Data::Activities).await;
        // In a failed transaction every statement reports an error; the cause is among them.
        let errors = response.take_errors();
        if errors
            .values()
            .any(|e| e.to_string().contains("activity_source"))
        {
            return Err(StoreError::Conflict(
                "This meeting was logged again meanwhile; that activity is kept.".into(),
            ));
        }
        if let Some(error) = errors.into_values().next() {
            return Err(error.into());
        }
        let restored: Option<i64> = response.take(3)?; // after BEGIN, LET and IF
        match restored {
            Some(n) if n > 0 => Ok(()),
            _ => Err(StoreError::Invalid(
                "This activity can no longer be restored (deleted activities are kept a week)."
                    .into(),
            )),
        }
    }

    /// Which of `sources` had their activity deleted by the user (never to be auto-logged again).
    pub async fn dismissed_sources(
        &self,
        owner: &str,
        sources: Vec<String>,
    ) -> Result<HashSet<String>, StoreError> {
        if sources.is_empty() {
            return Ok(HashSet::new());
        }
        let keys: Vec<String> = self
            .db
            .query("SELECT VALUE source_key FROM dismissed_source WHERE owner = $owner AND source_key IN $sources")
            .bind(("owner", owner.to_string()))
            .bind(("sources", sources))
            .await?
            .take(0)?;
        Ok(keys.into_iter().collect())
    }

    /// After a person was deleted: their activities stay, without them. (A link left behind by
    /// a crash in between is harmless: unknown people are never shown.)
    pub async fn unlink_person(&self, owner: &str, person: &str) -> Result<(), StoreError> {
        self.db
            .query("UPDATE activity SET people = array::complement(people, [$id]) WHERE owner = $owner AND people CONTAINS $id")
            .bind(("owner", owner.to_string()))
            .bind(("id", person.to_string()))
            .await?
            .check()?;
        touched(owner, Data::Activities).await;
        Ok(())
    }

    /// Stores a batch of activities as given.
    pub async fn import(&self, activities: Vec<ImportedActivity>) -> Result<(), StoreError> {
        let owners: HashSet<String> = activities.iter().map(|a| a.owner.clone()).collect();
        self.db
            .query("INSERT INTO activity $activities;")
            .bind(("activities", activities))
            .await?
            .check()?;
        for owner in owners {
            touched(&owner, Data::Activities).await;
        }
        Ok(())
    }

    /// Which of `sources` were logged, and as which activity.
    pub async fn logged_sources(
        &self,
        owner: &str,
        sources: Vec<String>,
    ) -> Result<HashMap<String, String>, StoreError> {
        #[derive(Debug, SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct Logged {
            id: String,
            source_key: String,
        }
        if sources.is_empty() {
            return Ok(HashMap::new());
        }
        // One lookup of the (owner, source_key) index per source, in one round trip
        // (`source_key IN $sources` read all of the user's activities).
        let statements: String = (0..sources.len())
            .map(|i| format!("SELECT record::id(id) AS id, source_key FROM activity WHERE owner = $owner AND source_key = $s{i};"))
            .collect();
        let mut query = self.db.query(statements).bind(("owner", owner.to_string()));
        for (i, source) in sources.iter().enumerate() {
            query = query.bind((format!("s{i}"), source.clone()));
        }
        let mut response = query.await?;
        let mut logged = HashMap::new();
        for i in 0..sources.len() {
            let rows: Vec<Logged> = response.take(i)?;
            logged.extend(rows.into_iter().map(|l| (l.source_key, l.id)));
        }
        Ok(logged)
    }

    /// Removes the auto-logged, unedited activities of `sources` (cancelled meetings); returns
    /// how many were (or, in a dry run, would be) removed.
    pub async fn forget_auto_logged(
        &self,
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
        let mut response = self
            .db
            .query(query)
            .bind(("owner", owner.to_string()))
            .bind(("sources", sources))
            .await?;
        if !dry_run {
            touched(owner, Data::Activities).await;
        }
        Ok(if dry_run {
            count_of(response.take::<Option<CountRow>>(0)?)
        } else {
            response.take::<Vec<surrealdb::types::Value>>(0)?.len() as u64
        })
    }
}
