//! Subscriptions against a real broker: the `+` and `#` wildcards, the `$` rule, overlapping
//! subscriptions (one delivery, every subscription identifier), per-filter SUBACK failures and
//! UNSUBACK reason codes.
//!
//! Absence is checked with a barrier: a later message every subscriber of the test receives;
//! when it arrives first, nothing was delivered before it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::codec_client::{
    CodecClient, connect_packet, packet_id_of, publish_packet, subscribe_packet,
};
use common::{TestBroker, v3, v5};
use hermod_codec::{
    Packet, ProtocolVersion, QoS as CodecQoS, ReasonCode, Subscribe, SubscriptionId,
    SubscriptionOptions, TopicFilter,
};
use rumqttc::QoS;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use rumqttc::v5::mqttbytes::v5::{SubscribeReasonCode, UnsubAckReason};

/// Section 4.7.1.3: `+` matches exactly one level, including an empty one.
#[tokio::test]
async fn single_level_wildcard_matches_exactly_one_level() {
    let broker = TestBroker::start().await;
    let mut subscriber = v3::Client::connect(&broker, "plus").await;
    subscriber.subscribe("a/+/c", QoS::AtMostOnce).await;
    subscriber.subscribe("barrier", QoS::AtMostOnce).await;
    let mut publisher = v3::Client::connect(&broker, "plus-pub").await;
    for topic in [
        "a/b/c", "a/b/d", "a/b/c/d", "a/c", "a//c", "x/b/c", "barrier",
    ] {
        publisher.publish(topic, QoS::AtMostOnce, false, b"x").await;
    }
    let mut received = Vec::new();
    loop {
        let (topic, _) = subscriber.next_message().await;
        if topic == "barrier" {
            break;
        }
        received.push(topic);
    }
    assert_eq!(received, ["a/b/c", "a//c"]);
    broker.stop().await;
}

/// Section 4.7.1.2: `#` matches the parent level and every level below it.
#[tokio::test]
async fn multi_level_wildcard_matches_the_parent_and_every_descendant() {
    let broker = TestBroker::start().await;
    let mut subscriber = v3::Client::connect(&broker, "hash").await;
    subscriber.subscribe("x/#", QoS::AtMostOnce).await;
    subscriber.subscribe("barrier", QoS::AtMostOnce).await;
    let mut publisher = v3::Client::connect(&broker, "hash-pub").await;
    for topic in ["x", "x/y", "x/y/z", "xy", "y/x", "barrier"] {
        publisher.publish(topic, QoS::AtMostOnce, false, b"x").await;
    }
    let mut received = Vec::new();
    loop {
        let (topic, _) = subscriber.next_message().await;
        if topic == "barrier" {
            break;
        }
        received.push(topic);
    }
    assert_eq!(received, ["x", "x/y", "x/y/z"]);
    broker.stop().await;
}

/// MQTT-4.7.2-1: filters starting with a wildcard do not match topics starting with `$`
/// (`$SYS/x` and `$foo/x` reach neither `#` nor `+/x`), while filters naming the `$` level
/// do.
#[tokio::test]
async fn dollar_topics_are_not_matched_by_leading_wildcards() {
    let broker = TestBroker::start().await;
    let mut everything = v3::Client::connect(&broker, "everything").await;
    everything.subscribe("#", QoS::AtMostOnce).await;
    everything.subscribe("+/x", QoS::AtMostOnce).await;
    let mut dollar = v3::Client::connect(&broker, "dollar").await;
    dollar.subscribe("$SYS/#", QoS::AtMostOnce).await;
    dollar.subscribe("$foo/+", QoS::AtMostOnce).await;
    dollar.subscribe("plain/x", QoS::AtMostOnce).await;

    broker.inject("$SYS/x", b"from the broker");
    let mut publisher = v3::Client::connect(&broker, "dollar-pub").await;
    publisher
        .publish("$foo/x", QoS::AtMostOnce, false, b"from a client")
        .await;
    publisher
        .publish("plain/x", QoS::AtMostOnce, false, b"barrier")
        .await;

    assert_eq!(everything.next_message().await.0, "plain/x");
    assert_eq!(dollar.next_message().await.0, "$SYS/x");
    assert_eq!(dollar.next_message().await.0, "$foo/x");
    assert_eq!(dollar.next_message().await.0, "plain/x");
    broker.stop().await;
}

/// MQTT 5.0 section 4.7.2: only `$SYS/` is reserved for the broker; clients may publish to
/// other `$` topics and subscribers naming them receive the messages.
#[tokio::test]
async fn clients_may_publish_to_dollar_topics_other_than_sys() {
    let broker = TestBroker::start().await;
    let mut subscriber = v3::Client::connect(&broker, "dollar-sub").await;
    subscriber.subscribe("$foo/bar", QoS::AtLeastOnce).await;
    let mut publisher = v5::Client::connect(&broker, "dollar-pub5").await;
    publisher
        .publish("$foo/bar", QoS5::AtLeastOnce, false, b"allowed")
        .await;
    let publish = subscriber.next_publish().await;
    assert_eq!(
        (publish.topic.as_str(), &publish.payload[..], publish.qos),
        ("$foo/bar", &b"allowed"[..], QoS::AtLeastOnce)
    );
    broker.stop().await;
}

/// MQTT-3.3.5-1 (3.1.1) / MQTT-3.3.4-2 (5.0): a message matching several subscriptions of one
/// client is delivered once, with the highest QoS granted among them.
#[tokio::test]
async fn overlapping_subscriptions_are_delivered_once_with_the_highest_qos() {
    let broker = TestBroker::start().await;
    let mut subscriber = v3::Client::connect(&broker, "overlap").await;
    subscriber.subscribe("o/#", QoS::AtMostOnce).await;
    subscriber.subscribe("o/+/c", QoS::ExactlyOnce).await;
    subscriber.subscribe("o/b/c", QoS::AtLeastOnce).await;
    subscriber.subscribe("barrier", QoS::AtMostOnce).await;
    let mut publisher = v3::Client::connect(&broker, "overlap-pub").await;
    publisher
        .publish("o/b/c", QoS::ExactlyOnce, false, b"once")
        .await;
    publisher
        .publish("barrier", QoS::AtMostOnce, false, b"")
        .await;
    let publish = subscriber.next_publish().await;
    assert_eq!(
        (publish.topic.as_str(), publish.qos),
        ("o/b/c", QoS::ExactlyOnce)
    );
    assert_eq!(subscriber.next_message().await.0, "barrier");
    broker.stop().await;
}

/// MQTT-3.3.4-2/-3/-4 (5.0): the single copy of a message matching overlapping subscriptions
/// has the highest granted QoS and carries the Subscription Identifier of every matching
/// subscription. (Decoded with the codec client: rumqttc 0.25 miscounts the property length
/// after a Subscription Identifier and loses the third one.)
#[tokio::test]
async fn v5_overlapping_subscriptions_carry_every_subscription_identifier() {
    let broker = TestBroker::start().await;
    let (mut subscriber, _) =
        CodecClient::connect(&broker, connect_packet(ProtocolVersion::V5, "ids", 30)).await;
    let filters = [
        ("s/#", CodecQoS::AtMostOnce, Some(1)),
        ("s/+", CodecQoS::ExactlyOnce, Some(2)),
        ("s/t", CodecQoS::AtLeastOnce, Some(3)),
        ("barrier", CodecQoS::AtMostOnce, None),
    ];
    for (packet_id, (filter, qos, id)) in (1..).zip(filters) {
        let mut subscribe = Subscribe::new(
            packet_id_of(packet_id),
            TopicFilter::new(filter).unwrap(),
            SubscriptionOptions::with_qos(qos),
        );
        subscribe.properties.subscription_identifier = id.and_then(SubscriptionId::new);
        subscriber.send(&Packet::Subscribe(subscribe)).await;
        assert!(matches!(subscriber.expect().await, Packet::SubAck(_)));
    }
    let mut publisher = v5::Client::connect(&broker, "ids-pub").await;
    publisher
        .publish("s/t", QoS5::ExactlyOnce, false, b"x")
        .await;
    publisher
        .publish("s/u/v", QoS5::AtMostOnce, false, b"y")
        .await;
    publisher
        .publish("barrier", QoS5::AtMostOnce, false, b"")
        .await;

    let mut publishes = Vec::new();
    while let Packet::Publish(publish) = subscriber.expect().await {
        if publish.topic.as_str() == "barrier" {
            break;
        }
        publishes.push(publish);
    }
    let [first, second] = publishes.as_slice() else {
        panic!("expected two messages before the barrier, got {publishes:?}");
    };
    assert_eq!(
        (first.topic.as_str(), first.qos),
        ("s/t", CodecQoS::ExactlyOnce)
    );
    let mut ids: Vec<u32> = first
        .properties
        .subscription_identifiers()
        .iter()
        .map(|id| id.get())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(second.topic.as_str(), "s/u/v");
    let ids: Vec<u32> = second
        .properties
        .subscription_identifiers()
        .iter()
        .map(|id| id.get())
        .collect();
    assert_eq!(ids, [1]);
    broker.stop().await;
}

/// Subscribes (codec client, QoS 1 each) to a valid, an invalid and a valid filter; returns
/// the SUBACK codes, then checks the valid filters deliver.
async fn subscribe_with_one_invalid_filter(version: ProtocolVersion) -> Vec<ReasonCode> {
    let broker = TestBroker::start().await;
    let (mut client, _) =
        CodecClient::connect(&broker, connect_packet(version, "filters", 30)).await;
    client
        .send(&Packet::Subscribe(subscribe_packet(
            1,
            &["ok/1", "bad/#/filter", "ok/2"],
        )))
        .await;
    let reasons = match client.expect().await {
        Packet::SubAck(suback) => suback.reasons,
        other => panic!("expected SUBACK, got {other:?}"),
    };
    for topic in ["ok/1", "ok/2"] {
        client
            .send(&Packet::Publish(publish_packet(
                topic,
                CodecQoS::AtMostOnce,
                0,
                b"x",
            )))
            .await;
        match client.expect().await {
            Packet::Publish(publish) => assert_eq!(publish.topic.as_str(), topic),
            other => panic!("expected PUBLISH on {topic}, got {other:?}"),
        }
    }
    broker.stop().await;
    reasons
}

/// MQTT-3.8.4-5/-6 and section 3.9.3 (3.1.1): one SUBACK code per filter; an invalid filter
/// gets 0x80 Failure while the other filters of the same SUBSCRIBE are granted.
#[tokio::test]
async fn v311_invalid_filter_gets_0x80_while_the_others_succeed() {
    let reasons = subscribe_with_one_invalid_filter(ProtocolVersion::V3_1_1).await;
    assert_eq!(
        reasons,
        [
            ReasonCode::from_byte(0x01),
            ReasonCode::UNSPECIFIED_ERROR,
            ReasonCode::from_byte(0x01)
        ]
    );
}

/// MQTT-3.8.4-6 / section 3.9.3 (5.0): an invalid filter gets 0x8F Topic Filter invalid
/// while the other filters of the same SUBSCRIBE are granted.
#[tokio::test]
async fn v5_invalid_filter_gets_0x8f_while_the_others_succeed() {
    let reasons = subscribe_with_one_invalid_filter(ProtocolVersion::V5).await;
    assert_eq!(
        reasons,
        [
            ReasonCode::from_byte(0x01),
            ReasonCode::TOPIC_FILTER_INVALID,
            ReasonCode::from_byte(0x01)
        ]
    );
}

/// Section 3.11.3 (5.0): UNSUBACK answers a filter the client was not subscribed to with
/// 0x11 No subscription existed, and a real one with 0x00; delivery stops after it.
#[tokio::test]
async fn v5_unsubscribe_of_an_unknown_filter_gets_0x11() {
    let broker = TestBroker::start().await;
    let mut client = v5::Client::connect(&broker, "unsub").await;
    assert_eq!(
        client.subscribe("known/t", QoS5::AtMostOnce).await,
        SubscribeReasonCode::Success(QoS5::AtMostOnce)
    );
    client.subscribe("barrier", QoS5::AtMostOnce).await;
    assert_eq!(
        client.unsubscribe("never/subscribed").await,
        UnsubAckReason::NoSubscriptionExisted
    );
    assert_eq!(client.unsubscribe("known/t").await, UnsubAckReason::Success);
    assert_eq!(
        client.unsubscribe("known/t").await,
        UnsubAckReason::NoSubscriptionExisted
    );
    client
        .publish("known/t", QoS5::AtMostOnce, false, b"x")
        .await;
    client
        .publish("barrier", QoS5::AtMostOnce, false, b"")
        .await;
    assert_eq!(client.next_message().await.0, "barrier");
    broker.stop().await;
}
