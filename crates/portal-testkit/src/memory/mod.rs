//! In-memory adapters for every port: a complete store and deterministic doubles for the clock,
//! ids, tokens and hashing. Pure std; for tests and for embedders' tests. The hasher and digester
//! here are NOT secure and say so in their names.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use portal_domain::account::{Access, Account, AccountChange, AccountEvent, Contact, Invite, Membership, Target};
use portal_domain::ids::{AccountId, ContactId, InviteId, NoticeId, SessionId, UserId};
use portal_domain::ports::{
    AccountListing, Changes, Clock, CommitError, IdSource, NoticeRecord, OutgoingEmail, Page, PageRequest,
    PasswordHasher, SessionInfo, SessionStart, SessionStore, Store, StoreError, StoredEvent, TokenDigester,
    TokenGenerator,
};
use portal_domain::session::{SessionTimes, SessionUse};
use portal_domain::user::{User, UserEvent};
use portal_domain::values::{EmailAddress, Password, PasswordHash, TokenDigest};

mod doubles;
mod sessions;
mod tokens;

pub use doubles::*;

#[derive(Default)]
struct Inner {
    accounts: HashMap<AccountId, Account>,
    users: HashMap<UserId, User>,
    emails: HashMap<String, UserId>,
    account_events: HashMap<AccountId, Vec<AccountEvent>>,
    user_events: HashMap<UserId, Vec<UserEvent>>,
    invite_tokens: HashMap<TokenDigest, AccountId>,
    memberships: BTreeSet<(UserId, AccountId)>,
    outbox: Vec<OutgoingEmail>,
    sessions: HashMap<TokenDigest, MemorySession>,
    operator_keys: HashMap<TokenDigest, String>,
    counters: HashMap<String, portal_domain::limits::Window>,
    tokens: HashMap<TokenDigest, tokens::StoredToken>,
    totp_steps: HashMap<UserId, u64>,
    clients: HashMap<(UserId, TokenDigest), DateTime<Utc>>,
}

#[derive(Clone)]
struct MemorySession {
    id: SessionId,
    user: UserId,
    times: SessionTimes,
    client: portal_domain::values::ClientInfo,
    authenticated_at: DateTime<Utc>,
}

/// A [`Store`] in memory, behind one mutex: every commit is atomic and checks versions.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner.lock().map_err(|_| StoreError::new("memory store lock poisoned"))
    }

    /// Every email queued so far, oldest first (a test's mailbox).
    pub fn outbox(&self) -> Vec<OutgoingEmail> {
        self.lock().map(|i| i.outbox.clone()).unwrap_or_default()
    }

    /// The token of the newest verification or email-change link queued for `to`, as its
    /// recipient would read it from the mail.
    pub fn link_token_for(&self, to: &str) -> Option<String> {
        self.outbox().into_iter().rev().find_map(|m| match m.message {
            portal_domain::ports::Message::VerifyEmail { token, .. }
            | portal_domain::ports::Message::ConfirmEmailChange { token, .. }
                if m.to.as_str() == to =>
            {
                Some(token)
            }
            _ => None,
        })
    }

    /// Takes the queued emails out of the outbox, as a delivery would.
    pub fn drain_outbox(&self) -> Vec<OutgoingEmail> {
        self.lock().map(|mut i| std::mem::take(&mut i.outbox)).unwrap_or_default()
    }
}

impl Inner {
    fn check(&self, changes: &Changes) -> Result<(), CommitError> {
        for saved in &changes.accounts {
            let stored = self.accounts.get(&saved.state.id()).map_or(0, Account::version);
            if stored != saved.expected_version {
                return Err(CommitError::Conflict);
            }
        }
        let mut batch_emails = HashMap::new();
        for saved in &changes.users {
            let stored = self.users.get(&saved.state.id()).map_or(0, User::version);
            if stored != saved.expected_version {
                return Err(CommitError::Conflict);
            }
            let key = saved.state.email().normalized();
            let other = self.emails.get(key).copied().or_else(|| batch_emails.get(key).copied());
            if other.is_some_and(|id| id != saved.state.id()) {
                return Err(CommitError::EmailTaken);
            }
            batch_emails.insert(key, saved.state.id());
        }
        self.check_redeemed(&changes.redeemed)
    }

    fn write(&mut self, changes: Changes) {
        for saved in changes.accounts {
            let id = saved.state.id();
            let mut state = saved.state;
            if let Some(old) = self.accounts.get(&id) {
                self.invite_tokens.retain(|_, a| *a != id);
                for m in old.members() {
                    self.memberships.remove(&(m.user(), id));
                }
                // Activity is not versioned; keep what was recorded since the state was read.
                for m in old.members() {
                    if let Some(at) = m.last_active_at() {
                        state.touch(m.user(), at);
                    }
                }
            }
            for token in state.invites().filter_map(|i| i.token()) {
                self.invite_tokens.insert(token.clone(), id);
            }
            for m in state.members() {
                self.memberships.insert((m.user(), id));
            }
            self.account_events.entry(id).or_default().extend(saved.events);
            self.accounts.insert(id, state);
        }
        for saved in changes.users {
            let id = saved.state.id();
            if let Some(old) = self.users.get(&id) {
                self.emails.remove(old.email().normalized());
            }
            self.emails.insert(saved.state.email().normalized().to_owned(), id);
            self.user_events.entry(id).or_default().extend(saved.events.iter().map(UserEvent::for_history));
            self.users.insert(id, saved.state);
        }
        self.outbox.extend(changes.outbox);
        self.write_tokens(&changes.redeemed, &changes.revocations, changes.tokens);
    }
}

impl Store for MemoryStore {
    async fn commit(&self, changes: Changes) -> Result<(), CommitError> {
        let mut inner = self.lock()?;
        inner.check(&changes)?;
        inner.write(changes);
        Ok(())
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        Ok(self.lock()?.accounts.get(&id).cloned())
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.lock()?.users.get(&id).cloned())
    }

    async fn user_by_email(&self, email: &EmailAddress) -> Result<Option<User>, StoreError> {
        let inner = self.lock()?;
        Ok(inner.emails.get(email.normalized()).and_then(|id| inner.users.get(id)).cloned())
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        let inner = self.lock()?;
        Ok(ids.iter().filter_map(|id| inner.users.get(id)).cloned().collect())
    }

    async fn account_by_invite_token(&self, token: &TokenDigest) -> Result<Option<AccountId>, StoreError> {
        Ok(self.lock()?.invite_tokens.get(token).copied())
    }

    async fn accounts_of(
        &self,
        user: UserId,
        page: PageRequest<AccountId>,
    ) -> Result<Page<AccountId, AccountId>, StoreError> {
        let inner = self.lock()?;
        let start = match page.after {
            Some(after) => std::ops::Bound::Excluded((user, after)),
            None => std::ops::Bound::Included((user, AccountId::from_uuid(Uuid::nil()))),
        };
        let items: Vec<AccountId> = inner
            .memberships
            .range((start, std::ops::Bound::Unbounded))
            .take_while(|(u, _)| *u == user)
            .take(page.limit.saturating_add(1))
            .map(|(_, a)| *a)
            .collect();
        Ok(Page::from_overfetch(items, page.limit, |a| *a))
    }

    async fn account_events(
        &self,
        account: AccountId,
        page: PageRequest<u64>,
    ) -> Result<Page<StoredEvent, u64>, StoreError> {
        let inner = self.lock()?;
        let events = inner.account_events.get(&account).map(Vec::as_slice).unwrap_or_default();
        // seq n is events[n - 1]; newest first, strictly below `after`.
        let top = page.after.map_or(events.len() as u64, |after| after.saturating_sub(1).min(events.len() as u64));
        let items: Vec<StoredEvent> = (1..=top)
            .rev()
            .take(page.limit.saturating_add(1))
            .filter_map(|seq| events.get(seq as usize - 1).map(|e| StoredEvent { seq, event: e.clone() }))
            .collect();
        Ok(Page::from_overfetch(items, page.limit, |e| e.seq))
    }

    async fn account_history(&self, account: AccountId) -> Result<Vec<AccountEvent>, StoreError> {
        Ok(self.lock()?.account_events.get(&account).cloned().unwrap_or_default())
    }

    async fn user_events(&self, user: UserId) -> Result<Vec<UserEvent>, StoreError> {
        Ok(self.lock()?.user_events.get(&user).cloned().unwrap_or_default())
    }

    async fn access(&self, account: AccountId, user: UserId) -> Result<Option<Access>, StoreError> {
        let inner = self.lock()?;
        Ok(inner.accounts.get(&account).and_then(|a| {
            a.member(user).map(|m| Access {
                membership: m.clone(),
                is_owner: a.owner() == user,
                account_status: a.status(),
                owner: a.owner(),
            })
        }))
    }

    async fn members_page(
        &self,
        account: AccountId,
        page: PageRequest<UserId>,
    ) -> Result<Page<Membership, UserId>, StoreError> {
        let inner = self.lock()?;
        let all = inner.accounts.get(&account).map(|a| a.members().into_iter().cloned().collect()).unwrap_or_default();
        Ok(after_key(all, page, Membership::user))
    }

    async fn invites_page(
        &self,
        account: AccountId,
        page: PageRequest<InviteId>,
    ) -> Result<Page<Invite, InviteId>, StoreError> {
        let inner = self.lock()?;
        let all = inner.accounts.get(&account).map(|a| a.invites().cloned().collect()).unwrap_or_default();
        Ok(after_key(all, page, Invite::id))
    }

    async fn contacts_page(
        &self,
        account: AccountId,
        page: PageRequest<ContactId>,
    ) -> Result<Page<Contact, ContactId>, StoreError> {
        let inner = self.lock()?;
        let all = inner.accounts.get(&account).map(|a| a.contacts().cloned().collect()).unwrap_or_default();
        Ok(after_key(all, page, Contact::id))
    }

    async fn notices_page(
        &self,
        account: AccountId,
        page: PageRequest<NoticeId>,
    ) -> Result<Page<NoticeRecord, NoticeId>, StoreError> {
        let inner = self.lock()?;
        let mut all: Vec<NoticeRecord> = inner
            .account_events
            .get(&account)
            .into_iter()
            .flatten()
            .filter_map(|e| match &e.change {
                AccountChange::NoticeRecorded { notice, category, subject, recipients } => Some(NoticeRecord {
                    id: *notice,
                    category: *category,
                    subject: subject.clone(),
                    at: e.at,
                    recipients: recipients.clone(),
                }),
                _ => None,
            })
            .filter(|n| page.after.is_none_or(|after| n.id < after))
            .collect();
        all.sort_by_key(|n| std::cmp::Reverse(n.id));
        Ok(Page::from_overfetch(all, page.limit, |n| n.id))
    }

    async fn open_invites_of(&self, account: AccountId, limit: usize) -> Result<Vec<Invite>, StoreError> {
        let inner = self.lock()?;
        let mut open: Vec<Invite> = inner
            .accounts
            .get(&account)
            .map(|a| a.invites().filter(|i| i.is_open()).cloned().collect())
            .unwrap_or_default();
        open.sort_by_key(Invite::id);
        open.truncate(limit);
        Ok(open)
    }

    async fn open_invites_for(
        &self,
        email: &EmailAddress,
        limit: usize,
    ) -> Result<Vec<(AccountId, Invite)>, StoreError> {
        let inner = self.lock()?;
        let mut found: Vec<(AccountId, Invite)> = inner
            .accounts
            .values()
            .flat_map(|a| a.invites().filter(|i| i.is_open() && i.email() == email).map(|i| (a.id(), i.clone())))
            .collect();
        found.sort_by_key(|(_, i)| i.id());
        found.truncate(limit);
        Ok(found)
    }

    async fn accounts_page(&self, page: PageRequest<AccountId>) -> Result<Page<AccountListing, AccountId>, StoreError> {
        let inner = self.lock()?;
        let all = inner
            .accounts
            .values()
            .map(|a| AccountListing {
                id: a.id(),
                display_name: a.profile().display_name.clone(),
                owner: a.owner(),
                status: a.status(),
                created_at: a.created_at(),
            })
            .collect();
        Ok(after_key(all, page, |l: &AccountListing| l.id))
    }

    async fn target_events(
        &self,
        account: AccountId,
        target: Target,
        page: PageRequest<u64>,
    ) -> Result<Page<StoredEvent, u64>, StoreError> {
        let inner = self.lock()?;
        let events = inner.account_events.get(&account).map(Vec::as_slice).unwrap_or_default();
        let matching: Vec<StoredEvent> = events
            .iter()
            .enumerate()
            .rev()
            .map(|(i, e)| StoredEvent { seq: i as u64 + 1, event: e.clone() })
            .filter(|s| s.event.change.target() == target && page.after.is_none_or(|after| s.seq < after))
            .collect();
        Ok(Page::from_overfetch(matching, page.limit, |s| s.seq))
    }

    async fn record_activity(&self, account: AccountId, user: UserId, at: DateTime<Utc>) -> Result<(), StoreError> {
        if let Some(a) = self.lock()?.accounts.get_mut(&account) {
            a.touch(user, at);
        }
        Ok(())
    }

    async fn record_login(&self, user: UserId, at: DateTime<Utc>) -> Result<(), StoreError> {
        if let Some(u) = self.lock()?.users.get_mut(&user) {
            u.touch_login(at);
        }
        Ok(())
    }
}

/// Sorts by key, keeps what comes after `page.after`, and cuts one page.
fn after_key<T, K: Ord + Copy>(mut all: Vec<T>, page: PageRequest<K>, key: impl Fn(&T) -> K) -> Page<T, K> {
    all.sort_by_key(|t| key(t));
    all.retain(|t| page.after.is_none_or(|after| key(t) > after));
    Page::from_overfetch(all, page.limit, key)
}
