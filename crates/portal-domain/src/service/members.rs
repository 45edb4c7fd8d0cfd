//! Members: the member list, one member, editing another's access, removing, leaving.

use std::collections::HashMap;

use super::run::{Outcome, precondition};
use super::{Portal, ServiceResult};
use crate::account::{Account, AccountCommand, EditMember, Membership, View};
use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::{AccountId, UserId};
use crate::ports::{MemberView, Page, PageRequest, PasswordHasher, SessionStore, Store, StoreError};
use crate::user::User;

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// A page of the account's members with who they are (needs `users.manage`).
    pub async fn members(
        &self,
        actor: &Actor,
        account: AccountId,
        page: PageRequest<UserId>,
    ) -> ServiceResult<Page<MemberView, UserId>> {
        let owner = self.authorize(actor, account, View::Members).await?;
        Ok(self.store.member_rows_page(account, owner, page).await?)
    }

    /// One member (needs `users.manage`, or be that member).
    pub async fn member(&self, actor: &Actor, account: AccountId, user: UserId) -> ServiceResult<MemberView> {
        let view = if actor.user() == Some(user) { View::Summary } else { View::Members };
        let owner = self.authorize(actor, account, view).await?;
        let access = self.store.access(account, user).await?.ok_or(DomainError::MemberNotFound)?;
        self.member_views(owner, vec![access.membership]).await?.pop().ok_or_else(|| DomainError::MemberNotFound.into())
    }

    async fn member_views(&self, owner: UserId, memberships: Vec<Membership>) -> ServiceResult<Vec<MemberView>> {
        let ids: Vec<UserId> = memberships.iter().map(Membership::user).collect();
        let users: HashMap<UserId, User> = self.store.users(&ids).await?.into_iter().map(|u| (u.id(), u)).collect();
        memberships
            .into_iter()
            .map(|m| {
                let user =
                    users.get(&m.user()).ok_or_else(|| StoreError::corrupt("memberships", m.user(), "no such user"))?;
                Ok(MemberView {
                    is_owner: m.user() == owner,
                    email: user.email().clone(),
                    name: user.name().clone(),
                    membership: m,
                })
            })
            .collect()
    }

    /// Changes another member's access. `if_match` is the membership's version. Returns the
    /// member as the list shows them.
    pub async fn edit_member(
        &self,
        actor: &Actor,
        id: AccountId,
        edit: EditMember,
        if_match: Option<u64>,
    ) -> ServiceResult<MemberView> {
        let user = edit.user;
        let (account, ()) = self
            .run_account(actor, id, |account, now| {
                if let Some(m) = account.member(user) {
                    precondition(if_match, m.version())?;
                }
                Ok(Outcome::events(account.decide(actor, AccountCommand::EditMember(edit.clone()), now)?, ()))
            })
            .await?;
        let membership = account.member(user).cloned().ok_or(DomainError::MemberNotFound)?;
        self.member_views(account.owner(), vec![membership])
            .await?
            .pop()
            .ok_or_else(|| DomainError::MemberNotFound.into())
    }

    /// Removes another member; they can do nothing in the account from their next request.
    pub async fn remove_member(&self, actor: &Actor, id: AccountId, user: UserId) -> ServiceResult<Account> {
        self.simple(actor, id, AccountCommand::RemoveMember { user }).await
    }

    /// Leaves an account.
    pub async fn leave(&self, actor: &Actor, id: AccountId) -> ServiceResult<Account> {
        self.simple(actor, id, AccountCommand::Leave).await
    }
}
