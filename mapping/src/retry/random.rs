//! [`RandomSource`]: where backoff jitter comes from, injectable for tests.

use std::sync::{Arc, Mutex, PoisonError};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A source of uniform random fractions for backoff jitter.
///
/// Production code uses [`DefaultRandom`]; tests use [`SeededRandom`] (reproducible) or
/// [`FixedRandom`] (one known value, so exact delays can be asserted).
pub trait RandomSource: Send + Sync {
    /// A uniformly distributed value in `[0, 1)`.
    ///
    /// Callers clamp what they get, so a value outside the range cannot cause a panic or an
    /// over-long wait; it only biases the jitter.
    fn next_f64(&self) -> f64;
}

impl<R: RandomSource + ?Sized> RandomSource for Arc<R> {
    fn next_f64(&self) -> f64 {
        (**self).next_f64()
    }
}

/// The thread-local generator of `rand`, seeded from the operating system.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRandom;

impl RandomSource for DefaultRandom {
    fn next_f64(&self) -> f64 {
        rand::rng().random::<f64>()
    }
}

/// A reproducible generator: the same seed gives the same sequence. For tests and
/// simulations. Clones share one sequence.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    rng: Arc<Mutex<StdRng>>,
}

impl SeededRandom {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom {
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(seed))),
        }
    }
}

impl RandomSource for SeededRandom {
    fn next_f64(&self) -> f64 {
        // A panic elsewhere while holding the lock leaves the generator valid; keep going.
        self.rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .random::<f64>()
    }
}

/// Always returns the same fraction, so a test can assert exact delays:
/// with `FixedRandom::new(0.5)` every backoff is half its ceiling.
#[derive(Debug, Clone, Copy)]
pub struct FixedRandom {
    fraction: f64,
}

impl FixedRandom {
    /// Always yields `fraction`, clamped to `[0, 1]` (NaN becomes 0). `1.0` is allowed here
    /// on purpose, to test the upper edge of the jitter range.
    pub fn new(fraction: f64) -> Self {
        let fraction = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        FixedRandom { fraction }
    }
}

impl RandomSource for FixedRandom {
    fn next_f64(&self) -> f64 {
        self.fraction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_random_stays_in_unit_interval() {
        for _ in 0..1_000 {
            let x = DefaultRandom.next_f64();
            assert!((0.0..1.0).contains(&x), "{x}");
        }
    }

    #[test]
    fn seeded_random_is_reproducible_and_clones_share_the_sequence() {
        let a = SeededRandom::new(7);
        let b = SeededRandom::new(7);
        let seq_a: Vec<f64> = (0..5).map(|_| a.next_f64()).collect();
        let seq_b: Vec<f64> = (0..5).map(|_| b.next_f64()).collect();
        assert_eq!(seq_a, seq_b);
        assert!(seq_a.iter().all(|x| (0.0..1.0).contains(x)));

        let c = SeededRandom::new(7);
        let c2 = c.clone();
        let first = c.next_f64();
        let second = c2.next_f64();
        assert_eq!([first, second], [seq_a[0], seq_a[1]]);
    }

    #[test]
    fn fixed_random_clamps() {
        assert_eq!(FixedRandom::new(0.25).next_f64(), 0.25);
        assert_eq!(FixedRandom::new(-3.0).next_f64(), 0.0);
        assert_eq!(FixedRandom::new(7.0).next_f64(), 1.0);
        assert_eq!(FixedRandom::new(f64::NAN).next_f64(), 0.0);
    }
}
