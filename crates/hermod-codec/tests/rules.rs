//! Spec-vector tests: every MUST the MQTT 3.1, 3.1.1 and 5.0 specifications place on a packet's
//! form, checked against hand-written wire bytes.
//!
//! Layout:
//! - Vectors are written by hand from the specifications (never produced by our encoder) as
//!   strings for [`wire`]: hex bytes separated by spaces, with `'...'` for a run of ASCII text.
//!   Every vector holds exactly one packet; [`check_vector_length`] verifies its Remaining Length
//!   so that a miscounted vector cannot pass for the wrong reason.
//! - [`ERRORS`]: one row per violation, labelled with the rule id it breaks (5.0 id, or the
//!   3.1.1 id for a 3.1.1 row; a section where the spec has no id). Each row is decoded by the
//!   [`Peer`] it names and must fail with the exact [`DecodeError`], its `reason_code()`, its
//!   `rule()` (5.0) and its `rule_for(3.1.1)`.
//! - [`FILTER_ERRORS`]: invalid topic filters, which do not fail the SUBSCRIBE/UNSUBSCRIBE but
//!   come back as that entry's `Err(InvalidTopicFilter)` (answered with 0x8F/0x80 per filter).
//! - [`valid_vectors`]: a valid example of each packet type per version (15 for 5.0, 14 for 3.1.1
//!   and 3.1, which have no AUTH) and the rule-specific positive vectors (3.1's MQIsdp and DUP
//!   headers, 5.0 topic aliases, ...), each decoding to the expected struct.
//! - Checks the decoder leaves to the receiver (Payload Format Indicator) and the limits of the
//!   string type.
//! - The incremental decoder: strict prefixes, the size limit, several packets in one buffer,
//!   zero-copy payloads, per-entry filter errors, version adoption and the CONNECT sequence.
//! - [`every_decoder_error_variant_has_a_vector`] proves the tables reach every variant the
//!   decoder can produce.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::num::{NonZeroU16, NonZeroU32};

use bytes::{Bytes, BytesMut};
use hermod_codec::property::AckProperties;
use hermod_codec::{
    Auth, AuthProperties, ConnAck, ConnAckProperties, Connect, ConnectProperties,
    ConnectReturnCode, DecodeError, Decoder, Disconnect, DisconnectProperties, InvalidTopicFilter,
    MqttString, Packet, PacketId, PacketType, PayloadFormat, PropertyId, ProtocolVersion, PubAck,
    PubComp, PubRec, PubRel, Publish, PublishMetadata, PublishProperties, QoS, ReasonCode,
    RetainHandling, Role, SubAck, Subscribe, SubscribeProperties, SubscriptionId,
    SubscriptionOptions, TopicAlias, TopicFilter, TopicName, UnsubAck, Unsubscribe,
    UnsubscribeProperties, UserProperty, Will, WillProperties,
};

use DecodeError as E;
use PacketType as T;
use Peer::{Client, Fresh, Limited, Server};
use ProtocolVersion::{V3_1, V3_1_1, V5};

// ---- helpers -----------------------------------------------------------------------------------

/// Parses a vector: hex bytes (`10`, or several at once: `4D5154`) separated by whitespace, and
/// `'text'` for the ASCII bytes of `text`.
fn wire(spec: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = spec.trim_start();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'').expect("unterminated quote in vector");
            out.extend_from_slice(&quoted.as_bytes()[..end]);
            rest = &quoted[end + 1..];
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let token = &rest[..end];
            assert!(token.len() % 2 == 0, "odd hex token {token:?} in {spec:?}");
            for pair in token.as_bytes().chunks(2) {
                let pair = std::str::from_utf8(pair).unwrap();
                out.push(u8::from_str_radix(pair, 16).expect("hex byte"));
            }
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    out
}

/// Who decodes a vector.
#[derive(Clone, Copy, Debug)]
enum Peer {
    /// `Decoder::new(Role::Server)`: a server before CONNECT.
    Fresh,
    /// A server decoding what a client sends on a connection of this version.
    Server(ProtocolVersion),
    /// A client decoding what a server sends on a connection of this version.
    Client(ProtocolVersion),
    /// A server of this version with a maximum packet size.
    Limited(ProtocolVersion, usize),
}

impl Peer {
    fn decoder(self) -> Decoder {
        match self {
            Fresh => Decoder::new(Role::Server),
            Server(version) => Decoder::with_version(Role::Server, version),
            Client(version) => Decoder::with_version(Role::Client, version),
            Limited(version, limit) => {
                let mut decoder = Decoder::with_version(Role::Server, version);
                decoder.set_max_packet_size(limit);
                decoder
            }
        }
    }
}

/// A vector must hold exactly one packet: its fixed header's Remaining Length must match the
/// bytes written (vectors that fail in the fixed header itself are exempt).
fn check_vector_length(label: &str, bytes: &[u8]) {
    if let Ok(Some(size)) = Decoder::pending_packet_size(bytes) {
        assert_eq!(size, bytes.len(), "{label}: Remaining Length miscounted");
    }
}

fn decode_all(peer: Peer, bytes: &[u8]) -> Result<Option<Packet>, DecodeError> {
    let mut decoder = peer.decoder();
    let mut buf = BytesMut::from(bytes);
    decoder.decode(&mut buf)
}

fn s(text: &'static str) -> MqttString {
    MqttString::from_static(text).unwrap()
}

fn name(text: &'static str) -> TopicName {
    TopicName::from_static(text).unwrap()
}

fn filter(text: &'static str) -> TopicFilter {
    TopicFilter::from_static(text).unwrap()
}

fn pid(value: u16) -> PacketId {
    PacketId::new(value).unwrap()
}

fn b(bytes: &'static [u8]) -> Bytes {
    Bytes::from_static(bytes)
}

const MALFORMED: ReasonCode = ReasonCode::MALFORMED_PACKET;
const PROTOCOL: ReasonCode = ReasonCode::PROTOCOL_ERROR;
const UNSUPPORTED: ReasonCode = ReasonCode::UNSUPPORTED_PROTOCOL_VERSION;
const FILTER_INVALID: ReasonCode = ReasonCode::TOPIC_FILTER_INVALID;

// ---- violations: the packet is rejected -----------------------------------------------------------

/// One violation: `bytes` decoded by `peer` fails with `error`, which reports `reason`, the 5.0
/// rule `rule5` and the 3.1.1 rule `rule311`.
struct Case {
    label: &'static str,
    peer: Peer,
    bytes: &'static str,
    error: DecodeError,
    reason: ReasonCode,
    rule5: &'static str,
    rule311: &'static str,
}

const fn case(
    label: &'static str,
    peer: Peer,
    bytes: &'static str,
    error: DecodeError,
    reason: ReasonCode,
    rule5: &'static str,
    rule311: &'static str,
) -> Case {
    Case {
        label,
        peer,
        bytes,
        error,
        reason,
        rule5,
        rule311,
    }
}

const ERRORS: &[Case] = &[
    // ---- 1.5 data representation ----------------------------------------------------------------
    case(
        "MQTT-1.5.5 v5: Remaining Length continues into a fifth byte",
        Server(V5),
        "30 FF FF FF FF 01",
        E::VariableByteIntegerTooLong,
        MALFORMED,
        "MQTT-1.5.5 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.3 3.1.1: Remaining Length continues into a fifth byte",
        Server(V3_1_1),
        "C0 80 80 80 80 00",
        E::VariableByteIntegerTooLong,
        MALFORMED,
        "MQTT-1.5.5 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.5 v5: Subscription Identifier in five bytes",
        Server(V5),
        "82 0D 00 01 06 0B FF FF FF FF 01 00 01 'a' 00",
        E::VariableByteIntegerTooLong,
        MALFORMED,
        "MQTT-1.5.5 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.5-1 v5: Remaining Length 0 in two bytes",
        Server(V5),
        "C0 80 00",
        E::VariableByteIntegerNotMinimal,
        MALFORMED,
        "MQTT-1.5.5-1",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.5-1 v5: CONNECT Remaining Length 13 in two bytes",
        Fresh,
        "10 8D 00 00 04 'MQTT' 05 02 00 3C 00 00 00",
        E::VariableByteIntegerNotMinimal,
        MALFORMED,
        "MQTT-1.5.5-1",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.5-1 v5: Property Length 0 in two bytes",
        Server(V5),
        "40 05 00 01 00 80 00",
        E::VariableByteIntegerNotMinimal,
        MALFORMED,
        "MQTT-1.5.5-1",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.5-1 v5: Subscription Identifier 1 in two bytes",
        Server(V5),
        "82 0A 00 01 03 0B 81 00 00 01 'a' 00",
        E::VariableByteIntegerNotMinimal,
        MALFORMED,
        "MQTT-1.5.5-1",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-1.5.4-1/MQTT-3.3.2-1 v5: topic name is an overlong '/'",
        Server(V5),
        "30 05 00 02 C0 AF 00",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-1.5.3-1 3.1.1: topic name encodes the surrogate U+D800",
        Server(V3_1_1),
        "30 05 00 03 ED A0 80",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-1.5.3-1/MQTT-3.1.3-4 3.1.1: client identifier is not UTF-8",
        Fresh,
        "10 0D 00 04 'MQTT' 04 02 00 3C 00 01 FF",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-1.5.4-1/MQTT-3.1.3-4 v5: client identifier is a lone continuation byte",
        Fresh,
        "10 0E 00 04 'MQTT' 05 02 00 3C 00 00 01 80",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.1.3-12 v5: user name is not UTF-8",
        Fresh,
        "10 11 00 04 'MQTT' 05 82 00 3C 00 00 01 'c' 00 01 FE",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.1.3-11 3.1.1: user name is not UTF-8",
        Fresh,
        "10 10 00 04 'MQTT' 04 82 00 3C 00 01 'c' 00 01 FE",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.1.3-11 v5: will topic is not UTF-8",
        Fresh,
        "10 15 00 04 'MQTT' 05 06 00 3C 00 00 01 'c' 00 00 01 80 00 01 'm'",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.1.3-10 3.1.1: will topic is not UTF-8",
        Fresh,
        "10 13 00 04 'MQTT' 04 06 00 3C 00 01 'c' 00 01 80 00 01 'm'",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.8.3-1 v5: SUBSCRIBE topic filter is not UTF-8",
        Server(V5),
        "82 07 00 01 00 00 01 FF 00",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.8.3-1 3.1.1: SUBSCRIBE topic filter is not UTF-8",
        Server(V3_1_1),
        "82 06 00 01 00 01 FF 00",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.10.3-1 v5: UNSUBSCRIBE topic filter is not UTF-8",
        Server(V5),
        "A2 06 00 01 00 00 01 FF",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.10.3-1 3.1.1: UNSUBSCRIBE topic filter is not UTF-8",
        Server(V3_1_1),
        "A2 05 00 01 00 01 FF",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-1.5.7-1 v5: User Property name is not UTF-8",
        Server(V5),
        "40 0B 00 01 00 07 26 00 01 FF 00 01 'v'",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.3.2-19 v5: Content Type is not UTF-8",
        Server(V5),
        "30 08 00 01 't' 04 03 00 01 FF",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-3.3.2-13 v5: Response Topic is not UTF-8",
        Server(V5),
        "30 08 00 01 't' 04 08 00 01 FF",
        E::InvalidUtf8,
        MALFORMED,
        "MQTT-1.5.4-1",
        "MQTT-1.5.3-1",
    ),
    case(
        "MQTT-1.5.4-2/MQTT-4.7.3-2 v5: topic name contains U+0000",
        Server(V5),
        "30 05 00 02 'a' 00 00",
        E::NullCharacter,
        MALFORMED,
        "MQTT-1.5.4-2",
        "MQTT-1.5.3-2",
    ),
    case(
        "MQTT-1.5.3-2/MQTT-4.7.3-2 3.1.1: topic name contains U+0000",
        Server(V3_1_1),
        "30 04 00 02 'a' 00",
        E::NullCharacter,
        MALFORMED,
        "MQTT-1.5.4-2",
        "MQTT-1.5.3-2",
    ),
    case(
        "MQTT-1.5.3-2/MQTT-4.7.3-2 3.1.1: topic filter contains U+0000",
        Server(V3_1_1),
        "82 07 00 01 00 02 'a' 00 00",
        E::NullCharacter,
        MALFORMED,
        "MQTT-1.5.4-2",
        "MQTT-1.5.3-2",
    ),
    case(
        "MQTT-1.5.4-2 v5: client identifier is U+0000",
        Fresh,
        "10 0E 00 04 'MQTT' 05 02 00 3C 00 00 01 00",
        E::NullCharacter,
        MALFORMED,
        "MQTT-1.5.4-2",
        "MQTT-1.5.3-2",
    ),
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
    // ---- direction and sequence ----------------------------------------------------------------------
    case(
        "MQTT-2.1.2 v5: a client sends CONNACK",
        Server(V5),
        "20 03 00 00 00",
        E::UnexpectedPacket { packet: T::ConnAck },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: a client sends SUBACK",
        Server(V3_1_1),
        "90 03 00 01 00",
        E::UnexpectedPacket { packet: T::SubAck },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.1.2 v5: a client sends UNSUBACK",
        Server(V5),
        "B0 04 00 01 00 00",
        E::UnexpectedPacket {
            packet: T::UnsubAck,
        },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: a client sends PINGRESP",
        Server(V3_1_1),
        "D0 00",
        E::UnexpectedPacket {
            packet: T::PingResp,
        },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.1.2 v5: a client sends CONNACK before CONNECT",
        Fresh,
        "20 03 00 00 00",
        E::UnexpectedPacket { packet: T::ConnAck },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.1.2 v5: a server sends CONNECT",
        Client(V5),
        "10 0D 00 04 'MQTT' 05 02 00 3C 00 00 00",
        E::UnexpectedPacket { packet: T::Connect },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: a server sends SUBSCRIBE",
        Client(V3_1_1),
        "82 06 00 01 00 01 'a' 00",
        E::UnexpectedPacket {
            packet: T::Subscribe,
        },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.1.2 v5: a server sends UNSUBSCRIBE",
        Client(V5),
        "A2 06 00 01 00 00 01 'a'",
        E::UnexpectedPacket {
            packet: T::Unsubscribe,
        },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-2.2.1 3.1.1: a server sends PINGREQ",
        Client(V3_1_1),
        "C0 00",
        E::UnexpectedPacket { packet: T::PingReq },
        PROTOCOL,
        "MQTT-2.1.2 (section)",
        "MQTT-2.2.1 (section)",
    ),
    case(
        "MQTT-3.1.0-1: the first packet is PINGREQ",
        Fresh,
        "C0 00",
        E::FirstPacketNotConnect { packet: T::PingReq },
        PROTOCOL,
        "MQTT-3.1.0-1",
        "MQTT-3.1.0-1",
    ),
    case(
        "MQTT-3.1.0-1: the first packet is PUBLISH",
        Fresh,
        "30 03 00 01 't'",
        E::FirstPacketNotConnect { packet: T::Publish },
        PROTOCOL,
        "MQTT-3.1.0-1",
        "MQTT-3.1.0-1",
    ),
    case(
        "MQTT-3.1.0-1: the first packet is AUTH",
        Fresh,
        "F0 00",
        E::FirstPacketNotConnect { packet: T::Auth },
        PROTOCOL,
        "MQTT-3.1.0-1",
        "MQTT-3.1.0-1",
    ),
    case(
        "MQTT-3.1.0-2 v5: a second CONNECT",
        Server(V5),
        "10 0D 00 04 'MQTT' 05 02 00 3C 00 00 00",
        E::SecondConnect,
        PROTOCOL,
        "MQTT-3.1.0-2",
        "MQTT-3.1.0-2",
    ),
    case(
        "MQTT-3.1.0-2 3.1.1: a second CONNECT",
        Server(V3_1_1),
        "10 10 00 04 'MQTT' 04 02 00 3C 00 04 'DIGI'",
        E::SecondConnect,
        PROTOCOL,
        "MQTT-3.1.0-2",
        "MQTT-3.1.0-2",
    ),
    // ---- Remaining Length against content ------------------------------------------------------------
    case(
        "MQTT-2.2.2-1 v5: CONNACK without a Property Length",
        Client(V5),
        "20 02 00 00",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.2-1 v5: SUBSCRIBE without a Property Length",
        Server(V5),
        "82 06 00 01 00 01 'a' 00",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.3.2-1 3.1.1: topic name longer than the packet",
        Server(V3_1_1),
        "30 03 00 05 'a'",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.3-3 3.1.1: CONNECT without a client identifier",
        Fresh,
        "10 0A 00 04 'MQTT' 04 02 00 3C",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.3-3 v5: CONNECT without a client identifier",
        Fresh,
        "10 0B 00 04 'MQTT' 05 02 00 3C 00",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-9 v5: Will Flag set but no will properties, topic or payload",
        Fresh,
        "10 0E 00 04 'MQTT' 05 06 00 3C 00 00 01 'c'",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-9 3.1.1: Will Flag set but no will topic or message",
        Fresh,
        "10 0D 00 04 'MQTT' 04 06 00 3C 00 01 'c'",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-17 v5: User Name Flag set but no user name",
        Fresh,
        "10 0E 00 04 'MQTT' 05 82 00 3C 00 00 01 'c'",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-19 3.1.1: User Name Flag set but no user name",
        Fresh,
        "10 0D 00 04 'MQTT' 04 82 00 3C 00 01 'c'",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-19 v5: Password Flag set but no password",
        Fresh,
        "10 0E 00 04 'MQTT' 05 42 00 3C 00 00 01 'c'",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-21 3.1.1: Password Flag set but no password",
        Fresh,
        "10 10 00 04 'MQTT' 04 C2 00 3C 00 01 'c' 00 01 'u'",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.8.3 v5: topic filter without its subscription options",
        Server(V5),
        "82 06 00 01 00 00 01 'a'",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.3 3.1.1: PUBACK with Remaining Length 1",
        Server(V3_1_1),
        "40 01 00",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.1.4 v5: PUBLISH QoS 1 ends inside the packet identifier",
        Server(V5),
        "32 04 00 01 't' 00",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.2 v5: Property Length runs past the packet",
        Server(V5),
        "40 04 00 01 00 09",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.2 v5: Reason String runs past its Property Length",
        Server(V5),
        "40 07 00 01 00 03 1F 00 05",
        E::Truncated,
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.3 3.1.1: PINGREQ with Remaining Length 1",
        Server(V3_1_1),
        "C0 01 00",
        E::TrailingBytes { count: 1 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.1.4 v5: PINGRESP with Remaining Length 1",
        Client(V5),
        "D0 01 00",
        E::TrailingBytes { count: 1 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.3 3.1.1: PUBACK with Remaining Length 3",
        Server(V3_1_1),
        "40 03 00 01 00",
        E::TrailingBytes { count: 1 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.3 3.1.1: DISCONNECT with Remaining Length 1",
        Server(V3_1_1),
        "E0 01 00",
        E::TrailingBytes { count: 1 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.3 3.1.1: UNSUBACK with a payload",
        Client(V3_1_1),
        "B0 03 00 01 00",
        E::TrailingBytes { count: 1 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.2.3 3.1.1: CONNACK with Remaining Length 3",
        Client(V3_1_1),
        "20 03 00 00 00",
        E::TrailingBytes { count: 1 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-16 v5: User Name Flag 0 but a user name present",
        Fresh,
        "10 11 00 04 'MQTT' 05 02 00 3C 00 00 01 'c' 00 01 'u'",
        E::TrailingBytes { count: 3 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-18 3.1.1: User Name Flag 0 but a user name present",
        Fresh,
        "10 10 00 04 'MQTT' 04 02 00 3C 00 01 'c' 00 01 'u'",
        E::TrailingBytes { count: 3 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-18 v5: Password Flag 0 but a password present",
        Fresh,
        "10 14 00 04 'MQTT' 05 82 00 3C 00 00 01 'c' 00 01 'u' 00 01 'p'",
        E::TrailingBytes { count: 3 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-20 3.1.1: Password Flag 0 but a password present",
        Fresh,
        "10 13 00 04 'MQTT' 04 82 00 3C 00 01 'c' 00 01 'u' 00 01 'p'",
        E::TrailingBytes { count: 3 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-3.1.2-11 3.1.1: Will Flag 0 but a will topic and message present",
        Fresh,
        "10 13 00 04 'MQTT' 04 02 00 3C 00 01 'c' 00 01 't' 00 01 'm'",
        E::TrailingBytes { count: 6 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
    ),
    case(
        "MQTT-2.1.4 v5: AUTH with a byte after its properties",
        Server(V5),
        "F0 08 18 05 15 00 02 'ab' 00",
        E::TrailingBytes { count: 1 },
        MALFORMED,
        "MQTT-2.1.4 (section)",
        "MQTT-2.2.3 (section)",
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
    // ---- CONNECT -------------------------------------------------------------------------------------
    case(
        "MQTT-3.1.2-1 3.1.1: protocol name MQTX",
        Fresh,
        "10 0C 00 04 'MQTX' 04 02 00 3C 00 00",
        E::InvalidProtocolName,
        UNSUPPORTED,
        "MQTT-3.1.2-1",
        "MQTT-3.1.2-1",
    ),
    case(
        "MQTT-3.1.2-1 v5: protocol name in lower case",
        Fresh,
        "10 0D 00 04 'mqtt' 05 02 00 3C 00 00 00",
        E::InvalidProtocolName,
        UNSUPPORTED,
        "MQTT-3.1.2-1",
        "MQTT-3.1.2-1",
    ),
    case(
        "MQTT-3.1.2-1: protocol name not UTF-8",
        Fresh,
        "10 0C 00 04 FF FF FF FF 04 02 00 3C 00 00",
        E::InvalidProtocolName,
        UNSUPPORTED,
        "MQTT-3.1.2-1",
        "MQTT-3.1.2-1",
    ),
    case(
        "MQTT-3.1.2-2: protocol level 6",
        Fresh,
        "10 0C 00 04 'MQTT' 06 02 00 3C 00 00",
        E::UnsupportedProtocolLevel { level: 6 },
        UNSUPPORTED,
        "MQTT-3.1.2-2",
        "MQTT-3.1.2-2",
    ),
    case(
        "MQTT-3.1.2-2: protocol name MQTT with the 3.1 level 3",
        Fresh,
        "10 0C 00 04 'MQTT' 03 02 00 3C 00 00",
        E::UnsupportedProtocolLevel { level: 3 },
        UNSUPPORTED,
        "MQTT-3.1.2-2",
        "MQTT-3.1.2-2",
    ),
    case(
        "MQTT-3.1.2-2: protocol name MQIsdp with the 3.1.1 level 4",
        Fresh,
        "10 0E 00 06 'MQIsdp' 04 02 00 3C 00 00",
        E::UnsupportedProtocolLevel { level: 4 },
        UNSUPPORTED,
        "MQTT-3.1.2-2",
        "MQTT-3.1.2-2",
    ),
    case(
        "MQTT-3.1.2-3 3.1.1: reserved CONNECT flag set",
        Fresh,
        "10 0C 00 04 'MQTT' 04 03 00 3C 00 00",
        E::ReservedConnectFlag,
        MALFORMED,
        "MQTT-3.1.2-3",
        "MQTT-3.1.2-3",
    ),
    case(
        "MQTT-3.1.2-3 v5: reserved CONNECT flag set",
        Fresh,
        "10 0D 00 04 'MQTT' 05 01 00 3C 00 00 00",
        E::ReservedConnectFlag,
        MALFORMED,
        "MQTT-3.1.2-3",
        "MQTT-3.1.2-3",
    ),
    case(
        "MQTT-3.1.2-11 v5: Will QoS 1 without the Will Flag",
        Fresh,
        "10 0D 00 04 'MQTT' 05 0A 00 3C 00 00 00",
        E::WillQosWithoutWill,
        MALFORMED,
        "MQTT-3.1.2-11",
        "MQTT-3.1.2-13",
    ),
    case(
        "MQTT-3.1.2-13 (and -11) 3.1.1: Will QoS 2 without the Will Flag",
        Fresh,
        "10 0C 00 04 'MQTT' 04 12 00 3C 00 00",
        E::WillQosWithoutWill,
        MALFORMED,
        "MQTT-3.1.2-11",
        "MQTT-3.1.2-13",
    ),
    case(
        "MQTT-3.1.2-12 v5: Will QoS 3",
        Fresh,
        "10 15 00 04 'MQTT' 05 1E 00 3C 00 00 01 'c' 00 00 01 't' 00 01 'm'",
        E::InvalidWillQos,
        MALFORMED,
        "MQTT-3.1.2-12",
        "MQTT-3.1.2-14",
    ),
    case(
        "MQTT-3.1.2-14 3.1.1: Will QoS 3",
        Fresh,
        "10 13 00 04 'MQTT' 04 1E 00 3C 00 01 'c' 00 01 't' 00 01 'm'",
        E::InvalidWillQos,
        MALFORMED,
        "MQTT-3.1.2-12",
        "MQTT-3.1.2-14",
    ),
    case(
        "MQTT-3.1.2-13 v5: Will Retain without the Will Flag",
        Fresh,
        "10 0D 00 04 'MQTT' 05 22 00 3C 00 00 00",
        E::WillRetainWithoutWill,
        MALFORMED,
        "MQTT-3.1.2-13",
        "MQTT-3.1.2-15",
    ),
    case(
        "MQTT-3.1.2-15 (and -11) 3.1.1: Will Retain without the Will Flag",
        Fresh,
        "10 0C 00 04 'MQTT' 04 22 00 3C 00 00",
        E::WillRetainWithoutWill,
        MALFORMED,
        "MQTT-3.1.2-13",
        "MQTT-3.1.2-15",
    ),
    case(
        "MQTT-3.1.2-22 3.1.1: Password Flag without the User Name Flag",
        Fresh,
        "10 10 00 04 'MQTT' 04 42 00 3C 00 01 'c' 00 01 'p'",
        E::PasswordWithoutUserName,
        MALFORMED,
        "MQTT-3.1.2-22 (3.1.1 only)",
        "MQTT-3.1.2-22",
    ),
    case(
        "MQTT-3.1.2-22 3.1: Password Flag without the User Name Flag",
        Fresh,
        "10 12 00 06 'MQIsdp' 03 42 00 3C 00 01 'c' 00 01 'p'",
        E::PasswordWithoutUserName,
        MALFORMED,
        "MQTT-3.1.2-22 (3.1.1 only)",
        "MQTT-3.1.2-22",
    ),
    case(
        "MQTT-3.3.2-2 3.1.1: will topic contains '#'",
        Fresh,
        "10 13 00 04 'MQTT' 04 06 00 3C 00 01 'c' 00 01 '#' 00 01 'm'",
        E::WildcardInTopicName,
        ReasonCode::TOPIC_NAME_INVALID,
        "MQTT-3.3.2-2",
        "MQTT-3.3.2-2",
    ),
    case(
        "MQTT-4.7.3-1 3.1.1: will topic is empty",
        Fresh,
        "10 12 00 04 'MQTT' 04 06 00 3C 00 01 'c' 00 00 00 01 'm'",
        E::EmptyTopicName,
        PROTOCOL,
        "MQTT-4.7.3-1",
        "MQTT-4.7.3-1",
    ),
    case(
        "MQTT-3.1.2.11.10 v5: CONNECT Authentication Data without a method",
        Fresh,
        "10 11 00 04 'MQTT' 05 02 00 3C 04 16 00 01 'x' 00 00",
        E::AuthenticationDataWithoutMethod,
        PROTOCOL,
        "MQTT-3.1.2 (section)",
        "MQTT-3.1.2 (5.0 only)",
    ),
    case(
        "MQTT-3.1.2.11.2 v5: Session Expiry Interval twice",
        Fresh,
        "10 17 00 04 'MQTT' 05 02 00 3C 0A 11 00 00 00 05 11 00 00 00 06 00 00",
        E::DuplicateProperty {
            property: PropertyId::SessionExpiryInterval,
        },
        PROTOCOL,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-3.1.2.11.3 v5: Receive Maximum 0",
        Fresh,
        "10 10 00 04 'MQTT' 05 02 00 3C 03 21 00 00 00 00",
        E::InvalidPropertyValue {
            property: PropertyId::ReceiveMaximum,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-3.1.2.11.4 v5: Maximum Packet Size 0",
        Fresh,
        "10 12 00 04 'MQTT' 05 02 00 3C 05 27 00 00 00 00 00 00",
        E::InvalidPropertyValue {
            property: PropertyId::MaximumPacketSize,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-3.1.2.11.6 v5: Request Response Information 2",
        Fresh,
        "10 0F 00 04 'MQTT' 05 02 00 3C 02 19 02 00 00",
        E::InvalidPropertyValue {
            property: PropertyId::RequestResponseInformation,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-3.1.2.11.7 v5: Request Problem Information 2",
        Fresh,
        "10 0F 00 04 'MQTT' 05 02 00 3C 02 17 02 00 00",
        E::InvalidPropertyValue {
            property: PropertyId::RequestProblemInformation,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Topic Alias in CONNECT",
        Fresh,
        "10 10 00 04 'MQTT' 05 02 00 3C 03 23 00 01 00 00",
        E::PropertyNotAllowed {
            property: PropertyId::TopicAlias,
            packet: T::Connect,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: property identifier 0x7F",
        Fresh,
        "10 0F 00 04 'MQTT' 05 02 00 3C 02 7F 00 00 00",
        E::UnknownProperty { id: 0x7F },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Session Expiry Interval among the will properties",
        Fresh,
        "10 1A 00 04 'MQTT' 05 06 00 3C 00 00 01 'c' 05 11 00 00 00 01 00 01 't' 00 01 'm'",
        E::PropertyNotAllowed {
            property: PropertyId::SessionExpiryInterval,
            packet: T::Connect,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-3.1.3.2.3 v5: will Payload Format Indicator 2",
        Fresh,
        "10 17 00 04 'MQTT' 05 06 00 3C 00 00 01 'c' 02 01 02 00 01 't' 00 01 'm'",
        E::InvalidPropertyValue {
            property: PropertyId::PayloadFormatIndicator,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    // ---- CONNACK -------------------------------------------------------------------------------------
    case(
        "MQTT-3.2.2-1 v5: reserved acknowledge flag set",
        Client(V5),
        "20 03 02 00 00",
        E::ReservedConnAckFlags,
        MALFORMED,
        "MQTT-3.2.2-1",
        "MQTT-3.2.2.1 (section)",
    ),
    case(
        "MQTT-3.2.2.1 3.1.1: reserved acknowledge flag set",
        Client(V3_1_1),
        "20 02 80 00",
        E::ReservedConnAckFlags,
        MALFORMED,
        "MQTT-3.2.2-1",
        "MQTT-3.2.2.1 (section)",
    ),
    case(
        "MQTT-3.2.2-6 v5: Session Present with reason code 0x87",
        Client(V5),
        "20 03 01 87 00",
        E::SessionPresentOnRefusal,
        PROTOCOL,
        "MQTT-3.2.2-6",
        "MQTT-3.2.2-4",
    ),
    case(
        "MQTT-3.2.2-4 3.1.1: Session Present with return code 5",
        Client(V3_1_1),
        "20 02 01 05",
        E::SessionPresentOnRefusal,
        PROTOCOL,
        "MQTT-3.2.2-6",
        "MQTT-3.2.2-4",
    ),
    case(
        "MQTT-3.2.2-8 v5: CONNACK reason code 0x01",
        Client(V5),
        "20 03 00 01 00",
        E::InvalidReasonCode {
            packet: T::ConnAck,
            code: ReasonCode::GRANTED_QOS_1,
        },
        MALFORMED,
        "MQTT-3.2.2-8",
        "MQTT-3.2.2.3 (section)",
    ),
    case(
        "MQTT-3.2.2-8 v5: CONNACK reason code 0x8B (DISCONNECT only)",
        Client(V5),
        "20 03 00 8B 00",
        E::InvalidReasonCode {
            packet: T::ConnAck,
            code: ReasonCode::SERVER_SHUTTING_DOWN,
        },
        MALFORMED,
        "MQTT-3.2.2-8",
        "MQTT-3.2.2.3 (section)",
    ),
    case(
        "MQTT-3.2.2.3 3.1.1: CONNACK return code 6 is reserved",
        Client(V3_1_1),
        "20 02 00 06",
        E::InvalidReasonCode {
            packet: T::ConnAck,
            code: ReasonCode::from_byte(6),
        },
        MALFORMED,
        "MQTT-3.2.2-8",
        "MQTT-3.2.2.3 (section)",
    ),
    case(
        "MQTT-3.2.2.3.10 v5: CONNACK Authentication Data without a method",
        Client(V5),
        "20 07 00 00 04 16 00 01 'x'",
        E::AuthenticationDataWithoutMethod,
        PROTOCOL,
        "MQTT-3.1.2 (section)",
        "MQTT-3.1.2 (5.0 only)",
    ),
    case(
        "MQTT-3.2.2.3.4 v5: Maximum QoS 2",
        Client(V5),
        "20 05 00 00 02 24 02",
        E::InvalidPropertyValue {
            property: PropertyId::MaximumQoS,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-3.2.2.3.5 v5: Retain Available 2",
        Client(V5),
        "20 05 00 00 02 25 02",
        E::InvalidPropertyValue {
            property: PropertyId::RetainAvailable,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-3.2.2.3.13 v5: Shared Subscription Available twice",
        Client(V5),
        "20 07 00 00 04 2A 01 2A 01",
        E::DuplicateProperty {
            property: PropertyId::SharedSubscriptionAvailable,
        },
        PROTOCOL,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Topic Alias in CONNACK",
        Client(V5),
        "20 06 00 00 03 23 00 01",
        E::PropertyNotAllowed {
            property: PropertyId::TopicAlias,
            packet: T::ConnAck,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    // ---- PUBLISH -------------------------------------------------------------------------------------
    case(
        "MQTT-3.3.1-4 v5: PUBLISH QoS 3",
        Server(V5),
        "36 06 00 01 't' 00 01 00",
        E::InvalidQos,
        MALFORMED,
        "MQTT-3.3.1-4",
        "MQTT-3.3.1-4",
    ),
    case(
        "MQTT-3.3.1-4 v5: server PUBLISH QoS 3 with DUP and RETAIN",
        Client(V5),
        "3F 06 00 01 't' 00 01 00",
        E::InvalidQos,
        MALFORMED,
        "MQTT-3.3.1-4",
        "MQTT-3.3.1-4",
    ),
    case(
        "MQTT-3.3.1-4 3.1.1: PUBLISH QoS 3",
        Server(V3_1_1),
        "36 05 00 01 't' 00 01",
        E::InvalidQos,
        MALFORMED,
        "MQTT-3.3.1-4",
        "MQTT-3.3.1-4",
    ),
    case(
        "MQTT-3.3.1-4 3.1: PUBLISH QoS 3",
        Server(V3_1),
        "36 05 00 01 't' 00 01",
        E::InvalidQos,
        MALFORMED,
        "MQTT-3.3.1-4",
        "MQTT-3.3.1-4",
    ),
    case(
        "MQTT-3.3.1-2 v5: DUP on a QoS 0 PUBLISH",
        Server(V5),
        "38 04 00 01 't' 00",
        E::DupWithQos0,
        MALFORMED,
        "MQTT-3.3.1-2",
        "MQTT-3.3.1-2",
    ),
    case(
        "MQTT-3.3.1-2 3.1.1: DUP on a QoS 0 PUBLISH",
        Client(V3_1_1),
        "38 03 00 01 't'",
        E::DupWithQos0,
        MALFORMED,
        "MQTT-3.3.1-2",
        "MQTT-3.3.1-2",
    ),
    case(
        "MQTT-3.3.2-2/MQTT-4.7.0-1 v5: topic name '#'",
        Server(V5),
        "30 04 00 01 '#' 00",
        E::WildcardInTopicName,
        ReasonCode::TOPIC_NAME_INVALID,
        "MQTT-3.3.2-2",
        "MQTT-3.3.2-2",
    ),
    case(
        "MQTT-3.3.2-2 v5: server PUBLISH to 'a/#'",
        Client(V5),
        "30 06 00 03 'a/#' 00",
        E::WildcardInTopicName,
        ReasonCode::TOPIC_NAME_INVALID,
        "MQTT-3.3.2-2",
        "MQTT-3.3.2-2",
    ),
    case(
        "MQTT-3.3.2-2/MQTT-4.7.1-1 3.1.1: topic name 'a/+'",
        Server(V3_1_1),
        "30 05 00 03 'a/+'",
        E::WildcardInTopicName,
        ReasonCode::TOPIC_NAME_INVALID,
        "MQTT-3.3.2-2",
        "MQTT-3.3.2-2",
    ),
    case(
        "MQTT-3.3.2-14 v5: Response Topic 'r/#'",
        Server(V5),
        "30 0A 00 01 't' 06 08 00 03 'r/#'",
        E::WildcardInTopicName,
        ReasonCode::TOPIC_NAME_INVALID,
        "MQTT-3.3.2-2",
        "MQTT-3.3.2-2",
    ),
    case(
        "MQTT-3.3.2.1 v5: empty topic name without a Topic Alias",
        Server(V5),
        "30 03 00 00 00",
        E::EmptyTopicName,
        PROTOCOL,
        "MQTT-4.7.3-1",
        "MQTT-4.7.3-1",
    ),
    case(
        "MQTT-4.7.3-1 3.1.1: empty topic name",
        Server(V3_1_1),
        "30 04 00 00 'hi'",
        E::EmptyTopicName,
        PROTOCOL,
        "MQTT-4.7.3-1",
        "MQTT-4.7.3-1",
    ),
    case(
        "MQTT-3.3.2-8 v5: Topic Alias 0",
        Server(V5),
        "30 06 00 00 03 23 00 00",
        E::TopicAliasZero,
        ReasonCode::TOPIC_ALIAS_INVALID,
        "MQTT-3.3.2-8",
        "MQTT-3.3.2-8 (5.0 only)",
    ),
    case(
        "MQTT-3.3.2-8 v5: server PUBLISH with Topic Alias 0",
        Client(V5),
        "30 09 00 01 't' 03 23 00 00 'hi'",
        E::TopicAliasZero,
        ReasonCode::TOPIC_ALIAS_INVALID,
        "MQTT-3.3.2-8",
        "MQTT-3.3.2-8 (5.0 only)",
    ),
    case(
        "MQTT-3.3.4-6 v5: client PUBLISH with a Subscription Identifier",
        Server(V5),
        "30 06 00 01 't' 02 0B 01",
        E::SubscriptionIdentifierFromClient,
        PROTOCOL,
        "MQTT-3.3.4-6",
        "MQTT-3.3.4-6 (5.0 only)",
    ),
    case(
        "MQTT-3.3.2.3.8 v5: Subscription Identifier 0",
        Client(V5),
        "30 06 00 01 't' 02 0B 00",
        E::InvalidPropertyValue {
            property: PropertyId::SubscriptionIdentifier,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-3.3.2.3.4 v5: Topic Alias twice",
        Server(V5),
        "30 0A 00 01 't' 06 23 00 01 23 00 02",
        E::DuplicateProperty {
            property: PropertyId::TopicAlias,
        },
        PROTOCOL,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-3.3.2.3.2 v5: Payload Format Indicator 2",
        Server(V5),
        "30 06 00 01 't' 02 01 02",
        E::InvalidPropertyValue {
            property: PropertyId::PayloadFormatIndicator,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Session Expiry Interval in PUBLISH",
        Server(V5),
        "30 09 00 01 't' 05 11 00 00 00 01",
        E::PropertyNotAllowed {
            property: PropertyId::SessionExpiryInterval,
            packet: T::Publish,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: property identifier 128 in two bytes",
        Server(V5),
        "30 07 00 01 't' 03 80 01 00",
        E::UnknownProperty { id: 128 },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    // ---- acknowledgements, DISCONNECT, AUTH: reason codes and properties -----------------------------
    case(
        "MQTT-3.4.2-1 v5: PUBACK reason code 0x01",
        Server(V5),
        "40 03 00 01 01",
        E::InvalidReasonCode {
            packet: T::PubAck,
            code: ReasonCode::GRANTED_QOS_1,
        },
        MALFORMED,
        "MQTT-3.4.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.5.2-1 v5: PUBREC reason code 0x92 (PUBREL/PUBCOMP only)",
        Client(V5),
        "50 03 00 01 92",
        E::InvalidReasonCode {
            packet: T::PubRec,
            code: ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
        },
        MALFORMED,
        "MQTT-3.5.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.6.2-1 v5: PUBREL reason code 0x10",
        Server(V5),
        "62 03 00 01 10",
        E::InvalidReasonCode {
            packet: T::PubRel,
            code: ReasonCode::NO_MATCHING_SUBSCRIBERS,
        },
        MALFORMED,
        "MQTT-3.6.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.7.2-1 v5: PUBCOMP reason code 0x80",
        Client(V5),
        "70 03 00 01 80",
        E::InvalidReasonCode {
            packet: T::PubComp,
            code: ReasonCode::UNSPECIFIED_ERROR,
        },
        MALFORMED,
        "MQTT-3.7.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.9.3-2 v5: SUBACK reason code 0x03",
        Client(V5),
        "90 05 00 01 00 00 03",
        E::InvalidReasonCode {
            packet: T::SubAck,
            code: ReasonCode::from_byte(3),
        },
        MALFORMED,
        "MQTT-3.9.3-2",
        "MQTT-3.9.3-2",
    ),
    case(
        "MQTT-3.9.3-2 3.1.1: SUBACK return code 0x03",
        Client(V3_1_1),
        "90 04 00 01 01 03",
        E::InvalidReasonCode {
            packet: T::SubAck,
            code: ReasonCode::from_byte(3),
        },
        MALFORMED,
        "MQTT-3.9.3-2",
        "MQTT-3.9.3-2",
    ),
    case(
        "MQTT-3.9.3-2 3.1.1: SUBACK return code 0x8F (5.0 only)",
        Client(V3_1_1),
        "90 03 00 01 8F",
        E::InvalidReasonCode {
            packet: T::SubAck,
            code: ReasonCode::TOPIC_FILTER_INVALID,
        },
        MALFORMED,
        "MQTT-3.9.3-2",
        "MQTT-3.9.3-2",
    ),
    case(
        "MQTT-3.11.3-2 v5: UNSUBACK reason code 0x01",
        Client(V5),
        "B0 04 00 01 00 01",
        E::InvalidReasonCode {
            packet: T::UnsubAck,
            code: ReasonCode::GRANTED_QOS_1,
        },
        MALFORMED,
        "MQTT-3.11.3-2",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.14.2-1 v5: DISCONNECT reason code 0x01",
        Server(V5),
        "E0 01 01",
        E::InvalidReasonCode {
            packet: T::Disconnect,
            code: ReasonCode::GRANTED_QOS_1,
        },
        MALFORMED,
        "MQTT-3.14.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-3.15.2-1 v5: AUTH reason code 0x01",
        Server(V5),
        "F0 01 01",
        E::InvalidReasonCode {
            packet: T::Auth,
            code: ReasonCode::GRANTED_QOS_1,
        },
        MALFORMED,
        "MQTT-3.15.2-1",
        "MQTT-2.4 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Retain Available in SUBACK",
        Client(V5),
        "90 06 00 01 02 25 01 00",
        E::PropertyNotAllowed {
            property: PropertyId::RetainAvailable,
            packet: T::SubAck,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Topic Alias in PUBREC",
        Server(V5),
        "50 07 00 01 00 03 23 00 01",
        E::PropertyNotAllowed {
            property: PropertyId::TopicAlias,
            packet: T::PubRec,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Subscription Identifier in UNSUBACK",
        Client(V5),
        "B0 06 00 01 02 0B 01 00",
        E::PropertyNotAllowed {
            property: PropertyId::SubscriptionIdentifier,
            packet: T::UnsubAck,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-3.4.2.2.2 v5: PUBACK Reason String twice",
        Server(V5),
        "40 0C 00 01 00 08 1F 00 01 'a' 1F 00 01 'b'",
        E::DuplicateProperty {
            property: PropertyId::ReasonString,
        },
        PROTOCOL,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: PUBCOMP property identifier 0x05",
        Client(V5),
        "70 06 00 01 00 02 05 00",
        E::UnknownProperty { id: 5 },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-3.14.2-2 v5: server DISCONNECT with Session Expiry Interval",
        Client(V5),
        "E0 07 00 05 11 00 00 00 00",
        E::SessionExpiryFromServer,
        PROTOCOL,
        "MQTT-3.14.2-2",
        "MQTT-3.14.2-2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Topic Alias in DISCONNECT",
        Server(V5),
        "E0 05 00 03 23 00 01",
        E::PropertyNotAllowed {
            property: PropertyId::TopicAlias,
            packet: T::Disconnect,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-3.15.2.2.2 v5: AUTH with properties but no Authentication Method",
        Client(V5),
        "F0 06 18 04 1F 00 01 'x'",
        E::AuthenticationMethodMissing,
        PROTOCOL,
        "MQTT-3.15.2 (section)",
        "MQTT-3.15.2 (5.0 only)",
    ),
    case(
        "MQTT-3.15.2.2.2 v5: AUTH 0x18 without properties",
        Server(V5),
        "F0 01 18",
        E::AuthenticationMethodMissing,
        PROTOCOL,
        "MQTT-3.15.2 (section)",
        "MQTT-3.15.2 (5.0 only)",
    ),
    case(
        "MQTT-3.15.2.2.2 v5: Authentication Method twice",
        Server(V5),
        "F0 0C 18 0A 15 00 03 'abc' 15 00 01 'x'",
        E::DuplicateProperty {
            property: PropertyId::AuthenticationMethod,
        },
        PROTOCOL,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    // ---- SUBSCRIBE / UNSUBSCRIBE ---------------------------------------------------------------------
    case(
        "MQTT-3.8.3-2 v5: SUBSCRIBE without a topic filter",
        Server(V5),
        "82 03 00 01 00",
        E::NoTopicFilterInSubscribe,
        PROTOCOL,
        "MQTT-3.8.3-2",
        "MQTT-3.8.3-3",
    ),
    case(
        "MQTT-3.8.3-3 3.1.1: SUBSCRIBE without a topic filter",
        Server(V3_1_1),
        "82 02 00 01",
        E::NoTopicFilterInSubscribe,
        PROTOCOL,
        "MQTT-3.8.3-2",
        "MQTT-3.8.3-3",
    ),
    case(
        "MQTT-3.10.3-2 v5: UNSUBSCRIBE without a topic filter",
        Server(V5),
        "A2 03 00 01 00",
        E::NoTopicFilterInUnsubscribe,
        PROTOCOL,
        "MQTT-3.10.3-2",
        "MQTT-3.10.3-2",
    ),
    case(
        "MQTT-3.10.3-2 3.1.1: UNSUBSCRIBE without a topic filter",
        Server(V3_1_1),
        "A2 02 00 01",
        E::NoTopicFilterInUnsubscribe,
        PROTOCOL,
        "MQTT-3.10.3-2",
        "MQTT-3.10.3-2",
    ),
    case(
        "MQTT-3.8.3-5 v5: subscription option bit 6 set",
        Server(V5),
        "82 07 00 01 00 00 01 'a' 40",
        E::ReservedSubscriptionOptions,
        MALFORMED,
        "MQTT-3.8.3-5",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3-5 v5: subscription option bit 7 on the second filter",
        Server(V5),
        "82 0B 00 01 00 00 01 'a' 00 00 01 'b' 81",
        E::ReservedSubscriptionOptions,
        MALFORMED,
        "MQTT-3.8.3-5",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3-4 3.1.1: reserved bit 2 of the requested QoS byte (No Local in 5.0)",
        Server(V3_1_1),
        "82 06 00 01 00 01 'a' 04",
        E::ReservedSubscriptionOptions,
        MALFORMED,
        "MQTT-3.8.3-5",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3-4 3.1: reserved bits of the requested QoS byte",
        Server(V3_1),
        "82 06 00 01 00 01 'a' F0",
        E::ReservedSubscriptionOptions,
        MALFORMED,
        "MQTT-3.8.3-5",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3.1 v5: Maximum QoS 3",
        Server(V5),
        "82 07 00 01 00 00 01 'a' 03",
        E::InvalidSubscriptionQos,
        PROTOCOL,
        "MQTT-3.8.3 (section)",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3-4 3.1.1: requested QoS 3",
        Server(V3_1_1),
        "82 06 00 01 00 01 'a' 03",
        E::InvalidSubscriptionQos,
        PROTOCOL,
        "MQTT-3.8.3 (section)",
        "MQTT-3.8.3-4",
    ),
    case(
        "MQTT-3.8.3.1 v5: Retain Handling 3",
        Server(V5),
        "82 07 00 01 00 00 01 'a' 30",
        E::InvalidRetainHandling,
        PROTOCOL,
        "MQTT-3.8.3 (section)",
        "MQTT-3.8.3 (5.0 only)",
    ),
    case(
        "MQTT-3.8.3-4 v5: No Local on a shared subscription",
        Server(V5),
        "82 10 00 01 00 00 0A '$share/g/a' 04",
        E::NoLocalOnSharedSubscription,
        PROTOCOL,
        "MQTT-3.8.3-4",
        "MQTT-3.8.3-4 (5.0 only)",
    ),
    case(
        "MQTT-3.8.2.1.2 v5: Subscription Identifier 0",
        Server(V5),
        "82 09 00 01 02 0B 00 00 01 'a' 00",
        E::InvalidPropertyValue {
            property: PropertyId::SubscriptionIdentifier,
        },
        PROTOCOL,
        "MQTT-3 (property definition)",
        "MQTT-3 (5.0 only)",
    ),
    case(
        "MQTT-3.8.2.1.2 v5: Subscription Identifier twice",
        Server(V5),
        "82 0B 00 01 04 0B 01 0B 02 00 01 'a' 00",
        E::DuplicateProperty {
            property: PropertyId::SubscriptionIdentifier,
        },
        PROTOCOL,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Reason String in SUBSCRIBE",
        Server(V5),
        "82 0B 00 01 04 1F 00 01 'x' 00 01 'a' 00",
        E::PropertyNotAllowed {
            property: PropertyId::ReasonString,
            packet: T::Subscribe,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
    case(
        "MQTT-2.2.2.2 v5: Subscription Identifier in UNSUBSCRIBE",
        Server(V5),
        "A2 08 00 01 02 0B 01 00 01 'a'",
        E::PropertyNotAllowed {
            property: PropertyId::SubscriptionIdentifier,
            packet: T::Unsubscribe,
        },
        MALFORMED,
        "MQTT-2.2.2 (section)",
        "MQTT-2.2.2 (5.0 only)",
    ),
];

fn check_case(case: &Case) -> Result<(), String> {
    let bytes = wire(case.bytes);
    if !matches!(case.error, E::PacketTooLarge { .. }) {
        check_vector_length(case.label, &bytes);
    }
    let error = match decode_all(case.peer, &bytes) {
        Err(error) => error,
        Ok(packet) => return Err(format!("decoded instead of failing: {packet:?}")),
    };
    if error != case.error {
        return Err(format!("error {error:?}, expected {:?}", case.error));
    }
    if error.reason_code() != case.reason {
        return Err(format!("reason code {}", error.reason_code()));
    }
    if error.rule() != case.rule5 || error.rule_for(V5) != case.rule5 {
        return Err(format!("5.0 rule {}", error.rule()));
    }
    if error.rule_for(V3_1_1) != case.rule311 || error.rule_for(V3_1) != case.rule311 {
        return Err(format!("3.1.1 rule {}", error.rule_for(V3_1_1)));
    }
    Ok(())
}

#[test]
fn every_violation_is_rejected_with_its_reason_code_and_rule() {
    let failures: Vec<String> = ERRORS
        .iter()
        .filter_map(|case| {
            check_case(case)
                .err()
                .map(|why| format!("{}: {why}", case.label))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        ERRORS.len(),
        failures.join("\n")
    );
}

#[test]
fn violation_labels_are_unique_and_name_a_rule() {
    let mut seen = BTreeSet::new();
    for label in ERRORS
        .iter()
        .map(|case| case.label)
        .chain(FILTER_ERRORS.iter().map(|case| case.label))
    {
        assert!(seen.insert(label), "duplicate label {label}");
        assert!(label.contains("MQTT-"), "{label} names no rule");
    }
}

// ---- invalid topic filters: the entry fails, the packet does not -----------------------------------

/// A SUBSCRIBE or UNSUBSCRIBE whose entry `index` is the invalid filter `text`.
struct FilterCase {
    label: &'static str,
    version: ProtocolVersion,
    bytes: &'static str,
    index: usize,
    text: &'static str,
    error: DecodeError,
    rule5: &'static str,
    rule311: &'static str,
}

const FILTER_ERRORS: &[FilterCase] = &[
    FilterCase {
        label: "MQTT-4.7.3-1 v5: empty topic filter",
        version: V5,
        bytes: "82 06 00 01 00 00 00 00",
        index: 0,
        text: "",
        error: E::EmptyTopicFilter,
        rule5: "MQTT-4.7.3-1",
        rule311: "MQTT-4.7.3-1",
    },
    FilterCase {
        label: "MQTT-4.7.3-1 3.1.1: empty topic filter",
        version: V3_1_1,
        bytes: "82 05 00 01 00 00 00",
        index: 0,
        text: "",
        error: E::EmptyTopicFilter,
        rule5: "MQTT-4.7.3-1",
        rule311: "MQTT-4.7.3-1",
    },
    FilterCase {
        label: "MQTT-4.7.3-1 v5: empty filter in UNSUBSCRIBE",
        version: V5,
        bytes: "A2 08 00 01 00 00 01 'a' 00 00",
        index: 1,
        text: "",
        error: E::EmptyTopicFilter,
        rule5: "MQTT-4.7.3-1",
        rule311: "MQTT-4.7.3-1",
    },
    FilterCase {
        label: "MQTT-4.7.1-1 v5: 'sport/tennis#' (spec example)",
        version: V5,
        bytes: "82 13 00 01 00 00 0D 'sport/tennis#' 00",
        index: 0,
        text: "sport/tennis#",
        error: E::InvalidMultiLevelWildcard,
        rule5: "MQTT-4.7.1-1",
        rule311: "MQTT-4.7.1-2",
    },
    FilterCase {
        label: "MQTT-4.7.1-2 3.1.1: 'sport/tennis/#/ranking' (spec example)",
        version: V3_1_1,
        bytes: "82 1F 00 01 00 01 'a' 00 00 16 'sport/tennis/#/ranking' 01",
        index: 1,
        text: "sport/tennis/#/ranking",
        error: E::InvalidMultiLevelWildcard,
        rule5: "MQTT-4.7.1-1",
        rule311: "MQTT-4.7.1-2",
    },
    FilterCase {
        label: "MQTT-4.7.1-2 3.1.1: '#' in UNSUBSCRIBE not last",
        version: V3_1_1,
        bytes: "A2 07 00 01 00 03 '#/a'",
        index: 0,
        text: "#/a",
        error: E::InvalidMultiLevelWildcard,
        rule5: "MQTT-4.7.1-1",
        rule311: "MQTT-4.7.1-2",
    },
    FilterCase {
        label: "MQTT-4.7.1-2 v5: 'sport+' (spec example)",
        version: V5,
        bytes: "82 0C 00 01 00 00 06 'sport+' 00",
        index: 0,
        text: "sport+",
        error: E::InvalidSingleLevelWildcard,
        rule5: "MQTT-4.7.1-2",
        rule311: "MQTT-4.7.1-3",
    },
    FilterCase {
        label: "MQTT-4.7.1-3 3.1.1: 'a/+b/c'",
        version: V3_1_1,
        bytes: "82 0B 00 01 00 06 'a/+b/c' 00",
        index: 0,
        text: "a/+b/c",
        error: E::InvalidSingleLevelWildcard,
        rule5: "MQTT-4.7.1-2",
        rule311: "MQTT-4.7.1-3",
    },
    FilterCase {
        label: "MQTT-4.7.1-2 v5: '+a' in UNSUBSCRIBE",
        version: V5,
        bytes: "A2 07 00 01 00 00 02 '+a'",
        index: 0,
        text: "+a",
        error: E::InvalidSingleLevelWildcard,
        rule5: "MQTT-4.7.1-2",
        rule311: "MQTT-4.7.1-3",
    },
    FilterCase {
        label: "MQTT-4.8.2-1 v5: empty ShareName '$share//a'",
        version: V5,
        bytes: "82 0F 00 01 00 00 09 '$share//a' 00",
        index: 0,
        text: "$share//a",
        error: E::EmptyShareName,
        rule5: "MQTT-4.8.2-1",
        rule311: "MQTT-4.8.2-1 (5.0 only)",
    },
    FilterCase {
        label: "MQTT-4.8.2-2 v5: ShareName 'g+' contains a wildcard",
        version: V5,
        bytes: "82 11 00 01 00 00 0B '$share/g+/a' 00",
        index: 0,
        text: "$share/g+/a",
        error: E::InvalidShareName,
        rule5: "MQTT-4.8.2-2",
        rule311: "MQTT-4.8.2-2 (5.0 only)",
    },
    FilterCase {
        label: "MQTT-4.8.2-2 v5: ShareName without '/' and a filter",
        version: V5,
        bytes: "82 0E 00 01 00 00 08 '$share/g' 00",
        index: 0,
        text: "$share/g",
        error: E::MissingSharedFilter,
        rule5: "MQTT-4.8.2-2",
        rule311: "MQTT-4.8.2-2 (5.0 only)",
    },
    FilterCase {
        label: "MQTT-4.8.2-2 v5: ShareName followed by '/' and no filter (UNSUBSCRIBE)",
        version: V5,
        bytes: "A2 0E 00 01 00 00 09 '$share/g/'",
        index: 0,
        text: "$share/g/",
        error: E::MissingSharedFilter,
        rule5: "MQTT-4.8.2-2",
        rule311: "MQTT-4.8.2-2 (5.0 only)",
    },
];

fn requested_filters(packet: &Packet) -> Vec<&Result<TopicFilter, InvalidTopicFilter>> {
    match packet {
        Packet::Subscribe(subscribe) => subscribe
            .subscriptions
            .iter()
            .map(|subscription| &subscription.filter)
            .collect(),
        Packet::Unsubscribe(unsubscribe) => unsubscribe.filters.iter().collect(),
        other => panic!("not a SUBSCRIBE or UNSUBSCRIBE: {other:?}"),
    }
}

#[test]
fn invalid_topic_filters_fail_only_their_entry() {
    for case in FILTER_ERRORS {
        let bytes = wire(case.bytes);
        check_vector_length(case.label, &bytes);
        let packet = decode_all(Server(case.version), &bytes)
            .unwrap_or_else(|error| panic!("{}: {error:?}", case.label))
            .unwrap_or_else(|| panic!("{}: incomplete", case.label));
        let filters = requested_filters(&packet);
        for (index, entry) in filters.iter().enumerate() {
            if index != case.index {
                assert!(entry.is_ok(), "{}: entry {index} is {entry:?}", case.label);
                continue;
            }
            let invalid = entry.as_ref().expect_err(case.label).clone();
            assert_eq!(invalid.text, case.text, "{}", case.label);
            assert_eq!(invalid.error, case.error, "{}", case.label);
            assert_eq!(
                invalid.error.reason_code(),
                FILTER_INVALID,
                "{}",
                case.label
            );
            assert_eq!(invalid.error.rule(), case.rule5, "{}", case.label);
            assert_eq!(
                invalid.error.rule_for(V3_1_1),
                case.rule311,
                "{}",
                case.label
            );
        }
        assert!(case.index < filters.len(), "{}", case.label);
    }
}

// ---- valid vectors: each packet type per version ------------------------------------------------------

struct Valid {
    label: &'static str,
    peer: Peer,
    bytes: &'static str,
    packet: Packet,
}

fn valid(label: &'static str, peer: Peer, bytes: &'static str, packet: Packet) -> Valid {
    Valid {
        label,
        peer,
        bytes,
        packet,
    }
}

fn connect(protocol: ProtocolVersion, client_id: &'static str) -> Connect {
    Connect::new(protocol, s(client_id))
}

fn publish(qos: QoS, topic: TopicName, packet_id: Option<u16>, payload: &'static [u8]) -> Publish {
    Publish {
        qos,
        packet_id: packet_id.map(pid),
        ..Publish::new(topic, b(payload))
    }
}

fn subscription(text: &'static str, options: SubscriptionOptions) -> hermod_codec::Subscription {
    hermod_codec::Subscription {
        filter: Ok(filter(text)),
        options,
    }
}

fn user(key: &str, value: &str) -> UserProperty {
    UserProperty::new(key, value).unwrap()
}

fn reasons(codes: &[u8]) -> Vec<ReasonCode> {
    codes
        .iter()
        .map(|&code| ReasonCode::from_byte(code))
        .collect()
}

/// MQTT 3.1.1: the 14 packet types that exist (AUTH is reserved, see [`ERRORS`]).
fn valid_v3_1_1() -> Vec<Valid> {
    vec![
        valid(
            "3.1.1 CONNECT, the common capture: clean session, keep alive 60, client id DIGI",
            Fresh,
            "10 10 00 04 4D 51 54 54 04 02 00 3C 00 04 44 49 47 49",
            connect(V3_1_1, "DIGI").into(),
        ),
        valid(
            "MQTT-3.1.3-1 3.1.1 CONNECT, spec Figure 3.6 header (flags CE, keep alive 10) with \
             will, user name and password in payload order",
            Fresh,
            "10 1F 00 04 'MQTT' 04 CE 00 0A 00 02 'c1' 00 03 'w/t' 00 03 'bye' 00 01 'u' 00 02 'pw'",
            Connect {
                keep_alive: 10,
                will: Some(Will {
                    topic: name("w/t"),
                    payload: b(b"bye"),
                    qos: QoS::AtLeastOnce,
                    retain: false,
                    properties: WillProperties::default(),
                }),
                username: Some(s("u")),
                password: Some(b(b"pw")),
                ..connect(V3_1_1, "c1")
            }
            .into(),
        ),
        valid(
            "MQTT-3.1.3-6 3.1.1 CONNECT with a zero-byte client id and will retain",
            Fresh,
            "10 14 00 04 'MQTT' 04 36 FF FF 00 00 00 02 't/' 00 02 00 FF",
            Connect {
                keep_alive: 0xFFFF,
                will: Some(Will {
                    topic: name("t/"),
                    payload: b(b"\x00\xFF"),
                    qos: QoS::ExactlyOnce,
                    retain: true,
                    properties: WillProperties::default(),
                }),
                ..connect(V3_1_1, "")
            }
            .into(),
        ),
        valid(
            "3.1.1 CONNACK: session present, accepted",
            Client(V3_1_1),
            "20 02 01 00",
            ConnAck::new(ReasonCode::SUCCESS, true).into(),
        ),
        valid(
            "3.1.1 CONNACK: return code 1 (unacceptable protocol version)",
            Client(V3_1_1),
            "20 02 00 01",
            ConnAck::new(ReasonCode::UNSUPPORTED_PROTOCOL_VERSION, false).into(),
        ),
        valid(
            "3.1.1 PUBLISH QoS 1 with DUP and RETAIN",
            Server(V3_1_1),
            "3B 0C 00 03 'a/b' 00 0A 'hello'",
            Publish {
                dup: true,
                retain: true,
                ..publish(QoS::AtLeastOnce, name("a/b"), Some(10), b"hello")
            }
            .into(),
        ),
        valid(
            "MQTT-2.3.1-5 3.1.1 PUBLISH QoS 0 has no packet identifier: the bytes are payload",
            Client(V3_1_1),
            "30 06 00 01 't' 00 0A 'A'",
            publish(QoS::AtMostOnce, name("t"), None, b"\x00\x0AA").into(),
        ),
        valid(
            "MQTT-1.5.3-3 3.1.1 a byte order mark in a topic name is kept",
            Client(V3_1_1),
            "30 06 00 04 EF BB BF 't'",
            publish(
                QoS::AtMostOnce,
                TopicName::new("\u{FEFF}t").unwrap(),
                None,
                b"",
            )
            .into(),
        ),
        valid(
            "3.1.1 PUBACK",
            Server(V3_1_1),
            "40 02 00 0A",
            Packet::PubAck(PubAck::new(pid(10))),
        ),
        valid(
            "3.1.1 PUBREC",
            Client(V3_1_1),
            "50 02 FF FF",
            Packet::PubRec(PubRec::new(pid(0xFFFF))),
        ),
        valid(
            "MQTT-3.6.1-1 3.1.1 PUBREL with flags 0010",
            Server(V3_1_1),
            "62 02 00 0A",
            Packet::PubRel(PubRel::new(pid(10))),
        ),
        valid(
            "3.1.1 PUBCOMP",
            Client(V3_1_1),
            "70 02 00 0A",
            Packet::PubComp(PubComp::new(pid(10))),
        ),
        valid(
            "MQTT-3.8.1-1 3.1.1 SUBSCRIBE, spec example: a/b QoS 1, c/d QoS 2",
            Server(V3_1_1),
            "82 0E 00 0A 00 03 'a/b' 01 00 03 'c/d' 02",
            Packet::Subscribe(Subscribe {
                packet_id: pid(10),
                properties: SubscribeProperties::default(),
                subscriptions: vec![
                    subscription("a/b", SubscriptionOptions::with_qos(QoS::AtLeastOnce)),
                    subscription("c/d", SubscriptionOptions::with_qos(QoS::ExactlyOnce)),
                ],
            }),
        ),
        valid(
            "MQTT-3.9.3-2 3.1.1 SUBACK: granted 0 and 2, failure 0x80",
            Client(V3_1_1),
            "90 05 00 0A 00 02 80",
            Packet::SubAck(SubAck {
                packet_id: pid(10),
                properties: AckProperties::default(),
                reasons: reasons(&[0x00, 0x02, 0x80]),
            }),
        ),
        valid(
            "MQTT-3.10.1-1 3.1.1 UNSUBSCRIBE a/b and c/d",
            Server(V3_1_1),
            "A2 0C 00 0B 00 03 'a/b' 00 03 'c/d'",
            Packet::Unsubscribe(Unsubscribe {
                packet_id: pid(11),
                properties: UnsubscribeProperties::default(),
                filters: vec![Ok(filter("a/b")), Ok(filter("c/d"))],
            }),
        ),
        valid(
            "3.1.1 UNSUBACK",
            Client(V3_1_1),
            "B0 02 00 0B",
            Packet::UnsubAck(UnsubAck {
                packet_id: pid(11),
                properties: AckProperties::default(),
                reasons: Vec::new(),
            }),
        ),
        valid("3.1.1 PINGREQ", Server(V3_1_1), "C0 00", Packet::PingReq),
        valid("3.1.1 PINGRESP", Client(V3_1_1), "D0 00", Packet::PingResp),
        valid(
            "MQTT-3.14.1-1 3.1.1 DISCONNECT",
            Server(V3_1_1),
            "E0 00",
            Packet::Disconnect(Disconnect::default()),
        ),
        valid(
            "3.1.1 has no minimum-bytes rule: PINGREQ with Remaining Length 0 in two bytes",
            Server(V3_1_1),
            "C0 80 00",
            Packet::PingReq,
        ),
        valid(
            "3.1.1 CONNECT with Remaining Length 12 in two bytes",
            Fresh,
            "10 8C 00 00 04 'MQTT' 04 02 00 3C 00 00",
            connect(V3_1_1, "").into(),
        ),
    ]
}

/// MQTT 3.1 (MQIsdp, level 3): the 14 packet types, with the DUP headers only 3.1 allows.
fn valid_v3_1() -> Vec<Valid> {
    vec![
        valid(
            "3.1 CONNECT: protocol name MQIsdp, level 3",
            Fresh,
            "10 12 00 06 'MQIsdp' 03 02 00 3C 00 04 'DIGI'",
            connect(V3_1, "DIGI").into(),
        ),
        valid(
            "3.1 CONNECT: no reserved-flag rule (bit 0 set), will and user name",
            Fresh,
            "10 1A 00 06 'MQIsdp' 03 8F 00 0A 00 01 'c' 00 01 't' 00 03 'bye' 00 01 'u'",
            Connect {
                keep_alive: 10,
                will: Some(Will {
                    topic: name("t"),
                    payload: b(b"bye"),
                    qos: QoS::AtLeastOnce,
                    retain: false,
                    properties: WillProperties::default(),
                }),
                username: Some(s("u")),
                ..connect(V3_1, "c")
            }
            .into(),
        ),
        valid(
            "3.1 CONNACK accepted",
            Client(V3_1),
            "20 02 00 00",
            ConnAck::new(ReasonCode::SUCCESS, false).into(),
        ),
        valid(
            "3.1 PUBLISH QoS 2 with DUP",
            Server(V3_1),
            "3C 07 00 01 't' 00 05 'hi'",
            Publish {
                dup: true,
                ..publish(QoS::ExactlyOnce, name("t"), Some(5), b"hi")
            }
            .into(),
        ),
        valid(
            "3.1 PUBACK",
            Client(V3_1),
            "40 02 00 05",
            Packet::PubAck(PubAck::new(pid(5))),
        ),
        valid(
            "3.1 PUBREC",
            Server(V3_1),
            "50 02 00 05",
            Packet::PubRec(PubRec::new(pid(5))),
        ),
        valid(
            "3.1 PUBREL retransmitted with DUP (MQTT-3.6.1-1 is 3.1.1 only)",
            Server(V3_1),
            "6A 02 00 05",
            Packet::PubRel(PubRel::new(pid(5))),
        ),
        valid(
            "3.1 PUBCOMP",
            Client(V3_1),
            "70 02 00 05",
            Packet::PubComp(PubComp::new(pid(5))),
        ),
        valid(
            "3.1 SUBSCRIBE retransmitted with DUP (MQTT-3.8.1-1 is 3.1.1 only)",
            Server(V3_1),
            "8A 06 00 06 00 01 'a' 01",
            Packet::Subscribe(Subscribe::new(
                pid(6),
                filter("a"),
                SubscriptionOptions::with_qos(QoS::AtLeastOnce),
            )),
        ),
        valid(
            "3.1 SUBACK",
            Client(V3_1),
            "90 03 00 06 01",
            Packet::SubAck(SubAck {
                packet_id: pid(6),
                properties: AckProperties::default(),
                reasons: reasons(&[0x01]),
            }),
        ),
        valid(
            "3.1 UNSUBSCRIBE retransmitted with DUP (MQTT-3.10.1-1 is 3.1.1 only)",
            Server(V3_1),
            "AA 05 00 07 00 01 'a'",
            Packet::Unsubscribe(Unsubscribe::new(pid(7), filter("a"))),
        ),
        valid(
            "3.1 UNSUBACK",
            Client(V3_1),
            "B0 02 00 07",
            Packet::UnsubAck(UnsubAck {
                packet_id: pid(7),
                properties: AckProperties::default(),
                reasons: Vec::new(),
            }),
        ),
        valid("3.1 PINGREQ", Server(V3_1), "C0 00", Packet::PingReq),
        valid("3.1 PINGRESP", Client(V3_1), "D0 00", Packet::PingResp),
        valid(
            "3.1 DISCONNECT",
            Server(V3_1),
            "E0 00",
            Packet::Disconnect(Disconnect::default()),
        ),
    ]
}

/// MQTT 5.0: all 15 packet types, with properties and the short forms.
fn valid_v5() -> Vec<Valid> {
    vec![
        valid(
            "5.0 CONNECT, the common capture: Receive Maximum 20, empty client id",
            Fresh,
            "10 10 00 04 4D 51 54 54 05 02 00 3C 03 21 00 14 00 00",
            Connect {
                properties: ConnectProperties {
                    receive_maximum: NonZeroU16::new(20),
                    ..ConnectProperties::default()
                },
                ..connect(V5, "")
            }
            .into(),
        ),
        valid(
            "MQTT-3.1.3-1 5.0 CONNECT, spec Figure 3-6 header (flags CE, keep alive 10, Session \
             Expiry 10) with will properties, will, user name and password",
            Fresh,
            "10 2D 00 04 'MQTT' 05 CE 00 0A 05 11 00 00 00 0A 00 02 'c1' \
             07 01 01 02 00 00 00 3C 00 03 'w/t' 00 03 'bye' 00 01 'u' 00 02 'pw'",
            Connect {
                keep_alive: 10,
                will: Some(Will {
                    topic: name("w/t"),
                    payload: b(b"bye"),
                    qos: QoS::AtLeastOnce,
                    retain: false,
                    properties: WillProperties {
                        payload_format: Some(PayloadFormat::Utf8),
                        message_expiry_interval: Some(60),
                        ..WillProperties::default()
                    },
                }),
                username: Some(s("u")),
                password: Some(b(b"pw")),
                properties: ConnectProperties {
                    session_expiry_interval: Some(10),
                    ..ConnectProperties::default()
                },
                ..connect(V5, "c1")
            }
            .into(),
        ),
        valid(
            "5.0 CONNECT: password without user name is allowed (MQTT-3.1.2-22 is 3.1.1 only), \
             every CONNECT property",
            Fresh,
            "10 39 00 04 'MQTT' 05 40 00 00 27 11 FF FF FF FF 21 00 0A 27 00 00 04 00 \
             22 00 05 19 01 17 00 15 00 04 'SCRM' 16 00 02 01 02 26 00 01 'k' 00 01 'v' \
             00 01 'c' 00 02 'pw'",
            Connect {
                clean_start: false,
                keep_alive: 0,
                password: Some(b(b"pw")),
                properties: ConnectProperties {
                    session_expiry_interval: Some(u32::MAX),
                    receive_maximum: NonZeroU16::new(10),
                    maximum_packet_size: NonZeroU32::new(1024),
                    topic_alias_maximum: Some(5),
                    request_response_information: Some(true),
                    request_problem_information: Some(false),
                    authentication_method: Some(s("SCRM")),
                    authentication_data: Some(b(b"\x01\x02")),
                    user_properties: vec![user("k", "v")],
                },
                ..connect(V5, "c")
            }
            .into(),
        ),
        valid(
            "5.0 CONNACK with Topic Alias Maximum, Assigned Client Identifier, Maximum QoS and \
             Retain Available",
            Client(V5),
            "20 10 00 00 0D 22 00 0A 12 00 03 'abc' 24 01 25 00",
            ConnAck {
                properties: ConnAckProperties {
                    topic_alias_maximum: Some(10),
                    assigned_client_identifier: Some(s("abc")),
                    maximum_qos: Some(QoS::AtLeastOnce),
                    retain_available: Some(false),
                    ..ConnAckProperties::default()
                },
                ..ConnAck::new(ReasonCode::SUCCESS, false)
            }
            .into(),
        ),
        valid(
            "5.0 CONNACK refusing with 0x9C and a Server Reference",
            Client(V5),
            "20 08 00 9C 05 1C 00 02 'h2'",
            ConnAck {
                properties: ConnAckProperties {
                    server_reference: Some(s("h2")),
                    ..ConnAckProperties::default()
                },
                ..ConnAck::new(ReasonCode::USE_ANOTHER_SERVER, false)
            }
            .into(),
        ),
        valid(
            "5.0 PUBLISH QoS 2 with every PUBLISH property a client may send",
            Server(V5),
            "34 30 00 03 'a/b' 00 01 23 01 01 02 00 00 00 3C 23 00 05 08 00 03 'r/t' \
             09 00 02 01 02 03 00 04 'text' 26 00 01 'k' 00 01 'v' 'hello'",
            Publish {
                properties: PublishProperties {
                    payload_format: Some(PayloadFormat::Utf8),
                    message_expiry_interval: Some(60),
                    topic_alias: TopicAlias::new(5),
                    metadata: Some(Box::new(PublishMetadata {
                        response_topic: Some(name("r/t")),
                        correlation_data: Some(b(b"\x01\x02")),
                        content_type: Some(s("text")),
                        user_properties: vec![user("k", "v")],
                        subscription_identifiers: Vec::new(),
                    })),
                },
                ..publish(QoS::ExactlyOnce, name("a/b"), Some(1), b"hello")
            }
            .into(),
        ),
        valid(
            "3.3.2.3.8 5.0 server PUBLISH may carry several Subscription Identifiers (1, 128): \
             MQTT-3.3.4-6 binds only the client",
            Client(V5),
            "30 0B 00 01 't' 05 0B 01 0B 80 01 'hi'",
            Publish {
                properties: PublishProperties {
                    metadata: Some(Box::new(PublishMetadata {
                        subscription_identifiers: vec![
                            SubscriptionId::new(1).unwrap(),
                            SubscriptionId::new(128).unwrap(),
                        ],
                        ..PublishMetadata::default()
                    })),
                    ..PublishProperties::default()
                },
                ..publish(QoS::AtMostOnce, name("t"), None, b"hi")
            }
            .into(),
        ),
        valid(
            "MQTT-3.3.2.1 5.0 PUBLISH with an empty topic name and Topic Alias 7",
            Server(V5),
            "30 06 00 00 03 23 00 07",
            Publish {
                properties: PublishProperties {
                    topic_alias: TopicAlias::new(7),
                    ..PublishProperties::default()
                },
                ..publish(QoS::AtMostOnce, TopicName::aliased(), None, b"")
            }
            .into(),
        ),
        valid(
            "MQTT-1.5.4-3 5.0 a byte order mark in a topic name is kept",
            Server(V5),
            "30 07 00 04 EF BB BF 't' 00",
            publish(
                QoS::AtMostOnce,
                TopicName::new("\u{FEFF}t").unwrap(),
                None,
                b"",
            )
            .into(),
        ),
        valid(
            "MQTT-2.2.1-2 5.0 PUBLISH QoS 0 has no packet identifier: 00 is the Property Length",
            Server(V5),
            "30 06 00 01 't' 00 00 0A",
            publish(QoS::AtMostOnce, name("t"), None, b"\x00\x0A").into(),
        ),
        valid(
            "5.0 PUBACK short form: Remaining Length 2 means Success",
            Server(V5),
            "40 02 00 01",
            Packet::PubAck(PubAck::new(pid(1))),
        ),
        valid(
            "MQTT-3.4.2-1 5.0 PUBACK 0x10 with a Reason String",
            Client(V5),
            "40 08 00 01 10 04 1F 00 01 'x'",
            Packet::PubAck(PubAck {
                properties: AckProperties {
                    reason_string: Some(s("x")),
                    user_properties: Vec::new(),
                },
                ..PubAck::with_reason(pid(1), ReasonCode::NO_MATCHING_SUBSCRIBERS)
            }),
        ),
        valid(
            "MQTT-3.5.2-1 5.0 PUBREC 0x91 without properties (Remaining Length 3)",
            Server(V5),
            "50 03 00 02 91",
            Packet::PubRec(PubRec::with_reason(
                pid(2),
                ReasonCode::PACKET_IDENTIFIER_IN_USE,
            )),
        ),
        valid(
            "MQTT-3.6.2-1 5.0 PUBREL 0x92",
            Client(V5),
            "62 03 00 03 92",
            Packet::PubRel(PubRel::with_reason(
                pid(3),
                ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
            )),
        ),
        valid(
            "MQTT-3.7.2-1 5.0 PUBCOMP 0x00 with an empty property block",
            Server(V5),
            "70 04 00 04 00 00",
            Packet::PubComp(PubComp::new(pid(4))),
        ),
        valid(
            "5.0 SUBSCRIBE with a Subscription Identifier, every option, and a shared filter",
            Server(V5),
            "82 1A 00 01 02 0B 07 00 03 'a/+' 2D 00 0C '$share/g/x/#' 02",
            Packet::Subscribe(Subscribe {
                packet_id: pid(1),
                properties: SubscribeProperties {
                    subscription_identifier: SubscriptionId::new(7),
                    user_properties: Vec::new(),
                },
                subscriptions: vec![
                    subscription(
                        "a/+",
                        SubscriptionOptions {
                            qos: QoS::AtLeastOnce,
                            no_local: true,
                            retain_as_published: true,
                            retain_handling: RetainHandling::DoNotSend,
                        },
                    ),
                    subscription(
                        "$share/g/x/#",
                        SubscriptionOptions::with_qos(QoS::ExactlyOnce),
                    ),
                ],
            }),
        ),
        valid(
            "MQTT-3.9.3-2 5.0 SUBACK granted 1 and 2, 0x8F, 0xA2",
            Client(V5),
            "90 07 00 01 00 01 02 8F A2",
            Packet::SubAck(SubAck {
                packet_id: pid(1),
                properties: AckProperties::default(),
                reasons: reasons(&[0x01, 0x02, 0x8F, 0xA2]),
            }),
        ),
        valid(
            "5.0 UNSUBSCRIBE with a User Property",
            Server(V5),
            "A2 0F 00 02 07 26 00 01 'k' 00 01 'v' 00 03 'a/+'",
            Packet::Unsubscribe(Unsubscribe {
                properties: UnsubscribeProperties {
                    user_properties: vec![user("k", "v")],
                },
                ..Unsubscribe::new(pid(2), filter("a/+"))
            }),
        ),
        valid(
            "MQTT-3.11.3-2 5.0 UNSUBACK 0x00 and 0x11",
            Client(V5),
            "B0 05 00 02 00 00 11",
            Packet::UnsubAck(UnsubAck {
                packet_id: pid(2),
                properties: AckProperties::default(),
                reasons: reasons(&[0x00, 0x11]),
            }),
        ),
        valid("5.0 PINGREQ", Server(V5), "C0 00", Packet::PingReq),
        valid("5.0 PINGRESP", Client(V5), "D0 00", Packet::PingResp),
        valid(
            "5.0 DISCONNECT short form: Remaining Length 0 means Normal disconnection",
            Server(V5),
            "E0 00",
            Packet::Disconnect(Disconnect::default()),
        ),
        valid(
            "MQTT-3.14.2-1 5.0 client DISCONNECT 0x04 (Remaining Length 1)",
            Server(V5),
            "E0 01 04",
            Packet::Disconnect(Disconnect::new(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE)),
        ),
        valid(
            "MQTT-3.14.2-2 5.0 a client DISCONNECT may carry Session Expiry Interval",
            Server(V5),
            "E0 07 00 05 11 00 00 0E 10",
            Packet::Disconnect(Disconnect {
                reason: ReasonCode::SUCCESS,
                properties: DisconnectProperties {
                    session_expiry_interval: Some(3600),
                    ..DisconnectProperties::default()
                },
            }),
        ),
        valid(
            "5.0 server DISCONNECT 0x9C with a Server Reference",
            Client(V5),
            "E0 07 9C 05 1C 00 02 'h2'",
            Packet::Disconnect(Disconnect {
                reason: ReasonCode::USE_ANOTHER_SERVER,
                properties: DisconnectProperties {
                    server_reference: Some(s("h2")),
                    ..DisconnectProperties::default()
                },
            }),
        ),
        valid(
            "MQTT-3.15.2-1 5.0 AUTH 0x18 with method and data",
            Server(V5),
            "F0 0C 18 0A 15 00 03 'abc' 16 00 01 'x'",
            Packet::Auth(Auth {
                reason: ReasonCode::CONTINUE_AUTHENTICATION,
                properties: AuthProperties {
                    authentication_method: Some(s("abc")),
                    authentication_data: Some(b(b"x")),
                    ..AuthProperties::default()
                },
            }),
        ),
        valid(
            "5.0 AUTH short form: Remaining Length 0 means Success",
            Client(V5),
            "F0 00",
            Packet::Auth(Auth::default()),
        ),
    ]
}

fn check_valid(vectors: Vec<Valid>, expected_types: usize) {
    let mut types = BTreeSet::new();
    for vector in vectors {
        let bytes = wire(vector.bytes);
        check_vector_length(vector.label, &bytes);
        let mut decoder = vector.peer.decoder();
        let mut buf = BytesMut::from(&bytes[..]);
        let packet = decoder.decode(&mut buf);
        assert_eq!(packet, Ok(Some(vector.packet)), "{}", vector.label);
        assert!(buf.is_empty(), "{}: bytes left over", vector.label);
        if let Ok(Some(packet)) = packet {
            types.insert(packet.packet_type().nibble());
        }
    }
    assert_eq!(
        types.len(),
        expected_types,
        "packet types covered: {types:?}"
    );
}

#[test]
fn valid_v3_1_1_packets_decode_to_the_expected_structs() {
    check_valid(valid_v3_1_1(), 14);
}

#[test]
fn valid_v3_1_packets_decode_to_the_expected_structs() {
    check_valid(valid_v3_1(), 14);
}

#[test]
fn valid_v5_packets_decode_to_the_expected_structs() {
    check_valid(valid_v5(), 15);
}

// ---- checks left to the receiver and limits of the string type ------------------------------------

#[test]
fn payload_format_indicator_is_checked_on_request_mqtt_3_3_2_4() {
    // PUBLISH, Payload Format Indicator 1, payload FF FE: decodes, then fails the check.
    let bytes = wire("30 08 00 01 't' 02 01 01 FF FE");
    check_vector_length("PFI", &bytes);
    let Ok(Some(Packet::Publish(publish))) = decode_all(Server(V5), &bytes) else {
        panic!("PUBLISH with PFI 1 did not decode");
    };
    let error = publish.check_payload_format().unwrap_err();
    assert_eq!(error, E::PayloadFormatInvalid);
    assert_eq!(error.reason_code(), ReasonCode::PAYLOAD_FORMAT_INVALID);
    assert_eq!(error.rule(), "MQTT-3.3.2-4");
    assert_eq!(error.rule_for(V3_1_1), "MQTT-3.3.2-4 (5.0 only)");

    // The same payload with Payload Format Indicator 0, and UTF-8 with 1, pass.
    let bytes = wire("30 08 00 01 't' 02 01 00 FF FE");
    check_vector_length("PFI 0", &bytes);
    let Ok(Some(Packet::Publish(publish))) = decode_all(Server(V5), &bytes) else {
        panic!("PUBLISH with PFI 0 did not decode");
    };
    assert_eq!(publish.check_payload_format(), Ok(()));
    let bytes = wire("30 09 00 01 't' 02 01 01 C3 A9 'x'");
    check_vector_length("PFI 1 UTF-8", &bytes);
    let Ok(Some(Packet::Publish(publish))) = decode_all(Server(V5), &bytes) else {
        panic!("PUBLISH with PFI 1 and UTF-8 did not decode");
    };
    assert_eq!(publish.check_payload_format(), Ok(()));

    // The will of a CONNECT (section 3.1.3.2.3): PFI 1 with payload 80.
    let bytes = wire("10 17 00 04 'MQTT' 05 06 00 3C 00 00 01 'c' 02 01 01 00 01 't' 00 01 80");
    check_vector_length("will PFI", &bytes);
    let Ok(Some(Packet::Connect(connect))) = decode_all(Fresh, &bytes) else {
        panic!("CONNECT with a will did not decode");
    };
    let will = connect.will.as_ref().expect("will");
    assert_eq!(will.check_payload_format(), Err(E::PayloadFormatInvalid));
}

#[test]
fn string_fields_reach_but_do_not_exceed_65535_bytes() {
    // A 3.1.1 PUBLISH whose topic is 65,535 bytes: Remaining Length 65,537 = 81 80 04.
    let mut bytes = wire("30 81 80 04 FF FF");
    bytes.extend(std::iter::repeat_n(b'a', 65_535));
    check_vector_length("long topic", &bytes);
    let Ok(Some(Packet::Publish(publish))) = decode_all(Server(V3_1_1), &bytes) else {
        panic!("65535-byte topic did not decode");
    };
    assert_eq!(publish.topic.len(), 65_535);

    // The decoder cannot see a longer field (the length is two bytes); the string type refuses
    // to build one.
    let error = MqttString::new(&"a".repeat(65_536)).unwrap_err();
    assert_eq!(error, E::FieldTooLong { len: 65_536 });
    assert_eq!(error.reason_code(), MALFORMED);
    assert_eq!(error.rule(), "MQTT-1.5.4 (section)");
    assert_eq!(error.rule_for(V3_1_1), "MQTT-1.5.3 (section)");
}

#[test]
fn unsupported_level_answers_3_1_1_with_return_code_1_mqtt_3_1_2_2() {
    let bytes = wire("10 0C 00 04 'MQTT' 07 02 00 3C 00 00");
    let error = decode_all(Fresh, &bytes).unwrap_err();
    assert_eq!(error, E::UnsupportedProtocolLevel { level: 7 });
    assert_eq!(
        ConnectReturnCode::from_reason_code(error.reason_code()),
        ConnectReturnCode::UnacceptableProtocolVersion
    );
}

// ---- the incremental decoder --------------------------------------------------------------------------

/// Valid packets of various shapes, each with the peer that decodes it.
fn incremental_vectors() -> Vec<(Peer, Vec<u8>)> {
    let mut long_publish = wire("32 D0 01 00 03 'a/b' 00 07 00");
    long_publish.extend(std::iter::repeat_n(b'x', 200));
    vec![
        (
            Fresh,
            wire("10 10 00 04 4D 51 54 54 04 02 00 3C 00 04 44 49 47 49"),
        ),
        (
            Fresh,
            wire(
                "10 2D 00 04 'MQTT' 05 CE 00 0A 05 11 00 00 00 0A 00 02 'c1' \
                 07 01 01 02 00 00 00 3C 00 03 'w/t' 00 03 'bye' 00 01 'u' 00 02 'pw'",
            ),
        ),
        (
            Server(V5),
            wire(
                "34 30 00 03 'a/b' 00 01 23 01 01 02 00 00 00 3C 23 00 05 08 00 03 'r/t' \
                 09 00 02 01 02 03 00 04 'text' 26 00 01 'k' 00 01 'v' 'hello'",
            ),
        ),
        (Server(V5), long_publish),
        (
            Server(V3_1_1),
            wire("82 0E 00 0A 00 03 'a/b' 01 00 03 'c/d' 02"),
        ),
        (
            Client(V5),
            wire("20 10 00 00 0D 22 00 0A 12 00 03 'abc' 24 01 25 00"),
        ),
        (Server(V5), wire("C0 00")),
    ]
}

#[test]
fn every_strict_prefix_is_incomplete_and_left_untouched() {
    for (peer, bytes) in incremental_vectors() {
        check_vector_length("incremental", &bytes);
        for len in 0..bytes.len() {
            let mut decoder = peer.decoder();
            let mut buf = BytesMut::from(&bytes[..len]);
            assert_eq!(
                decoder.decode(&mut buf),
                Ok(None),
                "prefix {len} of {bytes:02X?}"
            );
            assert_eq!(&buf[..], &bytes[..len], "prefix {len} was modified");
        }
        // Byte by byte into one buffer and one decoder, as a reader would.
        let mut decoder = peer.decoder();
        let mut buf = BytesMut::new();
        for (index, &byte) in bytes.iter().enumerate() {
            buf.extend_from_slice(&[byte]);
            let result = decoder.decode(&mut buf);
            if index + 1 < bytes.len() {
                assert_eq!(result, Ok(None), "byte {index} of {bytes:02X?}");
            } else {
                assert!(matches!(result, Ok(Some(_))), "{result:?}");
                assert!(buf.is_empty());
            }
        }
    }
}

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

#[test]
fn many_packets_in_one_buffer_decode_in_a_loop() {
    let stream = wire(
        "10 10 00 04 'MQTT' 05 02 00 3C 03 21 00 14 00 00 \
         32 0A 00 03 'a/b' 00 01 00 'hi' \
         82 09 00 02 00 00 03 'a/+' 01 \
         62 02 00 01 \
         C0 00 \
         A2 08 00 03 00 00 03 'a/+' \
         E0 00 \
         30 09 00 01",
    );
    let mut decoder = Decoder::new(Role::Server);
    let mut buf = BytesMut::from(&stream[..]);
    let mut types = Vec::new();
    while let Some(packet) = decoder.decode(&mut buf).unwrap() {
        types.push(packet.packet_type());
    }
    assert_eq!(
        types,
        [
            T::Connect,
            T::Publish,
            T::Subscribe,
            T::PubRel,
            T::PingReq,
            T::Unsubscribe,
            T::Disconnect
        ]
    );
    // The start of the next packet stays buffered until the rest arrives.
    assert_eq!(&buf[..], &wire("30 09 00 01")[..]);
    buf.extend_from_slice(&wire("'t' 00 'hello'"));
    let Some(Packet::Publish(publish)) = decoder.decode(&mut buf).unwrap() else {
        panic!("PUBLISH expected");
    };
    assert_eq!(&publish.payload[..], b"hello");
    assert!(buf.is_empty());
    assert_eq!(decoder.decode(&mut buf), Ok(None));
}

#[test]
fn publish_payload_and_topic_are_slices_of_the_read_buffer() {
    let bytes = wire("31 10 00 03 'a/b' 00 'zero-copy!'");
    check_vector_length("zero-copy", &bytes);
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(&bytes);
    let start = buf.as_ptr() as usize;
    let end = start + buf.capacity();
    let inside = |pointer: *const u8| (start..end).contains(&(pointer as usize));

    let mut decoder = Decoder::with_version(Role::Client, V5);
    let Some(Packet::Publish(publish)) = decoder.decode(&mut buf).unwrap() else {
        panic!("PUBLISH expected");
    };
    assert!(publish.retain);
    assert_eq!(&publish.payload[..], b"zero-copy!");
    assert!(inside(publish.payload.as_ptr()), "payload was copied");
    assert!(
        inside(publish.topic.as_bytes().as_ptr()),
        "topic was copied"
    );
    assert_eq!(publish.payload.as_ptr() as usize, start + 8);
}

#[test]
fn subscribe_keeps_valid_entries_beside_an_invalid_filter() {
    // 5.0 SUBSCRIBE: "a/b" QoS 0, "a/#/b" QoS 1, "+/x" QoS 2.
    let bytes = wire("82 17 00 09 00 00 03 'a/b' 00 00 05 'a/#/b' 01 00 03 '+/x' 02");
    check_vector_length("mixed filters", &bytes);
    let Ok(Some(Packet::Subscribe(subscribe))) = decode_all(Server(V5), &bytes) else {
        panic!("SUBSCRIBE expected");
    };
    assert_eq!(subscribe.packet_id, pid(9));
    let filters: Vec<_> = subscribe
        .subscriptions
        .iter()
        .map(|subscription| subscription.filter.clone())
        .collect();
    assert_eq!(
        filters,
        [
            Ok(filter("a/b")),
            Err(InvalidTopicFilter {
                text: s("a/#/b"),
                error: E::InvalidMultiLevelWildcard,
            }),
            Ok(filter("+/x")),
        ]
    );
    let qos: Vec<_> = subscribe
        .subscriptions
        .iter()
        .map(|subscription| subscription.options.qos)
        .collect();
    assert_eq!(qos, [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]);
}

#[test]
fn server_decoder_adopts_the_version_of_connect() {
    // The same PUBLISH bytes mean different things in 3.1.1 (no properties) and 5.0.
    let publish = wire("30 05 00 01 't' 00 'A'");
    let cases = [
        (
            wire("10 10 00 04 'MQTT' 04 02 00 3C 00 04 'DIGI'"),
            V3_1_1,
            &b"\x00A"[..],
        ),
        (
            wire("10 0D 00 04 'MQTT' 05 02 00 3C 00 00 00"),
            V5,
            &b"A"[..],
        ),
        (
            wire("10 12 00 06 'MQIsdp' 03 02 00 3C 00 04 'DIGI'"),
            V3_1,
            &b"\x00A"[..],
        ),
    ];
    for (connect, version, payload) in cases {
        let mut decoder = Decoder::new(Role::Server);
        assert_eq!(decoder.version(), None);
        let mut buf = BytesMut::from(&connect[..]);
        let Some(Packet::Connect(packet)) = decoder.decode(&mut buf).unwrap() else {
            panic!("CONNECT expected");
        };
        assert_eq!(packet.protocol, version);
        assert_eq!(decoder.version(), Some(version));
        let mut buf = BytesMut::from(&publish[..]);
        let Some(Packet::Publish(packet)) = decoder.decode(&mut buf).unwrap() else {
            panic!("PUBLISH expected");
        };
        assert_eq!(&packet.payload[..], payload, "{version}");
    }

    // After a 3.1 CONNECT, a SUBSCRIBE with DUP is accepted; after 3.1.1 it is not.
    let subscribe = wire("8A 06 00 01 00 01 'a' 00");
    for (connect, ok) in [
        (wire("10 12 00 06 'MQIsdp' 03 02 00 3C 00 04 'DIGI'"), true),
        (wire("10 10 00 04 'MQTT' 04 02 00 3C 00 04 'DIGI'"), false),
    ] {
        let mut decoder = Decoder::new(Role::Server);
        let mut buf = BytesMut::from(&connect[..]);
        buf.extend_from_slice(&subscribe);
        assert!(matches!(
            decoder.decode(&mut buf),
            Ok(Some(Packet::Connect(_)))
        ));
        assert_eq!(decoder.decode(&mut buf).is_ok(), ok);
    }
}

#[test]
fn connect_must_come_first_and_only_once_mqtt_3_1_0_1_and_2() {
    let connect = wire("10 10 00 04 'MQTT' 04 02 00 3C 00 04 'DIGI'");

    let mut decoder = Decoder::new(Role::Server);
    let mut buf = BytesMut::from(&connect[..]);
    buf.extend_from_slice(&connect);
    assert!(matches!(
        decoder.decode(&mut buf),
        Ok(Some(Packet::Connect(_)))
    ));
    let error = decoder.decode(&mut buf).unwrap_err();
    assert_eq!(error, E::SecondConnect);
    assert_eq!(error.rule_for(V3_1_1), "MQTT-3.1.0-2");

    for first in ["C0 00", "E0 00", "82 06 00 01 00 01 'a' 00", "62 02 00 01"] {
        let bytes = wire(first);
        let mut decoder = Decoder::new(Role::Server);
        let mut buf = BytesMut::from(&bytes[..]);
        let error = decoder.decode(&mut buf).unwrap_err();
        assert!(
            matches!(error, E::FirstPacketNotConnect { .. }),
            "{first}: {error:?}"
        );
        assert_eq!(error.rule(), "MQTT-3.1.0-1");
        assert_eq!(decoder.version(), None);
    }
}

// ---- coverage --------------------------------------------------------------------------------------

fn variant(error: &DecodeError) -> &'static str {
    match error {
        E::VariableByteIntegerTooLong => "VariableByteIntegerTooLong",
        E::VariableByteIntegerNotMinimal => "VariableByteIntegerNotMinimal",
        E::PacketTooLarge { .. } => "PacketTooLarge",
        E::ReservedPacketType { .. } => "ReservedPacketType",
        E::InvalidHeaderFlags { .. } => "InvalidHeaderFlags",
        E::UnexpectedPacket { .. } => "UnexpectedPacket",
        E::FirstPacketNotConnect { .. } => "FirstPacketNotConnect",
        E::SecondConnect => "SecondConnect",
        E::Truncated => "Truncated",
        E::TrailingBytes { .. } => "TrailingBytes",
        E::InvalidUtf8 => "InvalidUtf8",
        E::NullCharacter => "NullCharacter",
        E::FieldTooLong { .. } => "FieldTooLong",
        E::ZeroPacketId => "ZeroPacketId",
        E::InvalidProtocolName => "InvalidProtocolName",
        E::UnsupportedProtocolLevel { .. } => "UnsupportedProtocolLevel",
        E::ReservedConnectFlag => "ReservedConnectFlag",
        E::WillQosWithoutWill => "WillQosWithoutWill",
        E::InvalidWillQos => "InvalidWillQos",
        E::WillRetainWithoutWill => "WillRetainWithoutWill",
        E::PasswordWithoutUserName => "PasswordWithoutUserName",
        E::ReservedConnAckFlags => "ReservedConnAckFlags",
        E::SessionPresentOnRefusal => "SessionPresentOnRefusal",
        E::InvalidQos => "InvalidQos",
        E::DupWithQos0 => "DupWithQos0",
        E::WildcardInTopicName => "WildcardInTopicName",
        E::EmptyTopicName => "EmptyTopicName",
        E::TopicAliasZero => "TopicAliasZero",
        E::SubscriptionIdentifierFromClient => "SubscriptionIdentifierFromClient",
        E::PayloadFormatInvalid => "PayloadFormatInvalid",
        E::NoTopicFilterInSubscribe => "NoTopicFilterInSubscribe",
        E::NoTopicFilterInUnsubscribe => "NoTopicFilterInUnsubscribe",
        E::ReservedSubscriptionOptions => "ReservedSubscriptionOptions",
        E::InvalidSubscriptionQos => "InvalidSubscriptionQos",
        E::InvalidRetainHandling => "InvalidRetainHandling",
        E::NoLocalOnSharedSubscription => "NoLocalOnSharedSubscription",
        E::EmptyTopicFilter => "EmptyTopicFilter",
        E::InvalidMultiLevelWildcard => "InvalidMultiLevelWildcard",
        E::InvalidSingleLevelWildcard => "InvalidSingleLevelWildcard",
        E::EmptyShareName => "EmptyShareName",
        E::InvalidShareName => "InvalidShareName",
        E::MissingSharedFilter => "MissingSharedFilter",
        E::UnknownProperty { .. } => "UnknownProperty",
        E::PropertyNotAllowed { .. } => "PropertyNotAllowed",
        E::DuplicateProperty { .. } => "DuplicateProperty",
        E::InvalidPropertyValue { .. } => "InvalidPropertyValue",
        E::AuthenticationDataWithoutMethod => "AuthenticationDataWithoutMethod",
        E::InvalidReasonCode { .. } => "InvalidReasonCode",
        E::AuthenticationMethodMissing => "AuthenticationMethodMissing",
        E::SessionExpiryFromServer => "SessionExpiryFromServer",
        _ => "a variant this test does not know yet",
    }
}

/// Every variant the decoder can produce. Not listed: `FieldTooLong` (a two-byte length cannot
/// exceed 65,535; see `string_fields_reach_but_do_not_exceed_65535_bytes`) and
/// `PayloadFormatInvalid` (checked on request, see
/// `payload_format_indicator_is_checked_on_request_mqtt_3_3_2_4`).
const DECODER_VARIANTS: &[&str] = &[
    "VariableByteIntegerTooLong",
    "VariableByteIntegerNotMinimal",
    "PacketTooLarge",
    "ReservedPacketType",
    "InvalidHeaderFlags",
    "UnexpectedPacket",
    "FirstPacketNotConnect",
    "SecondConnect",
    "Truncated",
    "TrailingBytes",
    "InvalidUtf8",
    "NullCharacter",
    "ZeroPacketId",
    "InvalidProtocolName",
    "UnsupportedProtocolLevel",
    "ReservedConnectFlag",
    "WillQosWithoutWill",
    "InvalidWillQos",
    "WillRetainWithoutWill",
    "PasswordWithoutUserName",
    "ReservedConnAckFlags",
    "SessionPresentOnRefusal",
    "InvalidQos",
    "DupWithQos0",
    "WildcardInTopicName",
    "EmptyTopicName",
    "TopicAliasZero",
    "SubscriptionIdentifierFromClient",
    "NoTopicFilterInSubscribe",
    "NoTopicFilterInUnsubscribe",
    "ReservedSubscriptionOptions",
    "InvalidSubscriptionQos",
    "InvalidRetainHandling",
    "NoLocalOnSharedSubscription",
    "EmptyTopicFilter",
    "InvalidMultiLevelWildcard",
    "InvalidSingleLevelWildcard",
    "EmptyShareName",
    "InvalidShareName",
    "MissingSharedFilter",
    "UnknownProperty",
    "PropertyNotAllowed",
    "DuplicateProperty",
    "InvalidPropertyValue",
    "AuthenticationDataWithoutMethod",
    "InvalidReasonCode",
    "AuthenticationMethodMissing",
    "SessionExpiryFromServer",
];

#[test]
fn every_decoder_error_variant_has_a_vector() {
    let covered: BTreeSet<&str> = ERRORS
        .iter()
        .map(|case| variant(&case.error))
        .chain(FILTER_ERRORS.iter().map(|case| variant(&case.error)))
        .collect();
    let missing: Vec<&str> = DECODER_VARIANTS
        .iter()
        .copied()
        .filter(|name| !covered.contains(name))
        .collect();
    assert!(missing.is_empty(), "no vector for {missing:?}");
    assert!(
        !covered.contains("a variant this test does not know yet"),
        "extend `variant`"
    );
}
