//! Retained messages against a real broker: stored, replaced, cleared by an empty payload,
//! delivered on subscribe with RETAIN set; forwarded live without it; MQTT 5 Retain Handling
//! and Retain As Published.
//!
//! Absence is checked with a barrier: a later live message on a topic the subscriber also
//! matches; retained messages for a subscription are queued before the SUBACK is even read,
//! so a barrier arriving first proves none was sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestBroker, v3, v5};
use rumqttc::QoS;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use rumqttc::v5::mqttbytes::v5::{Filter, RetainForwardRule};

/// MQTT-3.3.1-5 / MQTT-3.3.1-9 (5.0; 3.1.1: MQTT-3.3.1-5/-8): a retained message is stored
/// and sent to a later subscriber with RETAIN set, at the lower of its QoS and the granted one.
#[tokio::test]
async fn retained_message_is_delivered_on_subscribe_with_the_retain_flag() {
    let broker = TestBroker::start().await;
    let mut publisher = v3::Client::connect(&broker, "r-pub").await;
    publisher
        .publish("r/stored", QoS::AtLeastOnce, true, b"kept")
        .await;
    assert_eq!(broker.broker.retained_count(), 1);

    let mut subscriber = v3::Client::connect(&broker, "r-sub").await;
    subscriber.subscribe("r/#", QoS::ExactlyOnce).await;
    let publish = subscriber.next_publish().await;
    assert_eq!(
        (publish.topic.as_str(), &publish.payload[..]),
        ("r/stored", &b"kept"[..])
    );
    assert!(publish.retain, "retained delivery carries RETAIN");
    assert_eq!(publish.qos, QoS::AtLeastOnce);
    broker.stop().await;
}

/// MQTT-3.3.1-5 (5.0; 3.1.1: MQTT-3.3.1-5): a new retained message replaces the one stored
/// for its topic.
#[tokio::test]
async fn retained_message_is_replaced_by_the_next_one() {
    let broker = TestBroker::start().await;
    let mut publisher = v3::Client::connect(&broker, "r-pub").await;
    publisher
        .publish("r/t", QoS::AtLeastOnce, true, b"old")
        .await;
    publisher
        .publish("r/t", QoS::AtLeastOnce, true, b"new")
        .await;
    assert_eq!(broker.broker.retained_count(), 1);

    let mut subscriber = v3::Client::connect(&broker, "r-sub").await;
    subscriber.subscribe("r/#", QoS::AtLeastOnce).await;
    publisher
        .publish("r/barrier", QoS::AtMostOnce, false, b"")
        .await;
    assert_eq!(
        subscriber.next_message().await,
        ("r/t".to_owned(), "new".to_owned())
    );
    assert_eq!(subscriber.next_message().await.0, "r/barrier");
    broker.stop().await;
}

/// MQTT-3.3.1-6/-7 (5.0; 3.1.1: MQTT-3.3.1-10/-11): a retained message with an empty payload
/// removes the stored one (and is itself not stored); later subscribers get nothing.
#[tokio::test]
async fn empty_retained_payload_clears_the_retained_message() {
    let broker = TestBroker::start().await;
    let mut publisher = v3::Client::connect(&broker, "r-pub").await;
    publisher
        .publish("r/cleared", QoS::AtLeastOnce, true, b"soon gone")
        .await;
    publisher
        .publish("r/cleared", QoS::AtLeastOnce, true, b"")
        .await;
    assert_eq!(broker.broker.retained_count(), 0);

    let mut subscriber = v3::Client::connect(&broker, "r-sub").await;
    subscriber.subscribe("r/#", QoS::AtLeastOnce).await;
    publisher
        .publish("r/barrier", QoS::AtMostOnce, false, b"")
        .await;
    assert_eq!(subscriber.next_message().await.0, "r/barrier");
    broker.stop().await;
}

/// MQTT-3.3.1-12 (5.0, Retain As Published 0; 3.1.1: MQTT-3.3.1-9): a retained message
/// published while a subscription exists is forwarded to it with RETAIN cleared.
#[tokio::test]
async fn live_retained_message_is_forwarded_without_the_retain_flag() {
    let broker = TestBroker::start().await;
    let mut subscriber = v3::Client::connect(&broker, "r-sub").await;
    subscriber.subscribe("r/live", QoS::AtLeastOnce).await;
    let mut publisher = v3::Client::connect(&broker, "r-pub").await;
    publisher
        .publish("r/live", QoS::AtLeastOnce, true, b"now")
        .await;
    let publish = subscriber.next_publish().await;
    assert_eq!(&publish.payload[..], b"now");
    assert!(!publish.retain);
    assert_eq!(broker.broker.retained_count(), 1, "and it is stored");
    broker.stop().await;
}

/// Subscribes `client` to `filter` with the given Retain Handling (QoS 1).
async fn subscribe_with_rule(client: &mut v5::Client, filter: &str, rule: RetainForwardRule) {
    let mut filter = Filter::new(filter, QoS5::AtLeastOnce);
    filter.retain_forward_rule = rule;
    client.subscribe_with(vec![filter], None).await;
}

/// MQTT-3.3.1-10 (5.0): Retain Handling 1 sends retained messages only when the subscription
/// is new, not when it replaces an existing one.
#[tokio::test]
async fn v5_retain_handling_1_sends_retained_messages_only_for_a_new_subscription() {
    let broker = TestBroker::start().await;
    let mut publisher = v5::Client::connect(&broker, "rh-pub").await;
    publisher
        .publish("rh/t", QoS5::AtLeastOnce, true, b"retained")
        .await;

    let mut subscriber = v5::Client::connect(&broker, "rh-sub").await;
    subscribe_with_rule(&mut subscriber, "rh/#", RetainForwardRule::OnNewSubscribe).await;
    let publish = subscriber.next_publish().await;
    assert_eq!(
        (&publish.payload[..], publish.retain),
        (&b"retained"[..], true)
    );

    subscribe_with_rule(&mut subscriber, "rh/#", RetainForwardRule::OnNewSubscribe).await;
    publisher
        .publish("rh/barrier", QoS5::AtMostOnce, false, b"")
        .await;
    assert_eq!(subscriber.next_message().await.0, "rh/barrier");

    // After UNSUBSCRIBE the same filter is a new subscription again.
    subscriber.unsubscribe("rh/#").await;
    subscribe_with_rule(&mut subscriber, "rh/#", RetainForwardRule::OnNewSubscribe).await;
    let publish = subscriber.next_publish().await;
    assert_eq!(
        (&publish.payload[..], publish.retain),
        (&b"retained"[..], true)
    );
    broker.stop().await;
}

/// MQTT-3.3.1-11 (5.0): Retain Handling 2 never sends retained messages for the subscription.
#[tokio::test]
async fn v5_retain_handling_2_never_sends_retained_messages() {
    let broker = TestBroker::start().await;
    let mut publisher = v5::Client::connect(&broker, "rh-pub").await;
    publisher
        .publish("rh/t", QoS5::AtLeastOnce, true, b"retained")
        .await;

    let mut subscriber = v5::Client::connect(&broker, "rh-sub").await;
    subscribe_with_rule(&mut subscriber, "rh/#", RetainForwardRule::Never).await;
    publisher
        .publish("rh/barrier", QoS5::AtMostOnce, false, b"")
        .await;
    assert_eq!(subscriber.next_message().await.0, "rh/barrier");

    // Retain Handling 0 on another subscription still gets it.
    subscribe_with_rule(&mut subscriber, "rh/t", RetainForwardRule::OnEverySubscribe).await;
    let publish = subscriber.next_publish().await;
    assert_eq!(
        (&publish.payload[..], publish.retain),
        (&b"retained"[..], true)
    );
    broker.stop().await;
}

/// MQTT-3.3.1-12/-13 (5.0): with Retain As Published the RETAIN flag of a live message is
/// kept as published; without it, it is cleared.
#[tokio::test]
async fn v5_retain_as_published_keeps_the_retain_flag_of_live_messages() {
    let broker = TestBroker::start().await;
    let mut keeper = v5::Client::connect(&broker, "rap-keeper").await;
    let mut filter = Filter::new("rap/#", QoS5::AtLeastOnce);
    filter.preserve_retain = true;
    keeper.subscribe_with(vec![filter], None).await;
    let mut clearer = v5::Client::connect(&broker, "rap-clearer").await;
    clearer.subscribe("rap/#", QoS5::AtLeastOnce).await;

    let mut publisher = v5::Client::connect(&broker, "rap-pub").await;
    publisher
        .publish("rap/t", QoS5::AtLeastOnce, true, b"retained")
        .await;
    publisher
        .publish("rap/t", QoS5::AtLeastOnce, false, b"plain")
        .await;

    let first = keeper.next_publish().await;
    let second = keeper.next_publish().await;
    assert_eq!((&first.payload[..], first.retain), (&b"retained"[..], true));
    assert_eq!((&second.payload[..], second.retain), (&b"plain"[..], false));
    let first = clearer.next_publish().await;
    let second = clearer.next_publish().await;
    assert_eq!(
        (&first.payload[..], first.retain),
        (&b"retained"[..], false)
    );
    assert_eq!((&second.payload[..], second.retain), (&b"plain"[..], false));
    broker.stop().await;
}

/// MQTT-4.7.2-1: retained messages on `$` topics are not sent for filters starting with a
/// wildcard; a filter naming the `$` level gets them.
#[tokio::test]
async fn retained_dollar_topics_are_not_matched_by_leading_wildcards() {
    let broker = TestBroker::start().await;
    let mut publisher = v3::Client::connect(&broker, "r-pub").await;
    publisher
        .publish("$app/state", QoS::AtLeastOnce, true, b"hidden")
        .await;
    publisher
        .publish("app/state", QoS::AtLeastOnce, true, b"visible")
        .await;

    let mut everything = v3::Client::connect(&broker, "r-everything").await;
    everything.subscribe("#", QoS::AtLeastOnce).await;
    everything.subscribe("+/state", QoS::AtLeastOnce).await;
    publisher
        .publish("barrier", QoS::AtMostOnce, false, b"")
        .await;
    // Each SUBSCRIBE gets the retained messages its filter matches: "app/state" twice.
    for _ in 0..2 {
        assert_eq!(everything.next_message().await.0, "app/state");
    }
    assert_eq!(everything.next_message().await.0, "barrier");

    let mut dollar = v3::Client::connect(&broker, "r-dollar").await;
    dollar.subscribe("$app/#", QoS::AtLeastOnce).await;
    assert_eq!(dollar.next_message().await.1, "hidden");
    broker.stop().await;
}
