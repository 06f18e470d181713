//! Quality of service against a real broker: QoS 0, 1 and 2 flows in both directions,
//! downgrade to the granted QoS, per-topic ordering, and exactly-once for a QoS 2 message
//! retransmitted before PUBREL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::num::NonZeroU16;

use common::codec_client::{CodecClient, connect_packet, packet_id_of, publish_packet};
use common::{TestBroker, v3, v5, within};
use hermod_codec::{Packet, ProtocolVersion, PubRel, QoS as CodecQoS};
use hermod_core::BrokerConfig;
use hermod_core::stats::Stats;
use rumqttc::QoS;
use rumqttc::v5::mqttbytes::QoS as QoS5;

/// A broker that sends one QoS 1/2 message at a time: each delivery waits until the previous
/// one's flow (PUBACK, or PUBREC/PUBREL/PUBCOMP) is complete, so receiving them all shows the
/// outbound flows complete.
async fn one_in_flight_broker() -> TestBroker {
    TestBroker::start_with(BrokerConfig {
        max_inflight: NonZeroU16::new(1).unwrap(),
        ..BrokerConfig::default()
    })
    .await
}

/// MQTT 3.1.1 section 4.3: QoS 0, 1 and 2 messages complete their flows from the publisher
/// (PUBACK, PUBREC/PUBREL/PUBCOMP) and to the subscriber, which receives each at the QoS it
/// was published with (the subscription grants 2).
#[tokio::test]
async fn v311_qos_0_1_2_flows_complete_in_both_directions() {
    let broker = one_in_flight_broker().await;
    let mut subscriber = v3::Client::connect(&broker, "q-sub").await;
    subscriber.subscribe("q/#", QoS::ExactlyOnce).await;
    let mut publisher = v3::Client::connect(&broker, "q-pub").await;
    let levels = [QoS::ExactlyOnce, QoS::AtLeastOnce, QoS::AtMostOnce];
    for round in 0..3 {
        for qos in levels {
            let topic = format!("q/{round}/{}", qos as u8);
            publisher.publish(&topic, qos, false, b"x").await;
        }
    }
    for round in 0..3 {
        for qos in levels {
            let publish = subscriber.next_publish().await;
            assert_eq!(publish.topic, format!("q/{round}/{}", qos as u8));
            assert_eq!(publish.qos, qos);
            assert!(!publish.dup);
        }
    }
    broker.stop().await;
}

/// MQTT 5.0 section 4.3: the same flows for MQTT 5 clients.
#[tokio::test]
async fn v5_qos_0_1_2_flows_complete_in_both_directions() {
    let broker = one_in_flight_broker().await;
    let mut subscriber = v5::Client::connect(&broker, "q5-sub").await;
    subscriber.subscribe("q/#", QoS5::ExactlyOnce).await;
    let mut publisher = v5::Client::connect(&broker, "q5-pub").await;
    let levels = [QoS5::ExactlyOnce, QoS5::AtLeastOnce, QoS5::AtMostOnce];
    for round in 0..3 {
        for qos in levels {
            let topic = format!("q/{round}/{}", qos as u8);
            publisher.publish(&topic, qos, false, b"x").await;
        }
    }
    for round in 0..3 {
        for qos in levels {
            let publish = subscriber.next_publish().await;
            assert_eq!(publish.topic, format!("q/{round}/{}", qos as u8));
            assert_eq!(publish.qos, qos);
        }
    }
    broker.stop().await;
}

/// MQTT-3.8.4-8 (5.0; 3.1.1 section 3.8.4): a message is delivered at the lower of its
/// published QoS and the QoS granted to the subscription.
#[tokio::test]
async fn delivery_qos_is_downgraded_to_the_granted_maximum() {
    let broker = TestBroker::start().await;
    let mut subscriber = v3::Client::connect(&broker, "down-sub").await;
    for (filter, qos) in [
        ("down/0", QoS::AtMostOnce),
        ("down/1", QoS::AtLeastOnce),
        ("down/2", QoS::ExactlyOnce),
    ] {
        let granted = subscriber.subscribe(filter, qos).await;
        assert_eq!(granted, rumqttc::SubscribeReasonCode::Success(qos));
    }
    let mut publisher = v3::Client::connect(&broker, "down-pub").await;
    for (topic, published) in [
        ("down/0", QoS::ExactlyOnce),
        ("down/1", QoS::ExactlyOnce),
        ("down/2", QoS::AtLeastOnce),
        ("down/1", QoS::AtMostOnce),
    ] {
        publisher.publish(topic, published, false, b"x").await;
    }
    let mut received = Vec::new();
    for _ in 0..4 {
        let publish = subscriber.next_publish().await;
        received.push((publish.topic, publish.qos));
    }
    assert_eq!(
        received,
        [
            ("down/0".to_owned(), QoS::AtMostOnce),
            ("down/1".to_owned(), QoS::AtLeastOnce),
            ("down/2".to_owned(), QoS::AtLeastOnce),
            ("down/1".to_owned(), QoS::AtMostOnce),
        ]
    );
    broker.stop().await;
}

/// MQTT-4.6.0-5 (5.0; 3.1.1: MQTT-4.6.0-6): messages on one topic from one client reach a
/// subscriber in the order they were published, per QoS and across QoS levels.
#[tokio::test]
async fn messages_on_one_topic_keep_their_publish_order() {
    let broker = TestBroker::start().await;
    let mut subscriber = v3::Client::connect(&broker, "order-sub").await;
    subscriber.subscribe("order", QoS::ExactlyOnce).await;
    let publisher = v3::Client::connect(&broker, "order-pub").await;
    let levels = [QoS::AtLeastOnce, QoS::ExactlyOnce, QoS::AtMostOnce];
    // Queue every publication at once: rumqttc sends them back to back, without waiting for
    // acknowledgements in between (up to its in-flight limit).
    let handle = publisher.client.clone();
    let _publisher = publisher.spawn();
    within("the publications to be queued", async {
        for n in 0..150usize {
            handle
                .publish("order", levels[n % 3], false, n.to_string())
                .await
                .unwrap();
        }
    })
    .await;
    for n in 0..150usize {
        let publish = subscriber.next_publish().await;
        assert_eq!(publish.payload, n.to_string().as_bytes(), "message {n}");
        assert_eq!(publish.qos, levels[n % 3]);
    }
    broker.stop().await;
}

/// MQTT-4.3.3-10 (5.0; 3.1.1: MQTT-4.3.3-2 and section 4.3.3 method B): until PUBREL, a
/// retransmitted QoS 2 PUBLISH (same packet id, DUP set) is acknowledged again with PUBREC
/// but not forwarded a second time. After PUBCOMP the packet id is free for a new message
/// (MQTT-4.3.3-12).
#[tokio::test]
async fn qos2_retransmission_before_pubrel_is_forwarded_once() {
    let broker = TestBroker::start().await;
    let mut subscriber = v3::Client::connect(&broker, "exactly-sub").await;
    subscriber.subscribe("exactly/#", QoS::ExactlyOnce).await;
    let (mut publisher, _) = CodecClient::connect(
        &broker,
        connect_packet(ProtocolVersion::V3_1_1, "exactly-pub", 30),
    )
    .await;

    let original = publish_packet("exactly/once", CodecQoS::ExactlyOnce, 7, b"once");
    publisher.send(&Packet::Publish(original.clone())).await;
    assert!(matches!(publisher.expect().await, Packet::PubRec(rec) if rec.packet_id.get() == 7));
    let retransmission = hermod_codec::Publish {
        dup: true,
        ..original
    };
    publisher.send(&Packet::Publish(retransmission)).await;
    assert!(matches!(publisher.expect().await, Packet::PubRec(rec) if rec.packet_id.get() == 7));
    publisher
        .send(&Packet::PubRel(PubRel::new(packet_id_of(7))))
        .await;
    assert!(matches!(publisher.expect().await, Packet::PubComp(comp) if comp.packet_id.get() == 7));
    // The same packet id after PUBCOMP is a new message.
    publisher
        .send(&Packet::Publish(publish_packet(
            "exactly/again",
            CodecQoS::ExactlyOnce,
            7,
            b"again",
        )))
        .await;
    assert!(matches!(publisher.expect().await, Packet::PubRec(rec) if rec.packet_id.get() == 7));
    publisher
        .send(&Packet::PubRel(PubRel::new(packet_id_of(7))))
        .await;
    assert!(matches!(publisher.expect().await, Packet::PubComp(_)));

    assert_eq!(
        subscriber.next_message().await,
        ("exactly/once".to_owned(), "once".to_owned())
    );
    assert_eq!(
        subscriber.next_message().await,
        ("exactly/again".to_owned(), "again".to_owned())
    );
    assert_eq!(Stats::read(&broker.broker.stats().messages_sent), 2);
    broker.stop().await;
}

/// A codec client for `client_id` with Clean Session 0 (3.1.1).
async fn persistent_codec_client(broker: &TestBroker, client_id: &str) -> (CodecClient, bool) {
    let mut connect = connect_packet(ProtocolVersion::V3_1_1, client_id, 30);
    connect.clean_start = false;
    let (client, connack) = CodecClient::connect(broker, connect).await;
    assert!(connack.reason.is_success());
    (client, connack.session_present)
}

/// MQTT-4.4.0-1: when a session resumes, the broker resends PUBREL for a QoS 2 message the
/// client had acknowledged with PUBREC but not completed, not the PUBLISH again; the flow then
/// completes and new messages follow.
#[tokio::test]
async fn qos2_pubrel_is_resent_when_the_session_resumes() {
    let broker = TestBroker::start().await;
    let (mut subscriber, present) = persistent_codec_client(&broker, "q2-sub").await;
    assert!(!present);
    subscriber
        .send(&Packet::Subscribe(hermod_codec::Subscribe::new(
            packet_id_of(1),
            hermod_codec::TopicFilter::new("q2").unwrap(),
            hermod_codec::SubscriptionOptions::with_qos(CodecQoS::ExactlyOnce),
        )))
        .await;
    assert!(matches!(subscriber.expect().await, Packet::SubAck(_)));
    let mut publisher = v3::Client::connect(&broker, "q2-pub").await;
    publisher
        .publish("q2", QoS::ExactlyOnce, false, b"m1")
        .await;

    let Packet::Publish(first) = subscriber.expect().await else {
        panic!("expected PUBLISH");
    };
    let packet_id = first.packet_id.expect("QoS 2 has a packet id");
    subscriber
        .send(&Packet::PubRec(hermod_codec::PubRec::new(packet_id)))
        .await;
    assert!(matches!(subscriber.expect().await, Packet::PubRel(rel) if rel.packet_id == packet_id));
    drop(subscriber); // no PUBCOMP

    let (mut subscriber, present) = persistent_codec_client(&broker, "q2-sub").await;
    assert!(present);
    match subscriber.expect().await {
        Packet::PubRel(rel) => assert_eq!(rel.packet_id, packet_id),
        other => panic!("expected the PUBREL again, got {other:?}"),
    }
    subscriber
        .send(&Packet::PubComp(hermod_codec::PubComp::new(packet_id)))
        .await;
    publisher
        .publish("q2", QoS::ExactlyOnce, false, b"m2")
        .await;
    match subscriber.expect().await {
        Packet::Publish(publish) => {
            assert_eq!(&publish.payload[..], b"m2");
            assert!(!publish.dup);
        }
        other => panic!("expected the next message, got {other:?}"),
    }
    broker.stop().await;
}

/// MQTT-4.3.3-10 and MQTT-4.4.0-1: a QoS 2 PUBLISH the broker acknowledged with PUBREC before
/// the connection dropped is resent with DUP after the session resumes; it is acknowledged
/// again but forwarded only once.
#[tokio::test]
async fn qos2_retransmission_after_reconnect_is_forwarded_once() {
    let broker = TestBroker::start().await;
    let mut subscriber = v3::Client::connect(&broker, "q2in-sub").await;
    subscriber.subscribe("q2in/#", QoS::ExactlyOnce).await;
    let (mut publisher, _) = persistent_codec_client(&broker, "q2in-pub").await;
    let original = publish_packet("q2in/once", CodecQoS::ExactlyOnce, 9, b"once");
    publisher.send(&Packet::Publish(original.clone())).await;
    assert!(matches!(publisher.expect().await, Packet::PubRec(rec) if rec.packet_id.get() == 9));
    drop(publisher); // before PUBREL

    let (mut publisher, present) = persistent_codec_client(&broker, "q2in-pub").await;
    assert!(present);
    let retransmission = hermod_codec::Publish {
        dup: true,
        ..original
    };
    publisher.send(&Packet::Publish(retransmission)).await;
    assert!(matches!(publisher.expect().await, Packet::PubRec(rec) if rec.packet_id.get() == 9));
    publisher
        .send(&Packet::PubRel(PubRel::new(packet_id_of(9))))
        .await;
    assert!(matches!(publisher.expect().await, Packet::PubComp(_)));
    publisher
        .send(&Packet::Publish(publish_packet(
            "q2in/barrier",
            CodecQoS::AtMostOnce,
            0,
            b"",
        )))
        .await;

    assert_eq!(subscriber.next_message().await.0, "q2in/once");
    assert_eq!(subscriber.next_message().await.0, "q2in/barrier");
    broker.stop().await;
}

/// MQTT-3.3.4-9 (section 3.3.4, flow control): the broker never has more unacknowledged
/// QoS 1/2 messages out to a client than the client's Receive Maximum; the next one follows
/// the acknowledgement.
#[tokio::test]
async fn v5_client_receive_maximum_limits_messages_in_flight() {
    let broker = TestBroker::start().await;
    let mut connect = connect_packet(ProtocolVersion::V5, "narrow", 30);
    connect.properties.receive_maximum = NonZeroU16::new(2);
    let (mut subscriber, _) = CodecClient::connect(&broker, connect).await;
    subscriber
        .send(&Packet::Subscribe(hermod_codec::Subscribe::new(
            packet_id_of(1),
            hermod_codec::TopicFilter::new("flow").unwrap(),
            hermod_codec::SubscriptionOptions::with_qos(CodecQoS::AtLeastOnce),
        )))
        .await;
    assert!(matches!(subscriber.expect().await, Packet::SubAck(_)));
    let mut publisher = v5::Client::connect(&broker, "flow-pub").await;
    for n in ["1", "2", "3"] {
        publisher
            .publish("flow", QoS5::AtLeastOnce, false, n.as_bytes())
            .await;
    }

    let mut in_flight = Vec::new();
    for n in ["1", "2"] {
        match subscriber.expect().await {
            Packet::Publish(publish) => {
                assert_eq!(&publish.payload[..], n.as_bytes());
                in_flight.push(publish.packet_id.unwrap());
            }
            other => panic!("expected PUBLISH {n}, got {other:?}"),
        }
    }
    // Two ping round trips: anything the broker sent meanwhile would come before the second
    // PINGRESP. Nothing may: the window is full.
    for _ in 0..2 {
        subscriber.send(&Packet::PingReq).await;
        assert_eq!(subscriber.expect().await, Packet::PingResp);
    }
    subscriber
        .send(&Packet::PubAck(hermod_codec::PubAck::new(in_flight[0])))
        .await;
    match subscriber.expect().await {
        Packet::Publish(publish) => assert_eq!(&publish.payload[..], b"3"),
        other => panic!("expected PUBLISH 3, got {other:?}"),
    }
    broker.stop().await;
}
