//! Property tests: every packet of every protocol version, in the form that version can carry,
//! survives encode then decode unchanged.
//!
//! For each generated packet the encoding must be exactly `encoded_len` bytes, fill a buffer
//! reserved once (no growth past that reservation), match `encode_to_bytes`, and decode back to
//! the same packet consuming exactly those bytes; every proper prefix must decode as "not yet"
//! without consuming anything. Streams of packets must decode the same when fed in random
//! chunks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod strategies;

use bytes::BytesMut;
use hermod_codec::{DecodeError, Decoder, Packet, ProtocolVersion, Publish, Role};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use strategies::Sender;

/// A byte no decoder accepts as a packet start (packet type 0 is reserved), appended after the
/// packet to show that decoding stops exactly at its end.
const SENTINEL: u8 = 0x00;

/// Cut points for the prefix check: every one for short packets, the edges and middle of long
/// ones.
fn cut_points(len: usize) -> Vec<usize> {
    if len <= 64 {
        return (0..len).collect();
    }
    let mut cuts: Vec<usize> = (0..8).chain(len - 8..len).collect();
    cuts.extend([len / 4, len / 2, 3 * len / 4]);
    cuts
}

/// Encodes `packet` in `version`, checks the encoding's size and allocation, and decodes it
/// with a fresh decoder from `new_decoder`; returns the encoding.
fn check_round_trip(
    packet: &Packet,
    version: ProtocolVersion,
    new_decoder: impl Fn() -> Decoder,
) -> Result<BytesMut, TestCaseError> {
    let expected_len = packet
        .encoded_len(version)
        .map_err(|error| TestCaseError::fail(format!("encoded_len failed: {error}")))?;

    let mut buf = BytesMut::new();
    packet
        .encode(version, &mut buf)
        .map_err(|error| TestCaseError::fail(format!("encode failed: {error}")))?;
    prop_assert_eq!(buf.len(), expected_len, "encoded size != encoded_len");
    // The codec reserves the exact size once; a buffer reserved the same way has the same
    // capacity, so any growth while writing the body would show here.
    let mut reserved = BytesMut::new();
    reserved.reserve(expected_len);
    prop_assert_eq!(
        buf.capacity(),
        reserved.capacity(),
        "buffer grew past its one reservation"
    );
    let shared = packet
        .encode_to_bytes(version)
        .map_err(|error| TestCaseError::fail(format!("encode_to_bytes failed: {error}")))?;
    prop_assert_eq!(&shared[..], &buf[..]);
    prop_assert_eq!(
        Decoder::pending_packet_size(&buf),
        Ok(Some(expected_len)),
        "pending_packet_size disagrees"
    );

    for cut in cut_points(buf.len()) {
        let mut partial = BytesMut::from(&buf[..cut]);
        prop_assert_eq!(
            new_decoder().decode(&mut partial),
            Ok(None),
            "prefix of {} of {} bytes",
            cut,
            buf.len()
        );
        prop_assert_eq!(partial.len(), cut, "a prefix was consumed");
    }

    let mut read = buf.clone();
    read.extend_from_slice(&[SENTINEL]);
    let mut decoder = new_decoder();
    let decoded = decoder.decode(&mut read);
    prop_assert_eq!(decoded, Ok(Some(packet.clone())));
    prop_assert_eq!(
        &read[..],
        &[SENTINEL][..],
        "did not consume exactly encoded_len"
    );
    Ok(buf)
}

/// Round trip of a packet sent after CONNECT, decoded by the receiver of `sender`.
fn check_packet(
    packet: &Packet,
    version: ProtocolVersion,
    sender: Sender,
) -> Result<(), TestCaseError> {
    check_round_trip(packet, version, || {
        Decoder::with_version(sender.receiver(), version)
    })?;
    Ok(())
}

/// Feeds `wire` to `decoder` in chunks of the given sizes (cycled), decoding after each chunk
/// until the decoder wants more; returns everything decoded.
fn decode_in_chunks(
    decoder: &mut Decoder,
    wire: &[u8],
    chunks: &[usize],
) -> Result<Vec<Packet>, DecodeError> {
    let mut read = BytesMut::new();
    let mut decoded = Vec::new();
    let mut offset = 0;
    for &chunk in chunks.iter().cycle() {
        if offset >= wire.len() {
            break;
        }
        let end = (offset + chunk).min(wire.len());
        read.extend_from_slice(&wire[offset..end]);
        offset = end;
        while let Some(packet) = decoder.decode(&mut read)? {
            decoded.push(packet);
        }
    }
    assert!(read.is_empty(), "{} bytes left undecoded", read.len());
    Ok(decoded)
}

macro_rules! round_trip_tests {
    ($($name:ident: $version:expr, $sender:expr;)*) => {
        proptest! {
            #![proptest_config(strategies::config(256))]
            $(
                #[test]
                fn $name(packet in strategies::packet($version, $sender)) {
                    check_packet(&packet, $version, $sender)?;
                }
            )*
        }
    };
}

round_trip_tests! {
    client_packets_round_trip_v3_1: ProtocolVersion::V3_1, Sender::Client;
    client_packets_round_trip_v3_1_1: ProtocolVersion::V3_1_1, Sender::Client;
    client_packets_round_trip_v5: ProtocolVersion::V5, Sender::Client;
    server_packets_round_trip_v3_1: ProtocolVersion::V3_1, Sender::Server;
    server_packets_round_trip_v3_1_1: ProtocolVersion::V3_1_1, Sender::Server;
    server_packets_round_trip_v5: ProtocolVersion::V5, Sender::Server;
}

proptest! {
    #![proptest_config(strategies::config(256))]

    /// CONNECT is encoded in its own version whatever version is asked for, and a server
    /// decoder that does not know the version yet decodes it and adopts that version.
    #[test]
    fn connect_round_trips_and_sets_the_version(
        connect in strategies::any_connect(),
        asked in strategies::version(),
    ) {
        let version = connect.protocol;
        let packet = Packet::from(connect);
        let wire = check_round_trip(&packet, version, || Decoder::new(Role::Server))?;
        let mut other = BytesMut::new();
        packet.encode(asked, &mut other).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&other[..], &wire[..], "CONNECT depends on the version asked for");

        let mut decoder = Decoder::new(Role::Server);
        let mut read = wire;
        prop_assert_eq!(decoder.decode(&mut read), Ok(Some(packet)));
        prop_assert_eq!(decoder.version(), Some(version));
    }

    /// A server-sent MQTT 5 PUBLISH with Subscription Identifiers round-trips to a client but
    /// is refused from a client (MQTT-3.3.4-6).
    #[test]
    fn subscription_identifiers_only_from_server(
        publish in strategies::publish(ProtocolVersion::V5, Sender::Server),
        id in strategies::subscription_id(),
    ) {
        let mut publish: Publish = publish;
        publish.properties.metadata_mut().subscription_identifiers.push(id);
        let packet = Packet::Publish(publish);
        let mut wire = packet.encode_to_bytes(ProtocolVersion::V5)
            .map(|bytes| BytesMut::from(&bytes[..]))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut to_client = wire.clone();
        prop_assert_eq!(
            Decoder::with_version(Role::Client, ProtocolVersion::V5).decode(&mut to_client),
            Ok(Some(packet))
        );
        prop_assert_eq!(
            Decoder::with_version(Role::Server, ProtocolVersion::V5).decode(&mut wire),
            Err(DecodeError::SubscriptionIdentifierFromClient)
        );
    }

    /// A connection's traffic in one direction, encoded back to back and fed to one decoder in
    /// random chunks, decodes to the same packets in order.
    #[test]
    fn streams_decode_in_random_chunks(
        (version, role, packets) in strategies::stream(8),
        chunks in proptest::collection::vec(1_usize..200, 1..8),
    ) {
        let wire = strategies::encode_all(version, &packets);
        let mut decoder = strategies::stream_decoder(version, role);
        let decoded = decode_in_chunks(&mut decoder, &wire, &chunks);
        prop_assert_eq!(decoded, Ok(packets));
    }
}
