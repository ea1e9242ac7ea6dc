//! The built `rondo` binary against a temporary data directory: one-off commands, and a server
//! process that a test can stop gracefully or kill outright.
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `rondo` with only the test's configuration: the developer's own `RONDO_*` settings (a
/// database URL, a key) must not leak in.
pub fn command(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rondo"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("RONDO_") {
            command.env_remove(name);
        }
    }
    command
        .env("RONDO_DATA_DIR", data_dir)
        .env("RONDO_LOG", "warn")
        .env("RONDO_ALLOW_PRIVATE_SERVERS", "true");
    command
}

/// Runs a command to completion.
pub fn run(data_dir: &Path, args: &[&str]) -> Output {
    command(data_dir).args(args).output().expect("run rondo")
}

/// Runs a command to completion without blocking the async runtime (which may be serving a
/// proxy or Radicale helper the command talks to).
pub async fn run_async(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = command(data_dir);
    command.args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    tokio::task::spawn_blocking(move || command.output().expect("run rondo"))
        .await
        .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `rondo serve` on a free loopback port.
pub struct RondoServer {
    pub base: String,
    child: Option<Child>,
    log: PathBuf,
}

impl RondoServer {
    pub async fn start(data_dir: &Path, env: &[(&str, &str)]) -> RondoServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = data_dir.join(format!("serve-{port}.log"));
        let mut command = command(data_dir);
        command
            .arg("serve")
            .env("RONDO_BIND", format!("127.0.0.1:{port}"))
            .env("RONDO_SITE_ROOT", data_dir.join("site"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().expect("start rondo serve");
        let mut server = RondoServer {
            base: format!("http://127.0.0.1:{port}"),
            child: Some(child),
            log,
        };
        let http = super::http();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let healthy = http
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if healthy {
                return server;
            }
            let exited = server.child.as_mut().unwrap().try_wait().unwrap();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "rondo serve did not come up ({exited:?}): {}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the server logged to stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: the process gets no chance to clean up, as in a crash or an OOM kill.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL rondo");
            child.wait().unwrap();
        }
    }

    /// SIGTERM and wait for the graceful shutdown (the embedded database is flushed).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let sent = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("kill -TERM");
            assert!(sent.success());
            let status = child.wait().unwrap();
            assert!(status.success(), "rondo serve: {status}: {}", self.log());
        }
    }
}

impl Drop for RondoServer {
    fn drop(&mut self) {
        // A failed test shows what the server said (its data directory goes with the test).
        if std::thread::panicking() {
            let log = self.log();
            let from = (log.len().saturating_sub(20_000)..)
                .find(|&i| log.is_char_boundary(i))
                .unwrap_or(0);
            let tail = &log[from..];
            eprintln!("--- rondo serve's log, last part ---\n{tail}");
            // No second panic while unwinding (it would abort the test run).
            if let Some(mut child) = self.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        self.kill();
    }
}
