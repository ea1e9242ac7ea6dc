//! Page speed at scale (run: `cargo bench -p server --bench pages`; `BENCH_PEOPLE` and
//! `BENCH_EVENTS` set the size, default 10,000 people and 100,000 events; `BENCH_REQUESTS` the
//! requests per measure, default 200). Over an on-disk SurrealKV database it stores demo people
//! (with emails and activities) and generated meetings with attendees through the store the
//! sync uses (`EventStore::replace_objects`, batches of 50 objects), starts the real HTTP router
//! on loopback and measures each page and the server functions the pages call after hydration
//! with 8 concurrent connections: right after the bulk write (no restart, as after a large
//! sync) and after reopening the database. Prints a Markdown table and rewrites the "Pages"
//! section of BENCHMARKS.md between its markers.
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::models::Provider;
use chrono::{Duration as Span, Utc};
use server::calendar::store::{CalendarKey, NewCalendar, NewConnection, ObjectWrite};
use server::config::Config;
use server::db::Db;
use server::freshness::{touched, Data};
use server::services::Services;

const CONNECTIONS: usize = 8;
const PASSWORD: &str = "correct horse battery";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Meeting `i` of `events`: spread evenly over a year back and a year ahead (so about
/// events/730 fall on each day, today included), 45 minutes, organized by the user, with three
/// of the user's people (every 20th with the busy person) and a stranger.
fn meeting(i: usize, events: usize, emails: &[String]) -> String {
    let year: usize = 365 * 24 * 60;
    let start =
        Utc::now() - Span::minutes(year as i64) + Span::minutes((i * 2 * year / events) as i64);
    let stamp = |t: chrono::DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let n = emails.len();
    let guest = |k: usize| {
        format!(
            "ATTENDEE;CN=Guest;PARTSTAT=ACCEPTED:mailto:{}\r\n",
            emails[k % n]
        )
    };
    let busy = if i.is_multiple_of(20) {
        guest(0)
    } else {
        String::new()
    };
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Rondo bench//EN\r\nBEGIN:VEVENT\r\nUID:pages-{i}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:Meeting {i}\r\nDESCRIPTION:Agenda for meeting {i}: status\\, plans and questions.\r\nLOCATION:https://meet.example.org/{i}\r\nORGANIZER;CN=Bench:mailto:bench@example.org\r\n{busy}{}{}ATTENDEE;CN=Stranger {i};PARTSTAT=NEEDS-ACTION:mailto:stranger{i}@elsewhere.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        stamp(start),
        stamp(start + Span::minutes(45)),
        guest(1 + i * 7),
        guest(1 + i * 13),
    )
}

/// A server on a free loopback port over `db`, as `serve` builds it.
async fn start(db: Db) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let mut config = Config::load_from(None, |_| None).unwrap();
    config.bind = addr;
    config.public_url = base.clone();
    config.site_root = std::env::temp_dir().join("rondo-bench-site");
    let calendar = server::serve::calendar_settings(&config, server::secrets::Keyring::generate());
    let services = Arc::new(Services::new(db, false, calendar));
    let app =
        server::http::router(&config, services).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, task)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap()
}

async fn call(http: &reqwest::Client, base: &str, endpoint: &str, fields: &[(&str, &str)]) {
    let response = http
        .post(format!("{base}/api/{endpoint}"))
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{endpoint}: {}",
        response.status()
    );
}

async fn sign_in(http: &reqwest::Client, base: &str) {
    call(
        http,
        base,
        "sign-in",
        &[("email", "bench@example.org"), ("password", PASSWORD)],
    )
    .await;
}

/// What one request is: a page (GET) or a server function (POST with form fields).
#[derive(Clone)]
enum Request {
    Page(String),
    Call(&'static str, Vec<(&'static str, String)>),
    /// The request with the user's kept reads of `data` made stale before each time, as a
    /// sync that stored a change (calendar data) or a new activity does (their people, and so
    /// the match index, unchanged).
    Afresh(String, &'static [Data], Box<Request>),
}

struct Figures {
    p50: Duration,
    p99: Duration,
    rate: f64,
    bytes: usize,
}

/// `total` requests from `CONNECTIONS` concurrent clients; latency percentiles and throughput.
async fn measure(http: &reqwest::Client, base: &str, request: &Request, total: usize) -> Figures {
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..CONNECTIONS {
        let (http, base, request) = (http.clone(), base.to_string(), request.clone());
        let count = total / CONNECTIONS + usize::from(w < total % CONNECTIONS);
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(count);
            let mut bytes = 0;
            for _ in 0..count {
                let request = match &request {
                    Request::Afresh(owner, data, request) => {
                        for data in data.iter() {
                            touched(owner, *data).await;
                        }
                        request.as_ref()
                    }
                    request => request,
                };
                let t = Instant::now();
                let response = match request {
                    Request::Page(path) => http.get(format!("{base}{path}")).send().await,
                    Request::Call(endpoint, fields) => {
                        http.post(format!("{base}/api/{endpoint}"))
                            .header("accept", "application/json")
                            .form(fields)
                            .send()
                            .await
                    }
                    Request::Afresh(..) => unreachable!("not nested"),
                }
                .unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                bytes = response.bytes().await.unwrap().len();
                samples.push(t.elapsed());
            }
            (samples, bytes)
        }));
    }
    let mut samples = Vec::new();
    let mut bytes = 0;
    for w in workers {
        let (s, b) = w.await.unwrap();
        samples.extend(s);
        bytes = b;
    }
    let wall = started.elapsed();
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
    Figures {
        p50: at(0.50),
        p99: at(0.99),
        rate: samples.len() as f64 / wall.as_secs_f64(),
        bytes,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Every page and call, once as a warm-up, then measured; one table row each.
async fn measure_all(base: &str, requests: &[(String, Request)], total: usize) -> Vec<String> {
    let http = client();
    sign_in(&http, base).await;
    let mut rows = Vec::new();
    for (label, request) in requests {
        measure(&http, base, request, CONNECTIONS).await;
        let f = measure(&http, base, request, total).await;
        eprintln!(
            "{label}: p50 {} p99 {} {:.0} req/s",
            ms(f.p50),
            ms(f.p99),
            f.rate
        );
        rows.push(format!(
            "{} / {} / {:.0} req/s / {:.0} KB",
            ms(f.p50),
            ms(f.p99),
            f.rate,
            f.bytes as f64 / 1000.0
        ));
    }
    rows
}

fn main() {
    server::memory::runtime()
        .expect("tokio runtime")
        .block_on(bench());
}

async fn bench() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a list of tests; there are none.
    }
    // The server's own log set-up (`rondo serve`, warnings here): SurrealDB's trace-level
    // instrumentation then costs what it costs in production, nothing. Without a subscriber
    // it formatted every storage key (6 % of a first sync's CPU).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .init();
    let people = env_or("BENCH_PEOPLE", 10_000);
    let events = env_or("BENCH_EVENTS", 100_000);
    let total = env_or("BENCH_REQUESTS", 200);
    // `BENCH_KEEP_DB` keeps the database for `examples/query_lab.rs` (it must not exist yet).
    let scratch = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("BENCH_KEEP_DB").map(std::path::PathBuf::from);
    let dir = kept.as_deref().unwrap_or(scratch.path());
    let db = server::db::connect(&support::db_settings(dir))
        .await
        .unwrap();
    let (base, server) = start(db.clone()).await;
    let http = client();
    call(
        &http,
        &base,
        "sign-up",
        &[
            ("email", "bench@example.org"),
            ("password", PASSWORD),
            ("name", "Bench"),
            ("time_zone", "UTC"),
        ],
    )
    .await;
    let user = support::bench_user(&db).await;

    let started = Instant::now();
    let demo = server::demo::generate(&db, &user.id, people, 7)
        .await
        .unwrap();
    let people_time = started.elapsed();
    eprintln!(
        "{people} people, {} activities in {people_time:?}",
        demo.activities
    );
    let directory = server::people::People::new(db.clone())
        .directory(&user.id)
        .await
        .unwrap();
    let primary: Vec<(String, String)> = directory
        .emails
        .iter()
        .filter(|e| e.primary)
        .map(|e| (e.person.clone(), e.normalized.clone()))
        .collect();
    let busy = primary[0].0.clone();
    let emails: Vec<String> = primary.iter().map(|(_, e)| e.clone()).collect();

    let connections = server::calendar::store::ConnectionStore::new(db.clone());
    let connection = connections
        .create(
            &user.id,
            NewConnection {
                provider: Provider::CalDav,
                name: "Bench".into(),
                server_url: Some("https://caldav.example.org".into()),
                username: Some("bench".into()),
                account_email: None,
                calendars: vec![NewCalendar {
                    remote_id: "https://caldav.example.org/bench/work/".into(),
                    name: "Work".into(),
                    color: Some("#1BADF8".into()),
                    supports_sync: true,
                    selected: true,
                }],
                sync_frequency: Default::default(),
            },
            |_| None,
        )
        .await
        .unwrap();
    let calendar = connections.calendars(&user.id, &connection).await.unwrap()[0]
        .id
        .clone();
    let key = CalendarKey {
        id: &calendar,
        connection: &connection,
    };
    let matcher = server::matcher::Matcher::new(db.clone());
    let index = matcher.index(&user.id).await.unwrap();
    let store = server::calendar::store::EventStore::new(db.clone());
    let (from, to) = (Utc::now() - Span::days(400), Utc::now() + Span::days(400));
    let self_emails = std::collections::HashSet::from(["bench@example.org".to_string()]);
    let started = Instant::now();
    for batch in (0..events).collect::<Vec<_>>().chunks(50) {
        let objects: Vec<(String, String, Vec<_>)> = batch
            .iter()
            .map(|&i| {
                let text = meeting(i, events, &emails);
                let parsed =
                    server::calendar::ical::parse_calendar(&text, from, to, chrono_tz::Tz::UTC)
                        .unwrap();
                let records = parsed
                    .events
                    .into_iter()
                    .map(|e| server::calendar::caldav_sync::to_record(e, &self_emails))
                    .collect();
                (format!("/bench/work/pages-{i}.ics"), text, records)
            })
            .collect();
        let writes: Vec<ObjectWrite> = objects
            .iter()
            .map(|(href, text, events)| ObjectWrite {
                known: false,
                href,
                etag: "\"1\"",
                data: Some(text),
                events,
            })
            .collect();
        store
            .replace_objects(&user.id, key, &writes, &index)
            .await
            .unwrap();
    }
    let write_time = started.elapsed();
    eprintln!("{events} events stored in {write_time:?}");

    let busy_meetings: Vec<i64> = db
        .query("SELECT VALUE count() FROM event WHERE owner = $owner AND people CONTAINS $busy GROUP ALL")
        .bind(("owner", user.id.clone()))
        .bind(("busy", busy.clone()))
        .await
        .unwrap()
        .take(0)
        .unwrap_or_default();
    let a_meeting: Vec<String> = db
        .query("SELECT VALUE record::id(id) FROM event WHERE owner = $owner AND people CONTAINS $busy LIMIT 1")
        .bind(("owner", user.id.clone()))
        .bind(("busy", busy.clone()))
        .await
        .unwrap()
        .take(0)
        .unwrap();
    let deep_page = (people / app::models::PEOPLE_PER_PAGE as usize / 2).max(2) as u32;
    let deep = deep_page.to_string();
    // What the page before's "Next" link carries: its last person.
    let before_deep = server::people::People::new(db.clone())
        .list(&user.id, "", deep_page - 1, None)
        .await
        .unwrap();
    let next_link = format!(
        "/people?page={deep}&after={}",
        before_deep.items.last().unwrap().id
    );
    let page = |p: &str| Request::Page(p.to_string());
    let call = |e: &'static str, f: &[(&'static str, &str)]| {
        Request::Call(e, f.iter().map(|(k, v)| (*k, v.to_string())).collect())
    };
    let afresh = |data: &'static [Data], request: Request| {
        Request::Afresh(user.id.clone(), data, Box::new(request))
    };
    const BOTH: &[Data] = &[Data::Activities, Data::Calendar];
    const ACTIVITY: &[Data] = &[Data::Activities];
    const SYNC: &[Data] = &[Data::Calendar];
    let requests: Vec<(String, Request)> = vec![
        ("Dashboard page (`/`)".into(), page("/")),
        (
            "Dashboard page, read afresh (after a write each time)".into(),
            afresh(BOTH, page("/")),
        ),
        (
            "Dashboard page after a new activity each time".into(),
            afresh(ACTIVITY, page("/")),
        ),
        (
            "Dashboard page after a sync's change each time".into(),
            afresh(SYNC, page("/")),
        ),
        (
            "People list, first page (`/people`)".into(),
            page("/people"),
        ),
        (
            format!("People list, page {deep} by number"),
            page(&format!("/people?page={deep}")),
        ),
        (
            format!(
                "People list, page {deep} from page {}'s Next link",
                deep_page - 1
            ),
            page(&next_link),
        ),
        (
            format!(
                "Busy person's page ({} meetings)",
                busy_meetings.first().unwrap_or(&0)
            ),
            page(&format!("/people/{busy}")),
        ),
        (
            "Calendars page (`/settings/calendars`)".into(),
            page("/settings/calendars"),
        ),
        ("Meetings page (`/meetings`)".into(), page("/meetings")),
        (
            "A meeting's page (with the busy person)".into(),
            page(&format!("/meetings/{}", a_meeting[0])),
        ),
        ("Settings page (`/settings`)".into(), page("/settings")),
        (
            "Meetings page, unmatched this week".into(),
            page("/meetings?when=week&unmatched=1"),
        ),
        (
            "Meetings page after a sync's change each time".into(),
            afresh(SYNC, page("/meetings")),
        ),
        ("`load-dashboard`".into(), call("load-dashboard", &[])),
        ("`todays-meetings`".into(), call("todays-meetings", &[])),
        (
            "`load-dashboard`, read afresh".into(),
            afresh(BOTH, call("load-dashboard", &[])),
        ),
        (
            "`todays-meetings`, read afresh".into(),
            afresh(BOTH, call("todays-meetings", &[])),
        ),
        (
            "`list-people` (first page)".into(),
            call("list-people", &[("query", ""), ("page", "1")]),
        ),
        (
            "`person-meetings` (busy person, upcoming)".into(),
            call(
                "person-meetings",
                &[("person_id", &busy), ("scope", "upcoming"), ("page", "1")],
            ),
        ),
        (
            "`person-meetings` (busy person, past)".into(),
            call(
                "person-meetings",
                &[("person_id", &busy), ("scope", "past"), ("page", "1")],
            ),
        ),
        (
            "`person-activities` (busy person)".into(),
            call("person-activities", &[("person_id", &busy), ("page", "1")]),
        ),
    ];
    let fresh = measure_all(&base, &requests, total).await;
    let rss_fresh = support::peak_rss_mb();

    // Reopen: stop the server, let the database close, open it again.
    server.abort();
    let _ = server.await;
    drop(db);
    drop(matcher);
    drop(store);
    drop(connections);
    let started = Instant::now();
    let db = loop {
        match server::db::connect(&support::db_settings(dir)).await {
            Ok(db) => break db,
            Err(e) if started.elapsed() < Duration::from_secs(30) => {
                eprintln!("waiting for the database to close: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("cannot reopen the database: {e}"),
        }
    };
    let reopen = started.elapsed();
    let (base, _server) = start(db).await;
    let reopened = measure_all(&base, &requests, total).await;

    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let engine = support::db_settings(dir);
    let mut table = format!(
        "{people} people ({} activities), {events} meetings on one calendar, on-disk SurrealKV \
         (cache {} MiB, memtable {} MiB), {profile} build, {} cores, {}; {total} requests per \
         row from {CONNECTIONS} concurrent connections, after one warm-up round. Storing the \
         people took {:.1} s, the meetings {:.1} s ({:.0} per second); reopening the database \
         {:.2} s.\n\n\
         | Request | Right after the bulk write: p50 / p99 / throughput / size | After reopening |\n\
         | --- | --- | --- |\n",
        demo.activities,
        engine.cache_mb,
        engine.memtable_mb,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        Utc::now().format("%Y-%m-%d"),
        people_time.as_secs_f64(),
        write_time.as_secs_f64(),
        events as f64 / write_time.as_secs_f64(),
        reopen.as_secs_f64(),
    );
    for ((label, _), (a, b)) in requests.iter().zip(fresh.iter().zip(&reopened)) {
        table.push_str(&format!("| {label} | {a} | {b} |\n"));
    }
    let (anon, file) = support::rss_now_mb();
    table.push_str(&format!(
        "\nPeak RSS of the benchmark process (server and client): {rss_fresh:.0} MB after the \
         bulk write and the first round, {:.0} MB at the end; resident at the end: {anon:.0} MB \
         anonymous, {file:.0} MB mapped files.\n",
        support::peak_rss_mb()
    ));
    support::publish("pages", &table);
}
