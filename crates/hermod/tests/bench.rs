//! `hermod bench conn`, `bench pub` and `bench sub` end to end, run as child processes against
//! an in-process broker (`hermod_core::Broker` + `hermod_server::Server` on 127.0.0.1:0).
//! Loopback only, a few clients for about a second; children are killed by a guard if a test
//! fails first.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on a broken fixture.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;

mod common;

use common::{KillOnDrop, STEP, TestBroker, exit_and_stdout};

/// `hermod bench ARGS -p PORT` with standard output piped, started.
fn spawn_bench(broker: &TestBroker, args: &[&str], stderr: Stdio) -> KillOnDrop {
    let child = Command::new(env!("CARGO_BIN_EXE_hermod"))
        .env_clear()
        .arg("bench")
        .args(args)
        .args(["-p", &broker.port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    KillOnDrop(child)
}

/// Runs `hermod bench ARGS -p PORT`, waits up to [`STEP`] for it to exit with success and
/// returns its standard output.
fn run_bench(broker: &TestBroker, args: &[&str]) -> String {
    finish(spawn_bench(broker, args, Stdio::null()))
}

/// Waits up to [`STEP`] for `child` to exit with success and returns its standard output.
fn finish(mut child: KillOnDrop) -> String {
    let (status, stdout) = exit_and_stdout(&mut child);
    assert!(status.success(), "hermod bench failed: {status}; {stdout}");
    stdout
}

#[test]
fn bench_conn_establishes_every_connection_v311_and_v5() {
    let broker = TestBroker::start();
    for version in ["mqttv311", "mqttv5"] {
        let stdout = run_bench(
            &broker,
            &[
                "conn",
                "-c",
                "5",
                "-R",
                "50",
                "--duration",
                "0.3",
                "-V",
                version,
                "--json",
                "--id-prefix",
                version,
            ],
        );
        let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(summary["connections"], 5, "{summary}");
        assert_eq!(summary["established"], 5, "{summary}");
        assert_eq!(summary["failed"], 0, "{summary}");
        assert_eq!(summary["connack_latency"]["count"], 5, "{summary}");
        // The tool's own CPU over the connect phase (read from /proc on Linux).
        assert!(summary["tool_cpu_s"].as_f64().is_some(), "{summary}");
        assert!(summary["tool_cpu_share"].as_f64().is_some(), "{summary}");
        let p50 = summary["connack_latency"]["p50_us"].as_u64().unwrap();
        let max = summary["connack_latency"]["max_us"].as_u64().unwrap();
        assert!(p50 > 0 && p50 <= max, "{summary}");
    }
}

#[test]
fn bench_conn_counts_failures_when_nothing_listens() {
    // A port that was just free: bind, read the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let child = Command::new(env!("CARGO_BIN_EXE_hermod"))
        .env_clear()
        .args([
            "bench",
            "conn",
            "-c",
            "3",
            "-R",
            "0",
            "--duration",
            "0",
            "--json",
        ])
        .args(["-p", &port.to_string(), "--connect-timeout", "5"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (_, stdout) = exit_and_stdout(&mut KillOnDrop(child));
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["established"], 0, "{summary}");
    assert_eq!(summary["failed"], 3, "{summary}");
    assert!(summary["first_error"].is_string(), "{summary}");
}

#[test]
fn bench_sub_sees_every_message_of_two_publishers_in_order() {
    let broker = TestBroker::start();
    let mut sub = spawn_bench(
        &broker,
        &[
            "sub",
            "-c",
            "1",
            "-t",
            "bench/#",
            "-q",
            "1",
            "--duration",
            "20",
            "--idle",
            "1",
            "--json",
            "--quiet",
            "--id-prefix",
            "sub-",
        ],
        Stdio::piped(),
    );
    // Publish only once the subscriber says it is subscribed.
    let stderr = BufReader::new(sub.0.stderr.take().unwrap());
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines() {
            let Ok(line) = line else { return };
            if line.contains("subscribed 1 of 1") {
                let _ = ready_tx.send(());
            }
        }
    });
    ready_rx
        .recv_timeout(STEP)
        .expect("the subscriber did not subscribe in time");
    let published = run_bench(
        &broker,
        &[
            "pub",
            "-c",
            "2",
            "-t",
            "bench/%i/%c",
            "-L",
            "200",
            "-s",
            "64",
            "-q",
            "1",
            "--duration",
            "1",
            "--json",
            "--quiet",
            "--id-prefix",
            "pub-",
        ],
    );
    let published: serde_json::Value = serde_json::from_str(published.trim()).unwrap();
    assert_eq!(published["failed"], 0, "{published}");
    let sent = published["sent"].as_u64().unwrap();
    // 2 x 100 msg/s for 1 s: one message per publisher at the start, then one per period; the
    // schedule never releases more (a slow machine may send fewer).
    assert!((100..=202).contains(&sent), "{published}");
    assert_eq!(published["acked"], sent, "{published}");

    let received = finish(sub);
    let summary: serde_json::Value = serde_json::from_str(received.trim()).unwrap();
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["received"], sent, "{summary}");
    assert_eq!(summary["lost"], 0, "{summary}");
    assert_eq!(summary["duplicates"], 0, "{summary}");
    assert_eq!(summary["reordered"], 0, "{summary}");
    assert_eq!(summary["bad_payloads"], 0, "{summary}");
    assert_eq!(summary["latency"]["count"], sent, "{summary}");
    let p50 = summary["latency"]["p50_us"].as_u64().unwrap();
    let p99 = summary["latency"]["p99_us"].as_u64().unwrap();
    let max = summary["latency"]["max_us"].as_u64().unwrap();
    assert!(p50 <= p99 && p99 <= max, "{summary}");
}

#[test]
fn bench_scenarios_deliver_every_message_and_report_tool_cpu() {
    let broker = TestBroker::start();
    // (scenario, extra flags, expected deliveries per message sent)
    let runs: [(&str, &[&str], u64); 3] = [
        ("fan-in", &["-c", "3", "-q", "1", "-L", "300"], 1),
        ("fan-out", &["-c", "4", "-q", "0", "-L", "100"], 4),
        ("p2p", &["-c", "2", "-q", "2", "-V", "mqttv5"], 1),
    ];
    for (scenario, flags, fan) in runs {
        let mut args = vec!["scenario", scenario];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--duration", "0.5", "--drain", "0.5", "--json", "--quiet"]);
        let stdout = run_bench(&broker, &args);
        let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        let sent = summary["sent"].as_u64().unwrap();
        assert!(sent > 0, "{scenario}: {summary}");
        assert_eq!(summary["expected"].as_u64(), Some(sent * fan), "{summary}");
        assert_eq!(summary["received"].as_u64(), Some(sent * fan), "{summary}");
        assert_eq!(summary["missing"].as_u64(), Some(0), "{summary}");
        assert_eq!(summary["duplicates"].as_u64(), Some(0), "{summary}");
        assert_eq!(summary["reordered"].as_u64(), Some(0), "{summary}");
        assert_eq!(summary["failed"].as_u64(), Some(0), "{summary}");
        assert!(
            summary["latency"]["count"].as_u64().unwrap() > 0,
            "{summary}"
        );
        assert!(summary["tool_cpu_s"].as_f64().is_some(), "{summary}");
    }
    let mode = |flags: &[&str]| {
        let mut args = vec![
            "scenario",
            "p2p",
            "-c",
            "1",
            "--duration",
            "0.3",
            "--drain",
            "0.3",
        ];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--json", "--quiet"]);
        let summary: serde_json::Value =
            serde_json::from_str(run_bench(&broker, &args).trim()).unwrap();
        summary["mode"].as_str().unwrap().to_owned()
    };
    assert_eq!(mode(&[]), "closed-loop");
    assert_eq!(mode(&["-L", "50"]), "fixed-rate");
}

#[test]
fn bench_idle_scenario_holds_connections() {
    let broker = TestBroker::start();
    let stdout = run_bench(
        &broker,
        &[
            "scenario",
            "idle",
            "-c",
            "20",
            "--duration",
            "0.3",
            "--json",
            "--quiet",
        ],
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["scenario"], "idle");
    assert_eq!(
        summary["connections"]["established"].as_u64(),
        Some(20),
        "{summary}"
    );
    assert!(summary["tool_cpu_share"].as_f64().is_some(), "{summary}");
}
