//! Where an invite stands: a leaf of the model, named by the errors and by the account alike.

use std::fmt;

/// Where an invite stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum InviteStatus {
    /// Waiting, and the link works.
    Pending,
    /// Waiting, but the link has expired (re-sending renews it).
    Expired,
    /// Accepted.
    Accepted,
    /// Declined.
    Declined,
    /// Cancelled.
    Cancelled,
}

impl InviteStatus {
    /// The stable key.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Expired => "expired",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for InviteStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}
