use super::*;
use crate::share_group::{PublishContext, ShareStrategy};

/// The subscribers of `topic` with their data, sorted.
fn plain(index: &SubscriptionIndex<u32, &'static str>, topic: &str) -> Vec<(u32, &'static str)> {
    let mut found = Vec::new();
    index.for_each_match(topic, |key, value| found.push((*key, *value)));
    found.sort_unstable();
    found
}

/// The shared groups matching `topic` as `(name, filter, members)`, sorted.
fn shared(
    index: &SubscriptionIndex<u32, &'static str>,
    topic: &str,
) -> Vec<(String, String, Vec<u32>)> {
    let mut found = Vec::new();
    index.for_each_shared_match(topic, |group| {
        let members = group.members().map(|(key, _)| *key).collect();
        found.push((group.name().to_owned(), group.filter().to_owned(), members));
    });
    found.sort_unstable();
    found
}

/// An index with one subscriber per filter, numbered from 1 in order; the data is the filter.
fn index_of(filters: &[&'static str]) -> SubscriptionIndex<u32, &'static str> {
    let mut index = SubscriptionIndex::new();
    for (key, &filter) in (1..).zip(filters) {
        assert_eq!(index.insert(filter, key, filter), None);
    }
    index
}

/// The filters of `index_of(filters)` that match `topic`, sorted.
fn matching_filters(filters: &[&'static str], topic: &str) -> Vec<&'static str> {
    let mut found: Vec<_> = plain(&index_of(filters), topic)
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    found.sort_unstable();
    found
}

#[test]
fn index_is_send_and_sync_for_routing_under_a_read_lock() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SubscriptionIndex<u64, u32>>();
}

#[test]
fn node_stays_small() {
    assert_eq!(size_of::<Node<u64, u32>>(), 56);
}

#[test]
fn exact_filters_match_only_their_topic() {
    let filters = [
        "sport/tennis/player1",
        "sport/tennis/player2",
        "sport/tennis",
        "sport",
    ];
    assert_eq!(
        matching_filters(&filters, "sport/tennis/player1"),
        ["sport/tennis/player1"]
    );
    assert_eq!(matching_filters(&filters, "sport/tennis"), ["sport/tennis"]);
    assert!(matching_filters(&filters, "sport/tennis/player3").is_empty());
    assert!(matching_filters(&filters, "sports").is_empty());
}

/// Non-normative examples of section 4.7.1.2 ([MQTT-4.7.1-1]).
#[test]
fn multi_level_wildcard_matches_parent_and_descendants_mqtt_4_7_1_1() {
    let filters = ["sport/tennis/player1/#", "sport/#", "#", "sport/tennis/#"];
    assert_eq!(
        matching_filters(&filters, "sport/tennis/player1"),
        ["#", "sport/#", "sport/tennis/#", "sport/tennis/player1/#"]
    );
    assert_eq!(
        matching_filters(&filters, "sport/tennis/player1/score/wimbledon"),
        ["#", "sport/#", "sport/tennis/#", "sport/tennis/player1/#"]
    );
    assert_eq!(matching_filters(&filters, "sport"), ["#", "sport/#"]);
    assert_eq!(matching_filters(&filters, "sport/"), ["#", "sport/#"]);
    assert_eq!(matching_filters(&filters, "sports"), ["#"]);
}

/// Non-normative examples of section 4.7.1.3 ([MQTT-4.7.1-2]).
#[test]
fn single_level_wildcard_matches_one_level_mqtt_4_7_1_2() {
    let filters = ["sport/tennis/+", "sport/+", "+/+", "/+", "+", "+/tennis/#"];
    assert_eq!(
        matching_filters(&filters, "sport/tennis/player1"),
        ["+/tennis/#", "sport/tennis/+"]
    );
    assert_eq!(matching_filters(&filters, "sport"), ["+"]);
    assert_eq!(matching_filters(&filters, "sport/"), ["+/+", "sport/+"]);
    assert_eq!(matching_filters(&filters, "/finance"), ["+/+", "/+"]);
    assert_eq!(
        matching_filters(&filters, "sport/tennis"),
        ["+/+", "+/tennis/#", "sport/+"]
    );
}

#[test]
fn empty_levels_are_significant() {
    let filters = ["a//b", "a/+/b", "a/b", "/", "+/", "+/+/+"];
    assert_eq!(
        matching_filters(&filters, "a//b"),
        ["+/+/+", "a/+/b", "a//b"]
    );
    assert_eq!(matching_filters(&filters, "a/b"), ["a/b"]);
    assert_eq!(matching_filters(&filters, "/"), ["+/", "/"]);
}

/// Section 4.7.2: `+` and `#` in the first level do not match `$` topics ([MQTT-4.7.2-1]).
#[test]
fn wildcards_at_first_level_skip_dollar_topics_mqtt_4_7_2_1() {
    let filters = [
        "#",
        "+/monitor/Clients",
        "+",
        "$SYS/#",
        "$SYS/monitor/+",
        "+/#",
    ];
    assert_eq!(
        matching_filters(&filters, "$SYS/monitor/Clients"),
        ["$SYS/#", "$SYS/monitor/+"]
    );
    assert_eq!(matching_filters(&filters, "$SYS"), ["$SYS/#"]);
    assert!(matching_filters(&filters, "$").is_empty());
    // Only the first character of the topic counts.
    assert_eq!(
        matching_filters(&filters, "a$/monitor/Clients"),
        ["#", "+/#", "+/monitor/Clients"]
    );
}

#[test]
fn dollar_rule_applies_only_at_the_first_level_mqtt_4_7_2_1() {
    let filters = ["a/+", "a/#"];
    assert_eq!(matching_filters(&filters, "a/$SYS"), ["a/#", "a/+"]);
}

#[test]
fn resubscribing_replaces_the_data_mqtt_3_8_4_3() {
    let mut index = SubscriptionIndex::new();
    assert_eq!(index.insert("a/+", 1_u32, "qos0"), None);
    assert_eq!(index.insert("a/+", 1, "qos1"), Some("qos0"));
    assert_eq!(index.insert("a/+", 2, "qos2"), None);
    assert_eq!(index.len(), 2);
    assert_eq!(plain(&index, "a/b"), [(1, "qos1"), (2, "qos2")]);
}

#[test]
fn one_subscriber_with_overlapping_filters_is_reported_per_filter() {
    let mut index = SubscriptionIndex::new();
    index.insert("a/#", 1_u32, "hash");
    index.insert("a/+", 1, "plus");
    index.insert("a/b", 1, "exact");
    assert_eq!(
        plain(&index, "a/b"),
        [(1, "exact"), (1, "hash"), (1, "plus")]
    );
}

#[test]
fn remove_returns_the_data_and_unsubscribing_twice_is_harmless() {
    let mut index = index_of(&["a/b", "a/+", "#"]);
    assert_eq!(index.remove("a/+", &2), Some("a/+"));
    assert_eq!(index.remove("a/+", &2), None);
    assert_eq!(index.remove("a/b", &99), None);
    assert_eq!(index.remove("x/y/z", &1), None);
    assert_eq!(index.remove("+/b", &1), None);
    assert_eq!(index.len(), 2);
    assert_eq!(plain(&index, "a/b"), [(1, "a/b"), (3, "#")]);
}

#[test]
fn removing_everything_prunes_every_node() {
    let filters = [
        "a/b/c", "a/b", "a/+/c", "a/#", "#", "+", "+/+/#", "/", "$SYS/#", "a//b",
    ];
    let mut index = index_of(&filters);
    assert!(index.node_count() > 10);
    for (key, filter) in (1..).zip(filters) {
        assert_eq!(index.remove(filter, &key), Some(filter));
    }
    assert!(index.is_empty());
    assert_eq!(index.node_count(), 1);
    assert!(index.root.is_empty());
}

#[test]
fn removing_one_filter_keeps_its_neighbours() {
    let mut index = index_of(&["a/b/c", "a/b"]);
    let before = index.node_count();
    index.insert("a/b/c/d/e", 9, "deep");
    index.remove("a/b/c/d/e", &9);
    assert_eq!(index.node_count(), before);
    index.remove("a/b", &2);
    assert_eq!(plain(&index, "a/b/c"), [(1, "a/b/c")]);
    assert_eq!(index.node_count(), 4);
}

#[test]
fn many_subscribers_on_one_filter() {
    let mut index = SubscriptionIndex::new();
    for key in 0..1000_u32 {
        index.insert("news", key, "x");
    }
    assert_eq!(plain(&index, "news").len(), 1000);
    for key in (0..1000).step_by(2) {
        assert_eq!(index.remove("news", &key), Some("x"));
    }
    let left: Vec<u32> = plain(&index, "news")
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    assert_eq!(left, (1..1000).step_by(2).collect::<Vec<_>>());
}

#[test]
fn many_children_on_one_level() {
    let mut index = SubscriptionIndex::new();
    let filters: Vec<String> = (0..1000).map(|i| format!("device/{i}/cmd")).collect();
    for (key, filter) in (0..).zip(&filters) {
        index.insert(filter, key, "cmd");
    }
    index.insert("device/+/cmd", 5000, "any");
    assert_eq!(
        plain(&index, "device/517/cmd"),
        [(517, "cmd"), (5000, "any")]
    );
    for (key, filter) in (0..).zip(&filters) {
        index.remove(filter, &key);
    }
    index.remove("device/+/cmd", &5000);
    assert_eq!(index.node_count(), 1);
}

#[test]
fn shared_groups_are_found_by_their_filter() {
    let mut index = SubscriptionIndex::new();
    assert_eq!(index.insert_shared("g1", "jobs/+", 1_u32, "a"), None);
    assert_eq!(index.insert_shared("g1", "jobs/+", 2, "b"), None);
    assert_eq!(index.insert_shared("g1", "jobs/+", 2, "c"), Some("b"));
    assert_eq!(index.insert_shared("g2", "jobs/+", 1, "d"), None);
    assert_eq!(index.insert_shared("g1", "jobs/#", 3, "e"), None);
    assert_eq!(index.insert_shared("g1", "#", 4, "f"), None);
    assert_eq!(index.len(), 5);
    let g = |name: &str, filter: &str, members: &[u32]| {
        (name.to_owned(), filter.to_owned(), members.to_vec())
    };
    assert_eq!(
        shared(&index, "jobs/resize"),
        [
            g("g1", "#", &[4]),
            g("g1", "jobs/#", &[3]),
            g("g1", "jobs/+", &[1, 2]),
            g("g2", "jobs/+", &[1])
        ]
    );
    assert_eq!(
        shared(&index, "jobs"),
        [g("g1", "#", &[4]), g("g1", "jobs/#", &[3])]
    );
    assert_eq!(shared(&index, "$SYS/jobs"), []);
    // Shared subscriptions are not plain ones.
    assert!(plain(&index, "jobs/resize").is_empty());
}

#[test]
fn plain_and_shared_subscriptions_of_one_filter_are_independent() {
    let mut index = SubscriptionIndex::new();
    index.insert("t", 1_u32, "plain");
    index.insert_shared("g", "t", 1, "shared");
    assert_eq!(index.remove("t", &1), Some("plain"));
    assert_eq!(shared(&index, "t").len(), 1);
    assert_eq!(index.remove_shared("g", "t", &1), Some("shared"));
    assert!(index.is_empty());
    assert_eq!(index.node_count(), 1);
}

#[test]
fn removing_shared_members_drops_the_group_and_prunes() {
    let mut index = SubscriptionIndex::new();
    index.insert_shared("g", "a/+/c", 1_u32, "x");
    index.insert_shared("g", "a/+/c", 2, "y");
    index.insert_shared("h", "a/+/c", 2, "z");
    assert_eq!(index.remove_shared("g", "a/+/c", &3), None);
    assert_eq!(index.remove_shared("nope", "a/+/c", &1), None);
    assert_eq!(index.remove_shared("g", "a/b/c", &1), None);
    assert_eq!(index.remove_shared("g", "a/+/c", &1), Some("x"));
    assert_eq!(index.remove_shared("g", "a/+/c", &2), Some("y"));
    assert_eq!(shared(&index, "a/b/c").len(), 1);
    assert_eq!(index.remove_shared("h", "a/+/c", &2), Some("z"));
    assert!(index.is_empty());
    assert_eq!(index.node_count(), 1);
}

#[test]
fn one_walk_reports_plain_and_shared_matches_to_a_visitor() {
    struct Router<'a> {
        online: &'a [u32],
        deliveries: Vec<(u32, &'static str)>,
    }
    impl<'a> MatchVisitor<'a, u32, &'static str> for Router<'_> {
        fn visit_subscription(&mut self, key: &'a u32, value: &'a &'static str) {
            self.deliveries.push((*key, *value));
        }
        fn visit_shared_group(&mut self, group: &'a SharedGroup<u32, &'static str>) {
            let context = PublishContext {
                topic: "t/1",
                publisher: "p",
            };
            let online = self.online;
            if let Some((key, value)) =
                group.select(ShareStrategy::RoundRobin, context, |key, _| {
                    online.contains(key)
                })
            {
                self.deliveries.push((*key, *value));
            }
        }
    }
    let mut index = SubscriptionIndex::new();
    index.insert("t/+", 1_u32, "plain");
    for member in [2, 3, 4] {
        index.insert_shared("g", "t/#", member, "shared");
    }
    let mut router = Router {
        online: &[1, 3, 4],
        deliveries: Vec::new(),
    };
    for _ in 0..3 {
        index.visit_matches("t/1", &mut router);
    }
    router.deliveries.sort_unstable();
    assert_eq!(
        router.deliveries,
        [
            (1, "plain"),
            (1, "plain"),
            (1, "plain"),
            (3, "shared"),
            (3, "shared"),
            (4, "shared")
        ]
    );
}
