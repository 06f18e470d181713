//! The header at the start of every benchmark payload: the send time in nanoseconds since the
//! Unix epoch (the wall clock, shared by publisher and subscriber on one machine), the
//! publisher's index and its sequence number. All big-endian; the rest of the payload is zeros
//! up to the requested size.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut as _, BytesMut};

use crate::BenchError;

/// The header's size in bytes: the smallest payload `bench pub` sends.
pub const HEADER_LEN: usize = 20;

/// What a benchmark payload carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// When the message was sent, in nanoseconds since the Unix epoch.
    pub sent_ns: u64,
    /// The index of the publisher that sent it.
    pub publisher: u32,
    /// The publisher's sequence number, from 0.
    pub sequence: u64,
}

impl Header {
    /// Appends the header and zero padding to `buf`, `size` bytes in all (at least
    /// [`HEADER_LEN`]).
    pub fn write(&self, size: usize, buf: &mut BytesMut) {
        buf.reserve(size.max(HEADER_LEN));
        buf.put_u64(self.sent_ns);
        buf.put_u32(self.publisher);
        buf.put_u64(self.sequence);
        buf.put_bytes(0, size.saturating_sub(HEADER_LEN));
    }

    /// Reads the header at the start of `payload`.
    pub fn read(payload: &[u8]) -> Result<Header, BenchError> {
        let (Some(sent), Some(publisher), Some(sequence)) =
            (payload.get(0..8), payload.get(8..12), payload.get(12..20))
        else {
            return Err(BenchError::BadPayload(payload.len()));
        };
        let mut sent_ns = [0; 8];
        sent_ns.copy_from_slice(sent);
        let mut index = [0; 4];
        index.copy_from_slice(publisher);
        let mut seq = [0; 8];
        seq.copy_from_slice(sequence);
        Ok(Header {
            sent_ns: u64::from_be_bytes(sent_ns),
            publisher: u32::from_be_bytes(index),
            sequence: u64::from_be_bytes(seq),
        })
    }
}

/// The wall clock in nanoseconds since the Unix epoch (0 before it, saturating far after).
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| u64::try_from(since.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_with_padding() {
        let header = Header {
            sent_ns: now_ns(),
            publisher: 7,
            sequence: u64::MAX - 1,
        };
        let mut buf = BytesMut::new();
        header.write(100, &mut buf);
        assert_eq!(buf.len(), 100);
        assert_eq!(Header::read(&buf).unwrap(), header);
    }

    #[test]
    fn small_size_still_writes_the_whole_header() {
        let header = Header {
            sent_ns: 1,
            publisher: 0,
            sequence: 2,
        };
        let mut buf = BytesMut::new();
        header.write(1, &mut buf);
        assert_eq!(buf.len(), HEADER_LEN);
        assert_eq!(Header::read(&buf).unwrap(), header);
    }

    #[test]
    fn short_payload_is_an_error() {
        assert!(matches!(
            Header::read(&[0; HEADER_LEN - 1]),
            Err(BenchError::BadPayload(19))
        ));
    }
}
