//! The background scheduler against a real Radicale, on a simulated clock: nothing here waits
//! for time to pass, the tests move a `ManualClock` instead. Covers the interval, fairness
//! across users under the concurrency cap, backoff and recovery, lease expiry after a crash and
//! re-authentication.
use crate::common;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use app::models::{Connection, ConnectionStatus, MeetingList, MyAddress, SyncFrequency, SyncRun};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use common::calendar::{connect, connect_named, connection_owner, dana_put, event, BOB, DANA};
use common::proxy::Recorder;
use common::radicale::{Radicale, PASSWORD, USER};
use common::TestServer;
use server::calendar::store::{ConnectionRow, Lease};
use server::clock::{Clock, ManualClock};
use server::scheduler::{Scheduler, SchedulerConfig};

const INTERVAL: Duration = Duration::minutes(15);
const SECOND: Duration = Duration::seconds(1);

/// A server on a manual clock starting now (whole seconds, so stored times compare exactly), and
/// Radicale with one upcoming meeting in Dana's calendar.
async fn setup() -> (Radicale, Arc<ManualClock>, TestServer) {
    setup_timed(
        server::calendar::service::DEFAULT_SYNC_TIMEOUT,
        server::calendar::service::DEFAULT_LEASE,
    )
    .await
}

fn scheduler(server: &TestServer, concurrency: usize) -> Scheduler {
    Scheduler::new(
        server.services.calendars.clone(),
        SchedulerConfig {
            tick: StdDuration::from_secs(30),
            concurrency,
            rate_per_provider: 100.0,
        },
    )
}

/// Who holds each connection's sync lease (`null` for nobody).
async fn lease_holders(server: &TestServer) -> Vec<serde_json::Value> {
    server
        .services
        .db
        .query("SELECT VALUE lease_owner FROM connection")
        .await
        .unwrap()
        .take(0)
        .unwrap()
}

async fn row(server: &TestServer, id: &str) -> ConnectionRow {
    common::calendar::connection_row(server, id).await
}

async fn history(client: &common::Client, connection: &Connection) -> Vec<SyncRun> {
    client
        .call("connection-history", &[("id", &connection.id)])
        .await
        .unwrap()
}

fn at(time: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Some(time)
}

#[tokio::test]
async fn each_connection_is_synced_once_per_interval() {
    let (radicale, clock, server) = setup().await;
    let dana = server.user("interval@example.org").await;
    let connection = connect(&dana, &radicale.base, false).await;
    let t0 = clock.now();
    let scheduler = scheduler(&server, 2);
    assert_eq!(
        row(&server, &connection.id).await.next_sync_at,
        at(t0 + INTERVAL)
    );

    // Synced when connected: not due until a whole interval has passed.
    assert!(scheduler.tick().await.unwrap().is_empty());
    clock.advance(INTERVAL - SECOND);
    assert!(scheduler.tick().await.unwrap().is_empty());
    clock.advance(SECOND);
    assert_eq!(scheduler.tick().await.unwrap(), vec![connection.id.clone()]);
    assert_eq!(
        row(&server, &connection.id).await.next_sync_at,
        at(t0 + INTERVAL * 2),
        "the next sync counts from this one"
    );

    // A change on the server arrives with nobody clicking, at the next interval.
    dana_put(
        &radicale,
        "b.ics",
        &event("b", "Review", Utc::now() + Duration::days(2), BOB),
    )
    .await;
    clock.advance(INTERVAL - SECOND);
    assert!(scheduler.tick().await.unwrap().is_empty());
    let list: Vec<Connection> = dana.call("list-connections", &[]).await.unwrap();
    assert_eq!(list[0].event_count, 1, "not synced before its time");
    clock.advance(SECOND);
    assert_eq!(scheduler.tick().await.unwrap().len(), 1);
    let list: Vec<Connection> = dana.call("list-connections", &[]).await.unwrap();
    assert_eq!(list[0].event_count, 2);

    // The history is stamped with the sync clock.
    let runs = history(&dana, &connection).await;
    assert_eq!(
        runs.iter().map(|r| r.started_at).collect::<Vec<_>>(),
        vec![t0 + INTERVAL * 2, t0 + INTERVAL, t0]
    );
    assert!(runs.iter().all(|r| r.error.is_none()), "{runs:?}");
}

/// Saves the Edit dialog with another sync frequency (`SyncFrequency::as_str`).
async fn set_frequency(
    client: &common::Client,
    connection: &Connection,
    frequency: &str,
) -> Result<Connection, app::error::AppError> {
    client
        .call(
            "update-connection",
            &[
                ("update[id]", connection.id.as_str()),
                ("update[name]", connection.name.as_str()),
                (
                    "update[calendars][0]",
                    connection.calendars[0].remote_id.as_str(),
                ),
                ("update[sync_enabled]", "on"),
                ("update[sync_frequency]", frequency),
            ],
        )
        .await
}

#[tokio::test]
async fn each_connection_is_synced_at_its_own_frequency() {
    let (radicale, clock, server) = setup().await;
    let dana = server.user("frequency@example.org").await;
    // Chosen in the Add dialog.
    let found: Vec<app::models::DiscoveredCalendar> = dana
        .call(
            "test-caldav",
            &[
                ("server_url", radicale.base.as_str()),
                ("username", DANA.0),
                ("password", DANA.1),
            ],
        )
        .await
        .unwrap();
    let added: Connection = dana
        .call(
            "create-caldav",
            &[
                ("connection[server_url]", radicale.base.as_str()),
                ("connection[username]", DANA.0),
                ("connection[password]", DANA.1),
                ("connection[name]", "Four-hourly"),
                ("connection[calendars][0]", &found[0].remote_id),
                ("connection[sync_frequency]", "4h"),
            ],
        )
        .await
        .unwrap();
    let four_hourly = dana.synced(&added.id).await;
    assert_eq!(four_hourly.sync_frequency, SyncFrequency::Hours4);
    let quick = connect_named(&dana, &radicale.base, "Quick", false).await;
    assert_eq!(
        quick.sync_frequency,
        SyncFrequency::Minutes15,
        "the default"
    );
    let hourly = connect_named(&dana, &radicale.base, "Hourly", false).await;
    let t0 = clock.now();
    assert_eq!(
        row(&server, &four_hourly.id).await.next_sync_at,
        at(t0 + Duration::hours(4))
    );
    // Changed in the Edit dialog: counted from the last sync, as if always chosen.
    let hourly = set_frequency(&dana, &hourly, "1h").await.unwrap();
    assert_eq!(hourly.sync_frequency, SyncFrequency::Hour1);
    assert_eq!(
        row(&server, &hourly.id).await.next_sync_at,
        at(t0 + Duration::hours(1))
    );
    let refused = set_frequency(&dana, &hourly, "1s").await;
    assert!(refused.is_err(), "only the offered choices: {refused:?}");
    assert_eq!(
        dana.call::<Vec<Connection>>("list-connections", &[])
            .await
            .unwrap()
            .iter()
            .find(|c| c.id == hourly.id)
            .unwrap()
            .sync_frequency,
        SyncFrequency::Hour1
    );

    let scheduler = scheduler(&server, 3);
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };
    for quarter in 1..=3 {
        clock.advance(INTERVAL - SECOND);
        assert!(scheduler.tick().await.unwrap().is_empty());
        clock.advance(SECOND);
        assert_eq!(
            scheduler.tick().await.unwrap(),
            vec![quick.id.clone()],
            "quarter {quarter}: only the 15-minute connection"
        );
    }
    clock.advance(INTERVAL);
    assert_eq!(
        sorted(scheduler.tick().await.unwrap()),
        sorted(vec![quick.id.clone(), hourly.id.clone()]),
        "on the hour"
    );
    assert_eq!(
        row(&server, &hourly.id).await.next_sync_at,
        at(clock.now() + Duration::hours(1))
    );
    for _ in 0..11 {
        clock.advance(INTERVAL);
        let started = scheduler.tick().await.unwrap();
        assert!(!started.contains(&four_hourly.id), "{started:?}");
    }
    clock.advance(INTERVAL);
    assert!(scheduler.tick().await.unwrap().contains(&four_hourly.id));
    assert_eq!(clock.now(), t0 + Duration::hours(4));
    let runs = history(&dana, &four_hourly).await;
    assert_eq!(
        runs.iter().map(|r| r.started_at).collect::<Vec<_>>(),
        vec![t0 + Duration::hours(4), t0],
        "the four-hourly connection synced twice in four hours"
    );
}

#[tokio::test]
async fn users_take_turns_under_the_concurrency_cap() {
    let (radicale, clock, server) = setup().await;
    let proxy = Recorder::start(&radicale.base).await;
    let greedy = server.user("greedy@example.org").await;
    let alice = server.user("alice-fair@example.org").await;
    let bob = server.user("bob-fair@example.org").await;
    // Connected a minute apart, so which connection is most overdue is unambiguous.
    let add = async |client: &common::Client, name: &str| {
        let connection = connect_named(client, &proxy.base, name, false).await;
        clock.advance(Duration::minutes(1));
        connection.id
    };
    let mut g = Vec::new();
    for i in 0..4 {
        g.push(add(&greedy, &format!("Greedy {i}")).await);
    }
    let a1 = add(&alice, "Alice").await;
    let b1 = add(&bob, "Bob 1").await;
    let b2 = add(&bob, "Bob 2").await;

    clock.advance(INTERVAL);
    proxy.delay(StdDuration::from_millis(30));
    proxy.reset_max_in_flight();
    let order = scheduler(&server, 2).tick().await.unwrap();
    // Each user's most overdue connection first, then everyone's second, and so on: the user
    // with four connections cannot hold both slots while the others wait.
    assert_eq!(
        order,
        vec![
            g[0].clone(),
            a1,
            b1,
            g[1].clone(),
            b2,
            g[2].clone(),
            g[3].clone()
        ]
    );
    assert!(
        proxy.max_in_flight() <= 2,
        "at most two syncs at once, saw {} requests in flight",
        proxy.max_in_flight()
    );
    for id in &order {
        let row = row(&server, id).await;
        assert_eq!((row.failures, row.status.as_str()), (Some(0), "ok"));
        assert_eq!(row.next_sync_at, at(clock.now() + INTERVAL));
    }
}

#[tokio::test]
async fn failures_back_off_and_recover_when_the_server_does() {
    let (radicale, clock, server) = setup().await;
    let proxy = Recorder::start(&radicale.base).await;
    let dana = server.user("backoff@example.org").await;
    let connection = connect(&dana, &proxy.base, false).await;
    let scheduler = scheduler(&server, 2);

    proxy.fail_with(Some(503));
    clock.advance(INTERVAL);
    assert_eq!(scheduler.tick().await.unwrap().len(), 1);
    let failed = row(&server, &connection.id).await;
    assert_eq!(
        (failed.failures, failed.status.as_str()),
        (Some(1), "error")
    );
    assert!(
        failed.last_error.as_deref().unwrap_or("").contains("503"),
        "{failed:?}"
    );
    assert_eq!(failed.next_sync_at, at(clock.now() + INTERVAL * 2));

    // Twice the interval after one failure, four times after two.
    clock.advance(INTERVAL * 2 - SECOND);
    assert!(scheduler.tick().await.unwrap().is_empty());
    clock.advance(SECOND);
    assert_eq!(scheduler.tick().await.unwrap().len(), 1);
    let failed = row(&server, &connection.id).await;
    assert_eq!(failed.failures, Some(2));
    assert_eq!(failed.next_sync_at, at(clock.now() + INTERVAL * 4));
    clock.advance(INTERVAL * 4 - SECOND);
    assert!(scheduler.tick().await.unwrap().is_empty());

    // The server is back: the next attempt succeeds and the normal interval returns.
    proxy.fail_with(None);
    clock.advance(SECOND);
    assert_eq!(scheduler.tick().await.unwrap().len(), 1);
    let healthy = row(&server, &connection.id).await;
    assert_eq!(
        (
            healthy.failures,
            healthy.status.as_str(),
            healthy.last_error.as_deref()
        ),
        (Some(0), "ok", None)
    );
    assert_eq!(healthy.next_sync_at, at(clock.now() + INTERVAL));
    let runs = history(&dana, &connection).await;
    assert_eq!(
        runs.iter().map(|r| r.error.is_some()).collect::<Vec<_>>(),
        vec![false, true, true, false]
    );
}

#[tokio::test]
async fn a_crashed_instances_lease_lapses() {
    let (radicale, clock, server) = setup().await;
    let dana = server.user("lease@example.org").await;
    let connection = connect(&dana, &radicale.base, false).await;
    let owner = connection_owner(&server, &connection).await;
    let calendars = &server.services.calendars;
    let lease = Duration::from_std(calendars.settings.lease).unwrap();
    let scheduler = scheduler(&server, 2);

    // Another instance takes the due connection's lease and dies without releasing it.
    clock.advance(INTERVAL);
    assert!(Lease::acquire(
        &server.services.db,
        &connection.id,
        "crashed-instance",
        clock.now(),
        clock.now() + lease
    )
    .await
    .unwrap()
    .is_some());
    assert!(
        scheduler.tick().await.unwrap().is_empty(),
        "leased: not handed out"
    );
    let blocked = calendars.sync(&owner, &connection.id).await.unwrap();
    assert!(blocked.error.unwrap().contains("already running"));

    calendars
        .connections
        .set_status(
            &owner,
            &connection.id,
            ConnectionStatus::Syncing,
            None,
            false,
        )
        .await
        .unwrap();
    clock.advance(lease - SECOND);
    assert!(scheduler.tick().await.unwrap().is_empty());
    assert_eq!(
        row(&server, &connection.id).await.status,
        ConnectionStatus::Syncing,
        "still leased"
    );
    clock.advance(SECOND * 2);
    assert_eq!(
        calendars
            .connections
            .mark_interrupted(clock.now())
            .await
            .unwrap(),
        1
    );
    let interrupted = row(&server, &connection.id).await;
    assert_eq!(interrupted.status, ConnectionStatus::Error);
    assert!(interrupted.last_error.unwrap().contains("interrupted"));
    assert_eq!(
        scheduler.tick().await.unwrap(),
        vec![connection.id.clone()],
        "the dead holder's lease has lapsed"
    );
    let holders = lease_holders(&server).await;
    assert!(
        holders.iter().all(|h| h.is_null()),
        "released after the sync: {holders:?}"
    );
    let runs = history(&dana, &connection).await;
    assert_eq!(runs.len(), 2, "the blocked attempt is not a run: {runs:?}");
    assert!(runs.iter().all(|r| r.error.is_none()));
}

#[tokio::test]
async fn needs_reauthentication_waits_for_the_user() {
    let (radicale, clock, server) = setup().await;
    let dana = server.user("reauth@example.org").await;
    let connection = connect(&dana, &radicale.base, false).await;
    let owner = connection_owner(&server, &connection).await;
    let store = &server.services.calendars.connections;
    let scheduler = scheduler(&server, 2);

    // The password was changed on the server.
    let sealed = server::calendar::credentials::seal(
        &server.services.calendars.settings.keyring,
        &owner,
        &connection.id,
        "stale-password",
    );
    store
        .set_credential(&owner, &connection.id, Some(sealed))
        .await
        .unwrap();
    clock.advance(INTERVAL);
    assert_eq!(scheduler.tick().await.unwrap().len(), 1);
    let row_now = row(&server, &connection.id).await;
    assert_eq!(
        (row_now.status.as_str(), row_now.failures),
        ("needs_reauth", Some(1))
    );
    clock.advance(Duration::days(1));
    assert!(
        scheduler.tick().await.unwrap().is_empty(),
        "no retries with a password that cannot work"
    );

    // The user enters the current password; the overdue connection is synced at the next tick.
    let _: Connection = dana
        .call(
            "update-connection",
            &[
                ("update[id]", &connection.id),
                ("update[name]", &connection.name),
                ("update[calendars][0]", &connection.calendars[0].remote_id),
                ("update[sync_enabled]", "on"),
                ("update[password]", DANA.1),
            ],
        )
        .await
        .unwrap();
    assert_eq!(scheduler.tick().await.unwrap(), vec![connection.id.clone()]);
    let row_now = row(&server, &connection.id).await;
    assert_eq!((row_now.status.as_str(), row_now.failures), ("ok", Some(0)));
}

/// A server on a manual clock whose syncs are stopped after `timeout` and whose leases last
/// `lease` (both real time).
async fn setup_timed(
    timeout: StdDuration,
    lease: StdDuration,
) -> (Radicale, Arc<ManualClock>, TestServer) {
    let radicale = Radicale::start().await;
    dana_put(
        &radicale,
        "a.ics",
        &event("a", "Planning", Utc::now() + Duration::days(1), BOB),
    )
    .await;
    let clock = Arc::new(ManualClock::new(Utc::now().trunc_subsecs(0)));
    let server = common::start_with({
        let clock = clock.clone();
        move |settings| {
            settings.clock = clock;
            settings.sync_timeout = timeout;
            settings.lease = lease;
        }
    })
    .await;
    (radicale, clock, server)
}

#[tokio::test]
async fn a_slow_server_holds_up_only_its_own_sync_which_is_stopped_at_its_deadline() {
    let (radicale, clock, server) =
        setup_timed(StdDuration::from_secs(3), StdDuration::from_secs(600)).await;
    let slow_proxy = Recorder::start(&radicale.base).await;
    let slow_user = server.user("slow@example.org").await;
    let fast_user = server.user("fast@example.org").await;
    let slow = connect(&slow_user, &slow_proxy.base, false).await;
    let fast = connect(&fast_user, &radicale.base, false).await;
    let scheduler = scheduler(&server, 2);

    // The slow server stops answering in the middle of the next sync.
    let hold = slow_proxy.hold_from("REPORT sync-collection", 1);
    clock.advance(INTERVAL);
    let started = scheduler.start_due().await.unwrap();
    assert_eq!(started.len(), 2);
    hold.arrived().await;
    let (mut slow_task, mut fast_task) = (None, None);
    for (id, task) in started {
        if id == slow.id {
            slow_task = Some(task);
        } else {
            fast_task = Some(task);
        }
    }
    fast_task.unwrap().await.unwrap();
    assert_eq!(history(&fast_user, &fast).await.len(), 2, "not held up");

    // The next round syncs the fast connection again and does not start the slow one twice.
    clock.advance(INTERVAL);
    let again: Vec<String> = {
        let started = scheduler.start_due().await.unwrap();
        let ids = started.iter().map(|(id, _)| id.clone()).collect();
        for (_, task) in started {
            task.await.unwrap();
        }
        ids
    };
    assert_eq!(again, vec![fast.id.clone()]);
    assert_eq!(history(&fast_user, &fast).await.len(), 3);

    // The slow sync is stopped at its deadline, as an error the user can read; its data stays.
    slow_task.unwrap().await.unwrap();
    let stopped = row(&server, &slow.id).await;
    assert_eq!(stopped.status, ConnectionStatus::Error);
    assert!(
        stopped
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("took longer than 1 minute"),
        "{stopped:?}"
    );
    let runs = history(&slow_user, &slow).await;
    assert_eq!(runs.len(), 2);
    assert!(runs[0].error.is_some());
    let list: Vec<Connection> = slow_user.call("list-connections", &[]).await.unwrap();
    assert_eq!(list[0].event_count, 1, "what was stored is kept");

    // Once the server answers again, the next due sync succeeds.
    hold.release();
    clock.advance(INTERVAL * 2);
    assert!(scheduler.tick().await.unwrap().contains(&slow.id));
    assert_eq!(row(&server, &slow.id).await.status, ConnectionStatus::Ok);
}

#[tokio::test]
async fn a_sync_stops_when_another_process_took_its_lease() {
    let (radicale, _clock, server) =
        setup_timed(StdDuration::from_secs(600), StdDuration::from_millis(600)).await;
    let proxy = Recorder::start(&radicale.base).await;
    let dana = server.user("lost-lease@example.org").await;
    let connection = connect(&dana, &proxy.base, false).await;
    let owner = connection_owner(&server, &connection).await;
    let runs_before = history(&dana, &connection).await.len();

    let hold = proxy.hold_from("REPORT sync-collection", 1);
    let calendars = server.services.calendars.clone();
    let sync = tokio::spawn({
        let (owner, id) = (owner.clone(), connection.id.clone());
        async move { calendars.sync(&owner, &id).await }
    });
    hold.arrived().await;
    // Under clock skew another process saw the lease as lapsed and took it.
    server
        .services
        .db
        .query("UPDATE type::record('connection', $id) SET lease_owner = 'other-process'")
        .bind(("id", connection.id.clone()))
        .await
        .unwrap()
        .check()
        .unwrap();
    let report = tokio::time::timeout(StdDuration::from_secs(10), sync)
        .await
        .expect("the sync stops at the next renewal, without waiting for the server")
        .unwrap()
        .unwrap();
    assert!(report.error.unwrap().contains("took over"));
    hold.release();
    assert_eq!(
        history(&dana, &connection).await.len(),
        runs_before,
        "the new holder records its own run"
    );
    assert_eq!(
        lease_holders(&server).await,
        vec![serde_json::json!("other-process")],
        "not released by the loser"
    );
}

/// The ids of a connection's calendars.
async fn calendar_ids(server: &TestServer, connection: &str) -> Vec<String> {
    server
        .services
        .db
        .query("SELECT VALUE record::id(id) FROM calendar WHERE connection = $id")
        .bind(("id", connection.to_string()))
        .await
        .unwrap()
        .take(0)
        .unwrap()
}

/// How many rows of `table` a connection's calendars left (by the calendar ids it had).
async fn stored_rows(server: &TestServer, table: &str, calendars: &[String]) -> usize {
    let ids: Vec<serde_json::Value> = server
        .services
        .db
        .query(format!(
            "SELECT VALUE id FROM {table} WHERE calendar IN $calendars"
        ))
        .bind(("calendars", calendars.to_vec()))
        .await
        .unwrap()
        .take(0)
        .unwrap();
    ids.len()
}

/// The titles of the meetings the pages show: every upcoming one (and the count), those of the
/// day of `day`, Bob's upcoming ones, and when his page says he is met next.
#[derive(Debug, PartialEq)]
struct ShownMeetings {
    upcoming: Vec<String>,
    counted: u64,
    of_the_day: Vec<String>,
    of_bob: Vec<String>,
    bob_next: Option<DateTime<Utc>>,
}

impl ShownMeetings {
    fn only(title: &str, at: DateTime<Utc>) -> Self {
        let one = vec![title.to_string()];
        ShownMeetings {
            upcoming: one.clone(),
            counted: 1,
            of_the_day: one.clone(),
            of_bob: one,
            bob_next: Some(at.trunc_subsecs(0)),
        }
    }
}

async fn shown_meetings(client: &common::Client, bob: &str, day: DateTime<Utc>) -> ShownMeetings {
    let titles = |items: Vec<app::models::Meeting>| -> Vec<String> {
        items.into_iter().map(|m| m.title).collect()
    };
    let mut upcoming: Vec<String> = Vec::new();
    let mut counted = 0;
    for page in 1.. {
        let list: MeetingList = client
            .call(
                "list-meetings",
                &[
                    ("when", "upcoming"),
                    ("unmatched", "false"),
                    ("page", &page.to_string()),
                ],
            )
            .await
            .unwrap();
        counted = list.counts.upcoming;
        if list.meetings.items.is_empty() {
            break;
        }
        upcoming.extend(titles(list.meetings.items));
        if upcoming.len() as u64 >= list.meetings.total {
            break;
        }
    }
    let local_day = day
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .date_naive()
        .to_string();
    let of_the_day: app::models::MeetingsToday = client
        .call("todays-meetings", &[("day", &local_day), ("all", "true")])
        .await
        .unwrap();
    let of_bob: app::models::Page<app::models::Meeting> = client
        .call(
            "person-meetings",
            &[("person_id", bob), ("scope", "upcoming"), ("page", "1")],
        )
        .await
        .unwrap();
    let bob_page: app::models::Person = client.call("get-person", &[("id", bob)]).await.unwrap();
    ShownMeetings {
        upcoming,
        counted,
        of_the_day: titles(of_the_day.meetings),
        of_bob: titles(of_bob.items),
        bob_next: bob_page.cadence.next,
    }
}

/// A connection deleted by a process that stopped midway (marked deleted, its calendars gone,
/// its events not yet) is hidden at once, never synced, and finished by a scheduler once the
/// deletion has made no progress for a sync lease's length; then nothing of it is left, and
/// the addresses it reported (also one a sync still running reported after the deletion began)
/// are gone and no longer the user's in other calendars' meetings.
#[tokio::test]
async fn a_deletion_stopped_midway_is_finished_by_the_scheduler() {
    let (radicale, clock, server) = setup().await;
    // More objects than one deletion batch (500) holds.
    let start = Utc::now() + Duration::days(1);
    let objects = (0..540)
        .map(|i| {
            let uid = format!("bulk-{i}");
            let ics = event(&uid, "Standup", start + Duration::minutes(i), BOB);
            (format!("{uid}.ics"), ics)
        })
        .collect();
    common::calendar::dana_put_all(&radicale, objects).await;
    // Another calendar of the same user, where Dana's address is a guest of a meeting.
    radicale.make_calendar("work", "Work", "#1971c2").await;
    // A minute after Dana's first standup, so Bob's next meeting changes when hers are hidden.
    let review = start + Duration::minutes(1);
    let with_dana = format!(
        "{BOB}ATTENDEE;CN=Dana;PARTSTAT=ACCEPTED:mailto:{}\n",
        DANA.0
    );
    radicale
        .put_event(
            "work",
            "review.ics",
            &event("review", "Review with Dana", review, &with_dana),
        )
        .await;
    let dana = server.user("deleted-midway@example.org").await;
    let bob = common::calendar::add_bob(&dana).await;
    // Dana's CalDAV username is an address: her connection reports it as the user's.
    let connection = connect(&dana, &radicale.base, false).await;
    common::calendar::connect_as(&dana, &radicale.base, (USER, PASSWORD), "Work", false).await;
    let unmatched = || async {
        let list: MeetingList = dana
            .call(
                "list-meetings",
                &[("when", "upcoming"), ("unmatched", "true"), ("page", "1")],
            )
            .await
            .unwrap();
        list.meetings
            .items
            .into_iter()
            .map(|m| m.title)
            .collect::<Vec<_>>()
    };
    let addresses = || async {
        let listed: Vec<MyAddress> = dana.call("my-addresses", &[]).await.unwrap();
        listed.into_iter().map(|a| a.address).collect::<Vec<_>>()
    };
    assert!(addresses().await.contains(&DANA.0.to_string()));
    assert!(
        unmatched().await.is_empty(),
        "Dana is the user, Bob a person"
    );
    let shown = shown_meetings(&dana, &bob, review).await;
    assert_eq!(shown.upcoming.len(), 542, "{shown:?}");
    assert!(
        shown.of_the_day.len() > 1 && shown.of_bob.len() > 1,
        "{shown:?}"
    );
    assert!(
        shown.bob_next < Some(review.trunc_subsecs(0)),
        "Dana's planning first: {shown:?}"
    );
    let owner = connection_owner(&server, &connection).await;
    let calendars = calendar_ids(&server, &connection.id).await;
    assert_eq!(stored_rows(&server, "event", &calendars).await, 541);
    let scheduler = scheduler(&server, 2);
    let calendars_service = &server.services.calendars;

    // Due when its deletion starts, and the process deleting it stops right after the mark.
    clock.advance(INTERVAL);
    calendars_service
        .connections
        .begin_delete(&owner, &connection.id, clock.now())
        .await
        .unwrap();
    let listed: Vec<Connection> = dana.call("list-connections", &[]).await.unwrap();
    assert!(
        listed.iter().all(|c| c.id != connection.id),
        "hidden at once: {listed:?}"
    );
    // Its meetings too, while they wait for removal: in lists, counts, days, a person's page.
    let shown = shown_meetings(&dana, &bob, review).await;
    assert_eq!(
        shown,
        ShownMeetings::only("Review with Dana", review),
        "{shown:?}"
    );
    let dying: Vec<String> = server
        .services
        .db
        .query("SELECT VALUE record::id(id) FROM event WHERE calendar IN $calendars LIMIT 1")
        .bind(("calendars", calendars.clone()))
        .await
        .unwrap()
        .take(0)
        .unwrap();
    let logged = dana
        .call::<String>("log-meeting", &[("event_id", &dying[0])])
        .await;
    assert!(logged.is_err(), "not to be logged: {logged:?}");
    assert_eq!(
        stored_rows(&server, "event", &calendars).await,
        541,
        "events not yet removed"
    );
    let refused = calendars_service.sync(&owner, &connection.id).await;
    assert!(refused.is_err(), "{refused:?}");
    // A sync that was running reports an address after the mark: not recorded.
    calendars_service
        .reported(&owner, &connection.id, &["late@dana.example".into()], false)
        .await
        .unwrap();
    assert!(!addresses().await.contains(&"late@dana.example".to_string()));

    let not_yet = Duration::from_std(calendars_service.settings.lease).unwrap() - SECOND;
    let synced = scheduler.tick().await.unwrap();
    assert!(!synced.contains(&connection.id), "never synced: {synced:?}");
    clock.advance(not_yet);
    assert!(scheduler.tick().await.unwrap().is_empty());
    assert_eq!(
        stored_rows(&server, "event", &calendars).await,
        541,
        "the deleting process may still be at work"
    );

    clock.advance(SECOND * 2);
    assert!(scheduler.tick().await.unwrap().is_empty());
    assert_eq!(stored_rows(&server, "event", &calendars).await, 0);
    assert_eq!(stored_rows(&server, "calendar_object", &calendars).await, 0);
    let left: Vec<serde_json::Value> = server
        .services
        .db
        .query("SELECT VALUE id FROM connection WHERE id = type::record('connection', $id)")
        .bind(("id", connection.id.clone()))
        .await
        .unwrap()
        .take(0)
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    let runs: Vec<serde_json::Value> = server
        .services
        .db
        .query("SELECT VALUE id FROM sync_run WHERE connection = $id")
        .bind(("id", connection.id.clone()))
        .await
        .unwrap()
        .take(0)
        .unwrap();
    assert!(runs.is_empty(), "{runs:?}");
    let kept = addresses().await;
    assert!(
        !kept.iter().any(|a| a == DANA.0 || a == "late@dana.example"),
        "{kept:?}"
    );
    assert_eq!(
        unmatched().await,
        vec!["Review with Dana".to_string()],
        "Dana's address is a stranger's now"
    );
}

/// An unticked calendar whose clearing stopped with its process (its events hidden, not yet
/// removed) is cleared by a scheduler once the clearing has made no progress for a sync
/// lease's length, not while the process clearing it may still be at work.
#[tokio::test]
async fn a_clearing_stopped_midway_is_finished_by_the_scheduler() {
    let (radicale, clock, server) = setup().await;
    let dana = server.user("cleared-midway@example.org").await;
    let connection = connect(&dana, &radicale.base, false).await;
    let owner = connection_owner(&server, &connection).await;
    let calendars = calendar_ids(&server, &connection.id).await;
    assert_eq!(stored_rows(&server, "event", &calendars).await, 1);
    let upcoming = || async {
        let list: MeetingList = dana
            .call("list-meetings", &[("when", "upcoming"), ("page", "1")])
            .await
            .unwrap();
        list.meetings.total
    };
    assert_eq!(upcoming().await, 1);

    // Unticked by a process that stopped right after saving the dialog.
    server
        .services
        .db
        .query("UPDATE calendar SET selected = false, clearing_since = $now WHERE connection = $id")
        .bind(("id", connection.id.clone()))
        .bind(("now", clock.now()))
        .await
        .unwrap()
        .check()
        .unwrap();
    server::freshness::touched(&owner, server::freshness::Data::Calendar).await;
    assert_eq!(upcoming().await, 0, "hidden while it waits");

    let scheduler = scheduler(&server, 2);
    let lease = Duration::from_std(server.services.calendars.settings.lease).unwrap();
    clock.advance(lease - SECOND);
    scheduler.tick().await.unwrap();
    assert_eq!(
        stored_rows(&server, "event", &calendars).await,
        1,
        "the clearing process may still be at work"
    );

    clock.advance(SECOND * 2);
    scheduler.tick().await.unwrap();
    assert_eq!(stored_rows(&server, "event", &calendars).await, 0);
    assert_eq!(stored_rows(&server, "calendar_object", &calendars).await, 0);
    let hidden = (server.services.calendars.connections)
        .hidden_calendars(&owner)
        .await
        .unwrap();
    assert!(
        hidden.is_empty(),
        "cleared, so no longer hidden: {hidden:?}"
    );
}

/// A connection deleted while its sync waits on the server (and deleted twice at once, as a
/// double click would): the deletion answers at once, the sync then stores nothing and records
/// no run, and nothing of the connection is left.
#[tokio::test]
async fn a_connection_deleted_during_its_sync_leaves_nothing_behind() {
    let (radicale, _clock, server) = setup().await;
    let proxy = Recorder::start(&radicale.base).await;
    let dana = server.user("deleted-while-syncing@example.org").await;
    let connection = connect(&dana, &proxy.base, false).await;
    let owner = connection_owner(&server, &connection).await;
    let calendars_service = server.services.calendars.clone();

    // The next sync has something new to store, and waits for the server's listing.
    dana_put(
        &radicale,
        "late.ics",
        &event("late", "Arrives late", Utc::now() + Duration::days(2), BOB),
    )
    .await;
    let hold = proxy.hold_from("REPORT sync-collection", 1);
    let sync = calendars_service
        .start_sync(&owner, &connection.id)
        .await
        .unwrap();
    hold.arrived().await;

    let user = app::models::UserInfo {
        id: owner.clone(),
        email: "deleted-while-syncing@example.org".into(),
        name: "Dana".into(),
        time_zone: "UTC".into(),
    };
    let (first, second) = tokio::join!(
        calendars_service.delete(&user, &connection.id),
        calendars_service.delete(&user, &connection.id)
    );
    assert!(
        first.is_ok() || second.is_ok(),
        "one deletion goes through: {first:?} {second:?}"
    );
    for outcome in [first, second] {
        if let Err(e) = outcome {
            assert!(
                matches!(e, server::error::StoreError::NotFound(_)),
                "the other finds it gone: {e:?}"
            );
        }
    }
    let listed: Vec<Connection> = dana.call("list-connections", &[]).await.unwrap();
    assert!(listed.is_empty(), "{listed:?}");

    hold.release();
    let report = sync.report().await;
    assert!(report.error.is_some(), "{report:?}");
    for table in [
        "connection",
        "event",
        "calendar_object",
        "calendar",
        "sync_run",
        "my_address",
    ] {
        let left: Vec<serde_json::Value> = server
            .services
            .db
            .query(format!("SELECT VALUE id FROM {table} WHERE owner = $owner"))
            .bind(("owner", owner.clone()))
            .await
            .unwrap()
            .take(0)
            .unwrap();
        assert!(left.is_empty(), "{table}: {left:?}");
    }
}
