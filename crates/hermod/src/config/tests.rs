//! Tests of the whole loader: layers, precedence, error reports and the shipped example file.
//!
//! The loader takes the environment as an argument, so these tests never touch the process
//! environment and can run in parallel.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on a broken fixture.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroU16;
use std::path::Path;
use std::time::Duration;

use super::byte_size::ByteSize;
use super::origin::Origin;
use super::settings::{OverflowPolicy, SharedStrategy};
use super::*;

/// The example file shipped at the repository root.
const EXAMPLE: &str = include_str!("../../../../hermod.toml");

fn file<'a>(text: &'a str) -> Option<FileText<'a>> {
    Some(FileText {
        path: Path::new("hermod.toml"),
        text,
    })
}

fn env(vars: &[(&str, &str)]) -> BTreeMap<String, String> {
    vars.iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn no_env() -> BTreeMap<String, String> {
    BTreeMap::new()
}

fn errors_of(result: Result<Loaded, ConfigErrors>) -> Vec<String> {
    match result {
        Ok(loaded) => panic!("expected errors, loaded {:?}", loaded.config),
        Err(errors) => errors.errors.iter().map(ToString::to_string).collect(),
    }
}

fn addresses(list: &[&str]) -> Vec<SocketAddr> {
    list.iter().map(|text| text.parse().unwrap()).collect()
}

#[test]
fn example_file_parses_to_the_defaults() {
    let loaded = load(file(EXAMPLE), &no_env(), &Overrides::default()).unwrap();
    assert_eq!(loaded.config, Config::default());
}

#[test]
fn example_file_has_every_option() {
    let example: toml::Table = toml::from_str(EXAMPLE).unwrap();
    let defaults = toml::Table::try_from(Config::default()).unwrap();
    for (section, keys) in &defaults {
        let keys = keys.as_table().unwrap();
        for key in keys.keys() {
            assert!(
                example
                    .get(section)
                    .and_then(|table| table.get(key))
                    .is_some(),
                "hermod.toml lacks {section}.{key}"
            );
        }
    }
}

#[test]
fn no_file_and_no_env_is_the_defaults() {
    let loaded = load(None, &no_env(), &Overrides::default()).unwrap();
    assert_eq!(loaded.config, Config::default());
    assert_eq!(loaded.origins, Origins::default());
    assert_eq!(loaded.file, None);
}

#[test]
fn file_values_of_every_kind_are_read() {
    let text = r#"
[server]
listen = ["0.0.0.0:1884", "[::]:1884"]
shutdown_grace = "500ms"
[mqtt]
max_packet_size = "16 MiB"
receive_maximum = 10
shared_subscription_strategy = "hash_client_id"
[session]
max_queued_bytes = 4096
overflow_policy = "disconnect"
max_expiry = "1day"
[shutdown]
publish_wills = true
"#;
    let config = load(file(text), &no_env(), &Overrides::default())
        .unwrap()
        .config;
    assert_eq!(
        config.server.listen,
        addresses(&["0.0.0.0:1884", "[::]:1884"])
    );
    assert_eq!(config.server.shutdown_grace, Duration::from_millis(500));
    assert_eq!(config.mqtt.max_packet_size, ByteSize(16 * 1024 * 1024));
    assert_eq!(config.mqtt.receive_maximum, NonZeroU16::new(10).unwrap());
    assert_eq!(
        config.mqtt.shared_subscription_strategy,
        SharedStrategy::HashClientId
    );
    assert_eq!(config.session.max_queued_bytes, ByteSize(4096));
    assert_eq!(config.session.overflow_policy, OverflowPolicy::Disconnect);
    assert_eq!(config.session.max_expiry, Duration::from_secs(86_400));
    assert!(config.shutdown.publish_wills);
    // Untouched keys keep their defaults.
    assert_eq!(
        config.mqtt.max_inflight,
        Config::default().mqtt.max_inflight
    );
}

#[test]
fn unknown_key_in_file_is_an_error_naming_file_line_and_key() {
    let text = "[mqtt]\nmax_inflight = 32\nmax_inflihgt = 32\n";
    let errors = errors_of(load(file(text), &no_env(), &Overrides::default()));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("hermod.toml:3: mqtt.max_inflihgt: unknown field `max_inflihgt`"),
        "{errors:?}"
    );
}

#[test]
fn unknown_section_in_file_is_one_error() {
    let text = "[mqttt]\nmax_inflight = 32\nreceive_maximum = 1\n\n[server]\nport = 1\n";
    let errors = errors_of(load(file(text), &no_env(), &Overrides::default()));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("hermod.toml:1: mqttt: unknown field `mqttt`"),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with("hermod.toml:6: server.port: unknown field `port`"),
        "{errors:?}"
    );
}

#[test]
fn key_outside_a_section_is_an_error() {
    let errors = errors_of(load(
        file("max_inflight = 3\n"),
        &no_env(),
        &Overrides::default(),
    ));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("hermod.toml:1: max_inflight: unknown field"),
        "{errors:?}"
    );
}

#[test]
fn wrong_type_in_file_names_file_line_and_key() {
    let text = "[server]\n\nshutdown_grace = 5\n";
    let errors = errors_of(load(file(text), &no_env(), &Overrides::default()));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("hermod.toml:3: server.shutdown_grace: "),
        "{errors:?}"
    );
}

#[test]
fn toml_syntax_error_names_file_and_line() {
    let text = "[mqtt]\nmax_inflight = = 3\n";
    let errors = errors_of(load(file(text), &no_env(), &Overrides::default()));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("hermod.toml:2: not valid TOML"),
        "{errors:?}"
    );
}

#[test]
fn env_overrides_the_file() {
    let text = "[mqtt]\nmax_inflight = 16\n[server]\nlisten = [\"127.0.0.1:1885\"]\n";
    let vars = env(&[
        ("HERMOD_MQTT__MAX_INFLIGHT", "32"),
        ("HERMOD_SERVER__LISTEN", "127.0.0.1:1884,[::1]:1884"),
        ("HERMOD_SERVER__SHUTDOWN_GRACE", "30s"),
        ("HERMOD_SESSION__MAX_QUEUED_BYTES", "1MiB"),
        ("HERMOD_SESSION__QUEUE_QOS0_OFFLINE", "true"),
        ("HERMOD_SESSION__OVERFLOW_POLICY", "drop_newest"),
        ("HERMOD_LOG__FORMAT", "json"),
        ("PATH", "/usr/bin"),
    ]);
    let loaded = load(file(text), &vars, &Overrides::default()).unwrap();
    let config = &loaded.config;
    assert_eq!(config.mqtt.max_inflight, NonZeroU16::new(32).unwrap());
    assert_eq!(
        config.server.listen,
        addresses(&["127.0.0.1:1884", "[::1]:1884"])
    );
    assert_eq!(config.server.shutdown_grace, Duration::from_secs(30));
    assert_eq!(config.session.max_queued_bytes, ByteSize(1024 * 1024));
    assert!(config.session.queue_qos0_offline);
    assert_eq!(config.session.overflow_policy, OverflowPolicy::DropNewest);
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(
        loaded.origins.of("mqtt.max_inflight"),
        Origin::Env {
            var: "HERMOD_MQTT__MAX_INFLIGHT".to_owned()
        }
    );
}

#[test]
fn unknown_hermod_variable_is_an_error_naming_it() {
    let vars = env(&[("HERMOD_MQTT__MAX_INFLIGTH", "32")]);
    let errors = errors_of(load(None, &vars, &Overrides::default()));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "environment variable HERMOD_MQTT__MAX_INFLIGTH: mqtt.max_infligth: unknown field"
        ),
        "{errors:?}"
    );
}

#[test]
fn malformed_hermod_variable_names_are_errors() {
    let vars = env(&[
        ("HERMOD_MQTT_MAX_INFLIGHT", "32"),
        ("HERMOD_NOPE__MAX_INFLIGHT", "32"),
        ("HERMOD_MQTT__LIMITS__MAX", "1"),
    ]);
    let errors = errors_of(load(None, &vars, &Overrides::default()));
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors.iter().any(|error| error.starts_with(
        "environment variable HERMOD_MQTT_MAX_INFLIGHT: not a configuration variable"
    )));
    assert!(errors.iter().any(|error| error.starts_with(
        "environment variable HERMOD_NOPE__MAX_INFLIGHT: nope.max_inflight: unknown field `nope`"
    )));
}

#[test]
fn hermod_config_variable_is_not_a_setting() {
    let vars = env(&[("HERMOD_CONFIG", "/etc/hermod.toml")]);
    assert!(load(None, &vars, &Overrides::default()).is_ok());
}

#[test]
fn bad_env_value_names_the_variable_and_key() {
    let vars = env(&[("HERMOD_MQTT__MAX_INFLIGHT", "lots")]);
    let errors = errors_of(load(None, &vars, &Overrides::default()));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "environment variable HERMOD_MQTT__MAX_INFLIGHT: mqtt.max_inflight: invalid type"
        ),
        "{errors:?}"
    );
}

#[test]
fn backpressure_bytes_must_not_be_zero() {
    let text = "[session]\nbackpressure_bytes = \"0 B\"\n";
    let errors = errors_of(load(file(text), &env(&[]), &Overrides::default()));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("hermod.toml:2: session.backpressure_bytes: must be at least"),
        "{errors:?}"
    );
}

#[test]
fn several_invalid_values_are_all_reported_together() {
    let text = r#"
[server]
listen = []
[mqtt]
receive_maximum = 0
max_packet_size = "1 GiB"
topic_alias_maximum = 0
max_keep_alive = "1day"
[session]
overflow_policy = "drop_everything"
max_queued_bytes = "1 GiB"
"#;
    let vars = env(&[
        ("HERMOD_MQTT__MAX_INFLIGHT", "0"),
        ("HERMOD_LOG__LEVEL", "chatty=yes"),
    ]);
    let errors = errors_of(load(file(text), &vars, &Overrides::default()));
    let expected = [
        "hermod.toml:5: mqtt.receive_maximum: ",
        "hermod.toml:10: session.overflow_policy: unknown variant `drop_everything`",
        "environment variable HERMOD_MQTT__MAX_INFLIGHT: mqtt.max_inflight: ",
        "hermod.toml:3: server.listen: no listen address",
        "hermod.toml:6: mqtt.max_packet_size: 1 GiB (1073741824 bytes) is above the largest",
        "hermod.toml:8: mqtt.max_keep_alive: must be at most 65535s",
        "hermod.toml:11: session.max_queued_bytes: 1 GiB is more than \
         session.max_queued_bytes_total (256 MiB, built-in default)",
        "environment variable HERMOD_LOG__LEVEL: log.level: invalid filter",
    ];
    assert_eq!(errors.len(), expected.len(), "{errors:#?}");
    for (error, prefix) in errors.iter().zip(expected) {
        assert!(
            error.starts_with(prefix),
            "{error:?} should start with {prefix:?}"
        );
    }
    // topic_alias_maximum = 0 is valid and so not reported.
    assert!(!errors.iter().any(|error| error.contains("topic_alias")));
}

#[test]
fn port_flag_overrides_file_and_env() {
    let text = "[server]\nlisten = [\"0.0.0.0:1883\", \"[::]:1883\"]\n";
    let vars = env(&[("HERMOD_MQTT__MAX_INFLIGHT", "8")]);
    let overrides = Overrides {
        port: Some(0),
        ..Overrides::default()
    };
    let loaded = load(file(text), &vars, &overrides).unwrap();
    assert_eq!(
        loaded.config.server.listen,
        addresses(&["0.0.0.0:0", "[::]:0"])
    );
    assert_eq!(
        loaded.origins.of("server.listen"),
        Origin::Flag { flag: "--port" }
    );

    let vars = env(&[("HERMOD_SERVER__LISTEN", "127.0.0.2:1999")]);
    let loaded = load(file(text), &vars, &overrides).unwrap();
    assert_eq!(loaded.config.server.listen, addresses(&["127.0.0.2:0"]));

    let loaded = load(None, &no_env(), &overrides).unwrap();
    assert_eq!(loaded.config.server.listen, addresses(&["127.0.0.1:0"]));
}

#[test]
fn flags_override_env() {
    let vars = env(&[
        ("HERMOD_LOG__LEVEL", "warn"),
        ("HERMOD_LOG__FORMAT", "json"),
    ]);
    let overrides = Overrides {
        bind: vec!["10.1.2.3:1999".parse().unwrap()],
        log_level: Some("debug".to_owned()),
        log_format: Some(LogFormat::Text),
        ..Overrides::default()
    };
    let loaded = load(None, &vars, &overrides).unwrap();
    assert_eq!(loaded.config.log.level, "debug");
    assert_eq!(loaded.config.log.format, LogFormat::Text);
    assert_eq!(loaded.config.server.listen, addresses(&["10.1.2.3:1999"]));
}

#[test]
fn bad_flag_value_names_the_flag() {
    let overrides = Overrides {
        log_level: Some("hermod=loud".to_owned()),
        ..Overrides::default()
    };
    let errors = errors_of(load(None, &no_env(), &overrides));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("flag --log-level: log.level: "),
        "{errors:?}"
    );
}

#[test]
fn effective_toml_parses_back_to_the_same_config() {
    let text = "[mqtt]\nmax_packet_size = 1000\nmax_keep_alive = \"90s\"\n";
    let vars = env(&[("HERMOD_SESSION__EXPIRY_V3", "90m")]);
    let overrides = Overrides {
        port: Some(1884),
        ..Overrides::default()
    };
    let loaded = load(file(text), &vars, &overrides).unwrap();
    let printed = loaded.to_toml().unwrap();
    assert!(
        printed.contains("#   mqtt.max_packet_size: hermod.toml:2"),
        "{printed}"
    );
    assert!(
        printed.contains("#   session.expiry_v3: environment variable HERMOD_SESSION__EXPIRY_V3"),
        "{printed}"
    );
    assert!(
        printed.contains("#   server.listen: flag --port"),
        "{printed}"
    );
    let reloaded = load(file(&printed), &no_env(), &Overrides::default()).unwrap();
    assert_eq!(reloaded.config, loaded.config);

    let defaults = load(None, &no_env(), &Overrides::default()).unwrap();
    let printed = defaults.to_toml().unwrap();
    let reloaded = load(file(&printed), &no_env(), &Overrides::default()).unwrap();
    assert_eq!(reloaded.config, Config::default());
}
