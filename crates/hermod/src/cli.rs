//! The command line: `hermod [serve] [OPTIONS]`, `hermod config check`, `hermod --version`.
//!
//! `hermod` with no subcommand is `hermod serve`, and takes the same options. `hermod pub` and
//! `hermod sub` are the command-line clients, `hermod bench` the load generator. Further
//! subcommands (`passwd`, `ctl`) are planned and join [`Command`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::bench::BenchCommand;
use crate::config::{BindAddress, LogFormat, Overrides};
use crate::pubsub::args::{PubArgs, SubArgs};

/// Hermod, an MQTT broker (MQTT 3.1, 3.1.1 and 5.0).
///
/// Without a subcommand, runs the broker (`hermod serve`). With no configuration file it
/// listens on 127.0.0.1:1883 only, with anonymous access.
#[derive(Debug, Parser)]
#[command(name = "hermod", version, args_conflicts_with_subcommands = true)]
pub(crate) struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// The options of `serve`, for `hermod` without a subcommand.
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the broker (the default).
    Serve(ServeArgs),
    /// Work with the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Publish a message (like mosquitto_pub).
    ///
    /// Exit status 0 once every message is acknowledged as its QoS requires, 1 on an error
    /// (connection refused, CONNACK refusal with its reason, protocol error, timeout).
    #[command(name = "pub")]
    Pub(PubArgs),
    /// Subscribe and print messages (like mosquitto_sub).
    ///
    /// Exit status 0 after -C messages (or on a clean end), 1 on an error, 27 when -W
    /// seconds pass first.
    #[command(name = "sub")]
    Sub(SubArgs),
    /// Load generator: `bench conn` opens many connections and reports CONNACK latency.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `hermod config ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate the configuration and print the effective configuration as TOML.
    ///
    /// Reads the file, the HERMOD_SECTION__KEY environment variables and the given flags
    /// exactly as `serve` would. Exits 0 and prints the configuration when it is valid;
    /// prints every error and exits 1 otherwise.
    Check(ConfigArgs),
}

/// Options of `hermod serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The configuration.
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
}

/// Options that select and override the configuration (shared by `serve` and
/// `config check`).
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// Configuration file (TOML; see hermod.toml for every option). Without it, built-in
    /// defaults are used.
    #[arg(long, value_name = "FILE", env = "HERMOD_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Port to listen on: replaces the port of every listen address (from --bind, the
    /// configuration or the default 127.0.0.1:1883).
    #[arg(short, long, value_name = "PORT")]
    pub(crate) port: Option<u16>,
    /// Address to listen on, replacing server.listen; repeat it or separate addresses with
    /// commas. An address without a port uses --port, or 1883.
    #[arg(long, value_name = "ADDR", value_delimiter = ',')]
    pub(crate) bind: Vec<BindAddress>,
    /// Log filter, e.g. "debug" or "hermod_core=debug,info" (replaces log.level; RUST_LOG
    /// overrides both).
    #[arg(long, value_name = "FILTER")]
    pub(crate) log_level: Option<String>,
    /// Log format (replaces log.format).
    #[arg(long, value_name = "FORMAT")]
    pub(crate) log_format: Option<LogFormat>,
    /// Data directory (replaces storage.data_dir; turns storage mode "off" into "sync").
    #[arg(long, value_name = "PATH", conflicts_with = "in_memory")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Keep all state in memory: nothing survives a restart (sets storage.mode to "off").
    #[arg(long)]
    pub(crate) in_memory: bool,
}

impl ConfigArgs {
    /// The flag layer of the configuration.
    pub(crate) fn overrides(&self) -> Overrides {
        Overrides {
            bind: self.bind.clone(),
            port: self.port,
            log_level: self.log_level.clone(),
            log_format: self.log_format,
            data_dir: self.data_dir.clone(),
            in_memory: self.in_memory,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_subcommand_means_serve_with_the_same_options() {
        let cli = Cli::try_parse_from(["hermod", "--port", "1884", "--in-memory"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.config.port, Some(1884));
        assert!(cli.serve.config.in_memory);
    }

    #[test]
    fn bind_takes_repeats_and_comma_lists() {
        let cli = Cli::try_parse_from([
            "hermod",
            "serve",
            "--bind",
            "127.0.0.1:1884,[::1]",
            "--bind",
            "0.0.0.0",
            "-p",
            "0",
        ])
        .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("expected serve");
        };
        let overrides = args.config.overrides();
        assert_eq!(overrides.bind.len(), 3);
        assert_eq!(overrides.bind[1].port, None);
        assert_eq!(overrides.port, Some(0));
    }

    #[test]
    fn config_check_takes_a_file() {
        let cli = Cli::try_parse_from(["hermod", "config", "check", "--config", "x.toml"]).unwrap();
        let Some(Command::Config(ConfigCommand::Check(args))) = cli.command else {
            panic!("expected config check");
        };
        assert_eq!(args.config, Some(PathBuf::from("x.toml")));
    }

    #[test]
    fn pub_and_sub_take_mosquitto_style_flags() {
        let cli = Cli::try_parse_from([
            "hermod",
            "pub",
            "-h",
            "broker",
            "-p",
            "1884",
            "-V",
            "mqttv5",
            "-t",
            "a/b",
            "-m",
            "hi",
            "-q",
            "2",
            "-r",
            "--user-property",
            "k1",
            "v1",
            "--user-property",
            "k2",
            "v2",
        ])
        .unwrap();
        let Some(Command::Pub(args)) = cli.command else {
            panic!("expected pub");
        };
        assert_eq!(args.connect.broker.host, "broker");
        assert_eq!(args.connect.broker.port, 1884);
        assert_eq!(args.qos, 2);
        assert!(args.retain);
        assert_eq!(args.properties.user_property, ["k1", "v1", "k2", "v2"]);

        let cli = Cli::try_parse_from([
            "hermod", "sub", "-t", "a", "-t", "b/#", "-C", "3", "-W", "5", "-v",
        ])
        .unwrap();
        let Some(Command::Sub(args)) = cli.command else {
            panic!("expected sub");
        };
        assert_eq!(args.topics, ["a", "b/#"]);
        assert_eq!(
            (args.count, args.timeout, args.verbose),
            (Some(3), Some(5), true)
        );
    }

    #[test]
    fn pub_needs_exactly_one_message_source_and_a_valid_qos() {
        assert!(Cli::try_parse_from(["hermod", "pub", "-t", "a"]).is_err());
        assert!(Cli::try_parse_from(["hermod", "pub", "-t", "a", "-m", "x", "-n"]).is_err());
        assert!(Cli::try_parse_from(["hermod", "pub", "-t", "a", "-m", "x", "-q", "3"]).is_err());
        assert!(Cli::try_parse_from(["hermod", "sub", "-t", "a", "-v", "--json"]).is_err());
    }

    #[test]
    fn bad_bind_address_and_log_format_are_usage_errors() {
        assert!(Cli::try_parse_from(["hermod", "--bind", "localhost"]).is_err());
        assert!(Cli::try_parse_from(["hermod", "--log-format", "xml"]).is_err());
        assert!(Cli::try_parse_from(["hermod", "--port", "65536"]).is_err());
    }
}
