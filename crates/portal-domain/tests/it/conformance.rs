//! The in-memory store passes the conformance suite, and the suite catches a store that breaks
//! the contract (so a passing adapter means something).

use portal_domain::account::Account;
use portal_domain::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use portal_domain::ports::{Changes, CommitError, Page, PageRequest, Store, StoreError, StoredEvent};
use portal_domain::user::User;
use portal_domain::values::{EmailAddress, TokenDigest};
use portal_domain::{AccountEvent, UserEvent};
use portal_testkit::conformance::check_store;
use portal_testkit::memory::{MemoryStore, block_on};

#[test]
fn the_memory_store_keeps_the_contract() {
    assert_eq!(block_on(check_store(async || MemoryStore::new())), Ok(()));
    assert_eq!(block_on(portal_testkit::conformance::check_session_store(async || MemoryStore::new())), Ok(()));
}

/// Forwards everything but ignores versions on commit: last writer wins.
struct LastWriterWins(MemoryStore);

impl Store for LastWriterWins {
    async fn commit(&self, mut changes: Changes) -> Result<(), CommitError> {
        for a in &mut changes.accounts {
            a.expected_version = self.0.account(a.state.id()).await?.map_or(0, |s| s.version());
        }
        for u in &mut changes.users {
            u.expected_version = self.0.user(u.state.id()).await?.map_or(0, |s| s.version());
        }
        self.0.commit(changes).await
    }
    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.0.account(id).await
    }
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.0.user(id).await
    }
    async fn user_by_email(&self, email: &EmailAddress) -> Result<Option<User>, StoreError> {
        self.0.user_by_email(email).await
    }
    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        self.0.users(ids).await
    }
    async fn account_by_invite_token(&self, token: &TokenDigest) -> Result<Option<AccountId>, StoreError> {
        self.0.account_by_invite_token(token).await
    }
    async fn accounts_of(
        &self,
        user: UserId,
        page: PageRequest<AccountId>,
    ) -> Result<Page<AccountId, AccountId>, StoreError> {
        self.0.accounts_of(user, page).await
    }
    async fn account_events(
        &self,
        account: AccountId,
        page: PageRequest<u64>,
    ) -> Result<Page<StoredEvent, u64>, StoreError> {
        self.0.account_events(account, page).await
    }
    async fn account_history(&self, account: AccountId) -> Result<Vec<AccountEvent>, StoreError> {
        self.0.account_history(account).await
    }
    async fn user_events(&self, user: UserId) -> Result<Vec<UserEvent>, StoreError> {
        self.0.user_events(user).await
    }
    async fn access(&self, a: AccountId, u: UserId) -> Result<Option<portal_domain::account::Access>, StoreError> {
        self.0.access(a, u).await
    }
    async fn members_page(
        &self,
        a: AccountId,
        p: PageRequest<UserId>,
    ) -> Result<Page<portal_domain::account::Membership, UserId>, StoreError> {
        self.0.members_page(a, p).await
    }
    async fn invites_page(
        &self,
        a: AccountId,
        p: PageRequest<InviteId>,
    ) -> Result<Page<portal_domain::account::Invite, InviteId>, StoreError> {
        self.0.invites_page(a, p).await
    }
    async fn contacts_page(
        &self,
        a: AccountId,
        p: PageRequest<ContactId>,
    ) -> Result<Page<portal_domain::account::Contact, ContactId>, StoreError> {
        self.0.contacts_page(a, p).await
    }
    async fn notices_page(
        &self,
        a: AccountId,
        p: PageRequest<NoticeId>,
    ) -> Result<Page<portal_domain::ports::NoticeRecord, NoticeId>, StoreError> {
        self.0.notices_page(a, p).await
    }
    async fn open_invites_of(&self, a: AccountId, n: usize) -> Result<Vec<portal_domain::account::Invite>, StoreError> {
        self.0.open_invites_of(a, n).await
    }
    async fn open_invites_for(
        &self,
        e: &EmailAddress,
        n: usize,
    ) -> Result<Vec<(AccountId, portal_domain::account::Invite)>, StoreError> {
        self.0.open_invites_for(e, n).await
    }
    async fn accounts_page(
        &self,
        p: PageRequest<AccountId>,
    ) -> Result<Page<portal_domain::ports::AccountListing, AccountId>, StoreError> {
        self.0.accounts_page(p).await
    }
    async fn target_events(
        &self,
        a: AccountId,
        t: portal_domain::account::Target,
        p: PageRequest<u64>,
    ) -> Result<Page<StoredEvent, u64>, StoreError> {
        self.0.target_events(a, t, p).await
    }
    async fn record_activity(
        &self,
        a: AccountId,
        u: UserId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.0.record_activity(a, u, at).await
    }
    async fn record_login(&self, u: UserId, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        self.0.record_login(u, at).await
    }
}

#[test]
fn the_suite_catches_a_store_that_ignores_versions() {
    let outcome = block_on(check_store(async || LastWriterWins(MemoryStore::new())));
    let failure = outcome.unwrap_err();
    assert!(failure.starts_with("stale_version_conflicts_and_writes_nothing"), "{failure}");
}
