//! Retained messages: store, replace, clear, limits, Retain Handling and Retain As Published.

use hermod_codec::{Packet, QoS, RetainHandling, SubscriptionOptions};

use super::harness::*;
use crate::BrokerConfig;

fn options(handling: RetainHandling) -> SubscriptionOptions {
    SubscriptionOptions {
        retain_handling: handling,
        ..SubscriptionOptions::with_qos(QoS::AtLeastOnce)
    }
}

#[test]
fn retained_message_is_stored_replaced_and_cleared() {
    for version in [V3, V5] {
        let world = World::new();
        let mut publisher = world.client(version, "pub");
        publisher.send(retained("r/1", b"first")).unwrap();
        publisher.send(retained("r/1", b"second")).unwrap();
        publisher.send(retained("r/2", b"other")).unwrap();
        assert_eq!(world.broker.retained_count(), 2);

        let mut sub = world.client(version, "sub");
        sub.subscribe("r/1", QoS::AtLeastOnce);
        let got = sub.publishes();
        assert_eq!(
            payloads(&got),
            ["second"],
            "{version}: MQTT-3.3.1-5: replaced"
        );
        assert!(got[0].retain, "MQTT-3.3.1-9: sent on subscribe with RETAIN");

        // MQTT-3.3.1-6/-7: an empty retained payload clears, and is still forwarded.
        publisher.send(retained("r/1", b"")).unwrap();
        assert_eq!(world.broker.retained_count(), 1);
        let forwarded = sub.publishes();
        assert_eq!(forwarded.len(), 1);
        assert!(forwarded[0].payload.is_empty());
        let mut late = world.client(version, "late");
        late.subscribe("r/#", QoS::AtMostOnce);
        assert_eq!(payloads(&late.publishes()), ["other"]);
    }
}

#[test]
fn retained_count_and_payload_limits() {
    let world = World::with_config(BrokerConfig {
        max_retained_messages: 2,
        max_retained_payload: 4,
        ..BrokerConfig::default()
    });
    let mut publisher = world.client(V5, "pub");
    publisher.send(retained("big", b"too long")).unwrap();
    assert_eq!(
        world.broker.retained_count(),
        0,
        "a payload over the limit is not kept"
    );
    publisher.send(retained("a", b"1")).unwrap();
    publisher.send(retained("b", b"2")).unwrap();
    publisher.send(retained("c", b"3")).unwrap();
    assert_eq!(
        world.broker.retained_count(),
        2,
        "a new topic beyond the limit is not kept"
    );
    publisher.send(retained("a", b"11")).unwrap();
    assert_eq!(world.broker.retained_count(), 2);

    let mut sub = world.client(V5, "sub");
    sub.subscribe("#", QoS::AtMostOnce);
    let mut got = payloads(&sub.publishes());
    got.sort();
    assert_eq!(got, ["11", "2"], "replacing works at the limit");
}

#[test]
fn retain_handling_0_sends_on_every_subscribe() {
    let world = World::new();
    let mut publisher = world.client(V5, "pub");
    publisher.send(retained("r", b"v")).unwrap();
    let mut sub = world.client(V5, "sub");
    sub.subscribe_with("r", options(RetainHandling::SendOnSubscribe), None);
    assert_eq!(payloads(&sub.publishes()), ["v"]);
    sub.subscribe_with("r", options(RetainHandling::SendOnSubscribe), None);
    assert_eq!(payloads(&sub.publishes()), ["v"], "again on resubscribe");
}

#[test]
fn retain_handling_1_sends_only_for_a_new_subscription() {
    let world = World::new();
    let mut publisher = world.client(V5, "pub");
    publisher.send(retained("r", b"v")).unwrap();
    let mut sub = world.client(V5, "sub");
    sub.subscribe_with("r", options(RetainHandling::SendIfNewSubscription), None);
    assert_eq!(payloads(&sub.publishes()), ["v"]);
    sub.subscribe_with("r", options(RetainHandling::SendIfNewSubscription), None);
    assert!(
        sub.publishes().is_empty(),
        "MQTT-3.3.1-10: not for an existing one"
    );
}

#[test]
fn retain_handling_2_never_sends() {
    let world = World::new();
    let mut publisher = world.client(V5, "pub");
    publisher.send(retained("r", b"v")).unwrap();
    let mut sub = world.client(V5, "sub");
    sub.subscribe_with("r", options(RetainHandling::DoNotSend), None);
    assert!(sub.publishes().is_empty(), "MQTT-3.3.1-11");
}

#[test]
fn retain_as_published_keeps_the_flag_on_forwarded_messages() {
    let world = World::new();
    let mut keeps = world.client(V5, "keeps");
    keeps.subscribe_with(
        "r",
        SubscriptionOptions {
            retain_as_published: true,
            ..options(RetainHandling::DoNotSend)
        },
        None,
    );
    let mut clears = world.client(V5, "clears");
    clears.subscribe_with("r", options(RetainHandling::DoNotSend), None);
    let mut v3 = world.client(V3, "v3");
    v3.subscribe("r", QoS::AtMostOnce);

    let mut publisher = world.client(V5, "pub");
    publisher.send(retained("r", b"v")).unwrap();
    assert!(keeps.publishes()[0].retain, "MQTT-3.3.1-13");
    assert!(!clears.publishes()[0].retain, "MQTT-3.3.1-12");
    assert!(!v3.publishes()[0].retain, "3.1.1: MQTT-3.3.1-9");
}

#[test]
fn retained_message_expires() {
    let world = World::new();
    let mut publisher = world.client(V5, "pub");
    let Packet::Publish(mut message) = retained("r", b"v") else {
        unreachable!()
    };
    message.properties.message_expiry_interval = Some(10);
    publisher.send(Packet::Publish(message)).unwrap();

    world.clock.advance(secs(4));
    let mut early = world.client(V5, "early");
    early.subscribe("r", QoS::AtMostOnce);
    let got = early.publishes();
    assert_eq!(got[0].properties.message_expiry_interval, Some(6));

    world.clock.advance(secs(6));
    let mut late = world.client(V5, "late");
    late.subscribe("r", QoS::AtMostOnce);
    assert!(
        late.publishes().is_empty(),
        "expired retained message not sent"
    );
}

#[test]
fn shared_subscriptions_get_no_retained_messages() {
    let world = World::new();
    let mut publisher = world.client(V5, "pub");
    publisher.send(retained("r", b"v")).unwrap();
    let mut sub = world.client(V5, "sub");
    sub.subscribe("$share/g/r", QoS::AtMostOnce);
    assert!(
        sub.publishes().is_empty(),
        "MQTT-3.8.4 (shared): no retained"
    );
}
