use std::io::IsTerminal;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use server::cli::{Cli, Command, InviteCommand, KeysCommand};
use server::config::Config;

fn main() {
    // Everything Rondo writes (database, key file) is for this account only.
    server::files::restrict_umask();
    let runtime = server::memory::runtime().unwrap_or_else(|error| {
        eprintln!("rondo: cannot start: {error}");
        std::process::exit(1);
    });
    runtime.block_on(run());
}

async fn run() {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("rondo: {error}");
            std::process::exit(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        // Colors only for people: logs captured to a file or journal stay plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::serve::run(config).await,
        Command::Demo {
            email,
            password,
            people,
            seed,
        } => server::demo::run(&config, &email, password.as_deref(), people, seed).await,
        Command::Invite {
            command: InviteCommand::Create { days },
        } => server::auth::run_create_invite(&config, days).await,
        Command::Keys {
            command: KeysCommand::Rotate,
        } => server::keys::run_rotate(&config).await,
        Command::Calendar { command } => server::calendar_cli::run(&config, command).await,
    };
    if let Err(error) = result {
        eprintln!("rondo: {error:#}");
        std::process::exit(1);
    }
}
