//! Hostile input: deep nesting, bad values, huge feeds, impossible rules; no panic, no hang.
use super::*;

#[test]
fn deeply_nested_components_are_an_error_not_a_stack_overflow() {
    let mut text = String::from("BEGIN:VCALENDAR\r\n");
    for _ in 0..200_000 {
        text.push_str("BEGIN:X\r\n");
    }
    assert_eq!(
        parse_calendar(&text, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0), Tz::UTC),
        Err(IcalError::TooDeep(super::super::lexer::MAX_DEPTH))
    );
    // Within the limit, a deep tree is read (and dropped) fine.
    let ok = cal(&"BEGIN:X\n".repeat(super::super::lexer::MAX_DEPTH - 1));
    assert!(parse_calendar(&ok, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0), Tz::UTC).is_ok());
}

#[test]
fn a_very_deep_component_tree_drops_without_recursion() {
    let mut node = super::super::lexer::Component::default();
    for _ in 0..500_000 {
        let mut parent = super::super::lexer::Component::default();
        parent.children.push(node);
        node = parent;
    }
    drop(node);
}

#[test]
fn hostile_values_are_warnings_for_their_event_only() {
    let text = cal("BEGIN:VEVENT
UID:bad-date
DTSTART;VALUE=DATE:2026120é
SUMMARY:Bad date
END:VEVENT
BEGIN:VEVENT
UID:bad-rid
DTSTART:20260310T090000Z
RRULE:FREQ=DAILY;COUNT=2
EXDATE;VALUE=DATE:2026031é
SUMMARY:Bad exdate
END:VEVENT
BEGIN:VEVENT
UID:huge-duration
DTSTART:20260310T090000Z
DURATION:P100000000D
SUMMARY:Forever
END:VEVENT
BEGIN:VEVENT
UID:huge-all-day
DTSTART;VALUE=DATE:20260310
DURATION:P100000000D
SUMMARY:Forever
END:VEVENT
BEGIN:VEVENT
UID:huge-weeks
DTSTART:20260310T090000Z
DURATION:P99999999999999W
SUMMARY:Forever
END:VEVENT
BEGIN:VEVENT
UID:good
DTSTART:20260310T090000Z
DTEND:20260310T100000Z
SUMMARY:Good
END:VEVENT");
    let out = parse(&text);
    let uids: Vec<_> = out.events.iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(uids, ["good"]);
    let mut warned: Vec<_> = out
        .warnings
        .iter()
        .map(|w| w.uid.as_deref().unwrap())
        .collect();
    warned.sort();
    assert_eq!(
        warned,
        [
            "bad-date",
            "bad-rid",
            "huge-all-day",
            "huge-duration",
            "huge-weeks"
        ]
    );
    assert_eq!(parse_duration("P99999999999999W"), None);
}

#[test]
fn many_events_are_grouped_by_uid_in_linear_time() {
    let mut body = String::new();
    for i in 0..40_000 {
        body.push_str(&format!(
            "BEGIN:VEVENT\nUID:e{i}\nDTSTART:20260310T090000Z\nEND:VEVENT\n"
        ));
    }
    // The same UID again, after all the others, still joins its group and replaces the original.
    body.push_str("BEGIN:VEVENT\nUID:e0\nRECURRENCE-ID:20260310T090000Z\nDTSTART:20260311T090000Z\nSUMMARY:Moved\nEND:VEVENT\n");
    let text = cal(&body);
    let started = std::time::Instant::now();
    let out = parse(&text);
    let took = started.elapsed();
    assert_eq!(out.events.len(), 40_000);
    assert!(out.events.iter().any(|e| e.title == "Moved"));
    // Quadratic grouping took ~10 s here (debug build); linear grouping well under a second.
    assert!(took < std::time::Duration::from_secs(4), "{took:?}");
}

#[test]
fn hostile_rules_and_dates_never_panic() {
    let cases = [
        ("DTSTART:20260301T100000Z", "RRULE:FREQ=YEARLY;INTERVAL=0"),
        (
            "DTSTART:20260301T100000Z",
            "RRULE:FREQ=DAILY;BYSETPOS=1000000",
        ),
        (
            "DTSTART:20260301T100000Z",
            "RRULE:FREQ=SECONDLY;BYSECOND=99",
        ),
        (
            "DTSTART:20260301T100000Z",
            "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        ),
        (
            "DTSTART:20260301T100000Z",
            "RRULE:FREQ=MONTHLY;INTERVAL=99999999999",
        ),
        (
            "DTSTART:20260301T100000Z",
            "RRULE:FREQ=DAILY;COUNT=99999999999",
        ),
        ("DTSTART:20260301T100000Z", "RRULE:FREQ=WEEKLY;UNTIL=é"),
        ("DTSTART:99991231T235959Z", "RRULE:FREQ=SECONDLY"),
        ("DTSTART:00010101T000000Z", "RRULE:FREQ=YEARLY;BYDAY=-1SU"),
        ("DTSTART;VALUE=DATE:99991231", "RRULE:FREQ=DAILY"),
        (
            "DTSTART;TZID=Europe/Berlin:20260329T023000",
            "RRULE:FREQ=HOURLY",
        ),
        ("DTSTART:20261301T100000Z", "DURATION:PT1H"),
        ("DTSTART:2026é301T100000Z", "DURATION:PT1H"),
        ("DTSTART:20260301T100000Z", "DURATION:-P99999999W"),
        (
            "DTSTART:20260301T100000Z",
            "EXDATE;TZID=\"(UTC+99:99) x\":20260301T100000",
        ),
        (
            "DTSTART;TZID=\"(UTC+ab:cd) x\":20260301T100000",
            "RDATE:é,/,,",
        ),
        (
            "DTSTART:20260301T100000Z",
            "RECURRENCE-ID;RANGE=THISANDFUTURE:é",
        ),
    ];
    for (start, extra) in cases {
        let text = cal(&format!(
            "BEGIN:VEVENT\nUID:x\n{start}\n{extra}\nEND:VEVENT\nBEGIN:VEVENT\nUID:ok\nDTSTART:20260310T090000Z\nEND:VEVENT"
        ));
        let out = parse_calendar(&text, utc(1990, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0), Tz::UTC)
            .expect("a calendar");
        assert!(out.events.iter().any(|e| e.uid == "ok"), "{start} {extra}");
    }
}

#[test]
fn a_non_ascii_rule_is_a_warning_not_a_panic() {
    // Found by the property tests: `rrule` sliced "-1\u{4d802}U" inside a character.
    for byday in ["-1\u{4d802}U", "MO,\u{e9}U", "1\u{20ac}"] {
        let text = cal(&format!(
            "BEGIN:VEVENT
UID:fuzzed
DTSTART:20260310T090000Z
RRULE:FREQ=MONTHLY;BYDAY={byday}
SUMMARY:Fuzzed
END:VEVENT"
        ));
        let outcome = parse(&text);
        assert_eq!(outcome.events.len(), 1, "the event itself is kept: {byday}");
        assert!(
            outcome.warnings[0].message.contains("outside ASCII"),
            "{:?}",
            outcome.warnings
        );
    }
}
