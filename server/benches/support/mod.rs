//! What the benchmarks (and `examples/query_lab.rs`) share: the database's settings, the
//! process's memory, BENCHMARKS.md's sections and the pages benchmark's user. Each uses a part.
#![allow(dead_code)]

use app::models::UserInfo;
use server::db::{Db, DbSettings};

/// The embedded database in `dir`, its engine sized as `rondo` sizes it from the environment
/// (`RONDO_DB_CACHE_MB`, `RONDO_DB_MEMTABLE_MB`).
pub fn db_settings(dir: &std::path::Path) -> DbSettings {
    let config = server::config::Config::load_from(None, |name| std::env::var(name).ok())
        .expect("the RONDO_* settings are valid");
    DbSettings {
        endpoint: format!("surrealkv://{}", dir.join("db").display()),
        ..config.db_settings()
    }
}

/// The pages benchmark's user (the database's only one).
pub async fn bench_user(db: &Db) -> UserInfo {
    let owner: Vec<String> = db
        .query("SELECT VALUE record::id(id) FROM user")
        .await
        .unwrap()
        .take(0)
        .unwrap();
    UserInfo {
        id: owner[0].clone(),
        email: "bench@example.org".into(),
        name: "Bench".into(),
        time_zone: "UTC".into(),
    }
}

/// The pages benchmark's busy person: the first primary address of the directory.
pub async fn busy_person(db: &Db, owner: &str) -> String {
    let directory = server::people::People::new(db.clone())
        .directory(owner)
        .await
        .unwrap();
    let primary = directory.emails.iter().find(|e| e.primary).unwrap();
    primary.person.clone()
}

/// The process's peak resident memory (VmHWM), in MB.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Starts [`peak_rss_mb`] over from the memory resident now (Linux: `clear_refs` 5), so one
/// phase's peak can be told from another's.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's resident memory now, in MB: anonymous (heap, buffers) and file-backed (mapped
/// database files, which the kernel can drop and read again).
pub fn rss_now_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("RssAnon:"), field("RssFile:"))
}

/// Prints `table` and puts it in BENCHMARKS.md between `<!-- {section}-bench:begin -->` and
/// its end marker.
pub fn publish(section: &str, table: &str) {
    println!("{table}");
    let (begin, end) = (
        format!("<!-- {section}-bench:begin -->"),
        format!("<!-- {section}-bench:end -->"),
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let (Some(a), Some(b)) = (text.find(&begin), text.find(&end)) {
            let updated = format!("{}{begin}\n{table}{}", &text[..a], &text[b..]);
            std::fs::write(&path, updated).unwrap();
            eprintln!("updated {}", path.display());
        }
    }
}
