//! The flag layer: command-line options that override the file and the environment.
//!
//! - `--bind ADDR` (repeatable, or a comma list) replaces `server.listen`. An address without a
//!   port takes the `--port` value, or 1883.
//! - `--port PORT` replaces the port of every listen address (those of `--bind`, or else those
//!   of the file, the environment or the default); addresses that become identical are merged.
//! - `--log-level` and `--log-format` replace `log.level` and `log.format`.
//! - `--data-dir PATH` replaces `storage.data_dir` and turns `storage.mode = "off"` into
//!   `"sync"`; `--in-memory` sets `storage.mode = "off"`.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

use super::listen::{self, MQTT_PORT};
use super::origin::{Origin, Origins};
use super::settings::{Config, LogFormat, StorageMode};

/// An address given to `--bind`: an IP with an optional port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BindAddress {
    /// The IP address to listen on.
    pub(crate) ip: IpAddr,
    /// The port, when given (`0.0.0.0:1884`); otherwise `--port` or 1883.
    pub(crate) port: Option<u16>,
}

/// The configuration given by flags; `None`/empty means "not given".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Overrides {
    /// `--bind`: replaces `server.listen`.
    pub(crate) bind: Vec<BindAddress>,
    /// `--port`: replaces the port of every listen address.
    pub(crate) port: Option<u16>,
    /// `--log-level`: replaces `log.level`.
    pub(crate) log_level: Option<String>,
    /// `--log-format`: replaces `log.format`.
    pub(crate) log_format: Option<LogFormat>,
    /// `--data-dir`: replaces `storage.data_dir`, and turns storage on (`sync`) if it is off.
    pub(crate) data_dir: Option<PathBuf>,
    /// `--in-memory`: sets `storage.mode` to `off`.
    pub(crate) in_memory: bool,
}

impl Overrides {
    /// Applies the flags to `config`, recording them in `origins`.
    pub(crate) fn apply(&self, config: &mut Config, origins: &mut Origins) {
        if !self.bind.is_empty() {
            config.server.listen = self
                .bind
                .iter()
                .map(|bind| SocketAddr::new(bind.ip, bind.port.unwrap_or(MQTT_PORT)))
                .collect();
            let flag = if self.port.is_some() {
                "--bind/--port"
            } else {
                "--bind"
            };
            origins.set("server.listen", Origin::Flag { flag });
        }
        if let Some(port) = self.port {
            let mut listen: Vec<SocketAddr> = Vec::with_capacity(config.server.listen.len());
            for address in &config.server.listen {
                let address = SocketAddr::new(address.ip(), port);
                if !listen.contains(&address) {
                    listen.push(address);
                }
            }
            config.server.listen = listen;
            if self.bind.is_empty() {
                origins.set("server.listen", Origin::Flag { flag: "--port" });
            }
        }
        if let Some(level) = &self.log_level {
            config.log.level.clone_from(level);
            origins.set(
                "log.level",
                Origin::Flag {
                    flag: "--log-level",
                },
            );
        }
        if let Some(format) = self.log_format {
            config.log.format = format;
            origins.set(
                "log.format",
                Origin::Flag {
                    flag: "--log-format",
                },
            );
        }
        if let Some(path) = &self.data_dir {
            config.storage.data_dir.clone_from(path);
            origins.set("storage.data_dir", Origin::Flag { flag: "--data-dir" });
            if config.storage.mode == StorageMode::Off {
                config.storage.mode = StorageMode::Sync;
                origins.set("storage.mode", Origin::Flag { flag: "--data-dir" });
            }
        }
        if self.in_memory {
            config.storage.mode = StorageMode::Off;
            origins.set(
                "storage.mode",
                Origin::Flag {
                    flag: "--in-memory",
                },
            );
        }
    }
}

impl FromStr for BindAddress {
    type Err = String;

    fn from_str(text: &str) -> Result<BindAddress, String> {
        let text = text.trim();
        if let Ok(address) = text.parse::<SocketAddr>() {
            return Ok(BindAddress {
                ip: address.ip(),
                port: Some(address.port()),
            });
        }
        // A bare IP: the placeholder port is dropped, only the parse is wanted.
        listen::parse_address(text, Some(MQTT_PORT)).map(|address| BindAddress {
            ip: address.ip(),
            port: None,
        })
    }
}

impl fmt::Display for BindAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}", SocketAddr::new(self.ip, port)),
            None => write!(f, "{}", self.ip),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;

    fn addresses(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|text| text.parse().unwrap()).collect()
    }

    #[test]
    fn port_flag_replaces_the_port_of_the_default_listen_address() {
        let mut config = Config::default();
        let mut origins = Origins::default();
        let overrides = Overrides {
            port: Some(1884),
            ..Overrides::default()
        };
        overrides.apply(&mut config, &mut origins);
        assert_eq!(config.server.listen, addresses(&["127.0.0.1:1884"]));
        assert_eq!(origins.of("server.listen"), Origin::Flag { flag: "--port" });
    }

    #[test]
    fn port_flag_replaces_every_port_and_merges_duplicates() {
        let mut config = Config::default();
        config.server.listen = addresses(&["127.0.0.1:1883", "127.0.0.1:8883", "[::1]:1883"]);
        let overrides = Overrides {
            port: Some(0),
            ..Overrides::default()
        };
        overrides.apply(&mut config, &mut Origins::default());
        assert_eq!(config.server.listen, addresses(&["127.0.0.1:0", "[::1]:0"]));
    }

    #[test]
    fn bind_flag_replaces_listen_and_bare_ips_take_the_port_flag() {
        let mut config = Config::default();
        let overrides = Overrides {
            bind: vec!["0.0.0.0".parse().unwrap(), "[::]:1999".parse().unwrap()],
            port: Some(2000),
            ..Overrides::default()
        };
        overrides.apply(&mut config, &mut Origins::default());
        assert_eq!(
            config.server.listen,
            addresses(&["0.0.0.0:2000", "[::]:2000"])
        );

        let bare = Overrides {
            bind: vec![
                "10.0.0.1".parse().unwrap(),
                "10.0.0.2:1999".parse().unwrap(),
            ],
            ..Overrides::default()
        };
        bare.apply(&mut config, &mut Origins::default());
        assert_eq!(
            config.server.listen,
            addresses(&["10.0.0.1:1883", "10.0.0.2:1999"])
        );
    }

    #[test]
    fn bind_address_rejects_host_names() {
        assert!("localhost".parse::<BindAddress>().is_err());
        assert!("example.com:1883".parse::<BindAddress>().is_err());
    }
}
