//! The log subscriber: `tracing-subscriber` with an environment filter, as text or JSON lines,
//! on standard error.
//!
//! The filter is `RUST_LOG` when that is set and not empty, else the configured `log.level`
//! (default `info`). Libraries only emit events; this is the one place that decides where they
//! go.

use std::io::IsTerminal as _;

use anyhow::Context as _;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// The variable that overrides `log.level`.
const RUST_LOG: &str = "RUST_LOG";

/// Installs the global subscriber for `config.log`.
pub(crate) fn init(config: &Config) -> anyhow::Result<()> {
    let filter = filter(&config.log.level, std::env::var(RUST_LOG).ok().as_deref())?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match config.log.format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    installed
        .map_err(|error| anyhow::anyhow!(error))
        .context("cannot install the log subscriber")
}

/// The filter: `rust_log` when given and not empty, otherwise `level`.
fn filter(level: &str, rust_log: Option<&str>) -> anyhow::Result<EnvFilter> {
    match rust_log.filter(|directives| !directives.trim().is_empty()) {
        Some(directives) => EnvFilter::builder()
            .parse(directives)
            .with_context(|| format!("invalid {RUST_LOG} filter {directives:?}")),
        None => EnvFilter::builder()
            .parse(level)
            .with_context(|| format!("invalid log.level filter {level:?}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;

    #[test]
    fn rust_log_overrides_the_configured_level() {
        assert_eq!(filter("info", Some("debug")).unwrap().to_string(), "debug");
        assert_eq!(filter("warn", None).unwrap().to_string(), "warn");
        assert_eq!(filter("warn", Some(" ")).unwrap().to_string(), "warn");
        assert!(filter("info", Some("hermod=loud")).is_err());
    }
}
