//! Fuzzes the decoder on an MQTT 3.1.1 connection, as a server and as a client.
#![no_main]

use hermod_codec::{ProtocolVersion, Role};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hermod_fuzz::decode_all(data, Role::Server, Some(ProtocolVersion::V3_1_1));
    hermod_fuzz::decode_all(data, Role::Client, Some(ProtocolVersion::V3_1_1));
});
