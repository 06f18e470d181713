//! Decoding never allocates beyond a bound proportional to the packet size limit, and encoding
//! allocates exactly once (or not at all into a buffer with room).
//!
//! This test binary installs `hermod_testkit`'s counting allocator as its global allocator
//! (which needs `unsafe`, kept out of the codec crate) and measures, per `Decoder::decode`
//! call, the peak of live bytes allocated on the current thread, the returned packet included.
//!
//! The bound: a decoded packet holds zero-copy slices of the read buffer plus a few growable
//! collections (subscriptions, topic filters, user properties, subscription identifiers, reason
//! codes) whose element count is bounded by the packet's bytes. Each element costs at most
//! [`amplification`] bytes of memory per byte of wire; a growing `Vec` holds under twice its
//! elements, and while it reallocates the old block (under once more) is live too, hence
//! `3 * amplification * limit` plus a constant for boxes, buffer bookkeeping and the first,
//! minimum-capacity allocation of each collection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod strategies;

use std::mem::size_of;

use bytes::{BufMut, BytesMut};
use hermod_codec::{
    DecodeError, Decoder, Packet, ProtocolVersion, ReasonCode, RequestedFilter, Role, Subscription,
    SubscriptionId, UserProperty,
};
use hermod_testkit::alloc_counter::{CountingAllocator, is_installed, measure};
use proptest::collection::vec;
use proptest::prelude::*;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

/// Fixed costs of one decode call: the boxed CONNECT/CONNACK, the read buffer's shared
/// bookkeeping, and the minimum capacity (4 elements) of each of a packet's collections.
const CONSTANT: usize = 4096;

/// The most bytes of decoded collection one byte of wire can turn into, from the smallest wire
/// form of each collection's element.
fn amplification() -> usize {
    [
        // UNSUBSCRIBE: an empty filter (kept as invalid) is 2 bytes.
        size_of::<RequestedFilter>().div_ceil(2),
        // SUBSCRIBE: an empty filter and its options byte.
        size_of::<Subscription>().div_ceil(3),
        // A User Property: identifier and two empty strings.
        size_of::<UserProperty>().div_ceil(5),
        // A Subscription Identifier: identifier and a one-byte value.
        size_of::<SubscriptionId>().div_ceil(2),
        // SUBACK/UNSUBACK: one byte per code.
        size_of::<ReasonCode>(),
    ]
    .into_iter()
    .max()
    .unwrap_or(1)
}

/// The most a decode call with this packet size limit may allocate.
fn bound(limit: usize) -> usize {
    3 * amplification() * limit + CONSTANT
}

/// Decodes `buf` with a size limit until the decoder wants more or fails, returning the
/// highest peak of any one call.
fn peak_of_decoding(decoder: &mut Decoder, limit: usize, buf: &mut BytesMut) -> usize {
    decoder.set_max_packet_size(limit);
    let mut highest = 0;
    loop {
        let (result, measured) = measure(|| decoder.decode(buf));
        highest = highest.max(measured.peak_bytes);
        match result {
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return highest,
        }
    }
}

/// A Variable Byte Integer.
fn varint(mut value: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut byte = (value & 0x7F) as u8;
        value >>= 7;
        if value > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if value == 0 {
            return out;
        }
    }
}

/// A packet: the first byte, the minimal Remaining Length, the body.
fn frame(first_byte: u8, body: &[u8]) -> BytesMut {
    let mut buf = BytesMut::with_capacity(body.len() + 5);
    buf.put_u8(first_byte);
    buf.put_slice(&varint(body.len()));
    buf.put_slice(body);
    buf
}

/// A packet of `count` copies of `element`: `first_byte`, then `before`, then the copies
/// (inside a property block when `as_properties`), then `after`.
fn repeated(
    first_byte: u8,
    before: &[u8],
    (element, count): (&[u8], usize),
    as_properties: bool,
    after: &[u8],
) -> BytesMut {
    let elements = element.repeat(count);
    let mut body = before.to_vec();
    if as_properties {
        body.extend(varint(elements.len()));
    }
    body.extend(elements);
    body.extend_from_slice(after);
    frame(first_byte, &body)
}

/// The packets that turn the fewest wire bytes into the most decoded memory, each with `count`
/// elements in its largest collection: (name, role, version, bytes). All are valid packets.
fn worst_cases(count: usize) -> Vec<(&'static str, Role, ProtocolVersion, BytesMut)> {
    use ProtocolVersion::{V3_1_1, V5};
    let user_property: &[u8] = &[0x26, 0, 0, 0, 0];
    vec![
        (
            "UNSUBSCRIBE of empty filters",
            Role::Server,
            V3_1_1,
            repeated(0xA2, &[0, 1], (&[0, 0], count), false, &[]),
        ),
        (
            "SUBSCRIBE of empty filters",
            Role::Server,
            V3_1_1,
            repeated(0x82, &[0, 1], (&[0, 0, 0], count), false, &[]),
        ),
        (
            "SUBSCRIBE of one-byte filters",
            Role::Server,
            V3_1_1,
            repeated(0x82, &[0, 1], (&[0, 1, b'a', 0], count), false, &[]),
        ),
        (
            "PUBACK of user properties",
            Role::Server,
            V5,
            repeated(0x40, &[0, 1, 0x00], (user_property, count), true, &[]),
        ),
        (
            "SUBSCRIBE of user properties",
            Role::Server,
            V5,
            repeated(
                0x82,
                &[0, 1],
                (user_property, count),
                true,
                &[0, 1, b'a', 0],
            ),
        ),
        (
            "PUBLISH of subscription identifiers",
            Role::Client,
            V5,
            repeated(0x30, &[0, 1, b't'], (&[0x0B, 0x01], count), true, &[]),
        ),
        (
            "SUBACK of reason codes",
            Role::Client,
            V5,
            repeated(0x90, &[0, 1, 0], (&[0x00], count), false, &[]),
        ),
        (
            "UNSUBACK of reason codes",
            Role::Client,
            V5,
            repeated(0xB0, &[0, 1, 0], (&[0x00], count), false, &[]),
        ),
    ]
}

#[test]
fn counting_allocator_is_installed() {
    assert!(
        is_installed(),
        "the counting allocator must be this binary's global allocator"
    );
}

/// The adversarial packets decode (they are valid) within the bound, with the limit set to
/// their own size. Element counts just past a power of two are the worst case: the collection
/// has just doubled. Run with `--nocapture` to see the measured peaks.
#[test]
fn worst_case_packets_stay_within_bound() {
    assert!(is_installed());
    eprintln!(
        "amplification {} bytes per wire byte (RequestedFilter {} B, Subscription {} B, \
         UserProperty {} B, SubscriptionId {} B); bound = {} * limit + {CONSTANT}",
        amplification(),
        size_of::<RequestedFilter>(),
        size_of::<Subscription>(),
        size_of::<UserProperty>(),
        size_of::<SubscriptionId>(),
        3 * amplification(),
    );
    for count in [1, 4, 5, 16, 17, 256, 257, 4096, 4097, 65_536, 65_537] {
        for (name, role, version, packet) in worst_cases(count) {
            let limit = packet.len();
            let mut decoder = Decoder::with_version(role, version);
            decoder.set_max_packet_size(limit);
            let mut buf = packet;
            let (result, measured) = measure(|| decoder.decode(&mut buf));
            assert!(
                matches!(result, Ok(Some(_))),
                "{name} x {count}: {result:?}"
            );
            drop(result);
            eprintln!(
                "{name:<36} x {count:>6}: limit {limit:>7} peak {:>9} bytes = {:>5.1} x limit",
                measured.peak_bytes,
                measured.peak_bytes as f64 / limit as f64
            );
            assert!(
                measured.peak_bytes <= bound(limit),
                "{name} x {count}: peak {} > bound {} for limit {limit}",
                measured.peak_bytes,
                bound(limit)
            );
        }
    }
}

/// A packet over the limit is refused from its fixed header without allocating anything,
/// however much of it is buffered.
#[test]
fn oversized_packet_is_refused_without_allocating() {
    let limit = 1024;
    for (name, role, version, packet) in worst_cases(4097) {
        let mut decoder = Decoder::with_version(role, version);
        decoder.set_max_packet_size(limit);
        let mut buf = packet;
        let (result, measured) = measure(|| decoder.decode(&mut buf));
        assert!(
            matches!(result, Err(DecodeError::PacketTooLarge { .. })),
            "{name}: {result:?}"
        );
        assert_eq!(measured.allocations, 0, "{name}");
    }
}

proptest! {
    #![proptest_config(strategies::config(512))]

    /// Random bytes, random bodies behind a valid fixed header, and mutated valid traffic,
    /// decoded with a random limit: no decode call allocates more than `bound(limit)`.
    #[test]
    fn decoding_stays_within_bound_of_limit(
        limit in 8_usize..4096,
        input in prop_oneof![
            vec(any::<u8>(), 0..8192),
            (1_u8..=15, 0_u8..16, vec(0_u8..8, 0..4096)).prop_map(|(nibble, flags, body)| {
                let flags = if nibble == 3 { flags } else if matches!(nibble, 6 | 8 | 10) { 2 } else { 0 };
                frame((nibble << 4) | flags, &body).to_vec()
            }),
            (strategies::stream(6), vec(strategies::mutation(), 0..4)).prop_map(
                |((version, _role, packets), mutations)| {
                    let mut bytes = strategies::encode_all(version, &packets).to_vec();
                    strategies::mutate(&mut bytes, &mutations);
                    bytes
                },
            ),
        ],
        role in strategies::role(),
        version in proptest::option::of(strategies::version()),
    ) {
        let mut decoder = match version {
            Some(version) => Decoder::with_version(role, version),
            None => Decoder::new(role),
        };
        let mut buf = BytesMut::from(&input[..]);
        let peak = peak_of_decoding(&mut decoder, limit, &mut buf);
        prop_assert!(peak <= bound(limit), "peak {} > bound {} for limit {}", peak, bound(limit), limit);
    }

    /// Encoding into an empty buffer allocates exactly once and never reallocates; encoding
    /// into a buffer that already has room allocates nothing.
    #[test]
    fn encoding_allocates_once(
        (version, _role, packets) in strategies::stream(4),
    ) {
        for packet in &packets {
            let version = match packet {
                Packet::Connect(connect) => connect.protocol,
                _ => version,
            };
            let len = packet.encoded_len(version).unwrap();
            let mut buf = BytesMut::new();
            let (result, measured) = measure(|| packet.encode(version, &mut buf));
            prop_assert_eq!(result, Ok(()));
            prop_assert_eq!(buf.len(), len);
            prop_assert_eq!(measured.allocations, 1, "{:?}", packet.packet_type());
            prop_assert_eq!(measured.reallocations, 0, "{:?}", packet.packet_type());

            let mut roomy = BytesMut::with_capacity(len);
            let (result, measured) = measure(|| packet.encode(version, &mut roomy));
            prop_assert_eq!(result, Ok(()));
            prop_assert_eq!(measured.allocations + measured.reallocations, 0);
        }
    }
}
