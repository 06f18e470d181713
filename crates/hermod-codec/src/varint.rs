//! Variable Byte Integers (MQTT 5.0 section 1.5.5): 7 bits per byte, at most 4 bytes.

use bytes::BufMut;

use crate::error::DecodeError;

/// The largest value a Variable Byte Integer can carry.
pub const MAX_VALUE: u32 = 268_435_455;

/// The result of reading a Variable Byte Integer from the front of a slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarIntStatus {
    /// The slice ends before the integer does.
    Incomplete,
    /// The integer was read.
    Complete {
        /// Its value.
        value: u32,
        /// How many bytes it used.
        length: usize,
        /// Whether those were the fewest bytes possible (MQTT-1.5.5-1).
        minimal: bool,
    },
}

/// Reads a Variable Byte Integer from the front of `buf`.
pub fn decode_prefix(buf: &[u8]) -> Result<VarIntStatus, DecodeError> {
    let mut value: u32 = 0;
    for (index, &byte) in buf.iter().enumerate().take(4) {
        value |= u32::from(byte & 0x7F) << (7 * index);
        if byte & 0x80 == 0 {
            let length = index + 1;
            return Ok(VarIntStatus::Complete {
                value,
                length,
                minimal: length == 1 || byte != 0,
            });
        }
    }
    if buf.len() >= 4 {
        Err(DecodeError::VariableByteIntegerTooLong)
    } else {
        Ok(VarIntStatus::Incomplete)
    }
}

/// The number of bytes `value` takes as a Variable Byte Integer (`value` ≤ [`MAX_VALUE`]).
pub const fn encoded_len(value: usize) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Writes `value` (≤ [`MAX_VALUE`], checked by the caller) as a Variable Byte Integer.
pub fn encode(mut value: usize, buf: &mut impl BufMut) {
    loop {
        let mut byte = (value & 0x7F) as u8;
        value >>= 7;
        if value > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if value == 0 {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(buf: &[u8]) -> Option<(u32, usize, bool)> {
        match decode_prefix(buf) {
            Ok(VarIntStatus::Complete {
                value,
                length,
                minimal,
            }) => Some((value, length, minimal)),
            _ => None,
        }
    }

    #[test]
    fn boundary_values_round_trip() {
        for value in [
            0usize,
            127,
            128,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            268_435_455,
        ] {
            let mut buf = Vec::new();
            encode(value, &mut buf);
            assert_eq!(buf.len(), encoded_len(value));
            assert_eq!(complete(&buf), Some((value as u32, buf.len(), true)));
        }
    }

    #[test]
    fn non_minimal_encoding_is_flagged_mqtt_1_5_5_1() {
        assert_eq!(complete(&[0x80, 0x00]), Some((0, 2, false)));
        assert_eq!(complete(&[0xFF, 0x80, 0x00]), Some((127, 3, false)));
    }

    #[test]
    fn incomplete_and_too_long() {
        assert_eq!(decode_prefix(&[0x80, 0x80]), Ok(VarIntStatus::Incomplete));
        assert_eq!(
            decode_prefix(&[0x80, 0x80, 0x80, 0x80]),
            Err(DecodeError::VariableByteIntegerTooLong)
        );
    }
}
