//! Session takeover, clean start and session expiry.

use hermod_codec::{Packet, QoS, ReasonCode};

use super::harness::*;
use crate::{BrokerConfig, CloseReason};

/// A publisher that never times out.
fn publisher(world: &World) -> Client {
    let mut connect = connect(V3, "publisher");
    connect.keep_alive = 0;
    world.connect(connect).0
}

/// A persistent subscriber on `t` (QoS 1) that never times out.
fn persistent_subscriber(
    world: &World,
    version: hermod_codec::ProtocolVersion,
    expiry: u32,
) -> Client {
    let mut request = persistent(version, "dev", expiry);
    request.keep_alive = 0;
    let (mut client, _) = world.connect(request);
    assert_eq!(
        client.subscribe("t", QoS::AtLeastOnce),
        [ReasonCode::GRANTED_QOS_1]
    );
    client
}

fn reconnect(world: &World, version: hermod_codec::ProtocolVersion, expiry: u32) -> (Client, bool) {
    let mut request = persistent(version, "dev", expiry);
    request.keep_alive = 0;
    let (client, connack) = world.connect(request);
    (client, connack.session_present)
}

#[test]
fn takeover_closes_the_old_connection_and_resends_in_flight_with_dup() {
    for version in [V3, V5] {
        let world = World::new();
        let mut publisher = publisher(&world);
        let mut old = persistent_subscriber(&world, version, 300);
        publisher.publish("t", b"m1", QoS::AtLeastOnce, 1);
        let first = old.publishes();
        assert_eq!(payloads(&first), ["m1"]);
        assert!(!first[0].dup);
        let packet_id = first[0].packet_id.expect("QoS 1");
        let wakes_before = old.wakes();

        let (mut new, session_present) = reconnect(&world, version, 300);
        assert!(session_present, "{version}: the session is kept");
        assert!(old.wakes() > wakes_before, "the old connection is woken");

        // MQTT-4.4.0-1: the unacknowledged message is resent with DUP, same identifier.
        let resent = new.publishes();
        assert_eq!(payloads(&resent), ["m1"]);
        assert!(resent[0].dup);
        assert_eq!(resent[0].packet_id, Some(packet_id));

        // The old connection closes on its next poll (MQTT-3.1.4-3), with 0x8E in 5.0.
        let packets = old.received();
        assert_eq!(old.closed(), Some(CloseReason::TakenOver));
        if version.is_v5() {
            assert_eq!(
                Client::disconnect_reason(&packets),
                Some(ReasonCode::SESSION_TAKEN_OVER)
            );
        } else {
            assert!(packets.is_empty());
        }

        // The subscription came along: new messages go to the new connection only.
        new.send(puback(packet_id)).unwrap();
        publisher.publish("t", b"m2", QoS::AtLeastOnce, 2);
        assert_eq!(payloads(&new.publishes()), ["m2"]);
        assert!(old.received().is_empty());
        assert_eq!(world.broker.session_count(), 2);
    }
}

#[test]
fn takeover_is_noticed_on_handle_timeout() {
    let world = World::new();
    let mut old = world.client(V5, "dev");
    let (_new, _) = world.connect(persistent(V5, "dev", 0));
    old.tick();
    assert_eq!(old.closed(), Some(CloseReason::TakenOver));
    assert_eq!(
        Client::disconnect_reason(&old.received()),
        Some(ReasonCode::SESSION_TAKEN_OVER)
    );
}

#[test]
fn stale_waker_of_a_taken_over_connection_does_not_replace_the_new_one() {
    // The old connection's driver may register its waker after the takeover, before it
    // polls and notices; deliveries must still wake the new owner.
    let world = World::new();
    let mut publisher = publisher(&world);
    let old = persistent_subscriber(&world, V5, 300);
    let (mut new, _) = reconnect(&world, V5, 300);
    new.register_waker();
    let old_wakes = old.wakes();
    old.register_waker();
    assert!(
        old.wakes() > old_wakes,
        "a taken-over connection is woken at once"
    );
    let new_wakes = new.wakes();
    publisher.publish("t", b"m", QoS::AtLeastOnce, 1);
    assert!(new.wakes() > new_wakes, "the new owner is woken");
    assert_eq!(payloads(&new.publishes()), ["m"]);
}

#[test]
fn clean_start_discards_the_session() {
    for version in [V3, V5] {
        let world = World::new();
        let mut publisher = publisher(&world);
        let mut first = persistent_subscriber(&world, version, 300);
        first.send(disconnect(ReasonCode::SUCCESS)).unwrap();
        // Queued while offline.
        publisher.publish("t", b"offline", QoS::AtLeastOnce, 1);

        let mut request = connect(version, "dev");
        request.keep_alive = 0;
        let (mut second, connack) = world.connect(request);
        assert!(!connack.session_present, "{version}: MQTT-3.1.2-4");
        assert!(
            second.publishes().is_empty(),
            "the queue went with the session"
        );
        publisher.publish("t", b"after", QoS::AtLeastOnce, 2);
        assert!(second.publishes().is_empty(), "the subscriptions too");
        assert_eq!(world.broker.queued_bytes(), 0);
    }
}

#[test]
fn clean_start_takeover_of_a_live_connection() {
    let world = World::new();
    let mut publisher = publisher(&world);
    let mut old = persistent_subscriber(&world, V5, 300);
    let (mut new, connack) = world.connect(connect(V5, "dev"));
    assert!(!connack.session_present);
    assert_eq!(
        Client::disconnect_reason(&old.received()),
        Some(ReasonCode::SESSION_TAKEN_OVER)
    );
    publisher.publish("t", b"m", QoS::AtLeastOnce, 1);
    assert!(new.publishes().is_empty());
    assert_eq!(world.broker.session_count(), 2);
}

#[test]
fn session_present_when_resumed() {
    let world = World::new();
    let mut client = persistent_subscriber(&world, V5, 300);
    client.send(disconnect(ReasonCode::SUCCESS)).unwrap();
    let (_again, present) = reconnect(&world, V5, 300);
    assert!(present, "MQTT-3.2.2-2");
}

#[test]
fn session_expires_at_its_interval_after_disconnection() {
    let world = World::new();
    let mut publisher = publisher(&world);
    let mut client = persistent_subscriber(&world, V5, 100);
    client.close();
    assert_eq!(world.broker.session_count(), 2);
    assert_eq!(
        world.broker.poll_timeout(),
        Some(world.clock.now() + secs(100))
    );

    world.advance(secs(99));
    assert_eq!(world.broker.session_count(), 2);
    publisher.publish("t", b"queued", QoS::AtLeastOnce, 1);
    assert!(world.broker.queued_bytes() > 0);

    world.advance(secs(1));
    assert_eq!(world.broker.session_count(), 1, "expired at 100 s");
    assert_eq!(world.broker.queued_bytes(), 0, "its queue is freed");
    let (mut again, present) = reconnect(&world, V5, 100);
    assert!(!present);
    assert!(again.publishes().is_empty());
}

#[test]
fn v3_persistent_session_expires_after_the_configured_bound() {
    let world = World::with_config(BrokerConfig {
        session_expiry_v3: secs(50),
        ..BrokerConfig::default()
    });
    let mut client = persistent_subscriber(&world, V3, 0);
    client.close();
    world.advance(secs(49));
    assert_eq!(world.broker.session_count(), 1);
    world.advance(secs(1));
    assert_eq!(world.broker.session_count(), 0);
}

#[test]
fn reconnection_restarts_the_expiry() {
    let world = World::new();
    let mut client = persistent_subscriber(&world, V5, 100);
    client.close();
    world.advance(secs(50));
    let (mut again, present) = reconnect(&world, V5, 100);
    assert!(present);
    world.advance(secs(60));
    assert_eq!(world.broker.session_count(), 1, "no expiry while connected");
    again.close();
    world.advance(secs(99));
    assert_eq!(world.broker.session_count(), 1);
    world.advance(secs(1));
    assert_eq!(world.broker.session_count(), 0);
}

#[test]
fn zero_expiry_session_ends_with_the_connection() {
    let world = World::new();
    let mut client = world.client(V5, "dev");
    client.subscribe("t", QoS::AtLeastOnce);
    client.close();
    assert_eq!(world.broker.session_count(), 0);
    assert_eq!(world.broker.poll_timeout(), None);
}

#[test]
fn session_expiry_is_capped_by_the_broker() {
    let world = World::with_config(BrokerConfig {
        max_session_expiry: secs(60),
        ..BrokerConfig::default()
    });
    let (mut client, connack) = world.connect(persistent(V5, "dev", 1_000));
    assert_eq!(connack.properties.session_expiry_interval, Some(60));
    client.close();
    world.advance(secs(60));
    assert_eq!(world.broker.session_count(), 0);
}

#[test]
fn unsubscribe_stops_delivery() {
    let world = World::new();
    let mut publisher = publisher(&world);
    let mut client = world.client(V5, "dev");
    client.subscribe("t", QoS::AtMostOnce);
    client.send(unsubscribe("t")).unwrap();
    let packets = client.received();
    let Some(Packet::UnsubAck(unsuback)) = packets.first() else {
        panic!("an UNSUBACK: {packets:?}");
    };
    assert_eq!(unsuback.reasons, [ReasonCode::SUCCESS]);
    publisher.publish("t", b"m", QoS::AtMostOnce, 0);
    assert!(client.publishes().is_empty());
    client.send(unsubscribe("t")).unwrap();
    let Some(Packet::UnsubAck(unsuback)) = client.received().into_iter().next() else {
        panic!("an UNSUBACK");
    };
    assert_eq!(unsuback.reasons, [ReasonCode::NO_SUBSCRIPTION_EXISTED]);
}

#[test]
fn takeover_resends_pubrel_for_messages_awaiting_pubcomp() {
    let world = World::new();
    let mut publisher = publisher(&world);
    let (mut old, _) = world.connect(persistent(V5, "dev", 300));
    old.subscribe("t", QoS::ExactlyOnce);
    publisher.publish("t", b"m", QoS::ExactlyOnce, 1);
    let id = old.publishes()[0].packet_id.unwrap();
    old.send(pubrec(id)).unwrap();
    assert!(matches!(old.received().as_slice(), [Packet::PubRel(_)]));

    let (mut new, _) = reconnect(&world, V5, 300);
    let packets = new.received();
    assert!(
        matches!(packets.as_slice(), [Packet::PubRel(rel)] if rel.packet_id == id),
        "MQTT-4.4.0-1: PUBREL again, not the PUBLISH: {packets:?}"
    );
    new.send(pubcomp(id)).unwrap();
    publisher.publish("t", b"next", QoS::ExactlyOnce, 2);
    assert_eq!(payloads(&new.publishes()), ["next"]);
}

#[test]
fn disconnect_from_a_taken_over_connection_leaves_the_session_alone() {
    // The old connection's last packets may be handled after the takeover, before it polls.
    let world = World::new();
    let (mut old, _) = world.connect(persistent(V5, "dev", 300));
    let (mut new, _) = reconnect(&world, V5, 300);
    let mut late = hermod_codec::Disconnect::new(ReasonCode::NORMAL_DISCONNECTION);
    late.properties.session_expiry_interval = Some(0);
    let _ = old.send(Packet::Disconnect(late));
    new.close();
    assert_eq!(
        world.broker.session_count(),
        1,
        "the new owner's session expiry (300 s) still applies"
    );
}

#[test]
fn clean_start_takeover_publishes_the_delayed_will_as_the_session_ends() {
    let world = World::new();
    let mut watcher = world.client(V3, "watcher");
    watcher.subscribe("will/#", QoS::AtMostOnce);
    let (mut old, _) = world.connect(with_will(
        persistent(V5, "dev", 300),
        "will/dev",
        b"gone",
        Some(30),
    ));
    let (_new, connack) = world.connect(connect(V5, "dev"));
    assert!(!connack.session_present);
    let _ = old.received();
    assert_eq!(old.closed(), Some(CloseReason::TakenOver));
    assert_eq!(
        payloads(&watcher.publishes()),
        ["gone"],
        "MQTT 5.0 section 3.1.2.5: the will goes when the session ends, delay or not"
    );
}

#[test]
fn resumed_takeover_does_not_publish_the_delayed_will() {
    let world = World::new();
    let mut watcher = world.client(V3, "watcher");
    watcher.subscribe("will/#", QoS::AtMostOnce);
    let (mut old, _) = world.connect(with_will(
        persistent(V5, "dev", 300),
        "will/dev",
        b"gone",
        Some(30),
    ));
    let (_new, _) = reconnect(&world, V5, 300);
    let _ = old.received();
    world.advance(secs(60));
    assert!(watcher.publishes().is_empty(), "MQTT-3.1.3-9");
}

#[test]
fn in_flight_message_too_large_for_the_new_connection_does_not_hold_the_window() {
    let world = World::with_config(BrokerConfig {
        max_inflight: std::num::NonZeroU16::new(1).unwrap(),
        ..BrokerConfig::default()
    });
    let mut publisher = publisher(&world);
    let mut old = persistent_subscriber(&world, V5, 300);
    const BIG: &[u8] = &[b'x'; 200];
    publisher.publish("t", BIG, QoS::AtLeastOnce, 1);
    assert_eq!(old.publishes().len(), 1);
    old.close();

    let mut request = with_max_packet_size(persistent(V5, "dev", 300), 64);
    request.keep_alive = 0;
    let (mut new, _) = world.connect(request);
    assert!(
        new.publishes().is_empty(),
        "MQTT-3.1.2-25: too large to resend"
    );
    publisher.publish("t", b"small", QoS::AtLeastOnce, 2);
    assert_eq!(payloads(&new.publishes()), ["small"]);
}

#[test]
fn resumed_session_respects_a_lower_receive_maximum() {
    let world = World::new();
    let mut publisher = publisher(&world);
    let mut old = persistent_subscriber(&world, V5, 300);
    for id in 1..=5 {
        publisher.publish("t", b"m", QoS::AtLeastOnce, id);
    }
    assert_eq!(old.publishes().len(), 5);
    old.close();
    let mut request = with_receive_maximum(persistent(V5, "dev", 300), 2);
    request.keep_alive = 0;
    let (mut new, _) = world.connect(request);
    let mut resent = 0;
    let mut unacked = Vec::new();
    for _round in 0..10 {
        for publish in new.publishes() {
            assert!(publish.dup, "a resend");
            unacked.push(publish.packet_id.unwrap());
            resent += 1;
        }
        assert!(
            unacked.len() <= 2,
            "MQTT-3.3.4-9: no more unacknowledged than the new Receive Maximum"
        );
        let Some(id) = unacked.pop() else { break };
        new.send(puback(id)).unwrap();
    }
    assert_eq!(resent, 5, "every in-flight message is resent in time");
}

#[test]
fn subscription_limit_per_client() {
    let world = World::with_config(BrokerConfig {
        max_subscriptions_per_client: 2,
        ..BrokerConfig::default()
    });
    let mut client = world.client(V5, "dev");
    client.subscribe("a", QoS::AtMostOnce);
    client.subscribe("b", QoS::AtMostOnce);
    assert_eq!(
        client.subscribe("a", QoS::AtLeastOnce),
        [ReasonCode::GRANTED_QOS_1],
        "replacing an existing one is fine"
    );
    assert_eq!(
        client.subscribe("c", QoS::AtMostOnce),
        [ReasonCode::QUOTA_EXCEEDED]
    );
}
