//! A real Rondo server on a free loopback port over an in-memory database, and a cookie-keeping
//! HTTP client that calls its server functions the way the browser does.
#![allow(dead_code)]
pub mod proxy;
pub mod radicale;
use std::net::SocketAddr;
use std::sync::Arc;

use app::error::AppError;
use serde::de::DeserializeOwned;
use server::config::Config;
use server::services::Services;

pub struct TestServer {
    pub base: String,
    pub services: Arc<Services>,
}

pub async fn start() -> TestServer {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let db = server::db::memory().await.expect("in-memory database");
    let mut config = Config::load_from(None, |_| None).unwrap();
    config.allow_private_servers = true;
    let calendar = server::serve::calendar_settings(&config, server::secrets::Keyring::generate());
    let services = Arc::new(Services::new(db, false, calendar));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    config.bind = addr;
    config.site_root = std::env::temp_dir().join("rondo-test-site");
    let app = server::http::router(&config, services.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestServer {
        base: format!("http://{addr}"),
        services,
    }
}

pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl TestServer {
    pub fn client(&self) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Client {
            base: self.base.clone(),
            http,
        }
    }

    /// A client signed in as a new account.
    pub async fn user(&self, email: &str) -> Client {
        let client = self.client();
        client
            .sign_up(email, "correct horse battery")
            .await
            .expect("sign up");
        client
    }
}

impl Client {
    /// Calls a server function with form fields, decoding its JSON result or `AppError`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        fields: &[(&str, &str)],
    ) -> Result<T, AppError> {
        let response = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("accept", "application/json")
            .form(fields)
            .send()
            .await
            .expect("request");
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
