//! Series: RRULE/RDATE/EXDATE expansion inside the window, overrides, SEQUENCE, RANGE.
use super::*;

#[test]
fn weekly_series_with_exdate_override_and_cancelled_instance() {
    let text = cal("BEGIN:VEVENT
UID:weekly-1
DTSTART;TZID=Europe/Amsterdam:20260105T100000
DTEND;TZID=Europe/Amsterdam:20260105T103000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6
EXDATE;TZID=Europe/Amsterdam:20260112T100000
SUMMARY:Standup
END:VEVENT
BEGIN:VEVENT
UID:weekly-1
RECURRENCE-ID;TZID=Europe/Amsterdam:20260119T100000
DTSTART;TZID=Europe/Amsterdam:20260120T150000
DTEND;TZID=Europe/Amsterdam:20260120T153000
SUMMARY:Standup (moved)
END:VEVENT
BEGIN:VEVENT
UID:weekly-1
RECURRENCE-ID;TZID=Europe/Amsterdam:20260126T100000
DTSTART;TZID=Europe/Amsterdam:20260126T100000
DTEND;TZID=Europe/Amsterdam:20260126T103000
STATUS:CANCELLED
SUMMARY:Standup
END:VEVENT");
    let out = parse(&text);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let starts: Vec<(String, Option<String>, EventStatus)> = out
        .events
        .iter()
        .map(|e| (occurrence_id(&e.start), e.recurrence_id.clone(), e.status))
        .collect();
    assert_eq!(
        starts,
        vec![
            (
                "2026-01-05T09:00:00Z".into(),
                Some("2026-01-05T09:00:00Z".into()),
                EventStatus::Confirmed
            ),
            (
                "2026-01-20T14:00:00Z".into(),
                Some("2026-01-19T09:00:00Z".into()),
                EventStatus::Confirmed
            ),
            (
                "2026-01-26T09:00:00Z".into(),
                Some("2026-01-26T09:00:00Z".into()),
                EventStatus::Cancelled
            ),
            (
                "2026-02-02T09:00:00Z".into(),
                Some("2026-02-02T09:00:00Z".into()),
                EventStatus::Confirmed
            ),
            (
                "2026-02-09T09:00:00Z".into(),
                Some("2026-02-09T09:00:00Z".into()),
                EventStatus::Confirmed
            ),
        ]
    );
    assert_eq!(out.events[1].title, "Standup (moved)");
}

#[test]
fn rdate_daily_count_and_window_limits() {
    let text = cal("BEGIN:VEVENT
UID:rdate
DTSTART:20260301T120000Z
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=2
RDATE:20260310T120000Z,20260320T120000Z
SUMMARY:Check-in
END:VEVENT
BEGIN:VEVENT
UID:forever
DTSTART:20200101T080000Z
DTEND:20200101T081500Z
RRULE:FREQ=DAILY
SUMMARY:Daily forever
END:VEVENT");
    let out = parse_calendar(&text, utc(2026, 3, 1, 0, 0), utc(2026, 3, 8, 0, 0), Tz::UTC).unwrap();
    let rdate: Vec<_> = out
        .events
        .iter()
        .filter(|e| e.uid == "rdate")
        .map(|e| occurrence_id(&e.start))
        .collect();
    assert_eq!(
        rdate,
        ["2026-03-01T12:00:00Z", "2026-03-02T12:00:00Z"],
        "RDATEs outside the window are not included"
    );
    assert_eq!(
        out.events.iter().filter(|e| e.uid == "forever").count(),
        7,
        "only the window is expanded"
    );
    let all = parse_calendar(&text, utc(2026, 3, 1, 0, 0), utc(2026, 4, 1, 0, 0), Tz::UTC).unwrap();
    assert_eq!(all.events.iter().filter(|e| e.uid == "rdate").count(), 4);
}

#[test]
fn rdate_without_rrule_sequence_wins_and_all_day_overrides() {
    let text = cal("BEGIN:VEVENT
UID:rdate-only
DTSTART:20260301T120000Z
DURATION:PT1H
RDATE:20260310T120000Z,20260320T120000Z
SUMMARY:Three times
END:VEVENT
BEGIN:VEVENT
UID:seq
DTSTART:20260401T090000Z
RRULE:FREQ=DAILY;COUNT=2
SUMMARY:Series
END:VEVENT
BEGIN:VEVENT
UID:seq
RECURRENCE-ID:20260401T090000Z
SEQUENCE:2
DTSTART:20260401T150000Z
SUMMARY:Moved again (current)
END:VEVENT
BEGIN:VEVENT
UID:seq
RECURRENCE-ID:20260401T090000Z
SEQUENCE:1
DTSTART:20260401T110000Z
SUMMARY:Moved (stale)
END:VEVENT
BEGIN:VEVENT
UID:holiday
DTSTART;VALUE=DATE:20260504
RRULE:FREQ=WEEKLY;COUNT=2
SUMMARY:Day off
END:VEVENT
BEGIN:VEVENT
UID:holiday
RECURRENCE-ID;TZID=Europe/Berlin:20260504T000000
DTSTART;VALUE=DATE:20260505
SUMMARY:Day off (moved)
END:VEVENT
BEGIN:VEVENT
UID:tolerant
DTSTART:20260601T090000Z
RRULE:FREQ=WEEKLY;COUNT=-1;UNTIL=20260615T090000Z
SUMMARY:Bad count
END:VEVENT
BEGIN:VEVENT
UID:empty-rule
DTSTART:20260701T090000Z
DTEND:20260701T100000Z
RRULE:
SUMMARY:Empty rule
END:VEVENT
BEGIN:VEVENT
UID:broken-rule
DTSTART:20260801T090000Z
RRULE:FREQ=SOMETIMES
SUMMARY:Broken rule
END:VEVENT");
    let out = parse(&text);
    let starts = |uid: &str| -> Vec<String> {
        out.events
            .iter()
            .filter(|e| e.uid == uid)
            .map(|e| occurrence_id(&e.start))
            .collect()
    };
    assert_eq!(
        starts("rdate-only"),
        [
            "2026-03-01T12:00:00Z",
            "2026-03-10T12:00:00Z",
            "2026-03-20T12:00:00Z"
        ]
    );
    let seq: Vec<_> = out.events.iter().filter(|e| e.uid == "seq").collect();
    assert_eq!(seq.len(), 2);
    assert_eq!(seq[0].title, "Moved again (current)");
    assert_eq!(starts("holiday"), ["2026-05-05", "2026-05-11"]);
    assert_eq!(starts("tolerant").len(), 3);
    assert_eq!(starts("empty-rule"), ["2026-07-01T09:00:00Z"]);
    assert_eq!(starts("broken-rule"), ["2026-08-01T09:00:00Z"]);
    assert_eq!(
        out.warnings
            .iter()
            .map(|w| w.uid.as_deref().unwrap())
            .collect::<Vec<_>>(),
        ["broken-rule"]
    );
}

#[test]
fn a_recurrence_set_has_no_duplicates_and_starts_at_dtstart() {
    let text = cal("BEGIN:VEVENT
UID:twice
DTSTART:20260105T100000Z
RRULE:FREQ=WEEKLY;COUNT=3
RRULE:FREQ=WEEKLY;COUNT=3
RDATE:20260112T100000Z
SUMMARY:Same rule twice and an RDATE on an instance
END:VEVENT
BEGIN:VEVENT
UID:unsynced
DTSTART:20260325T101010Z
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU;COUNT=2
SUMMARY:DTSTART off the rule
END:VEVENT
BEGIN:VEVENT
UID
 :folded-after-blank
DTSTART:20260601T090000Z
END:VEVENT");
    let text = text.replace("UID\r\n :folded", "UID\r\n\r\n :folded");
    let out = parse(&text);
    let starts = |uid: &str| -> Vec<String> {
        out.events
            .iter()
            .filter(|e| e.uid == uid)
            .map(|e| occurrence_id(&e.start))
            .collect()
    };
    assert_eq!(
        starts("twice"),
        [
            "2026-01-05T10:00:00Z",
            "2026-01-12T10:00:00Z",
            "2026-01-19T10:00:00Z"
        ]
    );
    assert_eq!(
        starts("unsynced"),
        ["2026-03-25T10:10:10Z", "2026-11-01T10:10:10Z"],
        "DTSTART, then the rule (its 2027 instance is outside the window)"
    );
    assert_eq!(
        starts("folded-after-blank").len(),
        1,
        "a continuation after a blank line"
    );
}

#[test]
fn exdates_remove_days_deleted_modifications_and_stale_overrides() {
    let text = cal("BEGIN:VEVENT
UID:date-exdate
DTSTART:20260609T030000Z
RRULE:FREQ=DAILY;COUNT=4
EXDATE;VALUE=DATE:20260611
END:VEVENT
BEGIN:VEVENT
UID:deleted
DTSTART;VALUE=DATE:20260701
RRULE:FREQ=WEEKLY;COUNT=3
EXDATE;VALUE=DATE:20260708
SEQUENCE:3
END:VEVENT
BEGIN:VEVENT
UID:deleted
RECURRENCE-ID;VALUE=DATE:20260708
DTSTART;VALUE=DATE:20260709
SEQUENCE:2
SUMMARY:Moved, then deleted
END:VEVENT
BEGIN:VEVENT
UID:stale
DTSTART;VALUE=DATE:20260803
RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20260820
SEQUENCE:2
END:VEVENT
BEGIN:VEVENT
UID:stale
RECURRENCE-ID;VALUE=DATE:20260824
DTSTART;VALUE=DATE:20260824
SEQUENCE:1
SUMMARY:An instance the series no longer has
END:VEVENT");
    let out = parse(&text);
    let starts = |uid: &str| -> Vec<String> {
        out.events
            .iter()
            .filter(|e| e.uid == uid)
            .map(|e| occurrence_id(&e.start))
            .collect()
    };
    assert_eq!(
        starts("date-exdate"),
        [
            "2026-06-09T03:00:00Z",
            "2026-06-10T03:00:00Z",
            "2026-06-12T03:00:00Z"
        ]
    );
    assert_eq!(starts("deleted"), ["2026-07-01", "2026-07-15"]);
    assert_eq!(starts("stale"), ["2026-08-03", "2026-08-17"]);
}

#[test]
fn range_this_and_future_moves_the_later_instances() {
    let text = cal("BEGIN:VEVENT
UID:future
DTSTART:20260301T100000Z
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=5
SUMMARY:Old time
END:VEVENT
BEGIN:VEVENT
UID:future
RECURRENCE-ID;RANGE=THISANDFUTURE:20260303T100000Z
DTSTART:20260303T140000Z
DURATION:PT2H
SUMMARY:New time
END:VEVENT");
    let out = parse(&text);
    let seen: Vec<(String, String, String)> = out
        .events
        .iter()
        .map(|e| {
            (
                occurrence_id(&e.start),
                occurrence_id(&e.end),
                e.title.clone(),
            )
        })
        .collect();
    let row = |s: &str, e: &str, t: &str| (s.to_string(), e.to_string(), t.to_string());
    assert_eq!(
        seen,
        [
            row("2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z", "Old time"),
            row("2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z", "Old time"),
            row("2026-03-03T14:00:00Z", "2026-03-03T16:00:00Z", "New time"),
            row("2026-03-04T14:00:00Z", "2026-03-04T16:00:00Z", "New time"),
            row("2026-03-05T14:00:00Z", "2026-03-05T16:00:00Z", "New time"),
        ]
    );
    assert_eq!(
        out.events[3].recurrence_id.as_deref(),
        Some("2026-03-04T10:00:00Z"),
        "still identified by its original start"
    );
}

#[test]
fn dense_rules_from_long_ago_expand_only_the_window() {
    let text = cal("BEGIN:VEVENT
UID:minutely
DTSTART:19700101T000000Z
RRULE:FREQ=MINUTELY
SUMMARY:Tick
END:VEVENT
BEGIN:VEVENT
UID:secondly
DTSTART;TZID=Europe/Amsterdam:19700101T000000
RRULE:FREQ=SECONDLY;INTERVAL=10
SUMMARY:Tock
END:VEVENT
BEGIN:VEVENT
UID:filtered
DTSTART:19700101T000000Z
RRULE:FREQ=MINUTELY;BYHOUR=9
SUMMARY:Cannot start near the window: bounded walk, then a warning
END:VEVENT");
    let started = std::time::Instant::now();
    let out = parse_calendar(&text, utc(2026, 3, 1, 0, 0), utc(2026, 3, 1, 6, 0), Tz::UTC).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let count = |uid: &str| out.events.iter().filter(|e| e.uid == uid).count();
    assert_eq!(count("minutely"), 360);
    assert_eq!(count("secondly"), 6 * 360);
    assert_eq!(count("filtered"), 0);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].message.contains("too dense"));
    let first = out.events.iter().find(|e| e.uid == "secondly").unwrap();
    assert_eq!(first.start, EventTime::DateTime(utc(2026, 3, 1, 0, 0)));
}

#[test]
fn a_daily_series_in_a_wide_window_keeps_its_later_dates() {
    let text = cal("BEGIN:VEVENT
UID:daily
DTSTART;TZID=Europe/Lisbon:20200101T093000
DURATION:PT15M
RRULE:FREQ=DAILY
SUMMARY:Standup
END:VEVENT
BEGIN:VEVENT
UID:monthly
DTSTART;VALUE=DATE:19900131
RRULE:FREQ=MONTHLY
SUMMARY:Month end
END:VEVENT
BEGIN:VEVENT
UID:count
DTSTART:19900101T120000Z
RRULE:FREQ=WEEKLY;COUNT=2000
SUMMARY:Counted
END:VEVENT");
    let out = parse_calendar(&text, utc(2000, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0), Tz::UTC).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let daily: Vec<_> = out.events.iter().filter(|e| e.uid == "daily").collect();
    assert_eq!(daily.len(), 3653, "2020-01-01 .. 2029-12-31");
    assert_eq!(
        daily.last().unwrap().start,
        EventTime::DateTime(utc(2029, 12, 31, 9, 30))
    );
    // 7 months a year have a 31st; 30 years in the window.
    assert_eq!(
        out.events.iter().filter(|e| e.uid == "monthly").count(),
        7 * 30
    );
    // 2000 weeks from 1990-01-01 end in 2028; those from 2000 on are in the window.
    let counted = out.events.iter().filter(|e| e.uid == "count").count();
    assert_eq!(counted, 2000 - 522);
}

#[test]
fn starting_near_the_window_gives_the_same_instances_as_walking_from_dtstart() {
    let rules = [
        (
            "Europe/Berlin",
            "20240105T093000",
            "FREQ=DAILY;INTERVAL=3;BYDAY=MO,WE,FR",
        ),
        (
            "Europe/Berlin",
            "20240102T180000",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU",
        ),
        ("Europe/Berlin", "20250101T013000", "FREQ=HOURLY;INTERVAL=5"),
        (
            "America/New_York",
            "20260101T000000",
            "FREQ=MINUTELY;INTERVAL=7;BYHOUR=9,10",
        ),
        (
            "America/New_York",
            "20260301T000000",
            "FREQ=MINUTELY;INTERVAL=7",
        ),
        (
            "America/New_York",
            "20260101T000000",
            "FREQ=HOURLY;INTERVAL=5",
        ),
        (
            "America/New_York",
            "20240115T120000",
            "FREQ=MONTHLY;INTERVAL=3",
        ),
        ("Europe/London", "20240312T080000", "FREQ=MONTHLY;BYDAY=2TU"),
        (
            "Australia/Sydney",
            "20200105T020000",
            "FREQ=YEARLY;BYMONTH=4,10;BYDAY=1SU",
        ),
        ("Europe/Berlin", "20240331T023000", "FREQ=DAILY"),
    ];
    let (narrow_from, narrow_to) = (utc(2026, 3, 20, 0, 0), utc(2026, 4, 20, 0, 0));
    let mut failures = Vec::new();
    for (zone, start, rule) in rules {
        let text = cal(&format!(
            "BEGIN:VEVENT\nUID:r\nDTSTART;TZID={zone}:{start}\nDURATION:PT10M\nRRULE:{rule}\nEND:VEVENT"
        ));
        let ids = |from, to| -> Vec<String> {
            parse_calendar(&text, from, to, Tz::UTC)
                .unwrap()
                .events
                .iter()
                .map(|e| occurrence_id(&e.start))
                .collect()
        };
        // From DTSTART's year the walk starts at DTSTART itself; the narrow window jumps.
        let walked: Vec<String> = ids(utc(2019, 1, 1, 0, 0), narrow_to)
            .into_iter()
            .filter(|id| id.as_str() > "2026-03-19T23:50:00Z") // overlaps: 10 minutes long
            .collect();
        let jumped = ids(narrow_from, narrow_to);
        if jumped != walked || walked.is_empty() {
            failures.push(format!(
                "{zone} {start} {rule}: jumped {:?}, walked {:?}",
                &jumped[..jumped.len().min(3)],
                &walked[..walked.len().min(3)]
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_series_over_the_occurrence_cap_is_cut_with_a_warning() {
    let text = cal("BEGIN:VEVENT
UID:hourly
DTSTART:20000101T000000Z
DURATION:PT5M
RRULE:FREQ=HOURLY
SUMMARY:Ping
END:VEVENT");
    let out = parse_calendar(&text, utc(2000, 1, 1, 0, 0), utc(2010, 1, 1, 0, 0), Tz::UTC).unwrap();
    assert_eq!(out.events.len(), usize::from(super::super::MAX_OCCURRENCES));
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(
        out.warnings[0].message.contains("occurrences"),
        "{:?}",
        out.warnings
    );
}
