//! `hermod bench conn`: open `connections` MQTT connections at up to `rate` per second, keep
//! each for `hold` after it is accepted (answering keep alive), then close them all.
//!
//! CONNACK latency is the time from the start of the TCP connect to the accepting CONNACK, so it
//! includes the TCP handshake. A connection that fails (refused, timed out, closed) is counted
//! and the run goes on; the first error is kept for the report.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hermod_codec::{Connect, MqttString, Packet, ProtocolVersion};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::BenchError;
use crate::cpu;
use crate::endpoint::Endpoint;
use crate::latency::{self, LatencySummary};
use crate::wire::Wire;

/// What `hermod bench conn` does.
#[derive(Clone, Debug)]
pub struct ConnOptions {
    /// The broker, `host:port`.
    pub address: String,
    /// How many connections to open.
    pub connections: u32,
    /// At most this many new connections per second; 0 is as fast as possible.
    pub rate: u32,
    /// The protocol version of every connection.
    pub version: ProtocolVersion,
    /// How long each connection is kept once accepted.
    pub hold: Duration,
    /// Client ids are this prefix followed by the connection's index.
    pub client_id_prefix: String,
    /// Keep alive in seconds (0: none); a PINGREQ goes out every half of it while held.
    pub keep_alive: u16,
    /// How long to wait for the TCP connection and the CONNACK together.
    pub connect_timeout: Duration,
    /// Local addresses to connect from, round robin (empty: automatic, see [`Endpoint`]).
    pub source_addresses: Vec<IpAddr>,
    /// Clean start, session expiry and credentials.
    pub session: crate::SessionOptions,
}

/// The result of `hermod bench conn` (also its progress, while it runs).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConnReport {
    /// Connections asked for.
    pub connections: u32,
    /// Connections accepted with a successful CONNACK.
    pub established: u64,
    /// Connections that failed to connect or were lost while held.
    pub failed: u64,
    /// Seconds since the start.
    pub elapsed_s: f64,
    /// Connections established per second of the connect phase (until the last CONNACK).
    pub connect_rate: f64,
    /// CONNACK latency in microseconds.
    pub connack_latency: LatencySummary,
    /// CPU seconds this tool used in the connect phase (until every connection was
    /// established or failed); absent where `/proc` is not available.
    pub tool_cpu_s: Option<f64>,
    /// `tool_cpu_s` as a share of one core over the connect phase: near 1, the tool's core
    /// (which on loopback also runs the kernel's work for both ends of each TCP handshake)
    /// limits the rate, not the broker.
    pub tool_cpu_share: Option<f64>,
    /// The first error seen, if any.
    pub first_error: Option<String>,
}

/// What a connection task reports.
enum Event {
    /// Accepted after this long.
    Established(Duration),
    /// Failed to connect, or lost while held.
    Failed(BenchError),
}

/// Runs the benchmark, calling `progress` about once a second with the counts so far.
pub async fn run_conn(
    options: ConnOptions,
    mut progress: impl FnMut(&ConnReport),
) -> Result<ConnReport, BenchError> {
    if options.connections == 0 {
        return Err(BenchError::InvalidOptions("no connections to open".into()));
    }
    let endpoint = Arc::new(
        Endpoint::resolve(
            &options.address,
            options.connections,
            &options.source_addresses,
        )
        .await?,
    );
    let mut histogram = latency::new_histogram()?;
    let cpu_before = cpu::process_cpu_time();
    let started = Instant::now();
    let mut report = ConnReport {
        connections: options.connections,
        ..ConnReport::default()
    };
    let (events, mut received) = mpsc::unbounded_channel();
    let mut tasks = JoinSet::new();
    let mut next_open = started;
    let gap = if options.rate == 0 {
        Duration::ZERO
    } else {
        Duration::from_secs(1) / options.rate
    };
    let mut opened = 0u32;
    let mut last_connack = started;
    let mut tick =
        tokio::time::interval_at(started + Duration::from_secs(1), Duration::from_secs(1));
    loop {
        if opened < options.connections && Instant::now() >= next_open {
            let events = events.clone();
            let options_for_task = options.clone();
            let endpoint = Arc::clone(&endpoint);
            let index = opened;
            tasks.spawn(async move {
                hold_one(&options_for_task, &endpoint, index, &events).await;
            });
            opened += 1;
            next_open += gap;
            if gap.is_zero() {
                // Yield now and then so the spawned tasks start while more are spawned.
                tokio::task::yield_now().await;
                continue;
            }
        }
        let open_more = opened < options.connections;
        tokio::select! {
            _ = tokio::time::sleep_until(next_open), if open_more => {}
            event = received.recv() => match event {
                Some(event) => {
                    if let Some(at) = count(&mut report, &mut histogram, event) {
                        last_connack = at;
                    }
                    note_connect_phase_cpu(&mut report, cpu_before, started);
                }
                // Not reached: this function holds a sender until the loop ends.
                None => break,
            },
            joined = tasks.join_next(), if !tasks.is_empty() => {
                if let Some(Err(error)) = joined {
                    report.failed += 1;
                    report.first_error.get_or_insert_with(|| error.to_string());
                }
                if tasks.is_empty() && !open_more {
                    break;
                }
            }
            _ = tick.tick() => {
                fill(&mut report, &histogram, started, last_connack);
                progress(&report);
            }
        }
    }
    // Events sent just before a task ended may still be queued.
    drop(events);
    while let Some(event) = received.recv().await {
        if let Some(at) = count(&mut report, &mut histogram, event) {
            last_connack = at;
        }
        note_connect_phase_cpu(&mut report, cpu_before, started);
    }
    fill(&mut report, &histogram, started, last_connack);
    Ok(report)
}

/// Counts one connection's outcome; returns when it was established, if it was.
fn count(
    report: &mut ConnReport,
    histogram: &mut hdrhistogram::Histogram<u64>,
    event: Event,
) -> Option<Instant> {
    match event {
        Event::Established(took) => {
            report.established += 1;
            latency::record(histogram, duration_us(took));
            Some(Instant::now())
        }
        Event::Failed(error) => {
            report.failed += 1;
            report.first_error.get_or_insert_with(|| error.to_string());
            None
        }
    }
}

/// Once every connection has been established or has failed, records the tool's CPU time
/// of the connect phase.
fn note_connect_phase_cpu(report: &mut ConnReport, cpu_before: Option<Duration>, started: Instant) {
    if report.established + report.failed < u64::from(report.connections)
        || report.tool_cpu_s.is_some()
    {
        return;
    }
    let used = cpu_before
        .zip(cpu::process_cpu_time())
        .map(|(before, now)| now.saturating_sub(before).as_secs_f64());
    let phase = started.elapsed().as_secs_f64().max(1e-9);
    report.tool_cpu_s = used;
    report.tool_cpu_share = used.map(|used| used / phase);
}

/// Updates the derived fields of `report`.
fn fill(
    report: &mut ConnReport,
    histogram: &hdrhistogram::Histogram<u64>,
    started: Instant,
    last_connack: Instant,
) {
    report.elapsed_s = started.elapsed().as_secs_f64();
    report.connack_latency = LatencySummary::of(histogram);
    let connect_phase = last_connack.duration_since(started).as_secs_f64();
    report.connect_rate = if connect_phase > 0.0 {
        report.established as f64 / connect_phase
    } else {
        0.0
    };
}

/// Opens connection `index`, reports it, keeps it for `options.hold` and closes it.
async fn hold_one(
    options: &ConnOptions,
    endpoint: &Endpoint,
    index: u32,
    events: &mpsc::UnboundedSender<Event>,
) {
    let result = open(options, endpoint, index).await;
    let mut wire = match result {
        Ok((wire, took)) => {
            let _ = events.send(Event::Established(took));
            wire
        }
        Err(error) => {
            let _ = events.send(Event::Failed(error));
            return;
        }
    };
    match keep(&mut wire, options).await {
        Ok(()) => wire.close().await,
        Err(error) => {
            let _ = events.send(Event::Failed(error));
        }
    }
}

/// Connects client `index` with a CONNECT built from `options`.
async fn open(
    options: &ConnOptions,
    endpoint: &Endpoint,
    index: u32,
) -> Result<(Wire, Duration), BenchError> {
    let client_id = format!("{}{index}", options.client_id_prefix);
    let mut connect = Connect::new(options.version, MqttString::new(&client_id)?);
    connect.keep_alive = options.keep_alive;
    options.session.apply(&mut connect)?;
    Wire::connect(endpoint, index, connect, options.connect_timeout).await
}

/// Holds an accepted connection for `options.hold`, sending PINGREQ every half keep alive and
/// reading (and dropping) whatever the server sends.
async fn keep(wire: &mut Wire, options: &ConnOptions) -> Result<(), BenchError> {
    let until = Instant::now() + options.hold;
    let ping_every = if options.keep_alive == 0 {
        None
    } else {
        Some(Duration::from_millis(u64::from(options.keep_alive) * 500))
    };
    let mut next_ping = ping_every.map(|every| Instant::now() + every);
    loop {
        let wake = match next_ping {
            Some(ping) if ping < until => ping,
            _ => until,
        };
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {
                if wake >= until {
                    return Ok(());
                }
                wire.queue(&Packet::PingReq)?;
                wire.flush().await?;
                next_ping = ping_every.map(|every| Instant::now() + every);
            }
            packet = wire.read_packet() => match packet? {
                Packet::PingResp => {}
                Packet::Disconnect(disconnect) => return Err(BenchError::Refused(disconnect.reason)),
                _ => return Err(BenchError::Unexpected("a packet on an idle connection")),
            },
        }
    }
}

/// `duration` in whole microseconds, saturating.
fn duration_us(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
