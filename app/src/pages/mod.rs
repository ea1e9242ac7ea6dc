pub mod auth;
pub mod calendars;
pub mod dashboard;
pub mod meeting;
pub mod people;
pub mod person;
pub mod person_form;
pub mod settings;
