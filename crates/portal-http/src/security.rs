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

/// An operator key from `portal operator create-key`, sent as `X-Operator-Key`.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "X-Operator-Key", key_in = "header")]
pub struct OperatorAuth(pub poem_openapi::auth::ApiKey);

impl std::fmt::Debug for OperatorAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OperatorAuth(<redacted>)")
    }
}
