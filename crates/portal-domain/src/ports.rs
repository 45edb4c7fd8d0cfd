//! The ports: what the core needs from the outside, as plain traits. Each method documents its
//! contract; the conformance suite ([`crate::conformance`], feature `testing`) checks exactly those.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::account::{Access, Account, AccountEvent, AccountStatus, Contact, Invite, Membership, Target};
use crate::ids::{AccountId, ContactId, InviteId, NoticeId, SessionId, UserId};
use crate::notification::NotificationCategory;
use crate::routing::{Reason, Recipient};
use crate::user::{User, UserEvent, UserStatus};
use crate::values::{CompanyName, EmailAddress, Password, PasswordHash, PersonName, TokenDigest};

/// An infrastructure failure behind a port (database down, corrupt row, hasher failure).
/// Opaque to the core: it is logged with its cause chain and answered with a generic 500.
#[derive(Debug)]
pub struct StoreError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl StoreError {
    /// A failure described in words.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), source: None }
    }

    /// A failure with its cause.
    pub fn with_source(message: impl Into<String>, source: impl StdError + Send + Sync + 'static) -> Self {
        Self { message: message.into(), source: Some(Box::new(source)) }
    }

    /// A stored row that does not parse back into a domain value.
    pub fn corrupt(table: &str, id: impl fmt::Display, reason: impl fmt::Display) -> Self {
        Self::new(format!("corrupt row in {table} (id {id}): {reason}"))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Why a [`Store::commit`] wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// An aggregate's stored version differs from the one the change was decided on.
    #[error("the data changed since it was read")]
    Conflict,
    /// A new user's email (compared case-insensitively) belongs to another user.
    #[error("a user with this email address exists already")]
    EmailTaken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

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

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
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
}

impl Changes {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.accounts.iter().all(|a| a.events.is_empty())
            && self.users.iter().all(|u| u.events.is_empty())
            && self.outbox.is_empty()
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

/// An account event with its position in the account's history (1 for `Opened`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The account's version once this event was applied.
    pub seq: u64,
    /// The event.
    pub event: AccountEvent,
}

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

/// A membership with who holds it: one row of a members list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// The membership.
    pub membership: Membership,
    /// The member's login email.
    pub email: EmailAddress,
    /// The member's name.
    pub name: PersonName,
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

/// [`Store::memberships_of`] from [`Store::accounts_of`] and [`Store::account`]: its default,
/// for a store that has no better way.
pub async fn memberships_of_accounts<S: Store + ?Sized>(
    store: &S,
    user: UserId,
    page: PageRequest<AccountId>,
) -> Result<Page<MembershipListing, AccountId>, StoreError> {
    let ids = store.accounts_of(user, page).await?;
    let mut items = Vec::with_capacity(ids.items.len());
    for id in ids.items {
        let account = store.account(id).await?.ok_or_else(|| StoreError::corrupt("memberships", id, "no account"))?;
        let membership =
            account.member(user).cloned().ok_or_else(|| StoreError::corrupt("memberships", id, "no membership"))?;
        items.push(MembershipListing {
            account: id,
            display_name: account.profile().display_name.clone(),
            access: Access {
                membership,
                is_owner: account.owner() == user,
                account_status: account.status(),
                owner: account.owner(),
            },
        });
    }
    Ok(Page { items, next: ids.next })
}

/// [`Store::member_rows_page`] from [`Store::members_page`] and [`Store::users`]: its default,
/// for a store that has no better way.
pub async fn member_rows_of<S: Store + ?Sized>(
    store: &S,
    account: AccountId,
    page: PageRequest<UserId>,
) -> Result<Page<MemberRow, UserId>, StoreError> {
    let page = store.members_page(account, page).await?;
    let ids: Vec<UserId> = page.items.iter().map(Membership::user).collect();
    let mut users: std::collections::HashMap<UserId, User> =
        store.users(&ids).await?.into_iter().map(|u| (u.id(), u)).collect();
    let items = page
        .items
        .into_iter()
        .map(|membership| {
            let user = users
                .remove(&membership.user())
                .ok_or_else(|| StoreError::corrupt("memberships", membership.user(), "no such user"))?;
            Ok(MemberRow { email: user.email().clone(), name: user.name().clone(), membership })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Page { items, next: page.next })
}

/// Storage of aggregates, their events and the outbox.
pub trait Store: Send + Sync {
    /// Writes every state, event and email of `changes` in one transaction.
    /// MUST return [`CommitError::Conflict`] and write nothing when any aggregate's stored version
    /// differs from its `expected_version` (0 meaning "must not exist yet").
    /// MUST return [`CommitError::EmailTaken`] and write nothing when a new or changed user's email
    /// belongs, case-insensitively, to another user.
    fn commit(&self, changes: Changes) -> impl Future<Output = Result<(), CommitError>> + Send;

    /// The account as last committed, or `None`.
    fn account(&self, id: AccountId) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// The user as last committed, or `None`.
    fn user(&self, id: UserId) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// The user's status alone (the per-request "still active?" check), or `None`. The default
    /// reads the whole user.
    fn user_status(&self, id: UserId) -> impl Future<Output = Result<Option<UserStatus>, StoreError>> + Send {
        async move { Ok(self.user(id).await?.map(|u| u.status())) }
    }

    /// The user whose email equals `email`, compared case-insensitively.
    fn user_by_email(&self, email: &EmailAddress) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// The users among `ids` that exist, in any order.
    fn users(&self, ids: &[UserId]) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send;

    /// The account holding an invite whose current token digest is `token`. After a re-send the
    /// old digest MUST find nothing.
    fn account_by_invite_token(
        &self,
        token: &TokenDigest,
    ) -> impl Future<Output = Result<Option<AccountId>, StoreError>> + Send;

    /// The accounts in which `user` has a membership (ended or not), by account id ascending.
    fn accounts_of(
        &self,
        user: UserId,
        page: PageRequest<AccountId>,
    ) -> impl Future<Output = Result<Page<AccountId, AccountId>, StoreError>> + Send;

    /// [`Store::accounts_of`] with the user's standing in each account and its display name
    /// (the account picker). The default reads each account whole; a SQL store joins the two
    /// rows it needs.
    fn memberships_of(
        &self,
        user: UserId,
        page: PageRequest<AccountId>,
    ) -> impl Future<Output = Result<Page<MembershipListing, AccountId>, StoreError>> + Send {
        memberships_of_accounts(self, user, page)
    }

    /// The account's events, newest first, starting below `page.after` (a `seq`).
    fn account_events(
        &self,
        account: AccountId,
        page: PageRequest<u64>,
    ) -> impl Future<Output = Result<Page<StoredEvent, u64>, StoreError>> + Send;

    /// The account's whole history, oldest first (for "who held what on a given day").
    fn account_history(&self, account: AccountId)
    -> impl Future<Output = Result<Vec<AccountEvent>, StoreError>> + Send;

    /// The user's events, oldest first.
    fn user_events(&self, user: UserId) -> impl Future<Output = Result<Vec<UserEvent>, StoreError>> + Send;

    /// One user's standing in one account, from one indexed read (the per-request check), or
    /// `None` when the account does not exist or the user has no membership in it.
    fn access(
        &self,
        account: AccountId,
        user: UserId,
    ) -> impl Future<Output = Result<Option<Access>, StoreError>> + Send;

    /// The user's status and their standing in `account` (the per-request check of rule 7 and
    /// rule 2 together), or `None` when the user does not exist. MUST answer as
    /// [`Store::user_status`] and [`Store::access`] would. The default asks the two in turn; a
    /// SQL store reads both in one join.
    fn standing(
        &self,
        account: AccountId,
        user: UserId,
    ) -> impl Future<Output = Result<Option<(UserStatus, Option<Access>)>, StoreError>> + Send {
        async move {
            let Some(status) = self.user_status(user).await? else { return Ok(None) };
            Ok(Some((status, self.access(account, user).await?)))
        }
    }

    /// The account's memberships by user id ascending, starting after `page.after`. MUST read no
    /// more rows than the page needs.
    fn members_page(
        &self,
        account: AccountId,
        page: PageRequest<UserId>,
    ) -> impl Future<Output = Result<Page<Membership, UserId>, StoreError>> + Send;

    /// [`Store::members_page`] with each member's email and name. The default reads the page,
    /// then its users; a SQL store answers with one join, reading two columns of each user
    /// rather than the whole user.
    fn member_rows_page(
        &self,
        account: AccountId,
        page: PageRequest<UserId>,
    ) -> impl Future<Output = Result<Page<MemberRow, UserId>, StoreError>> + Send {
        member_rows_of(self, account, page)
    }

    /// The account's invites (any state) by id ascending, starting after `page.after`.
    fn invites_page(
        &self,
        account: AccountId,
        page: PageRequest<InviteId>,
    ) -> impl Future<Output = Result<Page<Invite, InviteId>, StoreError>> + Send;

    /// The account's contacts by id ascending, starting after `page.after`.
    fn contacts_page(
        &self,
        account: AccountId,
        page: PageRequest<ContactId>,
    ) -> impl Future<Output = Result<Page<Contact, ContactId>, StoreError>> + Send;

    /// The account's notices, newest first (by id descending), starting below `page.after`.
    fn notices_page(
        &self,
        account: AccountId,
        page: PageRequest<NoticeId>,
    ) -> impl Future<Output = Result<Page<NoticeRecord, NoticeId>, StoreError>> + Send;

    /// The open invites (pending or expired, not answered) for `email`, compared
    /// case-insensitively, each with its account, at most `limit` of them, oldest first.
    fn open_invites_for(
        &self,
        email: &EmailAddress,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(AccountId, Invite)>, StoreError>> + Send;

    /// Every account by id ascending, starting after `page.after` (the operator's list).
    fn accounts_page(
        &self,
        page: PageRequest<AccountId>,
    ) -> impl Future<Output = Result<Page<AccountListing, AccountId>, StoreError>> + Send;

    /// The account's events about one target, newest first, starting below `page.after` (a `seq`).
    fn target_events(
        &self,
        account: AccountId,
        target: Target,
        page: PageRequest<u64>,
    ) -> impl Future<Output = Result<Page<StoredEvent, u64>, StoreError>> + Send;

    /// Records a member's activity without changing the account's version.
    fn record_activity(
        &self,
        account: AccountId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records a sign-in without changing the user's version.
    fn record_login(&self, user: UserId, at: DateTime<Utc>) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Sessions are extended at most this often: a write per request would serialise every read
/// behind the database's single writer for no gain a person could notice.
pub const SESSION_TOUCH_RESOLUTION: chrono::Duration = chrono::Duration::minutes(1);

/// A session as its user may see it (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session's public id (for revoking it).
    pub id: SessionId,
    /// Its user.
    pub user: UserId,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_seen_at: DateTime<Utc>,
    /// When it ends however active it is.
    pub absolute_expires_at: DateTime<Utc>,
}

/// [`SessionStore::session_user`] from [`SessionStore::use_session`] and [`Store::user`]: its
/// default, for a store that has no better way.
pub async fn session_user_of<S: Store + SessionStore + ?Sized>(
    store: &S,
    token: &TokenDigest,
    now: DateTime<Utc>,
    idle: chrono::Duration,
) -> Result<Option<(SessionId, User)>, StoreError> {
    let Some((session, user)) = store.use_session(token, now, idle).await? else { return Ok(None) };
    Ok(store.user(user).await?.map(|user| (session, user)))
}

/// Sign-in sessions and rate-limit counters, shared by every server process.
pub trait SessionStore: Send + Sync {
    /// Starts a session under the digest of its token. It lives `idle` past its last use and
    /// never past `absolute` from now.
    fn create_session(
        &self,
        id: SessionId,
        token: &TokenDigest,
        user: UserId,
        now: DateTime<Utc>,
        idle: chrono::Duration,
        absolute: chrono::Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Starts a session as [`SessionStore::create_session`] does and records the sign-in as
    /// the user's last login ([`Store::record_login`]). The default does the two in turn; a SQL
    /// store writes both in one transaction (one durable write per sign-in, not two).
    fn create_login_session(
        &self,
        id: SessionId,
        token: &TokenDigest,
        user: UserId,
        now: DateTime<Utc>,
        idle: chrono::Duration,
        absolute: chrono::Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send
    where
        Self: Store,
    {
        async move {
            self.record_login(user, now).await?;
            self.create_session(id, token, user, now, idle, absolute).await
        }
    }

    /// The session and user of a live token, extending its idle expiry (a store may skip the
    /// write while the last extension is under [`SESSION_TOUCH_RESOLUTION`] old). MUST return
    /// `None` once either expiry has passed, and from then on.
    fn use_session(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> impl Future<Output = Result<Option<(SessionId, UserId)>, StoreError>> + Send;

    /// [`SessionStore::use_session`] with the session's user as last committed (the per-request
    /// authentication). The default uses the session, then reads the user; a SQL store reads
    /// both in one join when the session needs no write.
    fn session_user(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> impl Future<Output = Result<Option<(SessionId, User)>, StoreError>> + Send
    where
        Self: Store,
    {
        session_user_of(self, token, now, idle)
    }

    /// [`SessionStore::use_session`] with the status of the session's user (the per-request
    /// authentication when only the user's id is needed), or `None` as `use_session` answers or
    /// when the user is gone. The default uses the session, then reads the status; a SQL store
    /// reads both in one join when the session needs no write.
    fn session_holder(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> impl Future<Output = Result<Option<(SessionId, UserId, UserStatus)>, StoreError>> + Send
    where
        Self: Store,
    {
        async move {
            let Some((session, user)) = self.use_session(token, now, idle).await? else { return Ok(None) };
            Ok(self.user_status(user).await?.map(|status| (session, user, status)))
        }
    }

    /// Ends the session of a token (logout).
    fn end_session(&self, token: &TokenDigest) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends one of `user`'s sessions by id. MUST return `false` and end nothing for another user's session.
    fn end_session_by_id(&self, user: UserId, id: SessionId) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Ends every session of `user`.
    fn end_sessions_of(&self, user: UserId) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// `user`'s live sessions, newest first.
    fn sessions_of(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<SessionInfo>, StoreError>> + Send;

    /// Stores an operator key under the digest of its secret.
    fn create_operator_key(
        &self,
        id: uuid::Uuid,
        token: &TokenDigest,
        label: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether an operator key with this digest exists.
    fn operator_key_exists(&self, token: &TokenDigest) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Counts a hit on `key` in a fixed window; `true` while the window has seen at most `max`.
    /// MUST count hits from every caller together (atomically).
    fn rate_limit_hit(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: chrono::Duration,
        max: u32,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The current window of each key, in order (`None`: never hit, or purged). MUST NOT
    /// write: a refused request leaves nothing behind. The default knows no windows, so every
    /// check passes and only [`SessionStore::rate_limit_hits`] refuses.
    fn rate_limit_windows(
        &self,
        keys: &[&str],
    ) -> impl Future<Output = Result<Vec<Option<crate::limits::Window>>, StoreError>> + Send {
        let none = vec![None; keys.len()];
        async move { Ok(none) }
    }

    /// Deletes at most `batch` rows of each kind that can no longer matter at `now`: rate-limit
    /// windows lapsed for `window`, sessions past their idle or absolute expiry, and the token
    /// digests of spent invite links ([`crate::account::Invite::link_spent`]). Returns how many
    /// went. MUST leave every live window, session and link alone.
    fn purge_expired(
        &self,
        now: DateTime<Utc>,
        window: chrono::Duration,
        batch: u32,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        let _ = (now, window, batch);
        async { Ok(0) }
    }

    /// Counts a hit on every key of `limits` (each with its `max`), as
    /// [`SessionStore::rate_limit_hit`] does; `true` while every one is within its max. The
    /// default counts them in turn; a SQL store counts them in one statement.
    fn rate_limit_hits(
        &self,
        limits: &[(&str, u32)],
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        async move {
            let mut within = true;
            for (key, max) in limits {
                within &= self.rate_limit_hit(key, now, window, *max).await?;
            }
            Ok(within)
        }
    }
}

/// Hashes and checks passwords (Argon2id in the server). Slow on purpose, so async: the adapter
/// runs it off the request workers.
pub trait PasswordHasher: Send + Sync {
    /// A new salted hash of `password`.
    fn hash(&self, password: &Password) -> impl Future<Output = Result<PasswordHash, StoreError>> + Send;
    /// Whether `password` matches `hash`. MUST take as long for a wrong password as a right one.
    fn verify(&self, password: &str, hash: &PasswordHash) -> impl Future<Output = bool> + Send;
    /// A valid hash of no one's password, checked when an email is unknown so that login does the
    /// same work whether or not the user exists.
    fn decoy(&self) -> &PasswordHash;
}

/// Digests one-time tokens (SHA-256 in the server); only digests are stored.
pub trait TokenDigester: Send + Sync {
    /// The digest of `token`. MUST be deterministic and MUST NOT reveal the token.
    fn digest(&self, token: &str) -> TokenDigest;
}

/// Makes new secret tokens (256 random bits in the server).
pub trait TokenGenerator: Send + Sync {
    /// A fresh unguessable token, URL-safe.
    fn generate(&self) -> String;
}

/// Tells the time; the core never reads a clock itself.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// A shared clock is a clock: a test keeps one handle to move time while the use cases read
/// the other.
impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (**self).now()
    }
}

/// Makes ids (UUID v7 in the server).
pub trait IdSource: Send + Sync {
    /// A new unique UUID.
    fn new_uuid(&self) -> Uuid;
}
