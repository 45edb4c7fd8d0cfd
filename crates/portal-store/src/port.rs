//! The one way in: the domain's `Store` port on [`SqlStore`](crate::SqlStore). Each method calls the inherent method
//! of the same name, in `commit.rs` (the one write) or under `reads/`.

use chrono::{DateTime, Utc};
use portal_domain::account::{Access, Account, AccountEvent, Contact, Invite, Membership, Target};
use portal_domain::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use portal_domain::ports::{
    AccountListing, Changes, CommitError, MemberView, MembershipListing, NoticeRecord, Page, PageRequest,
    Store as StorePort, StoreError, StoredEvent,
};
use portal_domain::user::{User, UserEvent, UserStatus};
use portal_domain::values::{EmailAddress, TokenDigest};

use crate::SqlStore;

impl StorePort for SqlStore {
    async fn commit(&self, changes: Changes) -> Result<(), CommitError> {
        SqlStore::commit(self, changes).await
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        SqlStore::account(self, id).await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        SqlStore::user(self, id).await
    }

    async fn user_status(&self, id: UserId) -> Result<Option<UserStatus>, StoreError> {
        SqlStore::user_status(self, id).await
    }

    async fn user_by_email(&self, email: &EmailAddress) -> Result<Option<User>, StoreError> {
        SqlStore::user_by_email(self, email).await
    }

    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        SqlStore::users(self, ids).await
    }

    async fn account_by_invite_token(&self, token: &TokenDigest) -> Result<Option<AccountId>, StoreError> {
        SqlStore::account_by_invite_token(self, token).await
    }

    async fn accounts_of(
        &self,
        user: UserId,
        req: PageRequest<AccountId>,
    ) -> Result<Page<AccountId, AccountId>, StoreError> {
        SqlStore::accounts_of(self, user, req).await
    }

    async fn account_events(
        &self,
        account: AccountId,
        req: PageRequest<u64>,
    ) -> Result<Page<StoredEvent, u64>, StoreError> {
        SqlStore::account_events(self, account, req).await
    }

    async fn account_history(&self, account: AccountId) -> Result<Vec<AccountEvent>, StoreError> {
        SqlStore::account_history(self, account).await
    }

    async fn user_events(&self, user: UserId) -> Result<Vec<UserEvent>, StoreError> {
        SqlStore::user_events(self, user).await
    }

    async fn access(&self, account: AccountId, user: UserId) -> Result<Option<Access>, StoreError> {
        SqlStore::access(self, account, user).await
    }

    async fn standing(
        &self,
        account: AccountId,
        user: UserId,
    ) -> Result<Option<(UserStatus, Option<Access>)>, StoreError> {
        SqlStore::standing(self, account, user).await
    }

    async fn members_page(
        &self,
        account: AccountId,
        req: PageRequest<UserId>,
    ) -> Result<Page<Membership, UserId>, StoreError> {
        SqlStore::members_page(self, account, req).await
    }

    async fn memberships_of(
        &self,
        user: UserId,
        req: PageRequest<AccountId>,
    ) -> Result<Page<MembershipListing, AccountId>, StoreError> {
        SqlStore::memberships_of(self, user, req).await
    }

    async fn member_rows_page(
        &self,
        account: AccountId,
        owner: UserId,
        req: PageRequest<UserId>,
    ) -> Result<Page<MemberView, UserId>, StoreError> {
        SqlStore::member_rows_page(self, account, owner, req).await
    }

    async fn invites_page(
        &self,
        account: AccountId,
        req: PageRequest<InviteId>,
    ) -> Result<Page<Invite, InviteId>, StoreError> {
        SqlStore::invites_page(self, account, req).await
    }

    async fn contacts_page(
        &self,
        account: AccountId,
        req: PageRequest<ContactId>,
    ) -> Result<Page<Contact, ContactId>, StoreError> {
        SqlStore::contacts_page(self, account, req).await
    }

    async fn notices_page(
        &self,
        account: AccountId,
        req: PageRequest<NoticeId>,
    ) -> Result<Page<NoticeRecord, NoticeId>, StoreError> {
        SqlStore::notices_page(self, account, req).await
    }

    async fn open_invites_of(&self, account: AccountId, limit: usize) -> Result<Vec<Invite>, StoreError> {
        SqlStore::open_invites_of(self, account, limit).await
    }

    async fn open_invites_for(
        &self,
        email: &EmailAddress,
        limit: usize,
    ) -> Result<Vec<(AccountId, Invite)>, StoreError> {
        SqlStore::open_invites_for(self, email, limit).await
    }

    async fn accounts_page(&self, req: PageRequest<AccountId>) -> Result<Page<AccountListing, AccountId>, StoreError> {
        SqlStore::accounts_page(self, req).await
    }

    async fn target_events(
        &self,
        account: AccountId,
        target: Target,
        req: PageRequest<u64>,
    ) -> Result<Page<StoredEvent, u64>, StoreError> {
        SqlStore::target_events(self, account, target, req).await
    }

    async fn record_activity(&self, account: AccountId, user: UserId, at: DateTime<Utc>) -> Result<(), StoreError> {
        SqlStore::record_activity(self, account, user, at).await
    }

    async fn record_login(&self, user: UserId, at: DateTime<Utc>) -> Result<(), StoreError> {
        SqlStore::record_login(self, user, at).await
    }
}
