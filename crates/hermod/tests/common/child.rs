//! The `hermod` binary as a child process on 127.0.0.1:0 with a data directory: started,
//! stopped gracefully (SIGTERM) or killed (SIGKILL), its log lines collected. Killed by a
//! guard if a test fails early.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use super::STEP;

/// A `hermod --port 0 --data-dir PATH` child; killed if still running when dropped.
pub(crate) struct BrokerProcess {
    child: Child,
    lines: Receiver<String>,
    /// Where it listens.
    pub(crate) address: SocketAddr,
    /// Every log line read so far.
    pub(crate) seen: Vec<String>,
}

impl BrokerProcess {
    /// Starts the binary on `data_dir` with `extra` arguments; returns once it listens.
    pub(crate) fn start(data_dir: &Path, extra: &[&str]) -> BrokerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hermod"))
            .env_clear()
            .args(["--port", "0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("hermod starts");
        let (lines_tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        // Reads to the end even when nobody listens any more, so the child never blocks on
        // a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                let _ = lines_tx.send(line);
            }
        });
        let mut seen = Vec::new();
        let address = loop {
            let line = lines.recv_timeout(STEP).expect("hermod went quiet");
            let address = line
                .contains("listening;")
                .then(|| {
                    line.split_whitespace()
                        .find_map(|field| field.strip_prefix("listen="))
                        .and_then(|address| address.parse().ok())
                })
                .flatten();
            seen.push(line);
            if let Some(address) = address {
                break address;
            }
        };
        BrokerProcess {
            child,
            lines,
            address,
            seen,
        }
    }

    /// The port, as a command-line argument.
    pub(crate) fn port(&self) -> String {
        self.address.port().to_string()
    }

    /// Waits (bounded) for a log line containing every one of `parts`; returns it.
    pub(crate) fn wait_for_line(&mut self, parts: &[&str]) -> String {
        let matches = |line: &str| parts.iter().all(|part| line.contains(part));
        if let Some(line) = self.seen.iter().find(|line| matches(line)) {
            return line.clone();
        }
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no log line with {parts:?}: {:?}", self.seen));
            self.seen.push(line.clone());
            if matches(&line) {
                return line;
            }
        }
    }

    /// SIGTERM, then waits for exit status 0; returns every log line.
    pub(crate) fn stop(mut self) -> Vec<String> {
        let signalled = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(signalled.success());
        let deadline = Instant::now() + STEP;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "hermod did not exit");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(0), "{status:?}");
        let mut seen = std::mem::take(&mut self.seen);
        seen.extend(self.lines.try_iter());
        seen
    }

    /// SIGKILL: no shutdown, no flush.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
