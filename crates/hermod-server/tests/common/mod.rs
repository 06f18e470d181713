//! Shared helpers for the integration tests: a real broker on an ephemeral loopback port, and
//! bounded waits.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use hermod_core::{Broker, BrokerConfig};
use hermod_server::{Server, ServerConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long any single wait in a test may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

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
        let broker = Broker::new(config);
        let server_config = ServerConfig {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
            ..ServerConfig::default()
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
