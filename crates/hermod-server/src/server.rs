//! Listeners, the accept loop, the broker's timer task and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hermod_core::Broker;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::parking::Lot;

/// Settings of the network edge.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Addresses to listen on. Default: 127.0.0.1:1883.
    pub listen: Vec<SocketAddr>,
    /// Most concurrent connections; more are closed on accept. Default: 100,000.
    pub max_connections: usize,
    /// How long shutdown waits for connections to close. Default: 5 s.
    pub shutdown_grace: Duration,
    /// How long a connection must have had nothing to do before it is parked: its task ends
    /// and its socket waits in the parking lot's epoll set (see `crate::parking`), which
    /// saves about half of an idle connection's memory; resuming it costs a few system
    /// calls. A new connection's first park comes after at most 100 ms of quiet. `None`:
    /// never. Default: 1 s.
    pub park_idle_after: Option<Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 1883))],
            max_connections: 100_000,
            shutdown_grace: Duration::from_secs(5),
            park_idle_after: Some(Duration::from_secs(1)),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A listen address could not be bound.
    #[error("cannot listen on {address}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// A bound server, ready to run.
#[derive(Debug)]
pub struct Server {
    broker: Broker,
    config: ServerConfig,
    listeners: Vec<TcpListener>,
}

impl Server {
    /// Binds every listen address (nothing runs yet).
    pub async fn bind(config: ServerConfig, broker: Broker) -> Result<Server, ServerError> {
        let mut listeners = Vec::with_capacity(config.listen.len());
        for &address in &config.listen {
            let listener =
                bind_listener(address).map_err(|source| ServerError::Bind { address, source })?;
            listeners.push(listener);
        }
        Ok(Server {
            broker,
            config,
            listeners,
        })
    }

    /// The bound addresses (useful when binding port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|listener| listener.local_addr().ok())
            .collect()
    }

    /// The broker this server serves.
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// Serves until `shutdown` is cancelled, then stops accepting, tells clients the server
    /// is shutting down (MQTT 5: DISCONNECT 0x8B) and waits up to the grace period for them
    /// to close.
    pub async fn run(self, shutdown: CancellationToken) {
        let tracker = TaskTracker::new();
        let connections = Arc::new(AtomicUsize::new(0));
        // Cancelled only once the broker is shutting down, so that a connection it wakes always
        // finds the shutdown and closes (woken earlier, it would find nothing to do and spin on
        // the cancelled token).
        let close_connections = CancellationToken::new();
        let lot = self.config.park_idle_after.and_then(|after| {
            Lot::start(
                self.broker.clone(),
                &tracker,
                close_connections.clone(),
                after,
            )
            .inspect_err(|error| {
                tracing::warn!(%error, "cannot start the parking lot: idle connections keep their tasks");
            })
            .ok()
        });
        for listener in self.listeners {
            let acceptor = Acceptor {
                broker: self.broker.clone(),
                max_connections: self.config.max_connections,
                connections: Arc::clone(&connections),
                tracker: tracker.clone(),
                shutdown: shutdown.clone(),
                close_connections: close_connections.clone(),
                lot: lot.clone(),
            };
            tracker.spawn(acceptor.run(listener));
        }
        tracker.spawn(timer_loop(self.broker.clone(), shutdown.clone()));
        shutdown.cancelled().await;
        tracing::info!("shutting down");
        self.broker.begin_shutdown();
        close_connections.cancel();
        tracker.close();
        if tokio::time::timeout(self.config.shutdown_grace, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                open = connections.load(Ordering::Relaxed),
                "connections still open after the grace period"
            );
        }
    }
}

fn bind_listener(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(address),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

/// What one listener's accept loop shares with the rest of the server.
struct Acceptor {
    broker: Broker,
    max_connections: usize,
    /// Connections open on every listener.
    connections: Arc<AtomicUsize>,
    tracker: TaskTracker,
    /// Stops accepting.
    shutdown: CancellationToken,
    /// Tells connections the broker is shutting down.
    close_connections: CancellationToken,
    lot: Option<Lot>,
}

impl Acceptor {
    async fn run(self, listener: TcpListener) {
        let Acceptor {
            broker,
            max_connections,
            connections,
            tracker,
            shutdown,
            close_connections,
            lot,
        } = self;
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => return,
                accepted = listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    // Out of file descriptors and similar: back off briefly instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if connections.load(Ordering::Relaxed) >= max_connections {
                tracing::warn!(%peer, max_connections, "connection limit reached: refusing");
                drop(stream);
                continue;
            }
            let slot = ConnectionSlot::take(&connections);
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "TCP_NODELAY not set");
            }
            let connection = broker.accept(Instant::now(), peer);
            // The engine is boxed: moved by value through the task's nested futures, its state
            // would be laid out more than once in every connection's task.
            let connection = Box::new(connection);
            let decoder = crate::driver::new_decoder(&connection);
            tracker.spawn(crate::driver::drive(
                stream,
                connection,
                decoder,
                slot,
                close_connections.clone(),
                lot.clone(),
            ));
        }
    }
}

/// One counted connection; dropping it frees the slot.
pub(crate) struct ConnectionSlot(Arc<AtomicUsize>);

impl ConnectionSlot {
    fn take(connections: &Arc<AtomicUsize>) -> ConnectionSlot {
        connections.fetch_add(1, Ordering::Relaxed);
        ConnectionSlot(Arc::clone(connections))
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs the broker's timers (delayed wills, session expiry).
async fn timer_loop(broker: Broker, shutdown: CancellationToken) {
    loop {
        let next = broker
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1))
            .min(Instant::now() + Duration::from_secs(1));
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep_until(next.into()) => broker.handle_timeout(Instant::now()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;
    use tokio::net::TcpStream;

    /// Every connection that is not parked holds one of these futures in its task: its size
    /// is memory per connection (see docs/performance.md). tokio lays a task out in steps of
    /// 128 bytes with ~100 bytes of its own: up to ~660 bytes of future fit in 768.
    #[tokio::test]
    async fn the_connection_task_stays_small() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, peer) = listener.accept().await.unwrap();
        let broker = Broker::new(hermod_core::BrokerConfig::default());
        let connection = Box::new(broker.accept(Instant::now(), peer));
        let decoder = crate::driver::new_decoder(&connection);
        let slot = ConnectionSlot::take(&Arc::new(AtomicUsize::new(0)));
        let future = crate::driver::drive(
            stream,
            connection,
            decoder,
            slot,
            CancellationToken::new(),
            None,
        );
        let size = std::mem::size_of_val(&future);
        eprintln!("connection task future: {size} bytes");
        assert!(
            size <= 640,
            "the connection task's future grew to {size} bytes"
        );
        drop(client);
    }
}
