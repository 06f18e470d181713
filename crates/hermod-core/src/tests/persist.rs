//! What the broker tells a durable store ([`crate::persist::Persistence`]), and restoring what
//! a store recovered.

use std::sync::{Arc, Mutex};

use hermod_codec::{QoS, TopicName};

use super::harness::*;
use crate::message::Message;
use crate::persist::Persistence;
use crate::{Broker, BrokerConfig};

/// Records every call, as (topic, payload or `None` for cleared).
#[derive(Debug, Default)]
struct Recorder {
    changes: Mutex<Vec<(String, Option<Vec<u8>>)>>,
    kept: Mutex<Vec<Message>>,
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
