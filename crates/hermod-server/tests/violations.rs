//! Protocol violations sent as raw bytes to a real broker: each one closes the offending
//! connection the way the specification requires (MQTT 5: DISCONNECT with the reason code, or
//! CONNACK before CONNECT was accepted; MQTT 3.1.1: the socket closes, CONNACK 0x01 for an
//! unsupported protocol level), and a well-behaved client on the same broker keeps publishing
//! and receiving throughout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/raw.rs"]
mod raw;

use std::num::NonZeroU16;
use std::time::Duration;

use common::TestBroker;
use hermod_codec::{Packet, ProtocolVersion, ReasonCode};
use hermod_core::BrokerConfig;
use hermod_core::stats::Stats;
use raw::{Bystander, RawClient, V5, V311, connect, connect_with, packet, publish, subscribe};

/// How many connections the broker closed for a protocol violation.
fn violations(broker: &TestBroker) -> u64 {
    Stats::read(&broker.broker.stats().protocol_violations)
}

/// Connects a bystander and a violator (protocol `level`), sends `bytes` from the violator,
/// and checks the violator is closed as `expect` requires while the bystander keeps working.
async fn violate(broker: TestBroker, level: u8, bytes: &[u8], expect: Expect) {
    let mut bystander = Bystander::start(broker.addr).await;
    let (mut client, _) = RawClient::connect(broker.addr, level, "violator").await;
    client.send(bytes).await;
    match expect {
        Expect::Disconnect(reason) => client.expect_disconnect(reason).await,
        Expect::Closed => client.expect_closed().await,
    }
    assert_eq!(violations(&broker), 1, "one violation counted");
    bystander.round_trip().await;
    broker.stop().await;
}

/// How a violator's connection must end.
enum Expect {
    /// MQTT 5: DISCONNECT with this reason code, then the socket closes.
    Disconnect(ReasonCode),
    /// MQTT 3.1.1: the socket closes without another packet.
    Closed,
}

/// A PINGREQ with a reserved flag bit set.
const PINGREQ_WITH_FLAGS: [u8; 2] = [0xC1, 0x00];
/// A PUBLISH whose Remaining Length continues into a fifth byte.
const FIVE_BYTE_REMAINING_LENGTH: [u8; 6] = [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];

// ---- before CONNECT ---------------------------------------------------------------------------

/// MQTT-3.1.0-1: the first packet must be CONNECT; anything else closes the connection
/// without a CONNACK (no version is known, so there is nothing to report a reason in).
#[tokio::test]
async fn first_packet_not_connect_closes_the_connection() {
    let broker = TestBroker::start().await;
    let mut bystander = Bystander::start(broker.addr).await;
    for first in [
        vec![0xC0, 0x00],                            // PINGREQ
        publish(0x00, b"a/b", None, None, b"early"), // PUBLISH
        subscribe(1, None, "a/#", 0x00),             // SUBSCRIBE
    ] {
        let mut client = RawClient::open(broker.addr, ProtocolVersion::V5).await;
        client.send(&first).await;
        client.expect_closed().await;
        bystander.round_trip().await;
    }
    assert_eq!(violations(&broker), 3);
    broker.stop().await;
}

/// MQTT-3.1.2-1: a protocol name other than "MQTT" is refused with CONNACK 0x84 Unsupported
/// Protocol Version (in the 3.1.1 form the server can always send: return code 0x01), then
/// the connection closes.
#[tokio::test]
async fn bad_protocol_name_is_refused_and_closed() {
    let broker = TestBroker::start().await;
    let mut bystander = Bystander::start(broker.addr).await;
    for level in [V311, V5] {
        let mut client = RawClient::open(broker.addr, ProtocolVersion::V3_1_1).await;
        client
            .send(&connect_with(b"MQTX", level, "bad-name", 60, &[]))
            .await;
        client
            .expect_connack_refusal(ReasonCode::UNSUPPORTED_PROTOCOL_VERSION)
            .await;
        bystander.round_trip().await;
    }
    broker.stop().await;
}

/// MQTT-3.1.2-2: protocol level 6 is not supported: CONNACK with return code 0x01 (0x84 in
/// MQTT 5 terms), in the 3.1.1 form since the client's format is unknown, then the socket
/// closes.
#[tokio::test]
async fn unsupported_protocol_level_gets_connack_0x01_then_close() {
    let broker = TestBroker::start().await;
    let mut bystander = Bystander::start(broker.addr).await;
    let mut client = RawClient::open(broker.addr, ProtocolVersion::V3_1_1).await;
    client
        .send(&connect_with(b"MQTT", 6, "level-6", 60, &[]))
        .await;
    client
        .expect_connack_refusal(ReasonCode::UNSUPPORTED_PROTOCOL_VERSION)
        .await;
    bystander.round_trip().await;
    broker.stop().await;
}

/// The on-wire bytes of the refusal for level 6: exactly the 3.1.1 CONNACK 0x01.
#[tokio::test]
async fn unsupported_protocol_level_connack_bytes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let broker = TestBroker::start().await;
    let mut stream = tokio::net::TcpStream::connect(broker.addr).await.unwrap();
    stream
        .write_all(&connect_with(b"MQTT", 6, "level-6", 60, &[]))
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(common::WAIT, stream.read_to_end(&mut answer))
        .await
        .expect("the broker closes in time")
        .expect("read until close");
    assert_eq!(answer, [0x20, 0x02, 0x00, 0x01]);
    broker.stop().await;
}

/// MQTT-3.1.4-1 and the connect timeout: a connection that sends no CONNECT (or only part of
/// one) is closed without a CONNACK once the configured timeout passes; others are unaffected.
#[tokio::test]
async fn no_connect_within_the_timeout_closes_without_connack() {
    let broker = TestBroker::start_with(BrokerConfig {
        connect_timeout: Duration::from_secs(1),
        ..BrokerConfig::default()
    })
    .await;
    let mut bystander = Bystander::start(broker.addr).await;
    let mut silent = RawClient::open(broker.addr, ProtocolVersion::V5).await;
    let mut partial = RawClient::open(broker.addr, ProtocolVersion::V5).await;
    let whole = connect(V5, "slow");
    partial.send(&whole[..whole.len() / 2]).await;
    bystander.round_trip().await;
    silent.expect_closed().await;
    partial.expect_closed().await;
    bystander.round_trip().await;
    assert_eq!(violations(&broker), 0, "a timeout is not a violation");
    broker.stop().await;
}

// ---- framing and fixed header -----------------------------------------------------------------

/// MQTT-3.1.0-2: a second CONNECT is a Protocol Error (DISCONNECT 0x82).
#[tokio::test]
async fn second_connect_v5_disconnects_with_protocol_error() {
    violate(
        TestBroker::start().await,
        V5,
        &connect(V5, "violator"),
        Expect::Disconnect(ReasonCode::PROTOCOL_ERROR),
    )
    .await;
}

/// MQTT-3.1.0-2 (3.1.1): a second CONNECT closes the socket.
#[tokio::test]
async fn second_connect_v311_closes() {
    violate(
        TestBroker::start().await,
        V311,
        &connect(V311, "violator"),
        Expect::Closed,
    )
    .await;
}

/// MQTT-2.1.3-1: reserved fixed header flags are a Malformed Packet (DISCONNECT 0x81).
#[tokio::test]
async fn reserved_header_flags_v5_disconnect_with_malformed_packet() {
    violate(
        TestBroker::start().await,
        V5,
        &PINGREQ_WITH_FLAGS,
        Expect::Disconnect(ReasonCode::MALFORMED_PACKET),
    )
    .await;
    // SUBSCRIBE must carry flags 0b0010.
    violate(
        TestBroker::start().await,
        V5,
        &{
            let mut bytes = subscribe(1, Some(&[]), "a/b", 0x00);
            bytes[0] = 0x80;
            bytes
        },
        Expect::Disconnect(ReasonCode::MALFORMED_PACKET),
    )
    .await;
}

/// MQTT-2.2.2-2 (3.1.1): reserved fixed header flags close the socket.
#[tokio::test]
async fn reserved_header_flags_v311_close() {
    violate(
        TestBroker::start().await,
        V311,
        &PINGREQ_WITH_FLAGS,
        Expect::Closed,
    )
    .await;
}

/// MQTT 5.0 section 1.5.5: a Remaining Length of five bytes is a Malformed Packet.
#[tokio::test]
async fn five_byte_remaining_length_v5_disconnects_with_malformed_packet() {
    violate(
        TestBroker::start().await,
        V5,
        &FIVE_BYTE_REMAINING_LENGTH,
        Expect::Disconnect(ReasonCode::MALFORMED_PACKET),
    )
    .await;
}

/// MQTT 3.1.1 section 2.2.3: a Remaining Length of five bytes closes the socket.
#[tokio::test]
async fn five_byte_remaining_length_v311_closes() {
    violate(
        TestBroker::start().await,
        V311,
        &FIVE_BYTE_REMAINING_LENGTH,
        Expect::Closed,
    )
    .await;
}

/// A broker with a 1 KiB maximum packet size.
async fn small_packet_broker() -> TestBroker {
    TestBroker::start_with(BrokerConfig {
        max_packet_size: 1024,
        ..BrokerConfig::default()
    })
    .await
}

/// The fixed header of a PUBLISH of 2000 bytes (only the header is sent: the broker must
/// refuse from the header alone, before buffering the body).
const PUBLISH_HEADER_2000: [u8; 3] = [0x30, 0xD0, 0x0F];

/// MQTT-3.2.2-15 / section 3.2.2.3.6: the broker advertises its Maximum Packet Size and a
/// larger packet is answered with DISCONNECT 0x95 Packet too large.
#[tokio::test]
async fn packet_above_the_maximum_v5_disconnects_with_packet_too_large() {
    let broker = small_packet_broker().await;
    let (_probe, connack) = RawClient::connect(broker.addr, V5, "probe").await;
    let Packet::ConnAck(connack) = connack else {
        unreachable!()
    };
    assert_eq!(
        connack
            .properties
            .maximum_packet_size
            .map(|size| size.get()),
        Some(1024)
    );
    violate(
        broker,
        V5,
        &PUBLISH_HEADER_2000,
        Expect::Disconnect(ReasonCode::PACKET_TOO_LARGE),
    )
    .await;
}

/// A packet above the broker's maximum closes a 3.1.1 connection.
#[tokio::test]
async fn packet_above_the_maximum_v311_closes() {
    violate(
        small_packet_broker().await,
        V311,
        &PUBLISH_HEADER_2000,
        Expect::Closed,
    )
    .await;
}

/// A packet exactly at the maximum is accepted (the limit includes the fixed header).
#[tokio::test]
async fn packet_at_the_maximum_is_accepted() {
    let broker = small_packet_broker().await;
    let (mut client, _) = RawClient::connect(broker.addr, V5, "at-limit").await;
    // 1 + 2 (remaining length 1021 needs two bytes) + 1021 = 1024.
    let overhead = 2 + 3 + 2 + 1; // topic length + "a/b" + packet id + empty properties
    let payload = vec![b'x'; 1021 - overhead];
    let bytes = publish(0x02, b"a/b", Some(7), Some(&[]), &payload);
    assert_eq!(bytes.len(), 1024);
    client.send(&bytes).await;
    match client.expect_packet().await {
        Packet::PubAck(ack) => assert_eq!(ack.packet_id.get(), 7),
        other => panic!("expected PUBACK, got {other:?}"),
    }
    assert_eq!(violations(&broker), 0);
    broker.stop().await;
}

// ---- PUBLISH ----------------------------------------------------------------------------------

/// MQTT-1.5.4-1: a topic name that is not well-formed UTF-8 is a Malformed Packet (0x81).
#[tokio::test]
async fn invalid_utf8_topic_v5_disconnects_with_malformed_packet() {
    violate(
        TestBroker::start().await,
        V5,
        &publish(0x00, &[b'a', b'/', 0xFF, 0xFE], None, Some(&[]), b"x"),
        Expect::Disconnect(ReasonCode::MALFORMED_PACKET),
    )
    .await;
}

/// MQTT-1.5.3-1 (3.1.1): an invalid UTF-8 topic closes the socket.
#[tokio::test]
async fn invalid_utf8_topic_v311_closes() {
    violate(
        TestBroker::start().await,
        V311,
        &publish(0x00, &[b'a', b'/', 0xC0, 0x80], None, None, b"x"),
        Expect::Closed,
    )
    .await;
}

/// MQTT-3.3.2-2: a wildcard in a PUBLISH topic is answered with DISCONNECT 0x90 Topic Name
/// invalid.
#[tokio::test]
async fn wildcard_in_publish_topic_v5_disconnects_with_topic_name_invalid() {
    for topic in [&b"a/+"[..], b"a/#"] {
        violate(
            TestBroker::start().await,
            V5,
            &publish(0x01 << 1, topic, Some(1), Some(&[]), b"x"),
            Expect::Disconnect(ReasonCode::TOPIC_NAME_INVALID),
        )
        .await;
    }
}

/// MQTT-3.3.2-2 (3.1.1): a wildcard in a PUBLISH topic closes the socket.
#[tokio::test]
async fn wildcard_in_publish_topic_v311_closes() {
    violate(
        TestBroker::start().await,
        V311,
        &publish(0x00, b"sensors/+/temp", None, None, b"x"),
        Expect::Closed,
    )
    .await;
}

/// MQTT-3.3.1-4: a PUBLISH with both QoS bits set is a Malformed Packet (0x81).
#[tokio::test]
async fn qos3_publish_v5_disconnects_with_malformed_packet() {
    violate(
        TestBroker::start().await,
        V5,
        &publish(0x06, b"a/b", Some(1), Some(&[]), b"x"),
        Expect::Disconnect(ReasonCode::MALFORMED_PACKET),
    )
    .await;
}

/// MQTT-3.3.1-4 (3.1.1): a QoS 3 PUBLISH closes the socket.
#[tokio::test]
async fn qos3_publish_v311_closes() {
    violate(
        TestBroker::start().await,
        V311,
        &publish(0x06, b"a/b", Some(1), None, b"x"),
        Expect::Closed,
    )
    .await;
}

/// MQTT-3.3.2-8: a Topic Alias of 0 is answered with DISCONNECT 0x94 Topic Alias invalid.
#[tokio::test]
async fn topic_alias_zero_disconnects_with_topic_alias_invalid() {
    violate(
        TestBroker::start().await,
        V5,
        &publish(0x00, b"a/b", None, Some(&[0x23, 0x00, 0x00]), b"x"),
        Expect::Disconnect(ReasonCode::TOPIC_ALIAS_INVALID),
    )
    .await;
}

/// MQTT-3.3.2-10: a Topic Alias above the advertised Topic Alias Maximum is answered with
/// DISCONNECT 0x94.
#[tokio::test]
async fn topic_alias_above_the_maximum_disconnects_with_topic_alias_invalid() {
    let broker = TestBroker::start().await;
    let maximum = broker.broker.config().topic_alias_maximum;
    let (_probe, connack) = RawClient::connect(broker.addr, V5, "probe").await;
    let Packet::ConnAck(connack) = connack else {
        unreachable!()
    };
    assert_eq!(connack.properties.topic_alias_maximum, Some(maximum));
    let [high, low] = (maximum + 1).to_be_bytes();
    violate(
        broker,
        V5,
        &publish(0x00, b"a/b", None, Some(&[0x23, high, low]), b"x"),
        Expect::Disconnect(ReasonCode::TOPIC_ALIAS_INVALID),
    )
    .await;
}

/// MQTT-3.3.4-6: a PUBLISH from a client must not carry a Subscription Identifier
/// (DISCONNECT 0x82 Protocol Error).
#[tokio::test]
async fn client_publish_with_subscription_identifier_disconnects_with_protocol_error() {
    violate(
        TestBroker::start().await,
        V5,
        &publish(0x00, b"a/b", None, Some(&[0x0B, 0x01]), b"x"),
        Expect::Disconnect(ReasonCode::PROTOCOL_ERROR),
    )
    .await;
}

/// MQTT-3.3.4-9: more unacknowledged QoS 2 PUBLISH than the advertised Receive Maximum is
/// answered with DISCONNECT 0x93 Receive Maximum exceeded.
#[tokio::test]
async fn receive_maximum_exceeded_with_qos2_disconnects() {
    let broker = TestBroker::start_with(BrokerConfig {
        receive_maximum: NonZeroU16::new(2).unwrap(),
        ..BrokerConfig::default()
    })
    .await;
    let mut bystander = Bystander::start(broker.addr).await;
    let (mut client, connack) = RawClient::connect(broker.addr, V5, "violator").await;
    let Packet::ConnAck(connack) = connack else {
        unreachable!()
    };
    assert_eq!(
        connack
            .properties
            .receive_maximum
            .map(|maximum| maximum.get()),
        Some(2)
    );
    for id in 1..=2u16 {
        client
            .send(&publish(0x04, b"q2/topic", Some(id), Some(&[]), b"x"))
            .await;
        match client.expect_packet().await {
            Packet::PubRec(rec) => {
                assert_eq!(rec.packet_id.get(), id);
                assert!(rec.reason.is_success(), "PUBREC {rec:?}");
            }
            other => panic!("expected PUBREC {id}, got {other:?}"),
        }
    }
    // Two QoS 2 messages await PUBREL: a third exceeds the window.
    client
        .send(&publish(0x04, b"q2/topic", Some(3), Some(&[]), b"x"))
        .await;
    client
        .expect_disconnect(ReasonCode::RECEIVE_MAXIMUM_EXCEEDED)
        .await;
    assert_eq!(violations(&broker), 1);
    bystander.round_trip().await;
    broker.stop().await;
}

// ---- SUBSCRIBE and AUTH -----------------------------------------------------------------------

/// MQTT-3.8.3-4: No Local on a shared subscription is a Protocol Error (DISCONNECT 0x82).
#[tokio::test]
async fn no_local_on_shared_subscription_disconnects_with_protocol_error() {
    violate(
        TestBroker::start().await,
        V5,
        &subscribe(1, Some(&[]), "$share/g/t", 0x04 | 0x01),
        Expect::Disconnect(ReasonCode::PROTOCOL_ERROR),
    )
    .await;
}

/// MQTT 5.0 section 4.12: AUTH from a client that did not ask for enhanced authentication in
/// CONNECT is a Protocol Error (DISCONNECT 0x82).
#[tokio::test]
async fn auth_without_enhanced_authentication_disconnects_with_protocol_error() {
    violate(
        TestBroker::start().await,
        V5,
        &packet(0xF0, &[]),
        Expect::Disconnect(ReasonCode::PROTOCOL_ERROR),
    )
    .await;
    // With a reason code and an authentication method, it is still refused.
    let mut props = vec![0x15];
    raw::put_field(&mut props, b"SCRAM-SHA-1");
    let mut body = vec![0x19];
    body.extend_from_slice(&raw::properties(&props));
    violate(
        TestBroker::start().await,
        V5,
        &packet(0xF0, &body),
        Expect::Disconnect(ReasonCode::PROTOCOL_ERROR),
    )
    .await;
}

/// MQTT 3.1.1 has no AUTH: packet type 15 is reserved and closes the socket.
#[tokio::test]
async fn auth_packet_v311_closes() {
    violate(
        TestBroker::start().await,
        V311,
        &packet(0xF0, &[]),
        Expect::Closed,
    )
    .await;
}
