//! `hermod pub` and `hermod sub` end to end, against an in-process broker
//! (`hermod_core::Broker` + `hermod_server::Server` on 127.0.0.1:0) and run as child processes.
//!
//! Synchronisation is by events only: a subscriber runs with `-d` and the test waits for its
//! "subscribed" line on standard error before publishing; output lines and exits are awaited
//! with bounded timeouts. Every child is killed by a guard if a test fails first.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on a broken fixture.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod common;

use common::{STEP, TestBroker};

impl TestBroker {
    /// `hermod pub|sub ... -p PORT`, with a cleared environment.
    fn command(&self, subcommand: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hermod"));
        command
            .env_clear()
            .arg(subcommand)
            .args(["-p", &self.port.to_string()])
            .args(args);
        command
    }
}

/// A running child with its output lines arriving on channels; killed when dropped.
struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

fn lines(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

impl Running {
    fn spawn(mut command: Command, stdin: Option<&str>) -> Running {
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        if let Some(text) = stdin {
            let mut input = child.stdin.take().unwrap();
            input.write_all(text.as_bytes()).unwrap();
            // Dropping `input` closes standard input: the end of the lines.
        }
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// The next standard output line, within [`STEP`].
    fn stdout_line(&self) -> String {
        self.stdout
            .recv_timeout(STEP)
            .expect("no output line in time")
    }

    /// Waits for a standard error line containing `text`.
    fn wait_stderr(&self, text: &str) {
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .stderr
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {text:?} on standard error in time"));
            if line.contains(text) {
                return;
            }
        }
    }

    /// Waits for the exit, failing the test after [`STEP`].
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "hermod did not exit in time");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the exit and returns it with the rest of standard output and error.
    fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        let status = self.wait();
        let out: Vec<String> = drain(&self.stdout);
        let err = drain(&self.stderr).join("\n");
        (status, out, err)
    }
}

/// Every line until the stream's end (bounded by [`STEP`]).
fn drain(rx: &mpsc::Receiver<String>) -> Vec<String> {
    let mut all = Vec::new();
    while let Ok(line) = rx.recv_timeout(STEP) {
        all.push(line);
    }
    all
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `hermod pub` to its end and asserts it succeeded.
fn publish(broker: &TestBroker, args: &[&str]) {
    let (status, _, err) = Running::spawn(broker.command("pub", args), None).finish();
    assert!(status.success(), "pub {args:?} failed: {err}");
}

/// Starts `hermod sub -d ...` and waits until it is subscribed.
fn subscriber(broker: &TestBroker, args: &[&str]) -> Running {
    let mut command = broker.command("sub", args);
    command.arg("-d");
    let sub = Running::spawn(command, None);
    sub.wait_stderr("subscribed");
    sub
}

#[test]
fn sub_count_receives_qos0_and_qos1_with_both_versions() {
    let broker = TestBroker::start();
    for version in ["mqttv311", "mqttv5", "mqttv31"] {
        let topic = format!("count/{version}");
        let sub = subscriber(
            &broker,
            &["-V", version, "-t", &topic, "-C", "2", "-q", "1"],
        );
        publish(
            &broker,
            &["-V", version, "-t", &topic, "-q", "0", "-m", "zero"],
        );
        publish(
            &broker,
            &["-V", version, "-t", &topic, "-q", "1", "-m", "one"],
        );
        let (status, mut out, err) = sub.finish();
        assert!(status.success(), "{version}: {err}");
        out.sort();
        assert_eq!(out, ["one", "zero"], "{version}");
    }
}

#[test]
fn verbose_prints_topic_and_payload() {
    let broker = TestBroker::start();
    let sub = subscriber(&broker, &["-t", "v/#", "-v", "-C", "1"]);
    publish(&broker, &["-t", "v/a b", "-m", "hello world", "-q", "2"]);
    assert_eq!(sub.stdout_line(), "v/a b hello world");
    let (status, _, err) = sub.finish();
    assert!(status.success(), "{err}");
}

#[test]
fn json_output_has_topic_qos_retain_and_payload() {
    let broker = TestBroker::start();
    let sub = subscriber(&broker, &["-t", "j", "--json", "-C", "1", "-q", "1"]);
    publish(&broker, &["-t", "j", "-m", "text", "-q", "1"]);
    let value: serde_json::Value = serde_json::from_str(&sub.stdout_line()).unwrap();
    assert_eq!(value["topic"], "j");
    assert_eq!(value["qos"], 1);
    assert_eq!(value["retain"], false);
    assert_eq!(value["payload"], "text");
    assert_eq!(value["payload_encoding"], "utf-8");
    assert!(value.get("properties").is_none(), "no properties in 3.1.1");
    assert!(sub.finish().0.success());
}

#[test]
fn retained_message_reaches_a_later_subscriber() {
    let broker = TestBroker::start();
    publish(&broker, &["-t", "r/1", "-m", "kept", "-r", "-q", "1"]);
    let sub = Running::spawn(
        broker.command("sub", &["-t", "r/#", "--json", "-C", "1"]),
        None,
    );
    let value: serde_json::Value = serde_json::from_str(&sub.stdout_line()).unwrap();
    assert_eq!(value["payload"], "kept");
    assert_eq!(value["retain"], true);
    assert!(sub.finish().0.success());
}

#[test]
fn timeout_without_messages_exits_27_with_a_message() {
    let broker = TestBroker::start();
    let sub = Running::spawn(broker.command("sub", &["-t", "nothing", "-W", "1"]), None);
    let (status, out, err) = sub.finish();
    assert_eq!(status.code(), Some(27), "{err}");
    assert!(out.is_empty());
    assert!(err.contains("timed out after 1 s"), "{err}");
}

#[test]
fn v5_properties_round_trip_through_json() {
    let broker = TestBroker::start();
    let sub = subscriber(&broker, &["-V", "mqttv5", "-t", "p", "--json", "-C", "1"]);
    publish(
        &broker,
        &[
            "-V",
            "mqttv5",
            "-t",
            "p",
            "-m",
            "with props",
            "--user-property",
            "k1",
            "v1",
            "--user-property",
            "k2",
            "v2",
            "--message-expiry",
            "600",
            "--response-topic",
            "reply/here",
            "--correlation-data",
            "req-7",
        ],
    );
    let value: serde_json::Value = serde_json::from_str(&sub.stdout_line()).unwrap();
    let properties = &value["properties"];
    assert_eq!(
        properties["user_properties"],
        serde_json::json!([{"key": "k1", "value": "v1"}, {"key": "k2", "value": "v2"}])
    );
    let expiry = properties["message_expiry_interval"].as_u64().unwrap();
    assert!((1..=600).contains(&expiry), "{expiry}");
    assert_eq!(properties["response_topic"], "reply/here");
    assert_eq!(properties["correlation_data"], "req-7");
    assert!(sub.finish().0.success());
}

#[test]
fn connection_refused_exits_nonzero_with_a_message() {
    // Bind and drop a listener to get a port that is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let port = port.to_string();
    let pub_args = ["pub", "-p", &port, "-t", "x", "-m", "y"];
    let sub_args = ["sub", "-p", &port, "-t", "x"];
    for args in [&pub_args[..], &sub_args[..]] {
        let subcommand = args[0];
        let mut command = Command::new(env!("CARGO_BIN_EXE_hermod"));
        command.env_clear().args(args);
        let (status, _, err) = Running::spawn(command, None).finish();
        assert_eq!(status.code(), Some(1), "{subcommand}: {err}");
        assert!(err.contains("cannot connect to 127.0.0.1:"), "{err}");
        assert!(err.to_lowercase().contains("refused"), "{err}");
    }
}

#[test]
fn stdin_lines_become_messages() {
    let broker = TestBroker::start();
    let sub = subscriber(&broker, &["-t", "lines", "-C", "3", "-q", "1"]);
    let (status, _, err) = Running::spawn(
        broker.command("pub", &["-t", "lines", "-l", "-q", "1"]),
        Some("first\nsecond line\r\nthird\n"),
    )
    .finish();
    assert!(status.success(), "{err}");
    let (status, out, err) = sub.finish();
    assert!(status.success(), "{err}");
    assert_eq!(out, ["first", "second line", "third"]);
}

#[test]
fn binary_payload_is_base64_in_json() {
    let broker = TestBroker::start();
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("binary_payload.bin");
    std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
    let sub = subscriber(&broker, &["-t", "bin", "--json", "-C", "1"]);
    publish(&broker, &["-t", "bin", "-f", path.to_str().unwrap()]);
    let value: serde_json::Value = serde_json::from_str(&sub.stdout_line()).unwrap();
    assert_eq!(value["payload"], "//4A");
    assert_eq!(value["payload_encoding"], "base64");
    assert!(sub.finish().0.success());
}

#[test]
fn help_is_long_form_and_h_is_the_host() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hermod"));
    command.env_clear().args(["sub", "--help"]);
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let mut running = Running {
        child,
        stdout: mpsc::channel().1,
        stderr: mpsc::channel().1,
    };
    assert!(running.wait().success());
    assert!(text.contains("--host"), "{text}");
    assert!(text.contains("--count"), "{text}");
}

#[test]
fn connack_refusal_exits_1_naming_the_reason() {
    let broker = TestBroker::start();
    // MQTT 3.1.1: an empty client id needs a clean session (MQTT-3.1.3-8).
    let (status, _, err) = Running::spawn(
        broker.command("pub", &["-i", "", "-c", "-t", "x", "-m", "y"]),
        None,
    )
    .finish();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("connection refused by the server: return code 2"),
        "{err}"
    );
    assert!(err.contains("Client Identifier not valid"), "{err}");
}
