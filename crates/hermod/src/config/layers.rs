//! The file and environment layers, reduced to one list of `section.key = value` entries.
//!
//! Each entry is checked on its own, by deserializing a one-key tree into
//! [`Config`] (every other key takes its default): an unknown section or key, or
//! a value of the wrong type, becomes an error that names the entry's origin (file line or
//! variable) and key, and every entry is checked, so all such errors are reported together.
//! Valid entries are merged in layer order (the environment replaces the file) and the merged
//! tree is deserialized once.
//!
//! The environment layer is written here rather than taken from the `config` crate so that an
//! error names the variable that caused it. Its values are strings; each is tried as an integer
//! or boolean first (`HERMOD_MQTT__MAX_INFLIGHT=32`) and as a string otherwise
//! (`HERMOD_SERVER__SHUTDOWN_GRACE=30s`, `HERMOD_SERVER__LISTEN=127.0.0.1:1884,[::1]:1884`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::{Spanned, Table, Value};

use super::error::ConfigError;
use super::origin::{Origin, Origins};
use super::settings::Config;

/// The prefix of configuration variables.
pub(crate) const ENV_PREFIX: &str = "HERMOD_";

/// The variable that names the configuration file (read by the CLI, not a setting).
pub(crate) const ENV_CONFIG_FILE: &str = "HERMOD_CONFIG";

/// One key set by one layer.
#[derive(Clone, Debug)]
struct Entry {
    origin: Origin,
    /// `[section, key]`, or `[key]` for a value outside any section.
    path: Vec<String>,
    /// The value, or for environment variables the readings to try in order.
    candidates: Vec<Value>,
}

/// Valid entries merged so far, and what set each key.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    table: Table,
    origins: Origins,
}

impl Merged {
    /// Adds every valid entry of the file's text; errors go to `errors`.
    pub(crate) fn add_file(&mut self, path: &Path, text: &str, errors: &mut Vec<ConfigError>) {
        for entry in file_entries(path, text, errors) {
            self.add(entry, errors);
        }
    }

    /// Adds every `HERMOD_SECTION__KEY` variable of `env`; errors go to `errors`.
    pub(crate) fn add_env(
        &mut self,
        env: &BTreeMap<String, String>,
        errors: &mut Vec<ConfigError>,
    ) {
        for entry in env_entries(env, errors) {
            self.add(entry, errors);
        }
    }

    /// The merged configuration (defaults for every key no layer set) and the origins.
    pub(crate) fn finish(self, errors: &mut Vec<ConfigError>) -> (Config, Origins) {
        match Value::Table(self.table).try_into::<Config>() {
            Ok(config) => (config, self.origins),
            Err(error) => {
                // Each entry deserialized on its own, so only a combination can fail here.
                errors.push(ConfigError::new(
                    Origin::Default,
                    "",
                    format!("the combined settings are invalid: {}", error.message()),
                ));
                (Config::default(), self.origins)
            }
        }
    }

    fn add(&mut self, entry: Entry, errors: &mut Vec<ConfigError>) {
        let key = entry.path.join(".");
        // Of several readings, the error to show is the first that is not merely about the
        // reading's type: `=30` for a duration is better explained by the string reading
        // ("time unit needed") than by the integer one ("invalid type: integer").
        let mut first_error: Option<String> = None;
        for candidate in entry.candidates {
            match check(&entry.path, candidate.clone()) {
                Ok(()) => {
                    insert(&mut self.table, &entry.path, candidate);
                    self.origins.set(key, entry.origin);
                    return;
                }
                Err(message) => {
                    if first_error
                        .as_ref()
                        .is_none_or(|first| first.starts_with("invalid type"))
                    {
                        first_error = Some(message);
                    }
                }
            }
        }
        let message = first_error.unwrap_or_else(|| "no value".to_owned());
        errors.push(ConfigError::new(
            entry.origin,
            key,
            with_hint(message, &entry.path),
        ));
    }
}

/// Adds how to write the value, or where a misplaced key belongs, when serde's message alone
/// would leave one guessing.
fn with_hint(message: String, path: &[String]) -> String {
    if message.ends_with("expected a duration") {
        return format!("{message} (write durations as strings such as \"30s\", \"5m\" or \"2h\")");
    }
    let key = path.last().map_or("", String::as_str);
    match section_of(key) {
        Some(section) if message.starts_with("unknown field") => {
            format!("{message} (`{key}` belongs in [{section}])")
        }
        _ => message,
    }
}

/// The section that has `key`, if any does.
fn section_of(key: &str) -> Option<String> {
    let Ok(Value::Table(defaults)) = Value::try_from(Config::default()) else {
        return None;
    };
    defaults.into_iter().find_map(|(section, keys)| {
        keys.as_table()
            .is_some_and(|keys| keys.contains_key(key))
            .then_some(section)
    })
}

/// Deserializes the one-key tree `path = value` into a [`Config`].
fn check(path: &[String], value: Value) -> Result<(), String> {
    let mut table = Table::new();
    insert(&mut table, path, value);
    Value::Table(table)
        .try_into::<Config>()
        .map(drop)
        .map_err(|error| error.message().to_owned())
}

/// Sets `path = value` in `table`, creating the section table if needed.
fn insert(table: &mut Table, path: &[String], value: Value) {
    match path {
        [key] => {
            table.insert(key.clone(), value);
        }
        [section, key] => {
            let section = table
                .entry(section.clone())
                .or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(section) = section {
                section.insert(key.clone(), value);
            }
        }
        _ => {}
    }
}

/// Every `section.key` of the file, in file order. A syntax error ends the file's layer.
fn file_entries(path: &Path, text: &str, errors: &mut Vec<ConfigError>) -> Vec<Entry> {
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(error) => {
            let origin = Origin::file_at(path, text, error.span().map(|span| span.start));
            errors.push(ConfigError::new(
                origin,
                "",
                format!("not valid TOML: {}", error.message().trim_end()),
            ));
            return Vec::new();
        }
    };
    let mut entries = Vec::new();
    for (name, value) in root.get_ref() {
        let at = |spanned_start: usize| Origin::file_at(path, text, Some(spanned_start));
        let section = name.get_ref().to_string();
        match value.get_ref() {
            DeValue::Table(table) => {
                // An unknown section is reported once, not once per key in it.
                if let Err(message) =
                    check(std::slice::from_ref(&section), Value::Table(Table::new()))
                {
                    errors.push(ConfigError::new(at(name.span().start), section, message));
                    continue;
                }
                for (key, value) in table {
                    entries.push(Entry {
                        origin: at(key.span().start),
                        path: vec![section.clone(), key.get_ref().to_string()],
                        candidates: vec![to_value(value)],
                    });
                }
            }
            _ => entries.push(Entry {
                origin: at(name.span().start),
                path: vec![section],
                candidates: vec![to_value(value)],
            }),
        }
    }
    entries.sort_by_key(|entry| match &entry.origin {
        Origin::File { line, .. } => *line,
        _ => None,
    });
    entries
}

/// A parsed TOML value as a [`Value`].
fn to_value(value: &Spanned<DeValue<'_>>) -> Value {
    // Every parsed TOML value is representable as a `Value`; the fallback cannot be reached.
    Value::deserialize(ValueDeserializer::from(value.clone()))
        .unwrap_or_else(|_| Value::String(String::new()))
}

/// Every `HERMOD_SECTION__KEY` variable, in name order.
fn env_entries(env: &BTreeMap<String, String>, errors: &mut Vec<ConfigError>) -> Vec<Entry> {
    let mut entries = Vec::new();
    for (var, value) in env {
        let Some(name) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if var == ENV_CONFIG_FILE {
            continue;
        }
        let origin = Origin::Env { var: var.clone() };
        let parts: Vec<&str> = name.split("__").collect();
        let [section, key] = parts.as_slice() else {
            errors.push(ConfigError::new(
                origin,
                "",
                format!(
                    "not a configuration variable: expected {ENV_PREFIX}<SECTION>__<KEY> \
                     (two underscores between section and key, e.g. \
                     HERMOD_MQTT__MAX_INFLIGHT), or {ENV_CONFIG_FILE}"
                ),
            ));
            continue;
        };
        if section.is_empty() || key.is_empty() {
            errors.push(ConfigError::new(
                origin,
                "",
                "not a configuration variable: the section or key is empty",
            ));
            continue;
        }
        entries.push(Entry {
            origin,
            path: vec![section.to_ascii_lowercase(), key.to_ascii_lowercase()],
            candidates: env_readings(value),
        });
    }
    entries
}

/// The ways to read an environment value: as an integer or boolean when it looks like one,
/// then as a string.
fn env_readings(text: &str) -> Vec<Value> {
    let trimmed = text.trim();
    let mut readings = Vec::with_capacity(2);
    if let Ok(integer) = trimmed.parse::<i64>() {
        readings.push(Value::Integer(integer));
    } else if let Ok(boolean) = trimmed.parse::<bool>() {
        readings.push(Value::Boolean(boolean));
    }
    readings.push(Value::String(trimmed.to_owned()));
    readings
}
