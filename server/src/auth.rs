//! Accounts and sessions: argon2id password hashes, server-side sessions stored by the hash
//! of their token, a throttle on sign-in attempts, and sign-up invites. Owns the `user`,
//! `session` and `invite` tables.
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
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
use app::limits;
use app::models::{SignUpInput, SignupMode, UserInfo, MIN_PASSWORD_LEN};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::db::Db;
use crate::error::{within, StoreError};
use crate::ids::{new_id, record};
use crate::rate_limit::RateLimit;
use crate::text::normalize_email;

pub const SESSION_TTL_DAYS: i64 = 30;

/// The address a user signs in with (none for an unknown id); also one of their own addresses.
pub(crate) async fn account_email(db: &Db, id: &str) -> Result<Option<String>, StoreError> {
    let Some(rid) = record("user", id) else {
        return Ok(None);
    };
    Ok(db
        .query("SELECT VALUE email FROM $rid")
        .bind(("rid", rid))
        .await?
        .take(0)?)
}

pub fn validate_email(email: &str) -> Result<(), StoreError> {
    within("An email address", email, limits::EMAIL)?;
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

/// Argon2 runs on the blocking pool, never on the async workers, and at most this many at
/// once: a burst of sign-ins queues instead of starving every other request of CPU.
pub const HASHING_PERMITS: usize = 2;

/// Password hashing off the async workers, bounded by a semaphore, and counted (the counts
/// let tests observe how many guesses were actually evaluated).
#[derive(Clone)]
pub struct Hashing {
    permits: Arc<Semaphore>,
    hashes: Arc<AtomicUsize>,
    verifications: Arc<AtomicUsize>,
}

impl Default for Hashing {
    fn default() -> Self {
        Self::new(HASHING_PERMITS)
    }
}

/// An argon2id hash of a password nobody has: unknown addresses are verified against it so
/// they take as long as known ones.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Vd8bNxJQ1yXgkJ3x7ucvDS5P4RW4Ni7uc8mGxsmWqeE";

impl Hashing {
    pub fn new(permits: usize) -> Self {
        Hashing {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            hashes: Arc::default(),
            verifications: Arc::default(),
        }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        // The permit moves into the blocking task: a request abandoned mid-hash still holds it
        // until the hash is done, so the bound holds.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .expect("password hashing panicked")
    }

    pub async fn hash(&self, password: &str) -> Result<String, StoreError> {
        self.hashes.fetch_add(1, Ordering::Relaxed);
        let password = SecretString::from(password);
        self.run(move || hash_password(password.expose_secret()))
            .await
    }

    /// Verifies against `hash`, or against a dummy hash (always false) when there is none.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let password = SecretString::from(password);
        let (hash, real) = match hash {
            Some(hash) => (hash.to_string(), true),
            None => (DUMMY_HASH.to_string(), false),
        };
        self.run(move || verify_password(password.expose_secret(), &hash) && real)
            .await
    }

    /// Passwords hashed so far (sign-ups).
    pub fn hashes(&self) -> usize {
        self.hashes.load(Ordering::Relaxed)
    }

    /// Passwords verified so far (sign-in attempts that were evaluated).
    pub fn verifications(&self) -> usize {
        self.verifications.load(Ordering::Relaxed)
    }
}

/// Sign-in attempts per address and per client over a sliding window. An attempt takes its
/// place *before* the password is checked (check and count are one step), so however many
/// guesses race, at most the allowance is ever evaluated; a successful sign-in gives its
/// places back.
pub struct SignInThrottle {
    per_email: RateLimit,
    per_client: RateLimit,
}

/// Attempts one client address may make per window, across all addresses it tries.
pub const CLIENT_ATTEMPTS: usize = 20;

/// Whom the per-client limit counts: an IPv4 address, or an IPv6 /64 (one subscriber's
/// network: a single host can pick any address in it).
fn client_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

impl SignInThrottle {
    /// `max_attempts` per address, [`CLIENT_ATTEMPTS`] per client, over `window`.
    pub fn new(max_attempts: usize, window: StdDuration) -> Self {
        Self::with_client_limit(max_attempts, CLIENT_ATTEMPTS, window)
    }

    pub fn with_client_limit(per_email: usize, per_client: usize, window: StdDuration) -> Self {
        SignInThrottle {
            per_email: RateLimit::new(per_email, window),
            per_client: RateLimit::new(per_client, window),
        }
    }

    fn refused(wait: StdDuration) -> StoreError {
        StoreError::RateLimited(wait.as_secs().div_ceil(60).max(1))
    }

    /// Takes a place for one attempt for `email_key` from `client`, or refuses (with the
    /// minutes to wait) when either allowance is used up. A refused attempt takes no place.
    pub fn reserve(
        &self,
        email_key: &str,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), StoreError> {
        let client = client.map(client_key);
        if let Some(client) = &client {
            self.per_client
                .try_acquire(client, now)
                .map_err(Self::refused)?;
        }
        if let Err(wait) = self.per_email.try_acquire(email_key, now) {
            if let Some(client) = &client {
                self.per_client.release(client, now);
            }
            return Err(Self::refused(wait));
        }
        Ok(())
    }

    /// A successful sign-in: the address starts afresh, and the client gets this attempt's
    /// place back (only this one: a client cannot wipe its failures by signing in to an
    /// account of its own between guesses).
    pub fn succeeded(&self, email_key: &str, client: Option<IpAddr>, now: Instant) {
        self.per_email.clear(email_key);
        if let Some(client) = client {
            self.per_client.release(&client_key(client), now);
        }
    }
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self::new(5, StdDuration::from_secs(15 * 60))
    }
}

/// What a sign-up did. Callers facing the public must answer both the same way.
#[derive(Debug)]
pub enum SignUpOutcome {
    Created(UserInfo),
    /// The address already had an account; nothing was changed and no session started.
    AlreadyExists,
}

/// How long an invite code stays valid unless told otherwise.
pub const INVITE_DAYS: i64 = 7;

/// A fresh invite code: shown once, stored only as its hash.
#[derive(Debug)]
pub struct Invite {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

const SIGNUP_CLOSED: &str =
    "Sign-up is closed on this server. Ask its administrator for an account.";
const INVITE_INVALID: &str = "This invite code is not valid: it may be mistyped, already used or expired. Ask the administrator for a new one.";

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
    signup: SignupMode,
    pub hashing: Hashing,
}

impl Accounts {
    pub fn new(db: Db, throttle: SignInThrottle) -> Self {
        Self {
            db,
            throttle,
            signup: SignupMode::Open,
            hashing: Hashing::default(),
        }
    }

    pub fn set_signup(&mut self, mode: SignupMode) {
        self.signup = mode;
    }

    async fn has_accounts(&self) -> Result<bool, StoreError> {
        let ids: Vec<surrealdb::types::RecordId> = self
            .db
            .query("SELECT VALUE id FROM user LIMIT 1")
            .await?
            .take(0)?;
        Ok(!ids.is_empty())
    }

    /// The sign-up mode in force: the first account may always be created.
    pub async fn signup_mode(&self) -> Result<SignupMode, StoreError> {
        Ok(match self.signup {
            SignupMode::Open => SignupMode::Open,
            mode if self.has_accounts().await? => mode,
            _ => SignupMode::Open,
        })
    }

    /// Creates an account unless the address has one. Either way it hashes the password (so
    /// both take as long) and starts no session; in invite mode a valid code is spent either
    /// way. Only errors that do not depend on the address (invalid input, sign-up closed, a
    /// bad invite code) are reported.
    pub async fn sign_up(&self, input: &SignUpInput) -> Result<SignUpOutcome, StoreError> {
        let email = input.email.trim();
        validate_email(email)?;
        within("The name", input.name.trim(), limits::NAME)?;
        within("The password", &input.password, limits::PASSWORD)?;
        if input.password.chars().count() < MIN_PASSWORD_LEN {
            return Err(StoreError::Invalid(format!(
                "The password must be at least {MIN_PASSWORD_LEN} characters long."
            )));
        }
        // Cheap refusals first (they do not depend on the address), before any hashing.
        let mode = self.signup_mode().await?;
        let invite_hash = match mode {
            SignupMode::Open => None,
            SignupMode::Closed => return Err(StoreError::Invalid(SIGNUP_CLOSED.into())),
            SignupMode::Invite => {
                let code = input.invite.as_deref().map(str::trim).unwrap_or_default();
                if code.is_empty() || !self.invite_is_valid(code).await? {
                    return Err(StoreError::Invalid(INVITE_INVALID.into()));
                }
                Some(token_hash(code))
            }
        };
        let id = new_id();
        let hash = self.hashing.hash(&input.password).await?;
        // The mode is checked again inside the transaction: the authority, should accounts or
        // invites change meanwhile.
        let mut response = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 LET $exists = array::len((SELECT VALUE id FROM user LIMIT 1)) > 0;
                 IF $mode = 'closed' AND $exists { THROW 'signup_closed'; };
                 IF $mode = 'invite' AND $exists {
                    LET $spent = (DELETE invite WHERE code_hash = $invite AND expires_at > time::now() RETURN BEFORE);
                    IF array::len($spent) = 0 { THROW 'invite_invalid'; };
                 };
                 CREATE $rid CONTENT { email: $email, email_key: $key, name: $name, password_hash: $hash, time_zone: $tz, created_at: time::now() };
                 COMMIT TRANSACTION;",
            )
            // The configured mode, not the effective one: of two racing "first" sign-ups in
            // closed or invite mode, the later transaction sees the earlier account.
            .bind(("mode", match self.signup {
                SignupMode::Open => "open",
                SignupMode::Closed => "closed",
                SignupMode::Invite => "invite",
            }))
            .bind(("invite", invite_hash.clone().unwrap_or_default()))
            .bind(("rid", record("user", &id).expect("generated id")))
            .bind(("email", email.to_string()))
            .bind(("key", normalize_email(email)))
            .bind(("name", input.name.trim().to_string()))
            .bind(("hash", hash))
            .bind(("tz", valid_time_zone(&input.time_zone)))
            .await?;
        // In a failed transaction every statement reports an error; look at all of them.
        let mut errors: Vec<(usize, surrealdb::Error)> =
            response.take_errors().into_iter().collect();
        errors.sort_by_key(|(i, _)| *i);
        let said = |text: &str| errors.iter().any(|(_, e)| e.to_string().contains(text));
        match errors.first() {
            None => {}
            Some(_) if said("user_email") => {
                // The code is spent as it would have been for a new address.
                if let Some(invite) = invite_hash {
                    self.db
                        .query("DELETE invite WHERE code_hash = $invite")
                        .bind(("invite", invite))
                        .await?
                        .check()?;
                }
                return Ok(SignUpOutcome::AlreadyExists);
            }
            Some(_) if said("signup_closed") => {
                return Err(StoreError::Invalid(SIGNUP_CLOSED.into()))
            }
            Some(_) if said("invite_invalid") => {
                return Err(StoreError::Invalid(INVITE_INVALID.into()))
            }
            Some(_) => return Err(StoreError::Db(errors.remove(0).1)),
        }
        Ok(SignUpOutcome::Created(self.user(&id).await?))
    }

    async fn invite_is_valid(&self, code: &str) -> Result<bool, StoreError> {
        let found: Vec<surrealdb::types::RecordId> = self
            .db
            .query("SELECT VALUE id FROM invite WHERE code_hash = $hash AND expires_at > time::now() LIMIT 1")
            .bind(("hash", token_hash(code)))
            .await?
            .take(0)?;
        Ok(!found.is_empty())
    }

    /// A single-use invite code valid for `days`; only its hash is stored.
    pub async fn create_invite(&self, days: i64) -> Result<Invite, StoreError> {
        let code = random_token();
        let expires_at = Utc::now() + Duration::days(days.clamp(1, 365));
        self.db
            .query("CREATE invite CONTENT { code_hash: $hash, created_at: time::now(), expires_at: $expires }")
            .bind(("hash", token_hash(&code)))
            .bind(("expires", expires_at))
            .await?
            .check()?;
        Ok(Invite { code, expires_at })
    }

    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<(UserInfo, NewSession), StoreError> {
        self.sign_in_at(email, password, client, Instant::now())
            .await
    }

    pub async fn sign_in_at(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Result<(UserInfo, NewSession), StoreError> {
        let key = normalize_email(email);
        // The attempt counts from here on, whatever happens next.
        self.throttle.reserve(&key, client, now)?;
        let row: Option<UserRow> = self
            .db
            .query(format!(
                "SELECT {USER_FIELDS} FROM user WHERE email_key = $key LIMIT 1"
            ))
            .bind(("key", key.clone()))
            .await?
            .take(0)?;
        // Verified even for unknown emails so timing does not reveal which accounts exist.
        let verified = self
            .hashing
            .verify(password, row.as_ref().map(|r| r.password_hash.as_str()))
            .await;
        match row {
            Some(row) if verified => {
                self.throttle.succeeded(&key, client, now);
                let session = self.create_session(&row.id).await?;
                Ok((row.into(), session))
            }
            _ => Err(StoreError::BadCredentials),
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

    /// Run at every start: processes starting together on a shared database may meet here.
    pub async fn purge_expired_sessions(&self) -> Result<(), StoreError> {
        crate::db::retrying(|| async {
            self.db
                .query("DELETE session WHERE expires_at < time::now()")
                .await?
                .check()?;
            Ok(())
        })
        .await
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
        within("The name", name.trim(), limits::NAME)?;
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

/// `rondo invite create`: prints a new single-use invite code.
pub async fn run_create_invite(config: &crate::config::Config, days: i64) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)?;
    let db = crate::db::connect(&config.db_settings()).await?;
    let invite = Accounts::new(db, SignInThrottle::default())
        .create_invite(days)
        .await?;
    println!("{}", invite.code);
    eprintln!(
        "Single-use invite code, valid until {} (UTC). It is shown only now; sign-up needs RONDO_SIGNUP=invite.",
        invite.expires_at.format("%Y-%m-%d %H:%M")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_ipv6_network_is_one_client() {
        let ip = |t: &str| t.parse::<IpAddr>().unwrap();
        assert_eq!(client_key(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(client_key(ip("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(
            client_key(ip("2001:db8:1:2:aaaa::1")),
            client_key(ip("2001:db8:1:2:ffff:1:2:3"))
        );
        assert_ne!(
            client_key(ip("2001:db8:1:2::1")),
            client_key(ip("2001:db8:1:3::1"))
        );
        let throttle = SignInThrottle::with_client_limit(100, 2, StdDuration::from_secs(60));
        let now = Instant::now();
        throttle.reserve("a", Some(ip("2001:db8::1")), now).unwrap();
        throttle.reserve("b", Some(ip("2001:db8::2")), now).unwrap();
        assert!(throttle.reserve("c", Some(ip("2001:db8::3")), now).is_err());
        assert!(throttle.reserve("c", Some(ip("2001:db9::3")), now).is_ok());
    }
}
