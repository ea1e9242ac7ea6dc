//! Versioned schema migrations, applied in order at start-up. Each version runs once; the
//! statements themselves are also idempotent (`IF NOT EXISTS`) so a crash mid-way is harmless.
//! Several processes starting at once on one shared database take turns: one applies what is
//! missing under a lock while the others wait, then find nothing left to do.
use std::time::Duration;

use chrono::Utc;
use surrealdb::types::SurrealValue;

use crate::db::{retrying, Db};
use crate::error::StoreError;

/// How long the migration lock holds: a process that crashed holding it delays other starts
/// by at most this much.
const LOCK_FOR: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// How often a waiting process looks at the lock again.
const LOCK_POLL: Duration = Duration::from_millis(200);

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "accounts, people, emails, activities",
        sql: r#"
DEFINE TABLE IF NOT EXISTS migration SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS version ON migration TYPE int;
DEFINE FIELD IF NOT EXISTS name ON migration TYPE string;
DEFINE FIELD IF NOT EXISTS applied_at ON migration TYPE datetime;
DEFINE INDEX IF NOT EXISTS migration_version ON migration FIELDS version UNIQUE;

DEFINE TABLE IF NOT EXISTS user SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS email ON user TYPE string;
DEFINE FIELD IF NOT EXISTS email_key ON user TYPE string;
DEFINE FIELD IF NOT EXISTS name ON user TYPE string;
DEFINE FIELD IF NOT EXISTS password_hash ON user TYPE string;
DEFINE FIELD IF NOT EXISTS time_zone ON user TYPE string;
DEFINE FIELD IF NOT EXISTS created_at ON user TYPE datetime;
DEFINE INDEX IF NOT EXISTS user_email ON user FIELDS email_key UNIQUE;

DEFINE TABLE IF NOT EXISTS session SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS token_hash ON session TYPE string;
DEFINE FIELD IF NOT EXISTS user ON session TYPE string;
DEFINE FIELD IF NOT EXISTS created_at ON session TYPE datetime;
DEFINE FIELD IF NOT EXISTS expires_at ON session TYPE datetime;
DEFINE INDEX IF NOT EXISTS session_token ON session FIELDS token_hash UNIQUE;
DEFINE INDEX IF NOT EXISTS session_user ON session FIELDS user;

DEFINE TABLE IF NOT EXISTS person SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON person TYPE string;
DEFINE FIELD IF NOT EXISTS first_name ON person TYPE string;
DEFINE FIELD IF NOT EXISTS last_name ON person TYPE string;
DEFINE FIELD IF NOT EXISTS sort_name ON person TYPE string;
DEFINE FIELD IF NOT EXISTS organization ON person TYPE string;
DEFINE FIELD IF NOT EXISTS job_title ON person TYPE string;
DEFINE FIELD IF NOT EXISTS notes ON person TYPE string;
DEFINE FIELD IF NOT EXISTS favorite ON person TYPE bool;
DEFINE FIELD IF NOT EXISTS primary_email ON person TYPE option<string>;
DEFINE FIELD IF NOT EXISTS phones ON person TYPE array<object>;
DEFINE FIELD IF NOT EXISTS phones.*.number ON person TYPE string;
DEFINE FIELD IF NOT EXISTS phones.*.label ON person TYPE string;
DEFINE FIELD IF NOT EXISTS search_text ON person TYPE string;
DEFINE FIELD IF NOT EXISTS created_at ON person TYPE datetime DEFAULT time::now();
DEFINE FIELD IF NOT EXISTS updated_at ON person TYPE datetime;
DEFINE INDEX IF NOT EXISTS person_owner_sort ON person FIELDS owner, sort_name;
DEFINE INDEX IF NOT EXISTS person_owner_favorite ON person FIELDS owner, favorite;

DEFINE TABLE IF NOT EXISTS person_email SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON person_email TYPE string;
DEFINE FIELD IF NOT EXISTS person ON person_email TYPE string;
DEFINE FIELD IF NOT EXISTS address ON person_email TYPE string;
DEFINE FIELD IF NOT EXISTS normalized ON person_email TYPE string;
DEFINE FIELD IF NOT EXISTS label ON person_email TYPE string;
DEFINE FIELD IF NOT EXISTS primary ON person_email TYPE bool;
DEFINE FIELD IF NOT EXISTS position ON person_email TYPE int;
DEFINE INDEX IF NOT EXISTS person_email_unique ON person_email FIELDS owner, normalized UNIQUE;
DEFINE INDEX IF NOT EXISTS person_email_person ON person_email FIELDS owner, person;

DEFINE TABLE IF NOT EXISTS activity SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON activity TYPE string;
DEFINE FIELD IF NOT EXISTS kind ON activity TYPE string ASSERT $value IN ["meeting", "call", "email", "note", "other"];
DEFINE FIELD IF NOT EXISTS occurred_at ON activity TYPE datetime;
DEFINE FIELD IF NOT EXISTS title ON activity TYPE string;
DEFINE FIELD IF NOT EXISTS notes ON activity TYPE string;
DEFINE FIELD IF NOT EXISTS people ON activity TYPE array<string>;
DEFINE FIELD IF NOT EXISTS source ON activity TYPE option<string>;
DEFINE FIELD IF NOT EXISTS source_key ON activity TYPE string;
DEFINE FIELD IF NOT EXISTS edited ON activity TYPE bool;
DEFINE FIELD IF NOT EXISTS created_at ON activity TYPE datetime;
DEFINE FIELD IF NOT EXISTS updated_at ON activity TYPE datetime;
DEFINE INDEX IF NOT EXISTS activity_owner_time ON activity FIELDS owner, occurred_at;
DEFINE INDEX IF NOT EXISTS activity_people ON activity FIELDS owner, people;
-- One activity per source (e.g. a calendar event) per user; manual ones get a unique key.
DEFINE INDEX IF NOT EXISTS activity_source ON activity FIELDS owner, source_key UNIQUE;
"#,
    },
    Migration {
        version: 2,
        name: "calendar connections, calendars, events",
        sql: r#"
DEFINE TABLE IF NOT EXISTS connection SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON connection TYPE string;
DEFINE FIELD IF NOT EXISTS provider ON connection TYPE string ASSERT $value IN ["google", "caldav"];
DEFINE FIELD IF NOT EXISTS name ON connection TYPE string;
DEFINE FIELD IF NOT EXISTS server_url ON connection TYPE option<string>;
DEFINE FIELD IF NOT EXISTS username ON connection TYPE option<string>;
DEFINE FIELD IF NOT EXISTS account_email ON connection TYPE option<string>;
-- Sealed with the server key (see secrets.rs); never sent to a client.
DEFINE FIELD IF NOT EXISTS credential ON connection TYPE option<string>;
DEFINE FIELD IF NOT EXISTS sync_enabled ON connection TYPE bool;
DEFINE FIELD IF NOT EXISTS auto_log ON connection TYPE bool;
DEFINE FIELD IF NOT EXISTS days_back ON connection TYPE int;
DEFINE FIELD IF NOT EXISTS days_ahead ON connection TYPE int;
DEFINE FIELD IF NOT EXISTS last_sync_at ON connection TYPE option<datetime>;
DEFINE FIELD IF NOT EXISTS last_error ON connection TYPE option<string>;
DEFINE FIELD IF NOT EXISTS status ON connection TYPE string;
DEFINE FIELD IF NOT EXISTS created_at ON connection TYPE datetime DEFAULT time::now();
DEFINE INDEX IF NOT EXISTS connection_owner ON connection FIELDS owner;

DEFINE TABLE IF NOT EXISTS calendar SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON calendar TYPE string;
DEFINE FIELD IF NOT EXISTS connection ON calendar TYPE string;
DEFINE FIELD IF NOT EXISTS remote_id ON calendar TYPE string;
DEFINE FIELD IF NOT EXISTS name ON calendar TYPE string;
DEFINE FIELD IF NOT EXISTS color ON calendar TYPE option<string>;
DEFINE FIELD IF NOT EXISTS selected ON calendar TYPE bool;
DEFINE FIELD IF NOT EXISTS supports_sync ON calendar TYPE bool;
DEFINE FIELD IF NOT EXISTS sync_token ON calendar TYPE option<string>;
DEFINE FIELD IF NOT EXISTS ctag ON calendar TYPE option<string>;
DEFINE FIELD IF NOT EXISTS last_synced_at ON calendar TYPE option<datetime>;
DEFINE INDEX IF NOT EXISTS calendar_remote ON calendar FIELDS connection, remote_id UNIQUE;

-- One stored CalDAV object and its ETag, so unchanged objects are never fetched twice.
DEFINE TABLE IF NOT EXISTS calendar_object SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON calendar_object TYPE string;
DEFINE FIELD IF NOT EXISTS calendar ON calendar_object TYPE string;
DEFINE FIELD IF NOT EXISTS href ON calendar_object TYPE string;
DEFINE FIELD IF NOT EXISTS etag ON calendar_object TYPE string;
DEFINE INDEX IF NOT EXISTS calendar_object_href ON calendar_object FIELDS calendar, href UNIQUE;

DEFINE TABLE IF NOT EXISTS event SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON event TYPE string;
DEFINE FIELD IF NOT EXISTS connection ON event TYPE string;
DEFINE FIELD IF NOT EXISTS calendar ON event TYPE string;
DEFINE FIELD IF NOT EXISTS href ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS uid ON event TYPE string;
-- "" for a single event, else the occurrence's original start.
DEFINE FIELD IF NOT EXISTS recurrence_id ON event TYPE string;
DEFINE FIELD IF NOT EXISTS title ON event TYPE string;
DEFINE FIELD IF NOT EXISTS description ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS location ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS starts_at ON event TYPE datetime;
DEFINE FIELD IF NOT EXISTS ends_at ON event TYPE datetime;
DEFINE FIELD IF NOT EXISTS all_day ON event TYPE bool;
DEFINE FIELD IF NOT EXISTS start_date ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS end_date ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS time_zone ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS status ON event TYPE string;
DEFINE FIELD IF NOT EXISTS organizer ON event TYPE option<object>;
DEFINE FIELD IF NOT EXISTS organizer.email ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS organizer.name ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS attendees ON event TYPE array<object>;
DEFINE FIELD IF NOT EXISTS attendees.*.email ON event TYPE string;
DEFINE FIELD IF NOT EXISTS attendees.*.name ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS attendees.*.response ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS attendees.*.role ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS attendees.*.is_resource ON event TYPE bool;
DEFINE FIELD IF NOT EXISTS attendees.*.is_self ON event TYPE bool;
DEFINE FIELD IF NOT EXISTS meeting_url ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS etag ON event TYPE option<string>;
DEFINE FIELD IF NOT EXISTS last_modified ON event TYPE option<datetime>;
DEFINE FIELD IF NOT EXISTS updated_at ON event TYPE datetime;
DEFINE INDEX IF NOT EXISTS event_identity ON event FIELDS owner, connection, calendar, uid, recurrence_id UNIQUE;
DEFINE INDEX IF NOT EXISTS event_href ON event FIELDS calendar, href;
DEFINE INDEX IF NOT EXISTS event_owner_time ON event FIELDS owner, starts_at;
"#,
    },
    Migration {
        version: 3,
        name: "attendee matches on events",
        sql: r#"
DEFINE FIELD IF NOT EXISTS organizer.is_self ON event TYPE bool DEFAULT false;
DEFINE FIELD IF NOT EXISTS attendee_keys ON event TYPE array<string> DEFAULT [];
DEFINE FIELD IF NOT EXISTS people ON event TYPE array<string> DEFAULT [];
DEFINE FIELD IF NOT EXISTS matches ON event TYPE array<object> DEFAULT [];
DEFINE FIELD IF NOT EXISTS matches.*.email ON event TYPE string;
DEFINE FIELD IF NOT EXISTS matches.*.person ON event TYPE string;
DEFINE FIELD IF NOT EXISTS matches.*.confidence ON event TYPE int;
DEFINE FIELD IF NOT EXISTS matches.*.reason ON event TYPE string;
DEFINE FIELD IF NOT EXISTS matches.*.suggested ON event TYPE bool;
DEFINE INDEX IF NOT EXISTS event_people ON event FIELDS people;
DEFINE INDEX IF NOT EXISTS event_attendee_keys ON event FIELDS attendee_keys;
"#,
    },
    Migration {
        version: 4,
        name: "background sync: schedule, leases, history; auto-logged activities",
        sql: r#"
DEFINE FIELD IF NOT EXISTS next_sync_at ON connection TYPE option<datetime>;
DEFINE FIELD IF NOT EXISTS failures ON connection TYPE int DEFAULT 0;
DEFINE FIELD IF NOT EXISTS lease_until ON connection TYPE option<datetime>;
DEFINE FIELD IF NOT EXISTS lease_owner ON connection TYPE option<string>;
DEFINE TABLE IF NOT EXISTS sync_run SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON sync_run TYPE string;
DEFINE FIELD IF NOT EXISTS connection ON sync_run TYPE string;
DEFINE FIELD IF NOT EXISTS started_at ON sync_run TYPE datetime;
DEFINE FIELD IF NOT EXISTS finished_at ON sync_run TYPE datetime;
DEFINE FIELD IF NOT EXISTS added ON sync_run TYPE int;
DEFINE FIELD IF NOT EXISTS changed ON sync_run TYPE int;
DEFINE FIELD IF NOT EXISTS removed ON sync_run TYPE int;
DEFINE FIELD IF NOT EXISTS logged ON sync_run TYPE int DEFAULT 0;
DEFINE FIELD IF NOT EXISTS error ON sync_run TYPE option<string>;
DEFINE INDEX IF NOT EXISTS sync_run_connection ON sync_run FIELDS connection, started_at;
DEFINE FIELD IF NOT EXISTS auto_logged ON activity TYPE bool DEFAULT false;
"#,
    },
    Migration {
        version: 5,
        name: "google_oauth_state",
        sql: r#"
DEFINE TABLE IF NOT EXISTS oauth_state SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS state_hash ON oauth_state TYPE string;
DEFINE FIELD IF NOT EXISTS owner ON oauth_state TYPE string;
DEFINE FIELD IF NOT EXISTS session_hash ON oauth_state TYPE string;
DEFINE FIELD IF NOT EXISTS verifier ON oauth_state TYPE string;
DEFINE FIELD IF NOT EXISTS connection ON oauth_state TYPE option<string>;
DEFINE FIELD IF NOT EXISTS expires_at ON oauth_state TYPE datetime;
DEFINE INDEX IF NOT EXISTS oauth_state_hash ON oauth_state FIELDS state_hash UNIQUE;
"#,
    },
    Migration {
        version: 6,
        name: "sync safety: confirmed mass removals, stored objects for re-expansion",
        sql: r#"
-- A listing that would remove most of a calendar is applied only when the next one agrees.
DEFINE FIELD IF NOT EXISTS removal_pending ON calendar TYPE option<string>;
-- The window the stored occurrences were expanded for.
DEFINE FIELD IF NOT EXISTS expanded_from ON calendar TYPE option<datetime>;
DEFINE FIELD IF NOT EXISTS expanded_to ON calendar TYPE option<datetime>;
-- The object's iCalendar text (up to a size cap), to re-expand without refetching.
DEFINE FIELD IF NOT EXISTS data ON calendar_object TYPE option<string>;
"#,
    },
    Migration {
        version: 7,
        name: "sign-up invites",
        sql: r#"
-- Single-use codes from `rondo invite create`, stored hashed (see auth.rs).
DEFINE TABLE IF NOT EXISTS invite SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS code_hash ON invite TYPE string;
DEFINE FIELD IF NOT EXISTS created_at ON invite TYPE datetime;
DEFINE FIELD IF NOT EXISTS expires_at ON invite TYPE datetime;
DEFINE INDEX IF NOT EXISTS invite_code ON invite FIELDS code_hash UNIQUE;
"#,
    },
    Migration {
        version: 8,
        name: "dismissed meeting activities",
        sql: r#"
-- Meetings whose logged activity the user deleted: auto-logging leaves them alone.
DEFINE TABLE IF NOT EXISTS dismissed_source SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON dismissed_source TYPE string;
DEFINE FIELD IF NOT EXISTS source_key ON dismissed_source TYPE string;
DEFINE FIELD IF NOT EXISTS dismissed_at ON dismissed_source TYPE datetime;
DEFINE INDEX IF NOT EXISTS dismissed_source_key ON dismissed_source FIELDS owner, source_key UNIQUE;
"#,
    },
    Migration {
        version: 9,
        name: "deleted activities kept a week for undo",
        sql: r#"
-- `row` is the activity as it was, with its own types, so undo restores it exactly.
DEFINE TABLE IF NOT EXISTS activity_trash SCHEMALESS;
DEFINE INDEX IF NOT EXISTS activity_trash_owner ON activity_trash FIELDS owner, deleted_at;
"#,
    },
    Migration {
        version: 10,
        name: "meeting notes",
        sql: r#"
-- Notes per meeting occurrence, by the event's source key (kept across re-syncs).
DEFINE TABLE IF NOT EXISTS meeting_note SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON meeting_note TYPE string;
DEFINE FIELD IF NOT EXISTS source_key ON meeting_note TYPE string;
DEFINE FIELD IF NOT EXISTS text ON meeting_note TYPE string;
DEFINE FIELD IF NOT EXISTS updated_at ON meeting_note TYPE datetime;
DEFINE INDEX IF NOT EXISTS meeting_note_source ON meeting_note FIELDS owner, source_key UNIQUE;
"#,
    },
    Migration {
        version: 11,
        name: "my addresses",
        sql: r#"
-- The user's own addresses besides the sign-in one: reported by a calendar connection
-- (`connection` set, `scope` = its id) or added by hand (`scope` = 'manual'). See my_addresses.rs.
DEFINE TABLE IF NOT EXISTS my_address SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS owner ON my_address TYPE string;
DEFINE FIELD IF NOT EXISTS address ON my_address TYPE string;
DEFINE FIELD IF NOT EXISTS normalized ON my_address TYPE string;
DEFINE FIELD IF NOT EXISTS source ON my_address TYPE string ASSERT $value IN ["calendar", "manual"];
DEFINE FIELD IF NOT EXISTS connection ON my_address TYPE option<string>;
DEFINE FIELD IF NOT EXISTS scope ON my_address TYPE string;
DEFINE FIELD IF NOT EXISTS created_at ON my_address TYPE datetime DEFAULT time::now();
DEFINE INDEX IF NOT EXISTS my_address_unique ON my_address FIELDS owner, scope, normalized UNIQUE;
DEFINE INDEX IF NOT EXISTS my_address_owner ON my_address FIELDS owner;
"#,
    },
    Migration {
        version: 12,
        name: "page speed: index-backed day views, people's meetings and activities",
        sql: r#"
-- Occurrences longer than a day (events::MULTI_DAY): every other one overlapping a moment
-- starts at most a day before it, so day views read a short range of the start index.
DEFINE FIELD IF NOT EXISTS multi_day ON event TYPE bool DEFAULT false;
UPDATE event SET multi_day = (ends_at - starts_at) > 1d WHERE (ends_at - starts_at) > 1d;
DEFINE INDEX IF NOT EXISTS event_owner_multi_day ON event FIELDS owner, multi_day, ends_at;
-- A person's meetings in time order. (Named to sort after the owner-only indexes: the planner
-- breaks ties in name order, and a fanned-out index makes queries by owner alone slower.)
DEFINE INDEX IF NOT EXISTS event_person_time ON event FIELDS owner, people.*, starts_at;
-- A person's timeline, newest first.
DEFINE INDEX IF NOT EXISTS activity_person_time ON activity FIELDS owner, people.*, occurred_at;
-- Each calendar's number of occurrences, counted after each sync that wrote to it (the
-- calendars page read every event to count them).
DEFINE FIELD IF NOT EXISTS event_count ON calendar TYPE option<int>;
DEFINE FIELD IF NOT EXISTS recount ON calendar TYPE bool DEFAULT false;
FOR $c IN (SELECT VALUE record::id(id) FROM calendar) {
    UPDATE type::record('calendar', $c) SET event_count = count((SELECT VALUE id FROM event WHERE calendar = $c)), recount = false;
};
-- The dashboard's favorites in name order.
DEFINE INDEX IF NOT EXISTS person_owner_favorite_sort ON person FIELDS owner, favorite, sort_name;
"#,
    },
    Migration {
        version: 13,
        name: "sync progress on the connection",
        sql: r#"
-- Written by a running sync at batch granularity, cleared when it ends (see SyncProgress).
DEFINE FIELD IF NOT EXISTS progress_phase ON connection TYPE option<string>;
DEFINE FIELD IF NOT EXISTS progress_done ON connection TYPE option<int>;
DEFINE FIELD IF NOT EXISTS progress_total ON connection TYPE option<int>;
"#,
    },
    Migration {
        version: 14,
        name: "sync preferences per connection; out-of-office entries and Google links on events",
        sql: r#"
-- How often the scheduler syncs the connection (SyncFrequency::as_str); existing connections
-- keep the 15 minutes every connection had.
DEFINE FIELD IF NOT EXISTS sync_frequency ON connection TYPE string DEFAULT '15m' ASSERT $value IN ["15m", "30m", "1h", "4h", "1d"];
UPDATE connection SET sync_frequency = '15m' WHERE sync_frequency IS NONE;
-- When its last sync attempt ended (the next one is due a frequency, or its backoff, later).
DEFINE FIELD IF NOT EXISTS last_attempt_at ON connection TYPE option<datetime>;
-- Google: store out-of-office entries (shown, never matched or logged).
DEFINE FIELD IF NOT EXISTS show_out_of_office ON connection TYPE bool DEFAULT false;
UPDATE connection SET show_out_of_office = false WHERE show_out_of_office IS NONE;
-- "out_of_office" for a Google out-of-office entry; none (older rows) or "meeting" otherwise.
DEFINE FIELD IF NOT EXISTS kind ON event TYPE option<string>;
-- The event in the provider's web calendar (Google's htmlLink).
DEFINE FIELD IF NOT EXISTS web_url ON event TYPE option<string>;
"#,
    },
    Migration {
        version: 15,
        name: "meetings with unknown guests",
        sql: r#"
-- Whether an occurrence has a guest who is none of the user's people (nor the user, nor a
-- room), set with its matches (`matcher::is_unknown`) at every store and re-match. NONE on
-- occurrences stored before: `Services::flag_unknown_guests` matches those again at start-up.
DEFINE FIELD IF NOT EXISTS unknown_guests ON event TYPE option<bool>;
-- The Meetings page's "Unmatched" filter in time order.
DEFINE INDEX IF NOT EXISTS event_owner_unknown_time ON event FIELDS owner, unknown_guests, starts_at;
"#,
    },
    Migration {
        version: 16,
        name: "day views read each duration class's end times; unread event indexes go",
        sql: r#"
-- How long an occurrence runs (events::Span): '1h', '4h', '1d' or 'long' (over a day; was
-- `multi_day`). An occurrence of a short class overlapping a day ends within the class's
-- length after the day, so today's meetings read a short range of each class's end times
-- instead of every occurrence starting from a day before.
DEFINE FIELD IF NOT EXISTS span ON event TYPE string DEFAULT '1d' ASSERT $value IN ['1h', '4h', '1d', 'long'];
UPDATE event SET span = '1h' WHERE ends_at - starts_at <= 1h;
UPDATE event SET span = '4h' WHERE ends_at - starts_at > 1h AND ends_at - starts_at <= 4h;
UPDATE event SET span = '1d' WHERE ends_at - starts_at > 4h AND ends_at - starts_at <= 1d;
UPDATE event SET span = 'long' WHERE ends_at - starts_at > 1d;
REMOVE INDEX IF EXISTS event_owner_multi_day ON event;
REMOVE FIELD IF EXISTS multi_day ON event;
DEFINE INDEX IF NOT EXISTS event_owner_span_end ON event FIELDS owner, span, ends_at;
-- Indexes no query reads (EXPLAIN: SurrealDB 3 seeks no containment in an index on a whole
-- array, and the one query on `attendee_keys` ORs it with an unindexed condition), each
-- written for every occurrence stored (a first sync spent about a tenth of its CPU on them).
REMOVE INDEX IF EXISTS event_people ON event;
REMOVE INDEX IF EXISTS event_attendee_keys ON event;
"#,
    },
    Migration {
        version: 17,
        name: "an occurrence's guests are checked as one typed value each",
        sql: r#"
-- The organizer, attendees and matches were typed field by field (`attendees.*.email`, …):
-- every stored occurrence ran each nested definition over each guest, a fifth of a first
-- sync's CPU. The same types as one literal object type per field, checked in one pass.
REMOVE FIELD IF EXISTS organizer.email ON event;
REMOVE FIELD IF EXISTS organizer.name ON event;
REMOVE FIELD IF EXISTS organizer.is_self ON event;
REMOVE FIELD IF EXISTS attendees.*.email ON event;
REMOVE FIELD IF EXISTS attendees.*.name ON event;
REMOVE FIELD IF EXISTS attendees.*.response ON event;
REMOVE FIELD IF EXISTS attendees.*.role ON event;
REMOVE FIELD IF EXISTS attendees.*.is_resource ON event;
REMOVE FIELD IF EXISTS attendees.*.is_self ON event;
REMOVE FIELD IF EXISTS matches.*.email ON event;
REMOVE FIELD IF EXISTS matches.*.person ON event;
REMOVE FIELD IF EXISTS matches.*.confidence ON event;
REMOVE FIELD IF EXISTS matches.*.reason ON event;
REMOVE FIELD IF EXISTS matches.*.suggested ON event;
DEFINE FIELD OVERWRITE organizer ON event TYPE option<{ email: option<string>, name: option<string>, response: option<string>, role: option<string>, is_resource: option<bool>, is_self: option<bool> }>;
DEFINE FIELD OVERWRITE attendees ON event TYPE array<{ email: string, name: option<string>, response: option<string>, role: option<string>, is_resource: bool, is_self: bool }>;
DEFINE FIELD OVERWRITE matches ON event TYPE array<{ email: string, person: string, confidence: int, reason: string, suggested: bool }> DEFAULT [];
"#,
    },
    Migration {
        version: 18,
        name: "a connection is deleted in batches that a restart finishes",
        sql: r#"
-- Set while a connection is being deleted: its calendars (already gone, so a sync still
-- running stores nothing) whose events and stored objects are still to remove, a batch per
-- transaction, and when the deletion last made progress (a stalled one is finished by the
-- scheduler).
DEFINE FIELD IF NOT EXISTS deleting_calendars ON connection TYPE option<array<string>>;
DEFINE FIELD IF NOT EXISTS deleting_since ON connection TYPE option<datetime>;
"#,
    },
    Migration {
        version: 19,
        name: "a deleted connection's addresses are re-matched even after a restart",
        sql: r#"
-- The addresses a connection being deleted had reported (normalized): the meetings they touch
-- are matched again once its events are gone, also when another process finishes the deletion.
DEFINE FIELD IF NOT EXISTS deleting_addresses ON connection TYPE option<array<string>>;
"#,
    },
    Migration {
        version: 20,
        name: "generations of a user's data shared by the processes of one database",
        sql: r#"
-- One row per user (id: the user's id), counting the writes to each kind of their data, so
-- a process on a shared SurrealDB server knows when what it keeps is stale (freshness.rs).
DEFINE TABLE IF NOT EXISTS generation SCHEMAFULL;
DEFINE FIELD IF NOT EXISTS people ON generation TYPE int DEFAULT 0;
DEFINE FIELD IF NOT EXISTS activities ON generation TYPE int DEFAULT 0;
DEFINE FIELD IF NOT EXISTS calendar ON generation TYPE int DEFAULT 0;
"#,
    },
    Migration {
        version: 21,
        name: "a user's calendars by owner",
        sql: r#"
-- The unticked calendars whose events every read hides are read after each calendar change;
-- without it that read scanned every user's calendars.
DEFINE INDEX IF NOT EXISTS calendar_owner ON calendar FIELDS owner;
"#,
    },
    Migration {
        version: 22,
        name: "connections' status counted apart from calendar data",
        sql: r#"
-- A sync's status writes (syncing, ok, error) stale only what shows a connection's status,
-- not every kept page of meetings.
DEFINE FIELD IF NOT EXISTS connections ON generation TYPE int DEFAULT 0;
"#,
    },
    Migration {
        version: 23,
        name: "meetings counted from index keys: unticked calendars hidden only while cleared, cancelled meetings never flagged for unknown guests",
        sql: r#"
-- An unticked calendar is hidden only while its events are being removed (any hidden
-- calendar makes counts read every row); one that still holds events (a removal that
-- stopped) is removed again by the scheduler.
DEFINE FIELD IF NOT EXISTS clearing ON calendar TYPE option<bool>;
UPDATE calendar SET clearing = true WHERE selected = false
    AND array::len((SELECT VALUE id FROM event WHERE calendar = record::id($parent.id) LIMIT 1)) > 0;
-- "Unmatched" leaves cancelled meetings out; with the flag false for them, its counts need
-- no condition on the status, which is not in the index.
UPDATE event SET unknown_guests = false WHERE status = 'cancelled' AND unknown_guests = true;
"#,
    },
    Migration {
        version: 24,
        name: "an unticked calendar's clearing marked alive, found by an index",
        sql: r#"
-- When an unticked calendar's clearing last made progress (NONE: not being cleared). The
-- scheduler finishes only one stalled for a sync lease, not one an Edit request is at, and
-- finds them from the index every round instead of reading every calendar.
DEFINE FIELD IF NOT EXISTS clearing_since ON calendar TYPE option<datetime>;
DEFINE INDEX IF NOT EXISTS calendar_clearing ON calendar FIELDS clearing_since;
-- Marked by migration 23, or by an Edit of a version that had the flag: stalled already.
UPDATE calendar SET clearing_since = time::now() - 1d WHERE clearing = true;
UPDATE calendar UNSET clearing WHERE clearing != NONE;
REMOVE FIELD IF EXISTS clearing ON calendar;
"#,
    },
];

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Applied {
    version: i64,
}

pub async fn apply(db: &Db) -> Result<(), StoreError> {
    retrying(|| async {
        db.query("DEFINE TABLE IF NOT EXISTS migration SCHEMAFULL; DEFINE FIELD IF NOT EXISTS version ON migration TYPE int; DEFINE FIELD IF NOT EXISTS name ON migration TYPE string; DEFINE FIELD IF NOT EXISTS applied_at ON migration TYPE datetime; DEFINE TABLE IF NOT EXISTS migration_lock SCHEMALESS;")
            .await?
            .check()?;
        Ok(())
    })
    .await?;
    let holder = crate::ids::new_id();
    while !take_lock(db, &holder).await? {
        tokio::time::sleep(LOCK_POLL).await;
    }
    let applied = apply_missing(db).await;
    let released = release_lock(db, &holder).await;
    applied.and(released)
}

/// Applies the migrations newer than the newest recorded one.
async fn apply_missing(db: &Db) -> Result<(), StoreError> {
    let applied: Vec<Applied> = db.query("SELECT version FROM migration").await?.take(0)?;
    let current = applied.iter().map(|a| a.version).max().unwrap_or(0);
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applying migration"
        );
        db.query(migration.sql).await?.check()?;
        db.query(
            "CREATE migration CONTENT { version: $version, name: $name, applied_at: time::now() }",
        )
        .bind(("version", migration.version))
        .bind(("name", migration.name.to_string()))
        .await?
        .check()?;
    }
    Ok(())
}

/// Takes the migration lock unless another live process holds it. Taking it again is a no-op
/// for its holder: a retried attempt whose update went through but whose answer was an error
/// (a conflict on the upsert beside it) must not find itself locked out by its own lock.
async fn take_lock(db: &Db, holder: &str) -> Result<bool, StoreError> {
    let now = Utc::now();
    let taken: Vec<serde_json::Value> = retrying(|| async {
        let mut response = db
            .query("UPSERT migration_lock:startup MERGE {}; UPDATE migration_lock:startup SET holder = $holder, until = $until WHERE until IS NONE OR until < $now OR holder = $holder RETURN VALUE holder;")
            .bind(("holder", holder.to_string()))
            .bind(("now", now))
            .bind(("until", now + LOCK_FOR))
            .await?
            .check()?;
        Ok(response.take(1)?)
    })
    .await?;
    Ok(!taken.is_empty())
}

async fn release_lock(db: &Db, holder: &str) -> Result<(), StoreError> {
    retrying(|| async {
        db.query(
            "UPDATE migration_lock:startup SET holder = NONE, until = NONE WHERE holder = $holder",
        )
        .bind(("holder", holder.to_string()))
        .await?
        .check()?;
        Ok(())
    })
    .await
}

pub async fn applied_versions(db: &Db) -> Result<Vec<i64>, StoreError> {
    let mut applied: Vec<Applied> = db
        .query("SELECT version FROM migration ORDER BY version")
        .await?
        .take(0)?;
    Ok(applied.drain(..).map(|a| a.version).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_are_idempotent_and_recorded_once() {
        let db = crate::db::memory().await.unwrap();
        apply(&db).await.unwrap();
        apply(&db).await.unwrap();
        let expected: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(applied_versions(&db).await.unwrap(), expected);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn processes_starting_at_once_take_turns_and_record_each_version_once() {
        let db = crate::db::memory().await.unwrap();
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { apply(&db).await })
            })
            .collect();
        for start in starts {
            start.await.unwrap().unwrap();
        }
        let expected: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(applied_versions(&db).await.unwrap(), expected);
    }

    #[tokio::test]
    async fn an_occurrences_guests_are_checked_as_typed_values() {
        let db = crate::db::memory().await.unwrap();
        apply(&db).await.unwrap();
        let store = |uid: &str, guests: &str| {
            format!(
                "CREATE event CONTENT {{ owner: 'u', connection: 'c', calendar: 'k', uid: '{uid}', recurrence_id: '',
                   title: 't', starts_at: d'2026-01-01T10:00:00Z', ends_at: d'2026-01-01T11:00:00Z', all_day: false,
                   status: 'confirmed', updated_at: time::now(), {guests} }}"
            )
        };
        let stored = |sql: String| {
            let db = db.clone();
            async move { db.query(sql).await.unwrap().check().is_ok() }
        };
        assert!(
            stored(store(
                "ok",
                "organizer: { email: 'o@x.org', name: 'O', is_self: true },
                 attendees: [{ email: 'a@x.org', name: NONE, response: 'accepted', role: NONE, is_resource: false, is_self: false }],
                 matches: [{ email: 'a@x.org', person: 'p', confidence: 100, reason: 'email', suggested: false }]"
            ))
            .await
        );
        let guests: Vec<serde_json::Value> = db
            .query("SELECT VALUE [organizer.email, attendees[0].response, matches[0].person] FROM event")
            .await
            .unwrap()
            .take(0)
            .unwrap();
        assert_eq!(
            guests,
            vec![serde_json::json!(["o@x.org", "accepted", "p"])]
        );
        for (uid, guests) in [
            ("no-address", "attendees: [{ name: 'N', is_resource: false, is_self: false }]"),
            ("bad-flag", "attendees: [{ email: 'a@x.org', is_resource: 'yes', is_self: false }]"),
            ("bad-match", "attendees: [], matches: [{ email: 'a@x.org', person: 'p', confidence: 'high', reason: 'email', suggested: false }]"),
        ] {
            assert!(!stored(store(uid, guests)).await, "{uid} was stored");
        }
    }

    #[tokio::test]
    async fn cancelled_meetings_lose_their_unknown_guests_flag() {
        let db = crate::db::memory().await.unwrap();
        apply(&db).await.unwrap();
        for (uid, status) in [("kept", "confirmed"), ("dropped", "cancelled")] {
            db.query(format!(
                "CREATE event CONTENT {{ owner: 'u', connection: 'c', calendar: 'k', uid: '{uid}', recurrence_id: '',
                   title: 't', starts_at: d'2026-01-01T10:00:00Z', ends_at: d'2026-01-01T11:00:00Z', all_day: false,
                   status: '{status}', updated_at: time::now(), attendees: [], unknown_guests: true }}"
            ))
            .await
            .unwrap()
            .check()
            .unwrap();
        }
        let flagged = || async {
            let uids: Vec<String> = db
                .query("SELECT VALUE uid FROM event WHERE unknown_guests = true ORDER BY uid")
                .await
                .unwrap()
                .take(0)
                .unwrap();
            uids
        };
        assert_eq!(flagged().await, vec!["dropped", "kept"]);
        let unflagging = MIGRATIONS.iter().find(|m| m.version == 23).unwrap();
        db.query(unflagging.sql).await.unwrap().check().unwrap();
        assert_eq!(flagged().await, vec!["kept"]);
    }

    #[tokio::test]
    async fn an_unticked_calendar_still_holding_events_is_cleared_again() {
        let db = crate::db::memory().await.unwrap();
        apply(&db).await.unwrap();
        for (id, selected) in [("k", false), ("empty", false), ("ticked", true)] {
            db.query(format!(
                "CREATE calendar:{id} CONTENT {{ owner: 'u', connection: 'c', remote_id: '{id}', name: '{id}',
                   selected: {selected}, supports_sync: true }}"
            ))
            .await
            .unwrap()
            .check()
            .unwrap();
        }
        for calendar in ["k", "ticked"] {
            db.query(format!(
                "CREATE event CONTENT {{ owner: 'u', connection: 'c', calendar: '{calendar}', uid: 'x', recurrence_id: '',
                   title: 't', starts_at: d'2026-01-01T10:00:00Z', ends_at: d'2026-01-01T11:00:00Z', all_day: false,
                   status: 'confirmed', updated_at: time::now(), attendees: [] }}"
            ))
            .await
            .unwrap()
            .check()
            .unwrap();
        }
        let migration = MIGRATIONS.iter().find(|m| m.version == 23).unwrap();
        db.query(migration.sql).await.unwrap().check().unwrap();
        let clearing: Vec<String> = db
            .query("SELECT VALUE record::id(id) FROM calendar WHERE clearing = true")
            .await
            .unwrap()
            .take(0)
            .unwrap();
        assert_eq!(clearing, vec!["k"]);

        // Migration 24 takes the mark over as a stalled clearing's time.
        let migration = MIGRATIONS.iter().find(|m| m.version == 24).unwrap();
        db.query(migration.sql).await.unwrap().check().unwrap();
        let stalled: Vec<String> = db
            .query("SELECT VALUE record::id(id) FROM calendar WHERE clearing_since < time::now() - 1h AND clearing_since IS NOT NONE")
            .await
            .unwrap()
            .take(0)
            .unwrap();
        assert_eq!(stalled, vec!["k"]);
        let flags: Vec<Option<bool>> = db
            .query("SELECT VALUE clearing FROM calendar")
            .await
            .unwrap()
            .take(0)
            .unwrap();
        assert_eq!(flags, vec![None, None, None]);
    }

    #[tokio::test]
    async fn a_lock_left_by_a_crashed_start_lapses() {
        let db = crate::db::memory().await.unwrap();
        apply(&db).await.unwrap();
        assert!(take_lock(&db, "crashed").await.unwrap());
        assert!(!take_lock(&db, "next").await.unwrap(), "held");
        db.query("UPDATE migration_lock:startup SET until = time::now() - 1s")
            .await
            .unwrap()
            .check()
            .unwrap();
        assert!(take_lock(&db, "next").await.unwrap(), "lapsed");
        release_lock(&db, "next").await.unwrap();
        apply(&db).await.unwrap();
    }
}
