//! TZID resolution (IANA names, Windows names, prefixed names, the object's own VTIMEZONEs) and
//! local wall time → UTC.
use std::collections::HashMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::lexer::Component;

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
pub(crate) enum Zone {
    Named(Tz),
    Fixed(FixedOffset),
}

pub(crate) struct Zones {
    /// TZID → fixed offset from the VTIMEZONE's STANDARD part, used when the name is unknown.
    fallback: HashMap<String, FixedOffset>,
    /// Floating times are read in this zone (the user's).
    pub default: Tz,
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    let t = text.trim();
    let (sign, digits) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => (1, t),
    };
    let hours: i32 = digits.get(0..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4).unwrap_or("00").parse().ok()?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

impl Zones {
    pub fn new(calendar: &Component, default: Tz) -> Self {
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

    pub fn resolve(&self, tzid: &str) -> Option<Zone> {
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

/// A wall time in `zone` as UTC. In a DST gap the time an hour later is used (the clock skipped
/// past it); in an overlap the earlier instant.
pub(crate) fn local_to_utc(naive: NaiveDateTime, zone: Zone) -> DateTime<Utc> {
    match zone {
        Zone::Named(tz) => tz
            .from_local_datetime(&naive)
            .earliest()
            .or_else(|| {
                let later = naive.checked_add_signed(Duration::hours(1))?;
                tz.from_local_datetime(&later).earliest()
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
