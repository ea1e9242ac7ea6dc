//! Sync speed against a real Radicale with generated data (run: `scripts/bench.sh`, or
//! `cargo bench -p server --bench sync`; `BENCH_EVENTS` sets the calendar size, default 10,000).
//! Measures the first full sync ("Connect"), an unchanged re-sync, one raw calendar-query
//! REPORT of all the data for comparison, and the process's peak RSS, over an on-disk
//! SurrealKV database as in production. Prints a Markdown table and rewrites the
//! "Sync" section of BENCHMARKS.md between its markers.
#[path = "../tests/it/common/radicale.rs"]
#[allow(dead_code)]
mod radicale;

mod support;

#[path = "support/rondo_process.rs"]
mod rondo_process;

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::models::{CalDavInput, UserInfo};
use chrono::{Duration as Days, Utc};
use radicale::{Radicale, PASSWORD, USER};
use server::calendar::service::{CalendarSettings, Calendars};
use server::matcher::Matcher;
use server::secrets::Keyring;

/// CPU time this process has used so far (user and system, every thread), in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only fills the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The generated calendar connected to `rondo serve` in a process of its own, then its pages
/// loaded 20 times each.
async fn serve_and_browse(radicale: &Radicale) -> rondo_process::Figures {
    let calendar = radicale.calendar_url("work");
    rondo_process::connect_and_browse(&radicale.base, &calendar, (USER, PASSWORD), 20).await
}

/// Resident memory now (anonymous and mapped), in MB.
fn resident() -> f64 {
    let (anonymous, mapped) = support::rss_now_mb();
    anonymous + mapped
}

/// Event `i` of the generated calendar: meetings spread over ±60 days with three guests; every
/// tenth a weekly series.
fn generated(i: usize) -> String {
    let start = Utc::now() - Days::days(60) + Days::minutes((i as i64 * 173) % (120 * 24 * 60));
    let stamp = |t: chrono::DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let rule = if i.is_multiple_of(10) {
        "RRULE:FREQ=WEEKLY;COUNT=20\r\n"
    } else {
        ""
    };
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Rondo bench//EN\r\nBEGIN:VEVENT\r\nUID:bench-{i}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\n{rule}SUMMARY:Meeting {i}\r\nDESCRIPTION:Agenda for meeting {i}: status\\, plans and questions.\r\nLOCATION:https://meet.example.org/{i}\r\nORGANIZER;CN=Alice:mailto:alice@example.org\r\nATTENDEE;CN=Guest {i};PARTSTAT=ACCEPTED:mailto:guest{i}@example.org\r\nATTENDEE;CN=Bob Builder;PARTSTAT=TENTATIVE:mailto:bob@example.org\r\nATTENDEE;CN=Carol;PARTSTAT=NEEDS-ACTION:mailto:carol{}@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        stamp(start),
        stamp(start + Days::minutes(45)),
        i % 97
    )
}

/// Writes the objects straight into Radicale's store (PUT by PUT takes minutes for thousands);
/// Radicale reads new files on the next request.
fn fill(radicale: &Radicale, events: usize) {
    let dir = radicale.collection_dir("work");
    for i in 0..events {
        std::fs::write(dir.join(format!("bench-{i}.ics")), generated(i)).unwrap();
    }
}

/// One REPORT on the calendar, as Rondo's client would send it; the answer's length.
async fn report(http: &reqwest::Client, radicale: &Radicale, body: String) -> usize {
    http.request(
        reqwest::Method::from_bytes(b"REPORT").unwrap(),
        radicale.calendar_url("work"),
    )
    .basic_auth(USER, Some(PASSWORD))
    .header("depth", "1")
    .header("content-type", "application/xml")
    .body(body)
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap()
    .len()
}

/// One calendar-query REPORT returning every object's data: what the network and Radicale
/// alone cost.
async fn raw_report(radicale: &Radicale) -> (Duration, usize) {
    let body = r#"<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/></c:filter></c:calendar-query>"#;
    let started = Instant::now();
    let bytes = report(&reqwest::Client::new(), radicale, body.to_string()).await;
    (started.elapsed(), bytes)
}

/// The multigets a first sync sends (batches of 50), timed alone.
async fn raw_multigets(radicale: &Radicale, events: usize) -> Duration {
    let http = reqwest::Client::new();
    let path = format!("/{USER}/work/");
    let started = Instant::now();
    for batch in (0..events).collect::<Vec<_>>().chunks(50) {
        let hrefs: String = batch
            .iter()
            .map(|i| format!("<d:href>{path}bench-{i}.ics</d:href>"))
            .collect();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>{hrefs}</c:calendar-multiget>"#
        );
        report(&http, radicale, body).await;
    }
    started.elapsed()
}

/// vdirsyncer's first and unchanged syncs of the same calendar into a local folder, when it is
/// installed (`scripts/bench.sh` installs it from PyPI): the comparison the sync is held to.
fn vdirsyncer(radicale: &Radicale) -> Option<(Duration, Duration)> {
    let program = std::env::var("BENCH_VDIRSYNCER").unwrap_or_else(|_| "vdirsyncer".into());
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    std::fs::create_dir_all(&local).unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[general]\nstatus_path = \"{status}\"\n\n\
             [pair bench]\na = \"bench_remote\"\nb = \"bench_local\"\ncollections = null\n\n\
             [storage bench_remote]\ntype = \"caldav\"\nurl = \"{url}\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\nread_only = true\n\n\
             [storage bench_local]\ntype = \"filesystem\"\npath = \"{local}\"\nfileext = \".ics\"\n",
            status = dir.path().join("status").display(),
            url = radicale.calendar_url("work"),
            local = local.display(),
        ),
    )
    .unwrap();
    let run = |args: &[&str]| -> Option<Duration> {
        let started = Instant::now();
        let status = std::process::Command::new(&program)
            .arg("-c")
            .arg(&config)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| started.elapsed())
    };
    run(&["discover", "bench"])?;
    let first = run(&["sync", "bench"])?;
    let copied = std::fs::read_dir(&local).map_or(0, |d| d.count());
    eprintln!("vdirsyncer copied {copied} objects");
    let unchanged = run(&["sync", "bench"])?;
    Some((first, unchanged))
}

/// How Rondo's time compares with another's, in words.
fn faster(rondo: Duration, other: Duration) -> String {
    let ratio = other.as_secs_f64() / rondo.as_secs_f64();
    if ratio >= 1.0 {
        format!("Rondo {ratio:.1}× faster")
    } else {
        format!("Rondo {:.1}× slower", 1.0 / ratio)
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
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
    let events: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let radicale = Radicale::start().await;
    radicale.make_calendar("work", "Work", "#1BADF8").await;
    let started = Instant::now();
    fill(&radicale, events);
    eprintln!("generated {events} events in {}", secs(started.elapsed()));
    if std::env::var("BENCH_SERVE_ONLY").is_ok_and(|v| v == "1") {
        // For sizing the engine: the `rondo serve` process's figures alone, nothing published
        // (Radicale's cache warmed first, as the full run's earlier phases do).
        raw_report(&radicale).await;
        let serve = serve_and_browse(&radicale).await;
        eprintln!(
            "rondo serve: first sync {} ({} occurrences), peak {:.0} MB after {} page loads (now {:.0} MB anonymous, {:.0} MB files); pages first / median / slowest: {}",
            secs(serve.first_sync),
            serve.occurrences,
            serve.peak_mb,
            serve.page_loads,
            serve.anonymous_mb,
            serve.files_mb,
            rondo_process::page_times(&serve)
        );
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let settings = support::db_settings(dir.path());
    let (cache_mb, memtable_mb) = (settings.cache_mb, settings.memtable_mb);
    let db = server::db::connect(&settings).await.unwrap();
    let calendars = Arc::new(Calendars::new(
        db.clone(),
        Arc::new(Matcher::new(db.clone())),
        CalendarSettings {
            request_timeout: Duration::from_secs(300),
            sync_timeout: Duration::from_secs(3600),
            ..CalendarSettings::new(Keyring::generate(), true)
        },
    ));
    let user = UserInfo {
        id: "bench".into(),
        email: "alice@example.org".into(),
        name: "Alice".into(),
        time_zone: "UTC".into(),
    };

    // Radicale builds its cache on first reading new files: warm it, then time the second.
    raw_report(&radicale).await;
    let (raw, bytes) = raw_report(&radicale).await;
    let multigets = raw_multigets(&radicale, events).await;
    let texts: Vec<String> = (0..events).map(generated).collect();
    let started = Instant::now();
    let (from, to) = (Utc::now() - Days::days(90), Utc::now() + Days::days(30));
    let occurrences: usize = texts
        .iter()
        .map(|t| {
            server::calendar::ical::parse_calendar(t, from, to, chrono_tz::Tz::UTC)
                .map_or(0, |p| p.events.len())
        })
        .sum();
    let parse = started.elapsed();
    drop(texts);
    // What the comparisons above allocated is not the server's: hand it back before measuring.
    // SAFETY: malloc_trim only releases free pages the allocator owns.
    unsafe {
        libc::malloc_trim(0);
    }
    // Peaks from here on are the sync's and the deletion's, not the comparisons' above.
    let before_sync = resident();
    support::reset_peak_rss();
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let connection = calendars
        .create_caldav(
            &user,
            CalDavInput {
                name: "Bench".into(),
                server_url: radicale.base.clone(),
                username: USER.into(),
                password: PASSWORD.into(),
                calendars: vec![radicale.calendar_url("work")],
                all_calendars: false,
                sync_frequency: None,
            },
        )
        .await
        .unwrap();
    // The first sync runs in the background; joining it waits for its end.
    let report = calendars
        .start_sync(&user.id, &connection.id)
        .await
        .unwrap()
        .report()
        .await;
    assert_eq!(report.error, None);
    let first = started.elapsed();
    let first_cpu = cpu_seconds() - cpu_before;
    let sync_peak = support::peak_rss_mb();
    if std::env::var("BENCH_FIRST_SYNC_ONLY").is_ok_and(|v| v == "1") {
        // For profiling the first sync: its figures, nothing published.
        eprintln!(
            "first sync {} ({:.2} s CPU, {before_sync:.0} → {sync_peak:.0} MB, now anon/file {:?}); multigets alone {}; raw REPORT {}",
            secs(first),
            first_cpu,
            support::rss_now_mb(),
            secs(multigets),
            secs(raw)
        );
        return;
    }
    let before_unchanged = resident();
    support::reset_peak_rss();
    let stored: Vec<serde_json::Value> = db
        .query("SELECT count() AS n FROM event GROUP ALL")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    // The first sync lists without a token; the second takes one (a full listing, in which
    // Radicale writes its per-object history), later ones ask what changed since.
    let mut unchanged = Vec::new();
    for _ in 0..2 {
        let started = Instant::now();
        let report = calendars.sync(&user.id, &connection.id).await.unwrap();
        unchanged.push(started.elapsed());
        assert_eq!(report.error, None);
        assert_eq!(report.added + report.changed + report.removed, 0);
    }
    let (token_taken, resync) = (unchanged[0], unchanged[1]);
    let unchanged_peak = support::peak_rss_mb();

    let compared = vdirsyncer(&radicale);
    if compared.is_none() {
        eprintln!("vdirsyncer not found or failed: no comparison (scripts/bench.sh installs it)");
    }
    let comparison = compared.map_or_else(String::new, |(first_v, unchanged_v)| {
        format!(
            "| vdirsyncer, first sync of the same calendar into a folder | {} ({}) |\n\
             | vdirsyncer, unchanged re-sync | {} |\n",
            secs(first_v),
            faster(first, first_v),
            secs(unchanged_v),
        )
    });

    let before_delete = resident();
    support::reset_peak_rss();
    let started = Instant::now();
    calendars.delete(&user, &connection.id).await.unwrap();
    let deleted = started.elapsed();
    let left: Vec<serde_json::Value> = db
        .query("SELECT VALUE id FROM event LIMIT 1")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    assert!(left.is_empty(), "the connection's events are gone");
    let delete_peak = support::peak_rss_mb();

    // The same calendar connected to `rondo serve` in a process of its own, then its pages.
    let serve = serve_and_browse(&radicale).await;

    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let table = format!(
        "Calendar of {events} objects ({} stored occurrences) on Radicale, on-disk SurrealKV \
         (cache {cache_mb} MiB, memtable {memtable_mb} MiB), \
         {profile} build, {} cores, {}.\n\n\
         | Measure | Result |\n| --- | --- |\n\
         | First full sync (\"Connect\": discovery, listing, multiget, parse, match, store) | {} ({:.0} events/s; {:.1} s of this process's CPU) |\n\
         | Second sync, unchanged (takes the sync token: one token-less sync-collection REPORT) | {} |\n\
         | Unchanged re-sync (one sync-collection REPORT with the token) | {} |\n\
         | Parse and expand every object ({} occurrences in the window), one core | {} |\n\
         | The same objects fetched by multiget in batches of 50, alone | {} |\n\
         | Raw calendar-query REPORT of all data ({:.1} MB), for comparison | {} |\n\
         | First sync ÷ raw REPORT | {:.1}× |\n\
         {comparison}\
         | Deleting the connection (every stored occurrence, 500 per statement) | {} |\n\
         | Peak RSS of the benchmark process (server side and Rondo's test client), each phase from the memory resident before it: first sync / the two unchanged syncs / deleting the connection | {:.0} → {:.0} MB / {:.0} → {:.0} MB / {:.0} → {:.0} MB |\n\
         | Resident at the end: anonymous / mapped files | {:.0} MB / {:.0} MB |\n\
         | `rondo serve` in a process of its own, over HTTP: \"Connect\" until the first sync of the same calendar ended ({} occurrences) | {} |\n\
         | Peak RSS of that `rondo serve` process through the first sync and {} page loads (dashboard, people, the person in every meeting, meetings, calendars) | {:.0} MB (resident at the end: {:.0} MB anonymous, {:.0} MB mapped files) |\n\
         | Those page loads, one at a time from the end of the first sync, each page's first / median / slowest of {} | {} |\n",
        stored.first().and_then(|r| r["n"].as_i64()).unwrap_or(0),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        Utc::now().format("%Y-%m-%d"),
        secs(first),
        events as f64 / first.as_secs_f64(),
        first_cpu,
        secs(token_taken),
        secs(resync),
        occurrences,
        secs(parse),
        secs(multigets),
        bytes as f64 / 1e6,
        secs(raw),
        first.as_secs_f64() / raw.as_secs_f64(),
        secs(deleted),
        before_sync,
        sync_peak,
        before_unchanged,
        unchanged_peak,
        before_delete,
        delete_peak,
        support::rss_now_mb().0,
        support::rss_now_mb().1,
        serve.occurrences,
        secs(serve.first_sync),
        serve.page_loads,
        serve.peak_mb,
        serve.anonymous_mb,
        serve.files_mb,
        serve.page_loads / serve.page_times.len().max(1),
        rondo_process::page_times(&serve),
    );
    support::publish("sync", &table);
}
