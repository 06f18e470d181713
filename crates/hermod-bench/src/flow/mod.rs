//! `hermod bench pub` and `hermod bench sub`: publishers that send timestamped, numbered
//! payloads at a fixed rate, and subscribers that measure end-to-end latency and count lost,
//! duplicated and reordered messages per publisher.
//!
//! Each publisher encodes every publish that is due into its write buffer and sends them with
//! one write; each subscriber decodes every complete packet of a read and sends its
//! acknowledgements with one write. For QoS 1 and 2 a publisher keeps at most `max_inflight`
//! messages unacknowledged (the broker acknowledges in order, so packet ids cycle safely).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use hdrhistogram::Histogram;
use hermod_codec::{
    Connect, MqttString, Packet, PacketId, ProtocolVersion, PubAck, PubComp, PubRec, PubRel,
    Publish, QoS, Subscribe, SubscriptionOptions, TopicFilter, TopicName,
};
use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::BenchError;
use crate::latency::{self, LatencySummary};
use crate::payload::{self, Header};
use crate::topic;
use crate::tracker::Tracker;
use crate::wire::Wire;

/// How each client connects.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The broker, `host:port`.
    pub address: String,
    /// The protocol version.
    pub version: ProtocolVersion,
    /// Client ids are this prefix followed by the client's index.
    pub client_id_prefix: String,
    /// Keep alive in seconds (0: none); a PINGREQ goes out every half of it.
    pub keep_alive: u16,
    /// How long to wait for the TCP connection and the CONNACK together.
    pub connect_timeout: Duration,
}

impl ClientOptions {
    /// Connects client `index`; returns the connection and its client id.
    async fn connect(&self, index: u32) -> Result<(Wire, String), BenchError> {
        let client_id = format!("{}{index}", self.client_id_prefix);
        let mut connect = Connect::new(self.version, MqttString::new(&client_id)?);
        connect.keep_alive = self.keep_alive;
        let (wire, _) = Wire::connect(&self.address, connect, self.connect_timeout).await?;
        Ok((wire, client_id))
    }

    /// How often to ping, if at all.
    fn ping_every(&self) -> Option<Duration> {
        (self.keep_alive > 0).then(|| Duration::from_millis(u64::from(self.keep_alive) * 500))
    }
}

/// What `hermod bench pub` does.
#[derive(Clone, Debug)]
pub struct PubOptions {
    /// How to connect.
    pub client: ClientOptions,
    /// How many publishers.
    pub publishers: u32,
    /// The topic template (`%i`, `%c`; see [`crate::topic`]).
    pub topic: String,
    /// Messages per second of each publisher.
    pub rate: f64,
    /// Payload size in bytes (at least the header's [`payload::HEADER_LEN`]).
    pub size: usize,
    /// The QoS of every message.
    pub qos: QoS,
    /// How long to publish.
    pub duration: Duration,
    /// At most this many unacknowledged messages per publisher (QoS 1 and 2).
    pub max_inflight: u16,
}

/// The result of `hermod bench pub` (also its progress).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PubReport {
    /// Publishers asked for.
    pub publishers: u32,
    /// Publishers that failed (to connect, or on the way).
    pub failed: u64,
    /// Messages sent.
    pub sent: u64,
    /// Messages acknowledged (QoS 1 and 2; 0 for QoS 0).
    pub acked: u64,
    /// Seconds since the start.
    pub elapsed_s: f64,
    /// Messages sent per second.
    pub msgs_per_s: f64,
    /// The first error seen, if any.
    pub first_error: Option<String>,
}

/// Counters shared between the tasks and the progress reporter.
#[derive(Debug, Default)]
struct Counters {
    messages: AtomicU64,
    acked: AtomicU64,
}

/// Runs the publishers, calling `progress` about once a second.
pub async fn run_pub(
    options: PubOptions,
    mut progress: impl FnMut(&PubReport),
) -> Result<PubReport, BenchError> {
    if options.publishers == 0 || !(options.rate > 0.0 && options.rate.is_finite()) {
        return Err(BenchError::InvalidOptions(
            "need at least one publisher and a positive rate".into(),
        ));
    }
    let counters = Arc::new(Counters::default());
    let options = Arc::new(options);
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for index in 0..options.publishers {
        let (options, counters) = (Arc::clone(&options), Arc::clone(&counters));
        tasks.spawn(async move { publish_one(&options, index, &counters).await });
    }
    let mut report = PubReport {
        publishers: options.publishers,
        ..PubReport::default()
    };
    let second = Duration::from_secs(1);
    let mut tick = tokio::time::interval_at(started + second, second);
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(error))) => note_failure(&mut report.failed, &mut report.first_error, &error),
                Some(Err(error)) => note_failure(&mut report.failed, &mut report.first_error, &error),
            },
            _ = tick.tick() => {
                fill_pub(&mut report, &counters, started);
                progress(&report);
            }
        }
    }
    fill_pub(&mut report, &counters, started);
    Ok(report)
}

/// Counts a failed client and keeps the first error.
fn note_failure(failed: &mut u64, first: &mut Option<String>, error: &dyn std::fmt::Display) {
    *failed += 1;
    first.get_or_insert_with(|| error.to_string());
}

/// Updates the derived fields of a publisher report.
fn fill_pub(report: &mut PubReport, counters: &Counters, started: Instant) {
    report.sent = counters.messages.load(Ordering::Relaxed);
    report.acked = counters.acked.load(Ordering::Relaxed);
    report.elapsed_s = started.elapsed().as_secs_f64();
    report.msgs_per_s = per_second(report.sent, report.elapsed_s);
}

/// `count / seconds`, 0 for no time.
fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// One publisher: connect, publish what is due at each tick in one write, then wait (up to the
/// connect timeout) for the last acknowledgements and disconnect.
async fn publish_one(
    options: &PubOptions,
    index: u32,
    counters: &Counters,
) -> Result<(), BenchError> {
    let (mut wire, client_id) = options.client.connect(index).await?;
    let topic = TopicName::new(&topic::expand(&options.topic, index, &client_id))?;
    let started = Instant::now();
    let end = started + options.duration;
    let period = Duration::from_secs_f64((1.0 / options.rate).max(0.001));
    let mut tick = tokio::time::interval_at(started, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let ping_every = options.client.ping_every();
    let mut next_ping = ping_every.map(|every| started + every);
    let mut sequence = 0u64;
    let mut inflight = 0u64;
    let mut next_id = PacketId::MIN;
    let mut payload = BytesMut::new();
    let mut sending = true;
    let mut drain_until = None;
    loop {
        while let Some(packet) = wire.try_decode()? {
            match packet {
                Packet::PubAck(_) if options.qos == QoS::AtLeastOnce => {
                    inflight = inflight.saturating_sub(1);
                    counters.acked.fetch_add(1, Ordering::Relaxed);
                }
                Packet::PubRec(rec) => wire.queue(&Packet::PubRel(PubRel::new(rec.packet_id)))?,
                Packet::PubComp(_) => {
                    inflight = inflight.saturating_sub(1);
                    counters.acked.fetch_add(1, Ordering::Relaxed);
                }
                Packet::PingResp => {}
                Packet::Disconnect(disconnect) => {
                    return Err(BenchError::Refused(disconnect.reason));
                }
                _ => return Err(BenchError::Unexpected("a packet sent to a publisher")),
            }
        }
        if !sending && (inflight == 0 || drain_until.is_some_and(|until| Instant::now() >= until)) {
            wire.flush().await?;
            wire.close().await;
            return Ok(());
        }
        if wire.has_queued() {
            wire.flush().await?;
        }
        tokio::select! {
            read = wire.fill() => read?,
            now = tick.tick(), if sending => {
                if now >= end {
                    sending = false;
                    drain_until = Some(now + options.client.connect_timeout);
                    continue;
                }
                let elapsed = now.duration_since(started).as_secs_f64();
                // Messages due by now: the first at the start, then one per period.
                let due = (elapsed * options.rate) as u64 + 1;
                let window = u64::from(options.max_inflight.max(1));
                let mut batch = due.saturating_sub(sequence);
                if options.qos != QoS::AtMostOnce {
                    batch = batch.min(window.saturating_sub(inflight));
                }
                let sent_ns = payload::now_ns();
                for _ in 0..batch {
                    Header { sent_ns, publisher: index, sequence }.write(options.size, &mut payload);
                    let mut publish = Publish::new(topic.clone(), payload.split().freeze());
                    publish.qos = options.qos;
                    if options.qos != QoS::AtMostOnce {
                        publish.packet_id = Some(next_id);
                        next_id = next_id.next();
                        inflight += 1;
                    }
                    wire.queue(&Packet::Publish(publish))?;
                    sequence += 1;
                }
                counters.messages.fetch_add(batch, Ordering::Relaxed);
            }
            () = sleep_until_or_never(next_ping) => {
                wire.queue(&Packet::PingReq)?;
                next_ping = ping_every.map(|every| Instant::now() + every);
            }
            () = sleep_until_or_never(drain_until) => {}
        }
    }
}

/// Sleeps until `at`, or forever without it.
async fn sleep_until_or_never(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

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
    let mut connecting = JoinSet::new();
    for index in 0..options.subscribers {
        let options = options.clone();
        connecting.spawn(async move { subscribe_one(&options, index).await });
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
async fn subscribe_one(options: &SubOptions, index: u32) -> Result<Wire, BenchError> {
    let (mut wire, client_id) = options.client.connect(index).await?;
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
        while let Some(packet) = wire.try_decode()? {
            match packet {
                Packet::Publish(publish) => {
                    received += 1;
                    record(&mut collected, &publish.payload);
                    match (publish.qos, publish.packet_id) {
                        (QoS::AtMostOnce, _) => {}
                        (QoS::AtLeastOnce, Some(id)) => {
                            wire.queue(&Packet::PubAck(PubAck::new(id)))?
                        }
                        (QoS::ExactlyOnce, Some(id)) => {
                            wire.queue(&Packet::PubRec(PubRec::new(id)))?
                        }
                        (_, None) => {
                            return Err(BenchError::Unexpected("PUBLISH without a packet id"));
                        }
                    }
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

/// Records one received payload's latency and sequence.
fn record(collected: &mut Collected, payload: &[u8]) {
    let now = payload::now_ns();
    match Header::read(payload) {
        Ok(header) => {
            latency::record(
                &mut collected.histogram,
                now.saturating_sub(header.sent_ns) / 1000,
            );
            collected.tracker.record(header.publisher, header.sequence);
        }
        Err(_) => collected.bad_payloads += 1,
    }
}
