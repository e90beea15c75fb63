//! Retry delays: exponential backoff with full jitter, so a crowd of pages that lost the same
//! server do not all come back in the same millisecond.
//!
//! Randomness is injected as a number in `[0, 1)`, so the schedule is tested without a browser.

use std::time::Duration;

/// First retry waits up to this long: short enough that a blip is invisible.
pub const BASE_DELAY: Duration = Duration::from_millis(500);

/// No retry waits longer than this: a person watching the page should not wait minutes.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// The backoff state of one retried thing (the WebSocket, one upload).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backoff {
    /// Failures since the last success; the next delay's ceiling doubles with each.
    attempt: u32,
}

impl Backoff {
    /// Failures since the last success.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The ceiling of the next delay: `BASE_DELAY * 2^attempt`, capped at [`MAX_DELAY`].
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32 << self.attempt.min(16);
        BASE_DELAY.saturating_mul(factor).min(MAX_DELAY)
    }

    /// Records a failure and returns how long to wait: uniformly in `[0, ceiling]` ("full
    /// jitter"). `random` is a number in `[0, 1)`, e.g. `Math.random()`.
    pub fn next_delay(&mut self, random: f64) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        ceiling.mul_f64(random.clamp(0.0, 1.0))
    }

    /// Records a success: the next failure starts from the base delay again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_until_capped() {
        let mut b = Backoff::default();
        let ceilings: Vec<u64> = (0..9)
            .map(|_| {
                let c = b.ceiling().as_millis() as u64;
                b.next_delay(0.5);
                c
            })
            .collect();
        assert_eq!(
            ceilings,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
    }

    #[test]
    fn delay_is_the_random_fraction_of_the_ceiling() {
        let mut b = Backoff::default();
        assert_eq!(b.next_delay(0.0), Duration::ZERO);
        assert_eq!(b.next_delay(0.5), Duration::from_millis(500));
        assert_eq!(b.next_delay(0.999), Duration::from_millis(1998));
        assert_eq!(b.attempt(), 3);
    }

    #[test]
    fn out_of_range_randomness_is_clamped_and_reset_starts_over() {
        let mut b = Backoff::default();
        for _ in 0..40 {
            assert!(b.next_delay(7.0) <= MAX_DELAY);
        }
        assert_eq!(b.next_delay(-1.0), Duration::ZERO);
        b.reset();
        assert_eq!(b.ceiling(), BASE_DELAY);
    }
}
