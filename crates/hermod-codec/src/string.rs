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
    /// The empty string.
    pub const EMPTY: MqttString = MqttString(Bytes::new());

    /// Validates `bytes` as an MQTT string without copying them.
    pub fn from_bytes(bytes: Bytes) -> Result<MqttString, DecodeError> {
        validate(&bytes)?;
        Ok(MqttString(bytes))
    }

    /// Wraps bytes the caller has already validated.
    pub(crate) fn from_validated(bytes: Bytes) -> MqttString {
        MqttString(bytes)
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
    if is_plain_ascii(bytes, false) {
        return Ok(());
    }
    // `from_utf8` rejects ill-formed sequences, overlong forms and encoded surrogates.
    std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8)?;
    if bytes.contains(&0) {
        return Err(DecodeError::NullCharacter);
    }
    Ok(())
}

/// Every byte of an 8-byte word.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte of an 8-byte word.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Non-zero if some byte of `word` is zero (the classic SWAR test: exact as a yes/no answer).
const fn zero_byte_mask(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGH_BITS
}

/// Non-zero if some byte of `word` equals `byte`.
const fn byte_mask(word: u64, byte: u8) -> u64 {
    zero_byte_mask(word ^ (ONES * byte as u64))
}

/// The fast path of string validation: true if every byte is ASCII other than NUL (and, with
/// `no_wildcards`, other than `+` and `#`). Such bytes are valid UTF-8 without U+0000. A false
/// answer only means the caller must run the full checks.
///
/// Scans eight bytes per step; topic names are usually plain ASCII, and this check runs on
/// every PUBLISH.
pub(crate) fn is_plain_ascii(bytes: &[u8], no_wildcards: bool) -> bool {
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let mut word_bytes = [0u8; 8];
        word_bytes.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word_bytes);
        let mut flags = (word & HIGH_BITS) | zero_byte_mask(word);
        if no_wildcards {
            flags |= byte_mask(word, b'+') | byte_mask(word, b'#');
        }
        if flags != 0 {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&byte| byte != 0 && byte < 0x80 && !(no_wildcards && (byte == b'+' || byte == b'#')))
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
    fn plain_ascii_fast_path_agrees_with_the_full_checks() {
        let samples: [&[u8]; 9] = [
            b"",
            b"sensors/building-7/floor-3/temperature",
            b"sensors/building-7/floor-3/temp\0rature",
            b"sensors/building-7/+/temperature",
            b"sensors/building-7/floor-3/#",
            b"caf\xC3\xA9/au-lait/and-more-bytes",
            b"a+",
            b"\0",
            b"abcdefgh",
        ];
        for bytes in samples {
            let full = std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0);
            let wildcard = bytes.iter().any(|&b| b == b'+' || b == b'#');
            let ascii = bytes.is_ascii();
            assert_eq!(is_plain_ascii(bytes, false), full && ascii, "{bytes:?}");
            assert_eq!(
                is_plain_ascii(bytes, true),
                full && ascii && !wildcard,
                "{bytes:?}"
            );
        }
    }

    proptest::proptest! {
        /// The eight-bytes-at-a-time scan answers exactly like a byte-by-byte one.
        #[test]
        fn plain_ascii_scan_matches_a_bytewise_scan(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![0u8, b'+', b'#', b'/', b'a', 0x7F, 0x80, 0xFF]),
                    proptest::arbitrary::any::<u8>(),
                ],
                0..40,
            ),
            no_wildcards in proptest::arbitrary::any::<bool>(),
        ) {
            let expected = bytes.iter().all(|&b| {
                b != 0 && b < 0x80 && !(no_wildcards && (b == b'+' || b == b'#'))
            });
            proptest::prop_assert_eq!(is_plain_ascii(&bytes, no_wildcards), expected);
        }
    }

    #[test]
    fn spaces_and_non_ascii_are_fine() {
        let string = MqttString::new("client 1 ✓").ok();
        assert_eq!(string.map(|s| s.len()), Some(12));
    }
}
