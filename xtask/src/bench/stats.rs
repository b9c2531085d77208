//! Summaries: min / median / max of the runs of a figure, and latency percentiles.

use serde::Serialize;

/// The spread of a figure over its runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Summary {
    /// The summary of `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Summary> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        Some(Summary {
            min: v[0],
            median: median_of_sorted(&v),
            max: v[v.len() - 1],
        })
    }
}

/// The median of sorted values: the middle one, or the mean of the two middle ones.
fn median_of_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if !n.is_multiple_of(2) {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Latencies of one measurement, in microseconds.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    micros: Vec<u64>,
    sorted: bool,
}

impl Latencies {
    /// An empty set with room for `n` samples.
    pub fn with_capacity(n: usize) -> Self {
        Latencies {
            micros: Vec::with_capacity(n),
            sorted: true,
        }
    }

    /// Adds one sample.
    pub fn push(&mut self, d: std::time::Duration) {
        self.micros
            .push(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        self.sorted = false;
    }

    /// Adds every sample of `other`.
    pub fn extend(&mut self, other: Latencies) {
        self.micros.extend(other.micros);
        self.sorted = false;
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.micros.len()
    }

    /// The `q`-quantile (`0 < q ≤ 1`) by nearest rank, in milliseconds; 0 when empty.
    pub fn percentile_ms(&mut self, q: f64) -> f64 {
        if !self.sorted {
            self.micros.sort_unstable();
            self.sorted = true;
        }
        percentile(&self.micros, q) as f64 / 1_000.0
    }
}

/// Nearest-rank percentile of sorted values: the smallest value with at least `q` of the
/// samples at or below it.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let q = q.clamp(0.0, 1.0);
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn summary_of_odd_and_even_runs() {
        let s = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.min, s.median, s.max), (1.0, 2.0, 3.0));
        let s = Summary::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!((s.min, s.median, s.max), (1.0, 2.5, 4.0));
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[f64::NAN]), None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&v, 1.0), 100);
        assert_eq!(percentile(&v, 0.0), 1);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
        // p99 of 10 samples is the largest.
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&v, 0.99), 10);
        assert_eq!(percentile(&v, 0.5), 5);
    }

    #[test]
    fn latencies_in_milliseconds() {
        let mut l = Latencies::with_capacity(4);
        for ms in [4, 1, 3, 2] {
            l.push(Duration::from_millis(ms));
        }
        let mut other = Latencies::default();
        other.push(Duration::from_micros(500));
        l.extend(other);
        assert_eq!(l.len(), 5);
        assert_eq!(l.percentile_ms(0.5), 2.0);
        assert_eq!(l.percentile_ms(0.99), 4.0);
        assert_eq!(l.percentile_ms(0.2), 0.5);
    }
}
