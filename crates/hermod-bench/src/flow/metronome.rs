//! The clock of fixed-rate publishers: one thread that tells each publisher when its next
//! message is due, with sub-millisecond spacing.
//!
//! tokio's timers have a resolution of one millisecond, so publishers paced by their own
//! timers send in bursts: at 20,000 messages/s over 100 publishers, about 20 messages leave in
//! the same instant every millisecond and the last of them waits for the broker to handle the
//! other 19 — the measured latency is then the burst's, not the broker's. The metronome gives
//! the publishers one common schedule: slot `k` is due `k / total_rate` seconds after the
//! start and belongs to publisher `k % publishers`, so publisher `i` is due at
//! `start + (i + j * publishers) / total_rate` for its `j`-th message. The thread sleeps until
//! the next slot (the kernel's timer slack lets it oversleep by up to ~50 µs, so a late wake
//! releases the two or three slots that fell due meanwhile) and wakes each due publisher's
//! task through its [`Notify`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// The longest single sleep, so a stopped metronome notices within this time.
const MAX_SLEEP: Duration = Duration::from_millis(50);

/// A running metronome; stops its thread when dropped.
#[derive(Debug)]
pub(crate) struct Metronome {
    ticks: Arc<[Notify]>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Metronome {
    /// Starts the schedule of `publishers` publishers at `total_rate` messages per second in
    /// all, from `start` until `end`.
    pub(crate) fn start(
        publishers: u32,
        total_rate: f64,
        start: Instant,
        end: Instant,
    ) -> std::io::Result<Metronome> {
        let ticks: Arc<[Notify]> = (0..publishers.max(1)).map(|_| Notify::new()).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let schedule = Schedule {
            publishers: u64::from(publishers.max(1)),
            total_rate,
            start,
            end,
        };
        let thread = std::thread::Builder::new()
            .name("bench-metronome".into())
            .spawn({
                let (ticks, stop) = (Arc::clone(&ticks), Arc::clone(&stop));
                move || schedule.run(&ticks, &stop)
            })?;
        Ok(Metronome {
            ticks,
            stop,
            thread: Some(thread),
        })
    }

    /// The signals, one per publisher by index, to hand to the publishers' tasks: publisher
    /// `i`'s fires whenever one of its slots is due (a signal nobody waited for is kept, once,
    /// for the next wait).
    pub(crate) fn ticks(&self) -> Arc<[Notify]> {
        Arc::clone(&self.ticks)
    }
}

impl Drop for Metronome {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The thread only sleeps and notifies; it ends within MAX_SLEEP.
            let _ = thread.join();
        }
    }
}

/// When each slot is due.
#[derive(Clone, Copy, Debug)]
struct Schedule {
    publishers: u64,
    total_rate: f64,
    start: Instant,
    end: Instant,
}

impl Schedule {
    /// When slot `k` is due.
    fn due(&self, k: u64) -> Instant {
        self.start + Duration::from_secs_f64(k as f64 / self.total_rate)
    }

    /// Sleeps to each slot in turn and wakes its publisher, until the end or a stop.
    fn run(self, ticks: &[Notify], stop: &AtomicBool) {
        let mut k = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let next = self.due(k);
            if next >= self.end {
                return;
            }
            let now = Instant::now();
            if next > now {
                std::thread::sleep((next - now).min(MAX_SLEEP));
                continue;
            }
            // Release every slot due by now (several after an oversleep).
            while self.due(k) <= now && self.due(k) < self.end {
                if let Some(tick) = ticks.get((k % self.publishers) as usize) {
                    tick.notify_one();
                }
                k += 1;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn slots_are_spread_evenly_over_the_publishers() {
        let start = Instant::now();
        let schedule = Schedule {
            publishers: 4,
            total_rate: 1000.0,
            start,
            end: start + Duration::from_secs(1),
        };
        // Slot k at k ms; publisher 1 owns slots 1, 5, 9, ...
        assert_eq!(schedule.due(1) - start, Duration::from_millis(1));
        assert_eq!(schedule.due(5) - start, Duration::from_millis(5));
        assert_eq!(schedule.due(0), start);
    }

    #[tokio::test]
    async fn every_publisher_is_woken_and_the_thread_ends() {
        let start = Instant::now();
        let metronome =
            Metronome::start(3, 3000.0, start, start + Duration::from_millis(20)).unwrap();
        let ticks = metronome.ticks();
        assert_eq!(ticks.len(), 3);
        for tick in ticks.iter() {
            tokio::time::timeout(Duration::from_secs(5), tick.notified())
                .await
                .unwrap();
        }
        drop(metronome); // joins the thread: the test would hang if it did not end
    }
}
