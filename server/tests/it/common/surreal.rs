//! A real SurrealDB server (`surreal start`, in memory, root credentials) on a free loopback
//! port, as several Rondo processes share it in production.
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "root";
pub const PASSWORD: &str = "root-test-pw";

pub struct SurrealServer {
    /// `ws://127.0.0.1:PORT`, Rondo's `RONDO_DATABASE_URL`.
    pub endpoint: String,
    child: Child,
    log: tempfile::NamedTempFile,
}

impl Drop for SurrealServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where `scripts/surreal-server.sh` installs `surreal`: `RONDO_SURREAL_BIN`, else the tools
/// directory's `bin/surreal`.
pub fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("RONDO_SURREAL_BIN").filter(|b| !b.is_empty()) {
        return bin.into();
    }
    let tools = std::env::var_os("RONDO_TOOLS_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/rondo-tools"));
    tools.join("bin/surreal")
}

impl SurrealServer {
    pub async fn start() -> SurrealServer {
        let bin = binary();
        assert!(
            bin.is_file(),
            "the SurrealDB server is not installed at {}: run scripts/surreal-server.sh \
             (scripts/setup.sh test does), or point RONDO_SURREAL_BIN at a `surreal` 3.3 binary",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut command = Command::new(&bin);
        // Only the test's settings: a developer's own SURREAL_* variables must not leak in.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SURREAL_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .args(["start", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--user", USER, "--pass", PASSWORD])
            .args(["--log", "warn", "--no-banner", "memory"])
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let up = http
                .get(format!("http://127.0.0.1:{port}/health"))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if up {
                break;
            }
            let exited = child.try_wait().unwrap();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "surreal start did not come up ({exited:?}): {}",
                std::fs::read_to_string(log.path()).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        SurrealServer {
            endpoint: format!("ws://127.0.0.1:{port}"),
            child,
            log,
        }
    }

    /// What the server logged.
    #[allow(dead_code)]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}
