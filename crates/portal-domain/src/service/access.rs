//! Who may act: the acting user's status (rule 7) and their standing in an account (rule 2),
//! re-read on every request from one indexed read.

use super::{Portal, ServiceResult};
use crate::account::{Access, View};
use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::{AccountId, UserId};
use crate::permission::PermissionSet;
use crate::ports::{PasswordHasher, SessionStore, Store};
use crate::service::ACTIVITY_RESOLUTION;
use crate::user::{User, UserStatus};

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// The acting user, if active (rule 7: a disabled user can do nothing).
    pub async fn active_user(&self, user: UserId) -> ServiceResult<User> {
        let user = self.store.user(user).await?.ok_or(DomainError::UserNotFound)?;
        user.ensure_active()?;
        Ok(user)
    }

    /// Rule 7 for the actor, from the user's status alone: this runs on every request.
    pub(super) async fn check_actor(&self, actor: &Actor) -> ServiceResult<()> {
        if let Actor::User(user) = actor {
            UserStatus::may_act(self.store.user_status(*user).await?)?;
        }
        Ok(())
    }

    /// Whether `actor` may read `view` of an account, from one indexed read (rule 2 and rule 7,
    /// re-checked on every request). Returns the account's owner.
    pub async fn authorize(&self, actor: &Actor, account: AccountId, view: View) -> ServiceResult<UserId> {
        Ok(self.admit_to(actor, account, view).await?.0)
    }

    /// [`Portal::authorize`], with the permissions the actor holds there (the operator: all).
    pub(super) async fn admit_to(
        &self,
        actor: &Actor,
        account: AccountId,
        view: View,
    ) -> ServiceResult<(UserId, PermissionSet)> {
        match actor {
            Actor::User(user) => {
                let now = self.clock.now();
                // The actor's status and membership from one read: this runs on every request.
                let standing = self.store.standing(account, *user).await?;
                UserStatus::may_act(standing.as_ref().map(|(status, _)| *status))?;
                let access = standing.and_then(|(_, access)| access);
                Access::authorize_view(access.as_ref(), view, now)?;
                let access = access.ok_or(DomainError::AccountNotFound)?;
                if access.membership.last_active_at().is_none_or(|last| now - last >= ACTIVITY_RESOLUTION) {
                    self.store.record_activity(account, *user, now).await?;
                }
                Ok((access.owner, access.membership.permissions()))
            }
            Actor::Operator => {
                let owner = self.store.account(account).await?.ok_or(DomainError::AccountNotFound)?.owner();
                Ok((owner, PermissionSet::ALL))
            }
            Actor::InviteHolder => Err(DomainError::AccountNotFound.into()),
        }
    }
}
