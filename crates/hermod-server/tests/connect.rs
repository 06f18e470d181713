//! CONNECT and the connection's lifetime, driven against a real broker: client identifiers
//! (assigned, empty, spaces and UTF-8), keep alive (Server Keep Alive, expiry after 1.5 × the
//! interval) and graceful shutdown, with rumqttc as MQTT 3.1.1 and 5.0 client and a
//! codec-driven client where a test needs to control the bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::codec_client::{CodecClient, connect_packet, will};
use common::{TestBroker, WAIT, v3, v5};
use hermod_codec::{ConnectReturnCode, Packet, ProtocolVersion, ReasonCode};
use hermod_core::BrokerConfig;
use rumqttc::v5::mqttbytes::v5::{ConnectReturnCode as V5ConnectReturnCode, DisconnectReasonCode};

/// MQTT-3.1.3-6 / MQTT-3.2.2-16 (5.0): an empty client id is accepted and the broker tells the
/// client the identifier it assigned in CONNACK (Assigned Client Identifier).
#[tokio::test]
async fn v5_empty_client_id_gets_an_assigned_client_identifier() {
    let broker = TestBroker::start().await;
    let (mut client, connack) = v5::Client::connect_with(v5::options(&broker, "")).await;
    assert_eq!(connack.code, V5ConnectReturnCode::Success);
    let assigned = connack
        .properties
        .and_then(|properties| properties.assigned_client_identifier)
        .expect("Assigned Client Identifier in CONNACK");
    assert!(!assigned.is_empty());
    // The assigned identifier names a working session.
    client
        .subscribe("assigned/t", rumqttc::v5::mqttbytes::QoS::AtLeastOnce)
        .await;
    client
        .publish(
            "assigned/t",
            rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
            false,
            b"hi",
        )
        .await;
    assert_eq!(client.next_message().await.1, "hi");
    broker.stop().await;
}

/// MQTT-3.1.3-6/-7 (3.1.1): an empty client id with Clean Session 1 is accepted (the broker
/// assigns one internally).
#[tokio::test]
async fn v311_empty_client_id_with_clean_session_is_accepted() {
    let broker = TestBroker::start().await;
    let (mut client, connack) = v3::Client::connect_with(v3::options(&broker, "")).await;
    assert_eq!(connack.code, rumqttc::ConnectReturnCode::Success);
    assert!(!connack.session_present);
    client
        .subscribe("anonymous/t", rumqttc::QoS::AtLeastOnce)
        .await;
    client
        .publish("anonymous/t", rumqttc::QoS::AtLeastOnce, false, b"hi")
        .await;
    assert_eq!(client.next_message().await.1, "hi");
    broker.stop().await;
}

/// MQTT-3.1.3-8 (3.1.1): an empty client id with Clean Session 0 is refused with CONNACK
/// return code 0x02 (Identifier rejected), then the connection closes.
#[tokio::test]
async fn v311_empty_client_id_without_clean_session_is_refused_with_0x02() {
    let broker = TestBroker::start().await;
    let mut connect = connect_packet(ProtocolVersion::V3_1_1, "", 30);
    connect.clean_start = false;
    let (mut client, connack) = CodecClient::connect(&broker, connect).await;
    assert!(!connack.session_present);
    assert_eq!(
        ConnectReturnCode::from_reason_code(connack.reason),
        ConnectReturnCode::IdentifierRejected
    );
    assert_eq!(connack.reason, ReasonCode::CLIENT_IDENTIFIER_NOT_VALID);
    assert!(client.expect_closed().await.is_empty());
    assert_eq!(broker.broker.session_count(), 0);
    broker.stop().await;
}

/// Section 3.1.3.1: MQTT-3.1.3-5 only sets the minimum a server must accept
/// (`0-9a-zA-Z`); Hermod accepts any UTF-8 client id, spaces and non-ASCII characters included,
/// in both versions.
#[tokio::test]
async fn client_ids_with_spaces_and_utf8_are_accepted() {
    let broker = TestBroker::start().await;
    for id in ["client with spaces", "Grüße-客户端-🚀"] {
        let (mut client, connack) = v3::Client::connect_with(v3::options(&broker, id)).await;
        assert_eq!(connack.code, rumqttc::ConnectReturnCode::Success, "{id}");
        client.subscribe("ids/v3", rumqttc::QoS::AtMostOnce).await;
        client
            .publish("ids/v3", rumqttc::QoS::AtMostOnce, false, id.as_bytes())
            .await;
        assert_eq!(client.next_message().await.1, id);
        client.disconnect().await;

        let v5_id = format!("{id} v5");
        let (mut client, connack) = v5::Client::connect_with(v5::options(&broker, &v5_id)).await;
        assert_eq!(connack.code, V5ConnectReturnCode::Success, "{v5_id}");
        let assigned = connack
            .properties
            .and_then(|properties| properties.assigned_client_identifier);
        assert_eq!(assigned, None, "the client's own id is kept");
        client
            .subscribe("ids/v5", rumqttc::v5::mqttbytes::QoS::AtMostOnce)
            .await;
        client
            .publish(
                "ids/v5",
                rumqttc::v5::mqttbytes::QoS::AtMostOnce,
                false,
                v5_id.as_bytes(),
            )
            .await;
        assert_eq!(client.next_message().await.1, v5_id);
        client.disconnect().await;
    }
    broker.stop().await;
}

/// MQTT-3.2.2-21 / section 3.2.2.3.14 (5.0): a keep alive above the broker's maximum is
/// answered with Server Keep Alive, which the client must use.
#[tokio::test]
async fn v5_keep_alive_above_the_maximum_gets_server_keep_alive() {
    let broker = TestBroker::start_with(BrokerConfig {
        max_keep_alive: Duration::from_secs(10),
        ..BrokerConfig::default()
    })
    .await;
    let mut options = v5::options(&broker, "lazy");
    options.set_keep_alive(Duration::from_secs(60));
    let (_client, connack) = v5::Client::connect_with(options).await;
    let properties = connack.properties.expect("CONNACK properties");
    assert_eq!(properties.server_keep_alive, Some(10));

    // Within the maximum, the client's own keep alive stands: no Server Keep Alive.
    let mut options = v5::options(&broker, "prompt");
    options.set_keep_alive(Duration::from_secs(5));
    let (_client, connack) = v5::Client::connect_with(options).await;
    let properties = connack.properties.expect("CONNACK properties");
    assert_eq!(properties.server_keep_alive, None);
    broker.stop().await;
}

/// MQTT-3.1.2-22 / MQTT-3.1.2-8: a client silent for 1.5 × its keep alive is disconnected,
/// and that is an abnormal disconnection: its will is published.
#[tokio::test]
async fn silent_client_is_disconnected_after_one_and_a_half_keep_alives_and_its_will_published() {
    let broker = TestBroker::start().await;
    let mut watcher = v3::Client::connect(&broker, "watcher").await;
    watcher
        .subscribe("wills/#", rumqttc::QoS::AtLeastOnce)
        .await;

    let mut connect = connect_packet(ProtocolVersion::V3_1_1, "silent", 1);
    connect.will = Some(will("wills/silent", b"gone quiet"));
    let (mut silent, connack) = CodecClient::connect(&broker, connect).await;
    assert!(connack.reason.is_success());
    // Nothing more is sent: the broker closes the connection on its own (3.1.1: no packet).
    assert!(silent.expect_closed().await.is_empty());

    let (topic, payload) = watcher.next_message().await;
    assert_eq!(
        (topic.as_str(), payload.as_str()),
        ("wills/silent", "gone quiet")
    );
    assert_eq!(broker.broker.session_count(), 1, "only the watcher remains");
    broker.stop().await;
}

/// MQTT 5.0 section 3.1.2.10: the keep alive timeout is reported with DISCONNECT 0x8D
/// before the connection closes.
#[tokio::test]
async fn v5_silent_client_gets_disconnect_0x8d_keep_alive_timeout() {
    let broker = TestBroker::start().await;
    let (mut silent, connack) =
        CodecClient::connect(&broker, connect_packet(ProtocolVersion::V5, "silent5", 1)).await;
    assert!(connack.reason.is_success());
    assert_eq!(connack.properties.server_keep_alive, None);
    let packets = silent.expect_closed().await;
    match packets.as_slice() {
        [Packet::Disconnect(disconnect)] => {
            assert_eq!(disconnect.reason, ReasonCode::KEEP_ALIVE_TIMEOUT);
        }
        other => panic!("expected one DISCONNECT 0x8D, got {other:?}"),
    }
    broker.stop().await;
}

/// MQTT 5.0 reason code 0x8B: on a graceful shutdown the broker tells MQTT 5 clients it is
/// shutting down before closing; 3.1.1 clients and connections still waiting for CONNECT are
/// simply closed, and the server finishes well within the bound.
#[tokio::test]
async fn graceful_shutdown_sends_disconnect_0x8b() {
    let broker = TestBroker::start().await;
    let mut client5 = v5::Client::connect(&broker, "shutdown-v5").await;
    let mut client3 = v3::Client::connect(&broker, "shutdown-v3").await;
    let mut waiting = CodecClient::open(&broker, ProtocolVersion::V5).await;
    let started = Instant::now();
    // Each wait is bounded: the 3.1.1 client sees its connection end, the 5.0 one the reason.
    let ((), reason, _closed, before_connect) = tokio::join!(
        broker.stop(),
        client5.wait_for_disconnect(),
        client3.wait_closed(),
        waiting.expect_closed()
    );
    assert_eq!(reason, DisconnectReasonCode::ServerShuttingDown);
    assert!(before_connect.is_empty(), "no CONNACK without CONNECT");
    // A connection woken before the broker knew it was shutting down used to spin on the
    // cancelled token and block this runtime's timers, so `stop` could not time out: check the
    // bound after the fact.
    assert!(
        started.elapsed() < WAIT,
        "shutdown took {:?}",
        started.elapsed()
    );
}

/// Graceful shutdown closes connections at once, including one that was just busy
/// publishing, instead of leaving them to their keep alive (here 45 s).
#[tokio::test]
async fn graceful_shutdown_closes_busy_and_idle_connections_at_once() {
    let broker = TestBroker::start().await;
    let mut subscriber = v3::Client::connect(&broker, "busy-sub").await;
    subscriber
        .subscribe("busy", rumqttc::QoS::AtLeastOnce)
        .await;
    let mut publisher = v3::Client::connect(&broker, "busy-pub").await;
    publisher
        .publish("busy", rumqttc::QoS::AtLeastOnce, false, b"x")
        .await;
    subscriber.next_publish().await;
    let _idle = v5::Client::connect(&broker, "idle-v5").await;
    let started = Instant::now();
    broker.stop().await;
    // Checked after the fact: a connection woken before the broker knew it was shutting down
    // used to spin on the cancelled token, which on this runtime's only thread also keeps
    // `stop`'s own timeout from firing.
    assert!(
        started.elapsed() < WAIT,
        "shutdown took {:?}",
        started.elapsed()
    );
}
