//! Who a request comes from: its client address, and how often that client and that
//! account may call.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
};

use axum::http::HeaderMap;
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};
use ipnet::IpNet;
use uuid::Uuid;

use crate::monitoring::{self, RateOf};

/// The address of the client: the peer of the connection, unless the peer is a trusted
/// proxy, in which case the proxies' `X-Forwarded-For` is read from the right, skipping
/// the trusted proxies, and the first address they did not add is the client. A client
/// can write anything in that header, so it is read only behind a trusted proxy, and only
/// the entries the trusted proxies appended are believed.
///
/// This is the one place that decides it: the login throttle and the rate limiter both
/// use its answer.
pub fn client_address(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted_proxies: &[IpNet],
) -> Option<IpAddr> {
    let peer = canonical(peer?.ip());
    let trusted = |address: &IpAddr| trusted_proxies.iter().any(|net| net.contains(address));
    if !trusted(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect::<Vec<_>>();
    for entry in forwarded.iter().rev() {
        match entry.trim().parse::<IpAddr>().map(canonical) {
            Ok(address) => {
                client = address;
                if !trusted(&address) {
                    break;
                }
            }
            // An entry that is not an address ends what can be believed.
            Err(_) => break,
        }
    }
    Some(client)
}

/// An IPv4 client seen through an IPv6 socket is the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Requests per minute per client address, per account and per API key, in memory (each
/// instance counts its own: behind a load balancer spreading N instances, a client gets up
/// to N times the rate).
pub struct RateLimiter {
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_account: Option<DefaultKeyedRateLimiter<Uuid>>,
    per_key: Option<DefaultKeyedRateLimiter<Uuid>>,
    checks: AtomicU64,
}

/// How many checks pass between two clean-ups of the clients that went quiet.
const CLEAN_UP_EVERY: u64 = 4096;

impl RateLimiter {
    /// `0` turns a limit off.
    pub fn new(
        per_address_per_minute: u32,
        per_account_per_minute: u32,
        per_key_per_minute: u32,
    ) -> Self {
        Self {
            per_address: limiter(per_address_per_minute),
            per_account: limiter(per_account_per_minute),
            per_key: limiter(per_key_per_minute),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts a request from `address`; `Err` holds the seconds to wait.
    pub fn check_address(&self, address: IpAddr) -> Result<(), u64> {
        self.clean_up_now_and_then();
        check(self.per_address.as_ref(), &address)
            .inspect_err(|_| monitoring::rate_limited(RateOf::Address))
    }

    /// Counts a request made with the token of `account`; `Err` holds the seconds to wait.
    pub fn check_account(&self, account: Uuid) -> Result<(), u64> {
        check(self.per_account.as_ref(), &account)
            .inspect_err(|_| monitoring::rate_limited(RateOf::Account))
    }

    /// Counts a request made with the API key `key`; `Err` holds the seconds to wait.
    pub fn check_key(&self, key: Uuid) -> Result<(), u64> {
        check(self.per_key.as_ref(), &key).inspect_err(|_| monitoring::rate_limited(RateOf::Key))
    }

    fn clean_up_now_and_then(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % CLEAN_UP_EVERY == CLEAN_UP_EVERY - 1 {
            for limiter in self.per_address.iter() {
                limiter.retain_recent();
            }
            for limiter in self.per_account.iter().chain(self.per_key.iter()) {
                limiter.retain_recent();
            }
        }
    }
}

fn limiter<K: Clone + std::hash::Hash + Eq>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute)
        .map(|per_minute| DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)))
}

fn check<K: Clone + std::hash::Hash + Eq>(
    limiter: Option<&DefaultKeyedRateLimiter<K>>,
    key: &K,
) -> Result<(), u64> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        // Whole seconds, rounded up: never tell a client to come back too early.
        wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(forwarded).unwrap());
        headers
    }

    fn peer(address: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(address.parse().unwrap(), 40000))
    }

    #[test]
    fn forwarding_headers_are_ignored_from_an_untrusted_peer() {
        let address = client_address(peer("203.0.113.9"), &headers("1.2.3.4"), &[]);
        assert_eq!(address, Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn behind_trusted_proxies_the_first_address_they_did_not_add_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client forged the first entry; the proxy appended the real one.
        let address = client_address(
            peer("10.0.0.2"),
            &headers("6.6.6.6, 198.51.100.7, 10.0.0.1"),
            &trusted,
        );
        assert_eq!(address, Some("198.51.100.7".parse().unwrap()));
        let no_header = client_address(peer("10.0.0.2"), &HeaderMap::new(), &trusted);
        assert_eq!(no_header, Some("10.0.0.2".parse().unwrap()));
        let garbage = client_address(peer("10.0.0.2"), &headers("nonsense"), &trusted);
        assert_eq!(garbage, Some("10.0.0.2".parse().unwrap()));
    }

    #[test]
    fn an_ipv4_client_through_an_ipv6_socket_is_its_ipv4_address() {
        let address = client_address(peer("::ffff:192.0.2.1"), &HeaderMap::new(), &[]);
        assert_eq!(address, Some("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn a_client_over_its_rate_is_told_when_to_come_back() {
        let limiter = RateLimiter::new(2, 0, 0);
        let address: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limiter.check_address(address).is_ok());
        assert!(limiter.check_address(address).is_ok());
        let wait = limiter.check_address(address).unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(limiter.check_address("192.0.2.2".parse().unwrap()).is_ok());
        assert!(
            limiter.check_account(Uuid::nil()).is_ok(),
            "no account limit"
        );
        assert!(limiter.check_key(Uuid::nil()).is_ok(), "no key limit");
    }
}
