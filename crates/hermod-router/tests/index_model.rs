//! Model tests: `SubscriptionIndex` and `RetainedIndex` against a naive scan with `matches`.
//!
//! Each case draws a small pool of filters and topics from a small alphabet of levels (the empty
//! level and `$`-prefixed levels included, so the `$` rule and empty levels come up often), then
//! a random sequence of operations on pool entries. After every operation the indexes must agree
//! with the model — a plain list scanned with [`matches`] — for every probe topic or filter; at
//! the end everything is removed and the indexes must be empty again.

use std::collections::BTreeMap;

use hermod_router::{PublishContext, RetainedIndex, ShareStrategy, SubscriptionIndex, matches};
use proptest::prelude::*;

/// Literal levels used for filters and topics.
const LEVELS: &[&str] = &["a", "b", "", "$SYS", "$x"];

/// Share group names.
const GROUPS: &[&str] = &["g1", "g2"];

/// Every selection strategy.
const STRATEGIES: [ShareStrategy; 5] = [
    ShareStrategy::RoundRobin,
    ShareStrategy::Random,
    ShareStrategy::Sticky,
    ShareStrategy::HashClientId,
    ShareStrategy::HashTopic,
];

/// A valid topic name: one to four literal levels, not empty.
fn topic() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(LEVELS), 1..=4)
        .prop_map(|levels| levels.join("/"))
        .prop_filter("topic names are non-empty", |t| !t.is_empty())
}

/// A valid topic filter: literal and `+` levels, optionally a trailing `#`, not empty.
fn filter() -> impl Strategy<Value = String> {
    let level = prop_oneof![3 => prop::sample::select(LEVELS), 1 => Just("+")];
    (prop::collection::vec(level, 0..=4), any::<bool>())
        .prop_map(|(mut levels, hash)| {
            if hash {
                levels.push("#");
            }
            levels.join("/")
        })
        .prop_filter("topic filters are non-empty", |f| !f.is_empty())
}

/// Topics that `filter` matches or nearly matches: its wildcards filled in three ways.
fn instances(filter: &str) -> Vec<String> {
    let fills = [("a", ""), ("", "b"), ("$SYS", "b//a")];
    fills
        .iter()
        .map(|(plus, hash)| {
            let levels: Vec<&str> = filter
                .split('/')
                .filter_map(|level| match level {
                    "+" => Some(*plus),
                    "#" if hash.is_empty() => None,
                    "#" => Some(*hash),
                    literal => Some(literal),
                })
                .collect();
            levels.join("/")
        })
        .filter(|topic| !topic.is_empty())
        .collect()
}

/// One operation; filters, topics, groups and keys are indexes into the case's pools.
#[derive(Debug, Clone)]
enum Op {
    Subscribe {
        filter: usize,
        key: u8,
        value: u8,
    },
    Unsubscribe {
        filter: usize,
        key: u8,
    },
    SubscribeShared {
        group: usize,
        filter: usize,
        key: u8,
        value: u8,
    },
    UnsubscribeShared {
        group: usize,
        filter: usize,
        key: u8,
    },
    Retain {
        topic: usize,
        value: u8,
    },
    ClearRetained {
        topic: usize,
    },
}

const POOL: usize = 6;

fn op() -> impl Strategy<Value = Op> {
    let index = 0..POOL;
    let key = 0..4_u8;
    let group = 0..GROUPS.len();
    prop_oneof![
        3 => (index.clone(), key.clone(), any::<u8>())
            .prop_map(|(filter, key, value)| Op::Subscribe { filter, key, value }),
        2 => (index.clone(), key.clone()).prop_map(|(filter, key)| Op::Unsubscribe { filter, key }),
        2 => (group.clone(), index.clone(), key.clone(), any::<u8>()).prop_map(
            |(group, filter, key, value)| Op::SubscribeShared { group, filter, key, value }
        ),
        1 => (group, index.clone(), key)
            .prop_map(|(group, filter, key)| Op::UnsubscribeShared { group, filter, key }),
        2 => (index.clone(), any::<u8>()).prop_map(|(topic, value)| Op::Retain { topic, value }),
        1 => index.prop_map(|topic| Op::ClearRetained { topic }),
    ]
}

/// The naive model of both indexes.
#[derive(Default)]
struct Model {
    plain: BTreeMap<(String, u8), u8>,
    shared: BTreeMap<(String, String), BTreeMap<u8, u8>>,
    retained: BTreeMap<String, u8>,
}

/// The indexes under test. Subscription data carries its filter so matches can be compared.
#[derive(Default)]
struct Indexes {
    subscriptions: SubscriptionIndex<u8, (String, u8)>,
    retained: RetainedIndex<u8>,
}

/// A shared group as seen from outside: (group, filter, members with data).
type GroupView = (String, String, Vec<(u8, u8)>);

impl Model {
    fn plain_matches(&self, topic: &str) -> Vec<(u8, String, u8)> {
        let mut found: Vec<_> = self
            .plain
            .iter()
            .filter(|((filter, _), _)| matches(filter, topic))
            .map(|((filter, key), value)| (*key, filter.clone(), *value))
            .collect();
        found.sort_unstable();
        found
    }

    fn shared_matches(&self, topic: &str) -> Vec<GroupView> {
        self.shared
            .iter()
            .filter(|((_, filter), _)| matches(filter, topic))
            .map(|((group, filter), members)| {
                let members = members.iter().map(|(k, v)| (*k, *v)).collect();
                (group.clone(), filter.clone(), members)
            })
            .collect()
    }

    fn retained_matches(&self, filter: &str) -> Vec<(String, u8)> {
        self.retained
            .iter()
            .filter(|(topic, _)| matches(filter, topic))
            .map(|(topic, value)| (topic.clone(), *value))
            .collect()
    }
}

impl Indexes {
    fn plain_matches(&self, topic: &str) -> Vec<(u8, String, u8)> {
        let mut found = Vec::new();
        self.subscriptions
            .for_each_match(topic, |key, (filter, value)| {
                found.push((*key, filter.clone(), *value));
            });
        found.sort_unstable();
        found
    }

    fn shared_matches(&self, topic: &str) -> Vec<GroupView> {
        let mut found = Vec::new();
        self.subscriptions.for_each_shared_match(topic, |group| {
            let mut members: Vec<(u8, u8)> = group.members().map(|(k, (_, v))| (*k, *v)).collect();
            members.sort_unstable();
            found.push((group.name().to_owned(), group.filter().to_owned(), members));
        });
        found.sort_unstable();
        found
    }

    /// Checks every strategy's selection: with odd keys unusable, a member is chosen exactly
    /// when the group has an even key, and it is an even member of the group.
    fn check_selection(&self, topic: &str) -> Result<(), TestCaseError> {
        let mut outcome = Ok(());
        self.subscriptions.for_each_shared_match(topic, |group| {
            let has_even = group.members().any(|(k, _)| k % 2 == 0);
            for strategy in STRATEGIES {
                let context = PublishContext {
                    topic,
                    publisher: "publisher",
                };
                let chosen = group.select(strategy, context, |k, _| k % 2 == 0);
                let valid = match chosen {
                    Some((key, _)) => key % 2 == 0 && group.members().any(|(k, _)| k == key),
                    None => !has_even,
                };
                if !valid && outcome.is_ok() {
                    outcome = Err(TestCaseError::fail(format!(
                        "{strategy:?} chose {chosen:?} in {}/{}",
                        group.name(),
                        group.filter()
                    )));
                }
            }
        });
        outcome
    }

    fn retained_matches(&self, filter: &str) -> Vec<(String, u8)> {
        let mut found = Vec::new();
        self.retained.for_each_matching(filter, |topic, value| {
            found.push((topic.to_owned(), *value))
        });
        found.sort_unstable();
        found
    }
}

/// Applies `op` to both the model and the indexes, checking the values they return.
fn apply(
    op: &Op,
    filters: &[String],
    topics: &[String],
    model: &mut Model,
    indexes: &mut Indexes,
) -> Result<(), TestCaseError> {
    let subscriptions = &mut indexes.subscriptions;
    match *op {
        Op::Subscribe { filter, key, value } => {
            let filter = &filters[filter];
            let expected = model.plain.insert((filter.clone(), key), value);
            let got = subscriptions.insert(filter, key, (filter.clone(), value));
            prop_assert_eq!(got.map(|(_, v)| v), expected);
        }
        Op::Unsubscribe { filter, key } => {
            let filter = &filters[filter];
            let expected = model.plain.remove(&(filter.clone(), key));
            prop_assert_eq!(subscriptions.remove(filter, &key).map(|(_, v)| v), expected);
        }
        Op::SubscribeShared {
            group,
            filter,
            key,
            value,
        } => {
            let (group, filter) = (GROUPS[group], &filters[filter]);
            let members = model
                .shared
                .entry((group.to_owned(), filter.clone()))
                .or_default();
            let expected = members.insert(key, value);
            let got = subscriptions.insert_shared(group, filter, key, (filter.clone(), value));
            prop_assert_eq!(got.map(|(_, v)| v), expected);
        }
        Op::UnsubscribeShared { group, filter, key } => {
            let (group, filter) = (GROUPS[group], &filters[filter]);
            let model_key = (group.to_owned(), filter.clone());
            let expected = model
                .shared
                .get_mut(&model_key)
                .and_then(|m| m.remove(&key));
            if model.shared.get(&model_key).is_some_and(BTreeMap::is_empty) {
                model.shared.remove(&model_key);
            }
            let got = subscriptions.remove_shared(group, filter, &key);
            prop_assert_eq!(got.map(|(_, v)| v), expected);
        }
        Op::Retain { topic, value } => {
            let topic = &topics[topic];
            prop_assert_eq!(
                indexes.retained.insert(topic, value),
                model.retained.insert(topic.clone(), value)
            );
        }
        Op::ClearRetained { topic } => {
            let topic = &topics[topic];
            prop_assert_eq!(indexes.retained.remove(topic), model.retained.remove(topic));
        }
    }
    Ok(())
}

/// Compares every query of the indexes with the model.
fn check(
    probe_topics: &[String],
    probe_filters: &[String],
    model: &Model,
    indexes: &Indexes,
) -> Result<(), TestCaseError> {
    let subscription_count =
        model.plain.len() + model.shared.values().map(BTreeMap::len).sum::<usize>();
    prop_assert_eq!(indexes.subscriptions.len(), subscription_count);
    prop_assert_eq!(indexes.retained.len(), model.retained.len());
    for topic in probe_topics {
        prop_assert_eq!(
            indexes.plain_matches(topic),
            model.plain_matches(topic),
            "topic {:?}",
            topic
        );
        prop_assert_eq!(
            indexes.shared_matches(topic),
            model.shared_matches(topic),
            "topic {:?}",
            topic
        );
        indexes.check_selection(topic)?;
        prop_assert_eq!(indexes.retained.get(topic), model.retained.get(topic));
    }
    for filter in probe_filters {
        prop_assert_eq!(
            indexes.retained_matches(filter),
            model.retained_matches(filter),
            "filter {:?}",
            filter
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn indexes_agree_with_a_naive_scan(
        filters in prop::collection::vec(filter(), POOL),
        topics in prop::collection::vec(topic(), POOL),
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let mut probe_topics = topics.clone();
        probe_topics.extend(filters.iter().flat_map(|filter| instances(filter)));
        let mut probe_filters = filters.clone();
        probe_filters.extend(topics.iter().cloned());
        probe_filters.extend(["#", "+", "+/+", "+/#", "$SYS/#", "a/#"].map(String::from));

        let mut model = Model::default();
        let mut indexes = Indexes::default();
        for op in &ops {
            apply(op, &filters, &topics, &mut model, &mut indexes)?;
            check(&probe_topics, &probe_filters, &model, &indexes)?;
        }

        // Remove everything: the indexes must end up empty and match nothing.
        for (filter, key) in std::mem::take(&mut model.plain).into_keys() {
            prop_assert!(indexes.subscriptions.remove(&filter, &key).is_some());
        }
        for ((group, filter), members) in std::mem::take(&mut model.shared) {
            for key in members.into_keys() {
                prop_assert!(indexes.subscriptions.remove_shared(&group, &filter, &key).is_some());
            }
        }
        for topic in std::mem::take(&mut model.retained).into_keys() {
            prop_assert!(indexes.retained.remove(&topic).is_some());
        }
        prop_assert!(indexes.subscriptions.is_empty());
        prop_assert!(indexes.retained.is_empty());
        check(&probe_topics, &probe_filters, &model, &indexes)?;
    }
}
