//! A failing disk, end to end: a broker whose store fails on purpose refuses QoS 1/2 messages
//! for persistent sessions (MQTT 5: PUBACK 0x80; MQTT 3.1.1: the connection closes without an
//! acknowledgement), keeps serving everything else, and accepts them again once the disk
//! recovers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on a broken fixture.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::STEP;
use common::raw::Client;
use hermod_codec::{
    Packet, PacketId, ProtocolVersion, PubAck, Publish, QoS, ReasonCode, Subscribe,
    SubscriptionOptions, TopicFilter, TopicName,
};
use hermod_core::persist::Persistence;
use hermod_core::{Broker, BrokerConfig};
use hermod_server::{Server, ServerConfig};
use hermod_store::{Backend, Durability, FjallBackend, Op, Space, Store, StoreConfig, StoreError};
use tokio_util::sync::CancellationToken;

/// The real engine, failing every write and sync while `fail` is set.
#[derive(Debug)]
struct FailingDisk {
    inner: FjallBackend,
    fail: Arc<AtomicBool>,
}

impl Backend for FailingDisk {
    fn apply(&mut self, ops: &[Op]) -> Result<(), StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::engine(std::io::Error::other(
                "No space left on device (test)",
            )));
        }
        self.inner.apply(ops)
    }

    fn sync(&mut self) -> Result<(), StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::engine(std::io::Error::other(
                "I/O error (test)",
            )));
        }
        self.inner.sync()
    }

    fn scan(
        &self,
        space: Space,
        prefix: &[u8],
    ) -> Result<hermod_store::backend::Entries, StoreError> {
        self.inner.scan(space, prefix)
    }
}

/// An in-process broker on the failing disk.
struct DurableBroker {
    address: SocketAddr,
    shutdown: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DurableBroker {
    fn start(data_dir: &std::path::Path, fail: &Arc<AtomicBool>) -> DurableBroker {
        let fail = Arc::clone(fail);
        let config = StoreConfig {
            data_dir: data_dir.to_path_buf(),
            durability: Durability::Sync,
        };
        let (store, _) = Store::open_on(&config, move |path| {
            Ok(Box::new(FailingDisk {
                inner: FjallBackend::open(path)?,
                fail,
            }) as Box<dyn Backend>)
        })
        .unwrap();
        let persistence: Arc<dyn Persistence> = Arc::new(store);
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let broker = Broker::with_persistence(BrokerConfig::default(), persistence);
                let config = ServerConfig {
                    listen: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
                    shutdown_grace: Duration::from_millis(200),
                    ..ServerConfig::default()
                };
                let server = Server::bind(config, broker).await.unwrap();
                address_tx.send(server.local_addrs()[0]).unwrap();
                server.run(token).await;
            });
        });
        let address = address_rx.recv_timeout(STEP).unwrap();
        DurableBroker {
            address,
            shutdown,
            thread: Some(thread),
        }
    }
}

impl Drop for DurableBroker {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn subscribe(client: &mut Client, filter: &str) {
    client.send(&Packet::Subscribe(Subscribe::new(
        PacketId::MIN,
        TopicFilter::new(filter).unwrap(),
        SubscriptionOptions::with_qos(QoS::AtLeastOnce),
    )));
    assert!(matches!(client.next(), Some(Packet::SubAck(_))));
}

/// Publishes at QoS 1 and returns the broker's answer: the PUBACK, or `None` if it closed.
fn publish(client: &mut Client, topic: &str, id: u16) -> Option<Packet> {
    let mut publish = Publish::new(TopicName::new(topic).unwrap(), Bytes::from_static(b"m"));
    publish.qos = QoS::AtLeastOnce;
    publish.packet_id = PacketId::new(id);
    client.send(&Packet::Publish(publish));
    loop {
        match client.next()? {
            Packet::Publish(incoming) => {
                if let Some(id) = incoming.packet_id {
                    client.send(&Packet::PubAck(PubAck::new(id)));
                }
            }
            other => return Some(other),
        }
    }
}

#[test]
fn a_failing_disk_refuses_durable_messages_serves_the_rest_and_recovers() {
    let root = tempfile::tempdir().unwrap();
    let fail = Arc::new(AtomicBool::new(false));
    let broker = DurableBroker::start(root.path(), &fail);
    let v5 = ProtocolVersion::V5;

    let (mut device, _) = Client::connect(broker.address, v5, "device", false);
    subscribe(&mut device, "stored");
    drop(device);
    let (mut live, _) = Client::connect(broker.address, v5, "live", true);
    subscribe(&mut live, "live");

    fail.store(true, Ordering::SeqCst);
    let (mut publisher, _) = Client::connect(broker.address, v5, "publisher", true);
    match publish(&mut publisher, "stored", 1) {
        Some(Packet::PubAck(ack)) => assert_eq!(ack.reason, ReasonCode::UNSPECIFIED_ERROR),
        other => panic!("expected a refusing PUBACK, got {other:?}"),
    }
    // MQTT 3.1.1 has no negative PUBACK: the connection closes, unacknowledged.
    let (mut old, _) = Client::connect(broker.address, ProtocolVersion::V3_1_1, "old", true);
    match publish(&mut old, "stored", 1) {
        None => {}
        Some(Packet::PubAck(ack)) => panic!("a 3.1.1 message was acknowledged: {ack:?}"),
        Some(other) => panic!("unexpected {other:?}"),
    }
    // Everything that needs no disk goes on: a clean subscriber gets its messages.
    let (mut other, _) = Client::connect(broker.address, v5, "other", true);
    match publish(&mut other, "live", 1) {
        Some(Packet::PubAck(ack)) => assert_eq!(ack.reason, ReasonCode::SUCCESS),
        got => panic!("expected a PUBACK, got {got:?}"),
    }
    assert!(matches!(live.next(), Some(Packet::Publish(_))));

    // The disk recovers: the next message for the persistent session is acknowledged.
    fail.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + STEP;
    let mut id = 2;
    loop {
        assert!(
            Instant::now() < deadline,
            "never acknowledged after the disk recovered"
        );
        match publish(&mut publisher, "stored", id) {
            Some(Packet::PubAck(ack)) if ack.reason == ReasonCode::SUCCESS => break,
            Some(Packet::PubAck(_)) => id += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    let (mut device, present) = Client::connect(broker.address, v5, "device", false);
    assert!(present);
    assert!(matches!(device.next(), Some(Packet::Publish(_))));
}
