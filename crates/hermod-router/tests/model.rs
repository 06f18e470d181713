//! Property tests: `hermod_router::matches` against a deliberately naive reference matcher.
//!
//! Filters and topics are drawn from a small alphabet of levels (including the empty level and
//! `$`-prefixed levels) so that matches, near misses and the `$` rule all come up often. Filters
//! place wildcards only where MQTT allows them ([MQTT-4.7.1-1], [MQTT-4.7.1-2]); topics never
//! contain wildcards ([MQTT-4.7.0-1]) and are never empty ([MQTT-4.7.3-1]).

use hermod_router::matches;
use proptest::prelude::*;

/// Literal levels used for both filters and topics. The two long ones share their first eight
/// bytes, so they exercise the matcher's word-at-a-time comparison and its tail.
const LEVELS: &[&str] = &["a", "b", "", "$SYS", "$x", "longlevel-1", "longlevel-2"];

/// The reference matcher: split both into vectors of levels and compare level by level.
fn reference_matches(filter: &str, topic: &str) -> bool {
    let filter_levels: Vec<&str> = filter.split('/').collect();
    let topic_levels: Vec<&str> = topic.split('/').collect();
    let first_is_wildcard = filter_levels
        .first()
        .is_some_and(|l| *l == "+" || *l == "#");
    if topic.starts_with('$') && first_is_wildcard {
        return false; // [MQTT-4.7.2-1]
    }
    reference_levels(&filter_levels, &topic_levels)
}

/// Recursive level-by-level match without the `$` rule.
fn reference_levels(filter: &[&str], topic: &[&str]) -> bool {
    match (filter.split_first(), topic.split_first()) {
        (None, None) => true,
        (Some((&"#", _)), _) => true,
        (Some((&"+", filter_rest)), Some((_, topic_rest))) => {
            reference_levels(filter_rest, topic_rest)
        }
        (Some((filter_level, filter_rest)), Some((topic_level, topic_rest))) => {
            filter_level == topic_level && reference_levels(filter_rest, topic_rest)
        }
        _ => false,
    }
}

/// One literal level.
fn level() -> impl Strategy<Value = &'static str> {
    prop::sample::select(LEVELS)
}

/// A valid, non-empty topic name of one to five levels.
fn topic() -> impl Strategy<Value = String> {
    prop::collection::vec(level(), 1..=5)
        .prop_map(|levels| levels.join("/"))
        .prop_filter("topic names are non-empty (MQTT-4.7.3-1)", |t| {
            !t.is_empty()
        })
}

/// A valid, non-empty topic filter: literal and `+` levels, optionally ending in `#`.
fn filter() -> impl Strategy<Value = String> {
    let filter_level = prop_oneof![3 => level(), 1 => Just("+")];
    (prop::collection::vec(filter_level, 0..=5), any::<bool>())
        .prop_map(|(mut levels, trailing_hash)| {
            if trailing_hash {
                levels.push("#");
            }
            levels.join("/")
        })
        .prop_filter("topic filters are non-empty (MQTT-4.7.3-1)", |f| {
            !f.is_empty()
        })
}

/// A filter and a topic made from it by filling each `+` with one level and `#` with zero or
/// more levels, so that most pairs match (apart from the `$` rule).
fn filter_and_instance() -> impl Strategy<Value = (String, String)> {
    (filter(), prop::collection::vec(level(), 5), 0..=3usize).prop_filter_map(
        "the instance must be a non-empty topic name",
        |(filter, fillers, hash_depth)| {
            let mut fillers = fillers.into_iter().cycle();
            let mut levels: Vec<&str> = Vec::new();
            for filter_level in filter.split('/') {
                match filter_level {
                    "+" => levels.extend(fillers.next()),
                    "#" => levels.extend(fillers.by_ref().take(hash_depth)),
                    literal => levels.push(literal),
                }
            }
            let topic = levels.join("/");
            (!levels.is_empty() && !topic.is_empty()).then_some((filter, topic))
        },
    )
}

proptest! {
    /// On arbitrary pairs, `matches` and the reference matcher agree.
    #[test]
    fn agrees_with_reference_on_arbitrary_pairs(filter in filter(), topic in topic()) {
        prop_assert_eq!(matches(&filter, &topic), reference_matches(&filter, &topic));
    }

    /// On pairs built to match, they agree too (this covers the matching side well).
    #[test]
    fn agrees_with_reference_on_instantiated_pairs((filter, topic) in filter_and_instance()) {
        prop_assert_eq!(matches(&filter, &topic), reference_matches(&filter, &topic));
    }

    /// Filling in a filter's wildcards gives a topic it matches, unless the `$` rule forbids it
    /// ([MQTT-4.7.2-1]).
    #[test]
    fn filter_matches_its_instances_unless_dollar_rule((filter, topic) in filter_and_instance()) {
        let dollar_rule = topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#'));
        prop_assert_eq!(matches(&filter, &topic), !dollar_rule);
    }

    /// A filter equal to a (wildcard-free) topic always matches it.
    #[test]
    fn topic_used_as_filter_matches_itself(topic in topic()) {
        prop_assert!(matches(&topic, &topic));
    }

    /// `#` matches every topic that does not start with `$` ([MQTT-4.7.2-1]).
    #[test]
    fn hash_matches_every_topic_not_starting_with_dollar(topic in topic()) {
        prop_assert_eq!(matches("#", &topic), !topic.starts_with('$'));
    }

    /// `+` matches exactly the one-level topics that do not start with `$` ([MQTT-4.7.1-2]).
    #[test]
    fn plus_matches_exactly_single_level_topics(topic in topic()) {
        let single_level = !topic.contains('/');
        prop_assert_eq!(matches("+", &topic), single_level && !topic.starts_with('$'));
    }

    /// Appending `/#` to a filter without `#` keeps every match, since `#` includes its parent.
    #[test]
    fn appending_hash_keeps_matches(filter in filter(), topic in topic()) {
        prop_assume!(!filter.ends_with('#'));
        let widened = format!("{filter}/#");
        prop_assert!(!matches(&filter, &topic) || matches(&widened, &topic));
    }
}
