//! The publishers of `hermod bench pub` (and of the scenarios): every publisher connects
//! first, then all publish together, at a fixed rate or as fast as they can (closed loop).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::BytesMut;
use hermod_codec::{Packet, PacketId, PubRel, Publish, QoS, TopicName};
use serde::Serialize;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::metronome::Metronome;
use super::{ClientOptions, Counters, note_failure, per_second, sleep_until_or_never};
use crate::BenchError;
use crate::payload::{self, Header};
use crate::topic;
use crate::wire::Wire;

/// How fast each publisher publishes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// This many messages per second per publisher (an offered load).
    Fixed(f64),
    /// As fast as the connection takes them (closed loop): at QoS 1 and 2 a new message goes
    /// out as soon as the in-flight window has room; at QoS 0 batches of
    /// [`CLOSED_LOOP_BATCH`] go out whenever the socket accepts them.
    Max,
}

/// Messages a closed-loop QoS 0 publisher encodes into one write.
pub const CLOSED_LOOP_BATCH: u64 = 64;

/// What `hermod bench pub` does.
#[derive(Clone, Debug)]
pub struct PubOptions {
    /// How to connect.
    pub client: ClientOptions,
    /// How many publishers.
    pub publishers: u32,
    /// The topic template (`%i`, `%c`; see [`crate::topic`]).
    pub topic: String,
    /// How fast each publisher publishes.
    pub pace: Pace,
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
    /// Seconds since the publishers started publishing (after all of them connected).
    pub elapsed_s: f64,
    /// Messages sent per second.
    pub msgs_per_s: f64,
    /// The first error seen, if any.
    pub first_error: Option<String>,
}

/// Runs the publishers, calling `progress` about once a second once they publish.
pub async fn run_pub(
    options: PubOptions,
    mut progress: impl FnMut(&PubReport),
) -> Result<PubReport, BenchError> {
    if options.publishers == 0 {
        return Err(BenchError::InvalidOptions(
            "need at least one publisher".into(),
        ));
    }
    if let Pace::Fixed(rate) = options.pace
        && !(rate > 0.0 && rate.is_finite())
    {
        return Err(BenchError::InvalidOptions(
            "the rate must be a positive number".into(),
        ));
    }
    let mut report = PubReport {
        publishers: options.publishers,
        ..PubReport::default()
    };
    let endpoint = Arc::new(options.client.endpoint(options.publishers).await?);
    // Connect every publisher first, so that all start publishing together.
    let mut connecting = JoinSet::new();
    for index in 0..options.publishers {
        let (client, endpoint) = (options.client.clone(), Arc::clone(&endpoint));
        connecting.spawn(async move {
            let (wire, client_id) = client.connect(&endpoint, index).await?;
            Ok::<_, BenchError>((index, wire, client_id))
        });
    }
    let mut connected = Vec::new();
    while let Some(joined) = connecting.join_next().await {
        match joined {
            Ok(Ok(publisher)) => connected.push(publisher),
            Ok(Err(error)) => note_failure(&mut report.failed, &mut report.first_error, &error),
            Err(error) => note_failure(&mut report.failed, &mut report.first_error, &error),
        }
    }
    let counters = Arc::new(Counters::default());
    let options = Arc::new(options);
    let started = Instant::now();
    // Fixed-rate publishers follow one common schedule with sub-millisecond spacing.
    let metronome = match options.pace {
        Pace::Fixed(rate) => Some(Metronome::start(
            options.publishers,
            rate * f64::from(options.publishers),
            started.into_std(),
            (started + options.duration).into_std(),
        )?),
        Pace::Max => None,
    };
    let ticks = metronome.as_ref().map(Metronome::ticks);
    let mut tasks = JoinSet::new();
    for (index, wire, client_id) in connected {
        let (options, counters) = (Arc::clone(&options), Arc::clone(&counters));
        let ticks = ticks.clone();
        tasks.spawn(async move {
            let tick = ticks.as_deref().and_then(|ticks| ticks.get(index as usize));
            publish_one(wire, &client_id, &options, index, started, tick, &counters).await
        });
    }
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

/// Updates the derived fields of a publisher report.
fn fill_pub(report: &mut PubReport, counters: &Counters, started: Instant) {
    report.sent = counters.messages.load(Ordering::Relaxed);
    report.acked = counters.acked.load(Ordering::Relaxed);
    report.elapsed_s = started.elapsed().as_secs_f64();
    report.msgs_per_s = per_second(report.sent, report.elapsed_s);
}

/// One publisher's state while it publishes.
struct Publisher<'a> {
    options: &'a PubOptions,
    index: u32,
    topic: TopicName,
    sequence: u64,
    inflight: u64,
    next_id: PacketId,
    payload: BytesMut,
}

impl Publisher<'_> {
    /// Room in the in-flight window (unbounded at QoS 0).
    fn room(&self) -> u64 {
        if self.options.qos == QoS::AtMostOnce {
            u64::MAX
        } else {
            u64::from(self.options.max_inflight.max(1)).saturating_sub(self.inflight)
        }
    }

    /// Encodes `count` publishes into the write buffer.
    fn queue(&mut self, wire: &mut Wire, count: u64) -> Result<(), BenchError> {
        let sent_ns = payload::now_ns();
        for _ in 0..count {
            Header {
                sent_ns,
                publisher: self.index,
                sequence: self.sequence,
            }
            .write(self.options.size, &mut self.payload);
            let mut publish = Publish::new(self.topic.clone(), self.payload.split().freeze());
            publish.qos = self.options.qos;
            if self.options.qos != QoS::AtMostOnce {
                publish.packet_id = Some(self.next_id);
                self.next_id = self.next_id.next();
                self.inflight += 1;
            }
            wire.queue(&Packet::Publish(publish))?;
            self.sequence += 1;
        }
        Ok(())
    }

    /// Handles one packet from the server.
    fn handle(
        &mut self,
        wire: &mut Wire,
        packet: Packet,
        counters: &Counters,
    ) -> Result<(), BenchError> {
        match packet {
            Packet::PubAck(_) if self.options.qos == QoS::AtLeastOnce => self.acked(counters),
            Packet::PubRec(rec) => wire.queue(&Packet::PubRel(PubRel::new(rec.packet_id)))?,
            Packet::PubComp(_) if self.options.qos == QoS::ExactlyOnce => self.acked(counters),
            Packet::PingResp => {}
            Packet::Disconnect(disconnect) => return Err(BenchError::Refused(disconnect.reason)),
            _ => return Err(BenchError::Unexpected("a packet sent to a publisher")),
        }
        Ok(())
    }

    /// One message fully acknowledged.
    fn acked(&mut self, counters: &Counters) {
        self.inflight = self.inflight.saturating_sub(1);
        counters.acked.fetch_add(1, Ordering::Relaxed);
    }
}

/// One publisher: publish what is due (fixed pace, woken by its metronome `tick`) or what
/// the window and socket take (closed loop), every batch in one write; then wait (up to the
/// connect timeout) for the last acknowledgements and disconnect.
async fn publish_one(
    mut wire: Wire,
    client_id: &str,
    options: &PubOptions,
    index: u32,
    started: Instant,
    tick: Option<&Notify>,
    counters: &Counters,
) -> Result<(), BenchError> {
    let mut publisher = Publisher {
        options,
        index,
        topic: TopicName::new(&topic::expand(&options.topic, index, client_id))?,
        sequence: 0,
        inflight: 0,
        next_id: PacketId::MIN,
        payload: BytesMut::new(),
    };
    let end = started + options.duration;
    let rate = match options.pace {
        Pace::Fixed(rate) => Some(rate),
        Pace::Max => None,
    };
    // Publishers take turns across the period (the metronome's schedule) rather than all
    // sending at the same instant, so a fixed-rate run offers an even load.
    let first = rate.map_or(started, |rate| {
        started
            + Duration::from_secs_f64(
                f64::from(index) / (rate * f64::from(options.publishers.max(1))),
            )
    });
    let ping_every = options.client.ping_every();
    let mut next_ping = ping_every.map(|every| started + every);
    let mut sending = true;
    let mut drain_until = None;
    loop {
        while let Some(packet) = wire.try_decode()? {
            publisher.handle(&mut wire, packet, counters)?;
        }
        if sending && Instant::now() >= end {
            sending = false;
            drain_until = Some(Instant::now() + options.client.connect_timeout);
        }
        if !sending
            && (publisher.inflight == 0 || drain_until.is_some_and(|until| Instant::now() >= until))
        {
            wire.flush().await?;
            wire.close().await;
            return Ok(());
        }
        // Closed loop: fill the window (or one batch at QoS 0) before waiting.
        let closed_loop = sending && rate.is_none();
        if closed_loop {
            let batch = publisher.room().min(CLOSED_LOOP_BATCH);
            publisher.queue(&mut wire, batch)?;
            counters.messages.fetch_add(batch, Ordering::Relaxed);
        }
        if wire.has_queued() {
            wire.flush().await?;
        }
        let keep_going = closed_loop && publisher.room() > 0;
        tokio::select! {
            biased;
            read = wire.fill() => read?,
            () = wait_for(tick), if sending && rate.is_some() => {
                let elapsed = Instant::now().saturating_duration_since(first).as_secs_f64();
                // Messages due by now: the first at the start, then one per period (with a
                // hundredth of a period's tolerance for the rounding of the two clocks).
                let due = (elapsed * rate.unwrap_or(0.0) + 0.01) as u64 + 1;
                let batch = due.saturating_sub(publisher.sequence).min(publisher.room());
                publisher.queue(&mut wire, batch)?;
                counters.messages.fetch_add(batch, Ordering::Relaxed);
            }
            () = sleep_until_or_never(next_ping) => {
                wire.queue(&Packet::PingReq)?;
                next_ping = ping_every.map(|every| Instant::now() + every);
            }
            () = sleep_until_or_never(drain_until) => {}
            () = sleep_until_or_never(sending.then_some(end)) => {}
            // A closed-loop publisher with room goes on at once (after a yield, so that reads
            // and other tasks run between batches).
            () = tokio::task::yield_now(), if keep_going => {}
        }
    }
}

/// Waits for the metronome's next signal, or forever without one.
async fn wait_for(tick: Option<&Notify>) {
    match tick {
        Some(tick) => tick.notified().await,
        None => std::future::pending().await,
    }
}
