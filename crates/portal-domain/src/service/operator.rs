//! The provider's operator: keys, the list of every account, disabling a user, and naming a
//! new owner for an account whose owner has gone.

use super::{AuthError, AuthResult, Portal, ServiceResult};
use crate::account::{Account, AccountCommand};
use crate::actor::Actor;
use crate::ids::{AccountId, UserId};
use crate::ports::{AccountListing, Page, PageRequest, PasswordHasher, SessionStore, Store};
use crate::user::{User, UserCommand};

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// Creates an operator key labelled `label`; the returned secret is shown once and stored
    /// only as a digest.
    pub async fn create_operator_key(&self, label: &str) -> ServiceResult<String> {
        let token = self.tokens.generate();
        self.store
            .create_operator_key(self.ids.new_uuid(), &self.digester.digest(&token), label, self.clock.now())
            .await?;
        Ok(token)
    }

    /// Whether `key` is an operator key. `InvalidCredentials` if not.
    pub async fn authenticate_operator(&self, key: &str) -> AuthResult<()> {
        if self.store.operator_key_exists(&self.digester.digest(key)).await? {
            Ok(())
        } else {
            Err(AuthError::InvalidCredentials)
        }
    }

    /// Every account, by id (the operator's list).
    pub async fn admin_accounts(&self, page: PageRequest<AccountId>) -> ServiceResult<Page<AccountListing, AccountId>> {
        Ok(self.store.accounts_page(page).await?)
    }

    /// Disables a user everywhere. Takes effect on their next request.
    pub async fn disable_user(&self, user: UserId) -> ServiceResult<User> {
        self.run_user(user, Actor::Operator, None, User::version, UserCommand::Disable).await
    }

    /// Names a new owner for an account whose owner has gone.
    pub async fn reassign_owner(&self, id: AccountId, to: UserId, remove_previous: bool) -> ServiceResult<Account> {
        self.simple(&Actor::Operator, id, AccountCommand::ReassignOwner { to, remove_previous }).await
    }
}
