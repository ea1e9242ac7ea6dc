//! Calendar storage, one owner per table: `connections` (connection, calendar), `events`
//! (event, calendar_object), `leases` (the sync lease on a connection) and `history` (sync_run).
pub mod connections;
pub mod events;
pub mod history;
pub mod leases;

pub use connections::{
    CalendarLabel, CalendarRow, ConnectionRow, ConnectionSettings, ConnectionStore, NewCalendar,
    NewConnection,
};
pub use events::{
    event_source, Among, CalendarKey, EventGuests, EventRow, EventStore, GuestFilter, ObjectWrite,
    StoredObject,
};
pub use history::SyncHistory;
pub use leases::Lease;
