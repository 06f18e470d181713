//! Latency percentiles taken from an HDR histogram for a summary.

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::BenchError;

/// The highest latency a histogram records, in microseconds (one hour); longer values are
/// clamped to it.
pub const MAX_LATENCY_US: u64 = 3_600_000_000;

/// A new latency histogram in microseconds, 1 µs to [`MAX_LATENCY_US`], 3 significant digits.
pub fn new_histogram() -> Result<Histogram<u64>, BenchError> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
        .map_err(|error| BenchError::InvalidOptions(format!("histogram: {error}")))
}

/// Records `micros` into `histogram`, clamped into its range.
pub fn record(histogram: &mut Histogram<u64>, micros: u64) {
    histogram.saturating_record(micros.clamp(1, MAX_LATENCY_US));
}

/// Percentiles of a latency histogram, in microseconds (all 0 when nothing was recorded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LatencySummary {
    /// How many values were recorded.
    pub count: u64,
    /// The median.
    pub p50_us: u64,
    /// The 99th percentile.
    pub p99_us: u64,
    /// The 99.9th percentile.
    pub p999_us: u64,
    /// The largest value.
    pub max_us: u64,
}

impl LatencySummary {
    /// The percentiles of `histogram`.
    pub fn of(histogram: &Histogram<u64>) -> LatencySummary {
        if histogram.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: histogram.len(),
            p50_us: histogram.value_at_quantile(0.5),
            p99_us: histogram.value_at_quantile(0.99),
            p999_us: histogram.value_at_quantile(0.999),
            max_us: histogram.max(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn empty_histogram_summarises_to_zeros() {
        assert_eq!(
            LatencySummary::of(&new_histogram().unwrap()),
            LatencySummary::default()
        );
    }

    #[test]
    fn percentiles_follow_the_recorded_values() {
        let mut histogram = new_histogram().unwrap();
        for micros in 1..=1000 {
            record(&mut histogram, micros);
        }
        record(&mut histogram, u64::MAX);
        let summary = LatencySummary::of(&histogram);
        assert_eq!(summary.count, 1001);
        assert!((495..=505).contains(&summary.p50_us), "{summary:?}");
        assert!((985..=1000).contains(&summary.p99_us), "{summary:?}");
        assert!(summary.max_us >= MAX_LATENCY_US, "{summary:?}");
    }
}
