//! Storage through the binary: `hermod --port 0 --data-dir PATH` keeps retained messages over
//! a restart, refuses a data directory another broker holds, and refuses one it cannot read.
//!
//! Children run with a cleared environment on 127.0.0.1:0 and are killed by a guard if a test
//! fails early; waits are bounded and event-driven.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on a broken fixture.

use std::process::{Command, Output, Stdio};
use std::time::Instant;

mod common;

use common::STEP;
use common::child::BrokerProcess;

fn hermod() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hermod"));
    command.env_clear();
    command
}

/// Runs a client command of the same binary to completion.
fn client(args: &[&str]) -> Output {
    hermod().args(args).stdin(Stdio::null()).output().unwrap()
}

fn publish(broker: &BrokerProcess, args: &[&str]) {
    let port = broker.port();
    let mut all = vec!["pub", "-p", &port];
    all.extend_from_slice(args);
    let output = client(&all);
    assert!(output.status.success(), "{output:?}");
}

/// The retained messages a new subscription to `#` receives (topic and payload per line):
/// waits for `expect` messages and then up to 2 s more for any extra one.
fn retained(broker: &BrokerProcess, expect: usize) -> Vec<String> {
    let port = broker.port();
    let count = (expect + 1).to_string();
    let output = client(&["sub", "-p", &port, "-t", "#", "-v", "-C", &count, "-W", "2"]);
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn check_retained_survive_a_restart(mode: &[&str]) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let broker = BrokerProcess::start(&data, mode);
    publish(&broker, &["-t", "sensors/a", "-m", "21.5", "-r", "-q", "1"]);
    publish(&broker, &["-t", "sensors/b", "-m", "old", "-r"]);
    publish(&broker, &["-t", "sensors/c", "-m", "gone", "-r", "-q", "1"]);
    publish(&broker, &["-t", "sensors/b", "-m", "new", "-r", "-q", "2"]);
    publish(&broker, &["-t", "sensors/c", "-n", "-r"]);
    let mut before = retained(&broker, 2);
    before.sort();
    assert_eq!(before, ["sensors/a 21.5", "sensors/b new"]);
    broker.stop();

    let broker = BrokerProcess::start(&data, mode);
    assert!(
        broker.seen.iter().any(
            |line| line.contains("recovered the data directory") && line.contains("retained=2")
        ),
        "{:?}",
        broker.seen
    );
    let mut after = retained(&broker, 2);
    after.sort();
    assert_eq!(after, before);
    let lines = broker.stop();
    assert!(
        lines
            .iter()
            .any(|line| line.contains("data directory closed")),
        "{lines:?}"
    );
}

#[test]
fn retained_messages_survive_a_restart_in_sync_mode() {
    check_retained_survive_a_restart(&[]);
}

#[test]
fn retained_messages_survive_a_restart_in_periodic_mode() {
    // HERMOD_* variables are cleared for children: the mode comes from a config file.
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("periodic.toml");
    std::fs::write(
        &file,
        "[storage]\nmode = \"periodic\"\nflush_interval = \"20ms\"\n",
    )
    .unwrap();
    check_retained_survive_a_restart(&["--config", file.to_str().unwrap()]);
}

#[test]
fn a_second_broker_on_the_same_data_directory_refuses_to_start() {
    let root = tempfile::tempdir().unwrap();
    let first = BrokerProcess::start(root.path(), &[]);
    let second = hermod()
        .args(["--port", "0", "--data-dir"])
        .arg(root.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1), "{second:?}");
    let stderr = String::from_utf8(second.stderr).unwrap();
    assert!(stderr.contains("in use by another process"), "{stderr}");
    assert!(
        stderr.contains(&root.path().display().to_string()),
        "{stderr}"
    );
    assert!(!stderr.contains("listening"), "{stderr}");
    // The first one is unaffected.
    publish(&first, &["-t", "still/here", "-m", "yes", "-r"]);
    assert_eq!(retained(&first, 1), ["still/here yes"]);
    first.stop();
}

#[test]
fn a_data_directory_of_another_format_stops_startup_and_is_left_alone() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("FORMAT"), "hermod-store 99\n").unwrap();
    let output = hermod()
        .args(["--port", "0", "--data-dir"])
        .arg(root.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("hermod-store 99"), "{stderr}");
    assert!(
        stderr.contains(&root.path().display().to_string()),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(root.path().join("FORMAT")).unwrap(),
        "hermod-store 99\n"
    );
}

/// A persistent subscriber's session and subscription survive a restart: a QoS 1 message
/// published after the restart, while it is offline, waits for it.
fn check_sessions_survive_a_restart(version: &str, expiry: &[&str]) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let broker = BrokerProcess::start(&data, &[]);
    let port = broker.port();
    let mut first = vec![
        "sub", "-p", &port, "-V", version, "-i", "dev", "-c", "-q", "1",
    ];
    first.extend_from_slice(expiry);
    first.extend_from_slice(&["-t", "sensors/#", "-C", "1", "-W", "10"]);
    let subscriber = std::thread::spawn({
        let first: Vec<String> = first.iter().map(|arg| (*arg).to_owned()).collect();
        move || hermod().args(&first).stdin(Stdio::null()).output().unwrap()
    });
    // Published until the subscriber has it (it may not have subscribed yet).
    let deadline = Instant::now() + STEP;
    while !subscriber.is_finished() {
        assert!(
            Instant::now() < deadline,
            "the subscriber never got a message"
        );
        // QoS 0: those reaching the session once it is offline are not kept (nor stored).
        publish(&broker, &["-t", "sensors/warmup", "-m", "hi"]);
    }
    assert!(subscriber.join().unwrap().status.success());
    broker.stop();

    let broker = BrokerProcess::start(&data, &[]);
    assert!(
        broker
            .seen
            .iter()
            .any(|line| line.contains("recovered the data directory")
                && line.contains("sessions=1")
                && line.contains("subscriptions=1")),
        "{:?}",
        broker.seen
    );
    publish(&broker, &["-t", "sensors/x", "-m", "while away", "-q", "1"]);
    let port = broker.port();
    let mut again = vec![
        "sub", "-p", &port, "-V", version, "-i", "dev", "-c", "-q", "1",
    ];
    again.extend_from_slice(expiry);
    again.extend_from_slice(&["-t", "sensors/#", "-v", "-C", "1", "-W", "10"]);
    let output = client(&again);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        "sensors/x while away"
    );
    broker.stop();
}

#[test]
fn a_v311_persistent_session_survives_a_restart() {
    check_sessions_survive_a_restart("mqttv311", &[]);
}

#[test]
fn a_v5_persistent_session_survives_a_restart() {
    check_sessions_survive_a_restart("mqttv5", &["-x", "300"]);
}
