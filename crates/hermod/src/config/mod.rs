//! The broker's configuration: built-in defaults < `hermod.toml` < `HERMOD_SECTION__KEY`
//! environment variables < command-line flags.
//!
//! [`load`] is pure (the file's text and the environment are arguments), so tests do not touch
//! the process environment; [`load_from_process`] reads the real file and environment. Nothing
//! is bound or started until loading has succeeded: every error of every layer, and every
//! failed validation rule, is collected into one [`ConfigErrors`], each naming the file line,
//! variable or flag and the key.
//!
//! Modules:
//! - [`settings`]: the struct tree of the file, its defaults and its conversion to the library
//!   configurations.
//! - [`layers`]: the file and environment layers and their merge.
//! - [`overrides`]: the flag layer.
//! - [`validate`]: semantic checks.
//! - [`origin`]: where each value came from.
//! - [`error`]: the collected errors.
//! - [`byte_size`], [`listen`]: value types of the file (`"1MiB"`, socket addresses).

pub(crate) mod byte_size;
pub(crate) mod error;
pub(crate) mod layers;
pub(crate) mod listen;
pub(crate) mod origin;
pub(crate) mod overrides;
pub(crate) mod settings;
pub(crate) mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub(crate) use error::ConfigErrors;
pub(crate) use origin::Origins;
pub(crate) use overrides::{BindAddress, Overrides};
pub(crate) use settings::{Config, LogFormat};

/// A configuration file's name and contents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FileText<'a> {
    /// The path, as given (used in error messages).
    pub(crate) path: &'a Path,
    /// The file's contents.
    pub(crate) text: &'a str,
}

/// A loaded, validated configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Loaded {
    /// The effective configuration.
    pub(crate) config: Config,
    /// Where each non-default value came from.
    pub(crate) origins: Origins,
    /// The configuration file, if one was given.
    pub(crate) file: Option<PathBuf>,
}

/// Loads the configuration from a file's text, an environment and flags; returns every error.
///
/// Only variables starting with `HERMOD_` are read from `env`; `HERMOD_CONFIG` is the file
/// name (handled by the CLI) and any other `HERMOD_` variable must be a known
/// `HERMOD_SECTION__KEY`.
pub(crate) fn load(
    file: Option<FileText<'_>>,
    env: &BTreeMap<String, String>,
    overrides: &Overrides,
) -> Result<Loaded, ConfigErrors> {
    let mut errors = Vec::new();
    let mut merged = layers::Merged::default();
    if let Some(file) = file {
        merged.add_file(file.path, file.text, &mut errors);
    }
    merged.add_env(env, &mut errors);
    let (mut config, mut origins) = merged.finish(&mut errors);
    overrides.apply(&mut config, &mut origins);
    errors.extend(validate::validate(&config, &origins));
    if errors.is_empty() {
        Ok(Loaded {
            config,
            origins,
            file: file.map(|file| file.path.to_path_buf()),
        })
    } else {
        Err(ConfigErrors { errors })
    }
}

/// Reads the file (if any) and the process environment, then [`load`]s.
pub(crate) fn load_from_process(
    path: Option<&Path>,
    overrides: &Overrides,
) -> anyhow::Result<Loaded> {
    let text = match path {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read configuration file {}", path.display()))?,
        ),
        None => None,
    };
    let file = path
        .zip(text.as_deref())
        .map(|(path, text)| FileText { path, text });
    let loaded = load(file, &process_env(), overrides)?;
    Ok(loaded)
}

/// The process's `HERMOD_` variables. A value that is not UTF-8 is read lossily and then fails
/// validation like any other bad value.
fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(name, value)| {
            let name = name.into_string().ok()?;
            name.starts_with(layers::ENV_PREFIX)
                .then(|| (name, value.to_string_lossy().into_owned()))
        })
        .collect()
}

impl Loaded {
    /// The effective configuration as TOML, preceded by comments naming the origin of every
    /// value that a layer set (the others are defaults). Parsing the TOML back gives the same configuration.
    pub(crate) fn to_toml(&self) -> anyhow::Result<String> {
        let body = toml::to_string_pretty(&self.config)
            .context("cannot write the effective configuration as TOML")?;
        let mut out = String::from("# Effective Hermod configuration.\n");
        match &self.file {
            Some(path) => out.push_str(&format!("# File: {}\n", path.display())),
            None => out.push_str("# No configuration file: built-in defaults.\n"),
        }
        let mut set = self.origins.iter().peekable();
        if set.peek().is_none() {
            out.push_str("# Every value is the built-in default.\n");
        } else {
            out.push_str("# Values set by the file, the environment or flags:\n");
            for (key, origin) in set {
                out.push_str(&format!("#   {key}: {origin}\n"));
            }
        }
        out.push('\n');
        out.push_str(&body);
        Ok(out)
    }
}
