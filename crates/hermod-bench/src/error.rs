//! The errors of the load generator.

use hermod_codec::{DecodeError, EncodeError, ReasonCode};

/// Why a benchmark, or one of its connections, failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The options cannot run (e.g. zero connections).
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    /// Reading or writing the socket (or connecting) failed.
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// The server refused the connection in its CONNACK, or sent DISCONNECT.
    #[error("refused by the server: {0}")]
    Refused(ReasonCode),
    /// The server sent a malformed packet.
    #[error("protocol error: {0}")]
    Decode(#[from] DecodeError),
    /// The server sent a valid packet that is not expected now.
    #[error("protocol error: unexpected {0}")]
    Unexpected(&'static str),
    /// A packet could not be encoded (e.g. a client id too long).
    #[error("cannot encode a packet: {0}")]
    Encode(#[from] EncodeError),
    /// A received payload is too short for the benchmark header (its length).
    #[error("a payload of {0} bytes has no benchmark header")]
    BadPayload(usize),
    /// The server refused a subscription in its SUBACK.
    #[error("subscription refused: {0}")]
    SubscriptionRefused(ReasonCode),
    /// The server did not answer in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
}
