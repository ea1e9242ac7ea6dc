pub mod activity;
pub mod favorite;
pub mod layout;
pub mod meeting;
pub mod modal;
pub mod pager;
pub mod status;
pub mod sync_prefs;
