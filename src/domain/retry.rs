//! When something that failed (a webhook delivery, an e-mail) is tried again.

use std::time::Duration;

/// How long to wait before the next attempt after `attempts` failed ones, with ±20 %
/// jitter so that endpoints coming back are not hit by every retry at once; none past the
/// schedule.
pub fn next_retry(attempts: usize, delays: &[Duration]) -> Option<Duration> {
    let delay = *delays.get(attempts.checked_sub(1)?)?;
    let jitter = 0.8 + 0.4 * fastrand_unit();
    Some(delay.mul_f64(jitter))
}

fn fastrand_unit() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}
