//! One VEVENT's fields: text, people, all-day values, durations, links, broken events.
use super::*;
use chrono::Duration;

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
