//! What the broker tells a durable store ([`crate::persist::Persistence`]), and restoring what
//! a store recovered.

use std::sync::{Arc, Mutex};

use hermod_codec::{MqttString, QoS, TopicName};

use super::harness::*;
use crate::message::Message;
use crate::persist::{Persistence, RestoredSession, SessionRecord};
use crate::session::SubscriptionRecord;
use crate::{Broker, BrokerConfig};

/// Records every call, as (topic, payload or `None` for cleared).
#[derive(Debug, Default)]
struct Recorder {
    changes: Mutex<Vec<(String, Option<Vec<u8>>)>>,
    kept: Mutex<Vec<Message>>,
    /// Session events, as text: "saved id 60s", "removed id", "sub id filter", "unsub id filter".
    sessions: Mutex<Vec<String>>,
}

impl Recorder {
    fn session_events(&self) -> Vec<String> {
        std::mem::take(&mut *self.sessions.lock().unwrap())
    }
}

impl Persistence for Recorder {
    fn retained_changed(&self, topic: &TopicName, message: Option<&Message>) {
        self.changes.lock().unwrap().push((
            topic.as_str().to_owned(),
            message.map(|message| message.payload.to_vec()),
        ));
        if let Some(message) = message {
            self.kept.lock().unwrap().push(message.detached());
        }
    }

    fn session_saved(&self, client_id: &MqttString, record: &SessionRecord) {
        self.sessions
            .lock()
            .unwrap()
            .push(format!("saved {client_id} {}s", record.expiry.as_secs()));
    }

    fn session_removed(&self, client_id: &MqttString) {
        self.sessions
            .lock()
            .unwrap()
            .push(format!("removed {client_id}"));
    }

    fn subscription_saved(&self, client_id: &MqttString, filter: &str, _: &SubscriptionRecord) {
        self.sessions
            .lock()
            .unwrap()
            .push(format!("sub {client_id} {filter}"));
    }

    fn subscription_removed(&self, client_id: &MqttString, filter: &str) {
        self.sessions
            .lock()
            .unwrap()
            .push(format!("unsub {client_id} {filter}"));
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
        },
        subscriptions: vec![(
            "a/#".to_owned(),
            SubscriptionRecord {
                options: hermod_codec::SubscriptionOptions::with_qos(QoS::AtLeastOnce),
                subscription_id: None,
            },
        )],
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
        },
        subscriptions: Vec::new(),
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
