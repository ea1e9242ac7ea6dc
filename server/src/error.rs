//! Domain errors, and their single mapping to the messages users see.
use app::error::AppError;
use thiserror::Error;

use crate::text::capitalize;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] surrealdb::Error),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A write into a calendar unticked while its sync ran: that sync skips the calendar (its
    /// events are being removed with it).
    #[error("the calendar is no longer synced")]
    Unticked,
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many failed sign-ins; retry in {0} minutes")]
    RateLimited(u64),
    #[error("wrong email or password")]
    BadCredentials,
    #[error("password hashing failed")]
    Hash,
}

impl StoreError {
    /// Whether the database refused a transaction because another one wrote the same record at
    /// the same moment (seen on a SurrealDB server shared by several processes): running the
    /// statement again is safe and sees the other's write.
    pub fn is_write_conflict(&self) -> bool {
        matches!(self, StoreError::Db(e) if matches!(
            e.query_details(),
            Some(surrealdb::types::QueryError::TransactionConflict)
        ) || e.to_string().contains("can be retried"))
    }

    /// Whether the database refused a write because of the named unique index.
    pub fn violates(&self, index: &str) -> bool {
        matches!(self, StoreError::Db(e) if e.to_string().contains(index))
    }
}

/// The shared length rule ([`app::limits`]) as a store error naming the field.
pub fn within(field: &str, value: &str, max: usize) -> Result<(), StoreError> {
    app::limits::too_long(field, value, max).map_err(StoreError::Invalid)
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => AppError::NotFound(capitalize(what)),
            StoreError::Unticked => AppError::NotFound("Calendar".into()),
            StoreError::Invalid(message) => AppError::Invalid(message),
            StoreError::Conflict(message) => AppError::Conflict(message),
            StoreError::RateLimited(minutes) => AppError::RateLimited(minutes),
            StoreError::BadCredentials => AppError::Invalid("Wrong email or password.".into()),
            StoreError::Db(_) | StoreError::Hash => {
                tracing::error!(%error, "request failed");
                AppError::Internal
            }
        }
    }
}
