//! Rondo's server: storage, accounts, the CRM domain, and the HTTP application.
#![recursion_limit = "256"]
pub mod activities;
pub mod auth;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod ids;
pub mod migrations;
pub mod people;
pub mod secrets;
pub mod serve;
pub mod services;
pub mod text;
