//! `hermod config check`: load the configuration exactly as `serve` would, then print it.
//!
//! On success the effective configuration goes to standard output as TOML (with comments
//! naming what set each non-default value) and the command exits 0; otherwise every error goes
//! to standard error and it exits 1. Nothing is bound.

use std::io::Write as _;

use anyhow::Context as _;

use crate::cli::ConfigArgs;
use crate::config;

/// Validates the configuration and prints the effective configuration.
pub(crate) fn check(args: &ConfigArgs) -> anyhow::Result<()> {
    let loaded = config::load_from_process(args.config.as_deref(), &args.overrides())?;
    let text = loaded.to_toml()?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")
}
