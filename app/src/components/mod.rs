pub mod activity;
pub mod favorite;
pub mod layout;
pub mod pager;
pub mod status;
