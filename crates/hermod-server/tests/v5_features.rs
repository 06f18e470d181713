//! MQTT 5 features against a real broker, with `rumqttc::v5`: Message Expiry, Maximum Packet
//! Size, topic aliases from the client, No Local, request/response (Response Topic,
//! Correlation Data, Response Information), user properties, content type and payload format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::codec_client::{CodecClient, connect_packet, packet_id_of};
use common::{TestBroker, v5};
use hermod_codec::{
    Packet, ProtocolVersion, QoS as CodecQoS, Subscribe, SubscriptionOptions, TopicFilter,
};
use hermod_core::stats::Stats;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Filter, PublishProperties};

/// Message Expiry Interval properties.
fn expiring(seconds: u32) -> PublishProperties {
    PublishProperties {
        message_expiry_interval: Some(seconds),
        ..PublishProperties::default()
    }
}

/// Lets `seconds` pass after `since`. Not a synchronisation: expiry is about elapsed time,
/// and the broker fixed the deadline when it received the message, before `since` (the
/// PUBACK that told us it had it).
async fn let_pass(since: Instant, seconds: u64) {
    tokio::time::sleep_until(
        (since + Duration::from_secs(seconds) + Duration::from_millis(50)).into(),
    )
    .await;
}

/// A subscriber with a persistent session on `expiry/#` that has gone offline.
async fn offline_subscriber(broker: &TestBroker) -> rumqttc::v5::MqttOptions {
    let options = v5::persistent_options(broker, "expiry-sub", 60);
    let (mut subscriber, _) = v5::Client::connect_with(options.clone()).await;
    subscriber.subscribe("expiry/#", QoS::AtLeastOnce).await;
    subscriber.disconnect().await;
    options
}

/// MQTT-3.3.2-5: a queued message whose Message Expiry Interval has passed is not delivered.
#[tokio::test]
async fn v5_expired_queued_message_is_not_delivered() {
    let broker = TestBroker::start().await;
    let options = offline_subscriber(&broker).await;
    let mut publisher = v5::Client::connect(&broker, "expiry-pub").await;
    publisher
        .publish_with(
            "expiry/short",
            QoS::AtLeastOnce,
            false,
            b"stale",
            expiring(1),
        )
        .await;
    let acked = Instant::now();
    publisher
        .publish("expiry/none", QoS::AtLeastOnce, false, b"fresh")
        .await;
    let_pass(acked, 1).await;

    let (mut subscriber, connack) = v5::Client::connect_with(options).await;
    assert!(connack.session_present);
    assert_eq!(subscriber.next_message().await.1, "fresh");
    assert_eq!(Stats::read(&broker.broker.stats().messages_expired), 1);
    broker.stop().await;
}

/// MQTT-3.3.2-6: the Message Expiry Interval sent to a subscriber is the received one minus
/// the time the message waited in the broker.
#[tokio::test]
async fn v5_message_expiry_interval_counts_down_while_queued() {
    let broker = TestBroker::start().await;
    let options = offline_subscriber(&broker).await;
    let mut publisher = v5::Client::connect(&broker, "expiry-pub").await;
    publisher
        .publish_with("expiry/long", QoS::AtLeastOnce, false, b"x", expiring(60))
        .await;
    let acked = Instant::now();
    let_pass(acked, 1).await;

    let (mut subscriber, _) = v5::Client::connect_with(options).await;
    let publish = subscriber.next_publish().await;
    let remaining = v5::properties(&publish)
        .message_expiry_interval
        .expect("Message Expiry Interval kept");
    assert!((1..=59).contains(&remaining), "remaining {remaining}");
    // A message without expiry gets none.
    publisher
        .publish("expiry/none", QoS::AtLeastOnce, false, b"y")
        .await;
    let publish = subscriber.next_publish().await;
    assert_eq!(v5::properties(&publish).message_expiry_interval, None);
    broker.stop().await;
}

/// MQTT-3.3.2-5: a retained message whose Message Expiry Interval has passed is no longer
/// sent to new subscribers.
#[tokio::test]
async fn v5_expired_retained_message_is_not_delivered_on_subscribe() {
    let broker = TestBroker::start().await;
    let mut publisher = v5::Client::connect(&broker, "expiry-pub").await;
    publisher
        .publish_with(
            "expiry/retained",
            QoS::AtLeastOnce,
            true,
            b"stale",
            expiring(1),
        )
        .await;
    let acked = Instant::now();
    publisher
        .publish("expiry/kept", QoS::AtLeastOnce, true, b"fresh")
        .await;
    let_pass(acked, 1).await;

    let mut subscriber = v5::Client::connect(&broker, "expiry-late").await;
    subscriber.subscribe("expiry/#", QoS::AtLeastOnce).await;
    publisher
        .publish("expiry/barrier", QoS::AtMostOnce, false, b"")
        .await;
    assert_eq!(subscriber.next_message().await.1, "fresh");
    assert_eq!(subscriber.next_message().await.0, "expiry/barrier");
    broker.stop().await;
}

/// MQTT-3.1.2-25: a message larger than a client's Maximum Packet Size is discarded for that
/// client only; other subscribers get it, and the client gets later messages that fit.
#[tokio::test]
async fn v5_message_above_a_clients_maximum_packet_size_is_dropped_for_that_client_only() {
    let broker = TestBroker::start().await;
    let mut options = v5::options(&broker, "small");
    options.set_max_packet_size(Some(256));
    let (mut small, _) = v5::Client::connect_with(options).await;
    small.subscribe("mps/#", QoS::AtLeastOnce).await;
    let mut large = v5::Client::connect(&broker, "large").await;
    large.subscribe("mps/#", QoS::AtLeastOnce).await;

    let mut publisher = v5::Client::connect(&broker, "mps-pub").await;
    let big = vec![b'x'; 1000];
    publisher
        .publish("mps/big", QoS::AtLeastOnce, false, &big)
        .await;
    publisher
        .publish("mps/small", QoS::AtLeastOnce, false, b"fits")
        .await;

    assert_eq!(large.next_publish().await.payload.len(), 1000);
    assert_eq!(large.next_message().await.0, "mps/small");
    assert_eq!(
        small.next_message().await,
        ("mps/small".to_owned(), "fits".to_owned())
    );
    assert_eq!(Stats::read(&broker.broker.stats().messages_too_large), 1);
    broker.stop().await;
}

/// Section 3.3.2.3.4 (MQTT-3.3.2-12): a client may publish with a Topic Alias, setting it with
/// a topic and using it with an empty topic; subscribers receive the full topic name.
#[tokio::test]
async fn v5_topic_alias_from_the_client_is_resolved() {
    let broker = TestBroker::start().await;
    let mut subscriber = v5::Client::connect(&broker, "alias-sub").await;
    subscriber.subscribe("alias/#", QoS::AtLeastOnce).await;
    let mut publisher = v5::Client::connect(&broker, "alias-pub").await;
    let alias = |alias| PublishProperties {
        topic_alias: Some(alias),
        ..PublishProperties::default()
    };
    for (topic, number, payload) in [
        ("alias/one", 1, "set 1"),
        ("", 1, "use 1"),
        ("alias/two", 2, "set 2"),
        ("", 1, "use 1 again"),
        ("alias/three", 1, "remap 1"),
        ("", 1, "use remapped 1"),
        ("", 2, "use 2"),
    ] {
        publisher
            .publish_with(
                topic,
                QoS::AtLeastOnce,
                false,
                payload.as_bytes(),
                alias(number),
            )
            .await;
    }
    let mut received = Vec::new();
    for _ in 0..7 {
        let publish = subscriber.next_publish().await;
        assert_eq!(v5::properties(&publish).topic_alias, None);
        received.push(String::from_utf8(publish.topic.to_vec()).unwrap());
    }
    assert_eq!(
        received,
        [
            "alias/one",
            "alias/one",
            "alias/two",
            "alias/one",
            "alias/three",
            "alias/three",
            "alias/two"
        ]
    );
    broker.stop().await;
}

/// MQTT-3.8.3-3: with No Local, a client's own publications are not sent back to it (others'
/// are; subscriptions without No Local still get its own).
#[tokio::test]
async fn v5_no_local_keeps_a_clients_own_messages_from_it() {
    let broker = TestBroker::start().await;
    let mut talker = v5::Client::connect(&broker, "talker").await;
    let mut filter = Filter::new("chat", QoS::AtLeastOnce);
    filter.nolocal = true;
    talker.subscribe_with(vec![filter], None).await;
    let mut listener = v5::Client::connect(&broker, "listener").await;
    listener.subscribe("chat", QoS::AtLeastOnce).await;

    talker
        .publish("chat", QoS::AtLeastOnce, false, b"mine")
        .await;
    listener
        .publish("chat", QoS::AtLeastOnce, false, b"yours")
        .await;
    assert_eq!(talker.next_message().await.1, "yours");
    assert_eq!(listener.next_message().await.1, "mine");
    assert_eq!(listener.next_message().await.1, "yours");
    broker.stop().await;
}

/// MQTT-3.3.2-15/-16 (section 4.10): Response Topic and Correlation Data reach subscribers
/// unaltered, so a responder can answer on the topic with the same correlation data.
#[tokio::test]
async fn v5_response_topic_and_correlation_data_are_passed_through() {
    let broker = TestBroker::start().await;
    let mut requester = v5::Client::connect(&broker, "requester").await;
    requester
        .subscribe("replies/requester", QoS::AtLeastOnce)
        .await;
    let mut responder = v5::Client::connect(&broker, "responder").await;
    responder.subscribe("requests/#", QoS::AtLeastOnce).await;

    let request = PublishProperties {
        response_topic: Some("replies/requester".to_owned()),
        correlation_data: Some(Bytes::from_static(b"\x00\x01req-42")),
        ..PublishProperties::default()
    };
    requester
        .publish_with("requests/time", QoS::AtLeastOnce, false, b"now?", request)
        .await;

    let received = v5::properties(&responder.next_publish().await);
    let reply_to = received.response_topic.expect("Response Topic");
    let correlation = received.correlation_data.expect("Correlation Data");
    assert_eq!(reply_to, "replies/requester");
    assert_eq!(&correlation[..], b"\x00\x01req-42");
    let reply = PublishProperties {
        correlation_data: Some(correlation),
        ..PublishProperties::default()
    };
    responder
        .publish_with(&reply_to, QoS::AtLeastOnce, false, b"12:00", reply)
        .await;

    let publish = requester.next_publish().await;
    assert_eq!(&publish.payload[..], b"12:00");
    assert_eq!(
        v5::properties(&publish).correlation_data.as_deref(),
        Some(&b"\x00\x01req-42"[..])
    );
    broker.stop().await;
}

/// Section 3.1.2.11.7 / 3.2.2.3.15: CONNACK carries Response Information only when the client
/// set Request Response Information to 1.
#[tokio::test]
async fn v5_response_information_is_sent_only_when_requested() {
    let broker = TestBroker::start().await;
    let mut options = v5::options(&broker, "asker");
    options.set_request_response_info(Some(1));
    let (_asker, connack) = v5::Client::connect_with(options).await;
    let information = connack
        .properties
        .and_then(|properties| properties.response_information)
        .expect("Response Information");
    assert!(!information.is_empty());

    let (_quiet, connack) = v5::Client::connect_with(v5::options(&broker, "quiet")).await;
    assert_eq!(
        connack
            .properties
            .and_then(|properties| properties.response_information),
        None
    );
    broker.stop().await;
}

/// MQTT-3.3.2-17/-18: User Properties are forwarded unaltered and in order, duplicates
/// included.
#[tokio::test]
async fn v5_user_properties_keep_their_order() {
    let broker = TestBroker::start().await;
    let mut subscriber = v5::Client::connect(&broker, "props-sub").await;
    subscriber.subscribe("props", QoS::AtLeastOnce).await;
    let mut publisher = v5::Client::connect(&broker, "props-pub").await;
    let pairs: Vec<(String, String)> = [("b", "1"), ("a", "2"), ("b", "3"), ("ä", "ü"), ("a", "1")]
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    let properties = PublishProperties {
        user_properties: pairs.clone(),
        ..PublishProperties::default()
    };
    publisher
        .publish_with("props", QoS::AtLeastOnce, false, b"x", properties)
        .await;
    assert_eq!(v5::user_properties(&subscriber.next_publish().await), pairs);
    broker.stop().await;
}

/// MQTT-3.3.2-4 and MQTT-3.3.2-20: the Payload Format Indicator and the Content Type reach
/// subscribers unaltered.
#[tokio::test]
async fn v5_content_type_and_payload_format_are_passed_through() {
    let broker = TestBroker::start().await;
    let mut subscriber = v5::Client::connect(&broker, "ct-sub").await;
    subscriber.subscribe("ct/#", QoS::AtLeastOnce).await;
    let mut publisher = v5::Client::connect(&broker, "ct-pub").await;
    let json = PublishProperties {
        payload_format_indicator: Some(1),
        content_type: Some("application/json; charset=utf-8".to_owned()),
        ..PublishProperties::default()
    };
    publisher
        .publish_with("ct/json", QoS::AtLeastOnce, false, br#"{"t":21.5}"#, json)
        .await;
    let binary = PublishProperties {
        payload_format_indicator: Some(0),
        content_type: Some("application/octet-stream".to_owned()),
        ..PublishProperties::default()
    };
    publisher
        .publish_with("ct/bin", QoS::AtLeastOnce, false, &[0xFF, 0x00], binary)
        .await;

    let received = v5::properties(&subscriber.next_publish().await);
    assert_eq!(received.payload_format_indicator, Some(1));
    assert_eq!(
        received.content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    let received = v5::properties(&subscriber.next_publish().await);
    assert_eq!(received.payload_format_indicator, Some(0));
    assert_eq!(
        received.content_type.as_deref(),
        Some("application/octet-stream")
    );
    broker.stop().await;
}

/// MQTT-3.3.2-11 (section 3.3.2.3.4): towards a client that accepts topic aliases, the broker
/// sets an alias with the topic once, then sends the alias alone, and never uses an alias
/// above the client's Topic Alias Maximum. (Decoded with the codec client: rumqttc reports
/// the PUBLISH before resolving the alias.)
#[tokio::test]
async fn v5_broker_topic_aliases_stay_within_the_clients_maximum() {
    let broker = TestBroker::start().await;
    let mut connect = connect_packet(ProtocolVersion::V5, "alias-taker", 30);
    connect.properties.topic_alias_maximum = Some(1);
    let (mut subscriber, _) = CodecClient::connect(&broker, connect).await;
    subscriber
        .send(&Packet::Subscribe(Subscribe::new(
            packet_id_of(1),
            TopicFilter::new("ta/#").unwrap(),
            SubscriptionOptions::with_qos(CodecQoS::AtMostOnce),
        )))
        .await;
    assert!(matches!(subscriber.expect().await, Packet::SubAck(_)));
    let mut publisher = v5::Client::connect(&broker, "alias-giver").await;
    for topic in ["ta/a", "ta/a", "ta/b", "ta/a"] {
        publisher
            .publish(topic, QoS::AtLeastOnce, false, b"x")
            .await;
    }
    let mut received = Vec::new();
    for _ in 0..4 {
        match subscriber.expect().await {
            Packet::Publish(publish) => received.push((
                publish.topic.as_str().to_owned(),
                publish.properties.topic_alias.map(|alias| alias.get()),
            )),
            other => panic!("expected PUBLISH, got {other:?}"),
        }
    }
    assert_eq!(
        received,
        [
            ("ta/a".to_owned(), Some(1)),
            (String::new(), Some(1)),
            ("ta/b".to_owned(), None),
            (String::new(), Some(1)),
        ]
    );
    broker.stop().await;
}
