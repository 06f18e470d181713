//! The log subscriber: `tracing-subscriber` with an environment filter, as text or JSON lines,
//! on standard error.
//!
//! The filter is `RUST_LOG` when that is set and not empty, else the configured `log.level`
//! (default `info`). Libraries only emit events; this is the one place that decides where they
//! go. A plain configured level more verbose than `warn` keeps the storage engine's own crates
//! at `warn`: their per-file recovery lines at `info` would bury the broker's one line.

use std::io::IsTerminal as _;

use anyhow::Context as _;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::config::{Config, LogFormat};

/// The variable that overrides `log.level`.
const RUST_LOG: &str = "RUST_LOG";

/// The storage engine's crates, quieted to `warn` under a plain verbose level.
const ENGINE_TARGETS: &str = "fjall=warn,lsm_tree=warn";

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
        None => {
            let plain_and_verbose = level
                .trim()
                .parse::<LevelFilter>()
                .is_ok_and(|plain| plain > LevelFilter::WARN);
            let directives = if plain_and_verbose {
                format!("{},{ENGINE_TARGETS}", level.trim())
            } else {
                level.to_owned()
            };
            EnvFilter::builder()
                .parse(&directives)
                .with_context(|| format!("invalid log.level filter {level:?}"))
        }
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
        assert_eq!(filter("error", None).unwrap().to_string(), "error");
        assert_eq!(filter("warn", Some(" ")).unwrap().to_string(), "warn");
        assert!(filter("info", Some("hermod=loud")).is_err());
    }

    #[test]
    fn a_plain_verbose_level_keeps_the_storage_engine_at_warn() {
        let info = filter("info", None).unwrap().to_string();
        assert!(
            info.contains("fjall=warn") && info.contains("lsm_tree=warn"),
            "{info}"
        );
        // Explicit directives are the user's: left as written.
        assert_eq!(
            filter("info,fjall=debug", None).unwrap().to_string(),
            "fjall=debug,info"
        );
        assert_eq!(filter("debug", Some("trace")).unwrap().to_string(), "trace");
    }
}
