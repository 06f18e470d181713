//! Random mutations of a byte string.

use proptest::prelude::*;

/// A change to a byte string: flip bits of a byte, insert a byte, delete a byte, or cut the end.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mutation {
    /// XOR the byte at (position mod len) with a non-zero mask.
    Flip(usize, u8),
    /// Insert a byte at (position mod (len + 1)).
    Insert(usize, u8),
    /// Delete the byte at (position mod len).
    Delete(usize),
    /// Keep only the first (position mod (len + 1)) bytes.
    Truncate(usize),
}

/// A random mutation.
pub(crate) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1..=u8::MAX).prop_map(|(at, mask)| Mutation::Flip(at, mask)),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert(at, byte)),
        3 => any::<usize>().prop_map(Mutation::Delete),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies mutations in order.
pub(crate) fn mutate(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for mutation in mutations {
        let len = bytes.len();
        match *mutation {
            Mutation::Flip(at, mask) if len > 0 => {
                if let Some(byte) = bytes.get_mut(at % len) {
                    *byte ^= mask;
                }
            }
            Mutation::Insert(at, byte) => bytes.insert(at % (len + 1), byte),
            Mutation::Delete(at) if len > 0 => {
                bytes.remove(at % len);
            }
            Mutation::Truncate(at) => bytes.truncate(at % (len + 1)),
            Mutation::Flip(..) | Mutation::Delete(_) => {}
        }
    }
}
