//! Stack depth: matching, removal and dropping recurse once per trie level, so the depth the
//! indexes support is bounded by the thread's stack. The broker caps the number of levels of a
//! filter or topic (a few hundred at most); this test guards the frame sizes by running a
//! thousand levels on a 2 MiB stack (tokio's default worker stack), in a debug build too.

use hermod_router::{RetainedIndex, SubscriptionIndex};

const LEVELS: usize = 1000;
const STACK: usize = 2 << 20;

fn exercise(levels: usize) {
    let topic = vec!["level"; levels].join("/");
    let wildcard = format!("{}/+/#", vec!["level"; levels - 2].join("/"));

    let mut index = SubscriptionIndex::new();
    index.insert(&topic, 1_u64, ());
    index.insert(&wildcard, 2, ());
    index.insert_shared("g", &topic, 3, ());
    let mut plain = 0;
    index.for_each_match(&topic, |_, ()| plain += 1);
    let mut shared = 0;
    index.for_each_shared_match(&topic, |_| shared += 1);
    assert_eq!((plain, shared), (2, 1));
    assert_eq!(index.remove(&topic, &1), Some(()));
    drop(index);

    let mut retained = RetainedIndex::new();
    retained.insert(&topic, ());
    let mut found = 0;
    retained.for_each_matching("#", |_, ()| found += 1);
    retained.for_each_matching(&wildcard, |_, ()| found += 1);
    assert_eq!(found, 2);
    retained.insert(&format!("{topic}/deeper"), ());
    assert_eq!(retained.remove(&topic), Some(()));
    drop(retained);
}

#[test]
fn a_thousand_levels_fit_in_a_two_mebibyte_stack() {
    let worker = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(|| exercise(LEVELS));
    assert!(worker.is_ok_and(|handle| handle.join().is_ok()));
}
