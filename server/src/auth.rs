//! Secrets and sign-in bookkeeping: argon2id password hashes, random tokens (sessions, CSRF,
//! API tokens, the first-admin setup token) stored as SHA-256 hashes, and the login limiter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Shortest and longest password accepted (the upper bound caps hashing work per request).
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Failed sign-ins allowed per account, and per client address, within [`LOGIN_WINDOW`].
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
pub const MAX_FAILURES_PER_IP: u32 = 20;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// How many password checks may run at once: one per core the process may use.
pub fn hashing_slots() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// What the server knows about signing in, beyond the database.
pub struct AuthSettings {
    pub session_ttl: chrono::Duration,
    /// Mark cookies `Secure` even when no proxy says the request came over TLS.
    pub secure_cookies: bool,
    /// While no user exists: the one-time token that lets someone create the first admin.
    pub setup_token: Mutex<Option<String>>,
    pub limiter: LoginLimiter,
    /// Password checks running at once (argon2id: 19 MiB and a core each), at most one per core;
    /// a sign-in that finds none free is answered 503 at once instead of waiting.
    pub hashing: Arc<Semaphore>,
}

impl AuthSettings {
    pub fn new(session_ttl: chrono::Duration, secure_cookies: bool) -> Self {
        AuthSettings {
            session_ttl,
            secure_cookies,
            setup_token: Mutex::new(None),
            limiter: LoginLimiter::default(),
            hashing: Arc::new(Semaphore::new(hashing_slots())),
        }
    }

    /// Whether `given` is the current setup token (compared in constant time).
    pub fn setup_token_matches(&self, given: &str) -> bool {
        let slot = self.setup_token.lock().unwrap_or_else(|e| e.into_inner());
        slot.as_deref()
            .is_some_and(|token| constant_time_eq(token.as_bytes(), given.as_bytes()))
    }
}

/// 32 random bytes from the operating system, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    hex::encode(bytes)
}

/// What the database keeps of a token: its SHA-256, hex. Tokens are 256 random bits, so a fast
/// hash is enough (no salt or stretching needed, unlike passwords).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("must be at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    #[error("hashing failed: {0}")]
    Hash(String),
}

pub fn check_password_rules(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(PasswordError::TooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

/// An argon2id PHC string (default parameters: 19 MiB, 2 passes) with a random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    check_password_rules(password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    password.chars().count() <= MAX_PASSWORD_CHARS
        && PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
}

/// A hash to verify against when the e-mail is unknown, so a wrong e-mail takes as long as a
/// wrong password and does not reveal which accounts exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

/// Counts failed sign-ins per key (an account's e-mail, a client address) in fixed windows.
///
/// Hand-written rather than `governor`: only failures count, a success clears the account's
/// count, and the state is a small map; `governor` meters every request and brings a dozen
/// crates for it.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    /// Counts an attempt for every `(key, max)` before its password is checked, or refuses it
    /// (`Err(seconds to wait)`) when a key already has `max` in the current window, counting
    /// nothing. One lock around check and count: parallel attempts cannot all pass the check
    /// before any is counted. A success clears or [`LoginLimiter::refund`]s the count.
    pub fn begin_attempt(&self, keys: &[(&str, u32)], now: Instant) -> Result<(), u64> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for &(key, max) in keys {
            if let Some(&(start, count)) = failures.get(key)
                && now.duration_since(start) < LOGIN_WINDOW
                && count >= max
            {
                return Err((LOGIN_WINDOW - now.duration_since(start)).as_secs().max(1));
            }
        }
        for &(key, _) in keys {
            count_failure(&mut failures, key, now);
        }
        Ok(())
    }

    /// Takes back one attempt counted by [`LoginLimiter::begin_attempt`] (its password was not
    /// checked, or it was right).
    pub fn refund(&self, key: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = failures.get_mut(key) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    pub fn clear(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

fn count_failure(failures: &mut HashMap<String, (Instant, u32)>, key: &str, now: Instant) {
    // Old windows go when the map grows, so an attacker cycling keys cannot fill memory with
    // stale entries.
    if failures.len() > 10_000 {
        failures.retain(|_, (start, _)| now.duration_since(*start) < LOGIN_WINDOW);
    }
    let entry = failures.entry(key.to_owned()).or_insert((now, 0));
    if now.duration_since(entry.0) >= LOGIN_WINDOW {
        *entry = (now, 0);
    }
    entry.1 += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_to_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(matches!(
            hash_password("short"),
            Err(PasswordError::TooShort)
        ));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn the_limiter_blocks_after_max_failures_until_the_window_ends() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.begin_attempt(&[("a@x", 3)], start).is_ok());
        }
        let wait = limiter.begin_attempt(&[("a@x", 3)], start).unwrap_err();
        assert_eq!(wait, LOGIN_WINDOW.as_secs());
        assert!(
            limiter.begin_attempt(&[("b@x", 3)], start).is_ok(),
            "other keys are not affected"
        );
        assert!(
            limiter
                .begin_attempt(&[("a@x", 3)], start + LOGIN_WINDOW)
                .is_ok(),
            "a new window"
        );
        limiter.clear("a@x");
        assert!(limiter.begin_attempt(&[("a@x", 3)], start).is_ok());
    }

    #[test]
    fn attempts_are_counted_before_checking_and_refused_past_the_limit() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        let keys = [("account:a@x", 3), ("client:1", 10)];
        let admitted = (0..12)
            .filter(|_| limiter.begin_attempt(&keys, now).is_ok())
            .count();
        assert_eq!(
            admitted, 3,
            "no password checked yet, still only 3 admitted"
        );
        limiter.refund("account:a@x");
        assert!(
            limiter.begin_attempt(&keys, now).is_ok(),
            "a refund frees one"
        );
        assert!(limiter.begin_attempt(&keys, now).is_err());
        assert!(
            limiter
                .begin_attempt(&[("account:b@x", 3), ("client:1", 10)], now)
                .is_ok(),
            "the client has used 4 of 10"
        );
    }
}
