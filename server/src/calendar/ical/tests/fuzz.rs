//! Property tests (proptest): whatever bytes arrive, parsing returns (`Ok` or an `IcalError`)
//! without panicking, quickly; and generated valid series respect the window and the
//! occurrence cap. Case counts keep each property within a few seconds in a debug build, so they
//! run in CI with the other tests; raise `PROPTEST_CASES` locally for a longer hunt.
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::calendar::proptest_config::config;

/// One parse must never take long; a hang shows up as a failure, not a stuck CI job later.
const SLOW: Duration = Duration::from_secs(5);

fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    (utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0))
}

/// Parses within the standard window and checks what every outcome must satisfy.
fn parse_checked(text: &str) -> Result<ParseOutcome, IcalError> {
    let (from, to) = window();
    let started = Instant::now();
    let result = parse_calendar(text, from, to, Tz::Europe__Lisbon);
    assert!(
        started.elapsed() < SLOW,
        "parsing {} bytes took {:?}",
        text.len(),
        started.elapsed()
    );
    if let Ok(outcome) = &result {
        let mut per_uid: HashMap<&str, usize> = HashMap::new();
        for event in &outcome.events {
            *per_uid.entry(event.uid.as_str()).or_default() += 1;
        }
        // The cap is per series; overrides of the same UID may add their own instances.
        let vevents = text.matches("BEGIN:VEVENT").count().max(1);
        for (uid, n) in per_uid {
            assert!(
                n <= usize::from(MAX_OCCURRENCES) + vevents,
                "{uid}: {n} occurrences"
            );
        }
    }
    result
}

/// The real-world files, read once.
fn corpus() -> &'static [(String, String)] {
    static CORPUS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        // Small and medium files: mutating a 300 kB feed per case would make the test slow
        // without finding more.
        super::corpus::corpus()
            .into_iter()
            .filter(|(_, text)| text.len() <= 64 * 1024)
            .collect()
    })
}

/// Lines worth splicing into a calendar: the properties the parser interprets, with values
/// at and beyond their edges.
fn interesting_line() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        Just(0i64),
        Just(1),
        Just(-1),
        Just(i64::from(u16::MAX)),
        Just(i64::from(i32::MAX)),
        Just(i64::MAX),
        any::<i64>(),
        0i64..400,
    ];
    let freq = prop::sample::select(vec![
        "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY", "NEVER", "",
    ]);
    let date = prop_oneof![
        Just("20260315T090000Z".to_string()),
        Just("20260315".to_string()),
        Just("19700101T000000".to_string()),
        Just("99991231T235959Z".to_string()),
        Just("00000000T000000".to_string()),
        Just("20260230T250000Z".to_string()),
        (1i32..10000, 0u32..14, 0u32..33, 0u32..25, 0u32..61)
            .prop_map(|(y, m, d, h, min)| { format!("{y:04}{m:02}{d:02}T{h:02}{min:02}00") }),
        "[0-9TZ]{0,20}",
    ];
    let zone = prop::sample::select(vec![
        "Europe/Lisbon",
        "America/New_York",
        "W. Europe Standard Time",
        "Nowhere/Land",
        "",
        "\"quoted\"",
    ]);
    prop_oneof![
        (freq.clone(), number.clone(), number.clone())
            .prop_map(|(f, i, c)| format!("RRULE:FREQ={f};INTERVAL={i};COUNT={c}")),
        (freq.clone(), date.clone()).prop_map(|(f, d)| format!("RRULE:FREQ={f};UNTIL={d}")),
        (freq, number.clone(), "[A-Z0-9,;=+-]{0,30}")
            .prop_map(|(f, n, rest)| format!("RRULE:FREQ={f};BYSETPOS={n};{rest}")),
        (zone.clone(), date.clone()).prop_map(|(z, d)| format!("DTSTART;TZID={z}:{d}")),
        date.clone().prop_map(|d| format!("DTSTART;VALUE=DATE:{d}")),
        date.clone().prop_map(|d| format!("DTEND:{d}")),
        (zone, date.clone()).prop_map(|(z, d)| format!("RECURRENCE-ID;TZID={z}:{d}")),
        date.clone()
            .prop_map(|d| format!("RECURRENCE-ID;RANGE=THISANDFUTURE:{d}")),
        prop::collection::vec(date.clone(), 0..5).prop_map(|ds| format!("EXDATE:{}", ds.join(","))),
        prop::collection::vec(date, 0..5).prop_map(|ds| format!("RDATE:{}", ds.join(","))),
        "[-+]?P[0-9WDTHMS]{0,12}".prop_map(|d| format!("DURATION:{d}")),
        Just("BEGIN:VEVENT".to_string()),
        Just("END:VEVENT".to_string()),
        Just("BEGIN:VTIMEZONE".to_string()),
        Just("END:VTIMEZONE".to_string()),
        Just("END:VCALENDAR".to_string()),
        Just("UID:".to_string()),
        "[ -~]{0,60}",
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Truncate(usize, usize),
    Insert(usize, String),
    /// Replaces one character of a line.
    Poke(usize, usize, char),
    /// Folds a line (CRLF + space) at a position, or unfolds the next one into it.
    Fold(usize, usize),
    Unfold(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        1 => at.prop_map(Mutation::Delete),
        1 => at.prop_map(Mutation::Duplicate),
        1 => (at, at).prop_map(|(a, b)| Mutation::Swap(a, b)),
        1 => (at, at).prop_map(|(a, b)| Mutation::Truncate(a, b)),
        3 => (at, interesting_line()).prop_map(|(a, l)| Mutation::Insert(a, l)),
        1 => (at, at, any::<char>()).prop_map(|(a, b, c)| Mutation::Poke(a, b, c)),
        1 => (at, at).prop_map(|(a, b)| Mutation::Fold(a, b)),
        1 => at.prop_map(Mutation::Unfold),
    ]
}

fn char_boundary(line: &str, at: usize) -> usize {
    let mut at = at % (line.len() + 1);
    while !line.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for m in mutations {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len();
        match m.clone() {
            Mutation::Delete(i) => {
                lines.remove(i % n);
            }
            Mutation::Duplicate(i) => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            Mutation::Swap(a, b) => lines.swap(a % n, b % n),
            Mutation::Truncate(i, at) => {
                let line = &mut lines[i % n];
                let at = char_boundary(line, at);
                line.truncate(at);
            }
            Mutation::Insert(i, line) => lines.insert(i % (n + 1), line),
            Mutation::Poke(i, at, c) => {
                let line = &mut lines[i % n];
                let at = char_boundary(line, at);
                let end = line[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                line.replace_range(at..end, &c.to_string());
            }
            Mutation::Fold(i, at) => {
                let line = &mut lines[i % n];
                let at = char_boundary(line, at);
                line.insert_str(at, "\r\n ");
            }
            Mutation::Unfold(i) => {
                let i = i % n;
                if i + 1 < n {
                    let next = lines.remove(i + 1);
                    lines[i].push_str(&next);
                }
            }
        }
    }
    lines.join("\r\n")
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_checked(&text);
        // And past the first check, into the component tree.
        let _ = parse_checked(&format!("BEGIN:VCALENDAR\r\n{text}"));
    }

    #[test]
    fn random_content_lines_never_panic(
        lines in prop::collection::vec(
            prop_oneof![interesting_line(), "[A-Z-]{1,12}(;[A-Z-]{1,8}=[^:\r\n]{0,10})?:[^\r\n]{0,40}"],
            0..40,
        )
    ) {
        let text = format!("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", lines.join("\r\n"));
        let _ = parse_checked(&text);
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn mutated_corpus_files_never_panic(
        file in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..12),
    ) {
        let files = corpus();
        prop_assume!(!files.is_empty());
        let (name, text) = &files[file.index(files.len())];
        let mutated = mutate(text, &mutations);
        let result = std::panic::catch_unwind(|| parse_checked(&mutated));
        prop_assert!(result.is_ok(), "{name} with {mutations:?} panicked");
    }
}

/// A valid single series: DTSTART, frequency, interval, COUNT or UNTIL, duration in minutes.
type Series = (
    DateTime<Utc>,
    &'static str,
    u32,
    Option<u32>,
    Option<DateTime<Utc>>,
    u32,
);

fn series() -> impl Strategy<Value = Series> {
    let start = (0i64..3 * 365 * 24 * 60)
        .prop_map(|m| utc(2025, 1, 1, 0, 0) + chrono::Duration::minutes(m));
    let freq = prop::sample::select(vec![
        "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY",
    ]);
    let end = prop_oneof![
        Just((None, None)),
        (1u32..100_000).prop_map(|c| (Some(c), None)),
        (0i64..3 * 365).prop_map(|d| (
            None,
            Some(utc(2025, 1, 1, 0, 0) + chrono::Duration::days(d))
        )),
    ];
    (start, freq, 1u32..10, end, 0u32..600)
        .prop_map(|(s, f, i, (count, until), len)| (s, f, i, count, until, len))
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn generated_series_stay_in_the_window_and_under_the_cap(
        (start, freq, interval, count, until, minutes) in series()
    ) {
        let mut rule = format!("FREQ={freq};INTERVAL={interval}");
        if let Some(count) = count {
            rule.push_str(&format!(";COUNT={count}"));
        }
        if let Some(until) = until {
            rule.push_str(&format!(";UNTIL={}", until.format("%Y%m%dT%H%M%SZ")));
        }
        let text = cal(&format!(
            "BEGIN:VEVENT\nUID:series\nDTSTART:{}\nDURATION:PT{minutes}M\nRRULE:{rule}\nSUMMARY:Generated\nEND:VEVENT",
            start.format("%Y%m%dT%H%M%SZ")
        ));
        let outcome = parse_checked(&text).expect("a valid calendar");
        let (from, to) = window();
        prop_assert!(outcome.events.len() <= usize::from(MAX_OCCURRENCES));
        if let Some(count) = count {
            prop_assert!(outcome.events.len() <= count as usize);
        }
        let length = chrono::Duration::minutes(i64::from(minutes));
        let mut previous = None;
        for event in &outcome.events {
            let EventTime::DateTime(s) = event.start else { panic!("a date-time series") };
            let EventTime::DateTime(e) = event.end else { panic!("a date-time series") };
            prop_assert_eq!(e - s, length);
            prop_assert!(s >= start, "no occurrence before DTSTART");
            prop_assert!(s < to && (e > from || (e == s && s >= from)), "{} outside the window", s);
            if let Some(until) = until {
                // DTSTART is always the first instance (RFC 5545 3.8.5.3), even past UNTIL.
                prop_assert!(s <= until || s == start, "{} after UNTIL", s);
            }
            prop_assert!(previous.is_none_or(|p| p < s), "sorted, no duplicates");
            previous = Some(s);
        }
        // A series that does not end before the window and is not too sparse shows up in it.
        if count.is_none() && until.is_none() && freq == "DAILY" && start < from {
            prop_assert!(!outcome.events.is_empty());
        }
    }
}
