//! Session queue limits: the overflow policies and the broker-wide byte budget.

use std::num::NonZeroU16;

use hermod_codec::{QoS, ReasonCode};

use super::harness::*;
use crate::{BrokerConfig, CloseReason, OverflowPolicy};

fn config(policy: OverflowPolicy) -> BrokerConfig {
    BrokerConfig {
        max_queued_messages: 3,
        overflow_policy: policy,
        ..BrokerConfig::default()
    }
}

fn offline_subscriber(world: &World, client_id: &str) {
    let (mut sub, _) = world.connect(persistent(V5, client_id, 3600));
    sub.subscribe("t", QoS::AtLeastOnce);
    sub.close();
}

fn reconnect(world: &World, client_id: &str) -> Client {
    world.connect(persistent(V5, client_id, 3600)).0
}

fn publish_numbered(world: &World, count: u16) {
    let mut publisher = world.client(V3, "pub");
    const NUMBERS: [&[u8]; 6] = [b"1", b"2", b"3", b"4", b"5", b"6"];
    for id in 1..=count {
        publisher.publish("t", NUMBERS[usize::from(id - 1)], QoS::AtLeastOnce, id);
    }
}

#[test]
fn drop_oldest_keeps_the_newest_messages() {
    let world = World::with_config(config(OverflowPolicy::DropOldest));
    offline_subscriber(&world, "sub");
    publish_numbered(&world, 5);
    let mut sub = reconnect(&world, "sub");
    assert_eq!(payloads(&sub.publishes()), ["3", "4", "5"]);
    assert_eq!(
        world
            .broker
            .stats()
            .messages_dropped
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[test]
fn drop_newest_keeps_the_oldest_messages() {
    let world = World::with_config(config(OverflowPolicy::DropNewest));
    offline_subscriber(&world, "sub");
    publish_numbered(&world, 5);
    let mut sub = reconnect(&world, "sub");
    assert_eq!(payloads(&sub.publishes()), ["1", "2", "3"]);
}

#[test]
fn disconnect_policy_closes_a_connected_client_with_0x97() {
    let world = World::with_config(BrokerConfig {
        max_inflight: NonZeroU16::new(1).unwrap(),
        backpressure: false,
        ..config(OverflowPolicy::Disconnect)
    });
    let mut sub = world.client(V5, "sub");
    sub.subscribe("t", QoS::AtLeastOnce);
    let mut publisher = world.client(V3, "pub");
    publisher.publish("t", b"1", QoS::AtLeastOnce, 1);
    // The first fills the window (never acknowledged); three more fill the queue.
    assert_eq!(payloads(&sub.publishes()), ["1"]);
    for id in 2..=4 {
        publisher.publish("t", b"q", QoS::AtLeastOnce, id);
    }
    assert!(sub.publishes().is_empty());
    assert!(sub.closed().is_none());
    let wakes = sub.wakes();
    publisher.publish("t", b"over", QoS::AtLeastOnce, 5);
    assert!(sub.wakes() > wakes, "the overflow wakes the connection");
    assert_eq!(
        Client::disconnect_reason(&sub.received()),
        Some(ReasonCode::QUOTA_EXCEEDED)
    );
    assert_eq!(sub.closed(), Some(CloseReason::QuotaExceeded));
}

#[test]
fn disconnect_policy_does_not_punish_a_reconnection_for_overflow_while_offline() {
    let world = World::with_config(config(OverflowPolicy::Disconnect));
    offline_subscriber(&world, "sub");
    publish_numbered(&world, 5);
    let mut sub = reconnect(&world, "sub");
    let packets = sub.received();
    assert_eq!(Client::disconnect_reason(&packets), None, "{packets:?}");
    assert!(sub.closed().is_none());
    assert_eq!(packets.len(), 3, "the queued messages, no more");
}

#[test]
fn per_session_byte_limit() {
    let world = World::with_config(BrokerConfig {
        // Each message counts payload + topic: 1 + 1 bytes.
        max_queued_bytes: 5,
        overflow_policy: OverflowPolicy::DropNewest,
        ..BrokerConfig::default()
    });
    offline_subscriber(&world, "sub");
    publish_numbered(&world, 4);
    assert_eq!(world.broker.queued_bytes(), 4);
    let mut sub = reconnect(&world, "sub");
    assert_eq!(payloads(&sub.publishes()), ["1", "2"]);
    assert_eq!(world.broker.queued_bytes(), 0);
}

#[test]
fn broker_wide_byte_budget_is_a_hard_cap() {
    let world = World::with_config(BrokerConfig {
        max_queued_bytes_total: 5,
        ..BrokerConfig::default()
    });
    offline_subscriber(&world, "a");
    offline_subscriber(&world, "b");
    offline_subscriber(&world, "c");
    // 2 bytes per message per session: message 1 fits for a and b (4 bytes); c would go over
    // the budget, and so would every later message.
    publish_numbered(&world, 3);
    assert_eq!(world.broker.queued_bytes(), 4);
    for (client_id, expected) in [("a", vec!["1"]), ("b", vec!["1"]), ("c", vec![])] {
        let mut sub = reconnect(&world, client_id);
        assert_eq!(payloads(&sub.publishes()), expected, "{client_id}");
    }
    assert_eq!(
        world.broker.queued_bytes(),
        0,
        "the budget is released on delivery"
    );
}

#[test]
fn qos0_is_not_queued_for_offline_sessions_by_default() {
    let world = World::new();
    offline_subscriber(&world, "sub");
    let mut publisher = world.client(V3, "pub");
    publisher.publish("t", b"q0", QoS::AtMostOnce, 0);
    publisher.publish("t", b"q1", QoS::AtLeastOnce, 1);
    let mut sub = reconnect(&world, "sub");
    assert_eq!(payloads(&sub.publishes()), ["q1"]);
}

#[test]
fn qos0_is_queued_offline_when_configured() {
    let world = World::with_config(BrokerConfig {
        queue_qos0_offline: true,
        ..BrokerConfig::default()
    });
    offline_subscriber(&world, "sub");
    let mut publisher = world.client(V3, "pub");
    publisher.publish("t", b"q0", QoS::AtMostOnce, 0);
    let mut sub = reconnect(&world, "sub");
    assert_eq!(payloads(&sub.publishes()), ["q0"]);
}
