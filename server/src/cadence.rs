//! How often the user meets a person: "last met 12 days ago · usually every 7 days · next: Thu".
//! Meetings are the person's calendar meetings (not cancelled) and the meetings and calls logged
//! with them; several on one day count once.
use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use app::models::Cadence;

use crate::activities::Activities;
use crate::calendar::store::events::EventStore;
use crate::error::StoreError;

/// How far back meetings count towards "usually every".
const LOOKBACK_DAYS: i64 = 365;
/// The most recent meetings (and, apart, logged meetings) read for it: the current rhythm,
/// and a bounded read for someone met every day.
const RECENT: usize = 120;
/// Fewer meeting days than this say nothing about a rhythm.
const MIN_DAYS_FOR_RHYTHM: usize = 3;

/// The cadence from the times the user met the person (any order) and their next meeting.
pub fn cadence(
    met: &[DateTime<Utc>],
    next: Option<DateTime<Utc>>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Cadence {
    let past: Vec<DateTime<Utc>> = met.iter().copied().filter(|at| *at <= now).collect();
    let days: BTreeSet<NaiveDate> = past
        .iter()
        .map(|at| at.with_timezone(&tz).date_naive())
        .collect();
    let usual_days = (days.len() >= MIN_DAYS_FOR_RHYTHM)
        .then(|| {
            let mut gaps: Vec<i64> = days
                .iter()
                .zip(days.iter().skip(1))
                .map(|(a, b)| (*b - *a).num_days())
                .collect();
            gaps.sort_unstable();
            // The median: one long holiday does not make the rhythm look slower.
            let mid = gaps.len() / 2;
            let median = if gaps.len().is_multiple_of(2) {
                (gaps[mid - 1] + gaps[mid] + 1) / 2
            } else {
                gaps[mid]
            };
            u32::try_from(median).ok()
        })
        .flatten();
    Cadence {
        last_met: past.into_iter().max(),
        usual_days,
        next: next.filter(|at| *at > now),
    }
}

/// Reads what [`cadence`] needs: the person's meetings from the event store (which leaves out
/// those of a connection being deleted) and the meetings and calls logged with them.
#[derive(Clone)]
pub struct Cadences {
    events: EventStore,
    activities: Activities,
}

impl Cadences {
    pub fn new(events: EventStore, activities: Activities) -> Self {
        Cadences { events, activities }
    }

    pub async fn of(
        &self,
        owner: &str,
        person: &str,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Cadence, StoreError> {
        let since = now - Duration::days(LOOKBACK_DAYS);
        // The lookback is applied after reading: bounded by `RECENT` alone, each read stops
        // early on its index (see `EventStore::met_and_next`).
        let ((meetings, next), logged) = tokio::try_join!(
            self.events.met_and_next(owner, person, now, RECENT),
            self.activities.met_at(owner, person, now, RECENT),
        )?;
        let met: Vec<DateTime<Utc>> = meetings
            .into_iter()
            .chain(logged)
            .filter(|at| *at > since)
            .collect();
        Ok(cadence(&met, next, tz, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn the_rhythm_is_the_median_gap_between_meeting_days() {
        let now = at(30, 12);
        // Weekly; two meetings on one day count once.
        let met = [at(1, 9), at(8, 9), at(15, 9), at(15, 16), at(22, 9)];
        let c = cadence(&met, Some(at(31, 9)), Tz::UTC, now);
        assert_eq!(c.usual_days, Some(7));
        assert_eq!(c.last_met, Some(at(22, 9)));
        assert_eq!(c.next, Some(at(31, 9)));
    }

    #[test]
    fn two_meeting_days_are_no_rhythm_yet() {
        let c = cadence(&[at(1, 9), at(8, 9)], None, Tz::UTC, at(30, 12));
        assert_eq!(c.usual_days, None);
        assert_eq!(c.last_met, Some(at(8, 9)));
    }

    #[test]
    fn days_are_the_users_days() {
        // 23:30 and 00:30 UTC are one evening and the next morning in UTC, but the same day
        // (the 2nd) in Tokyo.
        let met = [
            Utc.with_ymd_and_hms(2026, 3, 1, 23, 30, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 2, 0, 30, 0).unwrap(),
            at(9, 3),
            at(16, 3),
        ];
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        assert_eq!(cadence(&met, None, tokyo, at(30, 0)).usual_days, Some(7));
        assert_eq!(cadence(&met, None, Tz::UTC, at(30, 0)).usual_days, Some(7));
        let utc_days = [met[0], met[1], at(3, 3)];
        assert_eq!(
            cadence(&utc_days, None, Tz::UTC, at(30, 0)).usual_days,
            Some(1)
        );
        assert_eq!(cadence(&utc_days, None, tokyo, at(30, 0)).usual_days, None);
    }

    #[test]
    fn future_times_are_not_meetings_met_and_a_past_next_is_none() {
        let now = at(10, 12);
        let c = cadence(&[at(20, 9)], Some(at(9, 9)), Tz::UTC, now);
        assert_eq!(c, Cadence::default());
    }
}
