//! What the broker tells a durable store ([`crate::persist::Persistence`]), and restoring what
//! a store recovered.

use std::sync::{Arc, Mutex};

use hermod_codec::{MqttString, QoS, TopicName};

use super::harness::*;
use crate::message::Message;
use hermod_codec::{Packet, PacketId, ReasonCode};

use crate::message::Delivery;
use crate::persist::{Persistence, RestoredMessage, RestoredSession, SessionRecord};
use crate::session::{OutboundStage, SubscriptionRecord};
use crate::{Broker, BrokerConfig};

/// Records every call, as (topic, payload or `None` for cleared).
#[derive(Debug, Default)]
struct Recorder {
    changes: Mutex<Vec<(String, Option<Vec<u8>>)>>,
    kept: Mutex<Vec<Message>>,
    /// Session events, as text: "saved id 60s", "removed id", "sub id filter", "unsub id filter".
    sessions: Mutex<Vec<String>>,
    /// Message events, as text: "+dev 1", "+dev 1 #3 AwaitingPubRec", "-dev 1".
    messages: Mutex<Vec<String>>,
    /// Number of calls so far (the change numbers).
    changes_made: std::sync::atomic::AtomicU64,
    /// Changes up to this one are durable; `None`: all of them.
    durable_upto: Mutex<Option<u64>>,
    /// Changes above `durable_upto` failed instead of waiting.
    failing: std::sync::atomic::AtomicBool,
}

impl Recorder {
    fn session_events(&self) -> Vec<String> {
        std::mem::take(&mut *self.sessions.lock().unwrap())
    }

    fn message_events(&self) -> Vec<String> {
        std::mem::take(&mut *self.messages.lock().unwrap())
    }

    fn change(&self) {
        self.changes_made
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// From now on, changes are durable only up to the current one (slow disk).
    fn hold(&self) {
        *self.durable_upto.lock().unwrap() = Some(self.last_change());
    }

    /// The disk caught up.
    fn release(&self) {
        *self.durable_upto.lock().unwrap() = None;
    }
}

impl Persistence for Recorder {
    fn retained_changed(&self, topic: &TopicName, message: Option<&Message>) {
        self.change();
        self.changes.lock().unwrap().push((
            topic.as_str().to_owned(),
            message.map(|message| message.payload.to_vec()),
        ));
        if let Some(message) = message {
            self.kept.lock().unwrap().push(message.detached());
        }
    }

    fn session_saved(&self, client_id: &MqttString, record: &SessionRecord) {
        self.change();
        self.sessions
            .lock()
            .unwrap()
            .push(format!("saved {client_id} {}s", record.expiry.as_secs()));
    }

    fn session_removed(&self, client_id: &MqttString) {
        self.change();
        self.sessions
            .lock()
            .unwrap()
            .push(format!("removed {client_id}"));
    }

    fn subscription_saved(&self, client_id: &MqttString, filter: &str, _: &SubscriptionRecord) {
        self.change();
        self.sessions
            .lock()
            .unwrap()
            .push(format!("sub {client_id} {filter}"));
    }

    fn subscription_removed(&self, client_id: &MqttString, filter: &str) {
        self.change();
        self.sessions
            .lock()
            .unwrap()
            .push(format!("unsub {client_id} {filter}"));
    }

    fn message_saved(
        &self,
        client_id: &MqttString,
        seq: u64,
        _delivery: &Delivery,
        inflight: Option<(PacketId, OutboundStage)>,
    ) {
        self.change();
        let text = match inflight {
            Some((packet_id, stage)) => {
                format!("+{client_id} {seq} #{} {stage:?}", packet_id.get())
            }
            None => format!("+{client_id} {seq}"),
        };
        self.messages.lock().unwrap().push(text);
    }

    fn message_removed(&self, client_id: &MqttString, seq: u64) {
        self.change();
        self.messages
            .lock()
            .unwrap()
            .push(format!("-{client_id} {seq}"));
    }

    fn last_change(&self) -> u64 {
        self.changes_made.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn poll_durable(&self, change: u64, _waker: &std::task::Waker) -> std::task::Poll<bool> {
        match *self.durable_upto.lock().unwrap() {
            Some(upto) if change > upto => {
                if self.failing.load(std::sync::atomic::Ordering::Relaxed) {
                    std::task::Poll::Ready(false)
                } else {
                    std::task::Poll::Pending
                }
            }
            _ => std::task::Poll::Ready(true),
        }
    }
}

fn durable_world(config: BrokerConfig) -> (World, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let mut world = World::with_config(config);
    world.broker = Broker::with_persistence(world.broker.config().clone(), recorder.clone());
    (world, recorder)
}

#[test]
fn retained_sets_and_clears_are_recorded_in_order_and_nothing_else() {
    let (world, recorder) = durable_world(BrokerConfig {
        max_retained_payload: 8,
        ..BrokerConfig::default()
    });
    let mut publisher = world.client(V5, "pub");
    publisher.send(retained("r/1", b"first")).unwrap();
    publisher.send(retained("r/1", b"second")).unwrap();
    publisher
        .send(retained("r/2", b"too long to keep"))
        .unwrap();
    publisher.send(retained("r/3", b"")).unwrap(); // clears nothing: not recorded
    publisher.send(retained("r/1", b"")).unwrap();
    publisher
        .publish("r/4", b"not retained", QoS::AtLeastOnce, 1)
        .unwrap();
    let changes = recorder.changes.lock().unwrap().clone();
    assert_eq!(
        changes,
        [
            ("r/1".to_owned(), Some(b"first".to_vec())),
            ("r/1".to_owned(), Some(b"second".to_vec())),
            ("r/1".to_owned(), None),
        ]
    );
}

#[test]
fn restored_retained_messages_are_delivered_and_not_recorded_again() {
    let (world, recorder) = durable_world(BrokerConfig::default());
    let mut publisher = world.client(V3, "pub");
    publisher.send(retained("s/a", b"one")).unwrap();
    publisher.send(retained("s/b", b"two")).unwrap();
    let kept: Vec<Message> = recorder.kept.lock().unwrap().drain(..).collect();

    // A new broker (a restart) over the same store.
    let (restarted, recorder) = durable_world(BrokerConfig {
        max_retained_messages: 1,
        ..BrokerConfig::default()
    });
    assert_eq!(
        restarted.broker.restore_retained(kept),
        1,
        "the limit applies"
    );
    assert!(recorder.changes.lock().unwrap().is_empty());
    let mut subscriber = restarted.client(V5, "sub");
    subscriber.subscribe("s/#", QoS::AtLeastOnce);
    assert_eq!(payloads(&subscriber.publishes()), ["one"]);
}

#[test]
fn persistent_sessions_and_their_subscriptions_are_recorded_and_clean_ones_are_not() {
    for version in [V3, V5] {
        let (world, recorder) = durable_world(BrokerConfig::default());
        // A clean session leaves nothing behind.
        let mut clean = world.client(version, "clean");
        clean.subscribe("c/#", QoS::AtLeastOnce);
        clean.close();
        assert_eq!(recorder.session_events(), Vec::<String>::new(), "{version}");

        let (mut device, _) = world.connect(persistent(version, "dev", 60));
        device.subscribe("a/+", QoS::AtLeastOnce);
        device.subscribe("b", QoS::ExactlyOnce);
        device.send(unsubscribe("a/+")).unwrap();
        device.send(unsubscribe("never")).unwrap();
        device.close();
        let expiry = if version.is_v5() {
            60
        } else {
            world.broker.config().session_expiry_v3.as_secs()
        };
        assert_eq!(
            recorder.session_events(),
            [
                format!("saved dev {expiry}s"),
                "sub dev a/+".to_owned(),
                "sub dev b".to_owned(),
                "unsub dev a/+".to_owned(),
                format!("saved dev {expiry}s"),
            ],
            "{version}"
        );

        // Clean start over the stored session removes it; the new clean one is not stored.
        let mut again = world.client(version, "dev");
        again.close();
        assert_eq!(recorder.session_events(), ["removed dev"], "{version}");
    }
}

#[test]
fn a_session_ending_by_expiry_or_by_disconnect_expiry_zero_is_removed() {
    let (world, recorder) = durable_world(BrokerConfig::default());
    let (mut device, _) = world.connect(persistent(V5, "dev", 30));
    device.close();
    world.advance(std::time::Duration::from_secs(31));
    assert_eq!(world.broker.session_count(), 0);
    assert_eq!(
        recorder.session_events(),
        ["saved dev 30s", "saved dev 30s", "removed dev"]
    );

    let (mut device, _) = world.connect(persistent(V5, "dev", 30));
    let mut disconnect =
        hermod_codec::Disconnect::new(hermod_codec::ReasonCode::NORMAL_DISCONNECTION);
    disconnect.properties.session_expiry_interval = Some(0);
    let _ = device.send(hermod_codec::Packet::Disconnect(disconnect));
    assert_eq!(recorder.session_events(), ["saved dev 30s", "removed dev"]);
}

#[test]
fn a_restored_session_is_present_keeps_its_subscriptions_and_expires_on_time() {
    let (world, recorder) = durable_world(BrokerConfig::default());
    let restored = RestoredSession {
        client_id: mqtt_string("dev"),
        record: SessionRecord {
            version: V5,
            expiry: std::time::Duration::from_secs(100),
            expires_at: None,
            will: None,
        },
        subscriptions: vec![(
            "a/#".to_owned(),
            SubscriptionRecord {
                options: hermod_codec::SubscriptionOptions::with_qos(QoS::AtLeastOnce),
                subscription_id: None,
            },
        )],
        messages: Vec::new(),
    };
    assert!(
        world
            .broker
            .restore_session(world.clock.now(), restored.clone())
    );
    assert!(!world.broker.restore_session(world.clock.now(), restored));
    assert!(recorder.session_events().is_empty(), "not recorded again");

    // Offline: a QoS 1 message to its subscription waits for it.
    let mut publisher = world.client(V5, "pub");
    publisher
        .publish("a/1", b"while away", QoS::AtLeastOnce, 1)
        .unwrap();
    let (mut device, connack) = world.connect(persistent(V5, "dev", 100));
    assert!(connack.session_present);
    assert_eq!(payloads(&device.publishes()), ["while away"]);
    device.close();
    recorder.session_events();

    // A restored session nobody reconnects to expires its interval after the restart.
    let idle = RestoredSession {
        client_id: mqtt_string("idle"),
        record: SessionRecord {
            version: V3,
            expiry: std::time::Duration::from_secs(50),
            expires_at: None,
            will: None,
        },
        subscriptions: Vec::new(),
        messages: Vec::new(),
    };
    assert!(world.broker.restore_session(world.clock.now(), idle));
    world.advance(std::time::Duration::from_secs(49));
    assert!(world.broker.session(&mqtt_string("idle")).is_some());
    world.advance(std::time::Duration::from_secs(2));
    assert!(world.broker.session(&mqtt_string("idle")).is_none());
    assert_eq!(recorder.session_events(), ["removed idle"]);
    world.advance(std::time::Duration::from_secs(50));
    assert!(world.broker.session(&mqtt_string("dev")).is_none());
    assert_eq!(recorder.session_events(), ["removed dev"]);
}

fn ack_reason(packet: &Option<Packet>) -> Option<ReasonCode> {
    match packet {
        Some(Packet::PubAck(ack)) => Some(ack.reason),
        Some(Packet::PubRec(rec)) => Some(rec.reason),
        _ => None,
    }
}

#[test]
fn queued_qos1_and_qos2_messages_of_persistent_sessions_are_recorded_until_acknowledged() {
    let (world, recorder) = durable_world(BrokerConfig::default());
    let (mut device, _) = world.connect(persistent(V5, "dev", 60));
    device.subscribe("t/#", QoS::ExactlyOnce);
    let mut clean = world.client(V5, "clean");
    clean.subscribe("t/#", QoS::AtLeastOnce);
    let mut publisher = world.client(V5, "pub");
    recorder.message_events();

    publisher.publish("t/0", b"zero", QoS::AtMostOnce, 0);
    publisher
        .publish("t/1", b"one", QoS::AtLeastOnce, 1)
        .unwrap();
    publisher
        .publish("t/2", b"two", QoS::ExactlyOnce, 2)
        .unwrap();
    // Only the persistent session's QoS 1/2 messages; the clean session's never.
    assert_eq!(recorder.message_events(), ["+dev 1", "+dev 2"]);
    clean.publishes();

    let got = device.publishes();
    assert_eq!(payloads(&got), ["zero", "one", "two"]);
    // QoS 2 keeps its packet identifier on disk once sent.
    let two = got[2].packet_id.unwrap();
    assert_eq!(
        recorder.message_events(),
        [format!("+dev 2 #{} AwaitingPubRec", two.get())]
    );
    device
        .send(Packet::PubAck(hermod_codec::PubAck::new(
            got[1].packet_id.unwrap(),
        )))
        .unwrap();
    device
        .send(Packet::PubRec(hermod_codec::PubRec::new(two)))
        .unwrap();
    assert_eq!(
        recorder.message_events(),
        [
            "-dev 1".to_owned(),
            format!("+dev 2 #{} AwaitingPubComp", two.get())
        ]
    );
    device.received();
    device
        .send(Packet::PubComp(hermod_codec::PubComp::new(two)))
        .unwrap();
    assert_eq!(recorder.message_events(), ["-dev 2"]);
}

#[test]
fn overflow_and_expiry_remove_what_they_drop() {
    let (world, recorder) = durable_world(BrokerConfig {
        max_queued_messages: 2,
        ..BrokerConfig::default()
    });
    let (mut device, _) = world.connect(persistent(V5, "dev", 60));
    device.subscribe("t", QoS::AtLeastOnce);
    device.close();
    let mut publisher = world.client(V5, "pub");
    recorder.message_events();
    for id in 1..=3 {
        publisher.publish("t", b"m", QoS::AtLeastOnce, id).unwrap();
    }
    // Drop-oldest: the first one goes when the third arrives.
    assert_eq!(
        recorder.message_events(),
        ["+dev 1", "+dev 2", "+dev 3", "-dev 1"]
    );
}

#[test]
fn acknowledgements_wait_for_the_store_and_keep_their_order() {
    for version in [V3, V5] {
        let (world, recorder) = durable_world(BrokerConfig::default());
        let (mut device, _) = world.connect(persistent(version, "dev", 60));
        device.subscribe("stored", QoS::AtLeastOnce);
        device.close();
        let mut publisher = world.client(version, "pub");

        recorder.hold();
        // Stored for "dev": held. Not stored (no subscriber): held behind it, in order.
        assert!(
            publisher
                .publish("stored", b"a", QoS::AtLeastOnce, 1)
                .is_none()
        );
        assert!(
            publisher
                .publish("nobody", b"b", QoS::AtLeastOnce, 2)
                .is_none()
        );
        assert!(
            publisher
                .publish("stored", b"c", QoS::ExactlyOnce, 3)
                .is_none()
        );
        assert!(
            !publisher.connection.is_idle(),
            "{version}: not parked with held acks"
        );
        assert!(publisher.received().is_empty());

        recorder.release();
        let acks: Vec<(u16, bool)> = publisher
            .received()
            .into_iter()
            .filter_map(|packet| match packet {
                Packet::PubAck(ack) => Some((ack.packet_id.get(), true)),
                Packet::PubRec(rec) => Some((rec.packet_id.get(), false)),
                _ => None,
            })
            .collect();
        assert_eq!(acks, [(1, true), (2, true), (3, false)], "{version}");
        // Nothing held any more: the next one goes at once.
        assert!(
            publisher
                .publish("stored", b"d", QoS::AtLeastOnce, 4)
                .is_some()
        );
    }
}

#[test]
fn a_message_the_store_could_not_keep_is_refused_not_acknowledged() {
    let (world, recorder) = durable_world(BrokerConfig::default());
    let (mut device, _) = world.connect(persistent(V5, "dev", 60));
    device.subscribe("stored", QoS::AtLeastOnce);
    device.close();

    let mut v5 = world.client(V5, "pub5");
    recorder.hold();
    recorder
        .failing
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let refused = v5.publish("stored", b"a", QoS::AtLeastOnce, 1);
    assert_eq!(ack_reason(&refused), Some(ReasonCode::UNSPECIFIED_ERROR));
    let refused = v5.publish("stored", b"b", QoS::ExactlyOnce, 2);
    assert_eq!(ack_reason(&refused), Some(ReasonCode::UNSPECIFIED_ERROR));
    // The QoS 2 flow ended: the same packet id is a new message.
    recorder.release();
    let accepted = v5.publish("stored", b"b", QoS::ExactlyOnce, 2);
    assert_eq!(ack_reason(&accepted), Some(ReasonCode::SUCCESS));

    // MQTT 3.1.1 has no negative PUBACK: the connection closes unacknowledged.
    let mut v3 = world.client(V3, "pub3");
    recorder.hold();
    assert!(v3.publish("stored", b"c", QoS::AtLeastOnce, 1).is_none());
    assert_eq!(v3.closed(), Some(crate::CloseReason::StorageFailure));
}

#[test]
fn restored_messages_are_queued_and_in_flight_ones_resent_with_their_packet_ids() {
    let (world, recorder) = durable_world(BrokerConfig::default());
    let message = |payload: &'static [u8]| {
        std::sync::Arc::new(Message {
            topic: TopicName::new("t").unwrap(),
            payload: bytes::Bytes::from_static(payload),
            qos: QoS::ExactlyOnce,
            retain: false,
            properties: Default::default(),
            publisher: None,
            publisher_client_id: mqtt_string("pub"),
            expires_at: None,
            encoded: Default::default(),
        })
    };
    let delivery = |payload, qos| Delivery {
        message: message(payload),
        qos,
        retain: false,
        subscription_ids: Vec::new(),
        shared: None,
        seq: 0,
    };
    let restored = RestoredSession {
        client_id: mqtt_string("dev"),
        record: SessionRecord {
            version: V5,
            expiry: std::time::Duration::from_secs(100),
            expires_at: None,
            will: None,
        },
        subscriptions: Vec::new(),
        messages: vec![
            RestoredMessage {
                seq: 4,
                delivery: delivery(b"released", QoS::ExactlyOnce),
                inflight: Some((packet_id(7), OutboundStage::AwaitingPubComp)),
            },
            RestoredMessage {
                seq: 5,
                delivery: delivery(b"sent", QoS::ExactlyOnce),
                inflight: Some((packet_id(9), OutboundStage::AwaitingPubRec)),
            },
            RestoredMessage {
                seq: 6,
                delivery: delivery(b"queued", QoS::AtLeastOnce),
                inflight: None,
            },
        ],
    };
    assert!(world.broker.restore_session(world.clock.now(), restored));
    let (mut device, connack) = world.connect(persistent(V5, "dev", 100));
    assert!(connack.session_present);
    let packets = device.received();
    let summary: Vec<String> = packets
        .iter()
        .map(|packet| match packet {
            Packet::PubRel(rel) => format!("PUBREL {}", rel.packet_id.get()),
            Packet::Publish(publish) => format!(
                "PUBLISH {} dup={} {}",
                publish.packet_id.map_or(0, PacketId::get),
                publish.dup,
                String::from_utf8_lossy(&publish.payload)
            ),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(summary[0], "PUBREL 7");
    assert_eq!(summary[1], "PUBLISH 9 dup=true sent");
    assert!(summary[2].ends_with("dup=false queued"), "{summary:?}");
    // Numbering continues after the restored ones.
    device.subscribe("x", QoS::AtLeastOnce);
    let mut publisher = world.client(V5, "pub");
    recorder.message_events();
    publisher.publish("x", b"new", QoS::AtLeastOnce, 1).unwrap();
    assert_eq!(recorder.message_events(), ["+dev 7"]);
}

fn will_message(topic: &str, payload: &'static [u8]) -> std::sync::Arc<Message> {
    std::sync::Arc::new(Message {
        topic: TopicName::new(topic).unwrap(),
        payload: bytes::Bytes::from_static(payload),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Default::default(),
        publisher: None,
        publisher_client_id: mqtt_string("dev"),
        expires_at: None,
        encoded: Default::default(),
    })
}

#[test]
fn the_stored_record_carries_the_will_and_the_offline_deadline() {
    let (world, recorder) = durable_world(BrokerConfig::default());
    let mut watcher = world.client(V5, "watcher");
    watcher.subscribe("wills/#", QoS::AtLeastOnce);
    let (mut device, _) = world.connect(with_will(
        persistent(V5, "dev", 300),
        "wills/dev",
        b"gone",
        Some(60),
    ));
    recorder.session_events();
    device.close();
    // Saved on the way out; the will is published 60 s later and the record saved again
    // without it, so a restart after that does not publish it twice.
    assert_eq!(recorder.session_events(), ["saved dev 300s"]);
    world.advance(std::time::Duration::from_secs(61));
    assert_eq!(payloads(&watcher.publishes()), ["gone"]);
    assert_eq!(recorder.session_events(), ["saved dev 300s"]);
}

#[test]
fn restored_wills_and_deadlines_keep_their_times() {
    let (world, _recorder) = durable_world(BrokerConfig::default());
    let mut watcher = world.client(V5, "watcher");
    watcher.subscribe("wills/#", QoS::AtLeastOnce);
    let now = world.clock.now();
    let session = |id: &str, expires_at, will| RestoredSession {
        client_id: mqtt_string(id),
        record: SessionRecord {
            version: V5,
            expiry: std::time::Duration::from_secs(300),
            expires_at,
            will,
        },
        subscriptions: Vec::new(),
        messages: Vec::new(),
    };
    // Offline, its will due 20 s from now and its expiry 100 s from now.
    assert!(world.broker.restore_session(
        now,
        session(
            "away",
            Some(now + std::time::Duration::from_secs(100)),
            Some(crate::persist::StoredWill {
                message: will_message("wills/away", b"away"),
                delay: std::time::Duration::from_secs(60),
                publish_at: Some(now + std::time::Duration::from_secs(20)),
            }),
        )
    ));
    // Connected when the broker stopped: an abnormal end, its will 5 s after the restart.
    assert!(world.broker.restore_session(
        now,
        session(
            "crashed",
            None,
            Some(crate::persist::StoredWill {
                message: will_message("wills/crashed", b"crashed"),
                delay: std::time::Duration::from_secs(5),
                publish_at: None,
            }),
        )
    ));
    // Its deadline passed while the broker was down: it ends at the first timer run.
    assert!(world.broker.restore_session(
        now,
        session("late", Some(now - std::time::Duration::from_secs(1)), None)
    ));
    world.advance(std::time::Duration::ZERO);
    assert!(world.broker.session(&mqtt_string("late")).is_none());
    assert!(watcher.publishes().is_empty());
    world.advance(std::time::Duration::from_secs(5));
    assert_eq!(payloads(&watcher.publishes()), ["crashed"]);
    world.advance(std::time::Duration::from_secs(14));
    assert!(watcher.publishes().is_empty(), "not before its time");
    world.advance(std::time::Duration::from_secs(1));
    assert_eq!(payloads(&watcher.publishes()), ["away"]);
    world.advance(std::time::Duration::from_secs(79));
    assert!(world.broker.session(&mqtt_string("away")).is_some());
    world.advance(std::time::Duration::from_secs(1));
    assert!(world.broker.session(&mqtt_string("away")).is_none());
    // "crashed" expires 300 s after the restart.
    assert!(world.broker.session(&mqtt_string("crashed")).is_some());
}
