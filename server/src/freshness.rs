//! Caches of a user's data, and how they learn that a write made them stale.
//!
//! Every store bumps the user's generation of the kind of data it wrote (`touched`, after the
//! write committed). A `UserCache` entry is used only while the generations it was built from
//! are unchanged and it is younger than the time to live (`RONDO_CACHE_SECONDS`). The
//! generations live in this process; on a database other processes write too (a SurrealDB
//! server, [`share_through`]) they are also counted in the database, so a write made through
//! one process makes the others' entries stale at once. The time to live bounds what a lost
//! count costs.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use surrealdb::types::SurrealValue;

use crate::db::Db;
use crate::error::StoreError;

/// How long an entry lives by default: the longest a cached read lags behind the clock (who
/// was contacted "recently"), and behind another process's write whose count was lost.
pub const DEFAULT_TIME_TO_LIVE_SECONDS: u64 = 300;

static TIME_TO_LIVE_SECONDS: AtomicU64 = AtomicU64::new(DEFAULT_TIME_TO_LIVE_SECONDS);

/// Sets how long entries live, for the whole process (`RONDO_CACHE_SECONDS`; 0 caches nothing).
pub fn set_time_to_live(time_to_live: Duration) {
    TIME_TO_LIVE_SECONDS.store(time_to_live.as_secs(), Ordering::Relaxed);
}

/// The minute of `now`, as part of a key: for values that change with the clock as well as
/// with the data (which meetings are past, who was contacted recently).
pub fn minute_of(now: chrono::DateTime<chrono::Utc>) -> i64 {
    now.timestamp().div_euclid(60)
}

/// Users whose entries one cache keeps at most; a full cache starts over (a reload is cheap next
/// to unbounded growth).
const MAX_CACHED_USERS: usize = 1_000;

/// The kinds of a user's data a cache can depend on, one generation each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    /// People, their addresses and the user's own addresses (what matching reads).
    People,
    /// Activities, logged meetings included, and the notes they show.
    Activities,
    /// Calendars (names, colours, which are ticked or being deleted) and their events.
    Calendar,
    /// Connections: their names, settings and sync status (a sync writes its status twice even
    /// when nothing changed, which must not make kept meetings stale).
    Connections,
}

impl Data {
    /// Its field in the `generation` table.
    fn field(self) -> &'static str {
        match self {
            Data::People => "people",
            Data::Activities => "activities",
            Data::Calendar => "calendar",
            Data::Connections => "connections",
        }
    }
}

const KINDS: usize = 4;
/// This process's generations of each kind, then the shared database's.
type Stamp = [u64; 2 * KINDS];

/// Process-wide because every store of the process writes the one database; keyed by user id
/// (unique per database), so stores of different databases in one process (tests) at worst
/// bump each other's users needlessly, never hide a write.
fn generations() -> &'static Mutex<HashMap<String, [u64; KINDS]>> {
    static GENERATIONS: OnceLock<Mutex<HashMap<String, [u64; KINDS]>>> = OnceLock::new();
    GENERATIONS.get_or_init(Default::default)
}

/// The database other processes write too, when there is one.
static SHARED: OnceLock<Db> = OnceLock::new();

/// Counts writes in `db` as well, for the whole process: for a database other Rondo processes
/// use too (a SurrealDB server), whose writes must make this process's entries stale.
pub fn share_through(db: Db) {
    let _ = SHARED.set(db);
}

/// Marks the user's `data` as changed. Call after the write committed: a read that started
/// before it must not be cached under the new generation.
pub async fn touched(owner: &str, data: Data) {
    {
        let mut generations = generations().lock().expect("generations");
        generations.entry(owner.to_string()).or_default()[data as usize] += 1;
    }
    if let Some(db) = SHARED.get() {
        // A task of its own: a request cancelled after its write committed (the client went
        // away) must still have the write counted.
        let (db, owner) = (db.clone(), owner.to_string());
        let counted = tokio::spawn(async move {
            if let Err(error) = count_write(&db, &owner, data).await {
                tracing::warn!(%error, "other processes were not told of a write; they show it once their kept values expire (RONDO_CACHE_SECONDS)");
            }
        });
        let _ = counted.await;
    }
}

/// Bumps the user's shared generation of `data`.
async fn count_write(db: &Db, owner: &str, data: Data) -> Result<(), StoreError> {
    let statement = format!(
        "UPSERT type::record('generation', $owner) SET {0} = ({0} ?? 0) + 1 RETURN NONE",
        data.field()
    );
    crate::db::retrying(|| async {
        db.query(statement.as_str())
            .bind(("owner", owner.to_string()))
            .await?
            .check()?;
        Ok(())
    })
    .await
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Counted {
    people: i64,
    activities: i64,
    calendar: i64,
    connections: i64,
}

/// The user's shared generations (zero before any write was counted).
async fn counted_writes(db: &Db, owner: &str) -> Result<[u64; KINDS], StoreError> {
    let rows: Vec<Counted> = db
        .query("SELECT people ?? 0 AS people, activities ?? 0 AS activities, calendar ?? 0 AS calendar, connections ?? 0 AS connections FROM type::record('generation', $owner)")
        .bind(("owner", owner.to_string()))
        .await?
        .take(0)?;
    Ok(rows.first().map_or([0; KINDS], |c| {
        [c.people, c.activities, c.calendar, c.connections].map(|n| n.max(0) as u64)
    }))
}

/// This process's generations of the kinds in `reads` (the others zero).
fn local_stamp(owner: &str, reads: &[Data]) -> Stamp {
    let generations = generations().lock().expect("generations");
    let current = generations.get(owner).copied().unwrap_or_default();
    let mut stamp = Stamp::default();
    for data in reads {
        stamp[*data as usize] = current[*data as usize];
    }
    stamp
}

/// The generations of the kinds in `reads`, the shared ones included; `None` when the shared
/// ones cannot be read (nothing kept may then be trusted).
async fn stamp(owner: &str, reads: &[Data], shared: Option<&Db>) -> Option<Stamp> {
    let mut stamp = local_stamp(owner, reads);
    if let Some(db) = shared {
        match counted_writes(db, owner).await {
            Ok(shared) => {
                for data in reads {
                    stamp[KINDS + *data as usize] = shared[*data as usize];
                }
            }
            Err(error) => {
                tracing::warn!(%error, "reading the shared generations failed; reading afresh");
                return None;
            }
        }
    }
    Some(stamp)
}

/// Whether this process wrote the kinds in `reads` since `stamp` was taken (another process's
/// later write shows in the next request's stamp).
fn written_since(owner: &str, reads: &[Data], stamp: &Stamp) -> bool {
    local_stamp(owner, reads)[..KINDS] != stamp[..KINDS]
}

struct Entry<K, V> {
    key: K,
    stamp: Stamp,
    loaded: Instant,
    value: V,
}

/// A user's cached values, one per key (a day, a page: the least recently loaded makes room),
/// valid while the data it `reads` is unchanged.
pub struct UserCache<K, V> {
    reads: &'static [Data],
    /// Keys kept per user.
    per_user: usize,
    /// The longest an entry lives whatever the process's setting.
    at_most: Option<Duration>,
    /// The shared database, when not the process's (tests).
    shared: Option<Db>,
    entries: Mutex<HashMap<String, Vec<Entry<K, V>>>>,
}

impl<K: PartialEq, V: Clone> UserCache<K, V> {
    /// One entry per user.
    pub fn new(reads: &'static [Data]) -> Self {
        UserCache {
            reads,
            per_user: 1,
            at_most: None,
            shared: None,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps up to `keys` entries per user.
    pub fn keeping(mut self, keys: usize) -> Self {
        self.per_user = keys.max(1);
        self
    }

    /// Entries live at most `time_to_live`, however long the process keeps them.
    #[cfg(test)]
    fn expiring_within(mut self, time_to_live: Duration) -> Self {
        self.at_most = Some(time_to_live);
        self
    }

    /// Counts writes in `db` as if the process shared it.
    #[cfg(test)]
    fn sharing(mut self, db: Db) -> Self {
        self.shared = Some(db);
        self
    }

    /// The user's value for `key`: cached if still fresh, else loaded (and kept unless the
    /// data changed while it loaded).
    pub async fn get_or_load<E>(
        &self,
        owner: &str,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        let time_to_live = self.time_to_live();
        if time_to_live.is_zero() {
            return load.await;
        }
        let shared = self.shared.as_ref().or(SHARED.get());
        let Some(stamp) = stamp(owner, self.reads, shared).await else {
            return load.await;
        };
        if let Some(value) = self.fresh(owner, &key, stamp, time_to_live) {
            return Ok(value);
        }
        let loaded = Instant::now();
        let value = load.await?;
        if !written_since(owner, self.reads, &stamp) {
            let mut entries = self.entries.lock().expect("user cache");
            if entries.len() >= MAX_CACHED_USERS && !entries.contains_key(owner) {
                entries.clear();
            }
            let kept = entries.entry(owner.to_string()).or_default();
            kept.retain(|e| e.key != key);
            if kept.len() >= self.per_user {
                kept.remove(0);
            }
            kept.push(Entry {
                key,
                stamp,
                loaded,
                value: value.clone(),
            });
        }
        Ok(value)
    }

    fn time_to_live(&self) -> Duration {
        let process = Duration::from_secs(TIME_TO_LIVE_SECONDS.load(Ordering::Relaxed));
        self.at_most.map_or(process, |at_most| at_most.min(process))
    }

    fn fresh(&self, owner: &str, key: &K, stamp: Stamp, time_to_live: Duration) -> Option<V> {
        let entries = self.entries.lock().expect("user cache");
        let entry = entries.get(owner)?.iter().find(|e| e.key == *key)?;
        (entry.stamp == stamp && entry.loaded.elapsed() < time_to_live).then(|| entry.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn user() -> String {
        crate::ids::new_id()
    }

    async fn load(cache: &UserCache<u32, u32>, owner: &str, key: u32, loads: &AtomicU32) -> u32 {
        cache
            .get_or_load(owner, key, async {
                Ok::<_, ()>(loads.fetch_add(1, Ordering::SeqCst) + 1)
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_value_is_loaded_once_until_the_data_it_reads_changes() {
        let cache = UserCache::new(&[Data::People, Data::Activities]);
        let (owner, other) = (user(), user());
        let loads = AtomicU32::new(0);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 1);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 1, "cached");
        touched(&owner, Data::Calendar).await;
        touched(&other, Data::People).await;
        assert_eq!(
            load(&cache, &owner, 1, &loads).await,
            1,
            "data it does not read, or another user's, changed"
        );
        touched(&owner, Data::Activities).await;
        assert_eq!(load(&cache, &owner, 1, &loads).await, 2, "reloaded");
        assert_eq!(load(&cache, &owner, 2, &loads).await, 3, "another key");
        assert_eq!(load(&cache, &owner, 2, &loads).await, 3);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 4, "one key per user");
    }

    #[tokio::test]
    async fn several_keys_are_kept_the_least_recently_loaded_making_room() {
        let cache = UserCache::new(&[Data::Calendar]).keeping(2);
        let owner = user();
        let loads = AtomicU32::new(0);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 1);
        assert_eq!(load(&cache, &owner, 2, &loads).await, 2);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 1, "both kept");
        assert_eq!(load(&cache, &owner, 2, &loads).await, 2);
        assert_eq!(load(&cache, &owner, 3, &loads).await, 3, "1 makes room");
        assert_eq!(load(&cache, &owner, 2, &loads).await, 2);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 4);
        touched(&owner, Data::Calendar).await;
        assert_eq!(
            load(&cache, &owner, 1, &loads).await,
            5,
            "stale after a write"
        );
    }

    #[tokio::test]
    async fn a_value_read_while_its_data_changed_is_not_kept() {
        let cache = UserCache::new(&[Data::People]);
        let owner = user();
        let first = cache
            .get_or_load(&owner, (), async {
                // A write commits while this read runs.
                touched(&owner, Data::People).await;
                Ok::<_, ()>("read before the write")
            })
            .await
            .unwrap();
        assert_eq!(first, "read before the write");
        let second = cache
            .get_or_load(&owner, (), async { Ok::<_, ()>("read after it") })
            .await
            .unwrap();
        assert_eq!(second, "read after it");
    }

    #[tokio::test]
    async fn a_value_expires_after_its_time_to_live() {
        let cache = UserCache::new(&[Data::People]).expiring_within(Duration::from_millis(20));
        let owner = user();
        let loads = AtomicU32::new(0);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 1);
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(load(&cache, &owner, 1, &loads).await, 2);
    }

    #[tokio::test]
    async fn another_process_s_write_makes_a_shared_value_stale_at_once() {
        let db = crate::db::memory().await.unwrap();
        let cache = UserCache::new(&[Data::People]).sharing(db.clone());
        let (owner, other) = (user(), user());
        let loads = AtomicU32::new(0);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 1);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 1, "kept");
        // Another process writes: only the database's count moves, not this process's.
        count_write(&db, &owner, Data::Calendar).await.unwrap();
        count_write(&db, &other, Data::People).await.unwrap();
        assert_eq!(
            load(&cache, &owner, 1, &loads).await,
            1,
            "kinds it does not read, or another user's"
        );
        count_write(&db, &owner, Data::People).await.unwrap();
        assert_eq!(load(&cache, &owner, 1, &loads).await, 2, "read afresh");
        assert_eq!(load(&cache, &owner, 1, &loads).await, 2, "kept again");
        count_write(&db, &owner, Data::People).await.unwrap();
        assert_eq!(counted_writes(&db, &owner).await.unwrap(), [2, 0, 1, 0]);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 3);
    }

    #[tokio::test]
    async fn nothing_is_kept_while_the_shared_counts_cannot_be_read() {
        let db = crate::db::memory().await.unwrap();
        let cache = UserCache::new(&[Data::People]).sharing(db.clone());
        let owner = user();
        let loads = AtomicU32::new(0);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 1);
        db.query("REMOVE TABLE generation")
            .await
            .unwrap()
            .check()
            .unwrap();
        db.query("DEFINE TABLE generation SCHEMAFULL PERMISSIONS NONE; DEFINE FIELD people ON generation TYPE string")
            .await
            .unwrap()
            .check()
            .unwrap();
        db.query("CREATE type::record('generation', $owner) SET people = 'not a count'")
            .bind(("owner", owner.clone()))
            .await
            .unwrap()
            .check()
            .unwrap();
        assert_eq!(load(&cache, &owner, 1, &loads).await, 2, "read afresh");
        assert_eq!(load(&cache, &owner, 1, &loads).await, 3, "and not kept");
    }

    #[tokio::test]
    async fn an_error_is_not_cached() {
        let cache: UserCache<(), u32> = UserCache::new(&[Data::People]);
        let owner = user();
        assert!(cache
            .get_or_load(&owner, (), async { Err("down") })
            .await
            .is_err());
        let value = cache
            .get_or_load(&owner, (), async { Ok::<_, &str>(7) })
            .await;
        assert_eq!(value, Ok(7));
    }
}
