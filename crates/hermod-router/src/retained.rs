//! The retained-message index: the last retained message of each topic, found by topic filter.
//!
//! When a client subscribes, the server sends it the retained messages of every topic its filter
//! matches (MQTT 5.0 section 3.3.1.3). With a million retained topics, a scan per SUBSCRIBE is out
//! of the question, so [`RetainedIndex`] is a trie of topic levels walked along the filter:
//! a literal level follows one child, `+` every child of the current node, `#` the whole subtree
//! below it (and the node itself: `#` matches its parent level). `a/+/c` thus visits the children
//! of `a` and then only their `c` child, never the rest of the index.
//!
//! Topic strings are not stored: each node holds only its own level (as its key in the parent's
//! child map), and the walk rebuilds the topic of each match in one reusable buffer. Storing full
//! topics would repeat every shared prefix once per retained message (for `site/{building}/
//! {floor}/{sensor}` topics, three times the bytes of the levels); rebuilding costs one `String`
//! per lookup, which happens per subscription, not per publish. The caller's `V` (the retained
//! message) usually carries its topic anyway. Memory: about 83 bytes per retained topic (plus
//! `V`) for a million `site-{s}/floor-{f}/sensor-{d}` topics, as measured by `tests/memory.rs`.
//!
//! Recursion: lookups, removal and dropping recurse once per level, so the broker must cap the
//! levels of the topics it retains, as for subscription filters (see [`crate::subscriptions`]).

use crate::small_map::SmallMap;
use crate::subscriptions::split_level;

/// Retained messages by topic, with wildcard lookup.
///
/// `V` is the retained message (typically an `Arc` of it). Topics and filters must be valid
/// (checked by the codec); on invalid input the index does not panic, but which entries a filter
/// yields is unspecified.
///
/// ```
/// use hermod_router::RetainedIndex;
///
/// let mut retained = RetainedIndex::new();
/// retained.insert("sport/tennis/player1", "6-4");
/// retained.insert("sport/golf/player2", "-3");
/// retained.insert("$SYS/uptime", "42");
///
/// let mut found = Vec::new();
/// retained.for_each_matching("sport/+/player1", |topic, score| found.push((topic.to_owned(), *score)));
/// assert_eq!(found, [("sport/tennis/player1".to_owned(), "6-4")]);
///
/// found.clear();
/// retained.for_each_matching("#", |topic, score| found.push((topic.to_owned(), *score)));
/// assert_eq!(found.len(), 2); // not "$SYS/uptime": [MQTT-4.7.2-1]
/// ```
#[derive(Debug)]
pub struct RetainedIndex<V> {
    /// The node of the empty topic prefix (it never holds a value: topics are non-empty).
    root: Node<V>,
    /// The number of retained messages.
    len: usize,
}

/// One topic prefix.
#[derive(Debug)]
struct Node<V> {
    /// Children by level.
    children: SmallMap<Box<str>, Node<V>>,
    /// The retained message of the topic ending here.
    value: Option<V>,
}

impl<V> RetainedIndex<V> {
    /// An empty index.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            root: Node::new(),
            len: 0,
        }
    }

    /// The number of retained messages.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no message is retained.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Retains `value` for `topic`, returning the message it replaces.
    pub fn insert(&mut self, topic: &str, value: V) -> Option<V> {
        let mut node = &mut self.root;
        for level in topic.split('/') {
            node = node
                .children
                .get_or_insert_with(level, || Box::from(level), Node::new);
        }
        let replaced = node.value.replace(value);
        if replaced.is_none() {
            self.len += 1;
        }
        replaced
    }

    /// Removes the message retained for `topic`, returning it; frees the nodes left empty.
    pub fn remove(&mut self, topic: &str) -> Option<V> {
        let removed = self.root.remove(Some(topic));
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// The message retained for `topic`, if any.
    #[must_use]
    pub fn get(&self, topic: &str) -> Option<&V> {
        let mut node = &self.root;
        for level in topic.split('/') {
            node = node.children.get(level)?;
        }
        node.value.as_ref()
    }

    /// Calls `f` with the topic and message of every retained message that `filter` matches.
    ///
    /// Visits only the trie branches the filter can match. A filter whose first level is `+` or
    /// `#` yields no topic starting with `$` ([MQTT-4.7.2-1]); `#` matches its parent level
    /// ([MQTT-4.7.1-1]). Order is unspecified. Allocates one buffer for the topic names.
    pub fn for_each_matching<'a>(&'a self, filter: &str, mut f: impl FnMut(&str, &'a V)) {
        let mut walk = Walk {
            topic: String::new(),
            f: &mut f,
        };
        walk.filtered(&self.root, Some(filter), true);
    }

    /// The number of trie nodes, root included (for tests of pruning).
    #[cfg(test)]
    fn node_count(&self) -> usize {
        self.root.count_nodes()
    }
}

impl<V> Default for RetainedIndex<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Node<V> {
    const fn new() -> Self {
        Self {
            children: SmallMap::new(),
            value: None,
        }
    }

    /// Removes the value at the topic levels `rest` below this node, pruning empty children.
    fn remove(&mut self, rest: Option<&str>) -> Option<V> {
        let Some(rest) = rest else {
            return self.value.take();
        };
        let (level, rest) = split_level(rest);
        let child = self.children.get_mut(level)?;
        let removed = child.remove(rest);
        if child.value.is_none() && child.children.is_empty() {
            self.children.remove(level);
        }
        removed
    }

    #[cfg(test)]
    fn count_nodes(&self) -> usize {
        1 + self
            .children
            .iter()
            .map(|(_, child)| child.count_nodes())
            .sum::<usize>()
    }
}

/// The state of one [`RetainedIndex::for_each_matching`] walk.
struct Walk<'f, F> {
    /// The topic of the node being visited, levels joined by `/`.
    topic: String,
    /// The caller's callback.
    f: &'f mut F,
}

impl<F> Walk<'_, F> {
    /// Visits the matches of the remaining filter levels `rest` (`None`: the filter ends here)
    /// at or below `node`, whose topic is in `self.topic`.
    fn filtered<'a, V>(&mut self, node: &'a Node<V>, rest: Option<&str>, at_root: bool)
    where
        F: FnMut(&str, &'a V),
    {
        let Some(rest) = rest else {
            if let Some(value) = &node.value {
                (self.f)(&self.topic, value);
            }
            return;
        };
        let (level, rest) = split_level(rest);
        match level {
            "#" => self.subtree(node, at_root),
            "+" => {
                for (child_level, child) in node.children.iter() {
                    // [MQTT-4.7.2-1]
                    if at_root && child_level.starts_with('$') {
                        continue;
                    }
                    self.descend(child_level, at_root, |walk| {
                        walk.filtered(child, rest, false)
                    });
                }
            }
            _ => {
                if let Some(child) = node.children.get(level) {
                    self.descend(level, at_root, |walk| walk.filtered(child, rest, false));
                }
            }
        }
    }

    /// Visits `node` and everything below it (what `#` matches at `node`).
    fn subtree<'a, V>(&mut self, node: &'a Node<V>, at_root: bool)
    where
        F: FnMut(&str, &'a V),
    {
        if let Some(value) = &node.value {
            (self.f)(&self.topic, value);
        }
        for (child_level, child) in node.children.iter() {
            // [MQTT-4.7.2-1]
            if at_root && child_level.starts_with('$') {
                continue;
            }
            self.descend(child_level, at_root, |walk| walk.subtree(child, false));
        }
    }

    /// Runs `visit` with `level` appended to the topic buffer, then restores the buffer.
    fn descend(&mut self, level: &str, at_root: bool, visit: impl FnOnce(&mut Self)) {
        let length = self.topic.len();
        if !at_root {
            self.topic.push('/');
        }
        self.topic.push_str(level);
        visit(self);
        self.topic.truncate(length);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(index: &RetainedIndex<u32>, filter: &str) -> Vec<(String, u32)> {
        let mut found = Vec::new();
        index.for_each_matching(filter, |topic, value| {
            found.push((topic.to_owned(), *value))
        });
        found.sort_unstable();
        found
    }

    fn index_of(topics: &[&str]) -> RetainedIndex<u32> {
        let mut index = RetainedIndex::new();
        for (value, topic) in (1..).zip(topics) {
            assert_eq!(index.insert(topic, value), None);
        }
        index
    }

    fn topics(index: &RetainedIndex<u32>, filter: &str) -> Vec<String> {
        found(index, filter)
            .into_iter()
            .map(|(topic, _)| topic)
            .collect()
    }

    const TOPICS: &[&str] = &[
        "sport",
        "sport/tennis",
        "sport/tennis/player1",
        "sport/tennis/player1/ranking",
        "sport/golf/player1",
        "sport/",
        "/finance",
        "a//b",
        "$SYS/broker/uptime",
        "$SYS",
    ];

    #[test]
    fn insert_get_replace_remove() {
        let mut index = RetainedIndex::new();
        assert_eq!(index.insert("a/b", 1), None);
        assert_eq!(index.insert("a/b", 2), Some(1));
        assert_eq!(
            (index.get("a/b"), index.get("a"), index.get("a/b/c")),
            (Some(&2), None, None)
        );
        assert_eq!(index.len(), 1);
        assert_eq!(index.remove("a"), None);
        assert_eq!(index.remove("a/b/c"), None);
        assert_eq!(index.remove("a/b"), Some(2));
        assert_eq!(index.remove("a/b"), None);
        assert!(index.is_empty());
    }

    #[test]
    fn exact_filter_yields_its_topic_only() {
        let index = index_of(TOPICS);
        assert_eq!(
            found(&index, "sport/tennis"),
            [("sport/tennis".to_owned(), 2)]
        );
        assert_eq!(topics(&index, "a//b"), ["a//b"]);
        assert_eq!(topics(&index, "/finance"), ["/finance"]);
        assert_eq!(topics(&index, "$SYS/broker/uptime"), ["$SYS/broker/uptime"]);
        assert!(topics(&index, "sport/tennis/player2").is_empty());
        assert!(topics(&index, "nothing").is_empty());
    }

    #[test]
    fn single_level_wildcard_mqtt_4_7_1_2() {
        let index = index_of(TOPICS);
        assert_eq!(topics(&index, "sport/+"), ["sport/", "sport/tennis"]);
        assert_eq!(
            topics(&index, "sport/+/player1"),
            ["sport/golf/player1", "sport/tennis/player1"]
        );
        assert_eq!(topics(&index, "+"), ["sport"]);
        assert_eq!(
            topics(&index, "+/+"),
            ["/finance", "sport/", "sport/tennis"]
        );
        assert_eq!(topics(&index, "+/+/b"), ["a//b"]);
    }

    #[test]
    fn multi_level_wildcard_includes_the_parent_mqtt_4_7_1_1() {
        let index = index_of(TOPICS);
        assert_eq!(
            topics(&index, "sport/tennis/#"),
            [
                "sport/tennis",
                "sport/tennis/player1",
                "sport/tennis/player1/ranking"
            ]
        );
        assert_eq!(
            topics(&index, "sport/tennis/player1/ranking/#"),
            ["sport/tennis/player1/ranking"]
        );
        assert_eq!(topics(&index, "+/tennis/#").len(), 3);
        assert_eq!(topics(&index, "a/#"), ["a//b"]);
    }

    #[test]
    fn wildcards_at_first_level_skip_dollar_topics_mqtt_4_7_2_1() {
        let index = index_of(TOPICS);
        let everything = topics(&index, "#");
        assert_eq!(everything.len(), TOPICS.len() - 2);
        assert!(everything.iter().all(|topic| !topic.starts_with('$')));
        assert!(topics(&index, "+/broker/uptime").is_empty());
        assert_eq!(topics(&index, "$SYS/#"), ["$SYS", "$SYS/broker/uptime"]);
        assert_eq!(topics(&index, "$SYS/+/uptime"), ["$SYS/broker/uptime"]);
    }

    #[test]
    fn rebuilt_topics_are_exact() {
        let index = index_of(TOPICS);
        let mut everything = topics(&index, "#");
        everything.extend(topics(&index, "$SYS/#"));
        everything.sort_unstable();
        let mut expected: Vec<String> = TOPICS.iter().map(|t| (*t).to_owned()).collect();
        expected.sort_unstable();
        assert_eq!(everything, expected);
    }

    #[test]
    fn removing_everything_prunes_every_node() {
        let mut index = index_of(TOPICS);
        assert!(index.node_count() > 10);
        for (value, topic) in (1..).zip(TOPICS) {
            assert_eq!(index.remove(topic), Some(value));
        }
        assert!(index.is_empty());
        assert_eq!(index.node_count(), 1);
    }

    #[test]
    fn removing_a_parent_keeps_its_children() {
        let mut index = index_of(&["a/b", "a/b/c", "a"]);
        assert_eq!(index.remove("a/b"), Some(1));
        assert_eq!(index.node_count(), 4);
        assert_eq!(topics(&index, "#"), ["a", "a/b/c"]);
        assert_eq!(index.remove("a/b/c"), Some(2));
        assert_eq!(index.node_count(), 2);
    }

    #[test]
    fn plus_on_a_wide_level_visits_only_that_level() {
        let mut index = RetainedIndex::new();
        for i in 0..1000_u32 {
            index.insert(&format!("device/{i}/status"), i);
            index.insert(&format!("device/{i}/config"), i);
        }
        let found = found(&index, "device/+/status");
        assert_eq!(found.len(), 1000);
        assert!(
            found
                .iter()
                .all(|(topic, value)| *topic == format!("device/{value}/status"))
        );
    }
}
