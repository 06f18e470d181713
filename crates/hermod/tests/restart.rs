//! Graceful restarts through the binary (`hermod --port 0 --data-dir PATH`, SIGTERM, start
//! again): a persistent session's queued QoS 1 and QoS 2 messages and its in-flight QoS 2
//! state come back (3.1.1 and 5.0), and so do a pending delayed will and the session's expiry
//! deadline (5.0, where both exist).
//!
//! The clients are raw (`hermod-codec` over sockets), so the test sees every packet id.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on a broken fixture.

use std::time::{Duration, Instant};

use bytes::Bytes;
use hermod_codec::{
    Connect, MqttString, Packet, PacketId, ProtocolVersion, PubAck, PubComp, PubRec, PubRel,
    Publish, QoS, Subscribe, SubscriptionOptions, TopicFilter, TopicName, Will,
};

mod common;

use common::child::BrokerProcess;
use common::raw::Client;

fn subscribe(client: &mut Client, filter: &str, qos: QoS) {
    client.send(&Packet::Subscribe(Subscribe::new(
        PacketId::MIN,
        TopicFilter::new(filter).unwrap(),
        SubscriptionOptions::with_qos(qos),
    )));
    assert!(matches!(client.next(), Some(Packet::SubAck(_))));
}

/// Publishes and completes the flow: PUBACK at QoS 1; PUBREC, PUBREL, PUBCOMP at QoS 2.
fn publish(client: &mut Client, topic: &str, payload: &'static [u8], qos: QoS, id: u16) {
    let mut publish = Publish::new(TopicName::new(topic).unwrap(), Bytes::from_static(payload));
    publish.qos = qos;
    publish.packet_id = PacketId::new(id);
    client.send(&Packet::Publish(publish));
    match (qos, client.next()) {
        (QoS::AtLeastOnce, Some(Packet::PubAck(ack))) => assert!(ack.reason.is_success()),
        (QoS::ExactlyOnce, Some(Packet::PubRec(rec))) => {
            assert!(rec.reason.is_success());
            client.send(&Packet::PubRel(PubRel::new(rec.packet_id)));
            assert!(matches!(client.next(), Some(Packet::PubComp(_))));
        }
        (qos, other) => panic!("{qos:?} publish answered with {other:?}"),
    }
}

fn payload_of(publish: &Publish) -> String {
    String::from_utf8(publish.payload.to_vec()).unwrap()
}

fn queued_and_in_flight_state_survive_a_graceful_restart(version: ProtocolVersion) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let mut broker = BrokerProcess::start(&data, &[]);
    let (mut keeper, _) = Client::connect(broker.address, version, "keeper", false);
    subscribe(&mut keeper, "r/#", QoS::ExactlyOnce);
    let (mut source, _) = Client::connect(broker.address, version, "source", true);

    // In flight: the keeper has a QoS 2 message, sent PUBREC, got PUBREL, never completes.
    publish(&mut source, "r/first", b"first", QoS::ExactlyOnce, 1);
    let first_id = match keeper.next() {
        Some(Packet::Publish(publish)) => {
            assert_eq!(payload_of(&publish), "first");
            publish.packet_id.unwrap()
        }
        other => panic!("expected the first message, got {other:?}"),
    };
    keeper.send(&Packet::PubRec(PubRec::new(first_id)));
    match keeper.next() {
        Some(Packet::PubRel(rel)) => assert_eq!(rel.packet_id, first_id),
        other => panic!("expected PUBREL, got {other:?}"),
    }
    drop(keeper);
    broker.wait_for_line(&["disconnected", "client_id=keeper"]);

    // Queued while it is offline; acknowledged to the publisher once durable.
    publish(&mut source, "r/second", b"second", QoS::AtLeastOnce, 2);
    publish(&mut source, "r/third", b"third", QoS::ExactlyOnce, 3);
    drop(source);
    broker.stop();

    let mut broker = BrokerProcess::start(&data, &[]);
    let recovered = broker.wait_for_line(&["recovered the data directory"]);
    assert!(
        recovered.contains("sessions=1") && recovered.contains("subscriptions=1"),
        "{recovered}"
    );
    let (mut keeper, present) = Client::connect(broker.address, version, "keeper", false);
    assert!(present, "{version}: Session Present must be 1");

    let mut first_released = false;
    let mut second = false;
    let mut third_id = None;
    let mut third_completed = false;
    while !(first_released && second && third_completed) {
        match keeper.next() {
            Some(Packet::PubRel(rel)) if rel.packet_id == first_id => {
                assert!(!first_released, "PUBREL resent twice");
                first_released = true;
                keeper.send(&Packet::PubComp(PubComp::new(rel.packet_id)));
            }
            Some(Packet::PubRel(rel)) if Some(rel.packet_id) == third_id => {
                third_completed = true;
                keeper.send(&Packet::PubComp(PubComp::new(rel.packet_id)));
            }
            Some(Packet::Publish(publish)) => match payload_of(&publish).as_str() {
                "second" => {
                    assert_eq!(publish.qos, QoS::AtLeastOnce);
                    second = true;
                    keeper.send(&Packet::PubAck(PubAck::new(publish.packet_id.unwrap())));
                }
                "third" => {
                    assert_eq!(publish.qos, QoS::ExactlyOnce);
                    assert!(third_id.is_none(), "QoS 2 message delivered twice");
                    let id = publish.packet_id.unwrap();
                    assert_ne!(id, first_id, "the in-flight packet id is still in use");
                    third_id = Some(id);
                    keeper.send(&Packet::PubRec(PubRec::new(id)));
                }
                other => panic!("{version}: {other:?} delivered again after its PUBREC"),
            },
            other => panic!("{version}: unexpected {other:?}"),
        }
    }
    broker.stop();
}

#[test]
fn queued_messages_and_qos2_state_survive_a_graceful_restart_v311() {
    queued_and_in_flight_state_survive_a_graceful_restart(ProtocolVersion::V3_1_1);
}

#[test]
fn queued_messages_and_qos2_state_survive_a_graceful_restart_v5() {
    queued_and_in_flight_state_survive_a_graceful_restart(ProtocolVersion::V5);
}

/// A 5.0 client leaves with a will delayed 4 s and a session that expires 6 s after it
/// left; the broker restarts in between. The will is published after the restart, not before
/// its delay, and the session expires after the restart too.
#[test]
fn a_delayed_will_and_session_expiry_survive_a_graceful_restart() {
    const WILL_DELAY: Duration = Duration::from_secs(4);
    const SESSION_EXPIRY: Duration = Duration::from_secs(6);
    let v5 = ProtocolVersion::V5;
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let mut broker = BrokerProcess::start(&data, &[]);
    let (mut watcher, _) = Client::connect(broker.address, v5, "watcher", false);
    subscribe(&mut watcher, "wills/#", QoS::AtLeastOnce);
    drop(watcher);
    broker.wait_for_line(&["disconnected", "client_id=watcher"]);

    let mut connect = Connect::new(v5, MqttString::new("device").unwrap());
    connect.clean_start = false;
    connect.properties.session_expiry_interval = Some(SESSION_EXPIRY.as_secs() as u32);
    let mut will = Will {
        topic: TopicName::new("wills/device").unwrap(),
        payload: Bytes::from_static(b"gone"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Default::default(),
    };
    will.properties.will_delay_interval = Some(WILL_DELAY.as_secs() as u32);
    connect.will = Some(will);
    let (device, _) = Client::connect_packet(broker.address, connect);
    drop(device); // No DISCONNECT: the will is due after its delay.
    broker.wait_for_line(&["disconnected", "client_id=device"]);
    let left = Instant::now();
    broker.stop();
    assert!(
        left.elapsed() < WILL_DELAY,
        "the broker took longer to stop than the will's delay"
    );

    let mut broker = BrokerProcess::start(&data, &[]);
    let recovered = broker.wait_for_line(&["recovered the data directory"]);
    assert!(recovered.contains("sessions=2"), "{recovered}");
    let (mut watcher, present) = Client::connect(broker.address, v5, "watcher", false);
    assert!(present);
    match watcher.next() {
        Some(Packet::Publish(publish)) => {
            assert_eq!(publish.topic.as_str(), "wills/device");
            assert_eq!(payload_of(&publish), "gone");
            watcher.send(&Packet::PubAck(PubAck::new(publish.packet_id.unwrap())));
        }
        other => panic!("expected the will, got {other:?}"),
    }
    // Deadlines are checked about once a second; never early.
    assert!(left.elapsed() >= WILL_DELAY - Duration::from_millis(200));

    broker.wait_for_line(&["session expired", "client_id=device"]);
    assert!(left.elapsed() >= SESSION_EXPIRY - Duration::from_millis(200));
    let (_device, present) = Client::connect(broker.address, v5, "device", false);
    assert!(
        !present,
        "the device's session expired during the restart's run"
    );
    broker.stop();
}
