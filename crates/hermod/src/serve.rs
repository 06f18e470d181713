//! `hermod serve`: load the configuration, start logging, bind, serve until SIGINT or SIGTERM.
//!
//! The order matters: the configuration is loaded and validated completely before the log
//! subscriber is installed and before any port is bound, so an invalid configuration starts
//! nothing. A first SIGINT/SIGTERM starts a graceful shutdown ([`Server::run`] tells clients
//! and waits up to `server.shutdown_grace`), after which the process exits 0; a second signal
//! during the shutdown exits at once.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use hermod_core::Broker;
use hermod_core::persist::Persistence;
use hermod_server::Server;
use hermod_store::{Recovered, Store};
use tokio_util::sync::CancellationToken;

use crate::cli::ServeArgs;
use crate::config::settings::StorageMode;
use crate::config::{self, Loaded};
use crate::logging;

/// The exit status of a forced exit (second signal during shutdown): 128 + SIGINT.
const FORCED_EXIT_STATUS: i32 = 130;

/// Runs the broker until a shutdown signal; returns once it has shut down.
pub(crate) fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let loaded =
        config::load_from_process(args.config.config.as_deref(), &args.config.overrides())?;
    logging::init(&loaded.config)?;
    let mut store = open_store(&loaded)?;
    let broker = match &mut store {
        Some((store, recovered)) => {
            let persistence: Arc<dyn Persistence> = store.clone();
            let broker = Broker::with_persistence(loaded.config.broker_config(), persistence);
            let retained = broker.restore_retained(recovered.retained.drain(..));
            let now = std::time::Instant::now();
            let mut sessions = 0;
            let mut subscriptions = 0;
            for session in recovered.sessions.drain(..) {
                let count = session.subscriptions.len();
                if broker.restore_session(now, session) {
                    sessions += 1;
                    subscriptions += count;
                }
            }
            tracing::info!(
                data_dir = %store.path().display(),
                sessions,
                subscriptions,
                messages = recovered.messages,
                retained,
                elapsed_ms = recovered.elapsed.as_millis(),
                "recovered the data directory"
            );
            broker
        }
        None => Broker::new(loaded.config.broker_config()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("hermod")
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(run(loaded, broker));
    // Ends every task and the broker handles they hold; then the last handle on the store
    // goes, and its writer syncs what is pending before the directory's lock is released.
    drop(runtime);
    if let Some((store, _)) = store {
        drop(store);
        tracing::info!("data directory closed");
    }
    result
}

/// Opens the data directory when storage is on.
fn open_store(loaded: &Loaded) -> anyhow::Result<Option<(Arc<Store>, Recovered)>> {
    let Some(config) = loaded.config.storage.store_config() else {
        return Ok(None);
    };
    let (store, recovered) = Store::open(&config).with_context(|| {
        format!(
            "cannot open the data directory {}",
            config.data_dir.display()
        )
    })?;
    Ok(Some((Arc::new(store), recovered)))
}

async fn run(loaded: Loaded, broker: Broker) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let signals = Signals::install().context("cannot install the signal handlers")?;
    let server = Server::bind(loaded.config.server_config(), broker)
        .await
        .context("cannot start the broker")?;
    announce(&loaded, &server.local_addrs());
    let watcher = tokio::spawn(signals.watch(shutdown.clone()));
    server.run(shutdown).await;
    watcher.abort();
    tracing::info!("stopped");
    Ok(())
}

/// Logs the one start-up line: where the broker listens, that access is anonymous, and
/// whether it runs on the built-in defaults.
fn announce(loaded: &Loaded, addresses: &[SocketAddr]) {
    let listen = addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let loopback_only = addresses.iter().all(|address| address.ip().is_loopback());
    let version = env!("CARGO_PKG_VERSION");
    let storage = match loaded.config.storage.mode {
        StorageMode::Off => "in-memory".to_owned(),
        StorageMode::Sync => format!("sync ({})", loaded.config.storage.data_dir.display()),
        StorageMode::Periodic => format!(
            "periodic every {:?} ({})",
            loaded.config.storage.flush_interval,
            loaded.config.storage.data_dir.display()
        ),
    };
    match &loaded.file {
        Some(path) => tracing::info!(
            %listen,
            access = "anonymous",
            %storage,
            config = %path.display(),
            version,
            "listening; anonymous access (no authentication configured)"
        ),
        None if loopback_only => tracing::info!(
            %listen,
            access = "anonymous",
            %storage,
            config = "built-in defaults",
            version,
            "listening; anonymous access (no authentication configured); no configuration \
             file, so built-in defaults on loopback only (use --config or --bind to accept \
             remote clients)"
        ),
        None => tracing::info!(
            %listen,
            access = "anonymous",
            %storage,
            config = "built-in defaults",
            version,
            "listening; anonymous access (no authentication configured); no configuration \
             file, so built-in defaults"
        ),
    }
    if !loopback_only {
        tracing::warn!(
            %listen,
            "anonymous access on a non-loopback address: any client that can reach it may \
             publish and subscribe to every topic"
        );
    }
}

/// The shutdown signals: SIGINT (Ctrl-C) and SIGTERM on Unix, Ctrl-C elsewhere.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Registers the handlers (before binding, so an early signal is not lost).
    fn install() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// Cancels `shutdown` on the first signal; exits the process on the second.
    async fn watch(mut self, shutdown: CancellationToken) {
        let first = self.next().await;
        tracing::info!(
            signal = first,
            "shutdown requested; a second signal exits at once"
        );
        shutdown.cancel();
        let second = self.next().await;
        tracing::warn!(
            signal = second,
            "second signal: exiting without waiting for clients"
        );
        std::process::exit(FORCED_EXIT_STATUS);
    }

    /// Waits for the next signal and names it. (A stream only ends when the runtime shuts
    /// down, after which nothing waits here.)
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                Some(()) = self.interrupt.recv() => "SIGINT",
                Some(()) = self.terminate.recv() => "SIGTERM",
                else => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => "Ctrl-C",
                Err(error) => {
                    tracing::error!(%error, "cannot listen for Ctrl-C");
                    std::future::pending().await
                }
            }
        }
    }
}
