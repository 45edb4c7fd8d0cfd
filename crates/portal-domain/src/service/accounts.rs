//! Accounts: the picker, opening another account, reading and changing the master profile,
//! handing ownership over and closing.

use chrono::{DateTime, Utc};

use super::mfa::Confirmed;
use super::run::{Outcome, precondition};
use super::{Portal, ServiceError, ServiceResult};
use crate::account::{
    Account, AccountCommand, AccountEvent, AccountSummary, Profile, ProfilePatch, View, open_account,
};
use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::{AccountId, UserId};
use crate::ports::{Changes, Page, PageRequest, PasswordHasher, Saved, SessionStore, Store};
use crate::values::{CompanyName, EmailAddress};

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// The accounts the user belongs to, for the account picker.
    pub async fn account_summaries(
        &self,
        user: UserId,
        page: PageRequest<AccountId>,
    ) -> ServiceResult<Page<AccountSummary, AccountId>> {
        let page = self.store.memberships_of(user, page).await?;
        let now = self.clock.now();
        let items = page
            .items
            .into_iter()
            .filter_map(|listing| AccountSummary::of(listing.account, listing.display_name, listing.access, user, now))
            .collect();
        Ok(Page { items, next: page.next })
    }

    /// Opens another account owned by the signed-in user.
    pub async fn create_account(
        &self,
        user: UserId,
        display_name: CompanyName,
        company: Option<CompanyName>,
    ) -> ServiceResult<Account> {
        let owner = self.active_user(user).await?;
        let (account, save) = self.opened(user, display_name, company, owner.email().clone(), self.clock.now())?;
        self.store.commit(Changes { accounts: vec![save], ..Changes::default() }).await?;
        Ok(account)
    }

    /// A new account owned by `owner`, and the save that creates it; its primary email is the
    /// owner's, the rest of its profile empty until edited.
    pub(super) fn opened(
        &self,
        owner: UserId,
        display_name: CompanyName,
        company: Option<CompanyName>,
        primary_email: EmailAddress,
        now: DateTime<Utc>,
    ) -> ServiceResult<(Account, Saved<Account, AccountEvent>)> {
        let profile = Profile { display_name, company, primary_email, phone: None, address: None, tax_id: None };
        let opened = open_account(AccountId::from_uuid(self.ids.new_uuid()), owner, profile, now);
        let account = Account::from_opened(&opened).ok_or(ServiceError::Internal("opening event"))?;
        Ok((account.clone(), Saved { state: account, expected_version: 0, events: vec![opened] }))
    }

    /// Reads an account, if the actor may see `view` of it.
    pub async fn account(&self, actor: &Actor, id: AccountId, view: View) -> ServiceResult<Account> {
        self.check_actor(actor).await?;
        let account = self.store.account(id).await?.ok_or(DomainError::AccountNotFound)?;
        account.authorize_view(actor, view, self.clock.now())?;
        Ok(account)
    }

    /// Changes the master profile. `if_match` is the account version the caller read.
    pub async fn update_profile(
        &self,
        actor: &Actor,
        id: AccountId,
        patch: ProfilePatch,
        if_match: Option<u64>,
    ) -> ServiceResult<Account> {
        let (account, ()) = self
            .run_account(actor, id, |account, now| {
                precondition(if_match, account.version())?;
                Ok(Outcome::events(account.decide(actor, AccountCommand::UpdateProfile(patch.clone()), now)?, ()))
            })
            .await?;
        Ok(account)
    }

    /// Hands ownership to another member (owner only); a sensitive change, so only for a user
    /// who just confirmed who they are ([`Portal::confirm_sensitive`]).
    pub async fn transfer_ownership(&self, confirmed: &Confirmed, id: AccountId, to: UserId) -> ServiceResult<Account> {
        self.simple(&Actor::User(confirmed.user()), id, AccountCommand::TransferOwnership { to }).await
    }

    /// Closes the account (owner only); a sensitive change, as [`Portal::transfer_ownership`].
    pub async fn close_account(&self, confirmed: &Confirmed, id: AccountId) -> ServiceResult<Account> {
        self.simple(&Actor::User(confirmed.user()), id, AccountCommand::Close).await
    }
}
