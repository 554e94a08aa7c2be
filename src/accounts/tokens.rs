//! Access tokens: HS256 JSON Web Tokens signed with the current secret and verified with it
//! or a previous one, chosen by the `kid` header, so that secrets can be rotated without
//! signing everyone out.

use chrono::{DateTime, Duration, Utc};
use entity::user;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
    errors::ErrorKind,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Tolerated clock difference between the replica that signed a token and the one that
/// checks it.
const CLOCK_LEEWAY_SECS: u64 = 30;

/// What every token says about itself.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    pub lifetime: Duration,
}

/// The claims of a Communs token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The account id.
    pub sub: String,
    /// The role when the token was issued (the database is the authority on each request).
    pub role: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    /// The account's token version: bumping it revokes every token issued before.
    pub ver: i32,
}

/// A signed token and when it stops working.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// What a valid token proves: which account, at which token version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedToken {
    pub user_id: Uuid,
    pub version: i32,
    /// When it stops being accepted: its expiry plus the clock leeway.
    pub refused_after: DateTime<Utc>,
}

struct SigningKey {
    id: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl SigningKey {
    fn new(secret: &[u8]) -> Self {
        Self {
            id: key_id(secret),
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

/// The id of the key made from `secret`: the start of its SHA-256 digest. It tells which
/// secret signed a token without revealing anything a signature does not already.
pub fn key_id(secret: &[u8]) -> String {
    Sha256::digest(secret)[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Issues and verifies tokens.
pub struct Tokens {
    current: SigningKey,
    previous: Vec<SigningKey>,
    settings: TokenSettings,
    validation: Validation,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Tokens")
            .field("current_key", &self.current.id)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Signs with `current`; `previous` secrets still verify the tokens they signed.
    pub fn new(current: &[u8], previous: &[Vec<u8>], settings: TokenSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = CLOCK_LEEWAY_SECS;
        Self {
            current: SigningKey::new(current),
            previous: previous
                .iter()
                .map(|secret| SigningKey::new(secret))
                .collect(),
            settings,
            validation,
        }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// A token for `account`, valid from now for the configured lifetime.
    pub fn issue(&self, account: &user::Model) -> AppResult<IssuedToken> {
        let now = Utc::now();
        let expires_at = now + self.settings.lifetime;
        let claims = Claims {
            sub: account.id.to_string(),
            role: account.role.as_str().to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            ver: account.token_version,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current.id.clone());
        let token = encode(&header, &claims, &self.current.encoding).map_err(AppError::internal)?;
        Ok(IssuedToken {
            token,
            // What the token says, to the second.
            expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or(expires_at),
        })
    }

    /// Checks a token's signature, algorithm, key, times, issuer and audience. Every refusal
    /// is UNAUTHENTICATED with the reason, so a client knows whether to log in again.
    pub fn verify(&self, token: &str) -> AppResult<VerifiedToken> {
        let refused = |reason: &str| AppError::Unauthenticated(format!("invalid token: {reason}"));
        let header = decode_header(token).map_err(|_| refused("not a well-formed JWT"))?;
        if header.alg != Algorithm::HS256 {
            return Err(refused("unexpected signing algorithm"));
        }
        let kid = header
            .kid
            .ok_or_else(|| refused("no key id (`kid`) in its header"))?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == kid)
            .ok_or_else(|| refused("signed with a key this server does not know"))?;
        let data = decode::<Claims>(token, &key.decoding, &self.validation).map_err(|error| {
            refused(match error.kind() {
                ErrorKind::ExpiredSignature => "expired; log in again",
                ErrorKind::ImmatureSignature => "not valid yet",
                ErrorKind::InvalidIssuer => "issued by someone else",
                ErrorKind::InvalidAudience => "meant for another service",
                ErrorKind::InvalidSignature => "bad signature",
                ErrorKind::InvalidAlgorithm => "unexpected signing algorithm",
                ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
                _ => "not a token this server issued",
            })
        })?;
        let user_id = Uuid::parse_str(&data.claims.sub).map_err(|_| refused("unknown subject"))?;
        let refused_after = DateTime::from_timestamp(data.claims.exp, 0)
            .map_or(DateTime::<Utc>::MAX_UTC, |expiry| {
                expiry + chrono::Duration::seconds(CLOCK_LEEWAY_SECS as i64)
            });
        Ok(VerifiedToken {
            user_id,
            version: data.claims.ver,
            refused_after,
        })
    }
}
