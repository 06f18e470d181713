//! Property tests: decoding arbitrary bytes never panics, for every version and role.
//!
//! Three sources of input: random bytes; random bodies behind a well-formed fixed header (so
//! that the packet decoders, not just the header parser, see them); and valid streams of
//! packets with bytes flipped, inserted, deleted or cut off. Each input is decoded in a loop
//! until the decoder wants more bytes or fails. Whatever the decoder accepts must also be a
//! packet the encoder can write and that decodes back to itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod strategies;

use bytes::{BufMut, BytesMut};
use hermod_codec::{Decoder, Packet, ProtocolVersion, Role};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// A decoder as a connection would have it: a server before CONNECT, or either role with a
/// known version, or a client that has not set its version (it then reads MQTT 5 rules).
fn decoder() -> impl Strategy<Value = (Role, Decoder)> {
    (
        strategies::role(),
        proptest::option::of(strategies::version()),
    )
        .prop_map(|(role, version)| match version {
            Some(version) => (role, Decoder::with_version(role, version)),
            None => (role, Decoder::new(role)),
        })
}

/// Decodes `buf` until the decoder wants more bytes or fails, checking every accepted packet
/// with [`check_reencodes`] as received by `role`; returns how many packets were accepted.
fn decode_until_stuck(
    role: Role,
    decoder: &mut Decoder,
    buf: &mut BytesMut,
) -> Result<usize, TestCaseError> {
    let mut accepted = 0;
    loop {
        let before = buf.len();
        match decoder.decode(buf) {
            Ok(Some(packet)) => {
                // Every packet takes at least two bytes, so the loop ends.
                prop_assert!(buf.len() + 2 <= before, "a packet consumed under two bytes");
                // The version the packet was decoded in: a CONNECT sets it; a client without
                // one reads MQTT 5.
                let version = decoder.version().unwrap_or(ProtocolVersion::V5);
                check_reencodes(&packet, version, role)?;
                accepted += 1;
            }
            Ok(None) => return Ok(accepted),
            Err(_) => return Ok(accepted),
        }
    }
}

/// A packet the decoder accepted encodes in `version` and decodes back to itself.
fn check_reencodes(
    packet: &Packet,
    version: ProtocolVersion,
    role: Role,
) -> Result<(), TestCaseError> {
    let mut wire = BytesMut::new();
    packet
        .encode(version, &mut wire)
        .map_err(|error| TestCaseError::fail(format!("accepted {packet:?} but: {error}")))?;
    prop_assert_eq!(packet.encoded_len(version), Ok(wire.len()));
    let mut fresh = match packet {
        Packet::Connect(_) => Decoder::new(role),
        _ => Decoder::with_version(role, version),
    };
    prop_assert_eq!(fresh.decode(&mut wire), Ok(Some(packet.clone())));
    prop_assert!(wire.is_empty());
    Ok(())
}

/// A fixed header for packet type `nibble` with `flags` and the given body, minimal-length
/// Remaining Length.
fn framed(nibble: u8, flags: u8, body: &[u8]) -> BytesMut {
    let mut buf = BytesMut::with_capacity(body.len() + 5);
    buf.put_u8((nibble << 4) | (flags & 0x0F));
    let mut len = body.len();
    loop {
        let mut byte = (len & 0x7F) as u8;
        len >>= 7;
        if len > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if len == 0 {
            break;
        }
    }
    buf.put_slice(body);
    buf
}

/// The flags a packet type must carry; PUBLISH gets random ones.
fn usual_flags(nibble: u8, random: u8) -> u8 {
    match nibble {
        3 => random,
        6 | 8 | 10 => 0b0010,
        _ => 0,
    }
}

proptest! {
    #![proptest_config(strategies::config(1024))]

    /// Random bytes (up to 4 KiB), any decoder, with or without a small size limit.
    #[test]
    fn random_bytes_never_panic(
        bytes in vec(any::<u8>(), 0..4096),
        (role, mut decoder) in decoder(),
        limit in proptest::option::of(2_usize..512),
    ) {
        if let Some(limit) = limit {
            decoder.set_max_packet_size(limit);
        }
        let mut buf = BytesMut::from(&bytes[..]);
        decode_until_stuck(role, &mut decoder, &mut buf)?;
    }

    /// Random bodies behind a well-formed fixed header of every packet type, so each packet
    /// decoder sees them; usually with the flags the type requires.
    #[test]
    fn random_bodies_never_panic(
        nibble in 1_u8..=15,
        random_flags in 0_u8..16,
        keep_usual_flags in proptest::bool::weighted(0.9),
        body in prop_oneof![
            3 => vec(any::<u8>(), 0..32),
            2 => vec(any::<u8>(), 0..600),
            // Mostly small values: short lengths, valid property ids, packet ids.
            2 => vec(0_u8..8, 0..200),
        ],
        (role, mut decoder) in decoder(),
    ) {
        let flags = if keep_usual_flags { usual_flags(nibble, random_flags) } else { random_flags };
        let mut buf = framed(nibble, flags, &body);
        decode_until_stuck(role, &mut decoder, &mut buf)?;
    }
}

proptest! {
    #![proptest_config(strategies::config(512))]

    /// Valid traffic (a client's CONNECT and packets, or a server's packets) with a few bytes
    /// flipped, inserted, deleted or cut off.
    #[test]
    fn mutated_streams_never_panic(
        (version, role, packets) in strategies::stream(6),
        mutations in vec(strategies::mutation(), 1..8),
    ) {
        let mut bytes = strategies::encode_all(version, &packets).to_vec();
        strategies::mutate(&mut bytes, &mutations);
        let mut decoder = strategies::stream_decoder(version, role);
        let mut buf = BytesMut::from(&bytes[..]);
        decode_until_stuck(role, &mut decoder, &mut buf)?;
    }

    /// Unmutated traffic decodes completely (a baseline for the mutation test: the stream
    /// generator and decoder agree).
    #[test]
    fn unmutated_streams_decode_completely(
        (version, role, packets) in strategies::stream(6),
    ) {
        let mut buf = strategies::encode_all(version, &packets);
        let mut decoder = strategies::stream_decoder(version, role);
        prop_assert_eq!(decode_until_stuck(role, &mut decoder, &mut buf)?, packets.len());
        prop_assert!(buf.is_empty());
    }
}
