//! Shared by the binary's integration tests: a broker running in-process on its own runtime
//! thread, on 127.0.0.1:0, stopped when dropped.
#![allow(dead_code)]

pub(crate) mod child;
pub(crate) mod raw;

use std::io::Read as _;
use std::net::SocketAddr;
use std::process::{Child, ExitStatus};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use hermod_core::{Broker, BrokerConfig};
use hermod_server::{Server, ServerConfig};
use tokio_util::sync::CancellationToken;

/// How long any one step (a child's output or exit) may take before the test fails.
pub(crate) const STEP: Duration = Duration::from_secs(30);

/// A broker running on its own runtime thread; stopped when dropped.
pub(crate) struct TestBroker {
    /// The port it listens on (127.0.0.1).
    pub(crate) port: u16,
    shutdown: CancellationToken,
    thread: Option<JoinHandle<()>>,
}

impl TestBroker {
    /// Starts a broker with default limits on 127.0.0.1:0.
    pub(crate) fn start() -> TestBroker {
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let (port_tx, port_rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                let config = ServerConfig {
                    listen: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
                    shutdown_grace: Duration::from_millis(200),
                    ..ServerConfig::default()
                };
                let server = Server::bind(config, Broker::new(BrokerConfig::default()))
                    .await
                    .expect("bind 127.0.0.1:0");
                port_tx
                    .send(server.local_addrs()[0].port())
                    .expect("the test is waiting for the port");
                server.run(token).await;
            });
        });
        let port = port_rx
            .recv_timeout(STEP)
            .expect("the broker did not start");
        TestBroker {
            port,
            shutdown,
            thread: Some(thread),
        }
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A child process, killed (by its own handle) when dropped.
pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits up to [`STEP`] for `child` to exit; returns its status and standard output (piped;
/// the tools' outputs are small enough not to fill the pipe first).
pub(crate) fn exit_and_stdout(child: &mut KillOnDrop) -> (ExitStatus, String) {
    let deadline = std::time::Instant::now() + STEP;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("the child can be waited for") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the child did not finish in time"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    if let Some(mut out) = child.0.stdout.take() {
        out.read_to_string(&mut stdout).expect("readable output");
    }
    (status, stdout)
}
