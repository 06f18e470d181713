//! `hermod bench scenario`: the standard scenarios in one process.
//!
//! fan-in, fan-out and p2p run publishers and subscribers together (see
//! [`hermod_bench::scenario`]); idle opens connections at a bounded rate and holds them, for
//! measuring a broker's memory per connection. Every summary reports the tool's own CPU share,
//! so that a run where the tool saturated its core can be told apart.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use hermod_bench::{ConnOptions, ConnReport, Scenario, ScenarioOptions, ScenarioReport};
use serde::Serialize;

use super::{CommonArgs, print_json, progress_line, qos, seconds, summary_text};

/// The scenario names on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScenarioName {
    /// -c publishers (default 50) on their own topics, one subscriber on a `+` filter.
    FanIn,
    /// One publisher, -c subscribers (default 200) on its topic.
    FanOut,
    /// -c pairs (default 100) of a publisher and a subscriber on their own topic.
    P2p,
    /// -c connections (default 1000) opened at up to -R per second and held for --duration.
    Idle,
}

/// Options of `hermod bench scenario`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub(crate) struct ScenarioArgs {
    /// The scenario.
    #[arg(value_enum)]
    pub(crate) name: ScenarioName,
    /// Connection and output options.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Messages per second offered by all publishers together; without it, closed loop (each
    /// publisher as fast as its in-flight window or socket allows).
    #[arg(short = 'L', long = "rate", value_name = "MSGS_PER_S")]
    pub(crate) rate: Option<f64>,
    /// QoS of messages and subscriptions.
    #[arg(short, long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub(crate) qos: u8,
    /// Payload size in bytes (at least 20).
    #[arg(short, long, default_value_t = 64)]
    pub(crate) size: usize,
    /// Seconds to publish (idle: to hold the connections).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub(crate) duration: f64,
    /// Seconds without a message after which subscribers stop.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub(crate) drain: f64,
    /// Unacknowledged messages per publisher at most (QoS 1 and 2).
    #[arg(long, default_value_t = 100)]
    pub(crate) max_inflight: u16,
    /// idle: new connections per second at most (0: as fast as possible).
    #[arg(short = 'R', long = "conn-rate", default_value_t = 0)]
    pub(crate) conn_rate: u32,
}

impl ScenarioName {
    /// The library's scenario and the default client count.
    fn scenario(self) -> Option<(Scenario, u32)> {
        match self {
            ScenarioName::FanIn => Some((Scenario::FanIn, 50)),
            ScenarioName::FanOut => Some((Scenario::FanOut, 200)),
            ScenarioName::P2p => Some((Scenario::PointToPoint, 100)),
            ScenarioName::Idle => None,
        }
    }
}

/// Runs `hermod bench scenario`.
pub(crate) async fn run(args: &ScenarioArgs) -> anyhow::Result<()> {
    let Some((scenario, default_clients)) = args.name.scenario() else {
        return idle(args).await;
    };
    let common = &args.common;
    let options = ScenarioOptions {
        scenario,
        client: common.client("scenario"),
        clients: common.count_or(default_clients),
        qos: qos(args.qos)?,
        size: args.size,
        rate: args.rate,
        duration: seconds(args.duration, "--duration")?,
        max_inflight: args.max_inflight,
        drain: seconds(args.drain, "--drain")?,
    };
    let quiet = common.quiet;
    let mut last = None;
    let report = hermod_bench::run_scenario(options, |progress| {
        if !quiet {
            let (sent_rate, received_rate) = match last.replace(*progress) {
                Some(previous) => per_second_since(&previous, progress),
                None => (0.0, 0.0),
            };
            eprintln!(
                "{:.0}s sent {} ({sent_rate:.0}/s) received {} ({received_rate:.0}/s)",
                progress.elapsed_s, progress.sent, progress.received
            );
        }
    })
    .await
    .context("bench scenario")?;
    if common.json {
        return print_json(&report);
    }
    print!("{}", scenario_text(&report));
    Ok(())
}

/// Sent and received per second between two progress reports.
fn per_second_since(
    previous: &hermod_bench::ScenarioProgress,
    now: &hermod_bench::ScenarioProgress,
) -> (f64, f64) {
    let seconds = (now.elapsed_s - previous.elapsed_s).max(1e-9);
    (
        now.sent.saturating_sub(previous.sent) as f64 / seconds,
        now.received.saturating_sub(previous.received) as f64 / seconds,
    )
}

/// The human-readable summary of a message scenario.
fn scenario_text(report: &ScenarioReport) -> String {
    let latency = &report.latency;
    let mut text = format!(
        "scenario {:?} {} qos {} size {}: {} publishers, {} subscribers\n\
         sent {} ({:.0} msg/s); received {} of {} expected ({:.0} msg/s)\n\
         latency: p50 {}us p99 {}us p99.9 {}us max {}us\n\
         missing {} duplicates {} reordered {} failed clients {}\n",
        report.scenario,
        report.mode,
        report.qos,
        report.size,
        report.publishers,
        report.subscribers,
        report.sent,
        report.sent_per_s,
        report.received,
        report.expected,
        report.delivered_per_s,
        latency.p50_us,
        latency.p99_us,
        latency.p999_us,
        latency.max_us,
        report.missing,
        report.duplicates,
        report.reordered,
        report.failed,
    );
    if let (Some(cpu), Some(share)) = (report.tool_cpu_s, report.tool_cpu_share) {
        text.push_str(&format!(
            "tool CPU: {cpu:.2}s ({:.0}% of one core)\n",
            share * 100.0
        ));
    }
    if let Some(error) = &report.first_error {
        text.push_str(&format!("first error: {error}\n"));
    }
    text
}

/// The report of the idle scenario.
#[derive(Debug, Serialize)]
struct IdleReport {
    /// Always "idle".
    scenario: &'static str,
    /// The connections' report.
    connections: ConnReport,
    /// CPU seconds this tool used.
    tool_cpu_s: Option<f64>,
    /// The tool's CPU time over the wall time.
    tool_cpu_share: Option<f64>,
}

/// The idle scenario: open and hold connections.
async fn idle(args: &ScenarioArgs) -> anyhow::Result<()> {
    let common = &args.common;
    let options = ConnOptions {
        address: common.broker.address(),
        connections: common.count_or(1000),
        rate: args.conn_rate,
        version: common.broker.protocol_version.protocol(),
        hold: seconds(args.duration, "--duration")?,
        client_id_prefix: common.id_prefix("idle"),
        keep_alive: common.keepalive,
        connect_timeout: Duration::from_secs(common.connect_timeout),
        source_addresses: common.ifaddr.clone(),
        session: common.session(),
    };
    let quiet = common.quiet;
    let cpu_before = hermod_bench::cpu::process_cpu_time();
    let started = Instant::now();
    let connections = hermod_bench::run_conn(options, |report| {
        if !quiet {
            eprintln!("{}", progress_line(report));
        }
    })
    .await
    .context("bench scenario idle")?;
    let tool_cpu = cpu_before
        .zip(hermod_bench::cpu::process_cpu_time())
        .map(|(before, after)| after.saturating_sub(before).as_secs_f64());
    let wall = started.elapsed().as_secs_f64().max(1e-9);
    let report = IdleReport {
        scenario: "idle",
        tool_cpu_s: tool_cpu,
        tool_cpu_share: tool_cpu.map(|cpu| cpu / wall),
        connections,
    };
    if common.json {
        return print_json(&report);
    }
    print!("{}", summary_text(&report.connections));
    if let (Some(cpu), Some(share)) = (report.tool_cpu_s, report.tool_cpu_share) {
        println!("tool CPU: {cpu:.2}s ({:.0}% of one core)", share * 100.0);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;
    use crate::bench::BenchCommand;
    use crate::cli::{Cli, Command};
    use clap::Parser as _;

    #[test]
    fn scenario_takes_its_flags() {
        let cli = Cli::try_parse_from([
            "hermod",
            "bench",
            "scenario",
            "fan-in",
            "-q",
            "1",
            "-L",
            "20000",
            "-c",
            "7",
            "--ifaddr",
            "127.0.0.2,127.0.0.3",
        ])
        .unwrap();
        let Some(Command::Bench(BenchCommand::Scenario(args))) = cli.command else {
            panic!("expected bench scenario");
        };
        assert_eq!(args.name, ScenarioName::FanIn);
        assert_eq!((args.qos, args.rate), (1, Some(20000.0)));
        assert_eq!(args.common.count, Some(7));
        assert_eq!(args.common.ifaddr.len(), 2);
        assert_eq!(args.name.scenario(), Some((Scenario::FanIn, 50)));
        assert_eq!(ScenarioName::Idle.scenario(), None);
    }
}
