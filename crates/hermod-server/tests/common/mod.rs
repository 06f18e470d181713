//! Shared helpers for the integration tests: a real broker on an ephemeral loopback port,
//! bounded waits, rumqttc clients for MQTT 3.1.1 ([`v3`]) and 5.0 ([`v5`]), and a raw client
//! that writes and reads packets with `hermod_codec` ([`codec_client`]).
//!
//! The brokers are in memory, except in the `durable` test binary (`tests/durable.rs`), which
//! runs the same test files again with every broker on durable storage: `sync` mode, group
//! commit, acknowledgements held until durable, in a temporary data directory.
#![allow(dead_code)]

pub(crate) mod codec_client;
pub(crate) mod v3;
pub(crate) mod v5;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hermod_codec::{PublishProperties, QoS, TopicName};
use hermod_core::Message;

use hermod_core::persist::Persistence;
use hermod_core::{Broker, BrokerConfig};
use hermod_server::{Server, ServerConfig};
use hermod_store::{Durability, Store, StoreConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long any single wait in a test may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// How often [`wait_until`] re-checks its condition.
const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Awaits `future`, failing the test if it takes longer than [`WAIT`].
pub(crate) async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

/// Re-checks `condition` until it holds, failing the test after [`WAIT`]. For broker state
/// that has no event of its own (a session gone, a timer armed).
pub(crate) async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    within(what, async {
        while !condition() {
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    })
    .await;
}

/// A broker running in the test's runtime; stopped when dropped.
pub(crate) struct TestBroker {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// The broker, for inspecting state.
    pub(crate) broker: Broker,
    shutdown: CancellationToken,
    task: Option<JoinHandle<()>>,
    /// The data directory of a broker on durable storage; removed when the test ends.
    data_dir: Option<tempfile::TempDir>,
}

/// Whether this test binary runs its brokers on durable storage: true in `tests/durable.rs`,
/// which includes the other test files as its modules.
pub(crate) fn on_durable_storage() -> bool {
    module_path!().starts_with("durable::")
}

/// A broker with `config`: in memory, or on a fresh durable store in a temporary directory
/// (returned, so it lives as long as the broker's test).
fn new_broker(config: BrokerConfig) -> (Broker, Option<tempfile::TempDir>) {
    if !on_durable_storage() {
        return (Broker::new(config), None);
    }
    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let (store, recovered) = Store::open(&StoreConfig {
        data_dir: data_dir.path().to_path_buf(),
        durability: Durability::Sync,
    })
    .expect("a fresh data directory opens");
    assert_eq!(recovered.messages, 0, "a fresh data directory is empty");
    let persistence: Arc<dyn Persistence> = Arc::new(store);
    (
        Broker::with_persistence(config, persistence),
        Some(data_dir),
    )
}

impl TestBroker {
    /// Starts a broker with default limits on 127.0.0.1:0.
    pub(crate) async fn start() -> TestBroker {
        TestBroker::start_with(BrokerConfig::default()).await
    }

    /// Starts a broker with the given limits on 127.0.0.1:0.
    pub(crate) async fn start_with(config: BrokerConfig) -> TestBroker {
        TestBroker::start_with_server(config, ServerConfig::default()).await
    }

    /// Starts a broker with the given limits and server settings; it always listens on
    /// 127.0.0.1:0, whatever `server_config.listen` says.
    pub(crate) async fn start_with_server(
        config: BrokerConfig,
        server_config: ServerConfig,
    ) -> TestBroker {
        let (broker, data_dir) = new_broker(config);
        let server_config = ServerConfig {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
            ..server_config
        };
        let server = Server::bind(server_config, broker.clone())
            .await
            .expect("bind 127.0.0.1:0");
        let addr = server.local_addrs()[0];
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(server.run(shutdown.clone()));
        TestBroker {
            addr,
            broker,
            shutdown,
            task: Some(task),
            data_dir,
        }
    }

    /// Takes the broker's data directory (durable storage only), so it outlives the broker:
    /// a test can then open what the broker wrote.
    pub(crate) fn take_data_dir(&mut self) -> Option<tempfile::TempDir> {
        self.data_dir.take()
    }

    /// The port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Publishes a message as the broker itself would (a `$SYS` topic, for instance).
    pub(crate) fn inject(&self, topic: &str, payload: &'static [u8]) {
        let message = Message {
            topic: TopicName::new(topic).expect("valid topic"),
            payload: Bytes::from_static(payload),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: PublishProperties::default(),
            publisher: None,
            publisher_client_id: Default::default(),
            expires_at: None,
            encoded: Default::default(),
        };
        self.broker.publish(Instant::now(), Arc::new(message));
    }

    /// Shuts down gracefully and waits for the server to finish.
    pub(crate) async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT, task)
                .await
                .expect("server stops in time")
                .expect("server task did not panic");
        }
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
