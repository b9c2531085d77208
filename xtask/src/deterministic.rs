//! Deterministic sources for `cargo xtask seed`: a small PRNG, a settable clock and an id
//! source derived from the seed, so one seed always produces the same ledger.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use revshare_domain::port::{Clock, IdSource};
use time::OffsetDateTime;
use uuid::Uuid;

/// SplitMix64 (Steele, Lea & Flood): tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finaliser, also used to hash labels into stream seeds.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for one named stream of a seed: changing how much of one thing is
    /// generated does not shift the numbers of another.
    pub fn stream(seed: u64, label: &str, index: u64) -> Self {
        let mut h = mix(seed ^ GOLDEN);
        for b in label.bytes() {
            h = mix(h ^ u64::from(b));
        }
        Rng {
            state: mix(h ^ index.wrapping_mul(GOLDEN)),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.abs_diff(lo).saturating_add(1);
        lo.wrapping_add_unsigned(self.below(span))
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An integer spread over orders of magnitude: a decade `10^k` with `k` in
    /// `lo_exp..=hi_exp`, then uniform inside it. Integer-only, for money in minor units.
    pub fn magnitude(&mut self, lo_exp: u32, hi_exp: u32) -> i64 {
        let k = self.range(i64::from(lo_exp), i64::from(hi_exp)) as u32;
        let base = 10_i64.pow(k);
        base + self.below((base * 9) as u64) as i64
    }
}

/// A clock that stands still until the seeder moves it.
#[derive(Debug)]
pub struct SeedClock {
    micros: AtomicI64,
}

impl SeedClock {
    /// A clock showing `at`.
    pub fn at(at: OffsetDateTime) -> Self {
        SeedClock {
            micros: AtomicI64::new(to_micros(at)),
        }
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: OffsetDateTime) {
        self.micros.store(to_micros(at), Ordering::SeqCst);
    }
}

fn to_micros(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000) as i64
}

impl Clock for SeedClock {
    fn now(&self) -> OffsetDateTime {
        let m = i128::from(self.micros.load(Ordering::SeqCst));
        OffsetDateTime::from_unix_timestamp_nanos(m * 1_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// UUIDs from a counter: 48 bits of the seed's hash, a 12-bit stream number (one per worker,
/// so concurrent workers never share a counter) and a 56-bit counter, as RFC 9562 version 8
/// ("custom") UUIDs.
#[derive(Debug)]
pub struct SeedIds {
    prefix: u64,
    stream: u16,
    counter: AtomicU64,
}

impl SeedIds {
    /// The id source of one stream of a seed.
    pub fn new(seed: u64, stream: u16) -> Self {
        SeedIds {
            prefix: mix(seed ^ 0x5EED_5EED_5EED_5EED),
            stream: stream & 0x0FFF,
            counter: AtomicU64::new(1),
        }
    }
}

impl IdSource for SeedIds {
    fn new_id(&self) -> Uuid {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut b = [0_u8; 16];
        b[0..6].copy_from_slice(&self.prefix.to_be_bytes()[0..6]);
        b[6] = (self.stream >> 8) as u8; // the builder overwrites the high nibble (version)
        b[7] = self.stream as u8;
        b[8..16].copy_from_slice(&n.to_be_bytes()); // top byte is 0 below 2^56 ids
        uuid::Builder::from_custom_bytes(b).into_uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::stream(7, "x", 0);
                move |_| r.next_u64()
            })
            .collect();
        let mut r = Rng::stream(7, "x", 0);
        assert_eq!(a, (0..4).map(|_| r.next_u64()).collect::<Vec<_>>());
        assert_ne!(
            Rng::stream(7, "x", 0).next_u64(),
            Rng::stream(7, "x", 1).next_u64()
        );
        assert_ne!(
            Rng::stream(7, "x", 0).next_u64(),
            Rng::stream(8, "x", 0).next_u64()
        );
    }

    #[test]
    fn bounded_helpers_stay_in_bounds() {
        let mut r = Rng::stream(1, "b", 0);
        for _ in 0..10_000 {
            assert!(r.below(7) < 7);
            let v = r.range(-3, 3);
            assert!((-3..=3).contains(&v));
            let m = r.magnitude(2, 4);
            assert!((100..100_000).contains(&m));
        }
    }

    #[test]
    fn ids_are_unique_per_stream_and_versioned() {
        let a = SeedIds::new(7, 1);
        let b = SeedIds::new(7, 2);
        let (x, y) = (a.new_id(), b.new_id());
        assert_ne!(x, y);
        assert_ne!(a.new_id(), x);
        assert_eq!(x.get_version_num(), 8);
        assert_eq!(SeedIds::new(7, 1).new_id(), x);
    }
}
