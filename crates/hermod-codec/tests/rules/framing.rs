//! The fixed header (packet types, flags, the Maximum Packet Size it is checked against) and
//! the packet identifier.

use bytes::BytesMut;
use hermod_codec::ProtocolVersion::{V3_1, V3_1_1, V5};
use hermod_codec::{DecodeError as E, Decoder, Packet, PacketType as T, ReasonCode, Role};

use crate::harness::Peer::{Client, Fresh, Limited, Server};
use crate::harness::{Case, MALFORMED, case, check_vector_length, wire};

/// Violations of the fixed header and the packet identifier.
pub(crate) const ERRORS: &[Case] = &[
    // ---- 2.1 fixed header ---------------------------------------------------------------------------
    case(
        "MQTT-3.2.2-15 v5: declared size above the Maximum Packet Size",
        Limited(V5, 16),
        "30 FF 7F",
        E::PacketTooLarge {
            size: 16386,
            limit: 16,
        },
        ReasonCode::PACKET_TOO_LARGE,
        "MQTT-3.2.2-15",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.2.2-15 v5: 17-byte packet with a 16-byte limit",
        Limited(V5, 16),
        "30 0F 00 01 't' 00 '12345678901'",
        E::PacketTooLarge {
            size: 17,
            limit: 16,
        },
        ReasonCode::PACKET_TOO_LARGE,
        "MQTT-3.2.2-15",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.3 3.1.1: declared size above the configured limit",
        Limited(V3_1_1, 100),
        "30 FF FF 03",
        E::PacketTooLarge {
            size: 65539,
            limit: 100,
        },
        ReasonCode::PACKET_TOO_LARGE,
        "MQTT-3.2.2-15",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.1.2 v5: packet type 0 is reserved",
        Server(V5),
        "00 00",
        E::ReservedPacketType { value: 0 },
        MALFORMED,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: packet type 0 is reserved (before CONNECT)",
        Fresh,
        "00 00",
        E::ReservedPacketType { value: 0 },
        MALFORMED,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: packet type 15 is reserved (client to server)",
        Server(V3_1_1),
        "F0 00",
        E::ReservedPacketType { value: 15 },
        MALFORMED,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: packet type 15 is reserved (server to client)",
        Client(V3_1_1),
        "F0 00",
        E::ReservedPacketType { value: 15 },
        MALFORMED,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1: packet type 15 is reserved",
        Server(V3_1),
        "F0 00",
        E::ReservedPacketType { value: 15 },
        MALFORMED,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.1.3-1 v5: CONNECT flags 0001",
        Fresh,
        "11 0D 00 04 'MQTT' 05 02 00 3C 00 00 00",
        E::InvalidHeaderFlags {
            packet: T::Connect,
            flags: 1,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-2.2.2-1/MQTT-2.2.2-2 3.1.1: CONNECT flags 1000",
        Fresh,
        "18 0C 00 04 'MQTT' 04 02 00 3C 00 00",
        E::InvalidHeaderFlags {
            packet: T::Connect,
            flags: 8,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-2.1.3-1 v5: CONNACK flags 0001",
        Client(V5),
        "21 03 00 00 00",
        E::InvalidHeaderFlags {
            packet: T::ConnAck,
            flags: 1,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-2.1.3-1 v5: PUBACK flags 0010",
        Server(V5),
        "42 02 00 01",
        E::InvalidHeaderFlags {
            packet: T::PubAck,
            flags: 2,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-2.2.2-2 3.1.1: PUBREC flags 1000",
        Server(V3_1_1),
        "58 02 00 01",
        E::InvalidHeaderFlags {
            packet: T::PubRec,
            flags: 8,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.6.1-1 v5: PUBREL flags 0000",
        Server(V5),
        "60 02 00 01",
        E::InvalidHeaderFlags {
            packet: T::PubRel,
            flags: 0,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.6.1-1 3.1.1: PUBREL with DUP (allowed only in 3.1)",
        Server(V3_1_1),
        "6A 02 00 01",
        E::InvalidHeaderFlags {
            packet: T::PubRel,
            flags: 0xA,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.6.1-1 3.1: PUBREL flags 0011 (DUP aside, QoS must be 1)",
        Server(V3_1),
        "63 02 00 01",
        E::InvalidHeaderFlags {
            packet: T::PubRel,
            flags: 3,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-2.1.3-1 v5: PUBCOMP flags 0100",
        Client(V5),
        "74 02 00 01",
        E::InvalidHeaderFlags {
            packet: T::PubComp,
            flags: 4,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.8.1-1 v5: SUBSCRIBE flags 0000",
        Server(V5),
        "80 07 00 01 00 00 01 'a' 00",
        E::InvalidHeaderFlags {
            packet: T::Subscribe,
            flags: 0,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.8.1-1 3.1.1: SUBSCRIBE with DUP (allowed only in 3.1)",
        Server(V3_1_1),
        "8A 06 00 01 00 01 'a' 00",
        E::InvalidHeaderFlags {
            packet: T::Subscribe,
            flags: 0xA,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.8.1-1 3.1: SUBSCRIBE flags 0011",
        Server(V3_1),
        "83 06 00 01 00 01 'a' 00",
        E::InvalidHeaderFlags {
            packet: T::Subscribe,
            flags: 3,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-2.1.3-1 v5: SUBACK flags 0010",
        Client(V5),
        "92 04 00 01 00 00",
        E::InvalidHeaderFlags {
            packet: T::SubAck,
            flags: 2,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.10.1-1 v5: UNSUBSCRIBE flags 0000",
        Server(V5),
        "A0 06 00 01 00 00 01 'a'",
        E::InvalidHeaderFlags {
            packet: T::Unsubscribe,
            flags: 0,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.10.1-1 3.1.1: UNSUBSCRIBE flags 0011",
        Server(V3_1_1),
        "A3 05 00 01 00 01 'a'",
        E::InvalidHeaderFlags {
            packet: T::Unsubscribe,
            flags: 3,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-2.2.2-2 3.1.1: UNSUBACK flags 0001",
        Client(V3_1_1),
        "B1 02 00 01",
        E::InvalidHeaderFlags {
            packet: T::UnsubAck,
            flags: 1,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-2.2.2-2 3.1.1: PINGREQ flags 1000",
        Server(V3_1_1),
        "C8 00",
        E::InvalidHeaderFlags {
            packet: T::PingReq,
            flags: 8,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "3.1: DUP is allowed only on PUBREL/SUBSCRIBE/UNSUBSCRIBE, not PINGREQ (MQTT-2.2.2-2)",
        Server(V3_1),
        "C8 00",
        E::InvalidHeaderFlags {
            packet: T::PingReq,
            flags: 8,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-2.1.3-1 v5: PINGRESP flags 0001",
        Client(V5),
        "D1 00",
        E::InvalidHeaderFlags {
            packet: T::PingResp,
            flags: 1,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.14.1-1 v5: DISCONNECT flags 0001",
        Server(V5),
        "E1 00",
        E::InvalidHeaderFlags {
            packet: T::Disconnect,
            flags: 1,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.14.1-1 3.1.1: DISCONNECT flags 0010",
        Server(V3_1_1),
        "E2 00",
        E::InvalidHeaderFlags {
            packet: T::Disconnect,
            flags: 2,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    case(
        "MQTT-3.15.1-1 v5: AUTH flags 0001",
        Server(V5),
        "F1 00",
        E::InvalidHeaderFlags {
            packet: T::Auth,
            flags: 1,
        },
        MALFORMED,
        "MQTT-2.1.3-1",
        "MQTT-2.2.2-2",
    ),
    // ---- packet identifiers --------------------------------------------------------------------------
    case(
        "MQTT-2.2.1-3 v5: PUBLISH QoS 1 with packet identifier 0",
        Server(V5),
        "32 06 00 01 't' 00 00 00",
        E::ZeroPacketId,
        MALFORMED,
        "MQTT-2.2.1-3",
        "MQTT-2.3.1-1",
    ),
    case(
        "MQTT-2.2.1-4 v5: server PUBLISH QoS 2 with packet identifier 0",
        Client(V5),
        "34 06 00 01 't' 00 00 00",
        E::ZeroPacketId,
        MALFORMED,
        "MQTT-2.2.1-3",
        "MQTT-2.3.1-1",
    ),
    case(
        "MQTT-2.3.1-1 3.1.1: PUBLISH QoS 2 with packet identifier 0",
        Server(V3_1_1),
        "34 05 00 01 't' 00 00",
        E::ZeroPacketId,
        MALFORMED,
        "MQTT-2.2.1-3",
        "MQTT-2.3.1-1",
    ),
    case(
        "MQTT-2.3.1-1 3.1.1: SUBSCRIBE with packet identifier 0",
        Server(V3_1_1),
        "82 06 00 00 00 01 'a' 00",
        E::ZeroPacketId,
        MALFORMED,
        "MQTT-2.2.1-3",
        "MQTT-2.3.1-1",
    ),
    case(
        "MQTT-2.2.1-3 v5: UNSUBSCRIBE with packet identifier 0",
        Server(V5),
        "A2 06 00 00 00 00 01 'a'",
        E::ZeroPacketId,
        MALFORMED,
        "MQTT-2.2.1-3",
        "MQTT-2.3.1-1",
    ),
    case(
        "MQTT-2.3.1-1 3.1.1: PUBACK with packet identifier 0",
        Client(V3_1_1),
        "40 02 00 00",
        E::ZeroPacketId,
        MALFORMED,
        "MQTT-2.2.1-3",
        "MQTT-2.3.1-1",
    ),
];

#[test]
fn over_long_packet_fails_from_its_fixed_header_alone_mqtt_3_2_2_15() {
    let mut decoder = Decoder::with_version(Role::Server, V5);
    decoder.set_max_packet_size(1024);
    assert_eq!(decoder.max_packet_size(), 1024);
    // Remaining Length 16,383 (FF 7F): nothing of the body is buffered.
    let mut buf = BytesMut::from(&wire("30 FF")[..]);
    assert_eq!(
        decoder.decode(&mut buf),
        Ok(None),
        "header not complete yet"
    );
    buf.extend_from_slice(&[0x7F]);
    assert_eq!(Decoder::pending_packet_size(&buf), Ok(Some(16_386)));
    let error = decoder.decode(&mut buf).unwrap_err();
    assert_eq!(
        error,
        E::PacketTooLarge {
            size: 16_386,
            limit: 1024
        }
    );
    assert_eq!(error.reason_code(), ReasonCode::PACKET_TOO_LARGE);
    assert_eq!(error.rule(), "MQTT-3.2.2-15");

    // The limit counts the whole packet: 1024 bytes pass, 1025 do not.
    let mut at_limit = wire("30 FD 07 00 01 't'"); // Remaining Length 1021
    at_limit.extend(std::iter::repeat_n(0u8, 1021 - 3));
    check_vector_length("at limit", &at_limit);
    assert_eq!(at_limit.len(), 1024);
    let mut buf = BytesMut::from(&at_limit[..]);
    assert!(matches!(
        decoder.decode(&mut buf),
        Ok(Some(Packet::Publish(_)))
    ));
    let mut over = wire("30 FE 07 00 01 't'"); // Remaining Length 1022
    over.extend(std::iter::repeat_n(0u8, 1022 - 3));
    let mut buf = BytesMut::from(&over[..]);
    assert_eq!(
        decoder.decode(&mut buf),
        Err(E::PacketTooLarge {
            size: 1025,
            limit: 1024
        })
    );
}
