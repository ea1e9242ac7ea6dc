//! Caches of a user's data, and how they learn that a write made them stale.
//!
//! Every store bumps the user's generation of the kind of data it wrote (`touched`, after the
//! write committed). A `UserCache` entry is used only while the generations it was built from
//! are unchanged and it is younger than the time to live (`RONDO_CACHE_SECONDS`): the
//! generations live in this process, so what another Rondo process writes to a shared
//! database shows when entries expire.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long an entry lives by default: the longest a cached read lags behind a write made by
/// another process, and behind the clock (who was contacted "recently").
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
    /// Connections, calendars and their events.
    Calendar,
}

const KINDS: usize = 3;
type Stamp = [u64; KINDS];

/// Process-wide because every store of the process writes the one database; keyed by user id
/// (unique per database), so stores of different databases in one process (tests) at worst
/// bump each other's users needlessly, never hide a write.
fn generations() -> &'static Mutex<HashMap<String, Stamp>> {
    static GENERATIONS: OnceLock<Mutex<HashMap<String, Stamp>>> = OnceLock::new();
    GENERATIONS.get_or_init(Default::default)
}

/// Marks the user's `data` as changed. Call after the write committed: a read that started
/// before it must not be cached under the new generation.
pub fn touched(owner: &str, data: Data) {
    let mut generations = generations().lock().expect("generations");
    match generations.get_mut(owner) {
        Some(stamp) => stamp[data as usize] += 1,
        None => {
            let mut stamp = Stamp::default();
            stamp[data as usize] = 1;
            generations.insert(owner.to_string(), stamp);
        }
    }
}

/// The current generations of the kinds in `reads` (the others zero).
fn stamp(owner: &str, reads: &[Data]) -> Stamp {
    let generations = generations().lock().expect("generations");
    let current = generations.get(owner).copied().unwrap_or_default();
    let mut stamp = Stamp::default();
    for data in reads {
        stamp[*data as usize] = current[*data as usize];
    }
    stamp
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
    entries: Mutex<HashMap<String, Vec<Entry<K, V>>>>,
}

impl<K: PartialEq, V: Clone> UserCache<K, V> {
    /// One entry per user.
    pub fn new(reads: &'static [Data]) -> Self {
        UserCache {
            reads,
            per_user: 1,
            at_most: None,
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

    /// The user's value for `key`: cached if still fresh, else loaded (and kept unless the
    /// data changed while it loaded).
    pub async fn get_or_load<E>(
        &self,
        owner: &str,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        let stamp = stamp(owner, self.reads);
        if let Some(value) = self.fresh(owner, &key, stamp) {
            return Ok(value);
        }
        let loaded = Instant::now();
        let value = load.await?;
        if self::stamp(owner, self.reads) == stamp {
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

    fn fresh(&self, owner: &str, key: &K, stamp: Stamp) -> Option<V> {
        let process = Duration::from_secs(TIME_TO_LIVE_SECONDS.load(Ordering::Relaxed));
        let time_to_live = self.at_most.map_or(process, |at_most| at_most.min(process));
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
        touched(&owner, Data::Calendar);
        touched(&other, Data::People);
        assert_eq!(
            load(&cache, &owner, 1, &loads).await,
            1,
            "data it does not read, or another user's, changed"
        );
        touched(&owner, Data::Activities);
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
        touched(&owner, Data::Calendar);
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
                touched(&owner, Data::People);
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
    async fn a_value_expires_for_what_other_processes_wrote() {
        let cache = UserCache::new(&[Data::People]).expiring_within(Duration::from_millis(20));
        let owner = user();
        let loads = AtomicU32::new(0);
        assert_eq!(load(&cache, &owner, 1, &loads).await, 1);
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(load(&cache, &owner, 1, &loads).await, 2);
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
