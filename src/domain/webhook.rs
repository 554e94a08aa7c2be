//! The rules of webhooks, free of HTTP and SQL: which endpoints may be called, which
//! changes they may be told of, how a body is signed (Standard Webhooks), and when a failed
//! delivery is tried again.

use std::{net::IpAddr, time::Duration};

use base64::Engine;
use hmac::{Hmac, Mac};
use ipnet::IpNet;
use sha2::Sha256;

pub use super::retry::next_retry;
use crate::{error::AppError, events::ChangeKind};

/// The kinds of change a webhook may be told of: those everyone may see. A webhook's body
/// is read by a third party, so nothing meant for an organisation or for moderators goes
/// into one.
pub const PUBLIC_KINDS: [ChangeKind; 7] = [
    ChangeKind::InitiativePublished,
    ChangeKind::InitiativeUpdated,
    ChangeKind::InitiativeUnpublished,
    ChangeKind::ExperiencePublished,
    ChangeKind::ExperienceUpdated,
    ChangeKind::ExperienceUnpublished,
    ChangeKind::ReferenceChanged,
];

/// When a failed delivery is tried again, after each failure: the schedule of the Standard
/// Webhooks recommendations, about 28 hours in all. Past the last, the delivery has failed
/// and its endpoint is disabled.
pub const RETRY_DELAYS: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// The prefix of a signing secret, as Standard Webhooks writes them.
const SECRET_PREFIX: &str = "whsec_";

/// An endpoint's address, checked: `https`, or `http` only on an allowed network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl {
    url: url::Url,
}

impl EndpointUrl {
    /// Parses `value` as an endpoint: an absolute `https` URL without credentials, or `http`
    /// when its host is an address on one of `allowed`. Whether the host's addresses may be
    /// called is checked when it is resolved ([`check_address`]).
    pub fn parse(field: &str, value: &str, allowed: &[IpNet]) -> Result<Self, AppError> {
        let value = value.trim();
        if value.len() > 2000 {
            return Err(AppError::bad_input(field, "at most 2,000 characters"));
        }
        let url = url::Url::parse(value)
            .map_err(|error| AppError::bad_input(field, format!("not a URL: {error}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(AppError::bad_input(
                field,
                "no credentials in the URL: the signature authenticates each delivery",
            ));
        }
        let Some(host) = url.host_str() else {
            return Err(AppError::bad_input(field, "the URL has no host"));
        };
        match url.scheme() {
            "https" => {}
            "http" => {
                let on_allowed_network = host
                    .trim_matches(['[', ']'])
                    .parse::<IpAddr>()
                    .is_ok_and(|address| allowed.iter().any(|net| net.contains(&address)));
                if !on_allowed_network {
                    return Err(AppError::bad_input(
                        field,
                        "webhooks are sent over https only (plain http only to an address \
                         of WEBHOOK_ALLOWED_NETWORKS)",
                    ));
                }
            }
            other => {
                return Err(AppError::bad_input(
                    field,
                    format!("`{other}` is not https"),
                ));
            }
        }
        Ok(Self { url })
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    pub fn url(&self) -> &url::Url {
        &self.url
    }
}

/// Whether an endpoint may be called at `address`: never on loopback, private, link-local,
/// shared, multicast, unspecified or documentation addresses (cloud metadata services live
/// on link-local ones), unless the address is on one of `allowed`.
pub fn check_address(address: IpAddr, allowed: &[IpNet]) -> Result<(), String> {
    if allowed.iter().any(|net| net.contains(&address)) {
        return Ok(());
    }
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let internal = match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                // Shared address space (carrier-grade NAT), and 0.0.0.0/8.
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local (fc00::/7) and link-local (fe80::/10).
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    };
    if internal {
        Err(format!(
            "{address} is an internal address (loopback, private, link-local…): not called \
             unless WEBHOOK_ALLOWED_NETWORKS allows it"
        ))
    } else {
        Ok(())
    }
}

/// The kinds a webhook asks for, checked: at least one, each public.
pub fn check_kinds(field: &str, kinds: &[ChangeKind]) -> Result<(), AppError> {
    if kinds.is_empty() {
        return Err(AppError::bad_input(
            field,
            "name at least one kind of change",
        ));
    }
    if let Some(private) = kinds.iter().find(|kind| !PUBLIC_KINDS.contains(kind)) {
        return Err(AppError::bad_input(
            field,
            format!(
                "{} changes are not public: webhooks are told of public changes only",
                private.name()
            ),
        ));
    }
    Ok(())
}

/// A new signing secret: `whsec_` and 24 random bytes in base64.
pub fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// The `webhook-signature` header of a body: `v1,` and the base64 HMAC-SHA256, under the
/// secret's key, of `{id}.{timestamp}.{body}`.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, AppError> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .map_err(AppError::internal)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(AppError::internal)?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_one_of_the_standard_webhooks_example() {
        // The example of the specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let signed = signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.10",
            "172.16.5.4",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            let address: IpAddr = address.parse().unwrap();
            assert!(check_address(address, &[]).is_err(), "{address}");
        }
        assert!(check_address("93.184.215.14".parse().unwrap(), &[]).is_ok());
        let loopback: IpNet = "127.0.0.1/32".parse().unwrap();
        assert!(check_address("127.0.0.1".parse().unwrap(), &[loopback]).is_ok());
    }

    #[test]
    fn plain_http_only_to_an_allowed_network() {
        let allowed: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        assert!(EndpointUrl::parse("url", "https://hooks.exemple.fr/communs", &[]).is_ok());
        assert!(EndpointUrl::parse("url", "http://hooks.exemple.fr/communs", &allowed).is_err());
        assert!(EndpointUrl::parse("url", "http://127.0.0.1:9000/hook", &allowed).is_ok());
        assert!(EndpointUrl::parse("url", "http://127.0.0.1:9000/hook", &[]).is_err());
        assert!(EndpointUrl::parse("url", "ftp://hooks.exemple.fr", &[]).is_err());
        assert!(EndpointUrl::parse("url", "https://user:pw@hooks.exemple.fr", &[]).is_err());
    }

    #[test]
    fn retries_follow_the_schedule_with_jitter_then_stop() {
        let first = next_retry(1, &RETRY_DELAYS).unwrap();
        assert!(first >= Duration::from_secs(4) && first <= Duration::from_secs(6));
        assert!(next_retry(RETRY_DELAYS.len(), &RETRY_DELAYS).is_some());
        assert!(next_retry(RETRY_DELAYS.len() + 1, &RETRY_DELAYS).is_none());
        let total: Duration = RETRY_DELAYS.iter().sum();
        assert!(total > Duration::from_secs(24 * 3600));
    }
}
