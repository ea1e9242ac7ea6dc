//! TZID resolution and local time: IANA, Windows, Outlook, VTIMEZONE rules, unknown names.
use super::*;

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
        super::super::windows_zones::WINDOWS_TO_IANA.len(),
        142,
        "the whole CLDR table"
    );
    for (windows, iana) in super::super::windows_zones::WINDOWS_TO_IANA {
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
