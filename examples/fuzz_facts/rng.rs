//! Randomness: SplitMix64, seeded per case so any case can be replayed alone.

use crate::*;

/// A small, fast, seedable generator (SplitMix64).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`0` when `n == 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.wrapping_sub(lo) as u64;
        if span == u64::MAX {
            return self.next() as i64;
        }
        lo.wrapping_add(self.below(span + 1) as i64)
    }

    /// True with probability `1 / n`.
    pub(crate) fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub(crate) fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// The seed of case `index` of `target` under the run's `seed`.
pub(crate) fn case_seed(seed: u64, target: Target, index: u64) -> u64 {
    let mut rng = Rng(seed ^ (target as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    rng.next();
    rng.0 ^= index.wrapping_mul(0x9FB2_1C65_1E98_DF5E);
    rng.next()
}
