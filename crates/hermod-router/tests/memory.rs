//! Allocation tests: the publish path allocates nothing, the indexes' memory per entry stays
//! within budget, and removing everything gives the memory back.
//!
//! Figures are printed (`cargo test -p hermod-router --release --test memory -- --nocapture`);
//! the 1 M-entry measurements are `#[ignore]`d because they take a while in a debug build.
//! Bounds are generous on purpose: they catch a layout regression (a hash map per node, spare
//! vector capacity), not a few bytes.

mod support;

use hermod_router::{
    MatchVisitor, PublishContext, RetainedIndex, ShareStrategy, SharedGroup, SubscriptionIndex,
};
use hermod_testkit::alloc_counter::{CountingAllocator, is_installed, measure};
use support::workload;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

/// Subscription data of a realistic size: granted QoS and options, a subscription identifier.
type Grant = u64;

fn build_subscriptions(count: u64) -> SubscriptionIndex<u64, Grant> {
    let mut index = SubscriptionIndex::new();
    for (filter, key) in workload::subscriptions(count) {
        index.insert(&filter, key, key);
    }
    index
}

/// Builds the realistic mix of `count` subscriptions and returns the bytes it holds per entry.
fn bytes_per_subscription(count: u64) -> f64 {
    let filters = workload::subscriptions(count);
    let (index, measured) = measure(|| {
        let mut index = SubscriptionIndex::<u64, Grant>::new();
        for (filter, key) in &filters {
            index.insert(filter, *key, *key);
        }
        index
    });
    assert_eq!(index.len() as u64, count);
    let per_entry = measured.retained_bytes as f64 / count as f64;
    println!(
        "subscriptions: {count} entries, {} bytes, {per_entry:.0} bytes/entry",
        measured.retained_bytes
    );
    per_entry
}

/// Builds a retained index of `sites × 10 000` topics and returns the bytes it holds per entry.
fn bytes_per_retained(sites: u32) -> f64 {
    let (index, measured) = measure(|| {
        let mut index = RetainedIndex::<u64>::new();
        for (value, topic) in (0..).zip(workload::retained_topics(sites)) {
            index.insert(&topic, value);
        }
        index
    });
    let per_entry = measured.retained_bytes as f64 / index.len() as f64;
    println!(
        "retained: {} entries, {} bytes, {per_entry:.0} bytes/entry",
        index.len(),
        measured.retained_bytes
    );
    per_entry
}

#[test]
fn allocator_is_installed() {
    assert!(is_installed());
}

#[test]
fn matching_a_topic_allocates_nothing() {
    let index = build_subscriptions(20_000);
    let mut shared = SubscriptionIndex::<u64, Grant>::new();
    for member in 0..20 {
        shared.insert_shared("workers", "device/+/status", member, member);
    }
    let topics: Vec<String> = [
        "device/7/cmd",
        "device/40/status",
        "building/3/x/temperature",
        "$SYS/x",
        "nothing",
    ]
    .map(String::from)
    .to_vec();
    for topic in &topics {
        let ((), measured) = measure(|| {
            let mut count = 0_usize;
            index.for_each_match(topic, |_, _| count += 1);
            shared.for_each_shared_match(topic, |group| {
                let context = PublishContext {
                    topic,
                    publisher: "p",
                };
                for strategy in [
                    ShareStrategy::RoundRobin,
                    ShareStrategy::Random,
                    ShareStrategy::Sticky,
                    ShareStrategy::HashTopic,
                ] {
                    count += usize::from(
                        group
                            .select(strategy, context, |key, _| key % 3 != 0)
                            .is_some(),
                    );
                }
            });
            std::hint::black_box(count);
        });
        assert_eq!(
            (measured.allocations, measured.reallocations),
            (0, 0),
            "{topic}"
        );
    }
}

#[test]
fn visiting_matches_allocates_nothing() {
    struct Count(usize);
    impl<'a> MatchVisitor<'a, u64, Grant> for Count {
        fn visit_subscription(&mut self, _: &'a u64, _: &'a Grant) {
            self.0 += 1;
        }
        fn visit_shared_group(&mut self, group: &'a SharedGroup<u64, Grant>) {
            self.0 += group.len();
        }
    }
    let index = build_subscriptions(5_000);
    let ((), measured) = measure(|| {
        let mut visitor = Count(0);
        index.visit_matches("device/25/status", &mut visitor);
        assert_eq!(
            visitor.0 as u64,
            workload::HASH_SUBSCRIBERS + workload::STATUS_SUBSCRIBERS
        );
    });
    assert_eq!(measured.allocations, 0);
}

#[test]
fn subscription_memory_per_entry_is_bounded() {
    assert!(bytes_per_subscription(100_000) < 400.0);
}

#[test]
fn retained_memory_per_entry_is_bounded() {
    assert!(bytes_per_retained(10) < 200.0);
}

#[test]
#[ignore = "slow in debug builds; run with --release --ignored --nocapture for the figures"]
fn memory_per_entry_at_one_million() {
    assert!(bytes_per_subscription(1_000_000) < 400.0);
    assert!(bytes_per_retained(100) < 200.0);
}

#[test]
fn removing_every_subscription_gives_the_memory_back() {
    let filters = workload::subscriptions(20_000);
    let (index, measured) = measure(|| {
        let mut index = SubscriptionIndex::<u64, Grant>::new();
        for (filter, key) in &filters {
            index.insert(filter, *key, *key);
            index.insert_shared("g", filter, *key, *key);
        }
        for (filter, key) in &filters {
            index.remove(filter, key);
            index.remove_shared("g", filter, key);
        }
        index
    });
    assert!(index.is_empty());
    assert!(measured.peak_bytes > 1_000_000, "{measured:?}");
    assert_eq!(measured.retained_bytes, 0, "{measured:?}");
}

#[test]
fn removing_every_retained_message_gives_the_memory_back() {
    let (index, measured) = measure(|| {
        let mut index = RetainedIndex::new();
        for topic in workload::retained_topics(2) {
            index.insert(&topic, ());
        }
        for topic in workload::retained_topics(2) {
            index.remove(&topic);
        }
        index
    });
    assert!(index.is_empty());
    assert_eq!(measured.retained_bytes, 0, "{measured:?}");
}
