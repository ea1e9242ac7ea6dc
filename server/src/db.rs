//! The database connection: embedded SurrealKV on disk, in-memory, or a remote server,
//! all behind one `Surreal<Any>` chosen by the endpoint string.
use std::sync::atomic::{AtomicU64, Ordering};

use secrecy::{ExposeSecret, SecretString};
use surrealdb::engine::any::{self, Any};
use surrealdb::opt::auth::{Database, Namespace, Root};
use surrealdb::types::SurrealValue;
use surrealdb::Surreal;

use crate::error::StoreError;
use crate::migrations;

mod inline;
pub use inline::{inlined, Literal};

pub type Db = Surreal<Any>;

/// The row of `SELECT count() AS n … GROUP ALL`; every count query reads it.
#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CountRow {
    pub n: i64,
}

/// How often a statement is tried when it meets a write conflict.
const ATTEMPTS: u32 = 12;

/// Runs `statement` again after a write conflict, a little later each time: for statements
/// that are whole (a single statement or a transaction), so running them again is safe. Two
/// writers of one record at one moment meet this, e.g. a sync's progress and an Edit, or two
/// processes on a shared SurrealDB server.
pub async fn retrying<T, F: std::future::Future<Output = Result<T, StoreError>>>(
    mut statement: impl FnMut() -> F,
) -> Result<T, StoreError> {
    let mut attempt = 1;
    loop {
        match statement().await {
            Err(e) if e.is_write_conflict() && attempt < ATTEMPTS => {
                // Random within a growing span: writers that met once would meet again if
                // they all waited the same time (a CI run exhausted 8 lockstep attempts).
                let span = 5 * u64::from(attempt);
                let wait = span / 2 + rand::random::<u64>() % span;
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// `check` for a transaction: every statement of a failed one reports "not executed", so the
/// error that says why (a write conflict, a unique index) is picked from all of them.
pub fn check_all(
    mut response: surrealdb::IndexedResults,
) -> Result<surrealdb::IndexedResults, StoreError> {
    let errors = response.take_errors();
    let not_executed = |e: &surrealdb::Error| {
        matches!(
            e.query_details(),
            Some(surrealdb::types::QueryError::NotExecuted)
        )
    };
    let mut errors: Vec<(usize, surrealdb::Error)> = errors.into_iter().collect();
    errors.sort_by_key(|(i, e)| (not_executed(e), *i));
    match errors.into_iter().next() {
        Some((_, cause)) => Err(cause.into()),
        None => Ok(response),
    }
}

/// A count query's answer as a number (no row means none).
pub fn count_of(row: Option<CountRow>) -> u64 {
    row.map(|c| c.n.max(0) as u64).unwrap_or(0)
}

#[derive(Debug, Clone)]
pub struct DbSettings {
    /// `surrealkv://PATH`, `mem://`, `ws://HOST:PORT` or `wss://…`.
    pub endpoint: String,
    pub namespace: String,
    pub database: String,
    /// Credentials, only used for remote endpoints: a user defined at `auth_level`.
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// Embedded SurrealKV only: block cache and memtable sizes (MiB). Left to itself, the
    /// engine sizes the cache at half the machine's memory minus 1 GiB and the memtable at up
    /// to 1 GiB; unflushed writes also make every read slower and every start replay them.
    pub cache_mb: u64,
    pub memtable_mb: u64,
    pub auth_level: AuthLevel,
}

/// Where the database user is defined on the server (`DEFINE USER … ON ROOT`, `ON NAMESPACE` or
/// `ON DATABASE`): a namespace or database user keeps a shared server's other data out of reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthLevel {
    #[default]
    Root,
    Namespace,
    Database,
}

impl std::str::FromStr for AuthLevel {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "root" => Ok(AuthLevel::Root),
            "namespace" => Ok(AuthLevel::Namespace),
            "database" => Ok(AuthLevel::Database),
            other => Err(format!("{other:?} is not root, namespace or database")),
        }
    }
}

/// Rondo's defaults for `RONDO_DB_CACHE_MB` and `RONDO_DB_MEMTABLE_MB` (BENCHMARKS.md).
pub const DEFAULT_CACHE_MB: u64 = 32;
/// A sync's transactions are sized to half of it; 64 MiB kept `rondo serve` ~30 MB higher
/// through a 10,000-event sync and page loads, no faster (BENCHMARKS.md).
pub const DEFAULT_MEMTABLE_MB: u64 = 32;

impl DbSettings {
    /// Whether other processes may use the same database: a SurrealDB server (or a distributed
    /// store), not an engine embedded in this process.
    pub fn is_shared(&self) -> bool {
        ["ws:", "wss:", "http:", "https:", "tikv:", "fdb:"]
            .iter()
            .any(|scheme| self.endpoint.starts_with(scheme))
    }

    pub fn memory() -> Self {
        Self {
            endpoint: "mem://".into(),
            namespace: "rondo".into(),
            database: "main".into(),
            username: None,
            password: None,
            cache_mb: DEFAULT_CACHE_MB,
            memtable_mb: DEFAULT_MEMTABLE_MB,
            auth_level: AuthLevel::Root,
        }
    }
}

const MIB: u64 = 1024 * 1024;

/// What one transaction may write, in estimated bytes (`calendar::budget`), on a database
/// server: servers bound a transaction too (TiKV at 100 MB by default).
const SERVER_TRANSACTION_BUDGET: u64 = 32 * MIB;

static TRANSACTION_BUDGET: AtomicU64 = AtomicU64::new(SERVER_TRANSACTION_BUDGET);

/// What one transaction may write, in estimated bytes: half the embedded engine's memtable (a
/// transaction's writes must fit in an empty one, or the commit fails), else
/// `SERVER_TRANSACTION_BUDGET`. Process-wide, like the engine's sizes.
pub fn transaction_budget() -> usize {
    TRANSACTION_BUDGET.load(Ordering::Relaxed) as usize
}

/// Connects, selects namespace and database, and brings the schema up to date.
pub async fn connect(settings: &DbSettings) -> Result<Db, StoreError> {
    if settings.endpoint.starts_with("surrealkv:") {
        // Read when the datastore opens (process-wide; `SURREAL_SURREALKV_*` still win).
        surrealdb_kvs_surrealkv::set_default(
            "surrealkv_block_cache_capacity",
            (settings.cache_mb * MIB).to_string(),
        );
        surrealdb_kvs_surrealkv::set_default(
            "surrealkv_max_memtable_size",
            (settings.memtable_mb * MIB).to_string(),
        );
        // The memtable in effect: the engine's own variable (bytes) wins over Rondo's setting.
        let memtable = std::env::var("SURREAL_SURREALKV_MAX_MEMTABLE_SIZE")
            .ok()
            .and_then(|bytes| bytes.trim().parse::<u64>().ok())
            .unwrap_or(settings.memtable_mb * MIB);
        TRANSACTION_BUDGET.store(memtable / 2, Ordering::Relaxed);
    }
    let db = any::connect(settings.endpoint.as_str()).await?;
    if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
        let (username, password) = (username.clone(), password.expose_secret().to_owned());
        let (namespace, database) = (settings.namespace.clone(), settings.database.clone());
        match settings.auth_level {
            AuthLevel::Root => db.signin(Root { username, password }).await?,
            AuthLevel::Namespace => {
                db.signin(Namespace {
                    namespace,
                    username,
                    password,
                })
                .await?
            }
            AuthLevel::Database => {
                db.signin(Database {
                    namespace,
                    database,
                    username,
                    password,
                })
                .await?
            }
        };
    }
    db.use_ns(settings.namespace.as_str())
        .use_db(settings.database.as_str())
        .await?;
    migrations::apply(&db).await?;
    Ok(db)
}

/// A fresh in-memory database with the schema applied, for tests.
pub async fn memory() -> Result<Db, StoreError> {
    connect(&DbSettings::memory()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writers of one record at one moment: without the retry some of them fail with a write
    /// conflict; with it every increment lands.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_of_one_record_all_land_when_retried() {
        let db = memory().await.unwrap();
        db.query("CREATE counter:one SET n = 0").await.unwrap();
        let (writers, each) = (8, 25);
        let mut tasks = Vec::new();
        for _ in 0..writers {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut plain_failures = 0;
                for _ in 0..each {
                    let plain = async {
                        db.query("BEGIN; UPDATE counter:one SET n += 1; UPDATE counter:one SET n -= 1; COMMIT;")
                            .await?
                            .check()?;
                        Ok::<(), StoreError>(())
                    }
                    .await;
                    if plain.is_err() {
                        plain_failures += 1;
                    }
                    retrying(|| async {
                        check_all(db.query("BEGIN; UPDATE counter:one SET n += 1; COMMIT;").await?)?;
                        Ok(())
                    })
                    .await
                    .unwrap();
                }
                plain_failures
            }));
        }
        let mut failed_plain = 0;
        for task in tasks {
            failed_plain += task.await.unwrap();
        }
        let n: Option<i64> = db
            .query("SELECT VALUE n FROM ONLY counter:one")
            .await
            .unwrap()
            .take(0)
            .unwrap();
        assert_eq!(n, Some((writers * each) as i64));
        // The retry was needed: the same transactions unretried met conflicts.
        assert!(
            failed_plain > 0,
            "no write conflict met: the test shows nothing"
        );
    }
}
