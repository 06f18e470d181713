//! Loss, duplicate and reorder counting per publisher, from the sequence numbers in the
//! payload headers.
//!
//! A bit per sequence number up to the highest seen tells whether a message was seen before
//! (a duplicate). A message below the highest seen that was not seen before is reordered. Lost
//! is what is missing below the highest seen: a message lost after the last one received
//! cannot be told from one not sent.

use std::collections::HashMap;

/// One publisher's sequence state.
#[derive(Debug, Default)]
struct Stream {
    /// Bit `n` set: sequence number `n` was received.
    seen: Vec<u64>,
    /// The highest sequence number received plus one (0: none yet).
    end: u64,
    /// Distinct sequence numbers received.
    unique: u64,
}

/// Publishers with an index below this are tracked in a vector (the common case: indices
/// count from 0); others in a map.
const DENSE_PUBLISHERS: u32 = 1 << 16;

/// Publishers with larger indices tracked at most: payloads naming more (a broker sending
/// garbage) are ignored rather than growing the map without bound.
const MAX_SPARSE_PUBLISHERS: usize = 1024;

/// The counters over all publishers.
#[derive(Debug, Default)]
pub struct Tracker {
    dense: Vec<Stream>,
    sparse: HashMap<u32, Stream>,
    /// Messages received a second time (or more).
    pub duplicates: u64,
    /// Messages received after one with a higher sequence number from the same publisher.
    pub reordered: u64,
}

/// Sequence numbers from this one up are ignored, so that a stray payload cannot make the
/// bitmap large (2^26 messages per publisher: at most 8 MiB of bits each).
pub const MAX_TRACKED_SEQUENCE: u64 = 1 << 26;

impl Tracker {
    /// Records a message from `publisher` with `sequence`.
    pub fn record(&mut self, publisher: u32, sequence: u64) {
        if sequence >= MAX_TRACKED_SEQUENCE {
            return;
        }
        let stream = if publisher < DENSE_PUBLISHERS {
            let slot = publisher as usize;
            if self.dense.len() <= slot {
                self.dense.resize_with(slot + 1, Stream::default);
            }
            &mut self.dense[slot]
        } else if self.sparse.len() < MAX_SPARSE_PUBLISHERS || self.sparse.contains_key(&publisher)
        {
            self.sparse.entry(publisher).or_default()
        } else {
            return;
        };
        let word = usize::try_from(sequence / 64).unwrap_or(usize::MAX);
        let bit = 1u64 << (sequence % 64);
        if stream.seen.len() <= word {
            stream.seen.resize(word + 1, 0);
        }
        if stream.seen[word] & bit != 0 {
            self.duplicates += 1;
            return;
        }
        stream.seen[word] |= bit;
        stream.unique += 1;
        if sequence + 1 < stream.end {
            self.reordered += 1;
        }
        stream.end = stream.end.max(sequence + 1);
    }

    /// Messages missing below each publisher's highest received sequence number.
    pub fn lost(&self) -> u64 {
        self.streams()
            .map(|stream| stream.end - stream.unique)
            .sum()
    }

    /// How many publishers were heard from.
    pub fn publishers(&self) -> usize {
        self.streams().count()
    }

    /// The streams of the publishers heard from.
    fn streams(&self) -> impl Iterator<Item = &Stream> {
        self.dense
            .iter()
            .filter(|stream| stream.end > 0)
            .chain(self.sparse.values())
    }

    /// `(lost, duplicates, reordered)`. Each subscriber keeps its own tracker (it receives its
    /// own copy of every message), so a run's counts are the sums of these.
    pub fn totals(&self) -> (u64, u64, u64) {
        (self.lost(), self.duplicates, self.reordered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_publishers_tracked_are_bounded() {
        let mut tracker = Tracker::default();
        for publisher in 0..(MAX_SPARSE_PUBLISHERS as u32 + 10) {
            tracker.record(DENSE_PUBLISHERS + publisher, 0);
        }
        assert_eq!(tracker.publishers(), MAX_SPARSE_PUBLISHERS);
    }

    #[test]
    fn in_order_stream_has_nothing_to_report() {
        let mut tracker = Tracker::default();
        for sequence in 0..1000 {
            tracker.record(1, sequence);
            tracker.record(2, sequence);
        }
        assert_eq!(tracker.totals(), (0, 0, 0));
        assert_eq!(tracker.publishers(), 2);
    }

    #[test]
    fn gaps_duplicates_and_reordering_are_counted_per_publisher() {
        let mut tracker = Tracker::default();
        for sequence in [0, 1, 3, 3, 2, 6, 1] {
            tracker.record(1, sequence);
        }
        // Publisher 2's sequence 0 is not a duplicate of publisher 1's.
        tracker.record(2, 0);
        // 4 and 5 missing; 3 and 1 seen twice; 2 came after 3.
        assert_eq!(tracker.lost(), 2);
        assert_eq!(tracker.duplicates, 2);
        assert_eq!(tracker.reordered, 1);
        // A late arrival fills a gap: no longer lost, but reordered.
        tracker.record(1, 4);
        assert_eq!(tracker.totals(), (1, 2, 2));
    }

    #[test]
    fn untracked_sequence_numbers_are_ignored() {
        let mut tracker = Tracker::default();
        tracker.record(1, MAX_TRACKED_SEQUENCE);
        assert_eq!(tracker.totals(), (0, 0, 0));
    }
}
