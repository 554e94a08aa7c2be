//! Where the token signing secrets come from: `JWT_SECRET` (and `JWT_PREVIOUS_SECRETS`), or
//! on the embedded default only, a secret generated once and kept in the data folder. The
//! key of the erasure tombstones (`ERASURE_KEY`) comes from the same places.

use std::{
    fs::OpenOptions,
    io::{ErrorKind, Write},
    path::Path,
};

use anyhow::{Context as _, bail};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;

use super::{
    passwords::random_secret,
    tokens::{TokenSettings, Tokens},
};
use crate::{
    config::{Config, DatabaseSetting, MIN_JWT_SECRET_BYTES},
    describe,
    domain::erasure::ErasureKey,
};

/// The file, in the data folder, holding the embedded default's generated secret.
pub const SECRET_FILE: &str = "jwt-secret";
/// The file, in the data folder, holding the embedded default's generated erasure key.
pub const ERASURE_KEY_FILE: &str = "erasure-key";

/// The token issuer the configuration asks for.
pub fn tokens(config: &Config) -> anyhow::Result<Tokens> {
    let current = match (&config.auth.jwt_secret, &config.database.setting) {
        (Some(secret), _) => secret.clone(),
        (None, DatabaseSetting::Embedded { data_dir }) => {
            generated_secret(data_dir, SECRET_FILE, "JWT_SECRET")?
        }
        (None, DatabaseSetting::Url(_)) => bail!(
            "invalid setting JWT_SECRET: required when DATABASE_URL is set \
             (at least {MIN_JWT_SECRET_BYTES} bytes, e.g. `openssl rand -base64 48`)"
        ),
    };
    let previous: Vec<Vec<u8>> = config
        .auth
        .jwt_previous_secrets
        .iter()
        .map(|secret| secret.as_bytes().to_vec())
        .collect();
    Ok(Tokens::new(
        current.as_bytes(),
        &previous,
        TokenSettings {
            issuer: config.auth.jwt_issuer.clone(),
            audience: config.auth.jwt_audience.clone(),
            lifetime: Duration::seconds(config.auth.jwt_lifetime_secs as i64),
        },
    ))
}

/// The key of the erasure tombstones the configuration asks for. Outside the embedded
/// default it must be set: a key generated anew at each start would forget every erasure.
pub fn erasure_key(config: &Config) -> anyhow::Result<ErasureKey> {
    let secret = match (&config.auth.erasure_key, &config.database.setting) {
        (Some(secret), _) => secret.clone(),
        (None, DatabaseSetting::Embedded { data_dir }) => {
            generated_secret(data_dir, ERASURE_KEY_FILE, "ERASURE_KEY")?
        }
        (None, DatabaseSetting::Url(_)) => bail!(
            "invalid setting ERASURE_KEY: required when DATABASE_URL is set, and never \
             changed afterwards (at least {MIN_JWT_SECRET_BYTES} bytes, e.g. \
             `openssl rand -base64 48`)"
        ),
    };
    Ok(ErasureKey::new(secret.as_bytes()))
}

/// The secret kept in `data_dir/file`, created (readable by its owner only) on first use;
/// `setting` names the variable that would replace it.
fn generated_secret(data_dir: &Path, file: &str, setting: &str) -> anyhow::Result<String> {
    let path = data_dir.join(file);
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data folder {}", data_dir.display()))?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            let secret = URL_SAFE_NO_PAD.encode(random_secret().map_err(describe)?);
            file.write_all(secret.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::warn!(
                path = %path.display(),
                "{setting} is not set: generated a secret in the data folder; \
                 set {setting} in production"
            );
            Ok(secret)
        }
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            let secret = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .trim()
                .to_owned();
            if secret.len() < MIN_JWT_SECRET_BYTES {
                bail!(
                    "{} holds a secret shorter than {MIN_JWT_SECRET_BYTES} bytes: remove it \
                     to generate a new one, or set {setting}",
                    path.display()
                );
            }
            tracing::warn!(
                path = %path.display(),
                "{setting} is not set: using the generated secret of the data folder"
            );
            Ok(secret)
        }
        Err(error) => Err(error).with_context(|| format!("cannot create {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_secret_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = generated_secret(dir.path(), SECRET_FILE, "JWT_SECRET").unwrap();
        assert!(first.len() >= MIN_JWT_SECRET_BYTES);
        assert_eq!(
            generated_secret(dir.path(), SECRET_FILE, "JWT_SECRET").unwrap(),
            first
        );
        let erasure = generated_secret(dir.path(), ERASURE_KEY_FILE, "ERASURE_KEY").unwrap();
        assert_ne!(erasure, first, "each secret has its own file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn outside_the_embedded_default_a_missing_secret_stops_the_start() {
        let config = Config::from_lookup(|name| {
            (name == "DATABASE_URL").then(|| "postgres://db/communs".to_owned())
        })
        .unwrap();
        let error = tokens(&config).unwrap_err().to_string();
        assert!(error.starts_with("invalid setting JWT_SECRET"), "{error}");
        let error = erasure_key(&config).unwrap_err().to_string();
        assert!(error.starts_with("invalid setting ERASURE_KEY"), "{error}");
    }
}
