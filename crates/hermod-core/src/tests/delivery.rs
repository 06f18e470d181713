//! Routing to subscribers: overlapping subscriptions, No Local, message expiry and the
//! client's Maximum Packet Size.

use hermod_codec::{Packet, QoS, SubscriptionOptions};

use super::harness::*;

#[test]
fn delivery_wakes_the_recipient_once_per_registration() {
    let world = World::new();
    let mut sub = world.client(V5, "sub");
    sub.subscribe("t", QoS::AtMostOnce);
    let mut publisher = world.client(V5, "pub");
    let before = sub.wakes();
    publisher.publish("t", b"1", QoS::AtMostOnce, 0);
    publisher.publish("t", b"2", QoS::AtMostOnce, 0);
    assert_eq!(
        sub.wakes(),
        before + 1,
        "woken when it goes from idle to pending"
    );
    assert_eq!(payloads(&sub.publishes()), ["1", "2"]);
    publisher.publish("t", b"3", QoS::AtMostOnce, 0);
    assert_eq!(sub.wakes(), before + 2, "registered again after polling");
}

#[test]
fn overlapping_subscriptions_give_one_delivery_with_every_identifier() {
    let world = World::new();
    let mut sub = world.client(V5, "sub");
    sub.subscribe_with(
        "a/+",
        SubscriptionOptions::with_qos(QoS::AtMostOnce),
        Some(1),
    );
    sub.subscribe_with(
        "a/#",
        SubscriptionOptions::with_qos(QoS::AtLeastOnce),
        Some(2),
    );
    sub.subscribe_with("a/b", SubscriptionOptions::with_qos(QoS::AtMostOnce), None);
    let mut publisher = world.client(V5, "pub");
    publisher.publish("a/b", b"m", QoS::ExactlyOnce, 1);
    let got = sub.publishes();
    assert_eq!(got.len(), 1, "MQTT-3.3.4-2: one delivery");
    assert_eq!(got[0].qos, QoS::AtLeastOnce, "the highest granted QoS");
    let mut ids: Vec<u32> = got[0]
        .properties
        .subscription_identifiers()
        .iter()
        .map(|id| id.get())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2], "MQTT-3.3.4-3: every identifier");
}

#[test]
fn overlapping_subscriptions_in_v3_give_one_delivery() {
    let world = World::new();
    let mut sub = world.client(V3, "sub");
    sub.subscribe("a/+", QoS::AtMostOnce);
    sub.subscribe("a/#", QoS::AtLeastOnce);
    let mut publisher = world.client(V3, "pub");
    publisher.publish("a/b", b"m", QoS::AtLeastOnce, 1);
    let got = sub.publishes();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].qos, QoS::AtLeastOnce);
}

#[test]
fn no_local_keeps_own_messages_from_coming_back() {
    let world = World::new();
    let mut alice = world.client(V5, "alice");
    let options = SubscriptionOptions {
        no_local: true,
        ..SubscriptionOptions::with_qos(QoS::AtLeastOnce)
    };
    alice.subscribe_with("chat", options, None);
    let mut bob = world.client(V5, "bob");
    bob.subscribe("chat", QoS::AtLeastOnce);

    alice.publish("chat", b"from alice", QoS::AtLeastOnce, 1);
    assert!(alice.publishes().is_empty(), "MQTT-3.8.3-3");
    assert_eq!(payloads(&bob.publishes()), ["from alice"]);

    bob.publish("chat", b"from bob", QoS::AtLeastOnce, 1);
    assert_eq!(payloads(&alice.publishes()), ["from bob"]);
    assert_eq!(
        payloads(&bob.publishes()),
        ["from bob"],
        "bob did not ask for No Local"
    );
}

#[test]
fn queued_message_expires_while_the_subscriber_is_offline() {
    let world = World::new();
    let mut request = persistent(V5, "sub", 3600);
    request.keep_alive = 0;
    let (mut sub, _) = world.connect(request.clone());
    sub.subscribe("t", QoS::AtLeastOnce);
    sub.close();

    let mut publisher = world.client(V5, "pub");
    let Packet::Publish(mut short) = publish("t", b"short", QoS::AtLeastOnce, 1) else {
        unreachable!()
    };
    short.properties.message_expiry_interval = Some(30);
    publisher.send(Packet::Publish(short)).unwrap();
    let Packet::Publish(mut long) = publish("t", b"long", QoS::AtLeastOnce, 2) else {
        unreachable!()
    };
    long.properties.message_expiry_interval = Some(100);
    publisher.send(Packet::Publish(long)).unwrap();
    publisher.publish("t", b"forever", QoS::AtLeastOnce, 3);

    world.advance(secs(40));
    let (mut sub, _) = world.connect(request);
    let got = sub.publishes();
    // MQTT-3.3.2-5: the expired one is not delivered; MQTT-3.3.2-6: the remaining interval.
    assert_eq!(payloads(&got), ["long", "forever"]);
    assert_eq!(got[0].properties.message_expiry_interval, Some(60));
    assert_eq!(got[1].properties.message_expiry_interval, None);
}

#[test]
fn online_delivery_carries_the_full_expiry_interval() {
    let world = World::new();
    let mut sub = world.client(V5, "sub");
    sub.subscribe("t", QoS::AtMostOnce);
    let mut publisher = world.client(V5, "pub");
    let Packet::Publish(mut message) = publish("t", b"m", QoS::AtMostOnce, 0) else {
        unreachable!()
    };
    message.properties.message_expiry_interval = Some(30);
    publisher.send(Packet::Publish(message)).unwrap();
    let got = sub.publishes();
    assert_eq!(got[0].properties.message_expiry_interval, Some(30));
}

#[test]
fn message_over_the_clients_maximum_packet_size_is_dropped_for_that_client_only() {
    let world = World::new();
    let (mut small, _) = world.connect(with_max_packet_size(connect(V5, "small"), 64));
    small.subscribe("t", QoS::AtLeastOnce);
    let mut large = world.client(V5, "large");
    large.subscribe("t", QoS::AtLeastOnce);
    let mut publisher = world.client(V5, "pub");

    const BIG: &[u8] = &[b'x'; 200];
    publisher.publish("t", BIG, QoS::AtLeastOnce, 1);
    assert!(small.publishes().is_empty(), "MQTT-3.1.2-25");
    assert_eq!(large.publishes().len(), 1);

    // The dropped message does not hold an in-flight slot: later ones still arrive.
    for id in 2..=4 {
        publisher.publish("t", b"ok", QoS::AtLeastOnce, id);
    }
    let got = small.publishes();
    assert_eq!(payloads(&got), ["ok", "ok", "ok"]);
    assert!(small.closed().is_none());
    assert_eq!(
        world
            .broker
            .stats()
            .messages_too_large
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[test]
fn publish_to_sys_topics_is_refused() {
    let world = World::new();
    let mut sub = world.client(V5, "sub");
    sub.subscribe("$SYS/#", QoS::AtMostOnce);
    let mut publisher = world.client(V5, "pub");
    let Some(Packet::PubAck(ack)) = publisher.publish("$SYS/x", b"m", QoS::AtLeastOnce, 1) else {
        panic!("a PUBACK");
    };
    assert_eq!(ack.reason, hermod_codec::ReasonCode::NOT_AUTHORIZED);
    assert!(sub.publishes().is_empty());
}

#[test]
fn wildcards_do_not_match_dollar_topics() {
    let world = World::new();
    let mut sub = world.client(V5, "sub");
    sub.subscribe("#", QoS::AtMostOnce);
    world.broker.publish(
        world.clock.now(),
        std::sync::Arc::new(crate::Message {
            topic: topic_name("$SYS/uptime"),
            payload: bytes::Bytes::from_static(b"1"),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: Default::default(),
            publisher: None,
            publisher_client_id: Default::default(),
            expires_at: None,
            encoded: Default::default(),
        }),
    );
    assert!(sub.publishes().is_empty(), "MQTT-4.7.2-1");
}

/// Recipients that need the same wire form share one encoding of the message; each copy
/// carries its own packet identifier and DUP bit.
#[test]
fn shared_encoding_carries_each_recipients_packet_id_and_dup() {
    let world = World::new();
    let mut busy = world.client(V3, "busy");
    let (mut fresh, _) = world.connect(persistent(V3, "fresh", 3600));
    busy.subscribe("fan/#", QoS::AtLeastOnce);
    fresh.subscribe("fan/#", QoS::AtLeastOnce);
    let mut publisher = world.client(V3, "pub");
    // `busy` gets one message first, so its next packet identifier differs from `fresh`'s.
    busy.subscribe("warmup", QoS::AtLeastOnce);
    publisher
        .send(publish("warmup", b"0", QoS::AtLeastOnce, 1))
        .unwrap();
    assert_eq!(busy.publishes().len(), 1);

    publisher
        .send(publish("fan/out", b"shared", QoS::AtLeastOnce, 2))
        .unwrap();
    let to_busy = busy.publishes();
    let to_fresh = fresh.publishes();
    assert_eq!(payloads(&to_busy), ["shared"]);
    assert_eq!(payloads(&to_fresh), ["shared"]);
    assert_eq!(to_busy[0].packet_id, Some(packet_id(2)));
    assert_eq!(to_fresh[0].packet_id, Some(packet_id(1)));
    assert!(!to_busy[0].dup && !to_fresh[0].dup);

    // A resend after reconnecting sets DUP on the shared bytes (MQTT-3.3.1-1).
    fresh.close();
    let (mut again, connack) = world.try_connect(persistent(V3, "fresh", 3600));
    assert!(connack.reason.is_success());
    let resent = again.publishes();
    assert_eq!(payloads(&resent), ["shared"]);
    assert!(resent[0].dup, "resent with DUP");
    assert_eq!(resent[0].packet_id, Some(packet_id(1)));
}
