//! Parked connections (`server.park_idle_after`): a connection idle for the quiet period
//! loses its task and waits in the parking lot; whatever it then has to do brings it back —
//! a delivery, a packet from the client, the keep alive running out, a takeover, the server
//! shutting down, the client closing — and it behaves exactly as an unparked one would.
//!
//! Each test waits (bounded) for the broker's parked-connections gauge before acting, so the
//! path under test is the parked one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::codec_client::{
    CodecClient, connect_packet, packet_id_of, publish_packet, subscribe_packet, will,
};
use common::{TestBroker, wait_until};
use hermod_codec::{Packet, ProtocolVersion, PubAck, QoS, ReasonCode};
use hermod_core::BrokerConfig;
use hermod_core::stats::Stats;
use hermod_server::ServerConfig;

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V3_1_1, ProtocolVersion::V5];

/// A broker that parks connections idle for 20 ms.
async fn parking_broker() -> TestBroker {
    let server = ServerConfig {
        park_idle_after: Some(Duration::from_millis(20)),
        ..ServerConfig::default()
    };
    TestBroker::start_with_server(BrokerConfig::default(), server).await
}

fn parked(broker: &TestBroker) -> u64 {
    Stats::read(&broker.broker.stats().parked_connections)
}

/// Waits until at least `count` connections are parked.
async fn until_parked(broker: &TestBroker, count: u64) {
    wait_until(&format!("{count} parked connections"), || {
        parked(broker) >= count
    })
    .await;
}

/// Connects `client_id` and subscribes it to `filter` at QoS 1.
async fn subscriber(
    broker: &TestBroker,
    version: ProtocolVersion,
    client_id: &str,
    filter: &str,
) -> CodecClient {
    let (mut client, _) =
        CodecClient::connect(broker, connect_packet(version, client_id, 60)).await;
    client
        .send(&Packet::Subscribe(subscribe_packet(1, &[filter])))
        .await;
    assert!(matches!(client.expect().await, Packet::SubAck(_)));
    client
}

/// Expects a PUBLISH on `topic` with `payload`; returns it.
async fn expect_publish(client: &mut CodecClient, topic: &str, payload: &[u8]) -> Packet {
    let packet = client.expect().await;
    match &packet {
        Packet::Publish(publish) => {
            assert_eq!(
                (publish.topic.as_str(), &publish.payload[..]),
                (topic, payload)
            );
        }
        other => panic!("expected PUBLISH on {topic}, got {other:?}"),
    }
    packet
}

#[tokio::test]
async fn a_parked_subscriber_receives_deliveries_at_qos_0_and_1() {
    for version in VERSIONS {
        let broker = parking_broker().await;
        let mut sub = subscriber(&broker, version, "parked-sub", "park/#").await;
        until_parked(&broker, 1).await;

        // QoS 0 from the broker itself: the session's wake brings the connection back.
        broker.inject("park/zero", b"one");
        expect_publish(&mut sub, "park/zero", b"one").await;

        // QoS 1 from a client, after both have been parked again.
        let (mut publisher, _) =
            CodecClient::connect(&broker, connect_packet(version, "parked-pub", 60)).await;
        until_parked(&broker, 2).await;
        publisher
            .send(&Packet::Publish(publish_packet(
                "park/one",
                QoS::AtLeastOnce,
                5,
                b"two",
            )))
            .await;
        match publisher.expect().await {
            Packet::PubAck(ack) => assert_eq!(ack.packet_id, packet_id_of(5)),
            other => panic!("expected PUBACK, got {other:?}"),
        }
        let Packet::Publish(delivered) = expect_publish(&mut sub, "park/one", b"two").await else {
            unreachable!()
        };
        assert_eq!(delivered.qos, QoS::AtLeastOnce, "{version:?}");
        let packet_id = delivered.packet_id.expect("QoS 1 has a packet id");
        sub.send(&Packet::PubAck(PubAck::new(packet_id))).await;

        // And again once parked with the acknowledgement handled.
        until_parked(&broker, 2).await;
        broker.inject("park/zero", b"three");
        expect_publish(&mut sub, "park/zero", b"three").await;
        broker.stop().await;
    }
}

#[tokio::test]
async fn a_parked_connection_answers_its_client() {
    for version in VERSIONS {
        let broker = parking_broker().await;
        let mut client = subscriber(&broker, version, "pinger", "echo").await;
        until_parked(&broker, 1).await;
        client.send(&Packet::PingReq).await;
        assert!(matches!(client.expect().await, Packet::PingResp));
        until_parked(&broker, 1).await;
        client
            .send(&Packet::Publish(publish_packet(
                "echo",
                QoS::AtMostOnce,
                0,
                b"hello",
            )))
            .await;
        expect_publish(&mut client, "echo", b"hello").await;
        broker.stop().await;
    }
}

#[tokio::test]
async fn keep_alive_runs_out_while_parked_and_the_will_is_published() {
    for version in VERSIONS {
        let broker = parking_broker().await;
        let mut watcher = subscriber(&broker, version, "watcher", "wills/#").await;
        let mut connect = connect_packet(version, "sleeper", 1);
        connect.will = Some(will("wills/sleeper", b"gone"));
        let (mut sleeper, _) = CodecClient::connect(&broker, connect).await;
        until_parked(&broker, 2).await;
        // No PINGREQ: 1.5 x the keep alive later the broker closes the connection.
        let packets = sleeper.expect_closed().await;
        if version == ProtocolVersion::V5 {
            assert!(
                matches!(&packets[..], [Packet::Disconnect(d)] if d.reason == ReasonCode::KEEP_ALIVE_TIMEOUT),
                "{packets:?}"
            );
        }
        expect_publish(&mut watcher, "wills/sleeper", b"gone").await;
        broker.stop().await;
    }
}

#[tokio::test]
async fn a_parked_client_that_closes_its_socket_publishes_its_will() {
    for version in VERSIONS {
        let broker = parking_broker().await;
        let mut watcher = subscriber(&broker, version, "watcher", "wills/#").await;
        let mut connect = connect_packet(version, "leaver", 60);
        connect.will = Some(will("wills/leaver", b"lost"));
        let (leaver, _) = CodecClient::connect(&broker, connect).await;
        until_parked(&broker, 2).await;
        drop(leaver);
        expect_publish(&mut watcher, "wills/leaver", b"lost").await;
        // The watcher parks again; the leaver is gone from the lot.
        wait_until("only the watcher parked", || parked(&broker) == 1).await;
        broker.stop().await;
    }
}

#[tokio::test]
async fn a_parked_session_is_taken_over() {
    let broker = parking_broker().await;
    let version = ProtocolVersion::V5;
    let (mut first, _) =
        CodecClient::connect(&broker, connect_packet(version, "same-id", 60)).await;
    until_parked(&broker, 1).await;
    let (_second, connack) =
        CodecClient::connect(&broker, connect_packet(version, "same-id", 60)).await;
    assert_eq!(connack.reason, ReasonCode::SUCCESS);
    let packets = first.expect_closed().await;
    assert!(
        matches!(&packets[..], [Packet::Disconnect(d)] if d.reason == ReasonCode::SESSION_TAKEN_OVER),
        "{packets:?}"
    );
    broker.stop().await;
}

#[tokio::test]
async fn shutdown_reaches_parked_connections() {
    let broker = parking_broker().await;
    let (mut v5, _) =
        CodecClient::connect(&broker, connect_packet(ProtocolVersion::V5, "v5", 60)).await;
    let (mut v311, _) =
        CodecClient::connect(&broker, connect_packet(ProtocolVersion::V3_1_1, "v311", 60)).await;
    until_parked(&broker, 2).await;
    broker.stop().await;
    let packets = v5.expect_closed().await;
    assert!(
        matches!(&packets[..], [Packet::Disconnect(d)] if d.reason == ReasonCode::SERVER_SHUTTING_DOWN),
        "{packets:?}"
    );
    assert!(v311.expect_closed().await.is_empty());
}
