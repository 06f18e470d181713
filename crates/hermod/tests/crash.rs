//! Crash tests: a publisher sends QoS 1 (and QoS 2) messages into an offline persistent
//! subscriber's session, the broker is killed with SIGKILL at an arbitrary point, restarted on
//! the same data directory, and the subscriber, reconnecting, gets its session back (Session
//! Present 1) and every message whose PUBACK (PUBREC) the publisher received. Duplicates are
//! allowed at QoS 1, none at QoS 2.
//!
//! The clients are written here on `hermod-codec` over plain sockets, so the test controls
//! exactly what was acknowledged. Everything runs on 127.0.0.1 with bounded waits.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on a broken fixture.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hermod_codec::{
    Packet, PacketId, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish, QoS, Subscribe,
    SubscriptionOptions, TopicFilter, TopicName,
};

mod common;

use common::STEP;
use common::child::BrokerProcess;
use common::raw::Client;

const TOPIC: &str = "crash/t";

fn publish(qos: QoS, id: u16, seq: u64) -> Packet {
    let mut publish = Publish::new(
        TopicName::new(TOPIC).unwrap(),
        Bytes::from(seq.to_be_bytes().to_vec()),
    );
    publish.qos = qos;
    publish.packet_id = PacketId::new(id);
    Packet::Publish(publish)
}

/// Publishes numbered messages, up to `window` unacknowledged, until the broker goes away;
/// records the numbers the broker acknowledged (PUBACK, or PUBREC at QoS 2).
fn publish_until_killed(
    address: SocketAddr,
    version: ProtocolVersion,
    qos: QoS,
    acked: &Mutex<BTreeSet<u64>>,
) {
    let (mut client, _) = Client::connect(address, version, "crash-publisher", true);
    let window = 32u64;
    let mut in_flight: BTreeMap<u16, u64> = BTreeMap::new();
    let mut next = 0u64;
    loop {
        while (in_flight.len() as u64) < window {
            // Packet ids 1..=window, reused once acknowledged.
            let id = (1..=window as u16)
                .find(|id| !in_flight.contains_key(id))
                .unwrap();
            if !client.send(&publish(qos, id, next)) {
                return;
            }
            in_flight.insert(id, next);
            next += 1;
        }
        match client.next() {
            Some(Packet::PubAck(ack)) if ack.reason.is_success() => {
                if let Some(seq) = in_flight.remove(&ack.packet_id.get()) {
                    acked.lock().unwrap().insert(seq);
                }
            }
            Some(Packet::PubRec(rec)) if rec.reason.is_success() => {
                if let Some(&seq) = in_flight.get(&rec.packet_id.get()) {
                    acked.lock().unwrap().insert(seq);
                }
                if !client.send(&Packet::PubRel(PubRel::new(rec.packet_id))) {
                    return;
                }
            }
            Some(Packet::PubComp(comp)) => {
                in_flight.remove(&comp.packet_id.get());
            }
            Some(other) => panic!("unexpected {other:?}"),
            None => return,
        }
    }
}

fn round(version: ProtocolVersion, qos: QoS, round: u32) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let subscriber_id = "crash-subscriber";

    // The subscriber's persistent session, then offline.
    let broker = BrokerProcess::start(&data, &[]);
    let (mut subscriber, _) = Client::connect(broker.address, version, subscriber_id, false);
    let filter = TopicFilter::new(TOPIC).unwrap();
    subscriber.send(&Packet::Subscribe(Subscribe::new(
        PacketId::MIN,
        filter,
        SubscriptionOptions::with_qos(qos),
    )));
    assert!(matches!(subscriber.next(), Some(Packet::SubAck(_))));
    drop(subscriber);

    // Publish, and kill the broker once an arbitrary number of messages is acknowledged.
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let publisher = std::thread::spawn({
        let acked = Arc::clone(&acked);
        let address = broker.address;
        move || publish_until_killed(address, version, qos, &acked)
    });
    let nanos = Instant::now().elapsed().subsec_nanos() ^ std::process::id();
    let kill_after = 20 + (u64::from(nanos) + u64::from(round) * 997) % 600;
    let deadline = Instant::now() + STEP;
    while (acked.lock().unwrap().len() as u64) < kill_after {
        assert!(Instant::now() < deadline, "too few acknowledgements");
        std::thread::yield_now();
    }
    broker.kill();
    publisher.join().unwrap();
    let acked = acked.lock().unwrap().clone();

    // Restart; the subscriber's session is there with every acknowledged message.
    let broker = BrokerProcess::start(&data, &[]);
    let (mut subscriber, present) = Client::connect(broker.address, version, subscriber_id, false);
    assert!(
        present,
        "{version} {qos:?} round {round}: Session Present must be 1"
    );
    let mut received: BTreeMap<u64, u32> = BTreeMap::new();
    let deadline = Instant::now() + STEP;
    while !acked.iter().all(|seq| received.contains_key(seq)) {
        assert!(
            Instant::now() < deadline,
            "{version} {qos:?} round {round}: {} of {} acknowledged messages delivered",
            acked
                .iter()
                .filter(|seq| received.contains_key(seq))
                .count(),
            acked.len()
        );
        match subscriber.next() {
            Some(Packet::Publish(publish)) => {
                let seq = u64::from_be_bytes(publish.payload.as_ref().try_into().unwrap());
                *received.entry(seq).or_default() += 1;
                let Some(id) = publish.packet_id else {
                    continue;
                };
                match publish.qos {
                    QoS::AtLeastOnce => {
                        subscriber.send(&Packet::PubAck(PubAck::new(id)));
                    }
                    QoS::ExactlyOnce => {
                        subscriber.send(&Packet::PubRec(PubRec::new(id)));
                    }
                    QoS::AtMostOnce => {}
                }
            }
            Some(Packet::PubRel(rel)) => {
                subscriber.send(&Packet::PubComp(PubComp::new(rel.packet_id)));
            }
            Some(other) => panic!("unexpected {other:?}"),
            None => panic!("the broker closed the subscriber"),
        }
    }
    if qos == QoS::ExactlyOnce {
        let duplicated: Vec<_> = received.iter().filter(|(_, count)| **count > 1).collect();
        assert!(duplicated.is_empty(), "QoS 2 duplicates: {duplicated:?}");
    }
    drop(broker);
}

#[test]
fn acknowledged_qos1_messages_survive_sigkill_v311() {
    for n in 0..5 {
        round(ProtocolVersion::V3_1_1, QoS::AtLeastOnce, n);
    }
}

#[test]
fn acknowledged_qos1_messages_survive_sigkill_v5() {
    for n in 0..5 {
        round(ProtocolVersion::V5, QoS::AtLeastOnce, n);
    }
}

#[test]
fn acknowledged_qos2_messages_survive_sigkill_once_each() {
    round(ProtocolVersion::V3_1_1, QoS::ExactlyOnce, 0);
    round(ProtocolVersion::V5, QoS::ExactlyOnce, 1);
}

/// A persistent client with a (retained) will is connected when the broker is killed: after
/// the restart its connection has ended abnormally, so the will is published.
fn will_after_sigkill(version: ProtocolVersion) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let broker = BrokerProcess::start(&data, &[]);
    let will = hermod_codec::Will {
        topic: TopicName::new("wills/device").unwrap(),
        payload: Bytes::from_static(b"lost"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: Default::default(),
    };
    let (mut device, _) =
        Client::connect_with(broker.address, version, "device", false, Some(will));
    // The session record is written in order with everything after it: once a QoS 1 message
    // queued for this session is acknowledged (held until durable), the record is on disk.
    device.send(&Packet::Subscribe(Subscribe::new(
        PacketId::MIN,
        TopicFilter::new("device/in").unwrap(),
        SubscriptionOptions::with_qos(QoS::AtLeastOnce),
    )));
    assert!(matches!(device.next(), Some(Packet::SubAck(_))));
    let (mut sender, _) = Client::connect(broker.address, version, "sender", true);
    let mut command = Publish::new(
        TopicName::new("device/in").unwrap(),
        Bytes::from_static(b"x"),
    );
    command.qos = QoS::AtLeastOnce;
    command.packet_id = PacketId::new(1);
    sender.send(&Packet::Publish(command));
    assert!(matches!(sender.next(), Some(Packet::PubAck(_))));
    broker.kill();
    drop(device);

    let broker = BrokerProcess::start(&data, &[]);
    let (mut watcher, _) = Client::connect(broker.address, version, "watcher", true);
    let deadline = Instant::now() + STEP;
    loop {
        assert!(Instant::now() < deadline, "{version}: the will never came");
        watcher.send(&Packet::Subscribe(Subscribe::new(
            PacketId::MIN,
            TopicFilter::new("wills/#").unwrap(),
            SubscriptionOptions::with_qos(QoS::AtLeastOnce),
        )));
        // The will is published (retained) at the restart's first timer turn: resubscribing
        // until it is there sends it as a retained message.
        let mut got = None;
        while let Some(packet) = watcher.next() {
            match packet {
                Packet::SubAck(_) => {}
                Packet::Publish(publish) => {
                    got = Some(publish.payload);
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
            // After the SUBACK, a retained will follows at once if it exists.
            watcher
                .stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
        }
        watcher.stream.set_read_timeout(Some(STEP)).unwrap();
        if let Some(payload) = got {
            assert_eq!(payload, Bytes::from_static(b"lost"));
            break;
        }
        watcher.read.clear();
    }
}

#[test]
fn the_will_of_a_client_connected_at_sigkill_is_published_after_the_restart() {
    will_after_sigkill(ProtocolVersion::V3_1_1);
    will_after_sigkill(ProtocolVersion::V5);
}
