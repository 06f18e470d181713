//! Incremental decoding of packets from a read buffer.

use bytes::{Buf, BytesMut};

use crate::error::DecodeError;
use crate::header::{FixedHeader, MAX_PACKET_SIZE};
use crate::packet::Packet;
use crate::version::{ProtocolVersion, Role};

/// Decodes packets one at a time from the front of a read buffer.
///
/// Call [`Decoder::decode`] in a loop after every read until it returns `Ok(None)`; each
/// returned packet's byte fields are zero-copy slices of the buffer. A server-side decoder starts
/// without a version and adopts the version of the CONNECT it decodes.
#[derive(Clone, Debug)]
pub struct Decoder {
    role: Role,
    version: Option<ProtocolVersion>,
    max_packet_size: usize,
}

impl Decoder {
    /// A decoder for a server (no version until CONNECT) with no size limit beyond the
    /// protocol's own.
    pub fn new(role: Role) -> Decoder {
        Decoder {
            role,
            version: None,
            max_packet_size: MAX_PACKET_SIZE,
        }
    }

    /// A decoder for a connection whose version is already known (a client after sending
    /// CONNECT).
    pub fn with_version(role: Role, version: ProtocolVersion) -> Decoder {
        Decoder {
            version: Some(version),
            ..Decoder::new(role)
        }
    }

    /// Sets the largest packet accepted, fixed header included (bytes). A packet whose header
    /// declares more fails with [`DecodeError::PacketTooLarge`] before its body is buffered.
    pub fn set_max_packet_size(&mut self, max_packet_size: usize) {
        self.max_packet_size = max_packet_size;
    }

    /// The largest packet accepted, in bytes.
    pub fn max_packet_size(&self) -> usize {
        self.max_packet_size
    }

    /// The connection's protocol version, once known.
    pub fn version(&self) -> Option<ProtocolVersion> {
        self.version
    }

    /// Sets the protocol version (a client does this when it sends CONNECT).
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.version = Some(version);
    }

    /// Decodes the next packet at the front of `buf`, removing its bytes.
    ///
    /// `Ok(None)` means the buffer does not hold a whole packet yet; nothing is consumed or
    /// copied. After an error the connection must be closed: the buffer's state is unspecified.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Packet>, DecodeError> {
        let Some(header) = FixedHeader::parse(buf)? else {
            return Ok(None);
        };
        let size = header.packet_size();
        if size > self.max_packet_size {
            return Err(DecodeError::PacketTooLarge {
                size,
                limit: self.max_packet_size,
            });
        }
        if buf.len() < size {
            return Ok(None);
        }
        let mut body = buf.split_to(size).freeze();
        body.advance(header.header_length);
        let packet = Packet::decode_body(&header, body, self.version, self.role)?;
        if let Packet::Connect(connect) = &packet {
            self.version = Some(connect.protocol);
        }
        Ok(Some(packet))
    }

    /// How many bytes the packet at the front of `buf` needs in total, once its fixed header
    /// is complete; lets a reader reserve room for a large packet in one step.
    pub fn pending_packet_size(buf: &[u8]) -> Result<Option<usize>, DecodeError> {
        Ok(FixedHeader::parse(buf)?.map(|header| header.packet_size()))
    }
}
