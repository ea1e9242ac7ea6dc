//! Accounts and sessions: argon2id password hashes, server-side sessions stored by the hash
//! of their token, and a throttle on failed sign-ins.
use std::time::{Duration as StdDuration, Instant};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use surrealdb::types::SurrealValue;

use app::api::backend::NewSession;
use app::models::{UserInfo, MIN_PASSWORD_LEN};

use crate::db::Db;
use crate::error::StoreError;
use crate::ids::{new_id, record};
use crate::rate_limit::RateLimit;
use crate::text::normalize_email;

pub const SESSION_TTL_DAYS: i64 = 30;

pub fn validate_email(email: &str) -> Result<(), StoreError> {
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "\"{email}\" is not a valid email address."
        )))
    }
}

pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| StoreError::Hash)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// 256 random bits, URL-safe: session tokens and OAuth `state` values.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are stored hashed, so a database leak does not hand out live sessions.
pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Counts failed sign-ins per email over a sliding window.
pub struct SignInThrottle(RateLimit);

impl SignInThrottle {
    pub fn new(max_failures: usize, window: StdDuration) -> Self {
        Self(RateLimit::new(max_failures, window))
    }

    /// Refuses (with the minutes to wait) once the allowance of failures is used up.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), StoreError> {
        match self.0.wait(key, now) {
            Some(wait) => Err(StoreError::RateLimited(wait.as_secs().div_ceil(60).max(1))),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        self.0.record(key, now);
    }

    pub fn clear(&self, key: &str) {
        self.0.clear(key);
    }
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self::new(5, StdDuration::from_secs(15 * 60))
    }
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct UserRow {
    id: String,
    email: String,
    name: String,
    password_hash: String,
    time_zone: String,
}

impl From<UserRow> for UserInfo {
    fn from(row: UserRow) -> Self {
        UserInfo {
            id: row.id,
            email: row.email,
            name: row.name,
            time_zone: row.time_zone,
        }
    }
}

const USER_FIELDS: &str = "record::id(id) AS id, email, name, password_hash, time_zone";

fn valid_time_zone(tz: &str) -> String {
    tz.parse::<chrono_tz::Tz>()
        .map(|z| z.name().to_string())
        .unwrap_or_else(|_| "UTC".into())
}

pub struct Accounts {
    db: Db,
    throttle: SignInThrottle,
}

impl Accounts {
    pub fn new(db: Db, throttle: SignInThrottle) -> Self {
        Self { db, throttle }
    }

    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        name: &str,
        time_zone: &str,
    ) -> Result<(UserInfo, NewSession), StoreError> {
        let email = email.trim();
        validate_email(email)?;
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(StoreError::Invalid(format!(
                "The password must be at least {MIN_PASSWORD_LEN} characters long."
            )));
        }
        let id = new_id();
        let hash = hash_password(password)?;
        let result = self
            .db
            .query("CREATE $rid CONTENT { email: $email, email_key: $key, name: $name, password_hash: $hash, time_zone: $tz, created_at: time::now() }")
            .bind(("rid", record("user", &id).expect("generated id")))
            .bind(("email", email.to_string()))
            .bind(("key", normalize_email(email)))
            .bind(("name", name.trim().to_string()))
            .bind(("hash", hash))
            .bind(("tz", valid_time_zone(time_zone)))
            .await
            .and_then(|r| r.check());
        match result.map_err(StoreError::from) {
            Err(e) if e.violates("user_email") => {
                return Err(StoreError::Conflict(
                    "An account with this email already exists. Sign in instead.".into(),
                ))
            }
            other => other?,
        };
        let user = self.user(&id).await?;
        let session = self.create_session(&id).await?;
        Ok((user, session))
    }

    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<(UserInfo, NewSession), StoreError> {
        self.sign_in_at(email, password, Instant::now()).await
    }

    pub async fn sign_in_at(
        &self,
        email: &str,
        password: &str,
        now: Instant,
    ) -> Result<(UserInfo, NewSession), StoreError> {
        let key = normalize_email(email);
        self.throttle.check(&key, now)?;
        let row: Option<UserRow> = self
            .db
            .query(format!(
                "SELECT {USER_FIELDS} FROM user WHERE email_key = $key LIMIT 1"
            ))
            .bind(("key", key.clone()))
            .await?
            .take(0)?;
        // Hash even for unknown emails so timing does not reveal which accounts exist.
        let verified = match &row {
            Some(row) => verify_password(password, &row.password_hash),
            None => {
                let _ = verify_password(password, "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Vd8bNxJQ1yXgkJ3x7ucvDS5P4RW4Ni7uc8mGxsmWqeE");
                false
            }
        };
        match row {
            Some(row) if verified => {
                self.throttle.clear(&key);
                let session = self.create_session(&row.id).await?;
                Ok((row.into(), session))
            }
            _ => {
                self.throttle.record_failure(&key, now);
                Err(StoreError::BadCredentials)
            }
        }
    }

    async fn create_session(&self, user_id: &str) -> Result<NewSession, StoreError> {
        let token = random_token();
        let expires_at = Utc::now() + Duration::days(SESSION_TTL_DAYS);
        self.db
            .query("CREATE session CONTENT { token_hash: $hash, user: $user, created_at: time::now(), expires_at: $expires }")
            .bind(("hash", token_hash(&token)))
            .bind(("user", user_id.to_string()))
            .bind(("expires", expires_at))
            .await?
            .check()?;
        Ok(NewSession { token, expires_at })
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), StoreError> {
        self.db
            .query("DELETE session WHERE token_hash = $hash")
            .bind(("hash", token_hash(token)))
            .await?
            .check()?;
        Ok(())
    }

    pub async fn user_for_session(&self, token: &str) -> Result<Option<UserInfo>, StoreError> {
        #[derive(Debug, SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct SessionRow {
            user: String,
            expires_at: DateTime<Utc>,
        }
        let session: Option<SessionRow> = self
            .db
            .query("SELECT user, expires_at FROM session WHERE token_hash = $hash LIMIT 1")
            .bind(("hash", token_hash(token)))
            .await?
            .take(0)?;
        match session {
            Some(s) if s.expires_at > Utc::now() => match self.user(&s.user).await {
                Ok(user) => Ok(Some(user)),
                Err(StoreError::NotFound(_)) => Ok(None),
                Err(e) => Err(e),
            },
            Some(_) => {
                self.sign_out(token).await?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    pub async fn purge_expired_sessions(&self) -> Result<(), StoreError> {
        self.db
            .query("DELETE session WHERE expires_at < time::now()")
            .await?
            .check()?;
        Ok(())
    }

    pub async fn user(&self, id: &str) -> Result<UserInfo, StoreError> {
        let rid = record("user", id).ok_or(StoreError::NotFound("user"))?;
        let row: Option<UserRow> = self
            .db
            .query(format!("SELECT {USER_FIELDS} FROM $rid"))
            .bind(("rid", rid))
            .await?
            .take(0)?;
        row.map(Into::into).ok_or(StoreError::NotFound("user"))
    }

    pub async fn user_by_email(&self, email: &str) -> Result<UserInfo, StoreError> {
        let row: Option<UserRow> = self
            .db
            .query(format!(
                "SELECT {USER_FIELDS} FROM user WHERE email_key = $key LIMIT 1"
            ))
            .bind(("key", normalize_email(email)))
            .await?
            .take(0)?;
        row.map(Into::into).ok_or(StoreError::NotFound("user"))
    }

    pub async fn update_profile(
        &self,
        user: &UserInfo,
        name: &str,
        time_zone: &str,
    ) -> Result<UserInfo, StoreError> {
        if time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(StoreError::Invalid(format!(
                "\"{time_zone}\" is not a known time zone."
            )));
        }
        self.db
            .query("UPDATE $rid SET name = $name, time_zone = $tz")
            .bind((
                "rid",
                record("user", &user.id).ok_or(StoreError::NotFound("user"))?,
            ))
            .bind(("name", name.trim().to_string()))
            .bind(("tz", time_zone.to_string()))
            .await?
            .check()?;
        self.user(&user.id).await
    }
}
