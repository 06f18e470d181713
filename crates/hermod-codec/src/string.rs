//! UTF-8 Encoded Strings (MQTT 5.0 section 1.5.4), held zero-copy in a `Bytes`.

use std::fmt;
use std::hash::{Hash, Hasher};

use bytes::Bytes;

use crate::error::DecodeError;

/// The longest string or binary field: its length is a two-byte integer.
pub const MAX_FIELD_LEN: usize = u16::MAX as usize;

/// A string that satisfies the MQTT rules: well-formed UTF-8 without surrogates
/// (MQTT-1.5.4-1), no U+0000 (MQTT-1.5.4-2), at most 65,535 bytes.
///
/// Decoded strings share the packet's buffer; nothing is copied. A byte order mark is kept as
/// it arrived (MQTT-1.5.4-3).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct MqttString(Bytes);

impl MqttString {
    /// Validates `bytes` as an MQTT string without copying them.
    pub fn from_bytes(bytes: Bytes) -> Result<MqttString, DecodeError> {
        validate(&bytes)?;
        Ok(MqttString(bytes))
    }

    /// Validates and copies `text`.
    pub fn new(text: &str) -> Result<MqttString, DecodeError> {
        MqttString::from_bytes(Bytes::copy_from_slice(text.as_bytes()))
    }

    /// Validates a static string without copying it.
    pub fn from_static(text: &'static str) -> Result<MqttString, DecodeError> {
        MqttString::from_bytes(Bytes::from_static(text.as_bytes()))
    }

    /// The text.
    ///
    /// The bytes were checked to be UTF-8 when this value was made; the check is repeated here
    /// (cheap, and keeps the codec free of `unsafe`), so an empty string is returned only if that
    /// invariant were somehow broken.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The encoded bytes, without the length prefix.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying shared buffer.
    pub fn to_bytes(&self) -> Bytes {
        self.0.clone()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The encoded size including the two-byte length prefix.
    pub(crate) fn wire_len(&self) -> usize {
        2 + self.0.len()
    }
}

/// Checks the MQTT string rules on raw bytes.
pub(crate) fn validate(bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.len() > MAX_FIELD_LEN {
        return Err(DecodeError::FieldTooLong { len: bytes.len() });
    }
    // `from_utf8` rejects ill-formed sequences, overlong forms and encoded surrogates.
    std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8)?;
    if bytes.contains(&0) {
        return Err(DecodeError::NullCharacter);
    }
    Ok(())
}

impl Hash for MqttString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for MqttString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for MqttString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for MqttString {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for MqttString {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl TryFrom<&str> for MqttString {
    type Error = DecodeError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        MqttString::new(text)
    }
}

impl TryFrom<String> for MqttString {
    type Error = DecodeError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        MqttString::from_bytes(Bytes::from(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ill_formed_utf8_is_rejected_mqtt_1_5_4_1() {
        // A lone continuation byte, an overlong '/', and an encoded surrogate U+D800.
        for bad in [&b"\x80"[..], b"\xC0\xAF", b"\xED\xA0\x80"] {
            assert_eq!(
                MqttString::from_bytes(Bytes::copy_from_slice(bad)),
                Err(DecodeError::InvalidUtf8)
            );
        }
    }

    #[test]
    fn null_character_is_rejected_mqtt_1_5_4_2() {
        assert_eq!(MqttString::new("a\0b"), Err(DecodeError::NullCharacter));
    }

    #[test]
    fn byte_order_mark_is_kept_mqtt_1_5_4_3() {
        let text = "\u{FEFF}topic";
        let string = MqttString::new(text).ok();
        assert_eq!(string.as_ref().map(MqttString::as_str), Some(text));
    }

    #[test]
    fn length_limit_is_65535_bytes() {
        let long = "a".repeat(MAX_FIELD_LEN + 1);
        assert_eq!(
            MqttString::new(&long),
            Err(DecodeError::FieldTooLong {
                len: MAX_FIELD_LEN + 1
            })
        );
        assert!(MqttString::new(&long[1..]).is_ok());
    }

    #[test]
    fn spaces_and_non_ascii_are_fine() {
        let string = MqttString::new("client 1 ✓").ok();
        assert_eq!(string.map(|s| s.len()), Some(12));
    }
}
