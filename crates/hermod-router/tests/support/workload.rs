//! Realistic index contents shared by the memory test and the benchmarks.
//!
//! Subscriptions: a few broker-wide observers on `#`, some dashboards on `device/+/status`, 5 %
//! of devices watched with `device/{id}/#`, 5 % of the filters on `building/{b}/+/temperature`
//! (a thousand buildings, so several subscribers per filter), and the rest one `device/{id}/cmd`
//! per device: the shape of a fleet of devices each listening to its own command topic.
//!
//! Retained messages: `site-{s}/floor-{f}/sensor-{d}` in a 100 × 100 × 100 grid (a million).

#![allow(dead_code, unreachable_pub)]

/// Broker-wide `#` subscribers.
pub const HASH_SUBSCRIBERS: u64 = 5;
/// `device/+/status` subscribers.
pub const STATUS_SUBSCRIBERS: u64 = 20;

/// The `n`-th filter of the realistic mix (for `n` from 0).
pub fn filter(n: u64) -> String {
    if n < HASH_SUBSCRIBERS {
        return "#".to_owned();
    }
    if n < HASH_SUBSCRIBERS + STATUS_SUBSCRIBERS {
        return "device/+/status".to_owned();
    }
    match n % 20 {
        0 => format!("device/{n}/#"),
        1 => format!("building/{}/+/temperature", n % 1000),
        _ => format!("device/{n}/cmd"),
    }
}

/// An index-sized list of `(filter, key)` for `count` subscriptions.
pub fn subscriptions(count: u64) -> Vec<(String, u64)> {
    (0..count).map(|n| (filter(n), n)).collect()
}

/// `count` pseudo-random device ids below `below` (fixed seed, so runs compare).
pub fn device_ids(count: usize, below: u64) -> Vec<u64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        })
        .collect()
}

/// The retained topic at grid position `(site, floor, sensor)`.
pub fn retained_topic(site: u32, floor: u32, sensor: u32) -> String {
    format!("site-{site}/floor-{floor}/sensor-{sensor}")
}

/// Every retained topic of a `sites × 100 × 100` grid.
pub fn retained_topics(sites: u32) -> impl Iterator<Item = String> {
    (0..sites).flat_map(|site| {
        (0..100)
            .flat_map(move |floor| (0..100).map(move |sensor| retained_topic(site, floor, sensor)))
    })
}
