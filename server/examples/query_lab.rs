//! Times what the slow pages ask of the database, one call at a time, over a database kept by
//! the pages benchmark (`BENCH_KEEP_DB=/some/dir cargo bench -p server --bench pages`):
//!
//!     cargo run --release -p server --example query_lab -- /some/dir ["SQL" ...]
//!
//! With SQL arguments it prints `EXPLAIN ANALYZE` of each instead (`$owner` is the benchmark
//! user, `$busy` its busiest person, `$now` the current time), or with `QUERY_LAB_TIME=1` set
//! times each. `QUERY_LAB_DAY=N` only reads the day's occurrences N times (for a profiler).
//! The engine is sized from `RONDO_DB_CACHE_MB` and `RONDO_DB_MEMTABLE_MB`, like `rondo`.
#[path = "../benches/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use app::api::backend::Backend;
use app::models::MeetingScope;
use chrono::Utc;
use server::services::Services;

async fn time<T, E: std::fmt::Debug, F: std::future::Future<Output = Result<T, E>>>(
    label: &str,
    mut run: impl FnMut() -> F,
) {
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        run().await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "{label:<40} median {:>9.2?}  best {:>9.2?}",
        times[4], times[0]
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().expect("the directory BENCH_KEEP_DB named");
    let settings = support::db_settings(std::path::Path::new(dir));
    let db = server::db::connect(&settings).await.unwrap();
    let user = support::bench_user(&db).await;
    let busy = support::busy_person(&db, &user.id).await;
    if args.len() > 1 && std::env::var_os("QUERY_LAB_TIME").is_some() {
        for sql in &args[1..] {
            time(sql, || async {
                db.query(sql.as_str())
                    .bind(("owner", user.id.clone()))
                    .bind(("busy", busy.clone()))
                    .bind(("now", Utc::now()))
                    .await?
                    .check()
            })
            .await;
        }
        return;
    }
    if args.len() > 1 {
        for sql in &args[1..] {
            let started = Instant::now();
            let mut response = db
                .query(format!("EXPLAIN ANALYZE {sql}"))
                .bind(("owner", user.id.clone()))
                .bind(("busy", busy.clone()))
                .bind(("now", Utc::now()))
                .await
                .unwrap();
            let plan: surrealdb::types::Value = response.take(0).unwrap();
            println!("{sql}\n{:.2?}\n{plan:#?}\n", started.elapsed());
        }
        return;
    }
    let config = server::config::Config::load_from(None, |_| None).unwrap();
    let calendar = server::serve::calendar_settings(&config, server::secrets::Keyring::generate());
    let services = Services::new(db.clone(), false, calendar);
    // `QUERY_LAB_DAY=N`: only reads the day's occurrences N times (for a profiler).
    if let Some(n) = std::env::var("QUERY_LAB_DAY")
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
    {
        let day = Utc::now().date_naive();
        let start = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let end = start + chrono::Duration::days(1);
        let events = &services.calendars.events;
        let started = Instant::now();
        for _ in 0..n {
            events.on_day(&user.id, day, start, end, 500).await.unwrap();
        }
        println!("on_day: {:.2?} each", started.elapsed() / n.max(1));
        return;
    }
    let (u, p) = (&user, busy.as_str());
    let people = services.people();
    let now = Utc::now();
    time("dashboard", || services.dashboard(u)).await;
    time("  people counts", || people.counts(&u.id)).await;
    time("  favorites", || people.favorites(&u.id, 24)).await;
    time("  recent activities", || {
        services.activities.recent(people, &u.id, 10)
    })
    .await;
    time("  recently contacted", || {
        services
            .activities
            .recently_contacted(people, &u.id, now, 8)
    })
    .await;
    time("  activity count", || services.activities.count(&u.id)).await;
    time("  connections", || {
        services.calendars.connections.list_rows(&u.id)
    })
    .await;
    time("list people, page 1", || {
        services.list_people(u, "", 1, None)
    })
    .await;
    time("list people, page 200 by number", || {
        services.list_people(u, "", 200, None)
    })
    .await;
    let page_199 = services.list_people(u, "", 199, None).await.unwrap();
    let next = app::models::NameCursor::After(page_199.items.last().unwrap().id.clone());
    time("list people, page 200 from page 199", || {
        services.list_people(u, "", 200, Some(next.clone()))
    })
    .await;
    time("get person (busy)", || services.get_person(u, p)).await;
    for scope in [MeetingScope::Upcoming, MeetingScope::Past] {
        time(&format!("person meetings {scope:?}"), || {
            services.person_meetings(u, p, scope, 1, None, None)
        })
        .await;
    }
    time("person activities", || services.person_activities(u, p, 1)).await;
    time("todays meetings", || {
        services.todays_meetings(u, None, false)
    })
    .await;
    let day = now.date_naive();
    let start = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let end = start + chrono::Duration::days(1);
    time("  events of the day (store)", || {
        services
            .calendars
            .events
            .on_day(&u.id, day, start, end, 500)
    })
    .await;
    for (when, unmatched) in [
        (app::models::MeetingsWhen::Upcoming, false),
        (app::models::MeetingsWhen::Past, false),
        (app::models::MeetingsWhen::Week, false),
        (app::models::MeetingsWhen::Upcoming, true),
    ] {
        time(
            &format!(
                "meetings {when:?}{}",
                if unmatched { ", unmatched" } else { "" }
            ),
            || services.list_meetings(u, when, unmatched, 1),
        )
        .await;
    }
    let week = (now, now + chrono::Duration::days(7));
    let clock = (now, now.date_naive());
    for among in [
        server::calendar::store::Among::All,
        server::calendar::store::Among::Unknown,
    ] {
        time(&format!("  counts {among:?}"), || {
            use app::models::MeetingsWhen::{Past, Upcoming, Week};
            (services.calendars.events).counts(&u.id, among, clock, week, &[Upcoming, Week, Past])
        })
        .await;
    }
    // What the first view after a new activity or a sync's change reads again.
    use server::freshness::{touched, Data};
    time("dashboard, read afresh", || async {
        touched(&u.id, Data::Activities).await;
        services.dashboard(u).await
    })
    .await;
    time("  activity count, read afresh", || async {
        touched(&u.id, Data::Activities).await;
        services.activities.count(&u.id).await
    })
    .await;
    time("todays meetings, read afresh", || async {
        touched(&u.id, Data::Calendar).await;
        services.todays_meetings(u, None, false).await
    })
    .await;
    for (when, unmatched) in [
        (app::models::MeetingsWhen::Upcoming, false),
        (app::models::MeetingsWhen::Week, true),
    ] {
        let label = format!(
            "meetings {when:?}{}, read afresh",
            if unmatched { ", unmatched" } else { "" }
        );
        time(&label, || async {
            touched(&u.id, Data::Calendar).await;
            services.list_meetings(u, when, unmatched, 1).await
        })
        .await;
    }
    time("todays meetings, after an activity", || async {
        touched(&u.id, Data::Activities).await;
        services.todays_meetings(u, None, false).await
    })
    .await;
    let index = services.calendars.matcher.index(&u.id).await.unwrap();
    time("  suggestions for 8 strangers", || async {
        for i in 0..8 {
            index.match_attendee(
                &format!("stranger{i}@elsewhere.example"),
                Some(&format!("Stranger {i}")),
                false,
            );
        }
        Ok::<(), ()>(())
    })
    .await;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in status.lines().filter(|l| {
        ["VmHWM:", "RssAnon:", "RssFile:"]
            .iter()
            .any(|k| l.starts_with(k))
    }) {
        println!("{line}");
    }
}
