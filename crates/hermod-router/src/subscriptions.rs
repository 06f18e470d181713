//! The subscription index: a trie of topic filters answering "who subscribed to this topic?".
//!
//! Each trie node stands for a filter prefix. Its children are keyed by the next literal level,
//! with two dedicated slots for the `+` and `#` children; a filter's subscriptions live in the
//! node its last level leads to. Plain subscriptions are a small map from subscriber key to
//! subscription data; shared subscriptions are [`SharedGroup`]s kept in the same node, so a
//! single walk finds both.
//!
//! Matching a topic walks the topic's levels once without allocating: at each node it follows
//! the child named by the level, the `+` child, and reports the `#` child's subscriptions, which
//! match this level and everything below it (including the parent level itself, so `sport/#`
//! matches `sport`). The `$` rule of [MQTT-4.7.2-1] is one test at the root: a topic starting
//! with `$` skips the root's `+` and `#` children.
//!
//! Memory: a node is 56 bytes plus its two maps (a crate-private small map): a map with one
//! entry is a one-element vector, a large one a hash map, and the rarely used parts (the `+`/`#`
//! slots and shared groups) sit behind one optional box. Removing a subscription prunes every
//! node left empty, so memory returns. About 190 bytes per subscription for the realistic mix of
//! the benchmarks at 100 000 subscriptions, 250 at a million (hash tables between two sizes).
//!
//! Recursion: matching, removal and dropping recurse once per level, so their stack use grows
//! with the depth of the deepest filter in the index (insertion is iterative). A topic may have
//! up to 32 768 levels, far more than a 2 MiB thread stack survives; the broker must cap the
//! levels of the filters it accepts (EMQX's `max_topic_levels` defaults to 128, VerneMQ's
//! `topic_max_depth` to 10). `tests/depth.rs` checks that
//! 1 000 levels fit in a 2 MiB stack in a debug build; an optimised build stays under 2 MiB up to
//! about 8 000.

use std::hash::Hash;
use std::str::Split;

use crate::share_group::SharedGroup;
use crate::small_map::SmallMap;

/// A topic-filter trie mapping filters to their subscribers.
///
/// `K` identifies a subscriber (a session id, say) and `V` is the subscription's data (granted
/// QoS, options, subscription identifier). One subscriber has at most one plain subscription per
/// filter and one membership per shared group and filter; subscribing again replaces the data
/// ([MQTT-3.8.4-3]).
///
/// The index is a plain single-threaded structure: mutation takes `&mut self`. Every query takes
/// `&self`, including shared-member selection, and the index is `Sync` when `K` and `V` are, so
/// it can be matched against from several threads behind a read lock.
///
/// Filters and topics must be valid (the codec checks them): on invalid input the index does not
/// panic, but which subscriptions match is unspecified.
///
/// ```
/// use hermod_router::SubscriptionIndex;
///
/// let mut index = SubscriptionIndex::new();
/// index.insert("sport/tennis/+", 1_u64, "qos1");
/// index.insert("sport/#", 2, "qos0");
/// index.insert("#", 3, "qos2");
///
/// let mut matched = Vec::new();
/// index.for_each_match("sport/tennis/player1", |session, _| matched.push(*session));
/// matched.sort_unstable();
/// assert_eq!(matched, [1, 2, 3]);
///
/// matched.clear();
/// index.for_each_match("$SYS/uptime", |session, _| matched.push(*session));
/// assert!(matched.is_empty()); // [MQTT-4.7.2-1]
/// ```
#[derive(Debug)]
pub struct SubscriptionIndex<K, V> {
    /// The node of the empty prefix.
    root: Node<K, V>,
    /// Plain subscriptions plus shared-group memberships.
    len: usize,
}

/// One filter prefix.
#[derive(Debug)]
struct Node<K, V> {
    /// Children by literal level.
    children: SmallMap<Box<str>, Node<K, V>>,
    /// Plain subscriptions whose filter ends here.
    subscribers: SmallMap<K, V>,
    /// The wildcard children and shared groups, boxed because most nodes have none.
    extra: Option<Box<Extra<K, V>>>,
}

/// The rarely populated parts of a [`Node`].
#[derive(Debug)]
struct Extra<K, V> {
    /// The `+` child.
    plus: Option<Node<K, V>>,
    /// The `#` child (only its subscribers and shared groups are used: `#` is last).
    hash: Option<Node<K, V>>,
    /// Shared groups whose filter ends here.
    shared: Vec<SharedGroup<K, V>>,
}

/// Receives the subscriptions [`SubscriptionIndex::visit_matches`] finds for a topic.
///
/// One visitor receives both kinds of match from a single walk of the trie, which lets the core
/// route plain and shared subscriptions with one `&mut` state (its delivery buffers, the session
/// registry to test whether a member is usable) instead of two closures fighting over it.
/// Matches come in no particular order. A subscriber with several matching filters is reported
/// once per filter; merging them is the caller's business (MQTT 5.0 section 3.3.4).
pub trait MatchVisitor<'a, K, V> {
    /// A plain subscription of `key`, with its data, whose filter matches the topic.
    fn visit_subscription(&mut self, key: &'a K, value: &'a V);

    /// A shared group whose filter matches the topic; pick its one recipient with
    /// [`SharedGroup::select`].
    fn visit_shared_group(&mut self, group: &'a SharedGroup<K, V>);

    /// The plain subscriptions of one filter have all been reported (they have distinct
    /// keys); the next ones belong to another filter. Lets a visitor skip merging
    /// duplicates when a topic matched one filter only.
    fn end_of_filter(&mut self) {}
}

impl<K, V> SubscriptionIndex<K, V> {
    /// An empty index.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            root: Node::new(),
            len: 0,
        }
    }

    /// The number of subscriptions: plain ones plus shared-group memberships.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the index holds no subscription.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<K: Eq + Hash, V> SubscriptionIndex<K, V> {
    /// Subscribes `key` to the plain filter `filter` with `value`; returns the data it replaces
    /// if `key` was already subscribed to that filter ([MQTT-3.8.4-3]).
    pub fn insert(&mut self, filter: &str, key: K, value: V) -> Option<V> {
        let replaced = self
            .root
            .descend_or_create(filter)
            .subscribers
            .insert(key, value);
        if replaced.is_none() {
            self.len += 1;
        }
        replaced
    }

    /// Adds `key` to the shared group `group` on `filter` (the filter after
    /// `$share/{group}/`); returns the data it replaces if `key` was already a member.
    pub fn insert_shared(&mut self, group: &str, filter: &str, key: K, value: V) -> Option<V> {
        let node = self.root.descend_or_create(filter);
        let shared = &mut node.extra_mut().shared;
        let replaced = match shared.iter_mut().find(|g| g.name() == group) {
            Some(existing) => existing.insert(key, value),
            None => {
                let mut new_group = SharedGroup::new(group, filter);
                new_group.insert(key, value);
                shared.push(new_group);
                None
            }
        };
        if replaced.is_none() {
            self.len += 1;
        }
        replaced
    }

    /// Unsubscribes `key` from the plain filter `filter`, returning its data, or `None` if it
    /// was not subscribed. Trie nodes left empty are freed.
    pub fn remove(&mut self, filter: &str, key: &K) -> Option<V> {
        let removed = self
            .root
            .remove_along(&mut filter.split('/'), |node| node.subscribers.remove(key));
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// Removes `key` from the shared group `group` on `filter`, returning its data, or `None`
    /// if it was not a member. A group left without members is dropped, and so are trie nodes
    /// left empty.
    pub fn remove_shared(&mut self, group: &str, filter: &str, key: &K) -> Option<V> {
        let removed = self.root.remove_along(&mut filter.split('/'), |node| {
            let shared = &mut node.extra.as_deref_mut()?.shared;
            let position = shared.iter().position(|g| g.name() == group)?;
            let shared_group = shared.get_mut(position)?;
            let removed = shared_group.remove(key);
            if shared_group.is_empty() {
                shared.swap_remove(position);
                if shared.is_empty() {
                    *shared = Vec::new();
                }
            }
            removed
        });
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// Calls `f` with every plain subscription whose filter matches `topic`.
    ///
    /// Does not allocate. Applies [MQTT-4.7.2-1] (`+` and `#` as first level do not match topics
    /// starting with `$`); `#` also matches its parent level ([MQTT-4.7.1-1]).
    pub fn for_each_match<'a>(&'a self, topic: &str, f: impl FnMut(&'a K, &'a V)) {
        struct Plain<F>(F);
        impl<'a, K: 'a, V: 'a, F: FnMut(&'a K, &'a V)> MatchVisitor<'a, K, V> for Plain<F> {
            fn visit_subscription(&mut self, key: &'a K, value: &'a V) {
                (self.0)(key, value);
            }
            fn visit_shared_group(&mut self, _: &'a SharedGroup<K, V>) {}
        }
        self.visit_matches(topic, &mut Plain(f));
    }

    /// Calls `f` with every shared group whose filter matches `topic`; select each group's
    /// recipient with [`SharedGroup::select`]. Same rules as [`Self::for_each_match`].
    pub fn for_each_shared_match<'a>(&'a self, topic: &str, f: impl FnMut(&'a SharedGroup<K, V>)) {
        struct Shared<F>(F);
        impl<'a, K: 'a, V: 'a, F: FnMut(&'a SharedGroup<K, V>)> MatchVisitor<'a, K, V> for Shared<F> {
            fn visit_subscription(&mut self, _: &'a K, _: &'a V) {}
            fn visit_shared_group(&mut self, group: &'a SharedGroup<K, V>) {
                (self.0)(group);
            }
        }
        self.visit_matches(topic, &mut Shared(f));
    }

    /// Reports every plain subscription and every shared group matching `topic` to `visitor`,
    /// in one walk of the trie. Same rules as [`Self::for_each_match`].
    pub fn visit_matches<'a>(&'a self, topic: &str, visitor: &mut impl MatchVisitor<'a, K, V>) {
        let (level, rest) = split_level(topic);
        // [MQTT-4.7.2-1]: wildcards in the first level do not match topics starting with `$`.
        if !topic.starts_with('$') {
            if let Some(extra) = self.root.extra.as_deref() {
                if let Some(hash) = &extra.hash {
                    hash.visit_here(visitor);
                }
                if let Some(plus) = &extra.plus {
                    plus.walk(rest, visitor);
                }
            }
        }
        if let Some(child) = self.root.children.get(level) {
            child.walk(rest, visitor);
        }
    }

    /// The number of trie nodes, root included (for tests of pruning).
    #[cfg(test)]
    fn node_count(&self) -> usize {
        self.root.count_nodes()
    }
}

impl<K, V> Default for SubscriptionIndex<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> Node<K, V> {
    const fn new() -> Self {
        Self {
            children: SmallMap::new(),
            subscribers: SmallMap::new(),
            extra: None,
        }
    }

    /// Whether the node holds nothing and can be pruned.
    fn is_empty(&self) -> bool {
        self.children.is_empty() && self.subscribers.is_empty() && self.extra.is_none()
    }

    /// The extra part, created if missing.
    fn extra_mut(&mut self) -> &mut Extra<K, V> {
        self.extra.get_or_insert_with(|| {
            Box::new(Extra {
                plus: None,
                hash: None,
                shared: Vec::new(),
            })
        })
    }

    /// Drops the extra part if nothing is left in it.
    fn tidy_extra(&mut self) {
        if self.extra.as_deref().is_some_and(|extra| {
            extra.plus.is_none() && extra.hash.is_none() && extra.shared.is_empty()
        }) {
            self.extra = None;
        }
    }

    /// Reports the subscriptions held by this node itself.
    fn visit_here<'a>(&'a self, visitor: &mut impl MatchVisitor<'a, K, V>) {
        for (key, value) in self.subscribers.iter() {
            visitor.visit_subscription(key, value);
        }
        visitor.end_of_filter();
        if let Some(extra) = self.extra.as_deref() {
            for group in &extra.shared {
                visitor.visit_shared_group(group);
            }
        }
    }

    /// The node of the filter `filter` below this one, creating nodes as needed.
    fn descend_or_create(&mut self, filter: &str) -> &mut Self
    where
        K: Eq + Hash,
    {
        let mut node = self;
        for level in filter.split('/') {
            node = match level {
                "+" => node.extra_mut().plus.get_or_insert_with(Node::new),
                "#" => node.extra_mut().hash.get_or_insert_with(Node::new),
                _ => node
                    .children
                    .get_or_insert_with(level, || Box::from(level), Node::new),
            };
        }
        node
    }

    /// Follows `levels` from this node and applies `remove` to the node they lead to, then
    /// prunes the nodes on the way back that are left empty. `None` if the path does not exist.
    fn remove_along<R>(
        &mut self,
        levels: &mut Split<'_, char>,
        remove: impl FnOnce(&mut Self) -> Option<R>,
    ) -> Option<R>
    where
        K: Eq + Hash,
    {
        let Some(level) = levels.next() else {
            let removed = remove(self);
            self.tidy_extra();
            return removed;
        };
        let removed = match level {
            "+" | "#" => {
                let extra = self.extra.as_deref_mut()?;
                let slot = if level == "+" {
                    &mut extra.plus
                } else {
                    &mut extra.hash
                };
                let child = slot.as_mut()?;
                let removed = child.remove_along(levels, remove);
                if child.is_empty() {
                    *slot = None;
                }
                removed
            }
            _ => {
                let child = self.children.get_mut(level)?;
                let removed = child.remove_along(levels, remove);
                if child.is_empty() {
                    self.children.remove(level);
                }
                removed
            }
        };
        self.tidy_extra();
        removed
    }

    /// Matches the remaining topic levels `rest` (`None`: the topic ends at this node).
    fn walk<'a>(&'a self, rest: Option<&str>, visitor: &mut impl MatchVisitor<'a, K, V>) {
        let extra = self.extra.as_deref();
        // `#` below this node matches this level (its parent) and anything deeper.
        if let Some(hash) = extra.and_then(|extra| extra.hash.as_ref()) {
            hash.visit_here(visitor);
        }
        let Some(rest) = rest else {
            self.visit_here(visitor);
            return;
        };
        let (level, rest) = split_level(rest);
        if let Some(child) = self.children.get(level) {
            child.walk(rest, visitor);
        }
        if let Some(plus) = extra.and_then(|extra| extra.plus.as_ref()) {
            plus.walk(rest, visitor);
        }
    }

    #[cfg(test)]
    fn count_nodes(&self) -> usize {
        let extra = self.extra.as_deref();
        let wildcards = extra.map_or(0, |extra| {
            extra.plus.as_ref().map_or(0, Node::count_nodes)
                + extra.hash.as_ref().map_or(0, Node::count_nodes)
        });
        1 + wildcards
            + self
                .children
                .iter()
                .map(|(_, c)| c.count_nodes())
                .sum::<usize>()
    }
}

/// Splits off the first level of `topic`: the level and the rest after its `/`, if any.
pub(crate) fn split_level(topic: &str) -> (&str, Option<&str>) {
    match topic.split_once('/') {
        Some((level, rest)) => (level, Some(rest)),
        None => (topic, None),
    }
}

#[cfg(test)]
mod tests;
