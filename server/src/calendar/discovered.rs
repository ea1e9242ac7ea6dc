//! What "Test connection" just discovered, so that "Add account" right after it stores the
//! connection without discovering the same account a second time. In memory, per user, for a
//! few minutes, and only for exactly the same server URL, username and password: the password
//! is never kept, only a keyed hash of the three (the key is random per process).
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::caldav_sync::{self, CalDavAccount};
use crate::secrets::ExposeSecret;

/// How long a test's discovery stands in for the connect that follows it.
pub const REUSE_FOR: Duration = Duration::from_secs(10 * 60);

/// Users remembered at once; past this, expired entries go first, then the oldest.
const MAX_USERS: usize = 10_000;

struct Entry {
    account: [u8; 32],
    found: caldav_sync::Discovered,
    at: Instant,
}

pub struct Discovered {
    key: [u8; 32],
    entries: Mutex<HashMap<String, Entry>>,
}

impl Default for Discovered {
    fn default() -> Self {
        Discovered {
            key: rand::random(),
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl Discovered {
    fn fingerprint(&self, account: &CalDavAccount) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(self.key);
        for part in [
            account.server_url.as_bytes(),
            account.username.as_bytes(),
            account.password.expose_secret().as_bytes(),
        ] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        hash.finalize().into()
    }

    /// Remembers `owner`'s latest discovery (replacing any earlier one).
    pub fn remember(&self, owner: &str, account: &CalDavAccount, found: &caldav_sync::Discovered) {
        let entry = Entry {
            account: self.fingerprint(account),
            found: found.clone(),
            at: Instant::now(),
        };
        let mut entries = self.entries.lock().expect("discoveries");
        if entries.len() >= MAX_USERS && !entries.contains_key(owner) {
            entries.retain(|_, e| e.at.elapsed() < REUSE_FOR);
            if entries.len() >= MAX_USERS {
                if let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.at)
                    .map(|(k, _)| k.clone())
                {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(owner.to_string(), entry);
    }

    /// What `owner` discovered for exactly this account in the last `REUSE_FOR`, if anything;
    /// used once.
    pub fn take(&self, owner: &str, account: &CalDavAccount) -> Option<caldav_sync::Discovered> {
        let fingerprint = self.fingerprint(account);
        let mut entries = self.entries.lock().expect("discoveries");
        let fresh = entries
            .get(owner)
            .is_some_and(|e| e.account == fingerprint && e.at.elapsed() < REUSE_FOR);
        if !fresh {
            return None;
        }
        entries.remove(owner).map(|e| e.found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(url: &str, user: &str, password: &str) -> CalDavAccount {
        CalDavAccount {
            server_url: url.into(),
            username: user.into(),
            password: password.into(),
            outbound: Default::default(),
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
        }
    }

    fn found() -> caldav_sync::Discovered {
        caldav_sync::Discovered {
            calendars: vec![caldav_sync::FoundCalendar {
                remote_id: "/dana/cal/".into(),
                name: "Work".into(),
                color: None,
                supports_sync: true,
            }],
            addresses: vec!["dana@example.org".into()],
        }
    }

    #[test]
    fn only_the_same_account_of_the_same_user_reuses_a_discovery_and_only_once() {
        let discovered = Discovered::default();
        let tested = account("https://dav.example", "dana", "secret");
        discovered.remember("u1", &tested, &found());
        assert!(discovered.take("u2", &tested).is_none());
        for other in [
            account("https://dav.example", "dana", "other"),
            account("https://other.example", "dana", "secret"),
            account("https://dav.example", "dan", "secret"),
        ] {
            assert!(discovered.take("u1", &other).is_none());
        }
        assert_eq!(discovered.take("u1", &tested), Some(found()));
        assert!(discovered.take("u1", &tested).is_none(), "used once");
    }
}
