//! Proptest strategies for every packet of every protocol version, in the form that version can
//! carry, shared by the property-test binaries (`roundtrip`, `arbitrary_bytes`, `alloc_bound`).
//!
//! "Client packets" are those a client sends (decoded with [`Role::Server`]), "server packets"
//! those a server sends (decoded with [`Role::Client`]). CONNECT is kept apart: it is decoded by
//! a decoder that does not know the version yet, and it is always encoded in its own version.
//!
//! Each test binary uses a different subset of these helpers.
//!
//! Layout: `fields` (versions, roles, strings, topics, filters, identifiers, QoS, reason
//! codes), `codes` (the reason codes each packet may carry), `connect` (CONNECT, the will,
//! CONNACK), `publish` (PUBLISH), `acks` (PUBACK to PUBCOMP, SUBACK, UNSUBACK),
//! `subscribe` (SUBSCRIBE, UNSUBSCRIBE), `control` (DISCONNECT, AUTH), `stream` (any
//! packet of a side, streams, their encoding and decoder) and `mutation` (byte-string
//! mutations). The helpers the test binaries call are re-exported here.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod acks;
pub(crate) mod codes;
mod connect;
mod control;
mod fields;
mod mutation;
mod publish;
mod stream;
mod subscribe;

use hermod_codec::Role;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

// Each test binary uses a different subset of these re-exports.
#[allow(unused_imports)]
pub(crate) use connect::{any_connect, connect};
#[allow(unused_imports)]
pub(crate) use fields::{
    binary, mqtt_string, payload, requested, requested_filter, role, subscription_id, topic_name,
    user_properties, version,
};
#[allow(unused_imports)]
pub(crate) use mutation::{Mutation, mutate, mutation};
#[allow(unused_imports)]
pub(crate) use publish::publish;
#[allow(unused_imports)]
pub(crate) use stream::{client_packet, encode_all, packet, server_packet, stream, stream_decoder};

/// The proptest configuration of these tests: `cases` cases, and failures saved next to the
/// test file (`tests/NAME.proptest-regressions`; integration tests have no `lib.rs` for
/// proptest's default location).
pub(crate) fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// Which end sends a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sender {
    /// Client to server: decoded with [`Role::Server`].
    Client,
    /// Server to client: decoded with [`Role::Client`].
    Server,
}

impl Sender {
    /// The role of the decoder that receives this sender's packets.
    pub(crate) fn receiver(self) -> Role {
        match self {
            Sender::Client => Role::Server,
            Sender::Server => Role::Client,
        }
    }
}
