//! `hermod bench`: the load generator, on the [`hermod_bench`] library.
//!
//! - `hermod bench conn`: open many connections at a bounded rate and report CONNACK latency.
//! - `hermod bench pub` / `hermod bench sub`: publishers sending timestamped, numbered payloads
//!   and subscribers reporting end-to-end latency and lost, duplicated and reordered messages.
//!
//! A progress line goes to standard error each second; the summary goes to standard output,
//! as text or (with `--json`) as one JSON object.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use hermod_bench::{ClientOptions, ConnOptions, ConnReport, Pace, PubOptions, SubOptions};
use hermod_codec::QoS;

use crate::pubsub::args::BrokerArgs;

mod scenario;

pub(crate) use scenario::ScenarioArgs;

/// `hermod bench ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Open -c connections at up to -R per second, keep them for --duration seconds, then
    /// report how many were established and the CONNACK latency.
    Conn(ConnArgs),
    /// Run -c publishers sending timestamped, numbered payloads for --duration seconds.
    #[command(name = "pub")]
    Pub(PubArgs),
    /// Run -c subscribers measuring end-to-end latency and lost, duplicated and reordered
    /// messages. Prints "subscribed" on standard error once every subscriber is subscribed.
    #[command(name = "sub")]
    Sub(SubArgs),
    /// Run a standard scenario (fan-in, fan-out, p2p, idle) with publishers and subscribers
    /// in this one process, closed loop or at a fixed --rate, and report throughput, latency,
    /// missing/duplicated/reordered messages and this tool's own CPU use.
    Scenario(ScenarioArgs),
}

/// Options every `bench` command takes: where to connect, how, and the output.
#[derive(Debug, Args)]
pub(crate) struct CommonArgs {
    /// Broker address and protocol version.
    #[command(flatten)]
    pub(crate) broker: BrokerArgs,
    /// Number of clients (default 100; for `scenario`, see its help).
    #[arg(short = 'c', long)]
    pub(crate) count: Option<u32>,
    /// Local addresses to connect from, comma-separated, used round robin. Without it, runs
    /// against a 127.x server that need more than 20,000 clients spread over 127.0.0.1,
    /// 127.0.0.2, ... so that ephemeral ports do not run out.
    #[arg(long, value_delimiter = ',', value_name = "ADDRESSES")]
    pub(crate) ifaddr: Vec<IpAddr>,
    /// Client id prefix; each client's id is the prefix and its index. Default
    /// "hermod-bench-COMMAND-PID-", so that runs side by side do not take over each other's
    /// sessions.
    #[arg(long)]
    pub(crate) id_prefix: Option<String>,
    /// Keep alive in seconds (0: none).
    #[arg(short, long, default_value_t = 60)]
    pub(crate) keepalive: u16,
    /// Seconds to wait for each TCP connection and its CONNACK (and the last acknowledgements).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub(crate) connect_timeout: u64,
    /// Clean start (3.x: clean session); `-C false` keeps every client's session (persisted
    /// by a broker with storage).
    #[arg(short = 'C', long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub(crate) clean: bool,
    /// MQTT 5 Session Expiry Interval in seconds (default with `-C false`: never expires, as
    /// mosquitto_sub; otherwise 0).
    #[arg(short = 'x', long, value_name = "SECONDS")]
    pub(crate) session_expiry: Option<u32>,
    /// User name.
    #[arg(short = 'u', long)]
    pub(crate) username: Option<String>,
    /// Password.
    #[arg(short = 'P', long)]
    pub(crate) password: Option<String>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
    /// No progress lines on standard error.
    #[arg(long)]
    pub(crate) quiet: bool,
}

impl CommonArgs {
    /// The number of clients, `default` when not given.
    fn count_or(&self, default: u32) -> u32 {
        self.count.unwrap_or(default)
    }

    /// The client id prefix: the one given, or "hermod-bench-COMMAND-PID-".
    fn id_prefix(&self, command: &str) -> String {
        self.id_prefix
            .clone()
            .unwrap_or_else(|| format!("hermod-bench-{command}-{}-", std::process::id()))
    }

    /// The session and credential options.
    fn session(&self) -> hermod_bench::SessionOptions {
        hermod_bench::SessionOptions {
            clean_start: self.clean,
            session_expiry: self.session_expiry,
            username: self.username.clone(),
            password: self.password.clone(),
        }
    }

    /// The library's client options.
    fn client(&self, command: &str) -> ClientOptions {
        ClientOptions {
            address: self.broker.address(),
            version: self.broker.protocol_version.protocol(),
            client_id_prefix: self.id_prefix(command),
            keep_alive: self.keepalive,
            connect_timeout: Duration::from_secs(self.connect_timeout),
            source_addresses: self.ifaddr.clone(),
            session: self.session(),
        }
    }
}

/// Options of `hermod bench conn`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub(crate) struct ConnArgs {
    /// Connection and output options.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// New connections per second at most (0: as fast as possible).
    #[arg(short = 'R', long, default_value_t = 1000)]
    pub(crate) rate: u32,
    /// Seconds to keep each connection once accepted.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub(crate) duration: f64,
}

/// Options of `hermod bench pub`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
#[command(group(clap::ArgGroup::new("pace").args(["interval", "limit_rate"])))]
pub(crate) struct PubArgs {
    /// Connection and output options.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Topic; `%i` is the publisher's index, `%c` its client id.
    #[arg(short, long, default_value = "bench/%i")]
    pub(crate) topic: String,
    /// Milliseconds between two messages of one publisher; 0: as fast as the in-flight window
    /// (QoS 1/2) or the socket (QoS 0) allows.
    #[arg(short = 'I', long, value_name = "MS", default_value_t = 1000.0)]
    pub(crate) interval: f64,
    /// Messages per second of all publishers together (instead of -I).
    #[arg(short = 'L', long = "rate", value_name = "MSGS_PER_S")]
    pub(crate) limit_rate: Option<f64>,
    /// Payload size in bytes (at least 20, the timestamp and sequence header).
    #[arg(short, long, default_value_t = 256)]
    pub(crate) size: usize,
    /// QoS of the messages.
    #[arg(short, long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub(crate) qos: u8,
    /// Seconds to publish.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub(crate) duration: f64,
    /// Unacknowledged messages per publisher at most (QoS 1 and 2).
    #[arg(long, default_value_t = 100)]
    pub(crate) max_inflight: u16,
}

/// Options of `hermod bench sub`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub(crate) struct SubArgs {
    /// Connection and output options.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Topic filter; `%i` is the subscriber's index, `%c` its client id.
    #[arg(short, long, default_value = "bench/#")]
    pub(crate) topic: String,
    /// Subscription QoS.
    #[arg(short, long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub(crate) qos: u8,
    /// Seconds to receive at most.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub(crate) duration: f64,
    /// Stop once a message was received and none arrived for this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) idle: Option<f64>,
}

/// Clients of `conn`, `pub` and `sub` without `-c`.
const DEFAULT_CLIENTS: u32 = 100;

/// Runs `hermod bench ...`.
///
/// The whole run is a task on the runtime's workers, not the future of `block_on`: that runs
/// on the main thread, which would then take turns with the worker thread on the core the
/// tool is pinned to (each of its wakes a context switch, and a busy pair of threads on one
/// core waits for each other's time slices: milliseconds added to measured latencies).
pub(crate) fn bench(command: BenchCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let run = async move {
        match command {
            BenchCommand::Conn(args) => conn(&args).await,
            BenchCommand::Pub(args) => publish(&args).await,
            BenchCommand::Sub(args) => subscribe(&args).await,
            BenchCommand::Scenario(args) => scenario::run(&args).await,
        }
    };
    runtime.block_on(async { runtime_task(run).await })
}

/// Runs `run` as a task and returns its result.
async fn runtime_task(
    run: impl Future<Output = anyhow::Result<()>> + Send + 'static,
) -> anyhow::Result<()> {
    tokio::spawn(run)
        .await
        .context("the benchmark task panicked")?
}

/// `hermod bench conn`.
async fn conn(args: &ConnArgs) -> anyhow::Result<()> {
    let common = &args.common;
    let options = ConnOptions {
        address: common.broker.address(),
        connections: common.count_or(DEFAULT_CLIENTS),
        rate: args.rate,
        version: common.broker.protocol_version.protocol(),
        hold: seconds(args.duration, "--duration")?,
        client_id_prefix: common.id_prefix("conn"),
        keep_alive: common.keepalive,
        connect_timeout: Duration::from_secs(common.connect_timeout),
        source_addresses: common.ifaddr.clone(),
        session: common.session(),
    };
    let quiet = common.quiet;
    let report = hermod_bench::run_conn(options, |report| {
        if !quiet {
            eprintln!("{}", progress_line(report));
        }
    })
    .await
    .context("bench conn")?;
    if common.json {
        print_json(&report)
    } else {
        print!("{}", summary_text(&report));
        Ok(())
    }
}

/// `hermod bench pub`.
async fn publish(args: &PubArgs) -> anyhow::Result<()> {
    let common = &args.common;
    let publishers = common.count_or(DEFAULT_CLIENTS);
    let pace = match args.limit_rate {
        Some(total) => Pace::Fixed(total / f64::from(publishers.max(1))),
        None if args.interval == 0.0 => Pace::Max,
        None => Pace::Fixed(1000.0 / args.interval),
    };
    if let Pace::Fixed(rate) = pace
        && !(rate > 0.0 && rate.is_finite())
    {
        anyhow::bail!("-I must be 0 or positive and -L positive");
    }
    let options = PubOptions {
        client: common.client("pub"),
        publishers,
        topic: args.topic.clone(),
        pace,
        size: args.size,
        qos: qos(args.qos)?,
        duration: seconds(args.duration, "--duration")?,
        max_inflight: args.max_inflight,
    };
    let quiet = common.quiet;
    let report = hermod_bench::run_pub(options, |report| {
        if !quiet {
            eprintln!(
                "{:.0}s sent {} ({:.0} msg/s) acked {} failed {}",
                report.elapsed_s, report.sent, report.msgs_per_s, report.acked, report.failed
            );
        }
    })
    .await
    .context("bench pub")?;
    if common.json {
        return print_json(&report);
    }
    println!(
        "publishers: {} ({} failed); sent {} in {:.1}s ({:.0} msg/s), acked {}",
        report.publishers,
        report.failed,
        report.sent,
        report.elapsed_s,
        report.msgs_per_s,
        report.acked
    );
    if let Some(error) = &report.first_error {
        println!("first error: {error}");
    }
    Ok(())
}

/// `hermod bench sub`.
async fn subscribe(args: &SubArgs) -> anyhow::Result<()> {
    let common = &args.common;
    let options = SubOptions {
        client: common.client("sub"),
        subscribers: common.count_or(DEFAULT_CLIENTS),
        topic: args.topic.clone(),
        qos: qos(args.qos)?,
        duration: seconds(args.duration, "--duration")?,
        idle: args.idle.map(|idle| seconds(idle, "--idle")).transpose()?,
    };
    let quiet = common.quiet;
    let report = hermod_bench::run_sub(
        options,
        |report| {
            eprintln!(
                "subscribed {} of {}",
                u64::from(report.subscribers).saturating_sub(report.failed),
                report.subscribers
            );
        },
        |report| {
            if !quiet {
                eprintln!(
                    "{:.0}s received {} failed {}",
                    report.elapsed_s, report.received, report.failed
                );
            }
        },
    )
    .await
    .context("bench sub")?;
    if common.json {
        return print_json(&report);
    }
    let latency = &report.latency;
    println!(
        "subscribers: {} ({} failed); received {} ({:.0} msg/s)\n\
         latency: p50 {}us p99 {}us p99.9 {}us max {}us\n\
         lost {} duplicates {} reordered {} bad payloads {}",
        report.subscribers,
        report.failed,
        report.received,
        report.msgs_per_s,
        latency.p50_us,
        latency.p99_us,
        latency.p999_us,
        latency.max_us,
        report.lost,
        report.duplicates,
        report.reordered,
        report.bad_payloads,
    );
    if let Some(error) = &report.first_error {
        println!("first error: {error}");
    }
    Ok(())
}

/// Prints `report` as one line of JSON.
pub(crate) fn print_json(report: &impl serde::Serialize) -> anyhow::Result<()> {
    println!(
        "{}",
        serde_json::to_string(report).context("cannot encode the summary")?
    );
    Ok(())
}

/// A `--flag` value in seconds as a duration.
pub(crate) fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("{flag} must be a non-negative number of seconds"))
}

/// The QoS flag's value (already range-checked by clap).
pub(crate) fn qos(value: u8) -> anyhow::Result<QoS> {
    QoS::from_bits(value).context("the QoS must be 0, 1 or 2")
}

/// The progress line of `bench conn`.
pub(crate) fn progress_line(report: &ConnReport) -> String {
    format!(
        "{:.0}s established {}/{} failed {} connack p50 {}us p99 {}us",
        report.elapsed_s,
        report.established,
        report.connections,
        report.failed,
        report.connack_latency.p50_us,
        report.connack_latency.p99_us,
    )
}

/// The human-readable summary of `bench conn`.
pub(crate) fn summary_text(report: &ConnReport) -> String {
    let latency = &report.connack_latency;
    let mut text = format!(
        "connections: {} established, {} failed of {} ({:.0}/s)\n\
         connack latency: p50 {}us p99 {}us max {}us\n",
        report.established,
        report.failed,
        report.connections,
        report.connect_rate,
        latency.p50_us,
        latency.p99_us,
        latency.max_us,
    );
    if let Some(error) = &report.first_error {
        text.push_str(&format!("first error: {error}\n"));
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::pubsub::args::VersionArg;
    use clap::Parser as _;

    #[test]
    fn bench_conn_takes_its_flags() {
        let cli = Cli::try_parse_from([
            "hermod",
            "bench",
            "conn",
            "-h",
            "broker",
            "-p",
            "1884",
            "-c",
            "7",
            "-R",
            "3",
            "-V",
            "mqttv5",
            "--duration",
            "1.5",
            "--json",
        ])
        .unwrap();
        let Some(Command::Bench(BenchCommand::Conn(args))) = cli.command else {
            panic!("expected bench conn");
        };
        assert_eq!(args.common.broker.host, "broker");
        assert_eq!(args.common.broker.port, 1884);
        assert_eq!(args.common.count, Some(7));
        assert_eq!(args.rate, 3);
        assert_eq!(args.common.broker.protocol_version, VersionArg::Mqttv5);
        assert!((args.duration - 1.5).abs() < f64::EPSILON);
        assert!(args.common.json);
    }

    #[test]
    fn bench_pub_and_sub_take_their_flags() {
        let cli = Cli::try_parse_from([
            "hermod", "bench", "pub", "-c", "2", "-t", "t/%i", "-L", "100", "-s", "64", "-q", "1",
        ])
        .unwrap();
        let Some(Command::Bench(BenchCommand::Pub(args))) = cli.command else {
            panic!("expected bench pub");
        };
        assert_eq!(args.topic, "t/%i");
        assert_eq!(args.limit_rate, Some(100.0));
        assert_eq!((args.size, args.qos), (64, 1));
        assert!(
            Cli::try_parse_from(["hermod", "bench", "pub", "-I", "5", "-L", "100"]).is_err(),
            "-I and -L exclude each other"
        );
        let cli =
            Cli::try_parse_from(["hermod", "bench", "sub", "-t", "t/#", "--idle", "1"]).unwrap();
        let Some(Command::Bench(BenchCommand::Sub(args))) = cli.command else {
            panic!("expected bench sub");
        };
        assert_eq!(args.idle, Some(1.0));
    }

    #[test]
    fn summary_names_counts_and_first_error() {
        let report = ConnReport {
            connections: 3,
            established: 2,
            failed: 1,
            first_error: Some("timed out waiting for CONNACK".into()),
            ..ConnReport::default()
        };
        let text = summary_text(&report);
        assert!(text.contains("2 established, 1 failed of 3"), "{text}");
        assert!(text.contains("first error: timed out"), "{text}");
    }
}
