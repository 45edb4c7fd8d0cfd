//! The groups of operations in the API document.

use poem_openapi::Tags;

/// Operation groups.
#[derive(Debug, Tags)]
pub enum ApiTags {
    /// Sign up, sign in, sign out.
    Auth,
    /// The signed-in user: profile, preferences, accounts.
    Me,
    /// Accounts and their master profile.
    Accounts,
    /// An account's members: who has access, and what they may do.
    Users,
    /// Invitations to join an account.
    Invites,
    /// People who receive the account's notices without logging in.
    Contacts,
    /// Notices: who receives them, and who received what, and why.
    Notices,
    /// The audit trail and the access review.
    Governance,
    /// Permissions, roles and notification categories.
    Catalogue,
    /// The provider's operator: every account, owners who have gone, disabled users.
    Operator,
    /// Liveness and readiness.
    Health,
}
