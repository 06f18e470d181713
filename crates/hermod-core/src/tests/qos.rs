//! QoS 1 and 2 in both directions: acknowledgements, exactly-once inbound, the receive
//! maximum, the outbound in-flight window, packet identifiers and QoS downgrade.

use std::collections::HashSet;
use std::num::NonZeroU16;

use hermod_codec::{Packet, PacketId, Publish, QoS, ReasonCode};

use super::harness::*;
use crate::{BrokerConfig, CloseReason};

fn subscriber(world: &World, version: hermod_codec::ProtocolVersion, qos: QoS) -> Client {
    let mut client = world.client(version, "sub");
    client.subscribe("t", qos);
    client
}

#[test]
fn qos1_publish_is_acknowledged_with_puback() {
    for version in [V3, V5] {
        let world = World::new();
        let mut sub = subscriber(&world, V5, QoS::AtLeastOnce);
        let wakes = sub.wakes();
        let mut publisher = world.client(version, "pub");
        let ack = publisher.publish("t", b"m", QoS::AtLeastOnce, 7);
        let Some(Packet::PubAck(ack)) = ack else {
            panic!("{version}: a PUBACK, got {ack:?}");
        };
        assert_eq!(ack.packet_id, packet_id(7));
        assert_eq!(ack.reason, ReasonCode::SUCCESS);
        assert!(sub.wakes() > wakes, "the delivery wakes the subscriber");
        assert_eq!(payloads(&sub.publishes()), ["m"]);
    }
}

#[test]
fn v5_puback_says_no_matching_subscribers() {
    let world = World::new();
    let mut publisher = world.client(V5, "pub");
    let Some(Packet::PubAck(ack)) = publisher.publish("nobody", b"m", QoS::AtLeastOnce, 1) else {
        panic!("a PUBACK");
    };
    assert_eq!(ack.reason, ReasonCode::NO_MATCHING_SUBSCRIBERS);
}

#[test]
fn qos2_inbound_flow_forwards_once() {
    for version in [V3, V5] {
        let world = World::new();
        let mut sub = subscriber(&world, V3, QoS::ExactlyOnce);
        let mut publisher = world.client(version, "pub");
        let Some(Packet::PubRec(rec)) = publisher.publish("t", b"m", QoS::ExactlyOnce, 5) else {
            panic!("a PUBREC");
        };
        assert_eq!(rec.packet_id, packet_id(5));
        assert_eq!(payloads(&sub.publishes()), ["m"]);

        // A retransmission before PUBREL is acknowledged again but not forwarded
        // (MQTT-4.3.3-10).
        let Packet::Publish(mut again) = publish("t", b"m", QoS::ExactlyOnce, 5) else {
            unreachable!()
        };
        again.dup = true;
        publisher.send(Packet::Publish(again)).unwrap();
        assert!(matches!(
            publisher.received().as_slice(),
            [Packet::PubRec(rec)] if rec.packet_id == packet_id(5)
        ));
        assert!(sub.publishes().is_empty(), "{version}: not routed twice");

        publisher.send(pubrel(5)).unwrap();
        assert!(matches!(
            publisher.received().as_slice(),
            [Packet::PubComp(comp)] if comp.packet_id == packet_id(5) && comp.reason.is_success()
        ));

        // After PUBCOMP the identifier is free: the same id is a new message.
        publisher.publish("t", b"n", QoS::ExactlyOnce, 5);
        assert_eq!(payloads(&sub.publishes()), ["n"]);
    }
}

#[test]
fn v5_pubrel_of_an_unknown_identifier_gets_0x92() {
    let world = World::new();
    let mut publisher = world.client(V5, "pub");
    publisher.send(pubrel(42)).unwrap();
    assert!(matches!(
        publisher.received().as_slice(),
        [Packet::PubComp(comp)] if comp.reason == ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
    ));
}

#[test]
fn receive_maximum_exceeded_disconnects_with_0x93() {
    let world = World::with_config(BrokerConfig {
        receive_maximum: NonZeroU16::new(2).unwrap(),
        ..BrokerConfig::default()
    });
    let (mut publisher, connack) = world.connect(connect(V5, "pub"));
    assert_eq!(connack.properties.receive_maximum, NonZeroU16::new(2));
    publisher.publish("t", b"1", QoS::ExactlyOnce, 1);
    publisher.publish("t", b"2", QoS::ExactlyOnce, 2);
    let result = publisher.send(publish("t", b"3", QoS::ExactlyOnce, 3));
    assert_eq!(result, Err(crate::Violation::ReceiveMaximumExceeded));
    assert_eq!(
        Client::disconnect_reason(&publisher.received()),
        Some(ReasonCode::RECEIVE_MAXIMUM_EXCEEDED),
        "MQTT-3.3.4-7"
    );
    assert!(matches!(
        publisher.closed(),
        Some(CloseReason::ProtocolViolation(_))
    ));
}

#[test]
fn completed_qos2_messages_free_the_receive_maximum() {
    let world = World::with_config(BrokerConfig {
        receive_maximum: NonZeroU16::new(2).unwrap(),
        ..BrokerConfig::default()
    });
    let mut publisher = world.client(V5, "pub");
    for id in 1..=10 {
        publisher.publish("t", b"m", QoS::ExactlyOnce, id);
        publisher.send(pubrel(id)).unwrap();
        let _ = publisher.received();
    }
    assert!(publisher.closed().is_none());
}

/// Receives, acknowledges `ack_first` of the unacknowledged ones per round, and checks the
/// window and identifier uniqueness on every step. Returns the payloads in arrival order.
fn drain_with_window(sub: &mut Client, window: usize, total: usize) -> Vec<String> {
    let mut unacked: Vec<PacketId> = Vec::new();
    let mut seen = Vec::new();
    for _round in 0..(total * 2 + 10) {
        for publish in sub.publishes() {
            let id = publish.packet_id.expect("QoS 1");
            assert!(
                !unacked.contains(&id),
                "packet id {id:?} reused while in flight"
            );
            unacked.push(id);
            seen.push(String::from_utf8_lossy(&publish.payload).into_owned());
        }
        assert!(
            unacked.len() <= window,
            "{} unacknowledged, window {window}",
            unacked.len()
        );
        if seen.len() == total && unacked.is_empty() {
            break;
        }
        // Acknowledge the newest first, to exercise out-of-order completion.
        if let Some(id) = unacked.pop() {
            sub.send(puback(id)).unwrap();
        }
    }
    seen
}

#[test]
fn outbound_window_is_the_smaller_of_max_inflight_and_receive_maximum() {
    // (broker max_inflight, client Receive Maximum, expected window)
    for (max_inflight, receive_maximum, window) in [(10u16, 3u16, 3u16), (2, 100, 2), (4, 4, 4)] {
        let world = World::with_config(BrokerConfig {
            max_inflight: NonZeroU16::new(max_inflight).unwrap(),
            ..BrokerConfig::default()
        });
        let (mut sub, _) = world.connect(with_receive_maximum(connect(V5, "sub"), receive_maximum));
        sub.subscribe("t", QoS::AtLeastOnce);
        let mut publisher = world.client(V3, "pub");
        let total = 12;
        for id in 1..=total {
            publisher.publish("t", b"m", QoS::AtLeastOnce, id);
        }
        let first = sub.publishes();
        assert_eq!(first.len(), usize::from(window), "MQTT-3.3.4-9");
        for publish in &first {
            sub.send(puback(publish.packet_id.unwrap())).unwrap();
        }
        let seen = drain_with_window(
            &mut sub,
            usize::from(window),
            usize::from(total) - first.len(),
        );
        assert_eq!(seen.len() + first.len(), usize::from(total));
    }
}

#[test]
fn v3_outbound_window_is_max_inflight() {
    let world = World::with_config(BrokerConfig {
        max_inflight: NonZeroU16::new(3).unwrap(),
        ..BrokerConfig::default()
    });
    let mut sub = subscriber(&world, V3, QoS::AtLeastOnce);
    let mut publisher = world.client(V3, "pub");
    for id in 1..=7 {
        publisher.publish("t", b"m", QoS::AtLeastOnce, id);
    }
    assert_eq!(drain_with_window(&mut sub, 3, 7).len(), 7);
}

#[test]
fn outbound_qos2_holds_its_slot_until_pubcomp() {
    let world = World::with_config(BrokerConfig {
        max_inflight: NonZeroU16::new(1).unwrap(),
        ..BrokerConfig::default()
    });
    let mut sub = subscriber(&world, V5, QoS::ExactlyOnce);
    let mut publisher = world.client(V3, "pub");
    publisher.publish("t", b"a", QoS::ExactlyOnce, 1);
    publisher.publish("t", b"b", QoS::ExactlyOnce, 2);
    let first = sub.publishes();
    assert_eq!(payloads(&first), ["a"]);
    let id = first[0].packet_id.unwrap();
    sub.send(pubrec(id)).unwrap();
    let packets = sub.received();
    assert!(
        matches!(packets.as_slice(), [Packet::PubRel(rel)] if rel.packet_id == id),
        "PUBREL and nothing else: {packets:?}"
    );
    sub.send(pubcomp(id)).unwrap();
    assert_eq!(payloads(&sub.publishes()), ["b"]);
}

#[test]
fn packet_ids_stay_unique_across_many_messages() {
    let world = World::with_config(BrokerConfig {
        max_inflight: NonZeroU16::new(5).unwrap(),
        ..BrokerConfig::default()
    });
    let mut sub = subscriber(&world, V5, QoS::AtLeastOnce);
    let mut publisher = world.client(V3, "pub");
    let mut unacked: Vec<PacketId> = Vec::new();
    let mut received = 0;
    for id in 1..=300u16 {
        publisher.publish("t", b"m", QoS::AtLeastOnce, id);
        for publish in sub.publishes() {
            let packet_id = publish.packet_id.unwrap();
            assert!(!unacked.contains(&packet_id), "{packet_id:?} in use");
            unacked.push(packet_id);
            received += 1;
        }
        assert!(unacked.len() <= 5);
        // Keep the oldest one unacknowledged for a long time; acknowledge the others.
        if unacked.len() == 5 {
            let newest = unacked.remove(4);
            let middle = unacked.remove(2);
            sub.send(puback(newest)).unwrap();
            sub.send(puback(middle)).unwrap();
        }
    }
    let distinct: HashSet<_> = unacked.iter().collect();
    assert_eq!(distinct.len(), unacked.len());
    assert!(received > 100);
}

#[test]
fn delivery_qos_is_the_lower_of_published_and_granted() {
    // (granted, published, delivered)
    let cases = [
        (QoS::AtMostOnce, QoS::ExactlyOnce, QoS::AtMostOnce),
        (QoS::AtLeastOnce, QoS::ExactlyOnce, QoS::AtLeastOnce),
        (QoS::ExactlyOnce, QoS::AtLeastOnce, QoS::AtLeastOnce),
        (QoS::ExactlyOnce, QoS::AtMostOnce, QoS::AtMostOnce),
    ];
    for version in [V3, V5] {
        for (granted, published, delivered) in cases {
            let world = World::new();
            let mut sub = subscriber(&world, version, granted);
            let mut publisher = world.client(V5, "pub");
            publisher.publish("t", b"m", published, 1);
            let got: Vec<Publish> = sub.publishes();
            assert_eq!(got.len(), 1);
            assert_eq!(
                got[0].qos, delivered,
                "MQTT-3.8.4-8 ({granted:?}, {published:?})"
            );
            assert_eq!(got[0].packet_id.is_some(), delivered != QoS::AtMostOnce);
        }
    }
}

#[test]
fn acknowledgement_of_an_unknown_packet_is_ignored() {
    let world = World::new();
    let mut sub = subscriber(&world, V5, QoS::AtLeastOnce);
    sub.send(puback(packet_id(77))).unwrap();
    sub.send(pubcomp(packet_id(78))).unwrap();
    assert!(sub.closed().is_none());
    sub.send(pubrec(packet_id(79))).unwrap();
    assert!(matches!(
        sub.received().as_slice(),
        [Packet::PubRel(rel)] if rel.reason == ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
    ));
}

#[test]
fn qos2_retransmission_on_a_new_connection_is_not_routed_twice() {
    let world = World::new();
    let mut sub = subscriber(&world, V3, QoS::ExactlyOnce);
    let (mut publisher, _) = world.connect(persistent(V5, "pub", 300));
    publisher.publish("t", b"m", QoS::ExactlyOnce, 9);
    assert_eq!(sub.publishes().len(), 1);
    publisher.close();
    let (mut publisher, connack) = world.connect(persistent(V5, "pub", 300));
    assert!(connack.session_present);
    let Packet::Publish(mut again) = publish("t", b"m", QoS::ExactlyOnce, 9) else {
        unreachable!()
    };
    again.dup = true;
    publisher.send(Packet::Publish(again)).unwrap();
    assert!(matches!(
        publisher.received().as_slice(),
        [Packet::PubRec(_)]
    ));
    assert!(
        sub.publishes().is_empty(),
        "MQTT-4.3.3-10 across connections"
    );
    publisher.send(pubrel(9)).unwrap();
    assert!(matches!(
        publisher.received().as_slice(),
        [Packet::PubComp(comp)] if comp.reason.is_success()
    ));
}

#[test]
fn pubrec_with_an_error_ends_the_outbound_flow() {
    let world = World::with_config(BrokerConfig {
        max_inflight: NonZeroU16::new(1).unwrap(),
        ..BrokerConfig::default()
    });
    let mut sub = subscriber(&world, V5, QoS::ExactlyOnce);
    let mut publisher = world.client(V3, "pub");
    publisher.publish("t", b"a", QoS::ExactlyOnce, 1);
    publisher.publish("t", b"b", QoS::ExactlyOnce, 2);
    let first = sub.publishes();
    let refusal = hermod_codec::PubRec::with_reason(
        first[0].packet_id.unwrap(),
        ReasonCode::UNSPECIFIED_ERROR,
    );
    sub.send(Packet::PubRec(refusal)).unwrap();
    let packets = sub.received();
    assert!(
        !packets
            .iter()
            .any(|packet| matches!(packet, Packet::PubRel(_))),
        "no PUBREL after a refusal (MQTT 5.0 section 4.3.3)"
    );
    let next: Vec<_> = packets
        .iter()
        .filter_map(|packet| match packet {
            Packet::Publish(publish) => Some(publish.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(payloads(&next), ["b"], "the window slot is free again");
}
