//! Where each configuration value came from, so that errors and `hermod config check` can name
//! the file line, environment variable or flag that set it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The layer (and place in it) that set a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Not set anywhere: the built-in default.
    Default,
    /// A line of the configuration file.
    File {
        /// The file as given on the command line.
        path: PathBuf,
        /// 1-based line number, when known.
        line: Option<usize>,
    },
    /// An environment variable.
    Env {
        /// The variable's name, e.g. `HERMOD_MQTT__MAX_INFLIGHT`.
        var: String,
    },
    /// A command-line flag.
    Flag {
        /// The flag(s), e.g. `--port`.
        flag: &'static str,
    },
}

/// The origin of every key that a layer set, by dotted key (`"mqtt.max_inflight"`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Origins {
    by_key: BTreeMap<String, Origin>,
}

impl Origin {
    /// The origin for a byte offset in a file's text.
    pub(crate) fn file_at(path: &std::path::Path, text: &str, offset: Option<usize>) -> Origin {
        let line = offset.map(|offset| {
            let end = offset.min(text.len());
            text.as_bytes()
                .get(..end)
                .map_or(0, |before| before.iter().filter(|&&b| b == b'\n').count())
                + 1
        });
        Origin::File {
            path: path.to_path_buf(),
            line,
        }
    }
}

impl Origins {
    /// Records that `key` was set by `origin` (a later layer replaces an earlier one).
    pub(crate) fn set(&mut self, key: impl Into<String>, origin: Origin) {
        self.by_key.insert(key.into(), origin);
    }

    /// Where `key` came from ([`Origin::Default`] when nothing set it).
    pub(crate) fn of(&self, key: &str) -> Origin {
        self.by_key.get(key).cloned().unwrap_or(Origin::Default)
    }

    /// Every key that a layer set, with its origin, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Origin)> {
        self.by_key
            .iter()
            .map(|(key, origin)| (key.as_str(), origin))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("built-in default"),
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, "{}:{line}", path.display()),
            Origin::File { path, line: None } => write!(f, "{}", path.display()),
            Origin::Env { var } => write!(f, "environment variable {var}"),
            Origin::Flag { flag } => write!(f, "flag {flag}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_offsets_become_one_based_lines() {
        let text = "[mqtt]\nmax_inflight = 0\n";
        let path = std::path::Path::new("hermod.toml");
        assert_eq!(
            Origin::file_at(path, text, Some(0)).to_string(),
            "hermod.toml:1"
        );
        assert_eq!(
            Origin::file_at(path, text, Some(7)).to_string(),
            "hermod.toml:2"
        );
        assert_eq!(Origin::file_at(path, text, None).to_string(), "hermod.toml");
    }
}
