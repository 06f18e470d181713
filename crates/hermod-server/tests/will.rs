//! Wills against a real broker: published when a connection ends without DISCONNECT, not
//! after a normal DISCONNECT, on MQTT 5 DISCONNECT 0x04, and after the Will Delay Interval
//! unless the client reconnects first.
//!
//! Absence is checked with a barrier after the broker is known to be done with the connection
//! (it closed it, or its timers show the outcome): a later message the watcher also receives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::codec_client::{CodecClient, connect_packet, disconnect_packet, will};
use common::{TestBroker, v3, v5, wait_until};
use hermod_codec::{ProtocolVersion, ReasonCode};
use rumqttc::QoS;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use rumqttc::v5::mqttbytes::v5::{LastWill as LastWill5, LastWillProperties};

/// A watcher subscribed to `wills/#` and `barrier`.
async fn watcher(broker: &TestBroker) -> v3::Client {
    let mut watcher = v3::Client::connect(broker, "watcher").await;
    watcher.subscribe("wills/#", QoS::AtLeastOnce).await;
    watcher.subscribe("barrier", QoS::AtLeastOnce).await;
    watcher
}

/// Publishes the barrier message from a fresh client.
async fn publish_barrier(broker: &TestBroker) {
    let mut publisher = v3::Client::connect(broker, "barrier-pub").await;
    publisher
        .publish("barrier", QoS::AtLeastOnce, false, b"")
        .await;
}

/// v3 options for a client with a will on `wills/{client_id}`.
fn options_with_will(broker: &TestBroker, client_id: &str) -> rumqttc::MqttOptions {
    let mut options = v3::options(broker, client_id);
    options.set_last_will(rumqttc::LastWill::new(
        format!("wills/{client_id}"),
        "gone",
        QoS::AtLeastOnce,
        false,
    ));
    options
}

/// MQTT-3.1.2-8 (5.0; 3.1.1: MQTT-3.1.2-8): a network connection closed without DISCONNECT
/// publishes the will.
#[tokio::test]
async fn will_is_published_when_the_connection_drops_without_disconnect() {
    let broker = TestBroker::start().await;
    let mut watcher = watcher(&broker).await;
    let (client, _) = v3::Client::connect_with(options_with_will(&broker, "dropper")).await;
    client.drop_connection();
    let publish = watcher.next_publish().await;
    assert_eq!(
        (publish.topic.as_str(), &publish.payload[..], publish.qos),
        ("wills/dropper", &b"gone"[..], QoS::AtLeastOnce)
    );
    broker.stop().await;
}

/// MQTT-3.1.2-10 (3.1.1) / MQTT-3.14.4-3 (5.0): after a normal DISCONNECT the will is
/// discarded, not published.
#[tokio::test]
async fn will_is_not_published_after_a_normal_disconnect() {
    let broker = TestBroker::start().await;
    let mut watcher = watcher(&broker).await;
    let (client, _) = v3::Client::connect_with(options_with_will(&broker, "polite")).await;
    // Returns once the broker closed the connection, i.e. has handled the DISCONNECT.
    client.disconnect().await;
    publish_barrier(&broker).await;
    assert_eq!(watcher.next_message().await.0, "barrier");
    broker.stop().await;
}

/// MQTT 5.0 section 3.14.2.1: DISCONNECT with reason 0x04 (Disconnect with Will Message)
/// closes normally but asks for the will to be published.
#[tokio::test]
async fn v5_disconnect_with_will_message_publishes_the_will() {
    let broker = TestBroker::start().await;
    let mut watcher = watcher(&broker).await;
    let mut connect = connect_packet(ProtocolVersion::V5, "asks-for-will", 30);
    connect.will = Some(will("wills/asks-for-will", b"as requested"));
    let (mut client, connack) = CodecClient::connect(&broker, connect).await;
    assert!(connack.reason.is_success());
    client
        .send(&disconnect_packet(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE))
        .await;
    assert!(client.expect_closed().await.is_empty());
    assert_eq!(
        watcher.next_message().await,
        ("wills/asks-for-will".to_owned(), "as requested".to_owned())
    );
    broker.stop().await;
}

/// v5 options for a persistent session (expiry 60 s) with a will delayed by `delay` seconds.
fn options_with_delayed_will(
    broker: &TestBroker,
    client_id: &str,
    delay: u32,
) -> rumqttc::v5::MqttOptions {
    let mut options = v5::persistent_options(broker, client_id, 60);
    options.set_last_will(LastWill5::new(
        format!("wills/{client_id}"),
        "late",
        QoS5::AtLeastOnce,
        false,
        Some(LastWillProperties {
            delay_interval: Some(delay),
            payload_format_indicator: None,
            message_expiry_interval: None,
            content_type: None,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }),
    ));
    options
}

/// MQTT-3.1.2-8 (5.0): a will with a Will Delay Interval is published once the delay has
/// passed without a reconnection.
#[tokio::test]
async fn v5_delayed_will_is_published_when_the_client_stays_away() {
    let broker = TestBroker::start().await;
    let mut watcher = watcher(&broker).await;
    let (client, _) = v5::Client::connect_with(options_with_delayed_will(&broker, "away", 1)).await;
    client.drop_connection();
    // Published by the broker's timer about a second later (WAIT bounds it).
    assert_eq!(
        watcher.next_message().await,
        ("wills/away".to_owned(), "late".to_owned())
    );
    broker.stop().await;
}

/// MQTT-3.1.3-9 (5.0): a reconnection to the session before the Will Delay Interval has
/// passed cancels the will.
#[tokio::test]
async fn v5_will_delay_is_cancelled_by_a_reconnection_in_time() {
    let broker = TestBroker::start().await;
    let mut watcher = watcher(&broker).await;
    let options = options_with_delayed_will(&broker, "back-soon", 2);
    let (client, _) = v5::Client::connect_with(options.clone()).await;
    client.drop_connection();
    // The broker has noticed the drop once it armed the session's timers (delayed will and
    // session expiry).
    wait_until("the delayed will to be armed", || {
        broker.broker.poll_timeout().is_some()
    })
    .await;

    let (_client, connack) = v5::Client::connect_with(options).await;
    assert!(connack.session_present);
    assert_eq!(
        broker.broker.poll_timeout(),
        None,
        "the reconnection cancelled the delayed will (and the session expiry)"
    );
    publish_barrier(&broker).await;
    assert_eq!(watcher.next_message().await.0, "barrier");
    broker.stop().await;
}

/// MQTT 5.0 section 3.1.3.2.4: a will's Message Expiry Interval is its lifetime from when it
/// is published (sent as the Publication Expiry Interval), not from CONNECT: a client
/// connected for longer than the interval still leaves its will behind.
#[tokio::test]
async fn v5_will_message_expiry_counts_from_publication_not_from_connect() {
    let broker = TestBroker::start().await;
    let mut watcher = v5::Client::connect(&broker, "will-watcher").await;
    watcher.subscribe("wills/#", QoS5::AtLeastOnce).await;
    let mut options = v5::options(&broker, "long-lived");
    options.set_last_will(LastWill5::new(
        "wills/long-lived",
        "bye",
        QoS5::AtLeastOnce,
        false,
        Some(LastWillProperties {
            delay_interval: None,
            payload_format_indicator: None,
            message_expiry_interval: Some(1),
            content_type: None,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }),
    ));
    let (client, _) = v5::Client::connect_with(options).await;
    // Stay connected for longer than the will's expiry interval (elapsed time is the point,
    // not a synchronisation).
    let connected = Instant::now();
    tokio::time::sleep_until((connected + Duration::from_millis(1100)).into()).await;
    client.drop_connection();
    let publish = watcher.next_publish().await;
    assert_eq!(&publish.topic[..], b"wills/long-lived");
    let expiry = v5::properties(&publish).message_expiry_interval;
    assert!(
        matches!(expiry, Some(0..=1)),
        "Publication Expiry Interval {expiry:?}"
    );
    broker.stop().await;
}

/// MQTT-3.1.2-17 (3.1.1; 5.0: MQTT-3.1.2-15): a will with Will Retain 1 is published as a
/// retained message: later subscribers get it too.
#[tokio::test]
async fn will_with_retain_is_published_as_a_retained_message() {
    let broker = TestBroker::start().await;
    let mut watcher = watcher(&broker).await;
    let mut options = v3::options(&broker, "status-owner");
    options.set_last_will(rumqttc::LastWill::new(
        "wills/status-owner",
        "offline",
        QoS::AtLeastOnce,
        true,
    ));
    let (client, _) = v3::Client::connect_with(options).await;
    client.drop_connection();
    assert_eq!(watcher.next_message().await.1, "offline");

    let mut late = v3::Client::connect(&broker, "late-comer").await;
    late.subscribe("wills/#", QoS::AtLeastOnce).await;
    let publish = late.next_publish().await;
    assert_eq!(
        (&publish.payload[..], publish.retain),
        (&b"offline"[..], true)
    );
    broker.stop().await;
}
