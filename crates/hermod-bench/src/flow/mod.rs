//! `hermod bench pub` and `hermod bench sub`: publishers that send timestamped, numbered
//! payloads at a fixed rate or as fast as they can, and subscribers that measure end-to-end
//! latency and count lost, duplicated and reordered messages per publisher.
//!
//! Each publisher encodes every publish that is due into its write buffer and sends them with
//! one write; each subscriber decodes every complete packet of a read and sends its
//! acknowledgements with one write. For QoS 1 and 2 a publisher keeps at most `max_inflight`
//! messages unacknowledged (the broker acknowledges in order, so packet ids cycle safely).
//!
//! - [`publisher`]: the publishers, [`run_pub`], paced by [`metronome`] at a fixed rate.
//! - [`subscriber`]: the subscribers, [`run_sub`].

use std::net::IpAddr;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use hermod_codec::{Connect, MqttString, ProtocolVersion};
use tokio::time::Instant;

use crate::BenchError;
use crate::endpoint::Endpoint;
use crate::wire::Wire;

mod metronome;
pub mod publisher;
pub mod subscriber;

pub use publisher::{Pace, PubOptions, PubReport, run_pub};
pub use subscriber::{SubOptions, SubReport, run_sub};

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
    /// Local addresses to connect from, round robin (empty: automatic, see [`Endpoint`]).
    pub source_addresses: Vec<IpAddr>,
    /// Clean start, session expiry and credentials.
    pub session: crate::SessionOptions,
}

impl ClientOptions {
    /// Resolves the broker's address for `clients` clients.
    async fn endpoint(&self, clients: u32) -> Result<Endpoint, BenchError> {
        Endpoint::resolve(&self.address, clients, &self.source_addresses).await
    }

    /// Connects client `index`; returns the connection and its client id.
    async fn connect(&self, endpoint: &Endpoint, index: u32) -> Result<(Wire, String), BenchError> {
        let client_id = format!("{}{index}", self.client_id_prefix);
        let mut connect = Connect::new(self.version, MqttString::new(&client_id)?);
        connect.keep_alive = self.keep_alive;
        self.session.apply(&mut connect)?;
        let (wire, _) = Wire::connect(endpoint, index, connect, self.connect_timeout).await?;
        Ok((wire, client_id))
    }

    /// How often to ping, if at all.
    fn ping_every(&self) -> Option<Duration> {
        (self.keep_alive > 0).then(|| Duration::from_millis(u64::from(self.keep_alive) * 500))
    }
}

/// Counters shared between the tasks and the progress reporter.
#[derive(Debug, Default)]
struct Counters {
    messages: AtomicU64,
    acked: AtomicU64,
}

/// Counts a failed client and keeps the first error.
fn note_failure(failed: &mut u64, first: &mut Option<String>, error: &dyn std::fmt::Display) {
    *failed += 1;
    first.get_or_insert_with(|| error.to_string());
}

/// `count / seconds`, 0 for no time.
fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// Sleeps until `at`, or forever without it.
async fn sleep_until_or_never(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
