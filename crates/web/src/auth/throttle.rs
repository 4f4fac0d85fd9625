//! Per-address limit on failed sign-ins, on top of the per-account lock-out in the domain.
//! Kept in memory: with several instances each allows the limit (documented).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use civitas_core::time::Timestamp;
use time::Duration;

pub struct LoginThrottle {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

/// Addresses tracked at most; beyond it the oldest entries are dropped.
const MAX_TRACKED: usize = 100_000;

impl LoginThrottle {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        LoginThrottle {
            max_failures: max_failures.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` when this address must wait before trying again.
    pub fn check(&self, ip: &str, now: Timestamp) -> Result<(), u64> {
        let Ok(mut map) = self.failures.lock() else {
            return Ok(());
        };
        let Some(list) = map.get_mut(ip) else {
            return Ok(());
        };
        let cutoff = now.sub(self.window);
        while list.front().is_some_and(|t| *t <= cutoff) {
            list.pop_front();
        }
        if list.len() >= self.max_failures {
            let oldest = list.front().copied().unwrap_or(now);
            let wait = oldest.add(self.window).since(now).whole_seconds().max(1);
            return Err(u64::try_from(wait).unwrap_or(1));
        }
        Ok(())
    }

    pub fn record_failure(&self, ip: &str, now: Timestamp) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= MAX_TRACKED && !map.contains_key(ip) {
            let cutoff = now.sub(self.window);
            map.retain(|_, list| list.back().is_some_and(|t| *t > cutoff));
            if map.len() >= MAX_TRACKED {
                map.clear();
            }
        }
        map.entry(ip.to_string()).or_default().push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_that_keeps_failing_waits_until_the_window_passes() {
        let t0 = Timestamp::from_millis(1_700_000_000_000).unwrap();
        let throttle = LoginThrottle::new(3, Duration::minutes(5));
        for i in 0..3 {
            assert!(
                throttle
                    .check("10.0.0.9", t0.add(Duration::seconds(i)))
                    .is_ok()
            );
            throttle.record_failure("10.0.0.9", t0.add(Duration::seconds(i)));
        }
        let wait = throttle
            .check("10.0.0.9", t0.add(Duration::seconds(10)))
            .unwrap_err();
        assert_eq!(wait, 290);
        assert!(
            throttle.check("10.0.0.10", t0).is_ok(),
            "other addresses are not affected"
        );
        assert!(
            throttle
                .check("10.0.0.9", t0.add(Duration::minutes(6)))
                .is_ok()
        );
    }
}
