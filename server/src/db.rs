//! The database connection: embedded SurrealKV on disk, in-memory, or a remote server,
//! all behind one `Surreal<Any>` chosen by the endpoint string.
use secrecy::{ExposeSecret, SecretString};
use surrealdb::engine::any::{self, Any};
use surrealdb::opt::auth::Root;
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
    /// Root credentials, only used for remote endpoints.
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

impl DbSettings {
    pub fn memory() -> Self {
        Self {
            endpoint: "mem://".into(),
            namespace: "rondo".into(),
            database: "main".into(),
            username: None,
            password: None,
        }
    }
}

/// Connects, selects namespace and database, and brings the schema up to date.
pub async fn connect(settings: &DbSettings) -> Result<Db, StoreError> {
    let db = any::connect(settings.endpoint.as_str()).await?;
    if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
        db.signin(Root {
            username: username.clone(),
            password: password.expose_secret().to_owned(),
        })
        .await?;
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
