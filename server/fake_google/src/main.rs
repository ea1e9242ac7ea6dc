//! `fake-google`: the fake Google server as a process, for end-to-end tests.
//! Prints `fake-google listening on http://HOST:PORT` once ready, then serves until killed.
use std::io::Write;
use std::time::Duration;

use clap::Parser;
use fake_google::{Config, FakeGoogle};

#[derive(Debug, Parser)]
#[command(
    name = "fake-google",
    about = "A fake Google OAuth 2.0 + Calendar v3 server for tests"
)]
struct Args {
    #[arg(long, env = "FAKE_GOOGLE_HOST", default_value = "127.0.0.1")]
    host: String,
    /// 0 picks a free port.
    #[arg(long, env = "FAKE_GOOGLE_PORT", default_value_t = 0)]
    port: u16,
    #[arg(long, env = "FAKE_GOOGLE_CLIENT_ID", default_value_t = Config::default().client_id)]
    client_id: String,
    #[arg(long, env = "FAKE_GOOGLE_CLIENT_SECRET", default_value_t = Config::default().client_secret)]
    client_secret: String,
    /// The signed-in account; also the primary calendar's id.
    #[arg(long, env = "FAKE_GOOGLE_EMAIL", default_value_t = Config::default().account_email)]
    email: String,
    /// `expires_in` of access tokens, in seconds.
    #[arg(
        long,
        env = "FAKE_GOOGLE_ACCESS_TOKEN_LIFETIME",
        default_value_t = 3599
    )]
    access_token_lifetime: u64,
    /// Registered redirect URI (repeatable); none accepts any.
    #[arg(
        long = "redirect-uri",
        env = "FAKE_GOOGLE_REDIRECT_URIS",
        value_delimiter = ','
    )]
    redirect_uris: Vec<String>,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FAKE_GOOGLE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = Args::parse();
    let config = Config {
        client_id: args.client_id,
        client_secret: args.client_secret,
        account_email: args.email,
        access_token_lifetime: Duration::from_secs(args.access_token_lifetime),
        allowed_redirect_uris: args.redirect_uris,
        ..Config::default()
    };
    let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "fake-google: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            std::process::exit(1);
        }
    };
    let fake = FakeGoogle::serve(config, listener).expect("fake-google: bound address");
    let mut out = std::io::stdout();
    let _ = writeln!(out, "fake-google listening on {}", fake.base_url());
    let _ = out.flush();
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
