//! [`ByteSize`]: a size in bytes written the way people write sizes (`"1MiB"`, `"16 MiB"`).
//!
//! Parsing is the `bytesize` crate's (`B`, `KiB`, `MiB`, `GiB` are powers of 1024; `kB`, `MB`,
//! `GB` powers of 1000; a bare integer is bytes). Printing is exact: the largest binary unit that
//! divides the value, so `hermod config check` prints what the broker will really use and the
//! printed value parses back to the same number of bytes.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A number of bytes; in the file either an integer (bytes) or a string with a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct ByteSize(pub(crate) u64);

impl ByteSize {
    /// One kibibyte (1024 bytes).
    pub(crate) const KIB: u64 = 1024;
    /// One mebibyte.
    pub(crate) const MIB: u64 = 1024 * 1024;
    /// One gibibyte.
    pub(crate) const GIB: u64 = 1024 * 1024 * 1024;

    /// The size of a `usize` quantity of bytes.
    pub(crate) fn from_usize(bytes: usize) -> ByteSize {
        // usize is at most 64 bits on every platform Rust supports.
        ByteSize(u64::try_from(bytes).unwrap_or(u64::MAX))
    }

    /// The number of bytes.
    pub(crate) fn bytes(self) -> u64 {
        self.0
    }
}

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(text: &str) -> Result<ByteSize, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("empty size (write e.g. \"1MiB\" or a number of bytes)".to_owned());
        }
        if trimmed.starts_with('-') {
            return Err(format!("negative size {text:?}"));
        }
        trimmed
            .parse::<bytesize::ByteSize>()
            .map(|size| ByteSize(size.0))
            .map_err(|error| format!("invalid size {text:?}: {error}"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0;
        let units = [
            (ByteSize::GIB, "GiB"),
            (ByteSize::MIB, "MiB"),
            (ByteSize::KIB, "KiB"),
        ];
        for (factor, unit) in units {
            if bytes != 0 && bytes.is_multiple_of(factor) {
                return write!(f, "{} {unit}", bytes / factor);
            }
        }
        write!(f, "{bytes} B")
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ByteSize, D::Error> {
        deserializer.deserialize_any(ByteSizeVisitor)
    }
}

/// Accepts a non-negative integer (bytes) or a string with a unit.
struct ByteSizeVisitor;

impl Visitor<'_> for ByteSizeVisitor {
    type Value = ByteSize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a size such as \"1MiB\", \"16 MiB\" or a number of bytes")
    }

    fn visit_u64<E: de::Error>(self, bytes: u64) -> Result<ByteSize, E> {
        Ok(ByteSize(bytes))
    }

    fn visit_i64<E: de::Error>(self, bytes: i64) -> Result<ByteSize, E> {
        u64::try_from(bytes)
            .map(ByteSize)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(bytes), &self))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<ByteSize, E> {
        text.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_with_and_without_space() {
        assert_eq!("1MiB".parse(), Ok(ByteSize(1024 * 1024)));
        assert_eq!("16 MiB".parse(), Ok(ByteSize(16 * 1024 * 1024)));
        assert_eq!("4KiB".parse(), Ok(ByteSize(4096)));
        assert_eq!("1kB".parse(), Ok(ByteSize(1000)));
        assert_eq!("512".parse(), Ok(ByteSize(512)));
        assert_eq!("1.5 KiB".parse(), Ok(ByteSize(1536)));
    }

    #[test]
    fn rejects_garbage_and_negative_sizes() {
        assert!("".parse::<ByteSize>().is_err());
        assert!("lots".parse::<ByteSize>().is_err());
        assert!("12 parsecs".parse::<ByteSize>().is_err());
        assert!("-1 MiB".parse::<ByteSize>().is_err());
    }

    #[test]
    fn display_is_exact_and_parses_back() {
        for bytes in [
            0,
            1,
            1000,
            1024,
            1536,
            1024 * 1024,
            3 * ByteSize::GIB,
            268_435_460,
        ] {
            let shown = ByteSize(bytes).to_string();
            assert_eq!(shown.parse(), Ok(ByteSize(bytes)), "{shown}");
        }
        assert_eq!(ByteSize(16 * 1024 * 1024).to_string(), "16 MiB");
        assert_eq!(ByteSize(1000).to_string(), "1000 B");
    }
}
