//! A real Radicale CalDAV server on a free loopback port with a temporary store and htpasswd
//! auth, plus helpers to create calendars and events on it the way another client would.
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "alice";
pub const PASSWORD: &str = "radicale-secret-pw";

pub struct Radicale {
    pub base: String,
    child: Child,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Drop for Radicale {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Radicale {
    pub async fn start() -> Radicale {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let users: PathBuf = dir.path().join("users");
        std::fs::write(
            &users,
            format!(
                "{USER}:{PASSWORD}\nbob:bob-password-123\ndana@example.org:dana-password-123\n"
            ),
        )
        .unwrap();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            format!(
                "[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = {}\nhtpasswd_encryption = plain\n[storage]\nfilesystem_folder = {}\n[logging]\nlevel = warning\n",
                users.display(),
                dir.path().join("collections").display()
            ),
        )
        .unwrap();
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let child = Command::new(python)
            .args(["-m", "radicale", "--config", config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("RADICALE_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start Radicale (pip install radicale)");
        let base = format!("http://127.0.0.1:{port}");
        // A hung answer fails the caller instead of holding up the run (also in the benchmark,
        // which includes this file alone).
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .expect("HTTP client");
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(format!("{base}/.web/")).send().await.is_err() {
            assert!(Instant::now() < deadline, "Radicale did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Radicale {
            base,
            child,
            _dir: dir,
            http,
        }
    }

    /// Where Radicale keeps one of alice's calendars on disk (to write many objects at once; the
    /// sync benchmark does).
    #[allow(dead_code)]
    pub fn collection_dir(&self, name: &str) -> PathBuf {
        self._dir
            .path()
            .join("collections/collection-root")
            .join(USER)
            .join(name)
    }

    pub fn calendar_url(&self, name: &str) -> String {
        format!("{}/{USER}/{name}/", self.base)
    }

    async fn send(
        &self,
        method: &str,
        url: &str,
        body: String,
        content_type: &str,
    ) -> reqwest::StatusCode {
        let response = self
            .http
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
            .basic_auth(USER, Some(PASSWORD))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status.is_success(),
            "{method} {url}: {status} {}",
            response.text().await.unwrap_or_default()
        );
        status
    }

    pub async fn make_calendar(&self, name: &str, display: &str, color: &str) {
        // Radicale creates the principal collection on first authenticated access.
        let _ = self
            .http
            .request(
                reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
                format!("{}/{USER}/", self.base),
            )
            .basic_auth(USER, Some(PASSWORD))
            .header("depth", "0")
            .send()
            .await;
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/">
  <D:set><D:prop><D:displayname>{display}</D:displayname><A:calendar-color>{color}</A:calendar-color>
  <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set>
</C:mkcalendar>"#
        );
        self.send(
            "MKCALENDAR",
            &self.calendar_url(name),
            body,
            "application/xml",
        )
        .await;
    }

    pub async fn put_event(&self, calendar: &str, file: &str, ics: &str) {
        self.send(
            "PUT",
            &format!("{}{file}", self.calendar_url(calendar)),
            ics.replace('\n', "\r\n"),
            "text/calendar",
        )
        .await;
    }

    pub async fn delete_event(&self, calendar: &str, file: &str) {
        let url = format!("{}{file}", self.calendar_url(calendar));
        let status = self
            .http
            .delete(&url)
            .basic_auth(USER, Some(PASSWORD))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "DELETE {url}: {status}");
    }
}
