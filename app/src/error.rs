//! The one error type every server function returns; its messages are written for users.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many failed sign-in attempts. Try again in {0} minutes.")]
    RateLimited(u64),
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status a failed server function answers with: only `Internal` is a server
    /// fault (500); the rest are expected outcomes of what the user sent.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::NotFound(_) => 404,
            AppError::Invalid(_) | AppError::Transport(_) => 400,
            AppError::Conflict(_) => 409,
            AppError::RateLimited(_) => 429,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_internal_errors_are_server_faults() {
        assert_eq!(AppError::Internal.status_code(), 500);
        for expected in [
            AppError::Unauthorized,
            AppError::NotFound("Person".into()),
            AppError::Invalid("Too long".into()),
            AppError::Conflict("Taken".into()),
            AppError::RateLimited(5),
            AppError::Transport("bad body".into()),
        ] {
            assert!((400..500).contains(&expected.status_code()), "{expected:?}");
        }
    }
}
