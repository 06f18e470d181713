//! The harness: the vector syntax, who decodes a vector, the row types of the tables and the
//! checks they share.

use std::collections::BTreeSet;

use bytes::{Bytes, BytesMut};
use hermod_codec::{
    Connect, DecodeError, Decoder, MqttString, Packet, PacketId, ProtocolVersion, Publish, QoS,
    ReasonCode, Role, SubscriptionOptions, TopicFilter, TopicName, UserProperty,
};

use DecodeError as E;
use Peer::{Client, Fresh, Limited, Server};
use ProtocolVersion::{V3_1, V3_1_1, V5};

// ---- helpers -----------------------------------------------------------------------------------

/// Parses a vector: hex bytes (`10`, or several at once: `4D5154`) separated by whitespace, and
/// `'text'` for the ASCII bytes of `text`.
pub(crate) fn wire(spec: &str) -> Vec<u8> {
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
pub(crate) enum Peer {
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
    pub(crate) fn decoder(self) -> Decoder {
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
pub(crate) fn check_vector_length(label: &str, bytes: &[u8]) {
    if let Ok(Some(size)) = Decoder::pending_packet_size(bytes) {
        assert_eq!(size, bytes.len(), "{label}: Remaining Length miscounted");
    }
}

pub(crate) fn decode_all(peer: Peer, bytes: &[u8]) -> Result<Option<Packet>, DecodeError> {
    let mut decoder = peer.decoder();
    let mut buf = BytesMut::from(bytes);
    decoder.decode(&mut buf)
}

pub(crate) fn s(text: &'static str) -> MqttString {
    MqttString::from_static(text).unwrap()
}

pub(crate) fn name(text: &'static str) -> TopicName {
    TopicName::from_static(text).unwrap()
}

pub(crate) fn filter(text: &'static str) -> TopicFilter {
    TopicFilter::from_static(text).unwrap()
}

pub(crate) fn pid(value: u16) -> PacketId {
    PacketId::new(value).unwrap()
}

pub(crate) fn b(bytes: &'static [u8]) -> Bytes {
    Bytes::from_static(bytes)
}

pub(crate) const MALFORMED: ReasonCode = ReasonCode::MALFORMED_PACKET;
pub(crate) const PROTOCOL: ReasonCode = ReasonCode::PROTOCOL_ERROR;
pub(crate) const UNSUPPORTED: ReasonCode = ReasonCode::UNSUPPORTED_PROTOCOL_VERSION;
pub(crate) const FILTER_INVALID: ReasonCode = ReasonCode::TOPIC_FILTER_INVALID;

// ---- violations: the packet is rejected -----------------------------------------------------------

/// One violation: `bytes` decoded by `peer` fails with `error`, which reports `reason`, the 5.0
/// rule `rule5` and the 3.1.1 rule `rule311`.
pub(crate) struct Case {
    pub(crate) label: &'static str,
    pub(crate) peer: Peer,
    pub(crate) bytes: &'static str,
    pub(crate) error: DecodeError,
    pub(crate) reason: ReasonCode,
    pub(crate) rule5: &'static str,
    pub(crate) rule311: &'static str,
}

pub(crate) const fn case(
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

/// Decodes `case` and checks its error, reason code and rules; `Err` says what differs.
pub(crate) fn check_case(case: &Case) -> Result<(), String> {
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

// ---- invalid topic filters: the entry fails, the packet does not -----------------------------------

/// A SUBSCRIBE or UNSUBSCRIBE whose entry `index` is the invalid filter `text`.
pub(crate) struct FilterCase {
    pub(crate) label: &'static str,
    pub(crate) version: ProtocolVersion,
    pub(crate) bytes: &'static str,
    pub(crate) index: usize,
    pub(crate) text: &'static str,
    pub(crate) error: DecodeError,
    pub(crate) rule5: &'static str,
    pub(crate) rule311: &'static str,
}

// ---- valid vectors: the expected structs -------------------------------------------------------------

/// A valid vector: `bytes` decoded by `peer` give exactly `packet`.
pub(crate) struct Valid {
    pub(crate) label: &'static str,
    pub(crate) peer: Peer,
    pub(crate) bytes: &'static str,
    pub(crate) packet: Packet,
}

pub(crate) fn valid(label: &'static str, peer: Peer, bytes: &'static str, packet: Packet) -> Valid {
    Valid {
        label,
        peer,
        bytes,
        packet,
    }
}

pub(crate) fn connect(protocol: ProtocolVersion, client_id: &'static str) -> Connect {
    Connect::new(protocol, s(client_id))
}

pub(crate) fn publish(
    qos: QoS,
    topic: TopicName,
    packet_id: Option<u16>,
    payload: &'static [u8],
) -> Publish {
    Publish {
        qos,
        packet_id: packet_id.map(pid),
        ..Publish::new(topic, b(payload))
    }
}

pub(crate) fn subscription(
    text: &'static str,
    options: SubscriptionOptions,
) -> hermod_codec::Subscription {
    hermod_codec::Subscription {
        filter: Ok(filter(text)),
        options,
    }
}

pub(crate) fn user(key: &str, value: &str) -> UserProperty {
    UserProperty::new(key, value).unwrap()
}

pub(crate) fn reasons(codes: &[u8]) -> Vec<ReasonCode> {
    codes
        .iter()
        .map(|&code| ReasonCode::from_byte(code))
        .collect()
}

/// Decodes every vector to its expected struct, and checks that they cover `expected_types`
/// packet types.
pub(crate) fn check_valid(vectors: Vec<Valid>, expected_types: usize) {
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
