//! Criterion benchmarks of the subscription and retained indexes.
//!
//! - `subscription_match/{case}/{n}`: one `for_each_match` on an index of `n` subscriptions of
//!   the realistic mix in `tests/support/workload.rs`, for topics cycling through random device
//!   ids (so a large index is not served from one hot cache line). `cmd` hits a device's own
//!   filter plus the `#` observers (about 6 matches), `status` the `device/+/status` dashboards
//!   (25), `miss` only the `#` observers (5).
//! - `shared_select/{strategy}`: finding one matching shared group of 20 members and selecting
//!   its recipient.
//! - `subscription_churn/{case}`: a subscribe + unsubscribe pair on an index of 100 000.
//! - `retained/{case}`: `for_each_matching` on one million retained topics.
//!
//! Run: `cargo bench -p hermod-router --bench index -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hermod_router::{PublishContext, RetainedIndex, ShareStrategy, SubscriptionIndex};

#[path = "../tests/support/workload.rs"]
mod workload;

/// How many distinct topics each match benchmark cycles through.
const TOPICS: usize = 4096;

fn build_subscriptions(count: u64) -> SubscriptionIndex<u64, u64> {
    let mut index = SubscriptionIndex::new();
    for (filter, key) in workload::subscriptions(count) {
        index.insert(&filter, key, key);
    }
    index
}

/// Benchmarks `f` over `topics`, one topic per iteration, cycling.
fn bench_cycling(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: BenchmarkId,
    topics: &[String],
    mut f: impl FnMut(&str) -> usize,
) {
    group.bench_function(id, |b| {
        let mut next = 0;
        b.iter(|| {
            next = (next + 1) % topics.len();
            black_box(f(black_box(&topics[next])))
        });
    });
}

fn subscription_match(c: &mut Criterion) {
    let mut group = c.benchmark_group("subscription_match");
    group.throughput(Throughput::Elements(1));
    for count in [1_000_u64, 100_000, 1_000_000] {
        let index = build_subscriptions(count);
        let ids = workload::device_ids(TOPICS, count);
        let cases: [(&str, Vec<String>); 3] = [
            (
                "cmd",
                ids.iter().map(|id| format!("device/{id}/cmd")).collect(),
            ),
            (
                "status",
                ids.iter().map(|id| format!("device/{id}/status")).collect(),
            ),
            (
                "miss",
                ids.iter().map(|id| format!("weather/{id}/wind")).collect(),
            ),
        ];
        for (case, topics) in &cases {
            let matches: usize = topics.iter().map(|t| count_matches(&index, t)).sum();
            println!(
                "{case}/{count}: {:.1} matches per topic",
                matches as f64 / topics.len() as f64
            );
            bench_cycling(
                &mut group,
                BenchmarkId::new(*case, count),
                topics,
                |topic| count_matches(&index, topic),
            );
        }
    }
    group.finish();
}

fn count_matches(index: &SubscriptionIndex<u64, u64>, topic: &str) -> usize {
    let mut matches = 0;
    index.for_each_match(topic, |_, grant| matches += usize::from(*grant != u64::MAX));
    matches
}

fn shared_select(c: &mut Criterion) {
    let mut group = c.benchmark_group("shared_select");
    group.throughput(Throughput::Elements(1));
    let mut index = build_subscriptions(100_000);
    for member in 0..20 {
        index.insert_shared("dashboards", "device/+/status", member, member);
    }
    let topics: Vec<String> = workload::device_ids(TOPICS, 100_000)
        .iter()
        .map(|id| format!("device/{id}/status"))
        .collect();
    for strategy in [
        ShareStrategy::RoundRobin,
        ShareStrategy::Random,
        ShareStrategy::Sticky,
        ShareStrategy::HashClientId,
        ShareStrategy::HashTopic,
    ] {
        let id = BenchmarkId::from_parameter(format!("{strategy:?}"));
        bench_cycling(&mut group, id, &topics, |topic| {
            let mut chosen = 0;
            index.for_each_shared_match(topic, |group| {
                let context = PublishContext {
                    topic,
                    publisher: "client-17",
                };
                if let Some((key, _)) = group.select(strategy, context, |key, _| key % 5 != 4) {
                    chosen += *key as usize;
                }
            });
            chosen
        });
    }
    group.finish();
}

fn subscription_churn(c: &mut Criterion) {
    let mut group = c.benchmark_group("subscription_churn");
    group.throughput(Throughput::Elements(1));
    let mut index = build_subscriptions(100_000);
    // New devices: each pair creates two trie nodes and prunes them again.
    let new_filters: Vec<String> = (100_000..100_000 + TOPICS as u64)
        .map(|id| format!("device/{id}/cmd"))
        .collect();
    group.bench_function("new_device_filter", |b| {
        let mut next = 0;
        b.iter(|| {
            next = (next + 1) % new_filters.len();
            let filter = &new_filters[next];
            index.insert(filter, 1, 1);
            black_box(index.remove(filter, &1))
        });
    });
    // A second session on an existing device filter: no node is created.
    let existing: Vec<String> = workload::device_ids(TOPICS, 100_000)
        .iter()
        .map(|id| workload::filter(*id))
        .collect();
    group.bench_function("existing_filter", |b| {
        let mut next = 0;
        b.iter(|| {
            next = (next + 1) % existing.len();
            let filter = &existing[next];
            index.insert(filter, u64::MAX, 1);
            black_box(index.remove(filter, &u64::MAX))
        });
    });
    group.bench_function("shared_member", |b| {
        let mut next = 0_u64;
        b.iter(|| {
            next = (next + 1) % 64;
            index.insert_shared("workers", "device/+/status", next, 1);
            black_box(index.remove_shared("workers", "device/+/status", &next))
        });
    });
    group.finish();
}

fn retained(c: &mut Criterion) {
    let mut group = c.benchmark_group("retained");
    let mut index = RetainedIndex::new();
    for (value, topic) in (0_u64..).zip(workload::retained_topics(100)) {
        index.insert(&topic, value);
    }
    println!("retained: {} topics", index.len());
    let cases = [
        ("exact", "site-42/floor-17/sensor-3"),
        ("plus_last", "site-42/floor-17/+"),
        ("plus_middle", "site-42/+/sensor-3"),
        ("plus_first", "+/floor-17/sensor-3"),
        ("hash_floor", "site-42/floor-17/#"),
        ("hash_site", "site-42/#"),
    ];
    for (case, filter) in cases {
        let mut matches = 0_u64;
        index.for_each_matching(filter, |_, _| matches += 1);
        println!("retained {case} ({filter}): {matches} matches");
        group.throughput(Throughput::Elements(matches));
        group.bench_function(case, |b| {
            b.iter(|| {
                let mut sum = 0_u64;
                index.for_each_matching(black_box(filter), |topic, value| {
                    sum += value + topic.len() as u64
                });
                sum
            });
        });
    }
    group.throughput(Throughput::Elements(1));
    group.bench_function("get", |b| {
        b.iter(|| index.get(black_box("site-42/floor-17/sensor-3")));
    });
    group.finish();
}

criterion_group!(
    benches,
    subscription_match,
    shared_select,
    subscription_churn,
    retained
);
criterion_main!(benches);
