//! Errors of the iCalendar module: one for a whole object, one for a single VEVENT.
use thiserror::Error;

/// The object as a whole cannot be read; nothing is returned.
#[derive(Debug, Error, PartialEq)]
pub enum IcalError {
    #[error("not an iCalendar object (no BEGIN:VCALENDAR)")]
    NotCalendar,
    #[error("components nested deeper than {0} levels")]
    TooDeep(usize),
}

/// One VEVENT (or one UID's set of VEVENTs) cannot be read. It becomes a [`super::ParseWarning`]
/// with this message, and the other events of the object are still returned.
#[derive(Debug, Error, PartialEq)]
pub(crate) enum EventError {
    #[error("missing DTSTART")]
    MissingStart,
    #[error("invalid date \"{0}\"")]
    InvalidDate(String),
    #[error("invalid date-time \"{0}\"")]
    InvalidDateTime(String),
    #[error("unknown time zone \"{0}\", read as floating time")]
    UnknownZone(String),
    #[error("invalid DURATION \"{0}\"")]
    InvalidDuration(String),
    #[error("ends before it starts")]
    EndsBeforeStart,
    #[error("date out of range")]
    OutOfRange,
    #[error("recurrence too dense to expand before the window")]
    TooDense,
    #[error("invalid RRULE: {0}")]
    InvalidRule(String),
    #[error("more than {0} occurrences in the sync window; the later ones are not shown")]
    TooManyOccurrences(u16),
}
