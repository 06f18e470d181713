//! Criterion benchmarks of `hermod_router::matches` on representative filter/topic pairs.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hermod_router::matches;

/// Representative cases: (benchmark name, filter, topic).
const CASES: &[(&str, &str, &str)] = &[
    (
        "exact",
        "factory/line-7/press-03/telemetry/temperature",
        "factory/line-7/press-03/telemetry/temperature",
    ),
    (
        "plus_in_middle",
        "factory/+/press-03/telemetry/temperature",
        "factory/line-7/press-03/telemetry/temperature",
    ),
    (
        "trailing_hash",
        "factory/line-7/#",
        "factory/line-7/press-03/telemetry/temperature",
    ),
    (
        "non_match_early",
        "warehouse/+/press-03/telemetry/temperature",
        "factory/line-7/press-03/telemetry/temperature",
    ),
    (
        "non_match_late",
        "factory/line-7/press-03/telemetry/pressure",
        "factory/line-7/press-03/telemetry/temperature",
    ),
    ("dollar_rule", "#", "$SYS/broker/clients/connected"),
];

/// Benchmarks each case as its own criterion function in the `matches` group.
fn bench_matches(c: &mut Criterion) {
    let mut group = c.benchmark_group("matches");
    for &(name, filter, topic) in CASES {
        group.bench_function(name, |b| {
            b.iter(|| matches(black_box(filter), black_box(topic)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_matches);
criterion_main!(benches);
