//! What `rondo calendar sync` shows while it works: a live bar on a terminal, and in every case
//! one plain line per connection (results on stdout, failures on stderr) so scripts and logs
//! read the same whether or not someone is watching.
use std::io::IsTerminal;
use std::time::Duration;

use app::models::SyncReport;
use indicatif::{ProgressBar, ProgressStyle};

/// How one connection's sync ended.
#[derive(Debug)]
pub enum Outcome {
    Synced(SyncReport),
    Failed(String),
}

impl Outcome {
    pub fn failed(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }
}

pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
}

impl Progress {
    /// A bar only when stderr is a terminal: redirected output gets the plain lines alone,
    /// without cursor movements in it.
    pub fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64).with_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_bar} {msg}")
                    .expect("valid template"),
            );
            // Keeps the spinner moving during one long sync, when the position does not.
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            total,
            done: 0,
        }
    }

    pub fn syncing(&self, label: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("syncing {label}"));
        }
    }

    pub fn finished(&mut self, label: &str, outcome: &Outcome) {
        self.done += 1;
        let line = line(self.done, self.total, label, outcome);
        let print = || match outcome {
            Outcome::Synced(_) => println!("{line}"),
            Outcome::Failed(_) => eprintln!("{line}"),
        };
        match &self.bar {
            // Hides the bar while printing so the line does not land inside it.
            Some(bar) => {
                bar.suspend(print);
                bar.inc(1);
            }
            None => print(),
        }
    }

    pub fn close(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `[2/5] Work (dana@example.org): 3 added, 1 changed, 0 removed, 2 logged`, or
/// `[2/5] Work (dana@example.org): failed: <why>`.
pub fn line(position: usize, total: usize, label: &str, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Synced(r) => format!(
            "[{position}/{total}] {label}: {} added, {} changed, {} removed, {} logged",
            r.added, r.changed, r.removed, r.logged
        ),
        Outcome::Failed(error) => format!("[{position}/{total}] {label}: failed: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_the_connection_and_its_counts_or_error() {
        let report = SyncReport {
            added: 3,
            changed: 1,
            removed: 0,
            logged: 2,
            ..Default::default()
        };
        assert_eq!(
            line(2, 5, "Work (dana@example.org)", &Outcome::Synced(report)),
            "[2/5] Work (dana@example.org): 3 added, 1 changed, 0 removed, 2 logged"
        );
        let failed = Outcome::Failed("The server rejected the password.".into());
        assert!(failed.failed());
        assert_eq!(
            line(5, 5, "Home (dana@example.org)", &failed),
            "[5/5] Home (dana@example.org): failed: The server rejected the password."
        );
    }
}
