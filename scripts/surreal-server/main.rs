//! `surreal`: SurrealDB's own server and command line, from the surrealdb-server library.
use std::process::ExitCode;

use surrealdb_server::core::CommunityComposer;

fn main() -> ExitCode {
    surrealdb_server::init(CommunityComposer())
}
