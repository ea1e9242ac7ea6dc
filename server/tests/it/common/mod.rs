//! A real Rondo server on a free loopback port over an in-memory database, and a cookie-keeping
//! HTTP client that calls its server functions the way the browser does.
pub mod binary;
pub mod calendar;
pub mod proxy;
pub mod radicale;
pub mod surreal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use app::models::SignupMode;
use serde::de::DeserializeOwned;
use server::calendar::service::CalendarSettings;
use server::clock::{Clock, SystemClock};
use server::config::Config;
use server::services::Services;

/// How long a test waits for any one HTTP answer (Rondo's, Radicale's) before failing with
/// the request named: a request that never ends would otherwise hold up the whole test run.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// An HTTP client for a test's helpers, with [`REQUEST_TIMEOUT`].
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("HTTP client")
}

pub struct TestServer {
    pub base: String,
    pub services: Arc<Services>,
}

pub async fn start() -> TestServer {
    start_with_clock(Arc::new(SystemClock)).await
}

/// A server whose syncs and scheduler run on `clock` (e.g. a `ManualClock`).
pub async fn start_with_clock(clock: Arc<dyn Clock>) -> TestServer {
    start_with(move |settings| settings.clock = clock).await
}

/// A server with adjusted calendar settings; Google's redirect URI points back at it.
pub async fn start_with(adjust: impl FnOnce(&mut CalendarSettings)) -> TestServer {
    start_configured(|_| {}, SignupMode::Open, adjust).await
}

/// A server whose sign-up follows `mode` (`RONDO_SIGNUP`).
pub async fn start_with_signup(
    mode: SignupMode,
    adjust: impl FnOnce(&mut CalendarSettings),
) -> TestServer {
    start_configured(|_| {}, mode, adjust).await
}

/// A server whose built client (`pkg/`, `hash.txt`, public files) is in `site_root`.
pub async fn start_with_site(site_root: &std::path::Path) -> TestServer {
    let site_root = site_root.to_path_buf();
    start_configured(
        move |config| config.site_root = site_root,
        SignupMode::Open,
        |_| {},
    )
    .await
}

async fn start_configured(
    configure: impl FnOnce(&mut Config),
    mode: SignupMode,
    adjust: impl FnOnce(&mut CalendarSettings),
) -> TestServer {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let db = server::db::memory().await.expect("in-memory database");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let mut config = Config::load_from(None, |_| None).unwrap();
    config.allow_private_servers = true;
    config.bind = addr;
    config.public_url = base.clone();
    config.site_root = std::env::temp_dir().join("rondo-test-site");
    configure(&mut config);
    let mut calendar =
        server::serve::calendar_settings(&config, server::secrets::Keyring::generate());
    adjust(&mut calendar);
    let services = Arc::new(Services::new(db, false, calendar).with_signup(mode));
    let app = server::http::router(&config, services.clone())
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestServer { base, services }
}

/// Clones share the session (one cookie jar), like two tabs of one browser.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl TestServer {
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// How many events are stored, whoever owns them.
    pub async fn stored_events(&self) -> usize {
        let rows: Vec<serde_json::Value> = self
            .services
            .db
            .query("SELECT uid FROM event")
            .await
            .unwrap()
            .take(0)
            .unwrap();
        rows.len()
    }

    /// A client signed in as a new account.
    pub async fn user(&self, email: &str) -> Client {
        Client::signed_up(&self.base, email).await
    }
}

impl Client {
    /// A browser-like client (keeps cookies, does not follow redirects) for any Rondo at `base`.
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap();
        Client {
            base: base.to_string(),
            http,
        }
    }

    /// The same browser (its cookie jar, so its session) talking to another Rondo process at
    /// `base`: cookies are kept per host, not per port.
    pub fn on(&self, base: &str) -> Client {
        Client {
            base: base.to_string(),
            http: self.http.clone(),
        }
    }

    /// A client signed in as a new account on the Rondo at `base` (signing up starts no
    /// session: it signs in next, as a person would).
    pub async fn signed_up(base: &str, email: &str) -> Client {
        let client = Client::new(base);
        client
            .sign_up(email, "correct horse battery")
            .await
            .expect("sign up");
        client
            .sign_in(email, "correct horse battery")
            .await
            .expect("sign in");
        client
    }

    /// Posts to a server function without judging the answer (for calls that may be cut off).
    pub async fn send(
        &self,
        endpoint: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Result<reqwest::Response> {
        self.http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("accept", "application/json")
            .form(fields)
            .send()
            .await
    }

    /// Posts to a server function and gives up after `wait`, dropping the connection (a browser
    /// leaving the page).
    pub async fn send_and_leave(
        &self,
        endpoint: &str,
        fields: &[(&str, &str)],
        wait: std::time::Duration,
    ) -> reqwest::Result<reqwest::Response> {
        self.http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("accept", "application/json")
            .timeout(wait)
            .form(fields)
            .send()
            .await
    }

    /// Posts to a server function with extra headers (e.g. what a browser says about the page
    /// that sent the request).
    pub async fn send_with(
        &self,
        endpoint: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("accept", "application/json")
            .form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request")
    }

    /// Posts a form the way a browser without JavaScript does: it wants a page back, and says
    /// which page (`referer`, a path) the form was on.
    pub async fn post_plain_form(
        &self,
        endpoint: &str,
        fields: &[(&str, &str)],
        referer: &str,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", format!("{}{referer}", self.base))
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// Calls a server function with form fields, decoding its JSON result or `AppError`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        fields: &[(&str, &str)],
    ) -> Result<T, AppError> {
        let response =
            (self.send(endpoint, fields).await).unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        let status = response.status();
        let body = response.text().await.unwrap();
        if status.is_success() || status.is_redirection() {
            Ok(serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{endpoint}: cannot decode {body:?}: {e}")))
        } else {
            Err(serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{endpoint}: status {status}, body {body:?}: {e}")))
        }
    }

    /// The connection once its running sync (e.g. the first, started by "Add account") has
    /// ended, as the Settings page sees it after polling.
    pub async fn synced(&self, id: &str) -> app::models::Connection {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let list: Vec<app::models::Connection> =
                self.call("list-connections", &[]).await.unwrap();
            let connection = list
                .into_iter()
                .find(|c| c.id == id)
                .unwrap_or_else(|| panic!("connection {id} listed"));
            if !connection.is_syncing() {
                return connection;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the sync of {id} never ended"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The raw body of a request, for checks on exactly what the server sends.
    pub async fn http_text(&self, method: &str, path: &str) -> String {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> Result<(), AppError> {
        self.call(
            "sign-up",
            &[
                ("email", email),
                ("password", password),
                ("name", "Test User"),
                ("time_zone", "Europe/Amsterdam"),
            ],
        )
        .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Result<(), AppError> {
        self.call("sign-in", &[("email", email), ("password", password)])
            .await
    }

    /// Creates a person from `(field, value)` pairs relative to `person[...]`.
    pub async fn save_person(&self, fields: &[(&str, &str)]) -> Result<String, AppError> {
        let named: Vec<(String, &str)> = fields
            .iter()
            .map(|(k, v)| (format!("person[{}]", k.replace('.', "][")), *v))
            .collect();
        let refs: Vec<(&str, &str)> = named.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        self.call("save-person", &refs).await
    }

    pub async fn add_activity(
        &self,
        person: &str,
        title: &str,
        when: &str,
    ) -> Result<String, AppError> {
        self.call(
            "save-activity",
            &[
                ("activity[kind]", "call"),
                ("activity[occurred_at]", when),
                ("activity[title]", title),
                ("activity[notes]", "notes"),
                ("activity[people][0]", person),
            ],
        )
        .await
    }
}
