//! The production implementations of the domain's ports that are not storage.

use std::sync::Arc;

use argon2::password_hash::{Output, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use chrono::{DateTime, Utc};
use portal_domain::ports::{Clock, HashError, IdSource, PasswordHasher, TokenDigester, TokenGenerator};
use portal_domain::values::{Password, PasswordHash, TokenDigest};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1), always on the blocking pool and
/// at most one hash per core at a time, so a burst of logins queues instead of starving requests.
pub struct Argon2Hasher {
    argon: Argon2<'static>,
    permits: Arc<Semaphore>,
    decoy: PasswordHash,
    /// Work memory for checks, one per permit, kept between them: allocating and zeroing
    /// 19 MiB for every sign-in was a twentieth of the server's time under a login burst.
    memory: Arc<std::sync::Mutex<Vec<Vec<Block>>>>,
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
        Ok(Self {
            argon,
            permits: Arc::new(Semaphore::new(lanes)),
            decoy: PasswordHash::new(decoy),
            memory: Arc::new(std::sync::Mutex::new(Vec::with_capacity(lanes))),
        })
    }
}

impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let _permit = self.permits.acquire().await.map_err(|e| HashError::with_source("hasher closed", e))?;
        let argon = self.argon.clone();
        let secret = password.expose().to_owned();
        let salt = salt().map_err(|e| HashError::new(format!("salt: {e}")))?;
        tokio::task::spawn_blocking(move || {
            argon
                .hash_password(secret.as_bytes(), &salt)
                .map(|h| PasswordHash::new(h.to_string()))
                .map_err(|e| HashError::new(format!("argon2: {e}")))
        })
        .await
        .map_err(|e| HashError::with_source("hashing task", e))?
    }

    async fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        let Ok(_permit) = self.permits.acquire().await else { return false };
        let secret = password.to_owned();
        let stored = hash.as_str().to_owned();
        let pool = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            // At most one buffer per permit is ever out; a poisoned pool only loses its buffers.
            let mut memory = pool.lock().ok().and_then(|mut p| p.pop()).unwrap_or_default();
            let matches = verify_with_memory(secret.as_bytes(), &stored, &mut memory);
            if let Ok(mut p) = pool.lock() {
                p.push(memory);
            }
            matches
        })
        .await
        .unwrap_or(false)
    }

    fn decoy(&self) -> &PasswordHash {
        &self.decoy
    }
}

/// Checks `password` against a PHC-format Argon2 hash as `PasswordVerifier::verify_password`
/// does (the stored hash's own algorithm, version and parameters; a constant-time comparison of
/// the outputs), but in `memory`, which is reused rather than allocated for every check.
pub fn verify_with_memory(password: &[u8], stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = argon2::password_hash::PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else { return false };
    let Ok(version) = hash.version.map(Version::try_from).transpose() else { return false };
    let Ok(params) = Params::try_from(&hash) else { return false };
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    // Every block is written before it is read, so reused memory needs no zeroing.
    memory.resize(params.block_count(), Block::default());
    let argon = Argon2::new(algorithm, version.unwrap_or_default(), params);
    let computed = Output::init_with(output_len, |out| {
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..]).map_err(Into::into)
    });
    // `Output`'s equality is constant-time.
    computed.is_ok_and(|computed| computed == expected)
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
        hex(&random_or_abort::<32>())
    }

    fn recovery_code(&self) -> String {
        let alphabet = portal_domain::mfa::RECOVERY_ALPHABET;
        let length = portal_domain::mfa::RECOVERY_CODE_GROUPS * portal_domain::mfa::RECOVERY_GROUP_LEN;
        // 32 letters: the low five bits of a random byte pick one uniformly.
        random_or_abort::<32>().iter().take(length).map(|b| char::from(alphabet[usize::from(b & 31)])).collect()
    }
}

/// `N` random bytes. The OS random source failing is not something to serve through.
pub(crate) fn random_or_abort<const N: usize>() -> [u8; N] {
    match random_bytes::<N>() {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "no randomness");
            std::process::abort()
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

/// Lower-case hex, two digits a byte (every request digests its token: no formatter per byte).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_writes_two_lower_case_digits_a_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::hex(&all), expected);
        assert_eq!(super::hex(&[]), "");
    }
}
