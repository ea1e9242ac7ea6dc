//! Command-line interface of the `rondo` binary.
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "rondo",
    version,
    about = "Rondo, a self-hosted personal CRM with calendar integration"
)]
pub struct Cli {
    /// TOML configuration file (also RONDO_CONFIG).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Fill an account with realistic demo data.
    Demo {
        /// The account to fill.
        #[arg(long)]
        email: String,
        /// Create the account with this password if it does not exist.
        #[arg(long)]
        password: Option<String>,
        /// How many people to create (up to 100000).
        #[arg(long, default_value_t = 200)]
        people: usize,
        /// Seed for reproducible data.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Calendar connections: list, status, sync, auto-log, rematch.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Sign-up invites, for RONDO_SIGNUP=invite.
    Invite {
        #[command(subcommand)]
        command: InviteCommand,
    },
    /// Manage the master key that encrypts stored credentials.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Create a single-use invite code and print it (only its hash is stored: it is shown once).
    Create {
        /// Days until the code expires (1 to 365).
        #[arg(long, default_value_t = crate::auth::INVITE_DAYS)]
        days: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new key current and re-encrypt every stored credential with it.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Connections per user with their status.
    List,
    /// Connections that failed or need re-authentication, and what is due.
    Status,
    /// Sync now: one connection, one user's, or all.
    Sync {
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        connection: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Log ended meetings as activities for connections with auto-log on.
    AutoLog {
        /// Show what would be logged without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Match every stored event's attendees to people again.
    Rematch,
}
