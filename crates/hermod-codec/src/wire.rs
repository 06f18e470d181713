//! Reading and writing the primitive data types of MQTT 5.0 section 1.5 inside one packet.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{DecodeError, EncodeError};
use crate::qos::PacketId;
use crate::string::{MAX_FIELD_LEN, MqttString};
use crate::varint::{self, VarIntStatus};

/// A cursor over one packet's body. Every read is bounds-checked and slices share the packet's
/// buffer.
#[derive(Debug)]
pub(crate) struct Reader {
    body: Bytes,
    /// Whether Variable Byte Integers must use the minimum number of bytes (MQTT 5).
    strict_varint: bool,
}

impl Reader {
    pub(crate) fn new(body: Bytes, strict_varint: bool) -> Reader {
        Reader {
            body,
            strict_varint,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.body.remaining()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    pub(crate) fn read_u8(&mut self) -> Result<u8, DecodeError> {
        self.body.try_get_u8().map_err(|_| DecodeError::Truncated)
    }

    pub(crate) fn read_u16(&mut self) -> Result<u16, DecodeError> {
        self.body.try_get_u16().map_err(|_| DecodeError::Truncated)
    }

    pub(crate) fn read_u32(&mut self) -> Result<u32, DecodeError> {
        self.body.try_get_u32().map_err(|_| DecodeError::Truncated)
    }

    pub(crate) fn read_varint(&mut self) -> Result<u32, DecodeError> {
        match varint::decode_prefix(&self.body)? {
            VarIntStatus::Incomplete => Err(DecodeError::Truncated),
            VarIntStatus::Complete {
                value,
                length,
                minimal,
            } => {
                if self.strict_varint && !minimal {
                    return Err(DecodeError::VariableByteIntegerNotMinimal);
                }
                self.body.advance(length);
                Ok(value)
            }
        }
    }

    /// Takes the next `len` bytes as a shared slice.
    pub(crate) fn take(&mut self, len: usize) -> Result<Bytes, DecodeError> {
        if len > self.body.len() {
            return Err(DecodeError::Truncated);
        }
        Ok(self.body.split_to(len))
    }

    /// Takes everything left (a PUBLISH payload).
    pub(crate) fn take_rest(&mut self) -> Bytes {
        std::mem::take(&mut self.body)
    }

    /// Binary Data: a two-byte length and that many bytes.
    pub(crate) fn read_binary(&mut self) -> Result<Bytes, DecodeError> {
        let len = usize::from(self.read_u16()?);
        self.take(len)
    }

    /// A UTF-8 Encoded String.
    pub(crate) fn read_string(&mut self) -> Result<MqttString, DecodeError> {
        let bytes = self.read_binary()?;
        MqttString::from_bytes(bytes)
    }

    pub(crate) fn read_packet_id(&mut self) -> Result<PacketId, DecodeError> {
        PacketId::new(self.read_u16()?).ok_or(DecodeError::ZeroPacketId)
    }

    /// Takes the next `len` bytes as a sub-reader (a property block).
    pub(crate) fn sub_reader(&mut self, len: usize) -> Result<Reader, DecodeError> {
        Ok(Reader::new(self.take(len)?, self.strict_varint))
    }

    /// Fails unless every byte was consumed (the Remaining Length matches the content).
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.body.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                count: self.body.len(),
            })
        }
    }
}

/// The wire size of a Binary Data field, failing if it is too long to encode.
pub(crate) fn binary_len(data: &[u8]) -> Result<usize, EncodeError> {
    if data.len() > MAX_FIELD_LEN {
        return Err(EncodeError::FieldTooLong { len: data.len() });
    }
    Ok(2 + data.len())
}

/// Writes a Binary Data field whose length was checked by [`binary_len`].
pub(crate) fn put_binary(buf: &mut BytesMut, data: &[u8]) {
    buf.put_u16(data.len() as u16);
    buf.put_slice(data);
}

/// Writes a UTF-8 Encoded String (its length is bounded by [`MqttString`]).
pub(crate) fn put_string(buf: &mut BytesMut, string: &MqttString) {
    put_binary(buf, string.as_bytes());
}

/// Writes a fixed header and reserves room for the whole packet, so encoding the body never
/// reallocates.
pub(crate) fn put_fixed_header(
    buf: &mut BytesMut,
    first_byte: u8,
    remaining_length: usize,
) -> Result<(), EncodeError> {
    if remaining_length > varint::MAX_VALUE as usize {
        return Err(EncodeError::RemainingLengthTooLarge {
            len: remaining_length,
        });
    }
    buf.reserve(1 + varint::encoded_len(remaining_length) + remaining_length);
    buf.put_u8(first_byte);
    varint::encode(remaining_length, buf);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let mut reader = Reader::new(Bytes::from_static(&[0x00, 0x05, b'a']), true);
        assert_eq!(reader.read_binary(), Err(DecodeError::Truncated));
        let mut reader = Reader::new(Bytes::from_static(&[0x01]), true);
        assert_eq!(reader.read_u16(), Err(DecodeError::Truncated));
        let mut reader = Reader::new(Bytes::from_static(&[0x00, 0x00]), true);
        assert_eq!(reader.read_packet_id(), Err(DecodeError::ZeroPacketId));
    }

    #[test]
    fn strict_varint_rejects_non_minimal_mqtt_1_5_5_1() {
        let mut reader = Reader::new(Bytes::from_static(&[0x80, 0x00]), true);
        assert_eq!(
            reader.read_varint(),
            Err(DecodeError::VariableByteIntegerNotMinimal)
        );
        let mut reader = Reader::new(Bytes::from_static(&[0x80, 0x00]), false);
        assert_eq!(reader.read_varint(), Ok(0));
    }

    #[test]
    fn finish_reports_trailing_bytes() {
        let reader = Reader::new(Bytes::from_static(&[1, 2]), true);
        assert_eq!(
            reader.finish(),
            Err(DecodeError::TrailingBytes { count: 2 })
        );
    }
}
