//! API keys: what a key looks like, what it may do, and how a presented key is checked
//! against the digest that is stored of it.
//!
//! A key reads `cmk_<id>_<secret>`: `cmk_` tells it from a JSON Web Token (which starts with
//! `eyJ`) without trying to decode it, and lets secret scanners recognise a leaked one; the
//! id (the key's UUID, 32 hex digits) finds its row by primary key; the secret is 256 random
//! bits in unpadded base64url. Only the SHA-256 of the whole key is stored: the secret has
//! full entropy, so a fast digest resists guessing as well as a slow password hash would,
//! and a key is checked on every request, where Argon2 would cost tens of milliseconds.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::{
    access::Capability,
    input_text::{Lines, check_characters, check_length},
};
use crate::error::{AppError, AppResult};

/// What every key starts with.
pub const KEY_PREFIX: &str = "cmk_";
/// The longest name of a key.
pub const MAX_NAME_CHARS: usize = 80;
/// Random bytes in a key's secret.
const SECRET_BYTES: usize = 32;
/// How long a key's `lastUsedAt` may lag: it is written at most once a minute per key.
pub const LAST_USED_PRECISION: Duration = Duration::seconds(60);

/// Whether a bearer credential is an API key rather than a token.
pub fn is_api_key(credential: &str) -> bool {
    credential.starts_with(KEY_PREFIX)
}

/// What a key may do. A key never moderates, manages anything or sees personal data,
/// whatever its creator may do: each scope grants one partner capability, for the key's
/// organisation only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read its organisation's contributions in every state (drafts, submissions, the
    /// moderation of them).
    ReadDrafts,
    /// Write its organisation's initiatives and experiences and submit them; writing
    /// includes reading what it writes, so it sees its organisation's drafts too.
    Contribute,
}

impl Scope {
    const ALL: [Scope; 2] = [Self::ReadDrafts, Self::Contribute];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadDrafts => "READ_DRAFTS",
            Self::Contribute => "CONTRIBUTE",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == name)
    }

    /// Whether the scope grants `capability`.
    fn grants(self, capability: Capability) -> bool {
        matches!(
            (self, capability),
            (_, Capability::SeeOwnOrganisationContributions)
                | (Self::Contribute, Capability::Contribute)
        )
    }
}

/// The scopes of a key: at least one, each once, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// The scopes asked for `field`: BAD_USER_INPUT when there are none.
    pub fn parse(field: &str, scopes: impl IntoIterator<Item = Scope>) -> AppResult<Self> {
        let mut scopes: Vec<Scope> = scopes.into_iter().collect();
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(AppError::bad_input(
                field,
                "give at least one scope (READ_DRAFTS, CONTRIBUTE)",
            ));
        }
        Ok(Self(scopes))
    }

    /// The scopes as stored; a name this version does not know grants nothing.
    pub fn from_stored(stored: &str) -> Self {
        let mut scopes: Vec<Scope> = stored.split(',').filter_map(Scope::from_name).collect();
        scopes.sort();
        scopes.dedup();
        Self(scopes)
    }

    pub fn stored(&self) -> String {
        self.0
            .iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// Whether one of the scopes grants `capability`.
    pub fn grant(&self, capability: Capability) -> bool {
        self.0.iter().any(|scope| scope.grants(capability))
    }
}

/// The name of a key, as people tell keys apart in lists and in the audit log: one line,
/// 1 to 80 characters, unique within its organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    pub fn parse(field: &str, value: &str) -> AppResult<Self> {
        let name = value.trim();
        if name.is_empty() {
            return Err(AppError::bad_input(field, "must not be empty"));
        }
        check_characters(field, name, Lines::One)?;
        check_length(field, name, MAX_NAME_CHARS)?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// When a new key stops working: after `now`, and at most `max_lifetime` after it, so that
/// no key is forgotten in a tool for ever.
pub fn check_expiry(
    field: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
    max_lifetime: Duration,
) -> AppResult<DateTime<Utc>> {
    if expires_at <= now {
        return Err(AppError::bad_input(field, "must be in the future"));
    }
    if expires_at > now + max_lifetime {
        return Err(AppError::bad_input(
            field,
            format!(
                "must be at most {} days from now: create a new key before then",
                max_lifetime.num_days()
            ),
        ));
    }
    Ok(expires_at)
}

/// A key just made: its full text, shown once, and the digest that is stored.
pub struct NewKey {
    pub id: Uuid,
    /// `cmk_<id>_<secret>`: given to its creator once, never stored.
    pub text: String,
    pub secret_hash: String,
}

impl NewKey {
    /// A key with a fresh random secret.
    pub fn generate(id: Uuid) -> AppResult<Self> {
        let mut secret = [0u8; SECRET_BYTES];
        getrandom::fill(&mut secret).map_err(AppError::internal)?;
        let text = format!(
            "{}_{}",
            visible_prefix(id),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
        );
        Ok(Self {
            id,
            secret_hash: digest(&text),
            text,
        })
    }
}

/// What a key starts with, which identifies it without revealing its secret: how people
/// recognise a key in a tool's settings.
pub fn visible_prefix(id: Uuid) -> String {
    format!("{KEY_PREFIX}{}", id.simple())
}

/// The hex SHA-256 of a key's text.
fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A key as a client presented it: the id of the row to check it against.
#[derive(Debug)]
pub struct PresentedKey<'a> {
    pub id: Uuid,
    text: &'a str,
}

impl<'a> PresentedKey<'a> {
    /// The key's id, when `text` has the shape of a key.
    pub fn parse(text: &'a str) -> Option<Self> {
        let rest = text.strip_prefix(KEY_PREFIX)?;
        let (id, secret) = rest.split_once('_')?;
        if id.len() != 32 || secret.is_empty() {
            return None;
        }
        let id = Uuid::try_parse(id).ok()?;
        Some(Self { id, text })
    }

    /// Whether the key is the one whose digest is `secret_hash`, compared in constant time
    /// so that the answer's timing tells nothing of the digest.
    pub fn matches(&self, secret_hash: &str) -> bool {
        digest(self.text)
            .as_bytes()
            .ct_eq(secret_hash.as_bytes())
            .into()
    }
}

/// Why a key is refused, or `None` when it may be used at `now`.
pub fn refusal(
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if revoked_at.is_some() {
        Some("invalid API key: revoked")
    } else if expires_at <= now {
        Some("invalid API key: expired; ask for a new one")
    } else {
        None
    }
}

/// Whether a key's use at `now` must be recorded: it was never recorded, or not within the
/// last minute. One write a minute at most per key, whatever its rate of requests: a write
/// on every request would serialise a busy tool's requests on its row (and on SQLite, take
/// the database's one writer), for a time nobody reads to the second.
pub fn use_is_news(last_used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used_at.is_none_or(|last| now - last >= LAST_USED_PRECISION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_carries_its_id_and_matches_only_its_own_digest() {
        let id = Uuid::now_v7();
        let key = NewKey::generate(id).unwrap();
        assert!(key.text.starts_with(&format!("cmk_{}_", id.simple())));
        assert!(is_api_key(&key.text));
        let presented = PresentedKey::parse(&key.text).unwrap();
        assert_eq!(presented.id, id);
        assert!(presented.matches(&key.secret_hash));
        let other = NewKey::generate(id).unwrap();
        assert_ne!(other.text, key.text, "each secret is random");
        assert!(!presented.matches(&other.secret_hash));
        let mut tampered = key.text.clone();
        tampered.push('x');
        assert!(
            !PresentedKey::parse(&tampered)
                .unwrap()
                .matches(&key.secret_hash)
        );
    }

    #[test]
    fn text_without_the_shape_of_a_key_names_no_key() {
        for text in [
            "eyJhbGciOiJIUzI1NiJ9.e30.sig",
            "cmk_",
            "cmk_nothex_secret",
            "cmk_0123456789abcdef0123456789abcdef_",
            "cmk_0123456789abcdef0123456789abcdef",
        ] {
            assert!(PresentedKey::parse(text).is_none(), "{text}");
        }
        assert!(!is_api_key("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
    }

    #[test]
    fn scopes_grant_partner_capabilities_only() {
        let read = Scopes::parse("scopes", [Scope::ReadDrafts]).unwrap();
        assert!(read.grant(Capability::SeeOwnOrganisationContributions));
        assert!(!read.grant(Capability::Contribute));
        let both = Scopes::parse(
            "scopes",
            [Scope::Contribute, Scope::ReadDrafts, Scope::Contribute],
        )
        .unwrap();
        assert_eq!(both.stored(), "READ_DRAFTS,CONTRIBUTE");
        assert_eq!(Scopes::from_stored(&both.stored()), both);
        for capability in [
            Capability::Moderate,
            Capability::ManageAccounts,
            Capability::SeeAllContributions,
            Capability::SeeAllContactDetails,
            Capability::ManageReferenceData,
            Capability::ManageThemes,
            Capability::RecordMeetings,
            Capability::ManagePersonalData,
            Capability::ManageWebhooks,
            Capability::ManageApiKeysOfAnyOrganisation,
            Capability::ManageOwnOrganisationApiKeys,
        ] {
            assert!(!both.grant(capability), "{capability:?}");
        }
        assert!(Scopes::parse("scopes", []).is_err());
        assert_eq!(Scopes::from_stored("MODERATE").iter().count(), 0);
    }

    #[test]
    fn a_key_is_refused_once_revoked_or_expired() {
        let now = Utc::now();
        assert_eq!(refusal(now + Duration::hours(1), None, now), None);
        assert!(refusal(now, None, now).unwrap().contains("expired"));
        assert!(
            refusal(now + Duration::hours(1), Some(now), now)
                .unwrap()
                .contains("revoked")
        );
    }

    #[test]
    fn a_use_is_recorded_at_most_once_a_minute() {
        let now = Utc::now();
        assert!(use_is_news(None, now));
        assert!(!use_is_news(Some(now - Duration::seconds(59)), now));
        assert!(use_is_news(Some(now - Duration::seconds(60)), now));
    }

    #[test]
    fn names_and_expiries_are_checked() {
        assert_eq!(
            KeyName::parse("name", "  site web ").unwrap().as_str(),
            "site web"
        );
        assert!(KeyName::parse("name", "  ").is_err());
        assert!(KeyName::parse("name", "a\nb").is_err());
        assert!(KeyName::parse("name", &"x".repeat(81)).is_err());
        let now = Utc::now();
        let year = Duration::days(365);
        assert!(check_expiry("expiresAt", now, now, year).is_err());
        assert!(check_expiry("expiresAt", now + Duration::days(366), now, year).is_err());
        assert!(check_expiry("expiresAt", now + Duration::days(30), now, year).is_ok());
    }
}
