//! The `hermod` binary end to end: `--version`, `config check`, and `serve` on 127.0.0.1:0
//! answering a CONNECT and exiting 0 on SIGTERM.
//!
//! Every child runs with a cleared environment (so the caller's `HERMOD_*` or `RUST_LOG`
//! variables cannot change the outcome), binds only 127.0.0.1:0, and is killed by a guard if a
//! test fails before it exits. Waits are bounded and event-driven (lines, exit), never sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on a broken fixture.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long any one step may take before the test fails.
const STEP: Duration = Duration::from_secs(30);

fn hermod() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hermod"));
    command.env_clear();
    command
}

fn example_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hermod.toml")
}

/// Writes `text` to a file unique to `name` under the target's temporary directory.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs a command that must finish on its own, within [`STEP`].
fn run(mut command: Command) -> Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = Guard(command.spawn().unwrap());
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let mut out = child.0.stdout.take().unwrap();
    let mut err = child.0.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        out.read_to_string(&mut stdout).unwrap();
        stdout
    });
    err.read_to_string(&mut stderr).unwrap();
    let stdout = reader.join().unwrap();
    let status = child.wait_bounded();
    Output {
        status,
        stdout: stdout.into_bytes(),
        stderr: stderr.into_bytes(),
    }
}

/// Kills the child if the test ends while it still runs, so no process is left behind.
struct Guard(Child);

impl Guard {
    /// Waits for the child to exit, failing the test after [`STEP`].
    fn wait_bounded(&mut self) -> ExitStatus {
        let deadline = std::time::Instant::now() + STEP;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "hermod did not exit within {STEP:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn version_flag_prints_the_version() {
    let mut command = hermod();
    command.arg("--version");
    let output = run(command);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.trim(),
        format!("hermod {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn config_check_of_the_example_file_prints_the_defaults() {
    let mut with_file = hermod();
    with_file
        .args(["config", "check", "--config"])
        .arg(example_file());
    let with_file = run(with_file);
    assert!(with_file.status.success(), "{with_file:?}");

    let mut without_file = hermod();
    without_file.args(["config", "check"]);
    let without_file = run(without_file);
    assert!(without_file.status.success(), "{without_file:?}");

    // Identical apart from the comment header naming the file and what set each value.
    let body = |output: &Output| -> String {
        String::from_utf8(output.stdout.clone())
            .unwrap()
            .lines()
            .filter(|line| !line.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&with_file), body(&without_file));
    assert!(body(&without_file).contains("max_inflight = 64"));
}

#[test]
fn config_check_reports_every_error_and_exits_1() {
    let path = temp_file(
        "config_check_reports_every_error",
        "[mqtt]\nreceive_maximum = 0\nmax_inflihgt = 3\n",
    );
    let mut command = hermod();
    command
        .args(["config", "check", "--config"])
        .arg(&path)
        .env("HERMOD_SERVER__LISTEN", "");
    let output = run(command);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let file = path.display();
    assert!(
        stderr.contains("invalid configuration (3 errors)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:2: mqtt.receive_maximum: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:3: mqtt.max_inflihgt: unknown field")),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "environment variable HERMOD_SERVER__LISTEN: server.listen: no listen address"
        ),
        "{stderr}"
    );
}

#[test]
fn config_check_applies_env_and_port_flag() {
    let mut command = hermod();
    command
        .args(["config", "check", "--port", "1884"])
        .env("HERMOD_MQTT__MAX_INFLIGHT", "32");
    let output = run(command);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("max_inflight = 32"), "{stdout}");
    assert!(stdout.contains("\"127.0.0.1:1884\""), "{stdout}");
}

#[test]
fn serve_with_an_invalid_config_starts_nothing_and_exits_1() {
    let path = temp_file(
        "serve_with_an_invalid_config",
        "[server]\nlisten = [\"127.0.0.1:0\"]\nmax_connections = 0\n",
    );
    let mut command = hermod();
    command.arg("serve").arg("--config").arg(&path);
    let output = run(command);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("server.max_connections: must be at least 1"),
        "{stderr}"
    );
    assert!(!stderr.contains("listening"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn serve_answers_connect_and_exits_0_on_sigterm() {
    let mut child = Guard(
        hermod()
            .args(["--port", "0", "--in-memory"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (lines_tx, lines) = mpsc::channel();
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let next_line = || lines.recv_timeout(STEP).expect("hermod went quiet");

    // The start-up line names the bound address, anonymous access and the built-in defaults.
    let listening = next_line();
    assert!(
        listening.contains("listening; anonymous access"),
        "{listening}"
    );
    assert!(
        listening.contains("built-in defaults on loopback only"),
        "{listening}"
    );
    let address: SocketAddr = listening
        .split_whitespace()
        .find_map(|field| field.strip_prefix("listen="))
        .expect("no listen= field")
        .parse()
        .unwrap();
    assert!(
        address.ip().is_loopback() && address.port() != 0,
        "{address}"
    );

    // MQTT 3.1.1 CONNECT, clean session, empty client id: CONNACK accepted.
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(STEP)).unwrap();
    stream
        .write_all(&[
            0x10, 0x0C, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x00,
        ])
        .unwrap();
    let mut connack = [0_u8; 4];
    stream.read_exact(&mut connack).unwrap();
    assert_eq!(connack, [0x20, 0x02, 0x00, 0x00]);

    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait_bounded();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(
        rest.iter().any(|line| line.contains("signal=\"SIGTERM\"")),
        "{rest:?}"
    );
    assert!(rest.iter().any(|line| line.contains("stopped")), "{rest:?}");
}
