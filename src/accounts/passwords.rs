//! Password hashing with argon2id, off the async runtime: a hash takes tens of milliseconds
//! of CPU on purpose, and must not stall the requests sharing the worker thread.

use std::{
    panic::AssertUnwindSafe,
    sync::{Arc, LazyLock, Mutex, mpsc},
};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use tokio::sync::oneshot;

use crate::{
    domain::account::NewPassword,
    error::{AppError, AppResult},
};

/// Characters of generated passwords: no look-alikes (0/o, 1/l/i).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A hash to verify against when the account does not exist, so that an unknown e-mail
/// costs the same time as a wrong password and does not reveal which accounts exist.
static DECOY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    random_string(32)
        .and_then(|decoy| hash_blocking(&decoy))
        .ok()
});

type Job = Box<dyn FnOnce() + Send>;

/// The threads that hash and verify passwords, one per core, fed in turn. Each hash takes
/// 19 MiB of memory while it runs, which the allocator keeps for the thread that used it:
/// a few long-lived threads keep a few of these, where the blocking pool's dozens of threads
/// would each keep one after a burst of logins. `None` if no thread could be started.
static HASHERS: LazyLock<Option<mpsc::Sender<Job>>> = LazyLock::new(|| {
    let (sender, receiver) = mpsc::channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    let started = (0..cores)
        .filter(|number| {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("password-{number}"))
                .spawn(move || {
                    loop {
                        let job = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A job that panics drops its reply (its request fails) but
                            // leaves the thread serving the next ones.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    }
                })
                .is_ok()
        })
        .count();
    (started > 0).then_some(sender)
});

/// Runs `work` (a hash or a verification) on a password thread, off the async runtime.
async fn off_the_runtime<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let Some(hashers) = HASHERS.as_ref() else {
        return tokio::task::spawn_blocking(work)
            .await
            .map_err(AppError::internal)?;
    };
    let (reply, answer) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = reply.send(work());
    });
    hashers.send(job).map_err(AppError::internal)?;
    answer.await.map_err(AppError::internal)?
}

/// Computes the decoy hash now, so that the first login for an unknown e-mail address
/// does not take longer than the others.
pub async fn prepare() {
    let _ = off_the_runtime(|| {
        LazyLock::force(&DECOY_HASH);
        Ok(())
    })
    .await;
}

/// Bytes from the operating system's generator.
fn random_bytes<const N: usize>() -> AppResult<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(bytes)
}

fn random_string(length: usize) -> AppResult<String> {
    let mut out = String::with_capacity(length);
    while out.len() < length {
        for byte in random_bytes::<64>()? {
            // Rejection sampling keeps every character equally likely.
            let limit = u8::MAX - (u8::MAX % ALPHABET.len() as u8);
            if byte < limit && out.len() < length {
                out.push(ALPHABET[(byte as usize) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// A one-time password for a new account: 20 random characters (about 99 bits) in four
/// groups, easy to read out and to type.
pub fn generate() -> AppResult<String> {
    Ok(random_string(20)?
        .as_bytes()
        .chunks(5)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-"))
}

/// Random bytes for a signing secret.
pub fn random_secret() -> AppResult<[u8; 48]> {
    random_bytes()
}

fn hash_blocking(password: &str) -> AppResult<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?).map_err(AppError::internal)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(AppError::internal)?
        .to_string())
}

/// The PHC string (algorithm, parameters, salt and hash) to store for `password`.
pub async fn hash(password: &NewPassword) -> AppResult<String> {
    let password = password.expose().to_owned();
    off_the_runtime(move || hash_blocking(&password)).await
}

/// Whether `password` matches `stored`. With no stored hash (no such account), a decoy is
/// verified instead and the answer is no.
pub async fn verify(password: &str, stored: Option<&str>) -> AppResult<bool> {
    let password = password.to_owned();
    let stored = stored.map(str::to_owned);
    off_the_runtime(move || {
        let (hash, real) = match &stored {
            Some(hash) => (Some(hash.as_str()), true),
            None => (DECOY_HASH.as_deref(), false),
        };
        let Some(hash) = hash else {
            return Ok(false);
        };
        let parsed = PasswordHash::new(hash).map_err(AppError::internal)?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(real && matches)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::Email;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let email = Email::parse("email", "a@example.org").unwrap();
        let password = NewPassword::parse("password", "correct horse battery", &email).unwrap();
        let stored = hash(&password).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            verify("correct horse battery", Some(&stored))
                .await
                .unwrap()
        );
        assert!(
            !verify("correct horse battery!", Some(&stored))
                .await
                .unwrap()
        );
        assert!(!verify("correct horse battery", None).await.unwrap());
    }

    #[test]
    fn generated_passwords_are_long_and_different() {
        let first = generate().unwrap();
        assert_eq!(first.len(), 23);
        assert_ne!(first, generate().unwrap());
    }
}
