//! `rondo serve` as a process of its own, driven over HTTP as a browser drives it: the memory a
//! server holds through "Connect" (the first sync) and page loads, without the benchmark's
//! client, comparisons and Radicale helpers in the same process.
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::models::Connection;

/// What the process went through and held.
pub struct Figures {
    /// From "Connect" until the connection is listed as synced.
    pub first_sync: Duration,
    pub occurrences: u64,
    pub page_loads: usize,
    /// Each page's load times in order, the first right after the first sync ended.
    pub page_times: Vec<(&'static str, Vec<Duration>)>,
    /// VmHWM: the most the process held at any moment.
    pub peak_mb: f64,
    /// Resident at the end: anonymous, and mapped files (the program's code).
    pub anonymous_mb: f64,
    pub files_mb: f64,
}

/// Stops the server on every path (a failed assertion included).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn status_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    endpoint: &str,
    fields: &[(&str, &str)],
) -> String {
    let response = http
        .post(format!("{base}/api/{endpoint}"))
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "{endpoint}: {status} {body}");
    body
}

/// Loads a page whole; how long that took.
async fn get(http: &reqwest::Client, base: &str, path: &str) -> Duration {
    let started = Instant::now();
    let response = http.get(format!("{base}{path}")).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.bytes().await.unwrap();
    started.elapsed()
}

/// "name first / median / slowest ms" for each page of `figures`.
pub fn page_times(figures: &Figures) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    figures
        .page_times
        .iter()
        .map(|(name, times)| {
            let mut sorted = times.clone();
            sorted.sort();
            format!(
                "{name} {:.0} / {:.0} / {:.0} ms",
                ms(times[0]),
                ms(sorted[sorted.len() / 2]),
                ms(sorted[sorted.len() - 1])
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Starts `rondo serve` (this build's binary, the engine sized from `RONDO_DB_*` like the rest
/// of the benchmark) on an empty data directory, signs up, adds Bob (a guest of every meeting),
/// connects `calendar` on `server_url`, waits for the first sync, then loads the dashboard, the
/// people list, Bob's page, the meetings and the calendars page `rounds` times each.
pub async fn connect_and_browse(
    server_url: &str,
    calendar: &str,
    (username, password): (&str, &str),
    rounds: usize,
) -> Figures {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_rondo"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("RONDO_") && !name.starts_with("RONDO_DB_") {
            command.env_remove(name.as_ref());
        }
    }
    let server = Server(
        command
            .arg("serve")
            .env("RONDO_DATA_DIR", dir.path())
            .env("RONDO_BIND", format!("127.0.0.1:{port}"))
            .env("RONDO_SITE_ROOT", dir.path().join("site"))
            .env("RONDO_ALLOW_PRIVATE_SERVERS", "true")
            .env("RONDO_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start rondo serve"),
    );
    let pid = server.0.id();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "rondo serve did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (email, secret) = ("bench@example.org", "bench password, long enough");
    let account = [("email", email), ("password", secret)];
    let profile = [("name", "Bench"), ("time_zone", "UTC")];
    post(
        &http,
        &base,
        "sign-up",
        &[&account[..], &profile[..]].concat(),
    )
    .await;
    post(&http, &base, "sign-in", &account).await;
    let bob: String = serde_json::from_str(
        &post(
            &http,
            &base,
            "save-person",
            &[
                ("person[first_name]", "Bob"),
                ("person[emails][0][address]", "bob@example.org"),
            ],
        )
        .await,
    )
    .unwrap();

    let started = Instant::now();
    let connection: Connection = serde_json::from_str(
        &post(
            &http,
            &base,
            "create-caldav",
            &[
                ("connection[server_url]", server_url),
                ("connection[username]", username),
                ("connection[password]", password),
                ("connection[name]", "Bench"),
                ("connection[calendars][0]", calendar),
            ],
        )
        .await,
    )
    .unwrap();
    let synced = loop {
        let listed: Vec<Connection> =
            serde_json::from_str(&post(&http, &base, "list-connections", &[]).await).unwrap();
        let listed = listed.into_iter().find(|c| c.id == connection.id).unwrap();
        if !listed.is_syncing() {
            break listed;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the first sync never ended"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let first_sync = started.elapsed();
    assert!(synced.last_error.is_none(), "{:?}", synced.last_error);

    let bob_page = format!("/people/{bob}");
    let pages = [
        ("dashboard", "/"),
        ("people", "/people"),
        ("the person", bob_page.as_str()),
        ("meetings", "/meetings"),
        ("calendars", "/settings/calendars"),
    ];
    let mut page_times: Vec<(&'static str, Vec<Duration>)> =
        pages.iter().map(|(name, _)| (*name, Vec::new())).collect();
    for _ in 0..rounds {
        for ((_, path), (_, times)) in pages.iter().zip(page_times.iter_mut()) {
            times.push(get(&http, &base, path).await);
        }
    }
    Figures {
        first_sync,
        occurrences: synced.event_count,
        page_loads: rounds * pages.len(),
        page_times,
        peak_mb: status_mb(pid, "VmHWM:"),
        anonymous_mb: status_mb(pid, "RssAnon:"),
        files_mb: status_mb(pid, "RssFile:"),
    }
}
