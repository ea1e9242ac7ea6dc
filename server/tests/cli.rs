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
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("re-encrypted 0 stored credential(s)"));
    let second = rondo(dir.path(), &["keys", "rotate"]);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let key_file = std::fs::read_dir(dir.path()).unwrap().flatten().find(|e| e.file_name().to_string_lossy().contains("key")).expect("key file").path();
    let text = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("current=")).count(), 1);
    assert_eq!(text.lines().filter(|l| l.starts_with("old=")).count(), 2, "{text}");
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn unknown_commands_fail_with_usage_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = rondo(dir.path(), &["keys", "spin"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage"));
}
