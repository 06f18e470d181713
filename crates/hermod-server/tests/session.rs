//! Sessions that outlive a connection, driven against a real broker: takeover by a second
//! connection with the same client id, QoS 1/2 messages queued while the client is away,
//! Session Present on resumption, and session expiry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::num::NonZeroU16;

use common::{TestBroker, v3, v5, wait_until};
use hermod_core::BrokerConfig;
use rumqttc::QoS;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use rumqttc::v5::mqttbytes::v5::DisconnectReasonCode;

/// MQTT-3.1.4-3 and MQTT 5.0 reason code 0x8E: a second connection with the same client id
/// closes the first (which is told Session taken over) and, without Clean Start, resumes the
/// session: Session Present is 1 and the subscription still delivers.
#[tokio::test]
async fn v5_second_connection_takes_over_with_0x8e_and_keeps_the_session() {
    let broker = TestBroker::start().await;
    let (mut first, connack) =
        v5::Client::connect_with(v5::persistent_options(&broker, "device", 60)).await;
    assert!(!connack.session_present);
    first.subscribe("takeover/t", QoS5::AtLeastOnce).await;

    let (mut second, connack) =
        v5::Client::connect_with(v5::persistent_options(&broker, "device", 60)).await;
    assert!(connack.session_present, "MQTT-3.2.2-2: the session resumes");
    assert_eq!(
        first.wait_for_disconnect().await,
        DisconnectReasonCode::SessionTakenOver
    );

    let mut publisher = v5::Client::connect(&broker, "publisher").await;
    publisher
        .publish("takeover/t", QoS5::AtLeastOnce, false, b"after takeover")
        .await;
    assert_eq!(
        second.next_message().await,
        ("takeover/t".to_owned(), "after takeover".to_owned())
    );
    assert_eq!(broker.broker.session_count(), 2);
    broker.stop().await;
}

/// MQTT-4.4.0-1 and MQTT-3.1.2-5 (3.1.1): QoS 1 messages the first connection had in flight
/// (unacknowledged) or still queued are not lost when another connection takes the session
/// over: in-flight ones are resent with DUP, then the queue follows, in order.
#[tokio::test]
async fn v311_takeover_keeps_inflight_and_queued_qos1_messages() {
    let broker = TestBroker::start_with(BrokerConfig {
        max_inflight: NonZeroU16::new(2).unwrap(),
        ..BrokerConfig::default()
    })
    .await;
    let mut options = v3::options(&broker, "worker");
    options.set_clean_session(false).set_manual_acks(true);
    let (mut first, _) = v3::Client::connect_with(options).await;
    first.subscribe("jobs", QoS::AtLeastOnce).await;

    let mut publisher = v3::Client::connect(&broker, "dispatcher").await;
    for job in ["1", "2", "3", "4"] {
        publisher
            .publish("jobs", QoS::AtLeastOnce, false, job.as_bytes())
            .await;
    }
    // The first connection receives two (the in-flight window) and acknowledges neither.
    for job in ["1", "2"] {
        let publish = first.next_publish().await;
        assert_eq!(&publish.payload[..], job.as_bytes());
        assert!(!publish.dup);
    }

    let mut options = v3::options(&broker, "worker");
    options.set_clean_session(false);
    let (mut second, connack) = v3::Client::connect_with(options).await;
    assert!(connack.session_present);
    let mut received = Vec::new();
    for _ in 0..4 {
        let publish = second.next_publish().await;
        received.push((
            String::from_utf8_lossy(&publish.payload).into_owned(),
            publish.dup,
        ));
    }
    assert_eq!(
        received,
        [
            ("1".to_owned(), true),
            ("2".to_owned(), true),
            ("3".to_owned(), false),
            ("4".to_owned(), false)
        ]
    );
    first.wait_closed().await;
    broker.stop().await;
}

/// MQTT-3.1.2-4/-5 and MQTT-3.2.2-2 (3.1.1): with Clean Session 0 the broker keeps the
/// subscriptions and queues QoS 1 and QoS 2 messages while the client is away; on reconnect
/// Session Present is 1 and they arrive, in order. QoS 0 messages are not queued (the
/// default `queue_qos0_offline: false`).
#[tokio::test]
async fn v311_persistent_session_queues_qos1_and_qos2_while_offline() {
    let broker = TestBroker::start().await;
    let mut options = v3::options(&broker, "offline-sub");
    options.set_clean_session(false);
    let (mut subscriber, connack) = v3::Client::connect_with(options.clone()).await;
    assert!(!connack.session_present);
    subscriber.subscribe("offline/#", QoS::ExactlyOnce).await;
    subscriber.disconnect().await;

    let mut publisher = v3::Client::connect(&broker, "offline-pub").await;
    publisher
        .publish("offline/q1", QoS::AtLeastOnce, false, b"one")
        .await;
    publisher
        .publish("offline/q0", QoS::AtMostOnce, false, b"zero")
        .await;
    publisher
        .publish("offline/q2", QoS::ExactlyOnce, false, b"two")
        .await;

    let (mut subscriber, connack) = v3::Client::connect_with(options).await;
    assert!(connack.session_present);
    let first = subscriber.next_publish().await;
    assert_eq!(
        (first.topic.as_str(), first.qos),
        ("offline/q1", QoS::AtLeastOnce)
    );
    let second = subscriber.next_publish().await;
    assert_eq!(
        (second.topic.as_str(), second.qos),
        ("offline/q2", QoS::ExactlyOnce)
    );
    publisher
        .publish("offline/barrier", QoS::AtMostOnce, false, b"live")
        .await;
    assert_eq!(subscriber.next_message().await.0, "offline/barrier");
    broker.stop().await;
}

/// MQTT-3.1.2-23 / MQTT-3.2.2-2 (5.0): with a Session Expiry Interval above 0 the session
/// outlives the connection; messages published meanwhile are delivered on reconnect with
/// Session Present 1.
#[tokio::test]
async fn v5_session_with_expiry_queues_messages_until_reconnect() {
    let broker = TestBroker::start().await;
    let options = v5::persistent_options(&broker, "sleeper", 60);
    let (mut subscriber, _) = v5::Client::connect_with(options.clone()).await;
    subscriber.subscribe("sleep/#", QoS5::ExactlyOnce).await;
    subscriber.disconnect().await;

    let mut publisher = v5::Client::connect(&broker, "waker").await;
    publisher
        .publish("sleep/q2", QoS5::ExactlyOnce, false, b"two")
        .await;
    publisher
        .publish("sleep/q1", QoS5::AtLeastOnce, false, b"one")
        .await;

    let (mut subscriber, connack) = v5::Client::connect_with(options).await;
    assert!(connack.session_present);
    let first = subscriber.next_publish().await;
    assert_eq!(
        (&first.topic[..], first.qos),
        (&b"sleep/q2"[..], QoS5::ExactlyOnce)
    );
    let second = subscriber.next_publish().await;
    assert_eq!(
        (&second.topic[..], second.qos),
        (&b"sleep/q1"[..], QoS5::AtLeastOnce)
    );
    broker.stop().await;
}

/// MQTT-3.1.2-23 / section 3.1.2.11.2: once the Session Expiry Interval has passed without a
/// reconnection, the session is gone: the next connection gets Session Present 0.
#[tokio::test]
async fn v5_session_is_discarded_after_its_expiry_interval() {
    let broker = TestBroker::start().await;
    let options = v5::persistent_options(&broker, "mayfly", 1);
    let (subscriber, _) = v5::Client::connect_with(options.clone()).await;
    subscriber.disconnect().await;
    assert_eq!(
        broker.broker.session_count(),
        1,
        "kept after the connection"
    );
    wait_until("the session to expire", || {
        broker.broker.session_count() == 0
    })
    .await;
    let (_subscriber, connack) = v5::Client::connect_with(options).await;
    assert!(!connack.session_present);
    broker.stop().await;
}

/// MQTT-3.1.2-4 (5.0; 3.1.1: MQTT-3.1.2-6): Clean Start discards the previous session:
/// Session Present is 0 and its subscriptions no longer deliver.
#[tokio::test]
async fn clean_start_discards_the_previous_session() {
    let broker = TestBroker::start().await;
    let mut options = v3::options(&broker, "fickle");
    options.set_clean_session(false);
    let (mut client, _) = v3::Client::connect_with(options).await;
    client.subscribe("old/topic", QoS::AtLeastOnce).await;
    client.disconnect().await;

    let (mut client, connack) = v3::Client::connect_with(v3::options(&broker, "fickle")).await;
    assert!(!connack.session_present);
    client.subscribe("barrier", QoS::AtLeastOnce).await;
    client
        .publish("old/topic", QoS::AtLeastOnce, false, b"stale")
        .await;
    client
        .publish("barrier", QoS::AtLeastOnce, false, b"")
        .await;
    assert_eq!(client.next_message().await.0, "barrier");
    broker.stop().await;
}
