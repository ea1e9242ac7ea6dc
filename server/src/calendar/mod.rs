//! Calendar integration: connections, providers, sync and stored events.
pub mod caldav;
pub mod autolog;
pub mod caldav_sync;
pub mod credentials;
pub mod meetings;
pub mod dav_xml;
pub mod ical;
pub mod model;
pub mod net;
pub mod service;
pub mod store;
