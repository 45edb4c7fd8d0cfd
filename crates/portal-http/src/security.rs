//! Bearer sessions: the token is resolved to an active user on every request (rule 7).

use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

/// A session token from `POST /auth/login`, sent as `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub struct BearerAuth(pub Bearer);

impl std::fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerAuth(<redacted>)")
    }
}
