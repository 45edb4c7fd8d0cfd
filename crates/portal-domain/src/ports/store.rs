//! The store port: aggregates, their events, lists and the outbox, with the defaults a store
//! without a better way uses.

use super::*;

/// [`Store::standing`] from [`Store::user_status`] and [`Store::access`]: its default, for a
/// store that has no better way.
pub async fn standing_of<S: Store + ?Sized>(
    store: &S,
    account: AccountId,
    user: UserId,
) -> Result<Option<(UserStatus, Option<Access>)>, StoreError> {
    let Some(status) = store.user_status(user).await? else { return Ok(None) };
    Ok(Some((status, store.access(account, user).await?)))
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
    owner: UserId,
    page: PageRequest<UserId>,
) -> Result<Page<MemberView, UserId>, StoreError> {
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
            let is_owner = membership.user() == owner;
            Ok(MemberView { email: user.email().clone(), name: user.name().clone(), is_owner, membership })
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
        standing_of(self, account, user)
    }

    /// The account's memberships by user id ascending, starting after `page.after`. MUST read no
    /// more rows than the page needs.
    fn members_page(
        &self,
        account: AccountId,
        page: PageRequest<UserId>,
    ) -> impl Future<Output = Result<Page<Membership, UserId>, StoreError>> + Send;

    /// [`Store::members_page`] with each member's email and name, `owner` marked as such. The
    /// default reads the page, then its users; a SQL store answers with one join, reading two
    /// columns of each user rather than the whole user.
    fn member_rows_page(
        &self,
        account: AccountId,
        owner: UserId,
        page: PageRequest<UserId>,
    ) -> impl Future<Output = Result<Page<MemberView, UserId>, StoreError>> + Send {
        member_rows_of(self, account, owner, page)
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

    /// The account's open invites (pending or expired, not answered) by id ascending, at most
    /// `limit` of them: what a members page lists beside the members, without the answered ones.
    fn open_invites_of(
        &self,
        account: AccountId,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Invite>, StoreError>> + Send;

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
