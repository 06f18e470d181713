//! The subscribers of `hermod bench sub` (and of the scenarios): every subscriber connects
//! and subscribes first, then all receive, recording end-to-end latency and per-publisher
//! sequence numbers.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hdrhistogram::Histogram;
use hermod_codec::{
    Packet, PacketId, PubAck, PubComp, PubRec, QoS, Subscribe, SubscriptionOptions, TopicFilter,
};
use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{ClientOptions, Counters, note_failure, per_second, sleep_until_or_never};
use crate::BenchError;
use crate::endpoint::Endpoint;
use crate::latency::{self, LatencySummary};
use crate::payload::{self, Header};
use crate::topic;
use crate::tracker::Tracker;
use crate::wire::Wire;

/// What `hermod bench sub` does.
#[derive(Clone, Debug)]
pub struct SubOptions {
    /// How to connect.
    pub client: ClientOptions,
    /// How many subscribers.
    pub subscribers: u32,
    /// The topic filter template (`%i`, `%c`; see [`crate::topic`]).
    pub topic: String,
    /// The subscription QoS.
    pub qos: QoS,
    /// The longest a subscriber runs once subscribed.
    pub duration: Duration,
    /// A subscriber that has received a message stops once none arrives for this long.
    pub idle: Option<Duration>,
}

/// The result of `hermod bench sub` (also its progress).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SubReport {
    /// Subscribers asked for.
    pub subscribers: u32,
    /// Subscribers that failed (to connect or subscribe, or on the way).
    pub failed: u64,
    /// Messages received, duplicates included.
    pub received: u64,
    /// Messages per second, from the first message received to the last.
    pub msgs_per_s: f64,
    /// End-to-end latency in microseconds (send time in the payload to receipt).
    pub latency: LatencySummary,
    /// Messages missing below each publisher's highest sequence number received.
    pub lost: u64,
    /// Messages received more than once.
    pub duplicates: u64,
    /// Messages received after a later one of the same publisher.
    pub reordered: u64,
    /// Payloads without a benchmark header (not counted in the latency).
    pub bad_payloads: u64,
    /// Seconds since the start.
    pub elapsed_s: f64,
    /// The first error seen, if any.
    pub first_error: Option<String>,
}

/// What one subscriber collected.
struct Collected {
    histogram: Histogram<u64>,
    tracker: Tracker,
    bad_payloads: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// Runs the subscribers. `ready` is called once every subscriber has subscribed (or failed);
/// `progress` about once a second after that.
pub async fn run_sub(
    options: SubOptions,
    ready: impl FnOnce(&SubReport),
    mut progress: impl FnMut(&SubReport),
) -> Result<SubReport, BenchError> {
    if options.subscribers == 0 {
        return Err(BenchError::InvalidOptions(
            "need at least one subscriber".into(),
        ));
    }
    let mut report = SubReport {
        subscribers: options.subscribers,
        ..SubReport::default()
    };
    let started = Instant::now();
    // Connect and subscribe every subscriber first, so `ready` means "publish now".
    let endpoint = Arc::new(options.client.endpoint(options.subscribers).await?);
    let mut connecting = JoinSet::new();
    for index in 0..options.subscribers {
        let (options, endpoint) = (options.clone(), Arc::clone(&endpoint));
        connecting.spawn(async move { subscribe_one(&options, &endpoint, index).await });
    }
    let mut wires = Vec::new();
    while let Some(joined) = connecting.join_next().await {
        match joined {
            Ok(Ok(wire)) => wires.push(wire),
            Ok(Err(error)) => note_failure(&mut report.failed, &mut report.first_error, &error),
            Err(error) => note_failure(&mut report.failed, &mut report.first_error, &error),
        }
    }
    ready(&report);
    let counters = Arc::new(Counters::default());
    let options = Arc::new(options);
    let mut tasks = JoinSet::new();
    for wire in wires {
        let (options, counters) = (Arc::clone(&options), Arc::clone(&counters));
        tasks.spawn(async move { receive(wire, &options, &counters).await });
    }
    let mut histogram = latency::new_histogram()?;
    let (mut first, mut last) = (None::<Instant>, None::<Instant>);
    let second = Duration::from_secs(1);
    let mut tick = tokio::time::interval_at(Instant::now() + second, second);
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Ok(Ok(collected))) => {
                    histogram.add(&collected.histogram).map_err(|error| BenchError::InvalidOptions(format!("histogram: {error}")))?;
                    let (lost, duplicates, reordered) = collected.tracker.totals();
                    report.lost += lost;
                    report.duplicates += duplicates;
                    report.reordered += reordered;
                    report.bad_payloads += collected.bad_payloads;
                    first = min_some(first, collected.first);
                    last = collected.last.max(last);
                }
                Some(Ok(Err(error))) => note_failure(&mut report.failed, &mut report.first_error, &error),
                Some(Err(error)) => note_failure(&mut report.failed, &mut report.first_error, &error),
            },
            _ = tick.tick() => {
                report.received = counters.messages.load(Ordering::Relaxed);
                report.elapsed_s = started.elapsed().as_secs_f64();
                progress(&report);
            }
        }
    }
    report.received = counters.messages.load(Ordering::Relaxed);
    report.elapsed_s = started.elapsed().as_secs_f64();
    report.latency = LatencySummary::of(&histogram);
    if let (Some(first), Some(last)) = (first, last) {
        report.msgs_per_s = per_second(report.received, last.duration_since(first).as_secs_f64());
    }
    Ok(report)
}

/// The earlier of two optional instants.
fn min_some(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Connects subscriber `index` and subscribes it; waits for the SUBACK.
async fn subscribe_one(
    options: &SubOptions,
    endpoint: &Endpoint,
    index: u32,
) -> Result<Wire, BenchError> {
    let (mut wire, client_id) = options.client.connect(endpoint, index).await?;
    let filter = TopicFilter::new(&topic::expand(&options.topic, index, &client_id))?;
    let subscription = SubscriptionOptions {
        qos: options.qos,
        ..SubscriptionOptions::default()
    };
    wire.queue(&Packet::Subscribe(Subscribe::new(
        PacketId::MIN,
        filter,
        subscription,
    )))?;
    wire.flush().await?;
    let packet = tokio::time::timeout(options.client.connect_timeout, wire.read_packet())
        .await
        .map_err(|_| BenchError::Timeout("SUBACK"))??;
    match packet {
        Packet::SubAck(suback) => match suback.reasons.first() {
            Some(reason) if reason.is_success() => Ok(wire),
            Some(reason) => Err(BenchError::SubscriptionRefused(*reason)),
            None => Err(BenchError::Unexpected("a SUBACK without reason codes")),
        },
        Packet::Disconnect(disconnect) => Err(BenchError::Refused(disconnect.reason)),
        _ => Err(BenchError::Unexpected("a packet other than SUBACK")),
    }
}

/// Receives until the duration ends or the subscriber is idle; acknowledges as the QoS needs.
async fn receive(
    mut wire: Wire,
    options: &SubOptions,
    counters: &Counters,
) -> Result<Collected, BenchError> {
    let mut collected = Collected {
        histogram: latency::new_histogram()?,
        tracker: Tracker::default(),
        bad_payloads: 0,
        first: None,
        last: None,
    };
    let end = Instant::now() + options.duration;
    let ping_every = options.client.ping_every();
    let mut next_ping = ping_every.map(|every| Instant::now() + every);
    loop {
        let mut received = 0;
        // Every message of one read arrived at the same time.
        let now_ns = payload::now_ns();
        loop {
            if let Some(view) = wire.try_take_publish() {
                received += 1;
                match view.header {
                    Some(header) => record_header(&mut collected, header, now_ns),
                    None => collected.bad_payloads += 1,
                }
                acknowledge(&mut wire, view.qos, view.packet_id)?;
                continue;
            }
            let Some(packet) = wire.try_decode()? else {
                break;
            };
            match packet {
                Packet::Publish(publish) => {
                    received += 1;
                    record(&mut collected, &publish.payload, now_ns);
                    acknowledge(&mut wire, publish.qos, publish.packet_id)?;
                }
                Packet::PubRel(rel) => wire.queue(&Packet::PubComp(PubComp::new(rel.packet_id)))?,
                Packet::PingResp => {}
                Packet::Disconnect(disconnect) => {
                    return Err(BenchError::Refused(disconnect.reason));
                }
                _ => return Err(BenchError::Unexpected("a packet sent to a subscriber")),
            }
        }
        if received > 0 {
            let now = Instant::now();
            collected.first.get_or_insert(now);
            collected.last = Some(now);
            counters.messages.fetch_add(received, Ordering::Relaxed);
        }
        wire.flush().await?;
        let idle_end = options
            .idle
            .zip(collected.last)
            .map(|(idle, last)| last + idle);
        let stop = idle_end.map_or(end, |idle_end| idle_end.min(end));
        tokio::select! {
            read = wire.fill() => read?,
            () = tokio::time::sleep_until(stop) => {
                wire.close().await;
                return Ok(collected);
            }
            () = sleep_until_or_never(next_ping) => {
                wire.queue(&Packet::PingReq)?;
                next_ping = ping_every.map(|every| Instant::now() + every);
            }
        }
    }
}

/// Acknowledges a received PUBLISH as its QoS needs.
fn acknowledge(wire: &mut Wire, qos: QoS, packet_id: Option<PacketId>) -> Result<(), BenchError> {
    match (qos, packet_id) {
        (QoS::AtMostOnce, _) => Ok(()),
        (QoS::AtLeastOnce, Some(id)) => wire.queue(&Packet::PubAck(PubAck::new(id))),
        (QoS::ExactlyOnce, Some(id)) => wire.queue(&Packet::PubRec(PubRec::new(id))),
        (_, None) => Err(BenchError::Unexpected("PUBLISH without a packet id")),
    }
}

/// Records one received message's latency (it arrived at `now`, in ns since the epoch) and
/// its sequence, from its benchmark header.
fn record_header(collected: &mut Collected, header: Header, now: u64) {
    latency::record(
        &mut collected.histogram,
        now.saturating_sub(header.sent_ns) / 1000,
    );
    collected.tracker.record(header.publisher, header.sequence);
}

/// Records one received payload's latency (it arrived at `now`, in ns since the epoch) and
/// its sequence.
fn record(collected: &mut Collected, payload: &[u8], now: u64) {
    match Header::read(payload) {
        Ok(header) => record_header(collected, header, now),
        Err(_) => collected.bad_payloads += 1,
    }
}
