//! The database connection: embedded SurrealKV on disk, in-memory, or a remote server,
//! all behind one `Surreal<Any>` chosen by the endpoint string.
use secrecy::{ExposeSecret, SecretString};
use surrealdb::engine::any::{self, Any};
use surrealdb::opt::auth::{Database, Namespace, Root};
use surrealdb::types::SurrealValue;
use surrealdb::Surreal;

use crate::error::StoreError;
use crate::migrations;

pub type Db = Surreal<Any>;

/// The row of `SELECT count() AS n … GROUP ALL`; every count query reads it.
#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct CountRow {
    pub n: i64,
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
/// Room for one large transaction (deleting a connection with tens of thousands of events).
pub const DEFAULT_MEMTABLE_MB: u64 = 64;

impl DbSettings {
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

/// Connects, selects namespace and database, and brings the schema up to date.
pub async fn connect(settings: &DbSettings) -> Result<Db, StoreError> {
    if settings.endpoint.starts_with("surrealkv:") {
        // Read when the datastore opens (process-wide; `SURREAL_SURREALKV_*` still win).
        const MIB: u64 = 1024 * 1024;
        surrealdb_kvs_surrealkv::set_default(
            "surrealkv_block_cache_capacity",
            (settings.cache_mb * MIB).to_string(),
        );
        surrealdb_kvs_surrealkv::set_default(
            "surrealkv_max_memtable_size",
            (settings.memtable_mb * MIB).to_string(),
        );
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
