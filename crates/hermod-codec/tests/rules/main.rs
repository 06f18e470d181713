//! Spec-vector tests: every MUST the MQTT 3.1, 3.1.1 and 5.0 specifications place on a packet's
//! form, checked against hand-written wire bytes.
//!
//! Layout:
//! - Vectors are written by hand from the specifications (never produced by our encoder) as
//!   strings for [`harness::wire`]: hex bytes separated by spaces, with `'...'` for a run of
//!   ASCII text. Every vector holds exactly one packet; [`harness::check_vector_length`]
//!   verifies its Remaining Length so that a miscounted vector cannot pass for the wrong reason.
//! - Each concept module ([`encoding`], [`framing`], [`sequence`], [`remaining_length`],
//!   [`connect`], [`publish`], [`acks`], [`subscribe`]) has an `ERRORS` table, all listed in
//!   [`ERROR_TABLES`]: one row per violation, labelled with the rule id it breaks (5.0 id, or
//!   the 3.1.1 id for a 3.1.1 row; a section where the spec has no id). Each row is decoded by
//!   the [`harness::Peer`] it names and must fail with the exact `DecodeError`, its
//!   `reason_code()`, its `rule()` (5.0) and its `rule_for(3.1.1)`.
//! - [`subscribe::FILTER_ERRORS`]: invalid topic filters, which do not fail the
//!   SUBSCRIBE/UNSUBSCRIBE but come back as that entry's `Err(InvalidTopicFilter)` (answered with
//!   0x8F/0x80 per filter).
//! - [`valid_v3`] and [`valid_v5`]: a valid example of each packet type per version (15 for 5.0,
//!   14 for 3.1.1 and 3.1, which have no AUTH) and the rule-specific positive vectors (3.1's
//!   MQIsdp and DUP headers, 5.0 topic aliases, ...), each decoding to the expected struct.
//! - Checks the decoder leaves to the receiver (Payload Format Indicator, in [`publish`]) and the
//!   limits of the string type (in [`encoding`]).
//! - The incremental decoder ([`incremental`]): strict prefixes, several packets in one buffer
//!   and zero-copy payloads; the size limit ([`framing`]), per-entry filter errors
//!   ([`subscribe`]), version adoption and the CONNECT sequence ([`sequence`]).
//! - [`every_decoder_error_variant_has_a_vector`] proves the tables reach every variant the
//!   decoder can produce (listed in [`coverage`]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod acks;
mod connect;
mod coverage;
mod encoding;
mod framing;
mod harness;
mod incremental;
mod publish;
mod remaining_length;
mod sequence;
mod subscribe;
mod valid_v3;
mod valid_v5;

use std::collections::BTreeSet;

use coverage::{DECODER_VARIANTS, variant};
use harness::{Case, check_case};
use subscribe::FILTER_ERRORS;

/// Every table of violations, one per concept module. A table left out of this list is
/// reported as dead code.
const ERROR_TABLES: &[&[Case]] = &[
    encoding::ERRORS,
    framing::ERRORS,
    sequence::ERRORS,
    remaining_length::ERRORS,
    connect::ERRORS,
    publish::ERRORS,
    acks::ERRORS,
    subscribe::ERRORS,
];

/// Every row of every violation table.
fn errors() -> impl Iterator<Item = &'static Case> {
    ERROR_TABLES.iter().flat_map(|table| table.iter())
}

#[test]
fn every_violation_is_rejected_with_its_reason_code_and_rule() {
    let failures: Vec<String> = errors()
        .filter_map(|case| {
            check_case(case)
                .err()
                .map(|why| format!("{}: {why}", case.label))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        errors().count(),
        failures.join("\n")
    );
}

#[test]
fn violation_labels_are_unique_and_name_a_rule() {
    let mut seen = BTreeSet::new();
    for label in errors()
        .map(|case| case.label)
        .chain(FILTER_ERRORS.iter().map(|case| case.label))
    {
        assert!(seen.insert(label), "duplicate label {label}");
        assert!(label.contains("MQTT-"), "{label} names no rule");
    }
}

#[test]
fn every_decoder_error_variant_has_a_vector() {
    let covered: BTreeSet<&str> = errors()
        .map(|case| variant(&case.error))
        .chain(FILTER_ERRORS.iter().map(|case| variant(&case.error)))
        .collect();
    let missing: Vec<&str> = DECODER_VARIANTS
        .iter()
        .copied()
        .filter(|name| !covered.contains(name))
        .collect();
    assert!(missing.is_empty(), "no vector for {missing:?}");
    assert!(
        !covered.contains("a variant this test does not know yet"),
        "extend `variant`"
    );
}
