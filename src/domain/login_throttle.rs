//! How many failed logins are tolerated before the next attempts are refused for a while,
//! per account and per client address: enough for someone who mistypes, too few to guess.

use chrono::{DateTime, Duration, Utc};

/// The failures counted are those of the last `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub window: Duration,
    /// Failures tolerated for one account (whatever the address they come from).
    pub per_account: usize,
    /// Failures tolerated from one client address (whatever the accounts tried).
    pub per_address: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            per_account: 5,
            per_address: 20,
        }
    }
}

impl ThrottlePolicy {
    /// The seconds to wait before the next attempt, given the times of the recent failures
    /// of one subject, or `None` when an attempt may be made now. The wait ends when the
    /// oldest failure that keeps the count at `limit` leaves the window.
    pub fn retry_after(
        &self,
        failures: &[DateTime<Utc>],
        limit: usize,
        now: DateTime<Utc>,
    ) -> Option<u64> {
        let mut recent: Vec<DateTime<Utc>> = failures
            .iter()
            .copied()
            .filter(|at| *at > now - self.window)
            .collect();
        if recent.len() < limit {
            return None;
        }
        recent.sort_unstable();
        let freed_at = recent[recent.len() - limit] + self.window;
        let wait = (freed_at - now).num_milliseconds().max(0) as u64;
        Some(wait.div_ceil(1000).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_free_below_the_limit() {
        let policy = ThrottlePolicy::default();
        let now = Utc::now();
        let failures = vec![now - Duration::minutes(1); 4];
        assert_eq!(policy.retry_after(&failures, 5, now), None);
    }

    #[test]
    fn at_the_limit_the_wait_ends_when_the_oldest_failure_leaves_the_window() {
        let policy = ThrottlePolicy::default();
        let now = Utc::now();
        let failures: Vec<_> = (1..=5)
            .map(|minutes| now - Duration::minutes(minutes))
            .collect();
        // The oldest, 5 minutes ago, leaves the 15-minute window in 10 minutes.
        assert_eq!(policy.retry_after(&failures, 5, now), Some(600));
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let policy = ThrottlePolicy::default();
        let now = Utc::now();
        let failures = vec![now - Duration::minutes(20); 10];
        assert_eq!(policy.retry_after(&failures, 5, now), None);
    }
}
