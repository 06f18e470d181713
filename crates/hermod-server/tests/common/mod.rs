//! Shared helpers for the integration tests: a real broker on an ephemeral loopback port,
//! bounded waits, rumqttc clients for MQTT 3.1.1 ([`v3`]) and 5.0 ([`v5`]), and a raw client
//! that writes and reads packets with `hermod_codec` ([`codec_client`]).
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

use hermod_core::{Broker, BrokerConfig};
use hermod_server::{Server, ServerConfig};
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
        let broker = Broker::new(config);
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
        }
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
