//! The one shared state behind the HTTP endpoints, the control API and the Rust handle.
use std::sync::{Arc, Mutex, MutexGuard};

use crate::calendars::CalendarStore;
use crate::config::Config;
use crate::failures::FailureQueue;
use crate::request_log::{LoggedRequest, TokenRequestCounts};
use crate::tokens::TokenStore;

pub type Shared = Arc<Mutex<State>>;

#[derive(Debug)]
pub struct State {
    pub config: Config,
    pub tokens: TokenStore,
    pub calendars: CalendarStore,
    pub failures: FailureQueue,
    pub log: Vec<LoggedRequest>,
    pub token_counts: TokenRequestCounts,
}

impl State {
    pub fn new(config: Config) -> Self {
        State {
            tokens: TokenStore::default(),
            calendars: CalendarStore::new(&config.account_email),
            failures: FailureQueue::default(),
            log: Vec::new(),
            token_counts: TokenRequestCounts::default(),
            config,
        }
    }

    /// Forgets tokens, codes, events, failures and the request log; one primary calendar again.
    /// Sync tokens from before the reset are gone (410).
    pub fn reset(&mut self) {
        self.tokens = TokenStore::default();
        self.calendars.reset(&self.config.account_email);
        self.failures.clear();
        self.log.clear();
        self.token_counts = TokenRequestCounts::default();
    }
}

/// Locks the state; a test that panicked while holding the lock does not poison the fake.
pub fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
