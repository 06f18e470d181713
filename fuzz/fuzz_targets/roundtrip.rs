//! Fuzzes a server-side decoder from the start of a connection (CONNECT first, any version),
//! checking decode → encode → decode stability of every packet it accepts.
#![no_main]

use hermod_codec::Role;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hermod_fuzz::decode_all(data, Role::Server, None);
});
