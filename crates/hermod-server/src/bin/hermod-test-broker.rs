//! Test support: a broker with the default limits on an ephemeral loopback port, for test
//! suites in other languages (`tests/python`).
//!
//! It binds 127.0.0.1:0, prints `LISTENING <port>` on stdout once bound, and serves until its
//! standard input closes, or it receives SIGTERM or Ctrl-C; then it shuts down gracefully and
//! exits 0. Keep its stdin open (a pipe) for as long as the broker is needed: a parent that
//! dies closes the pipe, so the broker never outlives its test run.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use hermod_core::{Broker, BrokerConfig};
use hermod_server::{Server, ServerConfig};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> ExitCode {
    let config = ServerConfig {
        listen: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
        shutdown_grace: Duration::from_secs(1),
        ..ServerConfig::default()
    };
    let server = match Server::bind(config, Broker::new(BrokerConfig::default())).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("hermod-test-broker: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Some(addr) = server.local_addrs().first().copied() else {
        eprintln!("hermod-test-broker: no listening address");
        return ExitCode::FAILURE;
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "LISTENING {}", addr.port())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }

    let shutdown = CancellationToken::new();
    // Blocking stdin reads live on their own thread (tokio's stdin needs a feature we do
    // not otherwise use); EOF or an error means the parent is gone.
    let on_eof = shutdown.clone();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut sink = [0_u8; 256];
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        on_eof.cancel();
    });
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        on_signal.cancel();
    });
    server.run(shutdown).await;
    ExitCode::SUCCESS
}

/// Resolves on SIGTERM or Ctrl-C (only Ctrl-C off Unix).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
