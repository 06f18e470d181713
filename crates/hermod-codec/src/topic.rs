//! Topic names and topic filters (MQTT 5.0 section 4.7): syntax only; matching lives in
//! `hermod-router`.

use std::fmt;

use bytes::Bytes;

use crate::error::DecodeError;
use crate::string::MqttString;

/// The prefix of a shared subscription's topic filter (MQTT 5.0 section 4.8.2).
pub const SHARED_PREFIX: &str = "$share/";

/// A topic name: a non-empty MQTT string without wildcards (MQTT-3.3.2-2, MQTT-4.7.3-1).
///
/// The one exception is the empty name of an MQTT 5 PUBLISH that uses a Topic Alias, which only
/// the decoder (or [`TopicName::aliased`]) creates.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicName(MqttString);

impl TopicName {
    /// Validates a topic name.
    pub fn new(text: &str) -> Result<TopicName, DecodeError> {
        TopicName::from_string(MqttString::new(text)?)
    }

    /// Validates a static topic name without copying it.
    pub fn from_static(text: &'static str) -> Result<TopicName, DecodeError> {
        TopicName::from_string(MqttString::from_static(text)?)
    }

    /// Validates the topic-name rules on an MQTT string.
    pub fn from_string(string: MqttString) -> Result<TopicName, DecodeError> {
        if string.is_empty() {
            return Err(DecodeError::EmptyTopicName);
        }
        check_name(string.as_bytes())?;
        Ok(TopicName(string))
    }

    /// The empty name sent with an MQTT 5 Topic Alias that stands for the real one.
    pub fn aliased() -> TopicName {
        TopicName(MqttString::default())
    }

    /// Validates the bytes of a PUBLISH topic, which may be empty (the decoder checks the
    /// alias rule). Plain ASCII names, the usual case, take a single fast scan.
    pub(crate) fn decode_allow_empty(bytes: Bytes) -> Result<TopicName, DecodeError> {
        if crate::string::is_plain_ascii(&bytes, true) {
            return Ok(TopicName(MqttString::from_validated(bytes)));
        }
        let string = MqttString::from_bytes(bytes)?;
        check_name(string.as_bytes())?;
        Ok(TopicName(string))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The name's bytes (UTF-8); topic matching can work on these directly.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The name as an MQTT string.
    pub fn as_mqtt_string(&self) -> &MqttString {
        &self.0
    }

    /// True only for the empty name of an aliased PUBLISH.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

fn check_name(bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.iter().any(|&b| b == b'+' || b == b'#') {
        return Err(DecodeError::WildcardInTopicName);
    }
    Ok(())
}

/// A topic filter: a non-empty MQTT string whose wildcards are well placed (MQTT-4.7.1-1,
/// MQTT-4.7.1-2, MQTT-4.7.3-1), and, if it starts with `$share/`, a well-formed shared
/// subscription (MQTT-4.8.2-1, MQTT-4.8.2-2).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicFilter(MqttString);

impl TopicFilter {
    /// Validates a topic filter.
    pub fn new(text: &str) -> Result<TopicFilter, DecodeError> {
        TopicFilter::from_string(MqttString::new(text)?)
    }

    /// Validates a static topic filter without copying it.
    pub fn from_static(text: &'static str) -> Result<TopicFilter, DecodeError> {
        TopicFilter::from_string(MqttString::from_static(text)?)
    }

    /// Validates the topic-filter rules on an MQTT string.
    pub fn from_string(string: MqttString) -> Result<TopicFilter, DecodeError> {
        check_filter(string.as_bytes())?;
        Ok(TopicFilter(string))
    }

    /// The filter as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The filter's bytes (UTF-8).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The filter as an MQTT string.
    pub fn as_mqtt_string(&self) -> &MqttString {
        &self.0
    }

    /// True if the filter contains `+` or `#`.
    pub fn has_wildcards(&self) -> bool {
        self.as_bytes().iter().any(|&b| b == b'+' || b == b'#')
    }

    /// True for a `$share/{ShareName}/{filter}` shared subscription.
    pub fn is_shared(&self) -> bool {
        self.as_bytes().starts_with(SHARED_PREFIX.as_bytes())
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a topic filter is never empty. (Provided for symmetry with `len`.)
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn check_filter(bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::EmptyTopicFilter);
    }
    let levels = match bytes.strip_prefix(SHARED_PREFIX.as_bytes()) {
        Some(rest) => {
            let (share_name, filter) = match rest.iter().position(|&b| b == b'/') {
                Some(slash) => (rest.get(..slash), rest.get(slash + 1..)),
                None => (Some(rest), None),
            };
            let share_name = share_name.unwrap_or_default();
            if share_name.is_empty() {
                return Err(DecodeError::EmptyShareName);
            }
            if share_name.iter().any(|&b| b == b'+' || b == b'#') {
                return Err(DecodeError::InvalidShareName);
            }
            match filter {
                Some(filter) if !filter.is_empty() => filter,
                _ => return Err(DecodeError::MissingSharedFilter),
            }
        }
        None => bytes,
    };
    let mut levels = levels.split(|&b| b == b'/').peekable();
    while let Some(level) = levels.next() {
        if level.contains(&b'#') && (level != b"#" || levels.peek().is_some()) {
            return Err(DecodeError::InvalidMultiLevelWildcard);
        }
        if level.contains(&b'+') && level != b"+" {
            return Err(DecodeError::InvalidSingleLevelWildcard);
        }
    }
    Ok(())
}

impl fmt::Debug for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl TryFrom<&str> for TopicName {
    type Error = DecodeError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        TopicName::new(text)
    }
}

impl TryFrom<&str> for TopicFilter {
    type Error = DecodeError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        TopicFilter::new(text)
    }
}

impl TryFrom<Bytes> for TopicName {
    type Error = DecodeError;

    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        TopicName::from_string(MqttString::from_bytes(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        for ok in [
            "a",
            "/",
            "a/b",
            "a//b",
            "$SYS/x",
            " ",
            "sport/tennis/player1",
        ] {
            assert!(TopicName::new(ok).is_ok(), "{ok}");
        }
        assert_eq!(TopicName::new(""), Err(DecodeError::EmptyTopicName));
        assert_eq!(TopicName::new("a/+"), Err(DecodeError::WildcardInTopicName));
        assert_eq!(TopicName::new("#"), Err(DecodeError::WildcardInTopicName));
        assert_eq!(TopicName::new("a\0"), Err(DecodeError::NullCharacter));
    }

    #[test]
    fn topic_filters() {
        for ok in [
            "#",
            "+",
            "+/+",
            "/+",
            "a/#",
            "a/+/b",
            "+/tennis/#",
            "a//b",
            "$share/g/a/#",
            "$share/g/#",
            "$share",
            "$sharex/+",
        ] {
            assert!(TopicFilter::new(ok).is_ok(), "{ok}");
        }
        let cases = [
            ("", DecodeError::EmptyTopicFilter),
            ("a#", DecodeError::InvalidMultiLevelWildcard),
            ("a/#/b", DecodeError::InvalidMultiLevelWildcard),
            ("##", DecodeError::InvalidMultiLevelWildcard),
            ("a+", DecodeError::InvalidSingleLevelWildcard),
            ("a/+b/c", DecodeError::InvalidSingleLevelWildcard),
            ("$share/", DecodeError::EmptyShareName),
            ("$share//a", DecodeError::EmptyShareName),
            ("$share/g+/a", DecodeError::InvalidShareName),
            ("$share/g", DecodeError::MissingSharedFilter),
            ("$share/g/", DecodeError::MissingSharedFilter),
            ("$share/g/a+", DecodeError::InvalidSingleLevelWildcard),
        ];
        for (filter, error) in cases {
            assert_eq!(TopicFilter::new(filter), Err(error), "{filter}");
        }
    }

    #[test]
    fn shared_and_wildcard_queries() {
        let shared = TopicFilter::new("$share/g/a/+").ok();
        assert_eq!(shared.as_ref().map(TopicFilter::is_shared), Some(true));
        assert_eq!(shared.as_ref().map(TopicFilter::has_wildcards), Some(true));
        let plain = TopicFilter::new("a/b").ok();
        assert_eq!(plain.as_ref().map(TopicFilter::has_wildcards), Some(false));
    }
}
