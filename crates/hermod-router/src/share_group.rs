//! Shared-subscription groups and the choice of the one member that receives a message
//! (MQTT 5.0 section 4.8.2).
//!
//! Every message matching a shared subscription's filter goes to exactly one session of the
//! group ([MQTT-4.8.2-4] for the general rule; how the member is chosen is left to the server).
//! A [`SharedGroup`] holds the members of one `(ShareName, filter)` pair in subscription order
//! and [`SharedGroup::select`] picks one according to a [`ShareStrategy`].
//!
//! Selection works through `&self`: the little state it keeps (the round-robin position, the
//! sticky member, the random generator) lives in relaxed atomics, so the core can route while
//! holding a read lock on the index, from several threads at once. Concurrent selections in the
//! same group may occasionally see the same position and pick the same member; the distribution
//! is exact for one thread and close to it under contention, and no selection ever fails
//! because of a race.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// How [`SharedGroup::select`] picks the member that receives a message.
///
/// Every strategy skips members that the caller's `usable` predicate rejects (an offline
/// session, a full queue, ...), trying the next members in subscription order; when no member
/// is usable, selection returns `None` and the core decides what to do (queue the message for
/// an offline member, drop it and count it, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ShareStrategy {
    /// Each member in turn, in subscription order; skipped members do not get a double share
    /// afterwards (the next selection continues after the member actually chosen).
    #[default]
    RoundRobin,
    /// A uniformly random member (xorshift64*, seeded per group from the process's random
    /// keys). When some members are unusable, the member following an unusable one in
    /// subscription order receives its share as well.
    Random,
    /// The member chosen last, as long as it is still subscribed and usable; otherwise the
    /// next usable member after it, which becomes the new sticky member.
    Sticky,
    /// The member at `hash(publisher client id) mod members`: one publisher's messages all go
    /// to the same member while the group's membership does not change. The hash (FNV-1a with a
    /// final mix) is fixed, so the mapping is the same across restarts and between brokers.
    HashClientId,
    /// The member at `hash(topic) mod members`: all messages of one topic go to the same member
    /// while the group's membership does not change (same fixed hash as `HashClientId`).
    HashTopic,
}

/// What the hash-based strategies know about the message being routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PublishContext<'a> {
    /// The topic name the message was published to.
    pub topic: &'a str,
    /// The client identifier of the publisher (empty for messages the broker makes itself).
    pub publisher: &'a str,
}

/// The members of one shared subscription `$share/{name}/{filter}`, with the state that member
/// selection needs.
///
/// Members are kept in subscription order in a vector: subscribing and unsubscribing cost a
/// linear search of the group, which is small in practice (tens of workers), and selection is
/// an index computation.
#[derive(Debug)]
pub struct SharedGroup<K, V> {
    /// The ShareName.
    name: Box<str>,
    /// The topic filter the group subscribes to (without the `$share/{name}/` prefix).
    filter: Box<str>,
    /// The members in subscription order; never empty while the group is in an index.
    members: Vec<(K, V)>,
    /// Round robin: the position at which the next selection starts looking.
    next: AtomicUsize,
    /// Sticky: the position of the sticky member, or [`NO_STICKY`].
    sticky: AtomicUsize,
    /// Random: the xorshift64* state, never zero.
    random: AtomicU64,
}

/// The value of [`SharedGroup::sticky`] when no member is sticky yet.
const NO_STICKY: usize = usize::MAX;

impl<K, V> SharedGroup<K, V> {
    /// A group with no member yet.
    pub(crate) fn new(name: &str, filter: &str) -> Self {
        // A per-group seed from the standard library's random hash keys; `| 1` keeps it non-zero,
        // which xorshift needs.
        let seed = RandomState::new().hash_one((name, filter)) | 1;
        Self {
            name: name.into(),
            filter: filter.into(),
            members: Vec::new(),
            next: AtomicUsize::new(0),
            sticky: AtomicUsize::new(NO_STICKY),
            random: AtomicU64::new(seed),
        }
    }

    /// The group's ShareName.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The topic filter the group subscribes to, without the `$share/{name}/` prefix.
    #[must_use]
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// The number of members.
    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the group has no member (never true for a group found in an index).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members with their subscription data, in subscription order.
    pub fn members(&self) -> impl ExactSizeIterator<Item = (&K, &V)> {
        self.members.iter().map(|(key, value)| (key, value))
    }

    /// Picks the member that receives one message, or `None` if no member is usable.
    ///
    /// `usable` is asked about candidates in the strategy's order until it accepts one (so it
    /// is called once when every member is usable, and at most once per member); the accepted
    /// member is returned and the strategy's state is updated as if the skipped members had not
    /// been there. `context` feeds the hash strategies; the others ignore it. Takes `&self`:
    /// see the module documentation for concurrent use.
    ///
    /// ```
    /// use hermod_router::{PublishContext, ShareStrategy, SubscriptionIndex};
    ///
    /// let mut index = SubscriptionIndex::new();
    /// for session in [1_u64, 2, 3] {
    ///     index.insert_shared("workers", "jobs/+", session, ());
    /// }
    /// let offline = 2;
    /// let mut chosen = Vec::new();
    /// for _ in 0..4 {
    ///     index.for_each_shared_match("jobs/resize", |group| {
    ///         let context = PublishContext { topic: "jobs/resize", publisher: "client-a" };
    ///         let usable = |session: &u64, _: &()| *session != offline;
    ///         if let Some((session, ())) = group.select(ShareStrategy::RoundRobin, context, usable) {
    ///             chosen.push(*session);
    ///         }
    ///     });
    /// }
    /// assert_eq!(chosen, [1, 3, 1, 3]);
    /// ```
    pub fn select(
        &self,
        strategy: ShareStrategy,
        context: PublishContext<'_>,
        mut usable: impl FnMut(&K, &V) -> bool,
    ) -> Option<(&K, &V)> {
        let len = self.members.len();
        if len == 0 {
            return None;
        }
        let index = match strategy {
            ShareStrategy::RoundRobin => {
                let start = self.next.load(Ordering::Relaxed) % len;
                let index = self.first_usable(start, &mut usable)?;
                self.next.store(index + 1, Ordering::Relaxed);
                index
            }
            ShareStrategy::Random => {
                let start = self.next_random() % len as u64;
                // `start < len`, which fits in `usize`.
                self.first_usable(usize::try_from(start).unwrap_or(0), &mut usable)?
            }
            ShareStrategy::Sticky => {
                let sticky = self.sticky.load(Ordering::Relaxed);
                let start = match self.members.get(sticky) {
                    Some((key, value)) if usable(key, value) => return Some((key, value)),
                    Some(_) => sticky + 1,
                    None => self.next.load(Ordering::Relaxed),
                };
                let index = self.first_usable(start % len, &mut usable)?;
                self.sticky.store(index, Ordering::Relaxed);
                index
            }
            ShareStrategy::HashClientId => {
                self.first_usable(bucket(context.publisher, len), &mut usable)?
            }
            ShareStrategy::HashTopic => {
                self.first_usable(bucket(context.topic, len), &mut usable)?
            }
        };
        self.members.get(index).map(|(key, value)| (key, value))
    }

    /// The first position from `start` on (wrapping around) whose member is usable.
    fn first_usable(&self, start: usize, usable: &mut impl FnMut(&K, &V) -> bool) -> Option<usize> {
        let len = self.members.len();
        (start..len).chain(0..start.min(len)).find(|&index| {
            self.members
                .get(index)
                .is_some_and(|(key, value)| usable(key, value))
        })
    }

    /// The next output of the group's xorshift64* generator.
    fn next_random(&self) -> u64 {
        let mut state = self.random.load(Ordering::Relaxed);
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        self.random.store(state, Ordering::Relaxed);
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl<K: Eq, V> SharedGroup<K, V> {
    /// Adds `key` as a member, or replaces its data if it is one; returns the replaced data.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.members.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => Some(std::mem::replace(slot, value)),
            None => {
                self.members.push((key, value));
                None
            }
        }
    }

    /// Removes the member `key`, returning its data. Later members move up one position; the
    /// round-robin and sticky positions follow them, so removal disturbs no other member's turn.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let index = self.members.iter().position(|(k, _)| k == key)?;
        let (_, value) = self.members.remove(index);
        let next = self.next.get_mut();
        if *next > index {
            *next -= 1;
        }
        let sticky = self.sticky.get_mut();
        if *sticky == index {
            *sticky = NO_STICKY;
            // The next selection starts where the sticky member was, with its successor.
            *self.next.get_mut() = index;
        } else if *sticky != NO_STICKY && *sticky > index {
            *sticky -= 1;
        }
        if self.members.is_empty() {
            self.members = Vec::new();
        }
        Some(value)
    }
}

/// A stable 64-bit hash of `text` (FNV-1a followed by the murmur3 finaliser, so that the low
/// bits used by `mod len` depend on every byte), reduced to a position below `len`.
fn bucket(text: &str, len: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in text.as_bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^= hash >> 33;
    // The remainder is below `len`, so it fits in `usize`.
    usize::try_from(hash % len as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(members: &[u32]) -> SharedGroup<u32, ()> {
        let mut group = SharedGroup::new("g", "t/#");
        for &member in members {
            assert_eq!(group.insert(member, ()), None);
        }
        group
    }

    const CONTEXT: PublishContext<'static> = PublishContext {
        topic: "t/1",
        publisher: "publisher-1",
    };

    /// Picks `count` times with `strategy` and `usable`, returning the chosen members.
    fn picks(
        group: &SharedGroup<u32, ()>,
        strategy: ShareStrategy,
        count: usize,
        usable: impl Fn(u32) -> bool,
    ) -> Vec<u32> {
        (0..count)
            .filter_map(|_| group.select(strategy, CONTEXT, |k, _| usable(*k)))
            .map(|(k, _)| *k)
            .collect()
    }

    #[test]
    fn accessors() {
        let group = group(&[7, 8]);
        assert_eq!((group.name(), group.filter(), group.len()), ("g", "t/#", 2));
        assert!(!group.is_empty());
        assert_eq!(group.members().map(|(k, _)| *k).collect::<Vec<_>>(), [7, 8]);
    }

    #[test]
    fn insert_replaces_the_data_of_an_existing_member() {
        let mut group = SharedGroup::new("g", "t");
        assert_eq!(group.insert(1, "qos0"), None);
        assert_eq!(group.insert(1, "qos1"), Some("qos0"));
        assert_eq!(group.len(), 1);
        assert_eq!(group.remove(&1), Some("qos1"));
        assert_eq!(group.remove(&1), None);
        assert!(group.is_empty());
    }

    #[test]
    fn every_strategy_returns_none_for_an_empty_group_or_no_usable_member() {
        let empty = group(&[]);
        let full = group(&[1, 2, 3]);
        for strategy in STRATEGIES {
            assert_eq!(empty.select(strategy, CONTEXT, |_, _| true), None);
            let mut asked = 0;
            let chosen = full.select(strategy, CONTEXT, |_, _| {
                asked += 1;
                false
            });
            assert_eq!((chosen, asked), (None, 3), "{strategy:?}");
        }
    }

    const STRATEGIES: [ShareStrategy; 5] = [
        ShareStrategy::RoundRobin,
        ShareStrategy::Random,
        ShareStrategy::Sticky,
        ShareStrategy::HashClientId,
        ShareStrategy::HashTopic,
    ];

    #[test]
    fn every_strategy_asks_once_when_all_are_usable_and_skips_unusable_members() {
        let group = group(&[1, 2, 3, 4]);
        for strategy in STRATEGIES {
            let mut asked = 0;
            let chosen = group.select(strategy, CONTEXT, |_, _| {
                asked += 1;
                true
            });
            assert!(chosen.is_some());
            assert_eq!(asked, 1, "{strategy:?}");
            let chosen = picks(&group, strategy, 200, |k| k == 3);
            assert_eq!(chosen, [3; 200], "{strategy:?}");
        }
    }

    #[test]
    fn round_robin_takes_turns_in_subscription_order() {
        let group = group(&[1, 2, 3]);
        let chosen = picks(&group, ShareStrategy::RoundRobin, 7, |_| true);
        assert_eq!(chosen, [1, 2, 3, 1, 2, 3, 1]);
    }

    #[test]
    fn round_robin_is_fair_when_a_member_is_skipped() {
        let group = group(&[1, 2, 3, 4]);
        let chosen = picks(&group, ShareStrategy::RoundRobin, 300, |k| k != 2);
        for member in [1, 3, 4] {
            assert_eq!(chosen.iter().filter(|&&k| k == member).count(), 100);
        }
    }

    #[test]
    fn round_robin_continues_fairly_across_membership_changes() {
        let mut group = group(&[1, 2, 3]);
        assert_eq!(
            picks(&group, ShareStrategy::RoundRobin, 2, |_| true),
            [1, 2]
        );
        // 3 is next; removing 1 (before it) must not make 3 lose its turn.
        group.remove(&1);
        assert_eq!(
            picks(&group, ShareStrategy::RoundRobin, 3, |_| true),
            [3, 2, 3]
        );
        // A new member joins at the end of the turn order: after 3 comes 4, then 2.
        group.insert(4, ());
        assert_eq!(
            picks(&group, ShareStrategy::RoundRobin, 3, |_| true),
            [4, 2, 3]
        );
    }

    #[test]
    fn random_spreads_over_all_members() {
        let group = group(&[1, 2, 3]);
        let chosen = picks(&group, ShareStrategy::Random, 3000, |_| true);
        for member in [1, 2, 3] {
            let share = chosen.iter().filter(|&&k| k == member).count();
            // Expected 1000; a ±300 deviation is more than 20 standard deviations.
            assert!((700..=1300).contains(&share), "{member}: {share}");
        }
    }

    #[test]
    fn sticky_keeps_the_member_while_it_stays_subscribed_and_usable() {
        let mut group = group(&[1, 2, 3]);
        let first = picks(&group, ShareStrategy::Sticky, 1, |_| true);
        assert_eq!(first, [1]);
        assert_eq!(picks(&group, ShareStrategy::Sticky, 5, |_| true), [1; 5]);
        // Unusable: the next one takes over and stays sticky even once 1 is back.
        assert_eq!(picks(&group, ShareStrategy::Sticky, 2, |k| k != 1), [2, 2]);
        assert_eq!(picks(&group, ShareStrategy::Sticky, 2, |_| true), [2, 2]);
        // Unsubscribed: its successor takes over.
        group.remove(&2);
        assert_eq!(picks(&group, ShareStrategy::Sticky, 3, |_| true), [3, 3, 3]);
        // Removing a member before the sticky one keeps the sticky member.
        group.remove(&1);
        assert_eq!(picks(&group, ShareStrategy::Sticky, 2, |_| true), [3, 3]);
    }

    #[test]
    fn hash_strategies_are_stable_and_spread() {
        let group = group(&[1, 2, 3, 4, 5]);
        for strategy in [ShareStrategy::HashClientId, ShareStrategy::HashTopic] {
            let chosen = picks(&group, strategy, 50, |_| true);
            assert!(chosen.iter().all(|&k| k == chosen[0]), "{strategy:?}");
        }
        let mut seen = std::collections::HashSet::new();
        for i in 0..100 {
            let publisher = format!("client-{i}");
            let topic = format!("sensors/{i}");
            let by_client = PublishContext {
                topic: "t",
                publisher: &publisher,
            };
            let by_topic = PublishContext {
                topic: &topic,
                publisher: "p",
            };
            let a = group.select(ShareStrategy::HashClientId, by_client, |_, _| true);
            let b = group.select(ShareStrategy::HashClientId, by_client, |_, _| true);
            assert_eq!(a, b);
            seen.extend(a.map(|(k, _)| *k));
            let c = group.select(ShareStrategy::HashTopic, by_topic, |_, _| true);
            assert_eq!(
                c,
                group.select(ShareStrategy::HashTopic, by_topic, |_, _| true)
            );
        }
        assert_eq!(seen.len(), 5, "100 publishers spread over all members");
    }

    /// The hash is fixed (not seeded), so the mapping survives restarts.
    #[test]
    fn hash_is_fixed_across_processes() {
        assert_eq!(bucket("", 1000), bucket("", 1000));
        let fixed: Vec<usize> = ["a", "client-1", "sensors/1"]
            .iter()
            .map(|text| bucket(text, 1 << 20))
            .collect();
        assert_eq!(fixed, [FIXED_A, FIXED_CLIENT_1, FIXED_SENSORS_1]);
    }

    // Recorded once from this implementation; a change means the hash changed.
    const FIXED_A: usize = 970_331;
    const FIXED_CLIENT_1: usize = 428_077;
    const FIXED_SENSORS_1: usize = 491_167;

    #[test]
    fn hash_strategy_moves_on_to_the_next_usable_member() {
        let group = group(&[1, 2, 3]);
        let (natural, ()) = group
            .select(ShareStrategy::HashClientId, CONTEXT, |_, _| true)
            .map(|(k, v)| (*k, *v))
            .unwrap_or_default();
        let successor = natural % 3 + 1;
        let chosen = picks(&group, ShareStrategy::HashClientId, 3, |k| k != natural);
        assert_eq!(chosen, [successor; 3]);
    }
}
