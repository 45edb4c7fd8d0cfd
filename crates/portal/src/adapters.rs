//! The production implementations of the domain's ports that are not storage.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use portal_domain::ports::{Clock, IdSource, PasswordHasher, StoreError, TokenDigester, TokenGenerator};
use portal_domain::values::{Password, PasswordHash, TokenDigest};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1), always on the blocking pool and
/// at most one hash per core at a time, so a burst of logins queues instead of starving requests.
pub struct Argon2Hasher {
    argon: Argon2<'static>,
    permits: Arc<Semaphore>,
    decoy: PasswordHash,
}

impl std::fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2Hasher").finish_non_exhaustive()
    }
}

impl Argon2Hasher {
    /// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    pub fn owasp() -> anyhow::Result<Self> {
        let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let lanes = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        // The decoy is a real hash of a random secret, so checking it costs what a real check costs.
        let secret = hex(&random_bytes::<32>()?);
        let salt = salt()?;
        let decoy =
            argon.hash_password(secret.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("argon2: {e}"))?.to_string();
        Ok(Self { argon, permits: Arc::new(Semaphore::new(lanes)), decoy: PasswordHash::new(decoy) })
    }
}

impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, StoreError> {
        let _permit = self.permits.acquire().await.map_err(|e| StoreError::with_source("hasher closed", e))?;
        let argon = self.argon.clone();
        let secret = password.expose().to_owned();
        let salt = salt().map_err(|e| StoreError::new(format!("salt: {e}")))?;
        tokio::task::spawn_blocking(move || {
            argon
                .hash_password(secret.as_bytes(), &salt)
                .map(|h| PasswordHash::new(h.to_string()))
                .map_err(|e| StoreError::new(format!("argon2: {e}")))
        })
        .await
        .map_err(|e| StoreError::with_source("hashing task", e))?
    }

    async fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        let Ok(_permit) = self.permits.acquire().await else { return false };
        let argon = self.argon.clone();
        let secret = password.to_owned();
        let stored = hash.as_str().to_owned();
        tokio::task::spawn_blocking(move || {
            argon2::password_hash::PasswordHash::new(&stored)
                .is_ok_and(|parsed| argon.verify_password(secret.as_bytes(), &parsed).is_ok())
        })
        .await
        .unwrap_or(false)
    }

    fn decoy(&self) -> &PasswordHash {
        &self.decoy
    }
}

/// SHA-256 of the token, hex: tokens are 256 random bits, so a fast digest is enough.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sha256Digester;

impl TokenDigester for Sha256Digester {
    fn digest(&self, token: &str) -> TokenDigest {
        TokenDigest::new(hex(&Sha256::digest(token.as_bytes())))
    }
}

/// 256-bit tokens from the operating system's random source, hex-encoded.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomTokens;

impl TokenGenerator for RandomTokens {
    fn generate(&self) -> String {
        // The OS random source failing is not something to serve through.
        match random_bytes::<32>() {
            Ok(bytes) => hex(&bytes),
            Err(e) => {
                tracing::error!(error = %e, "no randomness");
                std::process::abort()
            }
        }
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// UUID v7: time-ordered, so ids sort by creation and index well.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7;

impl IdSource for UuidV7 {
    fn new_uuid(&self) -> uuid::Uuid {
        uuid::Uuid::now_v7()
    }
}

fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
    Ok(bytes)
}

/// A fresh 128-bit salt from the operating system's random source.
fn salt() -> anyhow::Result<SaltString> {
    SaltString::encode_b64(&random_bytes::<16>()?).map_err(|e| anyhow::anyhow!("salt: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
