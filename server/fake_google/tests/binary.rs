//! The `fake-google` binary prints its URL once ready and serves the same API.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_its_url_and_serves() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_fake-google"))
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--client-id",
                "cid",
                "--client-secret",
                "cs",
            ])
            .env("FAKE_GOOGLE_EMAIL", "grace@example.com")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim_end()
        .strip_prefix("fake-google listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let http = reqwest::Client::new();
    let calendars: serde_json::Value = http
        .get(format!("{base}/_fake/calendars"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calendars[0]["id"], "grace@example.com");
    let unauthenticated = http
        .get(format!("{base}/calendar/v3/users/me/calendarList"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let wrong_client = http
        .get(format!(
            "{base}/o/oauth2/v2/auth?client_id=other&redirect_uri=http://x/cb"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_client.status(), 400);
}
