//! The TOTP second factor (RFC 6238 by totp-rs: SHA-1, 6 digits, 30-second steps, one step of
//! skew, as every authenticator app reads it) and the server's secret key, which seals each
//! TOTP secret with ChaCha20-Poly1305 so a copy of the database holds no usable secret.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use chrono::{DateTime, Utc};
use portal_domain::ids::UserId;
use portal_domain::ports::{Enrolment, HashError, SecondFactor};
use portal_domain::values::{EmailAddress, SealedSecret};
use totp_rs::{Algorithm, TOTP};

use crate::adapters::{hex, random_or_abort};

/// The name `otpauth://` URIs give the service, shown by authenticator apps.
const ISSUER: &str = "portal";
/// Seconds in a TOTP step.
const STEP: u64 = 30;
/// The version and purpose every sealed secret is bound to (with its user): a secret sealed for
/// anything else, anyone else, or by a later scheme does not open as this one.
const SEAL_CONTEXT: &[u8] = b"portal/totp-secret/v1";
/// The prefix of a sealed secret's text.
const SEALED_PREFIX: &str = "v1.";

/// The server's 256-bit secret key, from its file. Never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// The key in `path` (64 hex digits), or a new one written there (mode 0600) when the file
    /// does not exist yet: `true` then, so the caller can say so.
    pub fn load_or_create(path: &Path) -> anyhow::Result<(Self, bool)> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Self::parse(&text).with_context(|| format!("secret key file {}", path.display()))?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Self::create(path)?, true)),
            Err(e) => Err(e).with_context(|| format!("read the secret key file {}", path.display())),
        }
    }

    fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        anyhow::ensure!(text.len() == 64, "it must hold 64 hex digits (32 bytes)");
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).context("it must hold hex digits only")?;
        }
        anyhow::ensure!(key != [0u8; 32], "an all-zero key is no secret");
        Ok(Self(key))
    }

    fn create(path: &Path) -> anyhow::Result<Self> {
        let key = random_or_abort::<32>();
        // Written whole under a private name, then linked into place: a link never replaces a
        // file, so of two servers starting at once one key wins, and nobody reads half of one.
        let staging = path.with_extension(format!("new.{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&staging)
            .and_then(|mut file| file.write_all(format!("{}\n", hex(&key)).as_bytes()).and_then(|()| file.sync_all()))
            .with_context(|| format!("write the secret key file {}", staging.display()));
        let linked = written.and_then(|()| match std::fs::hard_link(&staging, path) {
            Ok(()) => Ok(Some(Self(key))),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(e).with_context(|| format!("create the secret key file {}", path.display())),
        });
        let _ = std::fs::remove_file(&staging);
        match linked? {
            Some(key) => Ok(key),
            None => Self::load_or_create(path).map(|(key, _)| key),
        }
    }

    /// Bytes derived from this key for one `purpose` (the CSRF key of the pages, say), so no two
    /// uses share a key.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use sha2::{Digest as _, Sha256};
        let mut h = Sha256::new();
        h.update(self.0);
        h.update(purpose.as_bytes());
        h.finalize().into()
    }
}

/// Where the secret key lives when no `--secret-key-file` is given: beside the SQLite database
/// file. `None` for PostgreSQL or an in-memory database, which must be given a file.
pub fn default_key_path(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().filter(|f| !f.is_empty() && !f.contains(":memory:"))?;
    let dir = Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(dir.join("portal-secret.key"))
}

/// TOTP with secrets sealed by the server's key.
pub struct Totp {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Totp(<key redacted>)")
    }
}

impl Totp {
    /// TOTP sealing its secrets with a key derived from `key`.
    pub fn new(key: &SecretKey) -> Self {
        Self { cipher: ChaCha20Poly1305::new(&Key::from(key.derive("totp-seal"))) }
    }

    fn seal(&self, user: UserId, secret: &[u8]) -> Result<SealedSecret, HashError> {
        let nonce = random_or_abort::<12>();
        let aad = associated_data(user);
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: secret, aad: &aad })
            .map_err(|_| HashError::new("sealing a TOTP secret failed"))?;
        Ok(SealedSecret::new(format!("{SEALED_PREFIX}{}{}", hex(&nonce), hex(&sealed))))
    }

    fn open(&self, user: UserId, sealed: &SealedSecret) -> Result<Vec<u8>, HashError> {
        let unreadable = || HashError::new("a sealed TOTP secret does not open (another secret key?)");
        let body = sealed.as_str().strip_prefix(SEALED_PREFIX).ok_or_else(unreadable)?;
        let bytes = unhex(body).ok_or_else(unreadable)?;
        if bytes.len() < 12 {
            return Err(unreadable());
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| unreadable())?;
        self.cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad: &associated_data(user) })
            .map_err(|_| unreadable())
    }
}

/// What a sealed secret is bound to: this scheme and its user.
fn associated_data(user: UserId) -> Vec<u8> {
    [SEAL_CONTEXT, b"/", user.as_uuid().as_bytes()].concat()
}

fn totp(secret: Vec<u8>, label: String) -> Result<TOTP, HashError> {
    TOTP::new(Algorithm::SHA1, 6, 1, STEP, secret, Some(ISSUER.to_owned()), label)
        .map_err(|e| HashError::new(format!("a TOTP secret was refused: {e:?}")))
}

impl SecondFactor for Totp {
    fn enrol(&self, user: UserId, label: &EmailAddress) -> Result<Enrolment, HashError> {
        // 160 bits, RFC 4226's recommendation; the label has no ':' (an email address cannot).
        let secret = random_or_abort::<20>().to_vec();
        let sealed = self.seal(user, &secret)?;
        let totp = totp(secret, label.as_str().replace(':', ""))?;
        let uri = totp.get_url();
        let qr = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| HashError::new(format!("QR code: {e}")))?;
        let qr_svg = qr.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build();
        Ok(Enrolment { sealed, secret: totp.get_secret_base32(), uri, qr_svg })
    }

    fn check(
        &self,
        user: UserId,
        sealed: &SealedSecret,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, HashError> {
        let totp = totp(self.open(user, sealed)?, String::new())?;
        let step = u64::try_from(now.timestamp()).unwrap_or(0) / STEP;
        // Every candidate is computed and compared, matched or not: the time says nothing.
        let mut matched = None;
        for candidate in [step.saturating_sub(1), step, step + 1] {
            if constant_time_eq(totp.generate(candidate * STEP).as_bytes(), code.as_bytes()) {
                matched = Some(candidate);
            }
        }
        Ok(matched)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey([7; 32])
    }

    fn ann() -> UserId {
        UserId::from_uuid(uuid::Uuid::from_u128(1))
    }

    /// ASVS 5.0 V6.5.3.
    #[test]
    fn a_code_of_the_shown_secret_matches_its_step_and_the_next_step_s_does_too() {
        let totp = Totp::new(&key());
        let enrolment = totp.enrol(ann(), &EmailAddress::parse("ann@acme.example").unwrap()).unwrap();
        assert!(enrolment.uri.starts_with("otpauth://totp/portal:ann%40acme.example?"), "{}", enrolment.uri);
        assert!(enrolment.qr_svg.contains("<svg"));
        // What an app does with the base32 secret it was shown.
        let app = TOTP::new(
            Algorithm::SHA1,
            6,
            1,
            30,
            totp_rs::Secret::Encoded(enrolment.secret.clone()).to_bytes().unwrap(),
            None,
            String::new(),
        )
        .unwrap();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let step = 1_800_000_000 / 30;
        assert_eq!(totp.check(ann(), &enrolment.sealed, &app.generate(1_800_000_000), now).unwrap(), Some(step));
        assert_eq!(totp.check(ann(), &enrolment.sealed, &app.generate(1_800_000_030), now).unwrap(), Some(step + 1));
        assert_eq!(
            totp.check(ann(), &enrolment.sealed, &app.generate(1_800_000_060), now).unwrap(),
            None,
            "two steps on"
        );
    }

    /// ASVS 5.0 V11.4.1.
    #[test]
    fn the_rfc_6238_sha1_vector_holds() {
        // RFC 6238 appendix B, T = 59 s, SHA-1, the 20-byte ASCII key "12345678901234567890".
        let totp = TOTP::new(Algorithm::SHA1, 8, 1, 30, b"12345678901234567890".to_vec(), None, String::new()).unwrap();
        assert_eq!(totp.generate(59), "94287082");
    }

    /// ASVS 5.0 V11.3.
    #[test]
    fn a_sealed_secret_holds_no_plain_secret_and_opens_only_with_its_key() {
        let totp = Totp::new(&key());
        let sealed = totp.seal(ann(), b"twenty bytes secret!").unwrap();
        assert!(!sealed.as_str().contains(&hex(b"twenty bytes secret!")));
        assert_eq!(totp.open(ann(), &sealed).unwrap(), b"twenty bytes secret!");
        let other = Totp::new(&SecretKey([8; 32]));
        assert!(other.open(ann(), &sealed).is_err(), "another key opened it");
        let bob = UserId::from_uuid(uuid::Uuid::from_u128(2));
        assert!(totp.open(bob, &sealed).is_err(), "another user's row opened it");
        assert!(totp.open(ann(), &SealedSecret::new("v1.zz")).is_err());
    }

    /// ASVS 5.0 V11.5.1.
    #[test]
    fn a_key_file_is_made_once_with_owner_only_access_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portal-secret.key");
        let (made, created) = SecretKey::load_or_create(&path).unwrap();
        assert!(created);
        let (read, created_again) = SecretKey::load_or_create(&path).unwrap();
        assert!(!created_again);
        assert_eq!(made.0, read.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "00".repeat(32)).unwrap();
        assert!(SecretKey::load_or_create(&path).is_err(), "an all-zero key is refused");
    }

    #[test]
    fn the_default_key_sits_beside_the_sqlite_file() {
        assert_eq!(default_key_path("sqlite://portal.db?mode=rwc"), Some(PathBuf::from("./portal-secret.key")));
        assert_eq!(
            default_key_path("sqlite:///var/lib/portal/p.db"),
            Some(PathBuf::from("/var/lib/portal/portal-secret.key"))
        );
        assert_eq!(default_key_path("sqlite::memory:"), None);
        assert_eq!(default_key_path("postgres://u@h/db"), None);
    }
}
