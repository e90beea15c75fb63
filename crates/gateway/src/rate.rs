//! Per-source-IP token buckets that limit how fast one IP may open connections (429). Public so
//! a backend can charge failed token checks of its own HTTP API to the same kind of bucket.
//!
//! The table is pruned when it grows, so a scan from many addresses cannot grow it without bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::ConnectRate;

/// Above this many remembered IPs, buckets that have refilled completely are forgotten: a full
/// bucket holds no information a fresh one would not.
const PRUNE_ABOVE_IPS: usize = 10_000;

/// One IP's bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Attempts left, fractional because refill is continuous.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    updated: Instant,
}

/// Token buckets keyed by source IP.
#[derive(Debug)]
pub struct ConnectLimiter {
    /// The rate and burst every bucket follows.
    rate: ConnectRate,
    /// Buckets of IPs seen recently.
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl ConnectLimiter {
    /// Buckets that each allow `rate.burst` attempts at once, refilled at `rate.per_second`.
    pub fn new(rate: ConnectRate) -> Self {
        ConnectLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `ip` may make an attempt now; when `take` is true the attempt is counted.
    pub fn allow(&self, ip: IpAddr, take: bool) -> bool {
        let now = Instant::now();
        let burst = f64::from(self.rate.burst);
        let per_second = f64::from(self.rate.per_second);
        // A poisoned lock only means another thread panicked mid-update of a counter; the map is
        // still usable, so keep limiting rather than propagate the panic.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if take && buckets.len() > PRUNE_ABOVE_IPS {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < burst
            });
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refill).min(burst);
        bucket.updated = now;
        if bucket.tokens < 1.0 {
            return false;
        }
        if take {
            bucket.tokens -= 1.0;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuse_and_peek_does_not_count() {
        let limiter = ConnectLimiter::new(ConnectRate {
            per_second: 1,
            burst: 2,
        });
        let ip: IpAddr = "10.0.0.1".parse().expect("a literal address parses");
        assert!(limiter.allow(ip, false));
        assert!(limiter.allow(ip, true));
        assert!(limiter.allow(ip, true));
        assert!(!limiter.allow(ip, false));
        assert!(!limiter.allow(ip, true));
        let other: IpAddr = "10.0.0.2".parse().expect("a literal address parses");
        assert!(limiter.allow(other, true));
    }
}
