//! A user's time zone, for showing instants as wall-clock times.
//!
//! The server reads chrono-tz's tables. The browser asks its own (`Intl.DateTimeFormat`), so the
//! client does not carry every zone's history (about 190 KB gzipped of the WASM bundle). Both
//! read the IANA database, so a page the client renders says what the server's HTML said.
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

/// A named zone; an unknown name reads as UTC.
#[derive(Clone, Debug)]
pub struct Zone(imp::Zone);

impl Zone {
    pub fn named(name: &str) -> Self {
        Zone(imp::Zone::named(name))
    }

    /// The wall-clock time in this zone at `at`.
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        self.0.local(at)
    }

    /// The date in this zone at `at`.
    pub fn date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.local(at).date()
    }

    /// A wall-clock time here as an instant: in a DST gap the later reading, in an overlap the
    /// earlier (the rule of [`super::local_to_utc`]).
    pub fn to_utc(&self, wall: NaiveDateTime) -> DateTime<Utc> {
        self.0.to_utc(wall)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl From<chrono_tz::Tz> for Zone {
    fn from(tz: chrono_tz::Tz) -> Self {
        Zone(imp::Zone(tz))
    }
}

/// [`super::local_to_utc`] for a zone known only by its wall clock (`wall_at`): the offsets in
/// effect a day either side are the candidates, and the earliest instant whose wall clock reads
/// `wall` wins; in a gap, the same for an hour later.
#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code))]
fn wall_to_utc(
    wall: NaiveDateTime,
    wall_at: impl Fn(DateTime<Utc>) -> NaiveDateTime,
) -> DateTime<Utc> {
    let earliest = |wall: NaiveDateTime| {
        let guess = wall.and_utc();
        [guess - Duration::days(1), guess, guess + Duration::days(1)]
            .into_iter()
            .map(|probe| guess - (wall_at(probe) - probe.naive_utc()))
            .filter(|at| wall_at(*at) == wall)
            .min()
    };
    earliest(wall)
        .or_else(|| earliest(wall + Duration::hours(1)))
        .unwrap_or_else(|| wall.and_utc())
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use chrono::{DateTime, NaiveDateTime, Utc};

    #[derive(Clone, Debug)]
    pub struct Zone(pub chrono_tz::Tz);

    impl Zone {
        pub fn named(name: &str) -> Self {
            Zone(super::super::parse_tz(name))
        }

        pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
            at.with_timezone(&self.0).naive_local()
        }

        pub fn to_utc(&self, wall: NaiveDateTime) -> DateTime<Utc> {
            super::super::local_to_utc(wall, self.0)
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    use js_sys::{Array, Intl::DateTimeFormat, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    /// The zone's name; its formatter is made once per page load and kept.
    #[derive(Clone, Debug)]
    pub struct Zone(Option<String>);

    thread_local! {
        static FORMATTERS: RefCell<HashMap<String, DateTimeFormat>> = RefCell::default();
    }

    impl Zone {
        pub fn named(name: &str) -> Self {
            let known = FORMATTERS.with(|all| {
                let mut all = all.borrow_mut();
                all.contains_key(name)
                    || formatter(name)
                        .map(|format| all.insert(name.to_string(), format))
                        .is_some()
            });
            Zone((known && name != "UTC").then(|| name.to_string()))
        }

        pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
            let Some(name) = &self.0 else {
                return at.naive_utc();
            };
            FORMATTERS
                .with(|all| {
                    let all = all.borrow();
                    wall_clock(all.get(name)?, at)
                })
                .unwrap_or_else(|| at.naive_utc())
        }

        pub fn to_utc(&self, wall: NaiveDateTime) -> DateTime<Utc> {
            super::wall_to_utc(wall, |at| self.local(at))
        }
    }

    /// `new Intl.DateTimeFormat("en-US", {timeZone, hourCycle: "h23", …numeric fields})`;
    /// `None` when the browser does not know the zone (the constructor throws).
    fn formatter(name: &str) -> Option<DateTimeFormat> {
        let options = Object::new();
        let set = |key: &str, value: &str| Reflect::set(&options, &key.into(), &value.into());
        set("timeZone", name).ok()?;
        set("hourCycle", "h23").ok()?;
        for field in ["year", "month", "day", "hour", "minute", "second"] {
            set(field, "numeric").ok()?;
        }
        let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
        let class = Reflect::get(&intl, &"DateTimeFormat".into()).ok()?;
        let args = Array::of2(&"en-US".into(), &options);
        Reflect::construct(class.dyn_ref::<js_sys::Function>()?, &args)
            .ok()
            .map(JsValue::unchecked_into)
    }

    /// The wall clock `format` shows at `at`, to the second, plus `at`'s fraction of a second.
    fn wall_clock(format: &DateTimeFormat, at: DateTime<Utc>) -> Option<NaiveDateTime> {
        let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
        let mut fields = [0u32; 6];
        for part in format.format_to_parts(&date).iter() {
            let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
            let slot = match kind.as_str() {
                "year" => 0,
                "month" => 1,
                "day" => 2,
                "hour" => 3,
                "minute" => 4,
                "second" => 5,
                _ => continue,
            };
            let value = Reflect::get(&part, &"value".into()).ok()?.as_string()?;
            fields[slot] = value.parse().ok()?;
        }
        let [year, month, day, hour, minute, second] = fields;
        NaiveDate::from_ymd_opt(year as i32, month, day)?.and_hms_nano_opt(
            hour,
            minute,
            second,
            at.timestamp_subsec_nanos(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    /// The browser's conversion rule, fed chrono-tz's wall clock, agrees with chrono-tz on every
    /// zone around every offset change of 2025–2026 (gaps, overlaps, half-hour shifts).
    #[test]
    fn wall_clock_rule_matches_chrono_tz_everywhere() {
        let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let mut checked = 0;
        for tz in chrono_tz::TZ_VARIANTS {
            let wall_at = |at: DateTime<Utc>| at.with_timezone(&tz).naive_local();
            let offset_at = |at: DateTime<Utc>| wall_at(at) - at.naive_utc();
            for day in first.iter_days().take(730) {
                let midnight = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap());
                let changes = offset_at(midnight - Duration::days(1))
                    != offset_at(midnight + Duration::days(2));
                let steps = if changes { 0..96 } else { 48..49 };
                for step in steps {
                    let wall = day.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(15 * step);
                    assert_eq!(
                        wall_to_utc(wall, wall_at),
                        super::super::local_to_utc(wall, tz),
                        "{tz} at {wall}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 400_000, "{checked}");
    }

    #[test]
    fn unknown_names_read_as_utc() {
        let at: DateTime<Utc> = "2026-07-01T12:00:00Z".parse().unwrap();
        assert_eq!(Zone::named("Nowhere/City").local(at), at.naive_utc());
        assert_eq!(
            Zone::named("Europe/Amsterdam").local(at).to_string(),
            "2026-07-01 14:00:00"
        );
    }
}
