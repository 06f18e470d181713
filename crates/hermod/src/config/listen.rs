//! The `server.listen` value: a list of socket addresses.
//!
//! In the file it is an array (`listen = ["127.0.0.1:1883", "[::1]:1883"]`); a single string,
//! optionally comma-separated (`"127.0.0.1:1883,[::1]:1883"`), is accepted too, which is the form
//! an environment variable (`HERMOD_SERVER__LISTEN`) or the `--bind` flag naturally takes.
//! Addresses are IP literals with a port; host names are not resolved.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// The port MQTT over TCP uses when none is given (IANA "mqtt").
pub(crate) const MQTT_PORT: u16 = 1883;

/// Parses one address: `IP:PORT`, `[IPv6]:PORT`, or (when `default_port` is given) a bare IP.
pub(crate) fn parse_address(text: &str, default_port: Option<u16>) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    if let Some(port) = default_port {
        let bare = text
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or(text);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, port));
        }
    }
    let expected = if default_port.is_some() {
        "an IP address, optionally with a port (\"0.0.0.0\", \"127.0.0.1:1883\", \"[::1]:1883\")"
    } else {
        "an IP address and port (\"127.0.0.1:1883\", \"[::1]:1883\")"
    };
    Err(format!("invalid address {text:?}: expected {expected}"))
}

/// Parses a comma-separated list of addresses.
pub(crate) fn parse_list(text: &str, default_port: Option<u16>) -> Result<Vec<SocketAddr>, String> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| parse_address(part, default_port))
        .collect()
}

/// `#[serde(deserialize_with)]` for `server.listen`.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<SocketAddr>, D::Error> {
    deserializer.deserialize_any(ListenVisitor)
}

/// Accepts an array of address strings or one comma-separated string.
struct ListenVisitor;

impl<'de> Visitor<'de> for ListenVisitor {
    type Value = Vec<SocketAddr>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of addresses such as [\"127.0.0.1:1883\"]")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<SocketAddr>, E> {
        parse_list(text, None).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Vec<SocketAddr>, A::Error> {
        let mut addresses = Vec::new();
        while let Some(text) = items.next_element::<String>()? {
            addresses.push(parse_address(&text, None).map_err(de::Error::custom)?);
        }
        Ok(addresses)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;

    #[test]
    fn parses_ipv4_ipv6_and_bare_ips_with_a_default_port() {
        assert_eq!(
            parse_list("127.0.0.1:1884, [::1]:1885", None),
            Ok(vec![
                SocketAddr::from(([127, 0, 0, 1], 1884)),
                "[::1]:1885".parse().unwrap(),
            ])
        );
        assert_eq!(
            parse_address("0.0.0.0", Some(MQTT_PORT)),
            Ok(SocketAddr::from(([0, 0, 0, 0], 1883)))
        );
        assert_eq!(
            parse_address("[::]", Some(8883)),
            Ok("[::]:8883".parse().unwrap())
        );
    }

    #[test]
    fn rejects_host_names_and_missing_ports() {
        assert!(parse_address("localhost:1883", None).is_err());
        assert!(parse_address("127.0.0.1", None).is_err());
        assert!(parse_address("127.0.0.1:99999", Some(1883)).is_err());
    }
}
