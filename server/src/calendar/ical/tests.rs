use super::overrides::occurrence_id;
use super::*;
use chrono::Duration;
use chrono::TimeZone;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn parse(text: &str) -> ParseOutcome {
    parse_calendar(
        text,
        utc(2026, 1, 1, 0, 0),
        utc(2027, 1, 1, 0, 0),
        Tz::Europe__Lisbon,
    )
    .unwrap()
}

fn cal(body: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{}\r\nEND:VCALENDAR\r\n",
        body.trim().replace('\n', "\r\n")
    )
}

#[test]
fn google_style_event_with_folding_escaping_and_people() {
    let text = cal(
        "BEGIN:VEVENT
UID:abc123@google.com
DTSTART:20260310T140000Z
DTEND:20260310T150000Z
SUMMARY:Quarterly review\\, Q1
DESCRIPTION:Agenda:\\n1. Numbers\\n2. Plans\\nJoin: https://meet.google.com/abc-defg-
 hij
LOCATION:Room 4\\; Building B
ORGANIZER;CN=Ana Silva:mailto:ana@example.org
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=\"Müller, José\":mailto:Jose@Example.org
ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED;CN=Room 4:mailto:room4@resource.example.org
ATTENDEE;PARTSTAT=DECLINED:mailto:bo@example.org
LAST-MODIFIED:20260301T101500Z
STATUS:CONFIRMED
END:VEVENT",
    );
    let out = parse(&text);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let e = &out.events[0];
    assert_eq!(e.title, "Quarterly review, Q1");
    assert_eq!(
        e.description.as_deref(),
        Some("Agenda:\n1. Numbers\n2. Plans\nJoin: https://meet.google.com/abc-defg-hij")
    );
    assert_eq!(e.location.as_deref(), Some("Room 4; Building B"));
    assert_eq!(e.start, EventTime::DateTime(utc(2026, 3, 10, 14, 0)));
    assert_eq!(e.end, EventTime::DateTime(utc(2026, 3, 10, 15, 0)));
    assert_eq!(
        e.meeting_url.as_deref(),
        Some("https://meet.google.com/abc-defg-hij")
    );
    assert_eq!(
        e.organizer.as_ref().unwrap().name.as_deref(),
        Some("Ana Silva")
    );
    assert_eq!(e.attendees.len(), 3);
    assert_eq!(e.attendees[0].name.as_deref(), Some("Müller, José"));
    assert_eq!(e.attendees[0].email, "Jose@Example.org");
    assert_eq!(e.attendees[0].partstat.as_deref(), Some("ACCEPTED"));
    assert_eq!(e.attendees[1].cutype.as_deref(), Some("ROOM"));
    assert_eq!(e.attendees[2].partstat.as_deref(), Some("DECLINED"));
    assert_eq!(e.last_modified, Some(utc(2026, 3, 1, 10, 15)));
    assert_eq!(e.recurrence_id, None);
    assert!(!e.all_day);
}

#[test]
fn tzid_with_vtimezone_iana_and_windows_names() {
    let text = cal("BEGIN:VTIMEZONE
TZID:Custom Zone
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0200
TZOFFSETTO:+0530
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:iana
DTSTART;TZID=America/New_York:20260706T090000
DTEND;TZID=America/New_York:20260706T100000
SUMMARY:NY
END:VEVENT
BEGIN:VEVENT
UID:windows
DTSTART;TZID=W. Europe Standard Time:20260115T100000
DURATION:PT30M
SUMMARY:Outlook
END:VEVENT
BEGIN:VEVENT
UID:custom
DTSTART;TZID=Custom Zone:20260115T100000
DTEND;TZID=Custom Zone:20260115T110000
SUMMARY:Custom
END:VEVENT
BEGIN:VEVENT
UID:floating
DTSTART:20260115T100000
DTEND:20260115T110000
SUMMARY:Floating
END:VEVENT");
    let out = parse(&text);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let by = |uid: &str| out.events.iter().find(|e| e.uid == uid).unwrap();
    assert_eq!(
        by("iana").start,
        EventTime::DateTime(utc(2026, 7, 6, 13, 0)),
        "EDT is UTC-4"
    );
    assert_eq!(by("iana").time_zone.as_deref(), Some("America/New_York"));
    assert_eq!(
        by("windows").start,
        EventTime::DateTime(utc(2026, 1, 15, 9, 0))
    );
    assert_eq!(
        by("windows").end,
        EventTime::DateTime(utc(2026, 1, 15, 9, 30))
    );
    assert_eq!(by("windows").time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(
        by("custom").start,
        EventTime::DateTime(utc(2026, 1, 15, 4, 30))
    );
    assert_eq!(
        by("floating").start,
        EventTime::DateTime(utc(2026, 1, 15, 10, 0)),
        "Lisbon is UTC in winter"
    );
    assert_eq!(by("floating").time_zone, None);
}

#[test]
fn all_day_values_stay_dates() {
    let text = cal("BEGIN:VEVENT
UID:single
DTSTART;VALUE=DATE:20260501
SUMMARY:Holiday
END:VEVENT
BEGIN:VEVENT
UID:multi
DTSTART;VALUE=DATE:20260810
DTEND;VALUE=DATE:20260815
SUMMARY:Vacation
END:VEVENT
BEGIN:VEVENT
UID:duration
DTSTART;VALUE=DATE:20261224
DURATION:P2D
SUMMARY:Christmas
END:VEVENT");
    let out = parse(&text);
    let by = |uid: &str| out.events.iter().find(|e| e.uid == uid).unwrap();
    let d = |y, m, day| EventTime::Date(NaiveDate::from_ymd_opt(y, m, day).unwrap());
    assert_eq!(
        (by("single").start.clone(), by("single").end.clone()),
        (d(2026, 5, 1), d(2026, 5, 2))
    );
    assert!(by("single").all_day);
    assert_eq!(
        (by("multi").start.clone(), by("multi").end.clone()),
        (d(2026, 8, 10), d(2026, 8, 15))
    );
    assert_eq!(by("duration").end, d(2026, 12, 26));
}

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
fn recurring_meetings_keep_local_time_across_dst() {
    let text = cal("BEGIN:VEVENT
UID:dst
DTSTART;TZID=Europe/Amsterdam:20261019T100000
DTEND;TZID=Europe/Amsterdam:20261019T110000
RRULE:FREQ=WEEKLY;UNTIL=20261102
SUMMARY:Weekly
END:VEVENT");
    let out = parse(&text);
    let utc_hours: Vec<String> = out.events.iter().map(|e| occurrence_id(&e.start)).collect();
    // CEST (UTC+2) until 25 October, then CET (UTC+1): always 10:00 in Amsterdam.
    assert_eq!(
        utc_hours,
        [
            "2026-10-19T08:00:00Z",
            "2026-10-26T09:00:00Z",
            "2026-11-02T09:00:00Z"
        ]
    );
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
fn a_malformed_event_is_a_warning_and_the_rest_is_kept() {
    let text = cal("BEGIN:VEVENT
UID:broken
DTSTART:2026-03-10 nonsense
SUMMARY:Broken
END:VEVENT
BEGIN:VEVENT
UID:no-start
SUMMARY:No start
END:VEVENT
BEGIN:VEVENT
UID:good
DTSTART:20260310T090000Z
DTEND:20260310T100000Z
SUMMARY:Good
END:VEVENT");
    let out = parse(&text);
    assert_eq!(
        out.events
            .iter()
            .map(|e| e.uid.as_str())
            .collect::<Vec<_>>(),
        ["good"]
    );
    assert_eq!(out.warnings.len(), 2);
    assert!(out
        .warnings
        .iter()
        .any(|w| w.uid.as_deref() == Some("no-start") && w.message.contains("DTSTART")));
    assert_eq!(
        parse_calendar(
            "hello",
            utc(2026, 1, 1, 0, 0),
            utc(2027, 1, 1, 0, 0),
            Tz::UTC
        ),
        Err(IcalError::NotCalendar)
    );
}

#[test]
fn durations() {
    assert_eq!(parse_duration("PT1H30M"), Some(Duration::minutes(90)));
    assert_eq!(parse_duration("P1D"), Some(Duration::days(1)));
    assert_eq!(parse_duration("P2W"), Some(Duration::weeks(2)));
    assert_eq!(parse_duration("-PT15M"), Some(Duration::minutes(-15)));
    assert_eq!(parse_duration("P1DT2H"), Some(Duration::hours(26)));
    assert_eq!(parse_duration("PT"), None);
    assert_eq!(parse_duration("1H"), None);
}

#[test]
fn meeting_links_from_url_x_properties_location_and_description() {
    assert_eq!(
        extract_meeting_url(Some("https://acme.zoom.us/j/123?pwd=x"), None).as_deref(),
        Some("https://acme.zoom.us/j/123?pwd=x")
    );
    assert_eq!(
        extract_meeting_url(Some("Office"), Some("Join Microsoft Teams Meeting <https://teams.microsoft.com/l/meetup-join/19%3a> or call")).as_deref(),
        Some("https://teams.microsoft.com/l/meetup-join/19%3a")
    );
    assert_eq!(
        extract_meeting_url(
            None,
            Some("https://example.com/agenda then https://meet.jit.si/Standup.")
        )
        .as_deref(),
        Some("https://meet.jit.si/Standup")
    );
    assert_eq!(
        extract_meeting_url(None, Some("Webex: https://acme.webex.com/meet/ana")).as_deref(),
        Some("https://acme.webex.com/meet/ana")
    );
    assert_eq!(
        extract_meeting_url(None, Some("GoTo: https://meet.goto.com/123456789")).as_deref(),
        Some("https://meet.goto.com/123456789")
    );
    assert_eq!(
        extract_meeting_url(Some("https://evilzoom.us.example.com/x"), Some("no link")),
        None
    );
    let text = cal("BEGIN:VEVENT
UID:x
DTSTART:20260310T090000Z
DTEND:20260310T100000Z
SUMMARY:Teams
X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/l/meetup-join/abc
LOCATION:https://whereby.com/room
END:VEVENT");
    assert_eq!(
        parse(&text).events[0].meeting_url.as_deref(),
        Some("https://teams.microsoft.com/l/meetup-join/abc")
    );
}

#[test]
fn deeply_nested_components_are_an_error_not_a_stack_overflow() {
    let mut text = String::from("BEGIN:VCALENDAR\r\n");
    for _ in 0..200_000 {
        text.push_str("BEGIN:X\r\n");
    }
    assert_eq!(
        parse_calendar(&text, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0), Tz::UTC),
        Err(IcalError::TooDeep(super::lexer::MAX_DEPTH))
    );
    // Within the limit, a deep tree is read (and dropped) fine.
    let ok = cal(&"BEGIN:X\n".repeat(super::lexer::MAX_DEPTH - 1));
    assert!(parse_calendar(&ok, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0), Tz::UTC).is_ok());
}

#[test]
fn a_very_deep_component_tree_drops_without_recursion() {
    let mut node = super::lexer::Component::default();
    for _ in 0..500_000 {
        let mut parent = super::lexer::Component::default();
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
fn unknown_escaped_windows_and_outlook_zone_names() {
    let text = cal(r#"BEGIN:VEVENT
UID:mars
DTSTART;TZID=Mars/Olympus_Mons:20260310T100000
DURATION:PT1H
SUMMARY:Unknown zone
END:VEVENT
BEGIN:VEVENT
UID:outlook
DTSTART;TZID="(UTC+01:00) Amsterdam\, Berlin\, Bern\, Rome\, Stockholm\, Vienna":20260710T100000
SUMMARY:Display name with escaped commas
END:VEVENT
BEGIN:VEVENT
UID:tasmania
DTSTART;TZID=Tasmania Standard Time:20260710T100000
SUMMARY:Windows name
END:VEVENT
BEGIN:VEVENT
UID:offset-only
DTSTART;TZID="(UTC+03:00) Somewhere Not Listed":20260710T100000
SUMMARY:Unlisted display name
END:VEVENT
BEGIN:VEVENT
UID:prefixed
DTSTART;TZID=/freeassociation.sourceforge.net/Tzfile/America/Argentina/Buenos_Aires:20260710T100000
SUMMARY:Three-part IANA name behind a prefix
END:VEVENT"#);
    let out = parse(&text);
    let by = |uid: &str| out.events.iter().find(|e| e.uid == uid).unwrap();
    assert_eq!(
        by("mars").start,
        EventTime::DateTime(utc(2026, 3, 10, 10, 0))
    );
    assert_eq!(by("mars").time_zone, None, "read as floating time");
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert_eq!(out.warnings[0].uid.as_deref(), Some("mars"));
    assert!(out.warnings[0].message.contains("Mars/Olympus_Mons"));
    assert_eq!(
        by("outlook").start,
        EventTime::DateTime(utc(2026, 7, 10, 8, 0))
    );
    assert_eq!(by("outlook").time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(
        by("tasmania").time_zone.as_deref(),
        Some("Australia/Hobart")
    );
    assert_eq!(
        by("tasmania").start,
        EventTime::DateTime(utc(2026, 7, 10, 0, 0))
    );
    assert_eq!(
        by("offset-only").start,
        EventTime::DateTime(utc(2026, 7, 10, 7, 0))
    );
    assert_eq!(
        by("prefixed").time_zone.as_deref(),
        Some("America/Argentina/Buenos_Aires")
    );
    assert_eq!(
        super::windows_zones::WINDOWS_TO_IANA.len(),
        142,
        "the whole CLDR table"
    );
    for (windows, iana) in super::windows_zones::WINDOWS_TO_IANA {
        assert!(iana.parse::<Tz>().is_ok(), "{windows} → {iana}");
    }
}

#[test]
fn custom_vtimezone_with_daylight_saving_rules() {
    let text = cal("BEGIN:VTIMEZONE
TZID:Exchange Zone
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly
DTSTART;TZID=Exchange Zone:20261019T100000
DTEND;TZID=Exchange Zone:20261019T110000
RRULE:FREQ=WEEKLY;UNTIL=20261102
SUMMARY:Weekly
END:VEVENT
BEGIN:VEVENT
UID:winter
DTSTART;TZID=Exchange Zone:20260115T100000
SUMMARY:Winter
END:VEVENT
BEGIN:VEVENT
UID:summer
DTSTART;TZID=Exchange Zone:20260715T100000
SUMMARY:Summer
END:VEVENT");
    let out = parse(&text);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let starts = |uid: &str| -> Vec<String> {
        out.events
            .iter()
            .filter(|e| e.uid == uid)
            .map(|e| occurrence_id(&e.start))
            .collect()
    };
    assert_eq!(starts("winter"), ["2026-01-15T09:00:00Z"]);
    assert_eq!(starts("summer"), ["2026-07-15T08:00:00Z"]);
    // Daylight time until the last Sunday of October (25th), then standard time.
    assert_eq!(
        starts("weekly"),
        [
            "2026-10-19T08:00:00Z",
            "2026-10-26T09:00:00Z",
            "2026-11-02T09:00:00Z"
        ]
    );
    assert_eq!(
        out.events[0].time_zone.as_deref(),
        Some("Exchange Zone"),
        "the TZID as written"
    );
}

#[test]
fn several_calendars_in_one_object_and_bare_events() {
    let event = |uid: &str| {
        format!("BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20260310T090000Z\r\nEND:VEVENT\r\n")
    };
    let two = format!(
        "BEGIN:VCALENDAR\r\n{}END:VCALENDAR\r\nBEGIN:VCALENDAR\r\n{}END:VCALENDAR\r\n",
        event("a"),
        event("b")
    );
    assert_eq!(parse(&two).events.len(), 2);
    assert_eq!(parse(&event("bare")).events[0].uid, "bare");
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
