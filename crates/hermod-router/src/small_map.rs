//! [`SmallMap`]: a map that is a plain vector while small and a hash map once it grows.
//!
//! Trie nodes hold two maps each (children by level, subscribers by key), and in a realistic
//! index almost all of them have zero or one entry: `device/{id}/cmd` gives a million `{id}`
//! nodes with exactly one child. A `HashMap` would cost 48 bytes inline plus a table of at least
//! four buckets per node, so a small map is instead a `Vec` searched linearly, grown one slot at
//! a time (no spare capacity), and it switches to a boxed `HashMap` past [`INLINE_MAX`] entries
//! (and back below [`INLINE_AGAIN`]), so a node with a million children is still one hash lookup.
//!
//! The hash map uses the standard library's randomly keyed SipHash: keys are topic levels and
//! client-chosen session keys, so the hashing must resist collision flooding.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::collections::hash_map;
use std::hash::Hash;
use std::slice;

/// The most entries kept in the vector form; one more switches to the hash map.
const INLINE_MAX: usize = 8;

/// A hash map shrinking to this many entries goes back to the vector form (hysteresis, so that
/// a map hovering around [`INLINE_MAX`] does not convert on every insert and remove).
const INLINE_AGAIN: usize = 4;

/// A map from `K` to `V` optimised for the common case of zero or one entry.
#[derive(Debug)]
pub(crate) enum SmallMap<K, V> {
    /// Up to [`INLINE_MAX`] entries, unordered, searched linearly.
    Inline(Vec<(K, V)>),
    /// More entries: a hash map, boxed so that the small form stays the size of a `Vec`.
    #[allow(
        clippy::box_collection,
        reason = "a `HashMap` inline is 48 bytes; boxed, every trie node is 24 bytes smaller"
    )]
    Hashed(Box<HashMap<K, V>>),
}

impl<K, V> SmallMap<K, V> {
    /// An empty map; allocates nothing.
    pub(crate) const fn new() -> Self {
        Self::Inline(Vec::new())
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Inline(entries) => entries.len(),
            Self::Hashed(map) => map.len(),
        }
    }

    /// Whether the map has no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates over the entries in unspecified order.
    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        match self {
            Self::Inline(entries) => Iter::Inline(entries.iter()),
            Self::Hashed(map) => Iter::Hashed(map.iter()),
        }
    }
}

impl<K: Eq + Hash, V> SmallMap<K, V> {
    /// The value for `key`, if any.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        match self {
            Self::Inline(entries) => entries
                .iter()
                .find(|(k, _)| k.borrow() == key)
                .map(|(_, v)| v),
            Self::Hashed(map) => map.get(key),
        }
    }

    /// The value for `key`, mutably, if any.
    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        match self {
            Self::Inline(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.borrow() == key)
                .map(|(_, v)| v),
            Self::Hashed(map) => map.get_mut(key),
        }
    }

    /// Inserts `value` under `key`, returning the value it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(slot) = self.get_mut(&key) {
            return Some(std::mem::replace(slot, value));
        }
        self.push_new(key, value);
        None
    }

    /// The value for `key`, inserting `make_key()` → `make_value()` first if it is missing.
    ///
    /// `make_key` runs only when the key is missing, except in the hash-map form, where the
    /// standard library's entry API needs an owned key: there it runs on every call.
    pub(crate) fn get_or_insert_with<Q>(
        &mut self,
        key: &Q,
        make_key: impl FnOnce() -> K,
        make_value: impl FnOnce() -> V,
    ) -> &mut V
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        if let Self::Inline(entries) = self {
            if entries.len() >= INLINE_MAX && !entries.iter().any(|(k, _)| k.borrow() == key) {
                self.spill();
            }
        }
        match self {
            Self::Inline(entries) => {
                let index = match entries.iter().position(|(k, _)| k.borrow() == key) {
                    Some(index) => index,
                    None => {
                        entries.reserve_exact(1);
                        entries.push((make_key(), make_value()));
                        entries.len() - 1
                    }
                };
                // `index` is a valid position: found above or just pushed.
                &mut entries[index].1
            }
            Self::Hashed(map) => map.entry(make_key()).or_insert_with(make_value),
        }
    }

    /// Removes `key`, returning its value; gives memory back as the map shrinks.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        match self {
            Self::Inline(entries) => {
                let index = entries.iter().position(|(k, _)| k.borrow() == key)?;
                let (_, value) = entries.swap_remove(index);
                if entries.is_empty() {
                    *entries = Vec::new();
                } else if entries.capacity() > entries.len() + 1 {
                    entries.shrink_to_fit();
                }
                Some(value)
            }
            Self::Hashed(map) => {
                let value = map.remove(key)?;
                if map.len() <= INLINE_AGAIN {
                    let mut entries = Vec::with_capacity(map.len());
                    entries.extend(map.drain());
                    *self = Self::Inline(entries);
                } else if map.capacity() > 4 * map.len() {
                    map.shrink_to(2 * map.len());
                }
                Some(value)
            }
        }
    }

    /// Converts the vector form into the hash-map form.
    fn spill(&mut self) {
        if let Self::Inline(entries) = self {
            let mut map = HashMap::with_capacity(2 * INLINE_MAX);
            map.extend(entries.drain(..));
            *self = Self::Hashed(Box::new(map));
        }
    }

    /// Adds an entry known to be absent.
    fn push_new(&mut self, key: K, value: V) {
        if let Self::Inline(entries) = self {
            if entries.len() >= INLINE_MAX {
                self.spill();
            }
        }
        match self {
            Self::Inline(entries) => {
                entries.reserve_exact(1);
                entries.push((key, value));
            }
            Self::Hashed(map) => {
                map.insert(key, value);
            }
        }
    }
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

/// Iterator over a [`SmallMap`]'s entries.
pub(crate) enum Iter<'a, K, V> {
    /// Over the vector form.
    Inline(slice::Iter<'a, (K, V)>),
    /// Over the hash-map form.
    Hashed(hash_map::Iter<'a, K, V>),
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Inline(entries) => entries.next().map(|(k, v)| (k, v)),
            Self::Hashed(entries) => entries.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Self::Inline(entries) => entries.size_hint(),
            Self::Hashed(entries) => entries.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_inline<K, V>(map: &SmallMap<K, V>) -> bool {
        matches!(map, SmallMap::Inline(_))
    }

    #[test]
    fn small_form_is_the_size_of_a_vec() {
        assert_eq!(
            size_of::<SmallMap<Box<str>, u64>>(),
            size_of::<Vec<(Box<str>, u64)>>()
        );
    }

    #[test]
    fn insert_get_replace_remove() {
        let mut map = SmallMap::new();
        assert_eq!(map.insert(1_u32, "a"), None);
        assert_eq!(map.insert(1, "b"), Some("a"));
        assert_eq!(map.get(&1), Some(&"b"));
        assert_eq!(map.len(), 1);
        assert_eq!(map.remove(&2), None);
        assert_eq!(map.remove(&1), Some("b"));
        assert!(map.is_empty());
        assert!(matches!(&map, SmallMap::Inline(v) if v.capacity() == 0));
    }

    #[test]
    fn grows_into_a_hash_map_and_back() {
        let mut map = SmallMap::new();
        for i in 0..100_u32 {
            map.insert(i, i * 2);
            assert_eq!(is_inline(&map), i < INLINE_MAX as u32, "{i}");
        }
        assert_eq!(map.len(), 100);
        assert!((0..100).all(|i| map.get(&i) == Some(&(i * 2))));
        for i in 0..100_u32 {
            assert_eq!(map.remove(&i), Some(i * 2));
            assert_eq!(map.len(), 99 - i as usize);
        }
        assert!(is_inline(&map));
        assert!(map.is_empty());
    }

    #[test]
    fn get_or_insert_with_borrows_the_key() {
        let mut map: SmallMap<Box<str>, u32> = SmallMap::new();
        for round in 0..2 {
            for i in 0..20 {
                let level = format!("level-{i}");
                *map.get_or_insert_with(level.as_str(), || Box::from(level.as_str()), || 0) += 1;
                assert_eq!(map.get(level.as_str()), Some(&(round + 1)));
            }
        }
        assert_eq!(map.len(), 20);
        assert_eq!(map.iter().map(|(_, v)| *v).sum::<u32>(), 40);
    }

    #[test]
    fn vector_form_keeps_no_spare_capacity() {
        let mut map = SmallMap::new();
        for i in 0..INLINE_MAX as u32 {
            map.insert(i, ());
            assert!(matches!(&map, SmallMap::Inline(v) if v.capacity() == v.len()));
        }
    }
}
