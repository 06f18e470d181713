//! Where the benchmark's clients connect, and from which local addresses.
//!
//! One local address gives a client about 28,000 ephemeral ports towards one server address
//! (Linux's default range 32768–60999). A run that needs more connections than that to a
//! loopback server spreads its clients over several source addresses of 127.0.0.0/8, which are
//! all local on Linux: client `i` binds to the `i % n`-th of `n` addresses starting at
//! 127.0.0.1. Explicit source addresses (`--ifaddr`) are used round robin the same way.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use tokio::net::{TcpSocket, TcpStream};

use crate::BenchError;

/// Clients per automatically chosen loopback source address; below the default ephemeral
/// port range (28,232 ports) so that closing connections in TIME_WAIT leave room.
pub const CLIENTS_PER_SOURCE: u32 = 20_000;

/// A resolved server address and the local addresses clients connect from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The server.
    pub server: SocketAddr,
    /// Local addresses used round robin by client index; empty: the system chooses.
    pub sources: Vec<IpAddr>,
    /// Where this endpoint's explicit local ports start (within the tool's range), different
    /// per endpoint so that groups of clients in one run (publishers, subscribers) rarely
    /// try the same ports.
    port_offset: u16,
}

impl Endpoint {
    /// Resolves `address` (`host:port`) for `clients` clients. `sources` are explicit local
    /// addresses; without them, a loopback IPv4 server gets one 127.0.0.x source address per
    /// [`CLIENTS_PER_SOURCE`] clients when more than one is needed.
    pub async fn resolve(
        address: &str,
        clients: u32,
        sources: &[IpAddr],
    ) -> Result<Endpoint, BenchError> {
        let server = tokio::net::lookup_host(address)
            .await?
            .next()
            .ok_or_else(|| BenchError::InvalidOptions(format!("{address} has no address")))?;
        Ok(Endpoint::for_server(server, clients, sources))
    }

    /// [`Endpoint::resolve`] for an already resolved server address.
    pub fn for_server(server: SocketAddr, clients: u32, sources: &[IpAddr]) -> Endpoint {
        let sources = if !sources.is_empty() {
            sources.to_vec()
        } else {
            match server.ip() {
                IpAddr::V4(ip) if ip.is_loopback() => loopback_sources(clients),
                _ => Vec::new(),
            }
        };
        // Any varying value will do: collisions are handled by trying the next ports.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let port_offset = u16::try_from(nanos % u32::from(EXPLICIT_PORTS)).unwrap_or(0);
        Endpoint {
            server,
            sources,
            port_offset,
        }
    }

    /// The local address client `index` binds to, if any.
    pub fn source_for(&self, index: u32) -> Option<IpAddr> {
        let count = u32::try_from(self.sources.len()).ok().filter(|&n| n > 0)?;
        let slot = usize::try_from(index % count).ok()?;
        self.sources.get(slot).copied()
    }

    /// Opens the TCP connection of client `index`.
    pub(crate) async fn connect(&self, index: u32) -> Result<TcpStream, BenchError> {
        let Some(source) = self.source_for(index) else {
            return Ok(TcpStream::connect(self.server).await?);
        };
        let socket = match source {
            IpAddr::V4(_) => TcpSocket::new_v4()?,
            IpAddr::V6(_) => TcpSocket::new_v6()?,
        };
        // No SO_REUSEADDR: a port another socket holds (including one of this run's other
        // clients, or one in TIME_WAIT) must fail the bind, so the next one is tried, rather
        // than fail the connect.
        bind_source(&socket, source, self.explicit_port(index))?;
        Ok(socket.connect(self.server).await?)
    }

    /// The first local port client `index` tries: clients of one source address take
    /// consecutive ports below the ephemeral range.
    fn explicit_port(&self, index: u32) -> u16 {
        let per_source = index / u32::try_from(self.sources.len().max(1)).unwrap_or(1);
        let slot = (per_source + u32::from(self.port_offset)) % u32::from(EXPLICIT_PORTS);
        EXPLICIT_PORT_BASE + u16::try_from(slot).unwrap_or(0)
    }
}

/// Local ports chosen by the tool start here; with [`EXPLICIT_PORTS`] they stay below Linux's
/// default ephemeral range (32768–60999).
const EXPLICIT_PORT_BASE: u16 = 10_000;
/// How many local ports the tool chooses from per source address.
const EXPLICIT_PORTS: u16 = 22_000;

/// Binds `socket` to `source` and a port of the tool's choosing (`first`, or one of the next
/// few if taken), falling back to a port of the system's choosing. Binding to port 0 makes
/// the kernel search for a free port (slow with tens of thousands of sockets); a given port
/// is one lookup.
fn bind_source(socket: &TcpSocket, source: IpAddr, first: u16) -> Result<(), BenchError> {
    for step in 0..32u16 {
        let port =
            EXPLICIT_PORT_BASE + (first - EXPLICIT_PORT_BASE + step * 1_373) % EXPLICIT_PORTS;
        match socket.bind(SocketAddr::new(source, port)) {
            Ok(()) => return Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Ok(socket.bind(SocketAddr::new(source, 0))?)
}

/// No source addresses when one is enough, else 127.0.0.1, 127.0.0.2, ... (at most 254).
fn loopback_sources(clients: u32) -> Vec<IpAddr> {
    let needed = clients.div_ceil(CLIENTS_PER_SOURCE).clamp(1, 254);
    if needed == 1 {
        return Vec::new();
    }
    (1..=needed)
        .filter_map(|host| u8::try_from(host).ok())
        .map(|host| IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;

    fn loopback() -> SocketAddr {
        "127.0.0.1:1883".parse().unwrap()
    }

    #[test]
    fn one_source_address_is_enough_for_few_clients() {
        let endpoint = Endpoint::for_server(loopback(), CLIENTS_PER_SOURCE, &[]);
        assert!(endpoint.sources.is_empty());
        assert_eq!(endpoint.source_for(5), None);
    }

    #[test]
    fn many_loopback_clients_spread_over_127_0_0_x() {
        let endpoint = Endpoint::for_server(loopback(), 3 * CLIENTS_PER_SOURCE + 1, &[]);
        assert_eq!(endpoint.sources.len(), 4);
        let source = |index| endpoint.source_for(index).unwrap().to_string();
        assert_eq!(source(0), "127.0.0.1");
        assert_eq!(source(1), "127.0.0.2");
        assert_eq!(source(3), "127.0.0.4");
        assert_eq!(source(4), "127.0.0.1");
    }

    #[test]
    fn remote_servers_and_explicit_sources() {
        let remote: SocketAddr = "192.0.2.1:1883".parse().unwrap();
        assert!(
            Endpoint::for_server(remote, 100_000, &[])
                .sources
                .is_empty()
        );
        let explicit: IpAddr = "10.0.0.7".parse().unwrap();
        let endpoint = Endpoint::for_server(remote, 3, &[explicit]);
        assert_eq!(endpoint.source_for(2), Some(explicit));
    }

    #[tokio::test]
    async fn two_groups_from_one_source_address_do_not_collide() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        let source: IpAddr = "127.0.0.5".parse().unwrap();
        let mut first = Endpoint::for_server(server, 3, &[source]);
        let mut second = Endpoint::for_server(server, 3, &[source]);
        // The worst case: both groups start at the same port.
        first.port_offset = 0;
        second.port_offset = 0;
        let mut streams = Vec::new();
        for index in 0..3 {
            for endpoint in [&first, &second] {
                streams.push(endpoint.connect(index).await.unwrap());
                listener.accept().await.unwrap();
            }
        }
        let mut ports: Vec<u16> = streams
            .iter()
            .map(|stream| stream.local_addr().unwrap().port())
            .collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 6, "every client has a port of its own");
    }

    #[tokio::test]
    async fn clients_connect_from_their_source_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        let sources: Vec<IpAddr> = vec!["127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap()];
        let endpoint = Endpoint::for_server(server, 2, &sources);
        for index in 0..2u32 {
            let stream = endpoint.connect(index).await.unwrap();
            let (_accepted, peer) = listener.accept().await.unwrap();
            assert_eq!(peer.ip(), sources[index as usize]);
            assert_eq!(stream.local_addr().unwrap().ip(), sources[index as usize]);
        }
    }
}
