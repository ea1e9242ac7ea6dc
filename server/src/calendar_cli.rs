//! `rondo calendar …`: the same configuration and database as the server, output for people
//! and scripts (plain lines on stdout, errors on stderr, non-zero exit on failure).
mod progress;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{bail, Context};

use app::models::ConnectionStatus;

use crate::calendar::autolog;
use crate::calendar::store::ConnectionRow;
use crate::cli::CalendarCommand;
use crate::config::Config;
use crate::services::Services;

use progress::{Outcome, Progress};

pub async fn run(config: &Config, command: CalendarCommand) -> anyhow::Result<()> {
    let services = crate::serve::open_services(config).await?;
    let rows = services.calendars.connections.all_rows().await?;
    let emails = owner_emails(&services, &rows).await;
    let clock = services.calendars.settings.clock.clone();
    match command {
        CalendarCommand::List => {
            if rows.is_empty() {
                println!("No calendar connections.");
            }
            for row in &rows {
                println!(
                    "{}\t{}\t{}\t{}\t{}\tlast sync {}",
                    emails[&row.owner],
                    row.id,
                    row.provider.as_str(),
                    row.name,
                    row.status.as_str(),
                    row.last_sync_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "never".into())
                );
            }
        }
        CalendarCommand::Status => {
            let now = clock.now();
            let due = services.calendars.connections.due(now).await?.len();
            let failing: Vec<&ConnectionRow> = rows
                .iter()
                .filter(|r| r.status != ConnectionStatus::Ok)
                .collect();
            println!(
                "{} connection(s), {} due now, {} not ok.",
                rows.len(),
                due,
                failing.len()
            );
            for row in failing {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    emails[&row.owner],
                    row.id,
                    row.name,
                    row.status.as_str(),
                    row.last_error.clone().unwrap_or_default()
                );
            }
        }
        CalendarCommand::Sync {
            user,
            connection,
            all,
        } => {
            let chosen: Vec<&ConnectionRow> = match (&user, &connection, all) {
                (_, Some(id), _) => rows.iter().filter(|r| &r.id == id).collect(),
                (Some(email), None, _) => {
                    let user = services
                        .accounts
                        .user_by_email(email)
                        .await
                        .with_context(|| format!("no account with email {email}"))?;
                    rows.iter().filter(|r| r.owner == user.id).collect()
                }
                (None, None, true) => rows.iter().collect(),
                (None, None, false) => {
                    bail!("say what to sync: --connection ID, --user EMAIL or --all")
                }
            };
            if chosen.is_empty() {
                bail!("no matching connection");
            }
            let total = chosen.len();
            let mut progress = Progress::new(total);
            let mut failed = 0;
            for row in chosen {
                let label = format!("{} ({})", row.name, emails[&row.owner]);
                progress.syncing(&label);
                // One connection's failure, even a storage error, must not keep the others
                // from syncing; it still makes the exit code non-zero.
                let outcome = match services.calendars.sync(&row.owner, &row.id).await {
                    Ok(report) => match report.error.clone() {
                        Some(error) => Outcome::Failed(error),
                        None => Outcome::Synced(report),
                    },
                    Err(error) => Outcome::Failed(error.to_string()),
                };
                failed += usize::from(outcome.failed());
                progress.finished(&label, &outcome);
            }
            progress.close();
            if failed > 0 {
                bail!("{failed} of {total} sync(s) failed");
            }
        }
        CalendarCommand::AutoLog { dry_run } => {
            let now = clock.now();
            let mut total = 0;
            for row in rows.iter().filter(|r| r.auto_log) {
                let own = services.calendars.matcher.index(&row.owner).await?;
                let report = autolog::run(
                    &services.calendars.events,
                    &services.activities,
                    row,
                    own.own(),
                    now,
                    dry_run,
                )
                .await?;
                total += report.logged.len();
                for title in &report.logged {
                    println!(
                        "{}{}: {title}",
                        if dry_run { "would log " } else { "logged " },
                        row.name
                    );
                }
                if report.removed > 0 {
                    println!(
                        "{} {} activity(ies) of cancelled or declined meetings in {}",
                        if dry_run { "would remove" } else { "removed" },
                        report.removed,
                        row.name
                    );
                }
            }
            println!(
                "{total} meeting(s) {}.",
                if dry_run { "would be logged" } else { "logged" }
            );
        }
        CalendarCommand::Rematch => {
            let mut owners: Vec<&String> = emails.keys().collect();
            owners.sort();
            for owner in owners {
                let n = services.contacts.rematch_all(owner).await?;
                println!("{}: re-matched {n} event(s)", emails[owner]);
            }
        }
    }
    Ok(())
}

async fn owner_emails(services: &Arc<Services>, rows: &[ConnectionRow]) -> HashMap<String, String> {
    let mut emails = HashMap::new();
    for row in rows {
        if !emails.contains_key(&row.owner) {
            let email = services
                .accounts
                .user(&row.owner)
                .await
                .map(|u| u.email)
                .unwrap_or_else(|_| row.owner.clone());
            emails.insert(row.owner.clone(), email);
        }
    }
    emails
}
