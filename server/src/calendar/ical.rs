//! iCalendar (RFC 5545) as found in the wild, turned into event occurrences inside a window:
//! folding, escaping, TZID (VTIMEZONE, IANA or Windows names), UTC, floating and all-day values,
//! DURATION, RRULE/RDATE/EXDATE expansion (via `rrule`) and RECURRENCE-ID overrides. A broken
//! VEVENT becomes a warning; the rest of the calendar is still read.
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest series expanded per event, so a runaway rule cannot exhaust the server.
pub const MAX_OCCURRENCES: u16 = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventTime {
    DateTime(DateTime<Utc>),
    Date(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventStatus {
    Confirmed,
    Tentative,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attendee {
    pub email: String,
    pub name: Option<String>,
    /// Uppercase, e.g. ACCEPTED.
    pub partstat: Option<String>,
    pub role: Option<String>,
    /// INDIVIDUAL, ROOM, RESOURCE, …
    pub cutype: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventOccurrence {
    pub uid: String,
    pub recurrence_id: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub start: EventTime,
    pub end: EventTime,
    pub all_day: bool,
    pub time_zone: Option<String>,
    pub status: EventStatus,
    pub organizer: Option<Attendee>,
    pub attendees: Vec<Attendee>,
    pub meeting_url: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParseWarning {
    pub uid: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParseOutcome {
    pub events: Vec<EventOccurrence>,
    pub warnings: Vec<ParseWarning>,
}

#[derive(Debug, Error, PartialEq)]
pub enum IcalError {
    #[error("not an iCalendar object (no BEGIN:VCALENDAR)")]
    NotCalendar,
}

// ------------------------------------------------------------------ content lines

#[derive(Debug, Clone)]
struct Prop {
    name: String,
    params: HashMap<String, String>,
    value: String,
}

impl Prop {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

#[derive(Debug, Default)]
struct Component {
    name: String,
    props: Vec<Prop>,
    children: Vec<Component>,
}

impl Component {
    fn get(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Prop> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }

    fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(|p| unescape(&p.value))
            .filter(|s| !s.trim().is_empty())
    }
}

fn unfold(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace("\n ", "")
        .replace("\n\t", "")
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits `NAME;P=V;Q="x:y":value` at the first colon outside quotes.
fn parse_line(line: &str) -> Option<Prop> {
    let mut in_quotes = false;
    let split = line.char_indices().find(|&(_, c)| {
        if c == '"' {
            in_quotes = !in_quotes;
        }
        c == ':' && !in_quotes
    })?;
    let (head, value) = (&line[..split.0], &line[split.0 + 1..]);
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in head.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&head[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&head[start..]);
    let name = parts.first()?.trim().to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let params = parts[1..]
        .iter()
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_ascii_uppercase(),
                v.trim().trim_matches('"').to_string(),
            )
        })
        .collect();
    Some(Prop {
        name,
        params,
        value: value.to_string(),
    })
}

fn parse_components(text: &str) -> Result<Component, IcalError> {
    let mut stack: Vec<Component> = vec![Component {
        name: "ROOT".into(),
        ..Default::default()
    }];
    for line in unfold(text).lines().filter(|l| !l.trim().is_empty()) {
        let Some(prop) = parse_line(line) else {
            continue;
        };
        match prop.name.as_str() {
            "BEGIN" => stack.push(Component {
                name: prop.value.trim().to_ascii_uppercase(),
                ..Default::default()
            }),
            "END" if stack.len() > 1 => {
                let done = stack.pop().expect("stack has a component");
                stack.last_mut().expect("root").children.push(done);
            }
            _ => stack.last_mut().expect("root").props.push(prop),
        }
    }
    // Unterminated components still count: real exports are sometimes truncated.
    while stack.len() > 1 {
        let done = stack.pop().expect("stack has a component");
        stack.last_mut().expect("root").children.push(done);
    }
    let root = stack.pop().expect("root");
    root.children
        .into_iter()
        .find(|c| c.name == "VCALENDAR")
        .ok_or(IcalError::NotCalendar)
}

// ------------------------------------------------------------------ time zones and values

/// Windows zone names some Exchange/Outlook exports use as TZID.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("Eastern Standard Time", "America/New_York"),
    ("Central Standard Time", "America/Chicago"),
    ("Mountain Standard Time", "America/Denver"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("China Standard Time", "Asia/Shanghai"),
    ("India Standard Time", "Asia/Kolkata"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("UTC", "UTC"),
];

#[derive(Debug, Clone, Copy)]
enum Zone {
    Named(Tz),
    Fixed(chrono::FixedOffset),
}

struct Zones {
    /// TZID → fixed offset from the VTIMEZONE's STANDARD part, used when the name is unknown.
    fallback: HashMap<String, chrono::FixedOffset>,
    default: Tz,
}

fn parse_offset(text: &str) -> Option<chrono::FixedOffset> {
    let t = text.trim();
    let (sign, digits) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => (1, t),
    };
    let hours: i32 = digits.get(0..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4).unwrap_or("00").parse().ok()?;
    chrono::FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

impl Zones {
    fn new(calendar: &Component, default: Tz) -> Self {
        let fallback = calendar
            .children
            .iter()
            .filter(|c| c.name == "VTIMEZONE")
            .filter_map(|tz| {
                let id = tz.get("TZID")?.value.trim().to_string();
                let part = tz
                    .children
                    .iter()
                    .find(|c| c.name == "STANDARD")
                    .or_else(|| tz.children.first())?;
                Some((id, parse_offset(&part.get("TZOFFSETTO")?.value)?))
            })
            .collect();
        Zones { fallback, default }
    }

    fn resolve(&self, tzid: &str) -> Option<Zone> {
        let id = tzid.trim().trim_start_matches('/');
        if let Ok(tz) = id.parse::<Tz>() {
            return Some(Zone::Named(tz));
        }
        if let Some((_, iana)) = WINDOWS_ZONES
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(id))
        {
            return iana.parse().ok().map(Zone::Named);
        }
        // Some producers prefix IANA names, e.g. "/mozilla.org/20050126_1/Europe/Berlin".
        let tail: Vec<&str> = id.rsplitn(3, '/').collect();
        if tail.len() >= 2 {
            if let Ok(tz) = format!("{}/{}", tail[1], tail[0]).parse::<Tz>() {
                return Some(Zone::Named(tz));
            }
        }
        self.fallback.get(id).copied().map(Zone::Fixed)
    }
}

/// A DTSTART-like value: its instant (or date), and the zone name it was written in.
#[derive(Debug, Clone, PartialEq)]
struct Stamp {
    time: EventTime,
    tz_name: Option<String>,
    zone: Option<Tz>,
}

fn local_to_utc(naive: NaiveDateTime, zone: Zone) -> DateTime<Utc> {
    match zone {
        Zone::Named(tz) => tz
            .from_local_datetime(&naive)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(naive + Duration::hours(1)))
                    .earliest()
            })
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|| naive.and_utc()),
        Zone::Fixed(offset) => offset
            .from_local_datetime(&naive)
            .single()
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|| naive.and_utc()),
    }
}

fn parse_value(
    value: &str,
    tzid: Option<&str>,
    is_date: bool,
    zones: &Zones,
) -> Result<Stamp, String> {
    let v = value.trim();
    if is_date || (v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit())) {
        let date = NaiveDate::parse_from_str(&v[..8.min(v.len())], "%Y%m%d")
            .map_err(|_| format!("invalid date \"{v}\""))?;
        return Ok(Stamp {
            time: EventTime::Date(date),
            tz_name: None,
            zone: None,
        });
    }
    if let Some(utc) = v.strip_suffix('Z') {
        let naive = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .map_err(|_| format!("invalid date-time \"{v}\""))?;
        return Ok(Stamp {
            time: EventTime::DateTime(naive.and_utc()),
            tz_name: Some("UTC".into()),
            zone: Some(Tz::UTC),
        });
    }
    let naive = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("invalid date-time \"{v}\""))?;
    let (zone, name) = match tzid {
        Some(id) => match zones.resolve(id) {
            Some(z) => (z, Some(id.to_string())),
            None => return Err(format!("unknown time zone \"{id}\"")),
        },
        None => (Zone::Named(zones.default), None), // floating: the user's zone
    };
    let named = match zone {
        Zone::Named(tz) => Some(tz),
        Zone::Fixed(_) => None,
    };
    let tz_name = match (&name, named) {
        (Some(_), Some(tz)) => Some(tz.name().to_string()),
        (other, _) => other.clone(),
    };
    Ok(Stamp {
        time: EventTime::DateTime(local_to_utc(naive, zone)),
        tz_name,
        zone: named,
    })
}

fn prop_stamp(prop: &Prop, zones: &Zones) -> Result<Stamp, String> {
    parse_value(
        &prop.value,
        prop.param("TZID"),
        prop.param("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("DATE")),
        zones,
    )
}

/// `P1D`, `PT1H30M`, `-PT15M`, `P2W`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let rest = rest.strip_prefix('P')?;
    let (mut total, mut number, mut in_time, mut any) =
        (Duration::zero(), String::new(), false, false);
    for c in rest.chars() {
        match c {
            'T' => in_time = true,
            '0'..='9' => number.push(c),
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                any = true;
                total += match (unit, in_time) {
                    ('W', false) => Duration::weeks(n),
                    ('D', false) => Duration::days(n),
                    ('H', true) => Duration::hours(n),
                    ('M', true) => Duration::minutes(n),
                    ('S', true) => Duration::seconds(n),
                    _ => return None,
                };
            }
        }
    }
    (any && number.is_empty()).then_some(total * sign)
}

// ------------------------------------------------------------------ meeting links

const VIDEO_HOSTS: &[&str] = &[
    "meet.google.com",
    "zoom.us",
    "zoomgov.com",
    "teams.microsoft.com",
    "teams.live.com",
    "webex.com",
    "whereby.com",
    "meet.jit.si",
    "gotomeeting.com",
    "meet.goto.com",
    "app.goto.com",
];

fn is_video_link(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    VIDEO_HOSTS
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")))
}

fn links(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']')
    })
    .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
    .map(|w| w.trim_end_matches(['.', ',', ';']))
}

/// The first video-call link in the location, then the description.
pub fn extract_meeting_url(location: Option<&str>, description: Option<&str>) -> Option<String> {
    [location, description]
        .into_iter()
        .flatten()
        .flat_map(links)
        .find(|l| is_video_link(l))
        .map(str::to_string)
}

/// URL property, known X- properties, then location and description.
fn meeting_url(
    event: &Component,
    location: Option<&str>,
    description: Option<&str>,
) -> Option<String> {
    let direct = [
        "URL",
        "X-GOOGLE-CONFERENCE",
        "X-MICROSOFT-SKYPETEAMSMEETINGURL",
        "X-MICROSOFT-ONLINEMEETINGCONFLINK",
    ]
    .into_iter()
    .filter_map(|name| event.get(name))
    .map(|p| p.value.trim().to_string())
    .find(|url| is_video_link(url));
    direct.or_else(|| extract_meeting_url(location, description))
}

// ------------------------------------------------------------------ events

fn person(prop: &Prop) -> Option<Attendee> {
    let value = prop.value.trim();
    let email = value
        .strip_prefix("mailto:")
        .or_else(|| value.strip_prefix("MAILTO:"))
        .unwrap_or(value)
        .trim();
    if email.is_empty() {
        return None;
    }
    Some(Attendee {
        email: email.to_string(),
        name: prop
            .param("CN")
            .map(str::to_string)
            .filter(|s| !s.is_empty()),
        partstat: prop.param("PARTSTAT").map(str::to_ascii_uppercase),
        role: prop.param("ROLE").map(str::to_ascii_uppercase),
        cutype: prop.param("CUTYPE").map(str::to_ascii_uppercase),
    })
}

fn status_of(event: &Component) -> EventStatus {
    match event
        .get("STATUS")
        .map(|p| p.value.trim().to_ascii_uppercase())
        .as_deref()
    {
        Some("CANCELLED") => EventStatus::Cancelled,
        Some("TENTATIVE") => EventStatus::Tentative,
        _ => EventStatus::Confirmed,
    }
}

/// Everything of a VEVENT except when it happens.
struct Details {
    uid: String,
    title: String,
    description: Option<String>,
    location: Option<String>,
    status: EventStatus,
    organizer: Option<Attendee>,
    attendees: Vec<Attendee>,
    meeting_url: Option<String>,
    last_modified: Option<DateTime<Utc>>,
}

fn details(event: &Component, uid: &str, zones: &Zones) -> Details {
    let description = event.text("DESCRIPTION");
    let location = event.text("LOCATION");
    Details {
        uid: uid.to_string(),
        title: event.text("SUMMARY").unwrap_or_else(|| "(no title)".into()),
        meeting_url: meeting_url(event, location.as_deref(), description.as_deref()),
        status: status_of(event),
        organizer: event.get("ORGANIZER").and_then(person),
        attendees: event.all("ATTENDEE").filter_map(person).collect(),
        last_modified: event
            .get("LAST-MODIFIED")
            .and_then(|p| prop_stamp(p, zones).ok())
            .and_then(|s| match s.time {
                EventTime::DateTime(at) => Some(at),
                EventTime::Date(_) => None,
            }),
        description,
        location,
    }
}

/// Start, and end (from DTEND, DURATION, or the RFC's defaults).
fn span(event: &Component, zones: &Zones) -> Result<(Stamp, EventTime), String> {
    let start = prop_stamp(event.get("DTSTART").ok_or("missing DTSTART")?, zones)?;
    let end = match (event.get("DTEND"), event.get("DURATION")) {
        (Some(end), _) => prop_stamp(end, zones)?.time,
        (None, Some(d)) => {
            let d = parse_duration(&d.value)
                .ok_or_else(|| format!("invalid DURATION \"{}\"", d.value))?;
            shift(&start.time, d)
        }
        (None, None) => match start.time {
            EventTime::Date(day) => EventTime::Date(day + Duration::days(1)),
            EventTime::DateTime(at) => EventTime::DateTime(at),
        },
    };
    let end = match (&start.time, end) {
        (EventTime::Date(_), EventTime::DateTime(at)) => EventTime::Date(at.date_naive()),
        (EventTime::DateTime(_), EventTime::Date(d)) => {
            EventTime::DateTime(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        }
        (_, end) => end,
    };
    if instant(&end) < instant(&start.time) {
        return Err("ends before it starts".into());
    }
    Ok((start, end))
}

fn instant(t: &EventTime) -> DateTime<Utc> {
    match t {
        EventTime::DateTime(at) => *at,
        EventTime::Date(d) => d.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
    }
}

fn shift(t: &EventTime, by: Duration) -> EventTime {
    match t {
        EventTime::DateTime(at) => EventTime::DateTime(*at + by),
        EventTime::Date(d) => EventTime::Date(*d + Duration::days(by.num_days())),
    }
}

/// The id of an occurrence: its original start in UTC (or its date for all-day series).
fn occurrence_id(t: &EventTime) -> String {
    match t {
        EventTime::DateTime(at) => super::model::When::At(*at),
        EventTime::Date(d) => super::model::When::Day(*d),
    }
    .occurrence_id()
}

fn overlaps(start: &EventTime, end: &EventTime, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    let (s, e) = (instant(start), instant(end));
    s < to && (e > from || (e == s && s >= from))
}

fn occurrence(
    d: &Details,
    start: EventTime,
    end: EventTime,
    tz: Option<String>,
    recurrence_id: Option<String>,
    status: EventStatus,
) -> EventOccurrence {
    EventOccurrence {
        uid: d.uid.clone(),
        recurrence_id,
        title: d.title.clone(),
        description: d.description.clone(),
        location: d.location.clone(),
        all_day: matches!(start, EventTime::Date(_)),
        start,
        end,
        time_zone: tz,
        status,
        organizer: d.organizer.clone(),
        attendees: d.attendees.clone(),
        meeting_url: d.meeting_url.clone(),
        last_modified: d.last_modified,
    }
}

/// Occurrence starts of a recurring master within the window (widened by the event's length).
fn expand(
    master: &Component,
    start: &Stamp,
    length: Duration,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zones: &Zones,
) -> Result<Vec<EventTime>, String> {
    let all_day = matches!(start.time, EventTime::Date(_));
    let tz = if all_day {
        Tz::UTC
    } else {
        start.zone.unwrap_or(Tz::UTC)
    };
    let rtz = rrule::Tz::Tz(tz);
    let local_start = instant(&start.time).with_timezone(&tz);
    let mut lines = vec![format!(
        "DTSTART;TZID={}:{}",
        tz.name(),
        local_start.format("%Y%m%dT%H%M%S")
    )];
    for rule in master.all("RRULE") {
        lines.push(format!("RRULE:{}", normalize_rrule(&rule.value, tz)));
    }
    let mut set: rrule::RRuleSet = lines
        .join("\n")
        .parse()
        .map_err(|e: rrule::RRuleError| format!("invalid RRULE: {e}"))?;
    for (name, exclude) in [("RDATE", false), ("EXDATE", true)] {
        for prop in master.all(name) {
            for value in prop.value.split(',').filter(|v| !v.trim().is_empty()) {
                let value = value.split('/').next().unwrap_or(value); // RDATE periods: keep the start
                let stamp = parse_value(
                    value,
                    prop.param("TZID"),
                    all_day
                        || prop
                            .param("VALUE")
                            .is_some_and(|v| v.eq_ignore_ascii_case("DATE")),
                    zones,
                )?;
                let at = instant(&stamp.time).with_timezone(&rtz);
                set = if exclude {
                    set.exdate(at)
                } else {
                    set.rdate(at)
                };
            }
        }
    }
    let after = (from - length - Duration::seconds(1)).with_timezone(&rtz);
    let before = to.with_timezone(&rtz);
    let result = set.after(after).before(before).all(MAX_OCCURRENCES);
    Ok(result
        .dates
        .into_iter()
        .map(|d| {
            let utc = d.with_timezone(&Utc);
            if all_day {
                EventTime::Date(utc.date_naive())
            } else {
                EventTime::DateTime(utc)
            }
        })
        .collect())
}

/// `rrule` wants UNTIL in the same form as DTSTART: a date-only UNTIL becomes end of day.
fn normalize_rrule(rule: &str, tz: Tz) -> String {
    rule.split(';')
        .map(|part| match part.split_once('=') {
            Some((k, v)) if k.eq_ignore_ascii_case("UNTIL") => {
                let v = v.trim();
                let until = if v.len() == 8 {
                    NaiveDate::parse_from_str(v, "%Y%m%d")
                        .ok()
                        .and_then(|d| d.and_hms_opt(23, 59, 59))
                        .map(|n| local_to_utc(n, Zone::Named(tz)))
                } else if let Some(u) = v.strip_suffix('Z') {
                    NaiveDateTime::parse_from_str(u, "%Y%m%dT%H%M%S")
                        .ok()
                        .map(|n| n.and_utc())
                } else {
                    NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
                        .ok()
                        .map(|n| local_to_utc(n, Zone::Named(tz)))
                };
                match until {
                    Some(u) => format!("UNTIL={}", u.format("%Y%m%dT%H%M%SZ")),
                    None => part.to_string(),
                }
            }
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn events_of_uid(
    uid: &str,
    vevents: &[&Component],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    zones: &Zones,
) -> Result<Vec<EventOccurrence>, String> {
    let (overrides, masters): (Vec<&&Component>, Vec<&&Component>) = vevents
        .iter()
        .partition(|c| c.get("RECURRENCE-ID").is_some());
    let mut out = Vec::new();
    let mut overridden: HashMap<String, &Component> = HashMap::new();
    for o in &overrides {
        let rid = prop_stamp(o.get("RECURRENCE-ID").expect("partitioned"), zones)?;
        overridden.insert(occurrence_id(&rid.time), o);
    }
    if let Some(master) = masters.first() {
        let (start, end) = span(master, zones)?;
        let d = details(master, uid, zones);
        let length = instant(&end) - instant(&start.time);
        if master.get("RRULE").is_some() || master.get("RDATE").is_some() {
            for s in expand(master, &start, length, from, to, zones)? {
                if overridden.contains_key(&occurrence_id(&s)) {
                    continue;
                }
                let e = shift(&s, length);
                if overlaps(&s, &e, from, to) {
                    out.push(occurrence(
                        &d,
                        s.clone(),
                        e,
                        start.tz_name.clone(),
                        Some(occurrence_id(&s)),
                        d.status,
                    ));
                }
            }
        } else if overlaps(&start.time, &end, from, to) {
            out.push(occurrence(
                &d,
                start.time.clone(),
                end,
                start.tz_name.clone(),
                None,
                d.status,
            ));
        }
    }
    for (rid, o) in overridden {
        let (start, end) = span(o, zones)?;
        let d = details(o, uid, zones);
        if overlaps(&start.time, &end, from, to) {
            out.push(occurrence(
                &d,
                start.time,
                end,
                start.tz_name,
                Some(rid),
                d.status,
            ));
        }
    }
    Ok(out)
}

/// Parses a VCALENDAR and returns the occurrences overlapping `[from, to)`. Floating times are
/// read in `default_tz`.
pub fn parse_calendar(
    text: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    default_tz: Tz,
) -> Result<ParseOutcome, IcalError> {
    let calendar = parse_components(text)?;
    let zones = Zones::new(&calendar, default_tz);
    let mut by_uid: Vec<(String, Vec<&Component>)> = Vec::new();
    let mut outcome = ParseOutcome::default();
    for (i, event) in calendar
        .children
        .iter()
        .filter(|c| c.name == "VEVENT")
        .enumerate()
    {
        let uid = event
            .get("UID")
            .map(|p| p.value.trim().to_string())
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| format!("no-uid-{i}"));
        match by_uid.iter_mut().find(|(u, _)| *u == uid) {
            Some((_, list)) => list.push(event),
            None => by_uid.push((uid, vec![event])),
        }
    }
    for (uid, vevents) in by_uid {
        match events_of_uid(&uid, &vevents, from, to, &zones) {
            Ok(mut events) => outcome.events.append(&mut events),
            Err(message) => outcome.warnings.push(ParseWarning {
                uid: Some(uid),
                message,
            }),
        }
    }
    outcome.events.sort_by_key(|e| instant(&e.start));
    Ok(outcome)
}

#[cfg(test)]
#[path = "ical_tests.rs"]
mod tests;
