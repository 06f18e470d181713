//! The client tools against another broker: `hermod pub`, `hermod sub` and
//! `hermod bench scenario` driving a Mosquitto started here on a free loopback port.
//!
//! CI installs Mosquitto (`.ci/run`), and there a missing `mosquitto` fails the test; on a
//! machine without it the test says so and passes. Mosquitto is stopped by its PID when the
//! test ends, whatever happens.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on a broken fixture.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{KillOnDrop, STEP, exit_and_stdout};

/// The mosquitto binary, if installed.
fn mosquitto_binary() -> Option<PathBuf> {
    [
        "/usr/sbin/mosquitto",
        "/usr/bin/mosquitto",
        "/usr/local/sbin/mosquitto",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|path| path.exists())
}

/// Starts Mosquitto on a free 127.0.0.1 port; returns it and the port.
fn start_mosquitto(binary: &PathBuf, dir: &std::path::Path) -> (KillOnDrop, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join("mosquitto.conf");
    std::fs::write(
        &config,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_type none\n"
        ),
    )
    .unwrap();
    let child = Command::new(binary)
        .arg("-c")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut guard = KillOnDrop(child);
    let deadline = Instant::now() + STEP;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            guard.0.try_wait().unwrap().is_none(),
            "mosquitto exited before listening on {port}"
        );
        assert!(
            Instant::now() < deadline,
            "mosquitto did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (guard, port)
}

/// Runs `hermod ARGS`, waiting up to [`STEP`]; returns its exit status and standard output.
fn hermod(args: &[&str]) -> (ExitStatus, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_hermod"))
        .env_clear()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    exit_and_stdout(&mut KillOnDrop(child))
}

#[test]
fn pub_sub_and_bench_work_against_mosquitto() {
    let Some(binary) = mosquitto_binary() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install mosquitto (.ci/run)"
        );
        eprintln!("mosquitto is not installed: skipped");
        return;
    };
    let dir = std::env::temp_dir().join(format!("hermod-vs-mosquitto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_mosquitto, port) = start_mosquitto(&binary, &dir);
    let port = port.to_string();
    for version in ["mqttv311", "mqttv5"] {
        let topic = format!("hermod-test/{version}");
        let (published, _) = hermod(&[
            "pub", "-p", &port, "-V", version, "-t", &topic, "-m", "hello", "-q", "1", "-r",
        ]);
        assert!(published.success(), "hermod pub: {published}");
        // The retained message reaches a later subscriber: no race with the publisher.
        let (received, stdout) = hermod(&[
            "sub", "-p", &port, "-V", version, "-t", &topic, "-C", "1", "-W", "10", "-v",
        ]);
        assert!(received.success(), "hermod sub: {received}");
        assert_eq!(stdout.trim(), format!("{topic} hello"));
        let bench = hermod(&[
            "bench",
            "scenario",
            "fan-in",
            "-p",
            &port,
            "-V",
            version,
            "-c",
            "3",
            "-q",
            "1",
            "-L",
            "300",
            "--duration",
            "0.5",
            "--drain",
            "0.5",
            "--json",
            "--quiet",
        ]);
        assert!(bench.0.success(), "hermod bench: {bench:?}");
        let summary: serde_json::Value = serde_json::from_str(bench.1.trim()).unwrap();
        let sent = summary["sent"].as_u64().unwrap();
        assert!(sent > 0, "{summary}");
        assert_eq!(summary["received"].as_u64(), Some(sent), "{summary}");
        assert_eq!(summary["missing"].as_u64(), Some(0), "{summary}");
        assert_eq!(summary["failed"].as_u64(), Some(0), "{summary}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
