//! The built `rondo` binary's subcommands against a temporary data directory.
use crate::common;

use chrono::{Duration, Utc};
use common::binary::{self, text, RondoServer};
use common::calendar::{connect_named, dana_put, event, BOB};
use common::proxy::Recorder;
use common::radicale::Radicale;
use common::Client;

fn rondo(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    binary::run(data_dir, args)
}

#[test]
fn keys_rotate_keeps_older_keys_in_a_private_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let first = rondo(dir.path(), &["keys", "rotate"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("re-encrypted 0 stored credential(s)"));
    let second = rondo(dir.path(), &["keys", "rotate"]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let key_file = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains("key"))
        .expect("key file")
        .path();
    let text = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("current=")).count(),
        1
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("old=")).count(),
        2,
        "{text}"
    );
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// Every directory and file under `dir` (and `dir` itself) with a mode other users can use.
fn shared_paths(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut found = Vec::new();
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    if mode != 0o700 {
        found.push((dir.to_path_buf(), mode));
    }
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            found.extend(shared_paths(&entry.path()));
        } else if kind.is_file() {
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            if mode != 0o600 {
                found.push((entry.path(), mode));
            }
        }
    }
    found
}

#[test]
fn the_data_directory_and_database_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    // A first start creates the directory; a directory made by hand (0755, with a stray
    // readable file) is tightened.
    let fresh = root.path().join("fresh/data");
    let existing = root.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(existing.join("notes.txt"), "x").unwrap();
    std::fs::set_permissions(
        existing.join("notes.txt"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    for dir in [&fresh, &existing] {
        let out = rondo(dir, &["calendar", "list"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(dir.join("secret.key").exists());
        assert!(dir.join("db").is_dir(), "the embedded database lives here");
        assert_eq!(shared_paths(dir), vec![], "{}", dir.display());
    }
}

#[test]
fn unknown_commands_fail_with_usage_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = rondo(dir.path(), &["keys", "spin"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage"));
}

#[test]
fn calendar_commands_report_for_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let list = rondo(dir.path(), &["calendar", "list"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&list.stdout).trim(),
        "No calendar connections."
    );
    let status = rondo(dir.path(), &["calendar", "status"]);
    assert!(String::from_utf8_lossy(&status.stdout)
        .starts_with("0 connection(s), 0 due now, 0 not ok."));
    let vague = rondo(dir.path(), &["calendar", "sync"]);
    assert!(!vague.status.success());
    assert!(
        String::from_utf8_lossy(&vague.stderr).contains("--connection ID, --user EMAIL or --all")
    );
    let dry = rondo(dir.path(), &["calendar", "auto-log", "--dry-run"]);
    assert!(dry.status.success());
    assert!(String::from_utf8_lossy(&dry.stdout).contains("0 meeting(s) would be logged."));
}

/// One plain line per connection (no TTY here, so no progress bar): results on stdout,
/// failures on stderr, and exit code 1 when any sync failed.
#[tokio::test]
async fn calendar_sync_reports_each_connection_and_fails_when_one_fails() {
    let radicale = Radicale::start().await;
    dana_put(
        &radicale,
        "a.ics",
        &event("a", "Planning", Utc::now() + Duration::days(1), BOB),
    )
    .await;
    let proxy = Recorder::start(&radicale.base).await;
    let dir = tempfile::tempdir().unwrap();
    let mut server = RondoServer::start(dir.path(), &[("RONDO_SCHEDULER", "false")]).await;
    let dana = Client::signed_up(&server.base, "dana-cli@example.org").await;
    let home = connect_named(&dana, &radicale.base, "Home", false).await;
    connect_named(&dana, &proxy.base, "Work", false).await;
    server.stop();

    // Work's server is down; Home's is fine.
    proxy.fail_with(Some(404));
    let all = binary::run_async(dir.path(), &["calendar", "sync", "--all"], &[]).await;
    let (out, err) = (text(&all.stdout), text(&all.stderr));
    assert_eq!(all.status.code(), Some(1), "{out}\n{err}");
    assert!(
        !out.contains('\x1b') && !err.contains('\x1b'),
        "no terminal drawing: {out:?}\n{err:?}"
    );
    let results: Vec<&str> = out.lines().collect();
    assert_eq!(results.len(), 1, "{out}");
    assert!(
        results[0].starts_with('[')
            && results[0].ends_with(
                "/2] Home (dana-cli@example.org): 0 added, 0 changed, 0 removed, 0 logged"
            ),
        "{out}"
    );
    let failure = err
        .lines()
        .find(|l| l.contains("] Work (dana-cli@example.org): failed: "))
        .unwrap_or_else(|| panic!("no failure line: {err}"));
    assert!(
        failure.contains("not found on the server (404)"),
        "{failure}"
    );
    assert!(
        err.lines().any(|l| l == "rondo: 1 of 2 sync(s) failed"),
        "{err}"
    );
    let positions: Vec<&str> = [results[0], failure].iter().map(|l| &l[..5]).collect();
    assert!(
        positions.contains(&"[1/2]") && positions.contains(&"[2/2]"),
        "{positions:?}"
    );

    // The failure was saved before the non-zero exit.
    let status = binary::run_async(dir.path(), &["calendar", "status"], &[]).await;
    let status_out = text(&status.stdout);
    assert!(status.status.success());
    assert!(
        status_out.starts_with("2 connection(s), 0 due now, 1 not ok."),
        "{status_out}"
    );
    assert!(status_out.contains("\tWork\terror\t"), "{status_out}");

    // One connection that works: exit 0 and exactly its line.
    let one = binary::run_async(
        dir.path(),
        &["calendar", "sync", "--connection", &home.id],
        &[],
    )
    .await;
    assert!(one.status.success(), "{}", text(&one.stderr));
    assert_eq!(
        text(&one.stdout),
        "[1/1] Home (dana-cli@example.org): 0 added, 0 changed, 0 removed, 0 logged\n"
    );

    // The server is back: every sync of the user succeeds.
    proxy.fail_with(None);
    let user = binary::run_async(
        dir.path(),
        &["calendar", "sync", "--user", "dana-cli@example.org"],
        &[],
    )
    .await;
    assert!(user.status.success(), "{}", text(&user.stderr));
    assert_eq!(text(&user.stdout).lines().count(), 2);
    assert!(!text(&user.stderr).contains("failed"));

    let unknown = binary::run_async(
        dir.path(),
        &["calendar", "sync", "--connection", "nope"],
        &[],
    )
    .await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no matching connection"));
}

fn sign_up_fields<'a>(email: &'a str, invite: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("email", email),
        ("password", "correct horse battery"),
        ("name", "Invited"),
        ("time_zone", "UTC"),
        ("invite", invite),
    ]
}

#[tokio::test]
async fn invite_create_prints_a_single_use_code_for_invite_sign_up() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("RONDO_SIGNUP", "invite"), ("RONDO_SCHEDULER", "false")];
    // The first account needs no code.
    let mut server = RondoServer::start(dir.path(), &env).await;
    Client::signed_up(&server.base, "admin@example.org").await;
    server.stop();

    let created = binary::run_async(dir.path(), &["invite", "create", "--days", "3"], &[]).await;
    assert!(created.status.success(), "{}", text(&created.stderr));
    let code = text(&created.stdout).trim().to_string();
    assert!(code.len() >= 32 && !code.contains(' '), "{code:?}");
    assert!(text(&created.stderr).contains("Single-use"));

    let mut server = RondoServer::start(dir.path(), &env).await;
    let ana = Client::new(&server.base);
    let refused = ana
        .call::<()>(
            "sign-up",
            &sign_up_fields("ana@example.org", "not-the-code"),
        )
        .await;
    assert!(refused.is_err(), "{refused:?}");
    ana.call::<()>("sign-up", &sign_up_fields("ana@example.org", &code))
        .await
        .unwrap();
    ana.sign_in("ana@example.org", "correct horse battery")
        .await
        .unwrap();
    let again = Client::new(&server.base)
        .call::<()>("sign-up", &sign_up_fields("bo@example.org", &code))
        .await;
    assert!(again.is_err(), "single use: {again:?}");
    server.stop();
}
