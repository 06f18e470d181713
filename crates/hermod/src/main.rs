//! `hermod`, the MQTT broker's single binary.
//!
//! - `hermod` or `hermod serve`: run the broker ([`serve`]).
//! - `hermod config check`: validate and print the effective configuration ([`config_check`]).
//! - `hermod pub`, `hermod sub`: the command-line clients ([`pubsub`]).
//! - `hermod bench conn`: the load generator ([`bench`]).
//! - `hermod --version`.
//!
//! Modules:
//! - [`cli`]: the command line (clap).
//! - [`config`]: the configuration file, environment and flag layers, validation.
//! - [`logging`]: the `tracing` subscriber.
//! - [`serve`]: the `serve` command: bind, run, shut down on SIGINT/SIGTERM.
//! - [`config_check`]: the `config check` command.
//! - [`client`]: a small async MQTT client on the codec.
//! - [`pubsub`]: the `pub` and `sub` commands.
//! - [`bench`]: the `bench` commands.
//!
//! Errors are `anyhow` with context here, and only here; the libraries have typed errors.
//! Exit status: 0 on success (including after a graceful shutdown), 1 on an error (invalid
//! configuration, a port that cannot be bound, ...), 2 on a command-line usage error, 27 when
//! `sub -W` times out.

mod bench;
mod cli;
mod client;
mod config;
mod config_check;
mod logging;
mod pubsub;
mod serve;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command, ConfigCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve::serve(&cli.serve),
        Some(Command::Serve(args)) => serve::serve(&args),
        Some(Command::Config(ConfigCommand::Check(args))) => config_check::check(&args),
        Some(Command::Pub(args)) => pubsub::publish(&args),
        Some(Command::Sub(args)) => pubsub::subscribe(&args),
        Some(Command::Bench(command)) => bench::bench(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Standard error, not the log: the error may be that logging could not start.
            eprintln!("hermod: {}", describe(&error));
            if error.downcast_ref::<pubsub::SubTimedOut>().is_some() {
                return ExitCode::from(pubsub::TIMEOUT_EXIT_STATUS);
            }
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, `: `-separated, leaving out a cause that the message
/// before it already ends with (library errors often repeat their source in their message).
fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if text.ends_with(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_leaves_out_repeated_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::AddrInUse, "address in use");
        let error = anyhow::Error::new(io)
            .context("cannot listen on 127.0.0.1:1883: address in use")
            .context("cannot start the broker");
        assert_eq!(
            describe(&error),
            "cannot start the broker: cannot listen on 127.0.0.1:1883: address in use"
        );
    }
}
