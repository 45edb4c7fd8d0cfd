//! What crosses the store port: saves, changes with their emails, pages, and the rows lists
//! are read as.

use super::*;

/// An aggregate's new state and the events that led to it from `expected_version`.
#[derive(Debug, Clone)]
pub struct Saved<T, E> {
    /// The state after the events.
    pub state: T,
    /// The version the change was decided on (0 for a new aggregate).
    pub expected_version: u64,
    /// The events, in order; `state.version() == expected_version + events.len()`.
    pub events: Vec<E>,
}

/// One email to send, written to the outbox with the change that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OutgoingEmail {
    /// The recipient.
    pub to: EmailAddress,
    /// What to tell them.
    pub message: Message,
}

/// The emails the core asks for; the binary renders them.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Message {
    /// An invite (or a re-sent one) with its link.
    Invite {
        /// The account.
        account: AccountId,
        /// Its display name.
        account_name: CompanyName,
        /// Who invited.
        inviter: PersonName,
        /// The invite.
        invite: InviteId,
        /// The link's token. The only place a raw token is kept; the outbox drops it once sent.
        token: String,
        /// When the link expires.
        expires_at: DateTime<Utc>,
    },
    /// A link that proves the recipient receives mail at this address.
    VerifyEmail {
        /// The link's token (blanked once sent, as an invite's).
        token: String,
        /// When the link expires.
        expires_at: DateTime<Utc>,
    },
    /// Someone signed up with an address that has an account: say so, with a reset link (none
    /// when the address had its reset mails for the hour).
    AccountExists {
        /// A reset link's token, if one was issued.
        reset_token: Option<String>,
        /// When that link expires.
        expires_at: DateTime<Utc>,
    },
    /// A password-reset link.
    PasswordReset {
        /// The link's token.
        token: String,
        /// When the link expires.
        expires_at: DateTime<Utc>,
    },
    /// A link, sent to the new address, that confirms an email change.
    ConfirmEmailChange {
        /// The link's token.
        token: String,
        /// When the link expires.
        expires_at: DateTime<Utc>,
    },
    /// A change to the recipient's sign-in security (category `security`, never opted out of).
    Security(SecurityNotice),
    /// A notice of a category, with why this recipient gets it.
    Notice {
        /// The account.
        account: AccountId,
        /// The notice.
        notice: NoticeId,
        /// Its category.
        category: NotificationCategory,
        /// Its subject.
        subject: CompanyName,
        /// Why this recipient receives it.
        reason: Reason,
    },
}

/// What a security notice tells its user.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SecurityNotice {
    /// The password was changed while signed in.
    PasswordChanged,
    /// The password was set from a reset link; every session ended.
    PasswordReset,
    /// A move of the login to `to` was asked for (sent to the old address, which keeps working
    /// until the new one confirms).
    EmailChangeRequested {
        /// The address asked for.
        to: EmailAddress,
    },
    /// The login moved to `to` (sent to the old address).
    EmailChanged {
        /// The new address.
        to: EmailAddress,
    },
    /// Two-factor authentication was turned on.
    MfaEnabled,
    /// Two-factor authentication was turned off by the user.
    MfaDisabled,
    /// The operator turned two-factor authentication off (the user asked: they lost it).
    MfaReset,
    /// A recovery code was used to sign in or confirm a change.
    RecoveryCodeUsed {
        /// How many unspent codes are left.
        left: usize,
    },
    /// A sign-in from a client (address and user agent) not seen for this user in
    /// [`KNOWN_CLIENT_FOR`](crate::credentials::KNOWN_CLIENT_FOR), with a link that ends that session.
    NewSignIn {
        /// Where the sign-in came from.
        client: crate::values::ClientInfo,
        /// When.
        at: DateTime<Utc>,
        /// The raw token of the "this was not me" link (blanked once the mail is sent).
        token: String,
        /// When the link stops working.
        expires_at: DateTime<Utc>,
    },
}

impl Message {
    /// The raw link token the message carries, if any (empty once the outbox sent it).
    pub fn token(&self) -> Option<&str> {
        match self {
            Self::Invite { token, .. }
            | Self::VerifyEmail { token, .. }
            | Self::PasswordReset { token, .. }
            | Self::ConfirmEmailChange { token, .. }
            | Self::Security(SecurityNotice::NewSignIn { token, .. }) => Some(token),
            Self::AccountExists { reset_token, .. } => reset_token.as_deref(),
            Self::Security(_) | Self::Notice { .. } => None,
        }
    }

    /// The raw token the message carries, if any: the outbox blanks it once the mail is sent.
    pub fn token_mut(&mut self) -> Option<&mut String> {
        match self {
            Self::Invite { token, .. }
            | Self::VerifyEmail { token, .. }
            | Self::PasswordReset { token, .. }
            | Self::ConfirmEmailChange { token, .. }
            | Self::Security(SecurityNotice::NewSignIn { token, .. }) => Some(token),
            Self::AccountExists { reset_token, .. } => reset_token.as_mut(),
            Self::Security(_) | Self::Notice { .. } => None,
        }
    }
}

impl fmt::Debug for SecurityNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PasswordChanged => f.write_str("PasswordChanged"),
            Self::PasswordReset => f.write_str("PasswordReset"),
            Self::EmailChangeRequested { to } => f.debug_struct("EmailChangeRequested").field("to", to).finish(),
            Self::EmailChanged { to } => f.debug_struct("EmailChanged").field("to", to).finish(),
            Self::MfaEnabled => f.write_str("MfaEnabled"),
            Self::MfaDisabled => f.write_str("MfaDisabled"),
            Self::MfaReset => f.write_str("MfaReset"),
            Self::RecoveryCodeUsed { left } => f.debug_struct("RecoveryCodeUsed").field("left", left).finish(),
            Self::NewSignIn { client, at, expires_at, .. } => f
                .debug_struct("NewSignIn")
                .field("client", client)
                .field("at", at)
                .field("token", &"<redacted>")
                .field("expires_at", expires_at)
                .finish(),
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::VerifyEmail { expires_at, .. } => {
                f.debug_struct("VerifyEmail").field("token", &"<redacted>").field("expires_at", expires_at).finish()
            }
            Self::AccountExists { expires_at, .. } => f
                .debug_struct("AccountExists")
                .field("reset_token", &"<redacted>")
                .field("expires_at", expires_at)
                .finish(),
            Self::PasswordReset { expires_at, .. } => {
                f.debug_struct("PasswordReset").field("token", &"<redacted>").field("expires_at", expires_at).finish()
            }
            Self::ConfirmEmailChange { expires_at, .. } => f
                .debug_struct("ConfirmEmailChange")
                .field("token", &"<redacted>")
                .field("expires_at", expires_at)
                .finish(),
            Self::Security(notice) => f.debug_tuple("Security").field(notice).finish(),
            Self::Invite { account, invite, expires_at, .. } => f
                .debug_struct("Invite")
                .field("account", account)
                .field("invite", invite)
                .field("token", &"<redacted>")
                .field("expires_at", expires_at)
                .finish_non_exhaustive(),
            Self::Notice { account, notice, category, subject, reason } => f
                .debug_struct("Notice")
                .field("account", account)
                .field("notice", notice)
                .field("category", category)
                .field("subject", subject)
                .field("reason", reason)
                .finish(),
        }
    }
}

/// Everything one use case writes: stored atomically or not at all.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Accounts created or changed.
    pub accounts: Vec<Saved<Account, AccountEvent>>,
    /// Users created or changed.
    pub users: Vec<Saved<User, UserEvent>>,
    /// Emails to send.
    pub outbox: Vec<OutgoingEmail>,
    /// One-time tokens to store (add them with [`Changes::issuing`]). The store applies the
    /// revocations before it keeps new tokens.
    pub tokens: Vec<crate::credentials::UserToken>,
    /// Sessions and open links the change ends.
    pub revocations: Vec<crate::credentials::Revocation>,
    /// One-time tokens the change uses up (by digest): the commit fails with a conflict, and
    /// writes nothing, unless every one was unused and unexpired at `at` (an atomic
    /// `UPDATE ... WHERE used_at IS NULL`), so exactly one of many racing uses wins.
    pub redeemed: Vec<crate::credentials::Redemption>,
}

impl Changes {
    /// These changes and `token` to store, with what it supersedes ended.
    pub fn issuing(mut self, token: crate::credentials::UserToken) -> Self {
        self.revocations.extend(token.superseding());
        self.tokens.push(token);
        self
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.accounts.iter().all(|a| a.events.is_empty())
            && self.users.iter().all(|u| u.events.is_empty())
            && self.outbox.is_empty()
            && self.tokens.is_empty()
            && self.revocations.is_empty()
            && self.redeemed.is_empty()
    }
}

/// A page request for a keyset-paginated list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest<K> {
    /// Start after this key (`None`: from the start).
    pub after: Option<K>,
    /// At most this many items.
    pub limit: usize,
}

/// One page of a list and the key to continue from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, K> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<K>,
}

impl<T, K> Page<T, K> {
    /// A page from items fetched with one more than `limit` (the keyset idiom): keeps `limit`
    /// of them and, when the extra one was there, continues after the last kept.
    pub fn from_overfetch(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> K) -> Self {
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(key)
        } else {
            None
        };
        Self { items, next }
    }
}

pub use crate::account::StoredEvent;

/// A notice as recorded: who received it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRecord {
    /// The notice.
    pub id: NoticeId,
    /// Its category.
    pub category: NotificationCategory,
    /// Its subject.
    pub subject: CompanyName,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// Who received it, each with the reason.
    pub recipients: Vec<Recipient>,
}

/// One account in the operator's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountListing {
    /// The account.
    pub id: AccountId,
    /// Its display name.
    pub display_name: CompanyName,
    /// Its owner.
    pub owner: UserId,
    /// Active or closed.
    pub status: AccountStatus,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
}

/// A member and who they are: one line of a members list, as the store reads it and the use
/// cases answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// The membership.
    pub membership: Membership,
    /// The member's login email.
    pub email: EmailAddress,
    /// The member's name.
    pub name: PersonName,
    /// Whether they own the account.
    pub is_owner: bool,
}

/// One of a user's memberships, with the account's display name: a row of the account picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipListing {
    /// The account.
    pub account: AccountId,
    /// Its display name.
    pub display_name: CompanyName,
    /// The user's standing there.
    pub access: Access,
}
