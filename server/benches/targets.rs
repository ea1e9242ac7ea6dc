//! Speed targets from the issues, measured (run: `cargo bench -p server --bench targets`):
//! - matching 10,000 events against 10,000 people "well under a second";
//! - the people list "stays fast at 10,000 people" (paging and search).
//!
//! Results are recorded in BENCHMARKS.md.
use std::time::{Duration, Instant};

use server::calendar::model::AttendeeRecord;
use server::matcher::index::{Index, PersonEmail, PersonNames};
use server::matcher::{linked_people, match_guests};

const PEOPLE: usize = 10_000;
const EVENTS: usize = 10_000;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn matching() {
    const FIRST: &[&str] = &[
        "Ana", "José", "Zoë", "Li", "Maria", "John", "Fatima", "Lukas", "Emma", "Noah", "Sofia",
        "Yuki",
    ];
    const LAST: &[&str] = &[
        "Sousa",
        "Núñez",
        "Ångström",
        "Wei",
        "García",
        "Smith",
        "Khan",
        "Müller",
        "Dubois",
        "Rossi",
        "Tanaka",
        "Novak",
    ];
    let people: Vec<(String, String, String)> = (0..PEOPLE)
        .map(|i| {
            (
                format!("p{i}"),
                FIRST[i % FIRST.len()].to_string(),
                format!("{}{}", LAST[(i / FIRST.len()) % LAST.len()], i / 144),
            )
        })
        .collect();
    let emails: Vec<(String, String, bool)> = (0..PEOPLE)
        .flat_map(|i| {
            [
                (format!("p{i}"), format!("person{i}@work.example"), true),
                (format!("p{i}"), format!("person.{i}@gmail.com"), false),
            ]
        })
        .collect();
    let fresh_index = || {
        Index::build(
            people.iter().map(|(id, f, l)| PersonNames {
                id,
                first_name: f,
                last_name: l,
            }),
            emails.iter().map(|(p, e, primary)| PersonEmail {
                person: p,
                normalized: e,
                primary: *primary,
            }),
        )
    };
    let build_time = time(5, fresh_index);
    let index = fresh_index();
    // Five attendees per event: two exact matches, one Gmail alias, one stranger with a name
    // (fuzzy suggestion path), one stranger without.
    let events: Vec<Vec<AttendeeRecord>> = (0..EVENTS)
        .map(|e| {
            let a = |email: String, name: Option<String>| AttendeeRecord {
                email,
                name,
                response: None,
                role: None,
                is_resource: false,
                is_self: false,
            };
            vec![
                a(format!("PERSON{}@work.example", e % PEOPLE), None),
                a(format!("person{}@work.example", (e * 7) % PEOPLE), None),
                a(format!("person{}+crm@gmail.com", (e * 13) % PEOPLE), None),
                a(
                    format!("guest{e}@elsewhere.example"),
                    Some(format!(
                        "{} {}",
                        FIRST[e % FIRST.len()],
                        LAST[e % LAST.len()]
                    )),
                ),
                a(format!("info{e}@vendor.example"), None),
            ]
        })
        .collect();
    let mut linked = 0;
    let match_time = time(5, || {
        linked = events
            .iter()
            .map(|attendees| {
                linked_people(&match_guests(
                    &index,
                    attendees.iter().map(AttendeeRecord::guest),
                ))
                .len()
            })
            .sum::<usize>();
    });
    // Worst case for the fuzzy path: every stranger's name is new (no suggestion cache hits).
    let unique: Vec<Vec<AttendeeRecord>> = events
        .iter()
        .enumerate()
        .map(|(e, attendees)| {
            let mut a = attendees.clone();
            a[3].name = Some(format!(
                "{} {}{}",
                FIRST[e % FIRST.len()],
                LAST[(e / 7) % LAST.len()],
                e
            ));
            a
        })
        .collect();
    let cold_time = time(3, || {
        let index = fresh_index();
        unique
            .iter()
            .map(|attendees| {
                match_guests(&index, attendees.iter().map(AttendeeRecord::guest)).len()
            })
            .sum::<usize>()
    });
    println!("matcher: {EVENTS} events with {EVENTS} distinct unknown names (cold, index build included): {cold_time:?}");
    println!(
        "matcher: index of {PEOPLE} people / {} addresses built in {build_time:?}",
        emails.len()
    );
    println!("matcher: {EVENTS} events x 5 attendees matched in {match_time:?} ({linked} links, {:?} per event)", match_time / EVENTS as u32);
}

async fn people_list() {
    let db = server::db::memory().await.unwrap();
    server::demo::generate(&db, "bench", PEOPLE, 3)
        .await
        .unwrap();
    let people = server::people::People::new(db.clone());
    for (label, query, page) in [
        ("first page", "", 1u32),
        ("page 100", "", 100),
        ("last page", "", 400),
        ("search \"acme\"", "acme", 1),
        ("search \"jose\"", "jose", 1),
        ("search by email", "hooli.example", 3),
    ] {
        let mut samples = Vec::new();
        let mut total = 0;
        for _ in 0..7 {
            let start = Instant::now();
            total = people.list("bench", query, page, None).await.unwrap().total;
            samples.push(start.elapsed());
        }
        println!(
            "people list at {PEOPLE} people, {label}: {:?} ({total} matching)",
            median(samples)
        );
    }
}

fn main() {
    matching();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(people_list());
}
