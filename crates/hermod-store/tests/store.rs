//! The store behind the broker's `Persistence` trait: what is recorded comes back at the next
//! open; expired messages are dropped; an unreadable record stops the open.
#![allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hermod_codec::{MqttString, PublishProperties, QoS, TopicName};
use hermod_core::Message;
use hermod_core::persist::Persistence;
use hermod_store::{Backend, Durability, FjallBackend, Op, Space, Store, StoreConfig, StoreError};

fn config(path: &std::path::Path, durability: Durability) -> StoreConfig {
    StoreConfig {
        data_dir: path.to_path_buf(),
        durability,
    }
}

fn retained(topic: &str, payload: &'static [u8], expires_at: Option<Instant>) -> Message {
    Message {
        topic: TopicName::new(topic).unwrap(),
        payload: Bytes::from_static(payload),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: PublishProperties::default(),
        publisher: None,
        publisher_client_id: MqttString::new("publisher").unwrap(),
        expires_at,
        encoded: OnceLock::new(),
    }
}

#[test]
fn retained_changes_come_back_in_order_and_expired_ones_do_not() {
    let root = tempfile::tempdir().unwrap();
    for durability in [
        Durability::Sync,
        Durability::Periodic(Duration::from_millis(10)),
    ] {
        let path = root.path().join(format!("{durability:?}"));
        {
            let (store, recovered) = Store::open(&config(&path, durability)).unwrap();
            assert!(recovered.retained.is_empty());
            let a = TopicName::new("a").unwrap();
            store.retained_changed(&a, Some(&retained("a", b"first", None)));
            store.retained_changed(&a, Some(&retained("a", b"second", None)));
            let b = TopicName::new("b").unwrap();
            store.retained_changed(&b, Some(&retained("b", b"cleared", None)));
            store.retained_changed(&b, None);
            let soon = Instant::now() + Duration::from_millis(1);
            let c = TopicName::new("c").unwrap();
            store.retained_changed(&c, Some(&retained("c", b"expires", Some(soon))));
            let later = Instant::now() + Duration::from_secs(3600);
            let d = TopicName::new("d").unwrap();
            store.retained_changed(&d, Some(&retained("d", b"keeps", Some(later))));
            // Expired by the time the store is opened again.
            while Instant::now() <= soon {
                std::thread::yield_now();
            }
        }
        let (_store, recovered) = Store::open(&config(&path, durability)).unwrap();
        let mut found: Vec<(String, Bytes)> = recovered
            .retained
            .iter()
            .map(|message| (message.topic.as_str().to_owned(), message.payload.clone()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("a".to_owned(), Bytes::from_static(b"second")),
                ("d".to_owned(), Bytes::from_static(b"keeps"))
            ],
            "{durability:?}"
        );
        let d = &recovered
            .retained
            .iter()
            .find(|m| m.topic.as_str() == "d")
            .unwrap();
        assert!(!d.is_expired(Instant::now()));
    }
}

#[test]
fn an_unreadable_record_stops_the_open_and_names_it() {
    let root = tempfile::tempdir().unwrap();
    drop(Store::open(&config(root.path(), Durability::Sync)).unwrap());
    {
        let mut backend = FjallBackend::open(&root.path().join("engine")).unwrap();
        backend
            .apply(&[Op::Put {
                space: Space::Retained,
                key: b"broken/topic".to_vec(),
                value: vec![1, 2, 3],
            }])
            .unwrap();
        backend.sync().unwrap();
    }
    let error = Store::open(&config(root.path(), Durability::Sync)).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, StoreError::CorruptRecord { .. }), "{text}");
    assert!(text.contains("broken/topic"), "{text}");
    assert!(text.contains(&root.path().display().to_string()), "{text}");
    // Still there for whoever repairs it.
    let backend = FjallBackend::open(&root.path().join("engine")).unwrap();
    assert_eq!(backend.scan(Space::Retained, b"").unwrap().len(), 1);
}

#[test]
fn sessions_come_back_with_their_subscriptions_and_removed_ones_leave_nothing() {
    use hermod_codec::{ProtocolVersion, SubscriptionOptions};
    use hermod_core::persist::SessionRecord;
    use hermod_core::session::SubscriptionRecord;

    let root = tempfile::tempdir().unwrap();
    let subscription = |qos| SubscriptionRecord {
        options: SubscriptionOptions::with_qos(qos),
        subscription_id: None,
    };
    let kept = MqttString::new("kept").unwrap();
    let gone = MqttString::new("gone").unwrap();
    // "kept" is a prefix of "kept2": removing "kept" must not touch "kept2".
    let neighbour = MqttString::new("kept2").unwrap();
    {
        let (store, _) = Store::open(&config(root.path(), Durability::Sync)).unwrap();
        for client in [&kept, &gone, &neighbour] {
            store.session_saved(
                client,
                &SessionRecord {
                    version: ProtocolVersion::V5,
                    expiry: Duration::from_secs(300),
                    expires_at: None,
                    will: None,
                },
            );
            store.subscription_saved(client, "a/+", &subscription(QoS::AtLeastOnce));
        }
        store.subscription_saved(&kept, "b/#", &subscription(QoS::ExactlyOnce));
        store.subscription_saved(&kept, "c", &subscription(QoS::AtMostOnce));
        store.subscription_removed(&kept, "c");
        store.session_removed(&gone);
        store.session_saved(
            &kept,
            &SessionRecord {
                version: ProtocolVersion::V3_1_1,
                expiry: Duration::from_secs(7200),
                expires_at: None,
                will: None,
            },
        );
    }
    let (_store, recovered) = Store::open(&config(root.path(), Durability::Sync)).unwrap();
    let sessions: Vec<_> = recovered
        .sessions
        .iter()
        .map(|session| {
            let filters: Vec<&str> = session
                .subscriptions
                .iter()
                .map(|(filter, _)| filter.as_str())
                .collect();
            (
                session.client_id.as_str(),
                session.record.version,
                session.record.expiry.as_secs(),
                filters,
            )
        })
        .collect();
    assert_eq!(
        sessions,
        [
            ("kept", ProtocolVersion::V3_1_1, 7200, vec!["a/+", "b/#"]),
            ("kept2", ProtocolVersion::V5, 300, vec!["a/+"]),
        ]
    );
    let kept_b = &recovered.sessions[0].subscriptions[1].1;
    assert_eq!(kept_b.options.qos, QoS::ExactlyOnce);
}

#[test]
fn queued_and_in_flight_messages_come_back_in_order_under_their_session() {
    use hermod_codec::{PacketId, ProtocolVersion};
    use hermod_core::Delivery;
    use hermod_core::persist::SessionRecord;
    use hermod_core::session::OutboundStage;
    use std::sync::Arc;

    let root = tempfile::tempdir().unwrap();
    let dev = MqttString::new("dev").unwrap();
    let delivery = |payload: &'static [u8], expires_at| Delivery {
        message: Arc::new(retained("t", payload, expires_at)),
        qos: QoS::AtLeastOnce,
        retain: false,
        subscription_ids: Vec::new(),
        shared: None,
        seq: 0,
    };
    let soon = Instant::now() + Duration::from_millis(1);
    {
        let (store, _) = Store::open(&config(root.path(), Durability::Sync)).unwrap();
        store.session_saved(
            &dev,
            &SessionRecord {
                version: ProtocolVersion::V5,
                expiry: Duration::from_secs(300),
                expires_at: None,
                will: None,
            },
        );
        for seq in 1..=300 {
            store.message_saved(&dev, seq, &delivery(b"m", None), None);
        }
        for seq in 1..=297 {
            store.message_removed(&dev, seq);
        }
        store.message_saved(
            &dev,
            298,
            &delivery(b"m", None),
            Some((PacketId::new(4).unwrap(), OutboundStage::AwaitingPubRec)),
        );
        store.message_saved(&dev, 301, &delivery(b"gone", Some(soon)), None);
        // A last change, to wait on: everything before it is durable too.
        store.message_saved(&dev, 302, &delivery(b"last", None), None);
        let last = store.last_change();
        let waker = std::task::Waker::noop();
        while store.poll_durable(last, waker).is_pending() {
            std::thread::yield_now();
        }
        while Instant::now() <= soon {
            std::thread::yield_now();
        }
    }
    let (_store, recovered) = Store::open(&config(root.path(), Durability::Sync)).unwrap();
    assert_eq!(recovered.messages, 4);
    let session = &recovered.sessions[0];
    let got: Vec<(u64, Option<u16>)> = session
        .messages
        .iter()
        .map(|message| (message.seq, message.inflight.map(|(id, _)| id.get())))
        .collect();
    assert_eq!(got, [(298, Some(4)), (299, None), (300, None), (302, None)]);
    assert_eq!(
        session.messages[3].delivery.message.payload,
        Bytes::from_static(b"last")
    );
}
