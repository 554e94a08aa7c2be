//! The key of the erasure tombstones. An erased person leaves, for loaders to consult, a
//! digest of the identifiers they had in a loader's data (their demo slug, former slugs),
//! so that no seed or import brings them back.
//!
//! The digest is an HMAC under a secret kept outside the database (`ERASURE_KEY`, or a
//! file in the data folder): whoever holds the public seed file or a list of names, and
//! even a copy of the database, cannot test a name or a slug against the tombstones without
//! the key. The key must not change: a tombstone made under another key is not recognised,
//! so each tombstone names its key by a check value and loaders refuse to run under a
//! different one.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What kind of record an identifier names in a tombstone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasedKind {
    Professional,
}

impl ErasedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Professional => "professional",
        }
    }
}

/// The secret the tombstone digests are made with.
#[derive(Clone)]
pub struct ErasureKey(Vec<u8>);

impl std::fmt::Debug for ErasureKey {
    /// The key never reaches a log line.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ErasureKey(***)")
    }
}

impl ErasureKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(secret.to_vec())
    }

    fn mac(&self, parts: &[&str]) -> String {
        // HMAC accepts keys of any length; the configuration asks for at least 32 bytes.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for part in parts {
            mac.update(part.as_bytes());
            // A separator no identifier holds, so that parts cannot run into each other.
            mac.update(&[0]);
        }
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// The digest of `identifier` (e.g. a demo slug) of a record of `kind`.
    pub fn digest(&self, kind: ErasedKind, identifier: &str) -> String {
        self.mac(&["communs erasure tombstone v1", kind.as_str(), identifier])
    }

    /// Names this key in tombstones without revealing it (16 hexadecimal digits).
    pub fn check(&self) -> String {
        let mut check = self.mac(&["communs erasure key check v1"]);
        check.truncate(16);
        check
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_depends_on_the_key_and_reveals_nothing_of_the_identifier() {
        let key = ErasureKey::new(&[7; 32]);
        let digest = key.digest(ErasedKind::Professional, "julie-parachini");
        assert_eq!(digest.len(), 64);
        assert!(digest.bytes().all(|byte| byte.is_ascii_hexdigit()));
        assert!(!digest.contains("parachini"));
        assert_eq!(
            digest,
            key.digest(ErasedKind::Professional, "julie-parachini")
        );
        assert_ne!(
            digest,
            ErasureKey::new(&[8; 32]).digest(ErasedKind::Professional, "julie-parachini")
        );
        assert_ne!(
            digest,
            key.digest(ErasedKind::Professional, "julie-parachin")
        );
    }

    #[test]
    fn the_check_names_the_key_and_is_no_digest() {
        let key = ErasureKey::new(&[7; 32]);
        assert_eq!(key.check().len(), 16);
        assert_eq!(key.check(), ErasureKey::new(&[7; 32]).check());
        assert_ne!(key.check(), ErasureKey::new(&[8; 32]).check());
        let secret = "a-key-that-must-never-reach-a-log-line";
        assert!(!format!("{:?}", ErasureKey::new(secret.as_bytes())).contains(secret));
    }
}
