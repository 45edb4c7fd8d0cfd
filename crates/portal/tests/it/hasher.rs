//! The password check that reuses its work memory answers exactly as argon2's own verifier,
//! whatever the stored hash's algorithm and parameters, and whatever the buffer held before.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use portal::adapters::verify_with_memory;

fn hashed(algorithm: Algorithm, m_kib: u32, t: u32, p: u32, out: Option<usize>, secret: &str, salt: &str) -> String {
    let argon = Argon2::new(algorithm, Version::V0x13, Params::new(m_kib, t, p, out).unwrap());
    argon.hash_password(secret.as_bytes(), &SaltString::encode_b64(salt.as_bytes()).unwrap()).unwrap().to_string()
}

/// ASVS 5.0 V11.4.2.
#[test]
fn reused_memory_checks_as_argon2_does() {
    let mut memory = Vec::new();
    let cases = [
        hashed(Algorithm::Argon2id, 19 * 1024, 2, 1, None, "correct horse", "sixteen byte salt"),
        hashed(Algorithm::Argon2id, 8 * 1024, 3, 1, Some(16), "correct horse", "another salt value"),
        hashed(Algorithm::Argon2i, 4 * 1024, 2, 2, None, "correct horse", "yet another salt"),
        hashed(Algorithm::Argon2d, 4 * 1024, 1, 1, Some(64), "correct horse", "and one more salt"),
        // Back to the largest after smaller ones: the buffer grows again and holds old blocks.
        hashed(Algorithm::Argon2id, 19 * 1024, 2, 1, None, "correct horse", "sixteen byte salt"),
    ];
    for stored in &cases {
        for attempt in ["correct horse", "correct horse ", "", "Correct horse"] {
            let expected = Argon2::default().verify_password(attempt.as_bytes(), &PasswordHash::new(stored).unwrap());
            assert_eq!(
                verify_with_memory(attempt.as_bytes(), stored, &mut memory),
                expected.is_ok(),
                "{attempt:?} against {stored}"
            );
        }
    }
    assert!(verify_with_memory(b"correct horse", &cases[0], &mut memory));
}

#[test]
fn a_malformed_hash_matches_nothing() {
    let mut memory = Vec::new();
    let good = hashed(Algorithm::Argon2id, 4 * 1024, 1, 1, None, "pw", "sixteen byte salt");
    let without_output = good.rsplit_once('$').unwrap().0.to_owned();
    for stored in [
        "",
        "not a hash",
        "$argon2id$v=19$m=4096,t=1,p=1",
        without_output.as_str(),
        "$scrypt$ln=1,r=8,p=1$c2FsdA$aGFzaA",
    ] {
        assert!(!verify_with_memory(b"pw", stored, &mut memory), "{stored:?} matched");
    }
}
