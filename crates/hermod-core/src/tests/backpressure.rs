//! Backpressure: a connected subscriber's full queue pauses its publishers instead of losing
//! messages, for at most `MAX_PAUSE`, up to twice the queue limit.

use std::num::NonZeroU16;
use std::sync::atomic::Ordering;

use hermod_codec::{Packet, QoS, ReasonCode};

use super::harness::*;
use crate::connection::MAX_PAUSE;
use crate::{BrokerConfig, CloseReason, OverflowPolicy};

/// Four queued messages at most, one in flight.
fn config() -> BrokerConfig {
    BrokerConfig {
        max_queued_messages: 4,
        max_inflight: NonZeroU16::new(1).unwrap(),
        ..BrokerConfig::default()
    }
}

const NUMBERS: [&[u8]; 12] = [
    b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9", b"10", b"11", b"12",
];

/// A connected subscriber on `t` at QoS 1 that does not acknowledge yet.
fn slow_subscriber(world: &World) -> Client {
    let mut sub = world.client(V5, "sub");
    sub.subscribe("t", QoS::AtLeastOnce);
    sub
}

/// Publishes message 1 and lets the subscriber's connection send it: the window (one) is
/// then full and further messages queue.
fn fill_window(publisher: &mut Client, sub: &mut Client) {
    publish_range(publisher, 1, 1);
    assert_eq!(payloads(&sub.publishes()), ["1"]);
}

/// Publishes messages `from..=to` (1-based) at QoS 1, checking each is acknowledged.
fn publish_range(publisher: &mut Client, from: u16, to: u16) {
    for id in from..=to {
        let ack = publisher.publish("t", NUMBERS[usize::from(id - 1)], QoS::AtLeastOnce, id);
        assert!(
            matches!(ack, Some(Packet::PubAck(_))),
            "message {id}: {ack:?}"
        );
    }
}

/// A broker with `config`, a slow subscriber on `t` whose window (one) is full, and a
/// publisher.
fn window_full(config: BrokerConfig) -> (World, Client, Client) {
    let world = World::with_config(config);
    let mut sub = slow_subscriber(&world);
    let mut publisher = world.client(V3, "pub");
    fill_window(&mut publisher, &mut sub);
    (world, sub, publisher)
}

/// Acknowledges everything the subscriber received until nothing more comes; returns the
/// payloads in order.
fn drain(sub: &mut Client) -> Vec<String> {
    let mut all = Vec::new();
    loop {
        let publishes = sub.publishes();
        if publishes.is_empty() {
            return all;
        }
        for publish in &publishes {
            sub.send(puback(publish.packet_id.unwrap())).unwrap();
        }
        all.extend(payloads(&publishes));
    }
}

fn dropped(world: &World) -> u64 {
    world
        .broker
        .stats()
        .messages_dropped
        .load(Ordering::Relaxed)
}

#[test]
fn a_full_queue_pauses_the_publisher_and_loses_nothing() {
    let (world, mut sub, mut publisher) = window_full(config());
    // Four queued: the queue is at its limit, nobody waits yet.
    publish_range(&mut publisher, 2, 5);
    assert!(publisher.read_ready());
    // The sixth goes beyond the limit: kept, and the publisher is paused.
    publish_range(&mut publisher, 6, 6);
    assert!(publisher.connection.is_paused());
    assert!(!publisher.read_ready());
    let wakes = publisher.wakes();
    // The subscriber catches up: the publisher is woken and reads on.
    sub.send(puback(packet_id(1))).unwrap();
    assert_eq!(drain(&mut sub), ["2", "3", "4", "5", "6"]);
    assert!(
        publisher.wakes() > wakes,
        "draining wakes the paused publisher"
    );
    assert!(publisher.read_ready());
    assert!(!publisher.connection.is_paused());
    assert_eq!(dropped(&world), 0);
}

#[test]
fn beyond_twice_the_limit_the_overflow_policy_applies() {
    let (world, mut sub, mut publisher) = window_full(config());
    // Eight queued (twice the limit); the next two are dropped (the newest, not the
    // messages kept by backpressure).
    publish_range(&mut publisher, 2, 11);
    assert_eq!(dropped(&world), 2);
    sub.send(puback(packet_id(1))).unwrap();
    assert_eq!(drain(&mut sub), ["2", "3", "4", "5", "6", "7", "8", "9"]);
}

#[test]
fn a_pause_lasts_at_most_max_pause_then_one_batch_is_read() {
    let (world, _sub, mut publisher) = window_full(config());
    publish_range(&mut publisher, 2, 6);
    assert!(!publisher.read_ready());
    // While paused, the next deadline is the end of the pause, not keep alive.
    let deadline = publisher.connection.poll_timeout().unwrap();
    assert_eq!(deadline, world.clock.now() + MAX_PAUSE);
    world.clock.advance(MAX_PAUSE);
    assert!(publisher.read_ready(), "the pause ran out");
    // That batch is read whole, even into the congested queue (handled here packet by
    // packet without ending the batch, as the driver does)...
    for id in 7..=8u16 {
        let packet = publish("t", NUMBERS[usize::from(id - 1)], QoS::AtLeastOnce, id);
        publisher
            .connection
            .handle_packet(world.clock.now(), packet)
            .unwrap();
        assert!(!publisher.connection.is_paused());
        assert!(publisher.read_ready(), "still the grace batch");
    }
    // ...and once it ends, the connection pauses again.
    publisher.connection.end_read_batch();
    assert!(!publisher.read_ready());
    assert!(publisher.closed().is_none());
}

#[test]
fn a_subscriber_going_offline_releases_its_publishers() {
    let (_world, mut sub, mut publisher) = window_full(config());
    publish_range(&mut publisher, 2, 6);
    assert!(!publisher.read_ready());
    let wakes = publisher.wakes();
    sub.close();
    assert!(publisher.wakes() > wakes);
    assert!(publisher.read_ready());
}

#[test]
fn a_client_is_never_paused_on_its_own_queue() {
    let world = World::with_config(config());
    let mut client = world.client(V5, "echo");
    client.subscribe("t", QoS::AtLeastOnce);
    publish_range(&mut client, 1, 7);
    assert!(!client.connection.is_paused());
    assert!(client.read_ready());
}

#[test]
fn offline_sessions_and_disabled_backpressure_use_the_policy() {
    // Offline: the queue keeps its limit and the publisher is never paused.
    let world = World::with_config(config());
    let (mut sub, _) = world.connect(persistent(V5, "sub", 3600));
    sub.subscribe("t", QoS::AtLeastOnce);
    sub.close();
    let mut publisher = world.client(V3, "pub");
    publish_range(&mut publisher, 1, 6);
    assert!(publisher.read_ready());
    assert_eq!(dropped(&world), 2);
    // Disabled: a connected subscriber's full queue drops the oldest at once.
    let world = World::with_config(BrokerConfig {
        backpressure: false,
        ..config()
    });
    let mut sub = slow_subscriber(&world);
    let mut publisher = world.client(V3, "pub");
    fill_window(&mut publisher, &mut sub);
    publish_range(&mut publisher, 2, 6);
    assert!(publisher.read_ready());
    assert_eq!(dropped(&world), 1);
    sub.send(puback(packet_id(1))).unwrap();
    assert_eq!(drain(&mut sub), ["3", "4", "5", "6"]);
}

#[test]
fn disconnect_policy_applies_at_twice_the_limit_under_backpressure() {
    let world = World::with_config(BrokerConfig {
        overflow_policy: OverflowPolicy::Disconnect,
        ..config()
    });
    let mut sub = slow_subscriber(&world);
    let mut publisher = world.client(V3, "pub");
    fill_window(&mut publisher, &mut sub);
    publish_range(&mut publisher, 2, 9);
    assert!(sub.closed().is_none());
    publish_range(&mut publisher, 10, 10);
    assert_eq!(
        Client::disconnect_reason(&sub.received()),
        Some(ReasonCode::QUOTA_EXCEEDED)
    );
    assert_eq!(sub.closed(), Some(CloseReason::QuotaExceeded));
}

#[test]
fn queued_bytes_pause_publishers_below_the_message_limit() {
    // Each queued message counts its topic and payload: 2 bytes for "t" and "2".."5".
    let world = World::with_config(BrokerConfig {
        max_queued_messages: 100,
        backpressure_bytes: 8,
        ..config()
    });
    let mut sub = slow_subscriber(&world);
    let mut publisher = world.client(V3, "pub");
    fill_window(&mut publisher, &mut sub);
    publish_range(&mut publisher, 2, 4);
    assert!(
        publisher.read_ready(),
        "6 bytes queued: under the threshold"
    );
    publish_range(&mut publisher, 5, 5);
    assert!(!publisher.read_ready(), "8 bytes queued: paused");
    sub.send(puback(packet_id(1))).unwrap();
    assert_eq!(drain(&mut sub), ["2", "3", "4", "5"]);
    assert!(publisher.read_ready());
    assert_eq!(dropped(&world), 0);
}

#[test]
fn queued_deliveries_are_reported_until_drained() {
    // The driver asks before sleeping, so a wake spent while its task was busy elsewhere
    // (writing, yielding) cannot strand queued messages.
    let world = World::with_config(config());
    let mut sub = world.client(V5, "sub");
    sub.subscribe("t", QoS::AtMostOnce);
    assert!(!sub.delivery_pending());
    let mut publisher = world.client(V3, "pub");
    publisher.publish("t", b"1", QoS::AtMostOnce, 0);
    assert!(sub.delivery_pending());
    assert!(sub.delivery_pending(), "still pending until drained");
    assert_eq!(payloads(&sub.publishes()), ["1"]);
    assert!(!sub.delivery_pending());
}
