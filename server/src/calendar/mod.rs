//! Calendar integration: connections, providers, sync and stored events.
pub mod autolog;
pub mod backoff;
pub mod budget;
pub mod caldav;
pub mod caldav_sync;
pub mod credentials;
pub mod dav_xml;
pub mod discovered;
pub mod google;
pub mod ical;
pub mod meetings;
pub mod model;
pub mod net;
pub mod progress;
#[cfg(test)]
mod proptest_config;
pub mod retry;
pub mod schedule;
pub mod service;
pub mod store;
pub mod writer;
