//! Answers several operations share.

use poem_openapi::ApiResponse;

/// Nothing to say.
#[derive(Debug, ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}
