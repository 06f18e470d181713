//! Broker counters: plain relaxed atomics, cheap on the publish path.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters the broker keeps (exported as metrics by the server).
#[derive(Debug, Default)]
pub struct Stats {
    /// PUBLISH packets received from clients.
    pub messages_received: AtomicU64,
    /// PUBLISH packets sent to clients.
    pub messages_sent: AtomicU64,
    /// Messages dropped by queue limits or overflow policy.
    pub messages_dropped: AtomicU64,
    /// Messages not delivered to a subscriber because they exceed its Maximum Packet Size.
    pub messages_too_large: AtomicU64,
    /// Messages that expired before delivery.
    pub messages_expired: AtomicU64,
    /// Connections accepted (CONNACK success).
    pub connections: AtomicU64,
    /// Protocol violations that closed a connection.
    pub protocol_violations: AtomicU64,
    /// Connections set aside while idle (a gauge kept by the server: no task and no
    /// per-socket registration of the runtime until they have something to do).
    pub parked_connections: AtomicU64,
}

impl Stats {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Subtracts one from a gauge (saturating at 0).
    pub fn drop_one(gauge: &AtomicU64) {
        let _ = gauge.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |value| {
            value.checked_sub(1)
        });
    }

    /// Reads a counter.
    pub fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
