//! Configuration: defaults, then an optional TOML file, then environment variables.
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;
use thiserror::Error;

use app::models::SignupMode;

use crate::calendar::google::GoogleEndpoints;
use crate::db::{AuthLevel, DbSettings};

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("invalid value for {name}: {reason}")]
    Value { name: &'static str, reason: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// `None` means embedded SurrealKV in `<data_dir>/db`.
    pub database_url: Option<String>,
    pub database_namespace: String,
    pub database_name: String,
    pub database_user: Option<String>,
    pub database_password: Option<SecretString>,
    /// Embedded SurrealKV: block cache size (MiB).
    pub db_cache_mb: u64,
    /// Embedded SurrealKV: memtable size (MiB) before it is flushed to disk.
    pub db_memtable_mb: u64,
    /// Where `database_user` is defined on the server: root, namespace or database.
    pub database_auth: AuthLevel,
    pub secret_key_file: Option<PathBuf>,
    pub public_url: String,
    pub log: String,
    /// Where the built client lives (`pkg/` with the WASM, JS and CSS, plus public assets).
    pub site_root: PathBuf,
    /// Base64 master key given directly instead of the key file.
    pub secret_key: Option<SecretString>,
    /// Let users connect calendar servers on loopback/private addresses (LAN self-hosting, tests).
    pub allow_private_servers: bool,
    /// The only proxy calendar traffic (CalDAV, Google) goes through; `HTTP_PROXY`,
    /// `HTTPS_PROXY` and `ALL_PROXY` are ignored for it.
    pub calendar_proxy: Option<reqwest::Url>,
    pub http_connect_timeout_secs: u64,
    pub http_timeout_secs: u64,
    /// Background sync: every connection at least this often (minutes), even when its own
    /// frequency is longer; none by default (each connection's own frequency).
    pub sync_interval_minutes: Option<u64>,
    /// At most this many syncs at once.
    pub sync_concurrency: usize,
    /// At most this many sync starts per second per provider.
    pub sync_rate_per_provider: f64,
    /// How long one sync may hold its connection's lease (seconds): the longest a crashed
    /// process keeps the connection from being synced elsewhere.
    pub sync_lease_seconds: u64,
    /// The longest one sync may run (minutes) before it is stopped; it carries on next time.
    pub sync_timeout_minutes: u64,
    /// Run the background scheduler in `serve` (off for a web-only replica).
    pub scheduler: bool,
    /// How long a user's dashboard and day of meetings may be reused (seconds): how far they
    /// may lag behind the clock, and behind another process's write whose count was lost
    /// (writes otherwise show at once, `freshness`). 0 reads afresh every time.
    pub cache_seconds: u64,
    /// Google OAuth client (both unset: "Add Google Calendar" explains what to configure).
    pub google_client_id: Option<String>,
    pub google_client_secret: Option<SecretString>,
    /// Google's endpoints; overridable for tests against a local fake.
    pub google_endpoints: GoogleEndpoints,
    /// Who may create accounts (`RONDO_SIGNUP`: open, closed or invite).
    pub signup: SignupMode,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`RONDO_TRUSTED_PROXIES`, comma
    /// separated): sign-ins are throttled per client address, which behind a proxy is the
    /// forwarded one.
    pub trusted_proxies: Vec<IpAddr>,
}

/// The TOML file's shape; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    database_namespace: Option<String>,
    database_name: Option<String>,
    database_user: Option<String>,
    database_password: Option<SecretString>,
    db_cache_mb: Option<u64>,
    db_memtable_mb: Option<u64>,
    database_auth: Option<String>,
    secret_key_file: Option<PathBuf>,
    public_url: Option<String>,
    log: Option<String>,
    site_root: Option<PathBuf>,
    secret_key: Option<SecretString>,
    allow_private_servers: Option<bool>,
    calendar_proxy: Option<String>,
    http_connect_timeout_secs: Option<u64>,
    http_timeout_secs: Option<u64>,
    sync_interval_minutes: Option<u64>,
    sync_concurrency: Option<usize>,
    sync_rate_per_provider: Option<f64>,
    sync_lease_seconds: Option<u64>,
    sync_timeout_minutes: Option<u64>,
    scheduler: Option<bool>,
    cache_seconds: Option<u64>,
    google_client_id: Option<String>,
    google_client_secret: Option<SecretString>,
    google_auth_url: Option<String>,
    google_token_url: Option<String>,
    google_revoke_url: Option<String>,
    google_userinfo_url: Option<String>,
    google_api_url: Option<String>,
    signup: Option<String>,
    trusted_proxies: Option<Vec<String>>,
}

fn parse_env<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<T>, ConfigError>
where
    T::Err: std::fmt::Display,
{
    env(name)
        .map(|v| {
            v.trim().parse::<T>().map_err(|e| ConfigError::Value {
                name,
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// An http(s) proxy URL (no SOCKS support is built in).
fn parse_proxy(text: &str) -> Result<reqwest::Url, ConfigError> {
    let fail = |reason: &str| ConfigError::Value {
        name: "RONDO_CALENDAR_PROXY",
        reason: reason.to_string(),
    };
    let url = reqwest::Url::parse(text).map_err(|e| fail(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(fail("must be an http:// or https:// proxy URL"));
    }
    Ok(url)
}

impl Config {
    /// Reads `RONDO_CONFIG` (or `explicit`) if given, then applies `RONDO_*` environment variables.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(explicit, |name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    pub fn load_from(
        explicit: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let path = explicit
            .map(Path::to_path_buf)
            .or_else(|| env("RONDO_CONFIG").map(PathBuf::from));
        let file = match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|e| ConfigError::File {
                    path,
                    reason: e.to_string(),
                })?
            }
            None => FileConfig::default(),
        };
        let bind_text = env("RONDO_BIND")
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        let bind = bind_text
            .parse()
            .map_err(|e: std::net::AddrParseError| ConfigError::Value {
                name: "RONDO_BIND",
                reason: e.to_string(),
            })?;
        let public_url = env("RONDO_PUBLIC_URL")
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{bind}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::Value {
                name: "RONDO_PUBLIC_URL",
                reason: "must start with http:// or https://".into(),
            });
        }
        let calendar_proxy = env("RONDO_CALENDAR_PROXY")
            .or(file.calendar_proxy)
            .filter(|p| !p.trim().is_empty())
            .map(|p| parse_proxy(p.trim()))
            .transpose()?;
        let signup = env("RONDO_SIGNUP")
            .or(file.signup)
            .map(|v| v.parse::<SignupMode>())
            .transpose()
            .map_err(|reason| ConfigError::Value {
                name: "RONDO_SIGNUP",
                reason,
            })?
            .unwrap_or_default();
        let trusted_proxies = env("RONDO_TRUSTED_PROXIES")
            .map(|v| v.split(',').map(str::to_string).collect())
            .or(file.trusted_proxies)
            .unwrap_or_default()
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<IpAddr>().map_err(|e| ConfigError::Value {
                    name: "RONDO_TRUSTED_PROXIES",
                    reason: format!("{v}: {e}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let database_auth = env("RONDO_DATABASE_AUTH")
            .or(file.database_auth)
            .map(|v| v.parse::<AuthLevel>())
            .transpose()
            .map_err(|reason| ConfigError::Value {
                name: "RONDO_DATABASE_AUTH",
                reason,
            })?
            .unwrap_or_default();
        Ok(Config {
            database_auth,
            signup,
            trusted_proxies,
            bind,
            data_dir: env("RONDO_DATA_DIR")
                .map(PathBuf::from)
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("data")),
            database_url: env("RONDO_DATABASE_URL").or(file.database_url),
            database_namespace: env("RONDO_DATABASE_NAMESPACE")
                .or(file.database_namespace)
                .unwrap_or_else(|| "rondo".into()),
            database_name: env("RONDO_DATABASE_NAME")
                .or(file.database_name)
                .unwrap_or_else(|| "main".into()),
            database_user: env("RONDO_DATABASE_USER").or(file.database_user),
            database_password: env("RONDO_DATABASE_PASSWORD")
                .map(SecretString::from)
                .or(file.database_password),
            db_cache_mb: parse_env(&env, "RONDO_DB_CACHE_MB")?
                .or(file.db_cache_mb)
                .unwrap_or(crate::db::DEFAULT_CACHE_MB)
                .clamp(1, 1 << 20),
            db_memtable_mb: parse_env(&env, "RONDO_DB_MEMTABLE_MB")?
                .or(file.db_memtable_mb)
                .unwrap_or(crate::db::DEFAULT_MEMTABLE_MB)
                // Below 8 MiB a single object's kept text may not fit in one transaction.
                .clamp(8, 1 << 20),
            secret_key_file: env("RONDO_SECRET_KEY_FILE")
                .map(PathBuf::from)
                .or(file.secret_key_file),
            public_url: public_url.trim_end_matches('/').to_string(),
            log: env("RONDO_LOG")
                .or(file.log)
                .unwrap_or_else(|| "info".into()),
            site_root: env("RONDO_SITE_ROOT")
                .map(PathBuf::from)
                .or(file.site_root)
                .unwrap_or_else(|| PathBuf::from("target/site")),
            secret_key: env("RONDO_SECRET_KEY")
                .map(SecretString::from)
                .or(file.secret_key),
            allow_private_servers: parse_env(&env, "RONDO_ALLOW_PRIVATE_SERVERS")?
                .or(file.allow_private_servers)
                .unwrap_or(false),
            calendar_proxy,
            http_connect_timeout_secs: parse_env(&env, "RONDO_HTTP_CONNECT_TIMEOUT")?
                .or(file.http_connect_timeout_secs)
                .unwrap_or(10),
            http_timeout_secs: parse_env(&env, "RONDO_HTTP_TIMEOUT")?
                .or(file.http_timeout_secs)
                .unwrap_or(60),
            sync_interval_minutes: parse_env(&env, "RONDO_SYNC_INTERVAL_MINUTES")?
                .or(file.sync_interval_minutes)
                .map(|minutes| minutes.max(1)),
            sync_concurrency: parse_env(&env, "RONDO_SYNC_CONCURRENCY")?
                .or(file.sync_concurrency)
                .unwrap_or(4)
                .max(1),
            sync_rate_per_provider: parse_env(&env, "RONDO_SYNC_RATE_PER_PROVIDER")?
                .or(file.sync_rate_per_provider)
                .unwrap_or(2.0_f64)
                .max(0.01),
            // A day at most: a lease is a crash guard, not a lock to hold for good.
            sync_lease_seconds: parse_env(&env, "RONDO_SYNC_LEASE_SECONDS")?
                .or(file.sync_lease_seconds)
                .unwrap_or(600)
                .clamp(1, 86_400),
            cache_seconds: parse_env(&env, "RONDO_CACHE_SECONDS")?
                .or(file.cache_seconds)
                .unwrap_or(crate::freshness::DEFAULT_TIME_TO_LIVE_SECONDS)
                .min(86_400),
            sync_timeout_minutes: parse_env(&env, "RONDO_SYNC_TIMEOUT_MINUTES")?
                .or(file.sync_timeout_minutes)
                .unwrap_or(15)
                .clamp(1, 24 * 60),
            scheduler: parse_env(&env, "RONDO_SCHEDULER")?
                .or(file.scheduler)
                .unwrap_or(true),
            google_client_id: env("RONDO_GOOGLE_CLIENT_ID").or(file.google_client_id),
            google_client_secret: env("RONDO_GOOGLE_CLIENT_SECRET")
                .map(SecretString::from)
                .or(file.google_client_secret),
            google_endpoints: {
                let d = GoogleEndpoints::default();
                GoogleEndpoints {
                    auth_url: env("RONDO_GOOGLE_AUTH_URL")
                        .or(file.google_auth_url)
                        .unwrap_or(d.auth_url),
                    token_url: env("RONDO_GOOGLE_TOKEN_URL")
                        .or(file.google_token_url)
                        .unwrap_or(d.token_url),
                    revoke_url: env("RONDO_GOOGLE_REVOKE_URL")
                        .or(file.google_revoke_url)
                        .unwrap_or(d.revoke_url),
                    userinfo_url: env("RONDO_GOOGLE_USERINFO_URL")
                        .or(file.google_userinfo_url)
                        .unwrap_or(d.userinfo_url),
                    api_url: env("RONDO_GOOGLE_API_URL")
                        .or(file.google_api_url)
                        .unwrap_or(d.api_url),
                }
            },
        })
    }

    pub fn db_settings(&self) -> DbSettings {
        DbSettings {
            endpoint: self
                .database_url
                .clone()
                .unwrap_or_else(|| format!("surrealkv://{}", self.data_dir.join("db").display())),
            namespace: self.database_namespace.clone(),
            database: self.database_name.clone(),
            username: self.database_user.clone(),
            password: self.database_password.clone(),
            cache_mb: self.db_cache_mb,
            memtable_mb: self.db_memtable_mb,
            auth_level: self.database_auth,
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn secret_key_path(&self) -> PathBuf {
        self.secret_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secret.key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_are_local_and_embedded() {
        let c = Config::load_from(None, env_of(&[])).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert!(!c.secure_cookies());
        assert_eq!(c.db_settings().endpoint, "surrealkv://data/db");
        assert_eq!(c.secret_key_path(), PathBuf::from("data/secret.key"));
        assert_eq!(c.sync_lease_seconds, 600);
    }

    #[test]
    fn the_database_user_may_be_a_namespace_or_database_user() {
        let c = Config::load_from(None, env_of(&[])).unwrap();
        assert_eq!(c.db_settings().auth_level, AuthLevel::Root);
        let c = Config::load_from(
            None,
            env_of(&[
                ("RONDO_DATABASE_URL", "ws://127.0.0.1:8000"),
                ("RONDO_DATABASE_USER", "rondo"),
                ("RONDO_DATABASE_PASSWORD", "pw"),
                ("RONDO_DATABASE_AUTH", "Database"),
            ]),
        )
        .unwrap();
        let settings = c.db_settings();
        assert_eq!(settings.auth_level, AuthLevel::Database);
        assert_eq!(settings.username.as_deref(), Some("rondo"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rondo.toml");
        std::fs::write(&path, "database_auth = \"namespace\"\n").unwrap();
        let c = Config::load_from(Some(&path), env_of(&[])).unwrap();
        assert_eq!(c.database_auth, AuthLevel::Namespace);
        let err = Config::load_from(None, env_of(&[("RONDO_DATABASE_AUTH", "admin")])).unwrap_err();
        assert!(err.to_string().contains("RONDO_DATABASE_AUTH"), "{err}");
    }

    #[test]
    fn the_sync_lease_is_configurable_within_bounds() {
        let c = Config::load_from(None, env_of(&[("RONDO_SYNC_LEASE_SECONDS", "5")])).unwrap();
        assert_eq!(c.sync_lease_seconds, 5);
        let c = Config::load_from(None, env_of(&[("RONDO_SYNC_LEASE_SECONDS", "0")])).unwrap();
        assert_eq!(
            c.sync_lease_seconds, 1,
            "never zero: every sync holds its lease"
        );
        let err =
            Config::load_from(None, env_of(&[("RONDO_SYNC_LEASE_SECONDS", "soon")])).unwrap_err();
        assert!(
            err.to_string().contains("RONDO_SYNC_LEASE_SECONDS"),
            "{err}"
        );
    }

    #[test]
    fn the_embedded_database_memory_is_bounded_and_configurable() {
        let c = Config::load_from(None, env_of(&[])).unwrap();
        assert_eq!(
            (c.db_settings().cache_mb, c.db_settings().memtable_mb),
            (32, 32)
        );
        let c = Config::load_from(
            None,
            env_of(&[("RONDO_DB_CACHE_MB", "256"), ("RONDO_DB_MEMTABLE_MB", "0")]),
        )
        .unwrap();
        assert_eq!(
            (c.db_settings().cache_mb, c.db_settings().memtable_mb),
            (256, 8),
            "a transaction needs room"
        );
    }

    #[test]
    fn the_cache_lifetime_is_configurable_and_bounded() {
        let c = Config::load_from(None, env_of(&[])).unwrap();
        assert_eq!(c.cache_seconds, 300);
        let c = Config::load_from(None, env_of(&[("RONDO_CACHE_SECONDS", "0")])).unwrap();
        assert_eq!(c.cache_seconds, 0, "caching off");
        let c = Config::load_from(None, env_of(&[("RONDO_CACHE_SECONDS", "9999999")])).unwrap();
        assert_eq!(c.cache_seconds, 86_400);
        let err = Config::load_from(None, env_of(&[("RONDO_CACHE_SECONDS", "-1")])).unwrap_err();
        assert!(err.to_string().contains("RONDO_CACHE_SECONDS"), "{err}");
    }

    #[test]
    fn signup_mode_and_trusted_proxies_are_read() {
        let c = Config::load_from(None, env_of(&[])).unwrap();
        assert_eq!(c.signup, SignupMode::Open);
        assert!(c.trusted_proxies.is_empty());
        let c = Config::load_from(
            None,
            env_of(&[
                ("RONDO_SIGNUP", "Invite"),
                ("RONDO_TRUSTED_PROXIES", "127.0.0.1, ::1"),
            ]),
        )
        .unwrap();
        assert_eq!(c.signup, SignupMode::Invite);
        assert_eq!(c.trusted_proxies.len(), 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rondo.toml");
        std::fs::write(
            &path,
            "signup = \"closed\"\ntrusted_proxies = [\"10.0.0.1\"]\n",
        )
        .unwrap();
        let c = Config::load_from(Some(&path), env_of(&[])).unwrap();
        assert_eq!(c.signup, SignupMode::Closed);
        assert_eq!(
            c.trusted_proxies,
            vec!["10.0.0.1".parse::<IpAddr>().unwrap()]
        );
        for (name, value) in [
            ("RONDO_SIGNUP", "sometimes"),
            ("RONDO_TRUSTED_PROXIES", "proxy.local"),
        ] {
            let err = Config::load_from(None, env_of(&[(name, value)])).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn file_is_read_and_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rondo.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:8080\"\ndatabase_url = \"ws://db:8000\"\npublic_url = \"https://crm.example.org/\"\nlog = \"debug\"\n").unwrap();
        let c = Config::load_from(Some(&path), env_of(&[("RONDO_LOG", "warn")])).unwrap();
        assert_eq!(c.bind.to_string(), "0.0.0.0:8080");
        assert_eq!(c.db_settings().endpoint, "ws://db:8000");
        assert_eq!(c.public_url, "https://crm.example.org");
        assert!(c.secure_cookies());
        assert_eq!(c.log, "warn");
    }

    #[test]
    fn the_calendar_proxy_is_explicit_and_checked() {
        let c = Config::load_from(None, env_of(&[("HTTPS_PROXY", "http://ignored:3128")])).unwrap();
        assert_eq!(
            c.calendar_proxy, None,
            "proxy variables are not configuration"
        );
        let c = Config::load_from(
            None,
            env_of(&[("RONDO_CALENDAR_PROXY", " http://proxy.lan:3128 ")]),
        )
        .unwrap();
        assert_eq!(
            c.calendar_proxy.as_ref().map(|u| u.as_str()),
            Some("http://proxy.lan:3128/")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rondo.toml");
        std::fs::write(
            &path,
            "calendar_proxy = \"https://user:pw@proxy.example:8443\"\n",
        )
        .unwrap();
        let c = Config::load_from(Some(&path), env_of(&[])).unwrap();
        assert_eq!(
            c.calendar_proxy.as_ref().and_then(|u| u.host_str()),
            Some("proxy.example")
        );
        for bad in ["socks5://proxy:1080", "proxy.lan:3128", "not a url"] {
            let err =
                Config::load_from(None, env_of(&[("RONDO_CALENDAR_PROXY", bad)])).unwrap_err();
            assert!(
                err.to_string().contains("RONDO_CALENDAR_PROXY"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        let err = Config::load_from(None, env_of(&[("RONDO_BIND", "nonsense")])).unwrap_err();
        assert!(err.to_string().contains("RONDO_BIND"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "unknown_key = 1").unwrap();
        assert!(Config::load_from(Some(&path), env_of(&[]))
            .unwrap_err()
            .to_string()
            .contains("unknown"));
    }
}
