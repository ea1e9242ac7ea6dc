//! The built `rondo` binary's subcommands against a temporary data directory.
use std::process::Command;

fn rondo(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rondo"))
        .args(args)
        .env("RONDO_DATA_DIR", data_dir)
        .env("RONDO_LOG", "warn")
        .env_remove("RONDO_SECRET_KEY")
        .env_remove("RONDO_DATABASE_URL")
        .output()
        .expect("run rondo")
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
