//! Configuration errors: each names where the value came from, the key, and what is wrong; they
//! are collected and reported together.

use std::fmt;

use super::origin::Origin;

/// One thing wrong with the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConfigError {
    /// Where the offending value (or text) came from.
    pub(crate) origin: Origin,
    /// The dotted key (`"mqtt.max_inflight"`); empty when the error is not about one key (a
    /// TOML syntax error, a malformed variable name).
    pub(crate) key: String,
    /// What is wrong.
    pub(crate) message: String,
}

/// Every error found while loading the configuration; never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) struct ConfigErrors {
    /// The errors, in the order the layers were read (file, environment, flags, validation).
    pub(crate) errors: Vec<ConfigError>,
}

impl ConfigError {
    /// An error about `key` set by `origin`.
    pub(crate) fn new(origin: Origin, key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            origin,
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(f, "{}: {}: {}", self.origin, self.key, self.message)
        }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors.len();
        let plural = if count == 1 { "" } else { "s" };
        write!(f, "invalid configuration ({count} error{plural}):")?;
        for error in &self.errors {
            write!(f, "\n  - {error}")?;
        }
        Ok(())
    }
}
