//! `hermod bench scenario`: the standard message scenarios, publishers and subscribers in one
//! process, with one combined report.
//!
//! - fan-in: `clients` publishers on `ROOT/fan-in/%i`, one subscriber on `ROOT/fan-in/+`.
//! - fan-out: one publisher on `ROOT/fan-out`, `clients` subscribers on it.
//! - point-to-point: `clients` pairs, publisher `i` and subscriber `i` on `ROOT/p2p/i`.
//!
//! `ROOT` is `hermod-bench/RUN`, with a run id of its own for every run.
//!
//! Every subscriber connects and subscribes before any publisher publishes. Publishers run for
//! the duration, at a fixed total rate or closed loop ([`Pace::Max`]); subscribers stop once
//! no message arrived for the drain time. Deliveries expected are the messages sent times the
//! subscribers each reaches; `missing` is what was expected and never received.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hermod_codec::QoS;
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::BenchError;
use crate::cpu;
use crate::flow::{ClientOptions, Pace, PubOptions, PubReport, SubOptions, SubReport};
use crate::latency::LatencySummary;
use crate::payload;

/// Which scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Many publishers, one wildcard subscriber.
    FanIn,
    /// One publisher, many subscribers.
    FanOut,
    /// Pairs of one publisher and one subscriber on their own topic.
    PointToPoint,
}

impl Scenario {
    /// Publishers and subscribers for `clients`.
    pub fn participants(self, clients: u32) -> (u32, u32) {
        match self {
            Scenario::FanIn => (clients, 1),
            Scenario::FanOut => (1, clients),
            Scenario::PointToPoint => (clients, clients),
        }
    }

    /// The publishers' topic template and the subscribers' filter template, under `root`.
    fn topics(self, root: &str) -> (String, String) {
        let (topic, filter) = match self {
            Scenario::FanIn => ("fan-in/%i", "fan-in/+"),
            Scenario::FanOut => ("fan-out", "fan-out"),
            Scenario::PointToPoint => ("p2p/%i", "p2p/%i"),
        };
        (format!("{root}/{topic}"), format!("{root}/{filter}"))
    }

    /// How many subscribers receive each message.
    fn receivers_per_message(self, subscribers: u32) -> u64 {
        match self {
            Scenario::FanOut => u64::from(subscribers),
            Scenario::FanIn | Scenario::PointToPoint => 1,
        }
    }
}

/// What `hermod bench scenario` runs.
#[derive(Clone, Debug)]
pub struct ScenarioOptions {
    /// The scenario.
    pub scenario: Scenario,
    /// How clients connect; publishers' ids get `p` and subscribers' `s` after the prefix.
    pub client: ClientOptions,
    /// Fan-in: publishers; fan-out: subscribers; point-to-point: pairs.
    pub clients: u32,
    /// QoS of the messages and the subscriptions.
    pub qos: QoS,
    /// Payload size in bytes.
    pub size: usize,
    /// Messages per second offered by all publishers together; `None`: closed loop.
    pub rate: Option<f64>,
    /// How long the publishers publish.
    pub duration: Duration,
    /// Unacknowledged messages per publisher at most (QoS 1 and 2).
    pub max_inflight: u16,
    /// Subscribers stop once no message arrived for this long.
    pub drain: Duration,
}

/// Progress of a running scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ScenarioProgress {
    /// Seconds since the publishers started.
    pub elapsed_s: f64,
    /// Messages sent so far.
    pub sent: u64,
    /// Messages received so far (as of the subscribers' last progress tick).
    pub received: u64,
}

/// The result of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioReport {
    /// The scenario.
    pub scenario: Scenario,
    /// `closed-loop` or `fixed-rate`.
    pub mode: &'static str,
    /// The offered rate of a fixed-rate run (messages per second, all publishers).
    pub offered_rate: Option<f64>,
    /// QoS of messages and subscriptions.
    pub qos: u8,
    /// Payload size in bytes.
    pub size: usize,
    /// Publishers.
    pub publishers: u32,
    /// Subscribers.
    pub subscribers: u32,
    /// Messages sent.
    pub sent: u64,
    /// Messages sent per second.
    pub sent_per_s: f64,
    /// Deliveries expected: messages sent times the subscribers each one reaches.
    pub expected: u64,
    /// Deliveries received, duplicates included.
    pub received: u64,
    /// Deliveries per second, from the first to the last received.
    pub delivered_per_s: f64,
    /// Expected deliveries never received.
    pub missing: u64,
    /// Deliveries received more than once.
    pub duplicates: u64,
    /// Deliveries received after a later message of the same publisher.
    pub reordered: u64,
    /// End-to-end latency in microseconds.
    pub latency: LatencySummary,
    /// Clients that failed (publishers and subscribers).
    pub failed: u64,
    /// The first error seen, if any.
    pub first_error: Option<String>,
    /// CPU seconds this process (the load tool) used during the run.
    pub tool_cpu_s: Option<f64>,
    /// The tool's CPU time over the run's wall time (1.0 is one core, busy all the time).
    pub tool_cpu_share: Option<f64>,
    /// The publishers' own report.
    pub publish: PubReport,
    /// The subscribers' own report.
    pub subscribe: SubReport,
}

/// Runs `options`, calling `progress` about once a second while the publishers publish.
pub async fn run_scenario(
    options: ScenarioOptions,
    mut progress: impl FnMut(&ScenarioProgress),
) -> Result<ScenarioReport, BenchError> {
    if options.clients == 0 {
        return Err(BenchError::InvalidOptions(
            "need at least one client".into(),
        ));
    }
    let pace = match options.rate {
        None => Pace::Max,
        Some(total) if total > 0.0 && total.is_finite() => {
            let (publishers, _) = options.scenario.participants(options.clients);
            Pace::Fixed(total / f64::from(publishers))
        }
        Some(_) => {
            return Err(BenchError::InvalidOptions(
                "the rate must be a positive number".into(),
            ));
        }
    };
    let (publishers, subscribers) = options.scenario.participants(options.clients);
    // Topics of their own per run: messages of an earlier run that a broker still holds (a
    // closed-loop QoS 0 run can leave its socket buffers full) cannot reach this one.
    let run = format!(
        "hermod-bench/{:x}",
        payload::now_ns() ^ u64::from(std::process::id())
    );
    let (topic, filter) = options.scenario.topics(&run);
    let cpu_before = cpu::process_cpu_time();
    let started = Instant::now();

    let sub_options = SubOptions {
        client: with_prefix(&options.client, "s"),
        subscribers,
        topic: filter,
        qos: options.qos,
        duration: options.duration + options.drain + options.client.connect_timeout * 2,
        idle: Some(options.drain),
    };
    let received = Arc::new(AtomicU64::new(0));
    let (ready_sender, ready) = oneshot::channel();
    let received_by_subscribers = Arc::clone(&received);
    let subscribing = tokio::spawn(crate::flow::run_sub(
        sub_options,
        move |report: &SubReport| {
            let _ = ready_sender.send(report.failed);
        },
        move |report: &SubReport| {
            received_by_subscribers.store(report.received, Ordering::Relaxed);
        },
    ));
    // Every subscriber is subscribed (or failed) once `ready` fires; if the subscriber side
    // ended first, its error comes out of the join below.
    let _ = ready.await;

    let pub_options = PubOptions {
        client: with_prefix(&options.client, "p"),
        publishers,
        topic,
        pace,
        size: options.size,
        qos: options.qos,
        duration: options.duration,
        max_inflight: options.max_inflight,
    };
    let publish = crate::flow::run_pub(pub_options, |report: &PubReport| {
        progress(&ScenarioProgress {
            elapsed_s: report.elapsed_s,
            sent: report.sent,
            received: received.load(Ordering::Relaxed),
        });
    })
    .await?;
    let subscribe = subscribing
        .await
        .map_err(|error| BenchError::InvalidOptions(format!("the subscribers' task: {error}")))??;

    let wall = started.elapsed();
    let tool_cpu = cpu_before
        .zip(cpu::process_cpu_time())
        .map(|(before, after)| after.saturating_sub(before));
    let expected = publish
        .sent
        .saturating_mul(options.scenario.receivers_per_message(subscribers));
    let unique = subscribe.received.saturating_sub(subscribe.duplicates);
    Ok(ScenarioReport {
        scenario: options.scenario,
        mode: if options.rate.is_some() {
            "fixed-rate"
        } else {
            "closed-loop"
        },
        offered_rate: options.rate,
        qos: options.qos.bits(),
        size: options.size,
        publishers,
        subscribers,
        sent: publish.sent,
        sent_per_s: publish.msgs_per_s,
        expected,
        received: subscribe.received,
        delivered_per_s: subscribe.msgs_per_s,
        missing: expected.saturating_sub(unique),
        duplicates: subscribe.duplicates,
        reordered: subscribe.reordered,
        latency: subscribe.latency,
        failed: publish.failed + subscribe.failed,
        first_error: publish
            .first_error
            .clone()
            .or_else(|| subscribe.first_error.clone()),
        tool_cpu_s: tool_cpu.map(|cpu| cpu.as_secs_f64()),
        tool_cpu_share: tool_cpu.map(|cpu| cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9)),
        publish,
        subscribe,
    })
}

/// `client` with `suffix` added to its client id prefix.
fn with_prefix(client: &ClientOptions, suffix: &str) -> ClientOptions {
    ClientOptions {
        client_id_prefix: format!("{}{suffix}", client.client_id_prefix),
        ..client.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn participants_and_receivers_per_scenario() {
        assert_eq!(Scenario::FanIn.participants(50), (50, 1));
        assert_eq!(Scenario::FanOut.participants(200), (1, 200));
        assert_eq!(Scenario::PointToPoint.participants(100), (100, 100));
        assert_eq!(Scenario::FanOut.receivers_per_message(200), 200);
        assert_eq!(Scenario::FanIn.receivers_per_message(1), 1);
    }
}
