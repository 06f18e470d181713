//! Where a connection comes from, for its log lines.

use std::fmt;
use std::net::{SocketAddr, SocketAddrV4};

/// A connection's remote address: an IPv4 address and port inline (no allocation: every
/// connection, idle or not, keeps its peer), anything else as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// An IPv4 socket address.
    V4(SocketAddrV4),
    /// Any other address (IPv6), or a name given by a test or a transport.
    Other(Box<str>),
}

impl From<SocketAddr> for Peer {
    fn from(address: SocketAddr) -> Peer {
        match address {
            SocketAddr::V4(v4) => Peer::V4(v4),
            SocketAddr::V6(v6) => Peer::Other(v6.to_string().into_boxed_str()),
        }
    }
}

impl From<&str> for Peer {
    fn from(name: &str) -> Peer {
        Peer::Other(name.into())
    }
}

impl From<String> for Peer {
    fn from(name: String) -> Peer {
        Peer::Other(name.into_boxed_str())
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::V4(address) => address.fmt(f),
            Peer::Other(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_print_as_their_address_and_ipv4_ones_stay_inline() {
        let v4: SocketAddr = "192.0.2.7:1883".parse().unwrap_or_else(|_| unreachable!());
        let v6: SocketAddr = "[2001:db8::1]:8883"
            .parse()
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(
            Peer::from(v4),
            Peer::V4("192.0.2.7:1883".parse().unwrap_or_else(|_| unreachable!()))
        );
        assert_eq!(Peer::from(v4).to_string(), "192.0.2.7:1883");
        assert_eq!(Peer::from(v6).to_string(), "[2001:db8::1]:8883");
        assert_eq!(Peer::from("test-peer").to_string(), "test-peer");
        assert!(std::mem::size_of::<Peer>() <= 16);
    }
}
