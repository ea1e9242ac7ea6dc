//! Every integration test in one binary: one link instead of one per file, and the helpers in
//! `common` are shared by all of them.
mod common;

mod api;
mod assets;
mod auth;
mod background;
mod caldav;
mod calendar_api;
mod chaos;
mod cli;
mod credential_origin;
mod cross_site;
mod domain;
mod engine_limits;
mod first_sync;
mod google;
mod meetings;
mod meetings_page;
mod my_addresses;
mod scale_out;
mod scheduler;
mod sync_crash;
mod sync_safety;
