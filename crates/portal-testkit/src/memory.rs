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
    PasswordHasher, SessionInfo, SessionStore, Store, StoreError, StoredEvent, TokenDigester, TokenGenerator,
};
use portal_domain::user::{User, UserEvent};
use portal_domain::values::{EmailAddress, Password, PasswordHash, TokenDigest};

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
}

#[derive(Clone)]
struct MemorySession {
    id: SessionId,
    user: UserId,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    idle_expires_at: DateTime<Utc>,
    absolute_expires_at: DateTime<Utc>,
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
        Ok(())
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
            self.user_events.entry(id).or_default().extend(saved.events);
            self.users.insert(id, saved.state);
        }
        self.outbox.extend(changes.outbox);
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

impl SessionStore for MemoryStore {
    async fn create_session(
        &self,
        id: SessionId,
        token: &TokenDigest,
        user: UserId,
        now: DateTime<Utc>,
        idle: Duration,
        absolute: Duration,
    ) -> Result<(), StoreError> {
        let absolute_expires_at = now + absolute;
        let session = MemorySession {
            id,
            user,
            created_at: now,
            last_seen_at: now,
            idle_expires_at: (now + idle).min(absolute_expires_at),
            absolute_expires_at,
        };
        self.lock()?.sessions.insert(token.clone(), session);
        Ok(())
    }

    async fn use_session(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<(SessionId, UserId)>, StoreError> {
        let mut inner = self.lock()?;
        let Some(s) = inner.sessions.get_mut(token) else { return Ok(None) };
        if now >= s.idle_expires_at || now >= s.absolute_expires_at {
            inner.sessions.remove(token);
            return Ok(None);
        }
        s.last_seen_at = now;
        s.idle_expires_at = (now + idle).min(s.absolute_expires_at);
        Ok(Some((s.id, s.user)))
    }

    async fn end_session(&self, token: &TokenDigest) -> Result<(), StoreError> {
        self.lock()?.sessions.remove(token);
        Ok(())
    }

    async fn end_session_by_id(&self, user: UserId, id: SessionId) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let before = inner.sessions.len();
        inner.sessions.retain(|_, s| !(s.user == user && s.id == id));
        Ok(inner.sessions.len() < before)
    }

    async fn end_sessions_of(&self, user: UserId) -> Result<u64, StoreError> {
        let mut inner = self.lock()?;
        let before = inner.sessions.len();
        inner.sessions.retain(|_, s| s.user != user);
        Ok((before - inner.sessions.len()) as u64)
    }

    async fn sessions_of(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<SessionInfo>, StoreError> {
        let inner = self.lock()?;
        let mut out: Vec<SessionInfo> = inner
            .sessions
            .values()
            .filter(|s| s.user == user && now < s.idle_expires_at && now < s.absolute_expires_at)
            .map(|s| SessionInfo {
                id: s.id,
                user: s.user,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                absolute_expires_at: s.absolute_expires_at,
            })
            .collect();
        out.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        Ok(out)
    }

    async fn create_operator_key(
        &self,
        _id: Uuid,
        token: &TokenDigest,
        label: &str,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock()?.operator_keys.insert(token.clone(), label.to_owned());
        Ok(())
    }

    async fn operator_key_exists(&self, token: &TokenDigest) -> Result<bool, StoreError> {
        Ok(self.lock()?.operator_keys.contains_key(token))
    }

    async fn rate_limit_hit(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
        max: u32,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let lapsed = portal_domain::limits::Window { start: now - window, count: 0 };
        let counter = inner.counters.entry(key.to_owned()).or_insert(lapsed);
        *counter = counter.hit(now, window);
        Ok(counter.count <= max)
    }

    async fn rate_limit_windows(
        &self,
        keys: &[&str],
    ) -> Result<Vec<Option<portal_domain::limits::Window>>, StoreError> {
        let inner = self.lock()?;
        Ok(keys.iter().map(|k| inner.counters.get(*k).copied()).collect())
    }

    async fn purge_expired(&self, now: DateTime<Utc>, window: Duration, batch: u32) -> Result<u64, StoreError> {
        let mut inner = self.lock()?;
        let batch = batch as usize;
        let lapsed: Vec<String> =
            inner.counters.iter().filter(|(_, w)| w.lapsed(now, window)).map(|(k, _)| k.clone()).take(batch).collect();
        let ended: Vec<TokenDigest> = inner
            .sessions
            .iter()
            .filter(|(_, s)| now >= s.idle_expires_at || now >= s.absolute_expires_at)
            .map(|(k, _)| k.clone())
            .take(batch)
            .collect();
        let mut gone = lapsed.len() + ended.len();
        for k in &lapsed {
            inner.counters.remove(k);
        }
        for k in &ended {
            inner.sessions.remove(k);
        }
        let mut links = 0;
        for account in inner.accounts.values_mut() {
            links += account.forget_spent_links(now, batch - links).len();
        }
        inner.invite_tokens.clear();
        let tokens: Vec<_> = inner
            .accounts
            .values()
            .flat_map(|a| a.invites().filter_map(|i| i.token().map(|t| (t.clone(), a.id()))).collect::<Vec<_>>())
            .collect();
        inner.invite_tokens.extend(tokens);
        gone += links;
        Ok(gone as u64)
    }
}

/// Sorts by key, keeps what comes after `page.after`, and cuts one page.
fn after_key<T, K: Ord + Copy>(mut all: Vec<T>, page: PageRequest<K>, key: impl Fn(&T) -> K) -> Page<T, K> {
    all.sort_by_key(|t| key(t));
    all.retain(|t| page.after.is_none_or(|after| key(t) > after));
    Page::from_overfetch(all, page.limit, key)
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// Deterministic UUID v7s: a fixed millisecond base plus a counter, so runs repeat exactly.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl SequentialIds {
    /// A sequence whose first id is number `first + 1`, so separate runs never collide.
    pub fn starting_after(first: u64) -> Self {
        Self(AtomicU64::new(first))
    }
}

impl IdSource for SequentialIds {
    fn new_uuid(&self) -> Uuid {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        let mut tail = [0u8; 10];
        tail[2..].copy_from_slice(&n.to_be_bytes());
        // 2026-01-01T00:00:00Z in ms, plus n, keeps ids ordered like real v7 ids.
        uuid::Builder::from_unix_timestamp_millis(1_767_225_600_000 + n, &tail).into_uuid()
    }
}

/// Deterministic tokens `token-1`, `token-2`, ... Guessable: tests only.
#[derive(Debug, Default)]
pub struct SequentialTokens {
    next: AtomicU64,
    prefix: String,
}

impl SequentialTokens {
    /// Tokens `{prefix}-1`, `{prefix}-2`, ..., so separate runs never collide.
    pub fn prefixed(prefix: &str) -> Self {
        Self { next: AtomicU64::new(0), prefix: prefix.to_owned() }
    }
}

impl TokenGenerator for SequentialTokens {
    fn generate(&self) -> String {
        let prefix = if self.prefix.is_empty() { "token" } else { &self.prefix };
        format!("{prefix}-{}", self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

/// A "digest" that only prefixes the token. Reversible: tests only.
#[derive(Debug, Default, Clone, Copy)]
pub struct InsecureDigester;

impl TokenDigester for InsecureDigester {
    fn digest(&self, token: &str) -> TokenDigest {
        TokenDigest::new(format!("digest:{token}"))
    }
}

/// A "hasher" that stores the password behind a prefix. Reversible: tests only.
#[derive(Debug)]
pub struct InsecureHasher {
    decoy: PasswordHash,
}

impl Default for InsecureHasher {
    fn default() -> Self {
        Self { decoy: PasswordHash::new("insecure:\u{0}no one's password") }
    }
}

impl PasswordHasher for InsecureHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, StoreError> {
        Ok(PasswordHash::new(format!("insecure:{}", password.expose())))
    }

    async fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        hash.as_str().strip_prefix("insecure:") == Some(password)
    }

    fn decoy(&self) -> &PasswordHash {
        &self.decoy
    }
}

/// The in-memory [`Portal`](portal_domain::service::Portal) with deterministic doubles, for tests and examples.
pub type MemoryPortal = portal_domain::service::Portal<MemoryStore, InsecureHasher>;

/// A [`MemoryPortal`] whose clock starts at `now`; the returned clock moves it.
pub fn memory_portal(now: DateTime<Utc>) -> (MemoryPortal, std::sync::Arc<ManualClock>) {
    let clock = std::sync::Arc::new(ManualClock::new(now));
    let portal = portal_domain::service::Portal::new(
        MemoryStore::new(),
        InsecureHasher::default(),
        InsecureDigester,
        SequentialTokens::default(),
        clock.clone(),
        SequentialIds::default(),
    );
    (portal, clock)
}

/// Drives a future to completion on the calling thread, with no runtime: enough for the
/// in-memory store, whose futures never wait. A future that does wait is polled again after a
/// yield, so it still completes once it is woken by its own progress.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}
