//! TZID resolution (IANA names, Windows and Outlook names, prefixed names, the object's own
//! VTIMEZONEs with their DST rules) and local wall time ↔ UTC.
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::lexer::{unescape, Component};
use super::recurrence::{jump, normalize_rrule};
use super::windows_zones::{DISPLAY_NAMES, WINDOWS_TO_IANA};

#[derive(Debug, Clone)]
pub(crate) enum Zone {
    Named(Tz),
    /// A VTIMEZONE of the object whose TZID names no known zone.
    Custom(Rc<CustomZone>),
}

/// One STANDARD or DAYLIGHT part of a VTIMEZONE: from each onset on, `to` applies.
#[derive(Debug)]
struct Observance {
    /// Local wall time (in `from`) of the first onset.
    start: NaiveDateTime,
    from: FixedOffset,
    to: FixedOffset,
    rule: Option<String>,
    rdates: Vec<NaiveDateTime>,
}

/// (onset as local wall time, offset from then on), sorted.
type Transitions = Rc<Vec<(NaiveDateTime, FixedOffset)>>;

#[derive(Debug)]
pub(crate) struct CustomZone {
    observances: Vec<Observance>,
    /// Year → its transitions (plus the one in force at its start), sorted by onset.
    years: RefCell<HashMap<i32, Transitions>>,
}

/// Onsets of a VTIMEZONE rule are walked from near the asked year, never from 1601.
const MAX_ONSETS: usize = 1000;

impl Observance {
    /// Onsets up to `until`, starting close before `near` where the rule allows.
    fn onsets(&self, near: NaiveDateTime, until: NaiveDateTime) -> Vec<NaiveDateTime> {
        let mut out: Vec<NaiveDateTime> = std::iter::once(self.start)
            .chain(self.rdates.iter().copied())
            .filter(|t| *t <= until)
            .collect();
        if let Some(rule) = &self.rule {
            let rule = normalize_rrule(rule, Tz::UTC);
            let start = jump(self.start, &rule, near, Tz::UTC);
            let text = format!("DTSTART:{}Z\nRRULE:{rule}", start.format("%Y%m%dT%H%M%S"));
            if let Ok(set) = text.parse::<rrule::RRuleSet>() {
                out.extend(
                    (&set.limit())
                        .into_iter()
                        .map(|d| d.naive_utc())
                        .take_while(|t| *t <= until)
                        .take(MAX_ONSETS),
                );
            }
        }
        out
    }
}

impl CustomZone {
    fn from_component(tz: &Component) -> Option<Self> {
        let observances: Vec<Observance> = tz
            .children
            .iter()
            .filter(|c| c.name == "STANDARD" || c.name == "DAYLIGHT")
            .filter_map(|c| {
                let to = parse_offset(&c.get("TZOFFSETTO")?.value)?;
                let from = c
                    .get("TZOFFSETFROM")
                    .and_then(|p| parse_offset(&p.value))
                    .unwrap_or(to);
                let naive = |v: &str| NaiveDateTime::parse_from_str(v.trim(), "%Y%m%dT%H%M%S").ok();
                Some(Observance {
                    start: c
                        .get("DTSTART")
                        .and_then(|p| naive(&p.value))
                        .unwrap_or(NaiveDateTime::MIN),
                    from,
                    to,
                    rule: c.get("RRULE").map(|p| p.value.clone()),
                    rdates: c
                        .all("RDATE")
                        .flat_map(|p| p.value.split(',').filter_map(naive).collect::<Vec<_>>())
                        .collect(),
                })
            })
            .collect();
        (!observances.is_empty()).then(|| CustomZone {
            observances,
            years: RefCell::default(),
        })
    }

    fn transitions(&self, year: i32) -> Transitions {
        if let Some(t) = self.years.borrow().get(&year) {
            return t.clone();
        }
        let at = |y: i32| {
            NaiveDate::from_ymd_opt(y, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or(NaiveDateTime::MAX)
        };
        let (lo, hi) = (at(year), at(year.saturating_add(1)));
        let near = at(year.saturating_sub(2));
        let mut in_force: Option<(NaiveDateTime, FixedOffset)> = None;
        let mut list = Vec::new();
        for o in &self.observances {
            for onset in o.onsets(near, hi) {
                if onset > lo {
                    list.push((onset, o.to));
                } else if in_force.is_none_or(|(t, _)| onset > t) {
                    in_force = Some((onset, o.to));
                }
            }
        }
        list.extend(in_force);
        list.sort_by_key(|(t, _)| *t);
        let list = Rc::new(list);
        self.years.borrow_mut().insert(year, list.clone());
        list
    }

    /// The offset in force at a local wall time.
    fn offset_at_local(&self, naive: NaiveDateTime) -> FixedOffset {
        use chrono::Datelike;
        let list = self.transitions(naive.year());
        list.iter()
            .rev()
            .find(|(onset, _)| *onset <= naive)
            .map(|(_, to)| *to)
            // Before the first onset: what the earliest part changed from.
            .unwrap_or_else(|| {
                let first = self.observances.iter().min_by_key(|o| o.start);
                first.map_or(FixedOffset::east_opt(0).expect("zero"), |o| o.from)
            })
    }

    fn to_utc(&self, naive: NaiveDateTime) -> DateTime<Utc> {
        let offset = self.offset_at_local(naive);
        let utc = naive
            .checked_sub_signed(Duration::seconds(offset.local_minus_utc().into()))
            .unwrap_or(naive);
        utc.and_utc()
    }

    /// The local wall time of an instant: the offset that agrees with itself.
    pub fn to_local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        let local = |o: &FixedOffset| {
            at.naive_utc()
                .checked_add_signed(Duration::seconds(o.local_minus_utc().into()))
                .unwrap_or(at.naive_utc())
        };
        self.observances
            .iter()
            .map(|o| o.to)
            .find(|o| self.offset_at_local(local(o)) == *o)
            .or_else(|| self.observances.first().map(|o| o.to))
            .map_or(at.naive_utc(), |o| local(&o))
    }
}

pub(crate) struct Zones {
    /// The object's VTIMEZONEs by TZID, used when the name is not a known zone.
    custom: HashMap<String, Rc<CustomZone>>,
    /// Floating times are read in this zone (the user's).
    pub default: Tz,
    /// TZIDs that resolved to nothing since last asked, each read as floating time.
    unknown: RefCell<Vec<String>>,
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let t = text.trim();
    let (sign, digits) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => (1, t),
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    let hours: i32 = digits.get(0..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4).unwrap_or("00").parse().ok()?;
    let seconds: i32 = digits.get(4..6).unwrap_or("00").parse().ok()?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60 + seconds))
}

/// `"(UTC-05:00) Eastern Time (US & Canada)"` → −05:00; `"(UTC) Dublin, …"` → UTC.
fn display_offset(id: &str) -> Option<FixedOffset> {
    let rest = id
        .strip_prefix("(UTC")
        .or_else(|| id.strip_prefix("(GMT"))?;
    let (offset, _) = rest.split_once(')')?;
    match offset {
        "" => FixedOffset::east_opt(0),
        o => parse_offset(o),
    }
}

/// A TZID as written: quotes and TEXT escapes (`\,`) removed.
pub(crate) fn clean_tzid(tzid: &str) -> String {
    unescape(tzid.trim().trim_matches('"')).trim().to_string()
}

impl Zones {
    pub fn new(calendar: &Component, default: Tz) -> Self {
        let custom = calendar
            .children
            .iter()
            .filter(|c| c.name == "VTIMEZONE")
            .filter_map(|tz| {
                let id = clean_tzid(&tz.get("TZID")?.value);
                Some((id, Rc::new(CustomZone::from_component(tz)?)))
            })
            .collect();
        Zones {
            custom,
            default,
            unknown: RefCell::default(),
        }
    }

    /// A TZID's zone, or None (noted for [`Zones::take_unknown`]) when nothing matches.
    pub fn resolve(&self, tzid: &str) -> Option<Zone> {
        let raw = clean_tzid(tzid);
        let found = self.lookup(&raw);
        if found.is_none() {
            self.unknown.borrow_mut().push(raw);
        }
        found
    }

    fn lookup(&self, raw: &str) -> Option<Zone> {
        let id = raw.trim_start_matches('/');
        let named = |name: &str| name.parse::<Tz>().ok().map(Zone::Named);
        let table = |t: &[(&str, &'static str)]| {
            t.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(id))
                .map(|(_, v)| *v)
        };
        if let Some(z) = named(id) {
            return Some(z);
        }
        let windows = table(DISPLAY_NAMES).unwrap_or(id);
        if let Some(iana) = WINDOWS_TO_IANA
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(windows))
            .map(|(_, iana)| *iana)
        {
            return named(iana);
        }
        // Some producers prefix IANA names, e.g. "/mozilla.org/20050126_1/Europe/Berlin" or
        // ".../Tzfile/America/Argentina/Buenos_Aires".
        let parts: Vec<&str> = id.split('/').collect();
        for n in [3, 2] {
            if parts.len() > n {
                if let Some(z) = named(&parts[parts.len() - n..].join("/")) {
                    return Some(z);
                }
            }
        }
        if let Some(c) = self.custom.get(raw).or_else(|| self.custom.get(id)) {
            return Some(Zone::Custom(c.clone()));
        }
        display_offset(id).map(|o| {
            Zone::Custom(Rc::new(CustomZone {
                observances: vec![Observance {
                    start: NaiveDateTime::MIN,
                    from: o,
                    to: o,
                    rule: None,
                    rdates: Vec::new(),
                }],
                years: RefCell::default(),
            }))
        })
    }

    /// TZIDs that resolved to nothing since the last call.
    pub fn take_unknown(&self) -> Vec<String> {
        let mut list = std::mem::take(&mut *self.unknown.borrow_mut());
        list.sort();
        list.dedup();
        list
    }
}

/// A wall time in `zone` as UTC. In a DST gap the time an hour later is used (the clock skipped
/// past it); in an overlap the earlier instant.
pub(crate) fn local_to_utc(naive: NaiveDateTime, zone: &Zone) -> DateTime<Utc> {
    match zone {
        Zone::Named(tz) => app::time::local_to_utc(naive, *tz),
        Zone::Custom(c) => c.to_utc(naive),
    }
}
