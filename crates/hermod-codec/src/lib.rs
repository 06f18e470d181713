//! The MQTT 3.1, 3.1.1 and 5.0 wire format for Hermod.
//!
//! This crate owns every control packet's form: decoding from a read buffer, encoding into a
//! write buffer, and the validation of every MUST the three specifications place on a packet's
//! form. Each violation is a distinct [`DecodeError`] variant carrying the MQTT 5 reason code to
//! answer with and the normative rule id it breaks.
//!
//! It must not depend on anything but `bytes` and `thiserror`: no async runtime, no I/O and no
//! broker policy (what a broker does with a valid packet lives in `hermod-core`; topic matching
//! lives in `hermod-router`).
//!
//! Decoding is incremental and zero-copy: [`Decoder::decode`] returns `Ok(None)` until a whole
//! packet is buffered, rejects an over-long packet from its fixed header alone, and hands out
//! payloads and strings as `Bytes` slices of the read buffer. Encoding computes the exact length
//! first and reserves it once; [`Packet::encode_to_bytes`] gives a buffer many recipients can
//! share.
//!
//! Modules:
//! - [`decoder`]: the incremental [`Decoder`].
//! - [`packet`]: the [`Packet`] enum and one module per packet form.
//! - [`header`]: packet types and the fixed header.
//! - [`property`]: MQTT 5 property identifiers and value types.
//! - [`reason`]: MQTT 5 reason codes and MQTT 3.x CONNACK return codes.
//! - [`error`]: [`DecodeError`] (with reason codes and rule ids) and [`EncodeError`].
//! - [`string`], [`topic`]: validated UTF-8 strings, topic names and topic filters.
//! - [`qos`], [`version`]: QoS, packet identifiers, protocol versions and roles.
//! - [`varint`]: Variable Byte Integers.
#![forbid(unsafe_code)]
#![warn(clippy::indexing_slicing)]

pub mod decoder;
pub mod error;
pub mod header;
pub mod packet;
pub mod property;
pub mod qos;
pub mod reason;
pub mod string;
pub mod topic;
pub mod varint;
pub mod version;
mod wire;

pub use decoder::Decoder;
pub use error::{DecodeError, EncodeError};
pub use header::PacketType;
pub use packet::*;
pub use property::{PayloadFormat, PropertyId, SubscriptionId, TopicAlias, UserProperty};
pub use qos::{PacketId, QoS};
pub use reason::{ConnectReturnCode, ReasonCode};
pub use string::MqttString;
pub use topic::{TopicFilter, TopicName};
pub use version::{ProtocolVersion, Role};
