//! Contacts: people who never sign in but receive the notice categories chosen for them.

use super::run::{Outcome, precondition};
use super::{Portal, ServiceResult};
use crate::account::{Account, AccountCommand, Contact, ContactPatch, NewContact, View};
use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::{AccountId, ContactId};
use crate::notification::CategorySet;
use crate::ports::{Page, PageRequest, PasswordHasher, SessionStore, Store};
use crate::values::{CompanyName, EmailAddress, PersonName, PhoneNumber};

/// A contact as asked for by a member.
#[derive(Debug, Clone)]
pub struct ContactRequest {
    /// Name.
    pub name: PersonName,
    /// Email.
    pub email: EmailAddress,
    /// Phone.
    pub phone: Option<PhoneNumber>,
    /// Company.
    pub company: Option<CompanyName>,
    /// Categories received.
    pub categories: CategorySet,
}

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// Adds a contact.
    pub async fn add_contact(&self, actor: &Actor, id: AccountId, request: ContactRequest) -> ServiceResult<Contact> {
        let contact = ContactId::from_uuid(self.ids.new_uuid());
        let command = AccountCommand::AddContact(NewContact {
            id: contact,
            name: request.name,
            email: request.email,
            phone: request.phone,
            company: request.company,
            categories: request.categories,
        });
        let account = self.simple(actor, id, command).await?;
        account.contact(contact).cloned().ok_or_else(|| DomainError::ContactNotFound.into())
    }

    /// Changes a contact. `if_match` is the contact's version.
    pub async fn edit_contact(
        &self,
        actor: &Actor,
        id: AccountId,
        contact: ContactId,
        patch: ContactPatch,
        if_match: Option<u64>,
    ) -> ServiceResult<Contact> {
        let (account, ()) = self
            .run_account(actor, id, |account, now| {
                if let Some(c) = account.contact(contact) {
                    precondition(if_match, c.version())?;
                }
                let command = AccountCommand::EditContact { contact, patch: patch.clone() };
                Ok(Outcome::events(account.decide(actor, command, now)?, ()))
            })
            .await?;
        account.contact(contact).cloned().ok_or_else(|| DomainError::ContactNotFound.into())
    }

    /// Removes a contact.
    pub async fn remove_contact(&self, actor: &Actor, id: AccountId, contact: ContactId) -> ServiceResult<Account> {
        self.simple(actor, id, AccountCommand::RemoveContact { contact }).await
    }

    /// A page of the account's contacts (needs `contacts.manage`).
    pub async fn contacts(
        &self,
        actor: &Actor,
        account: AccountId,
        page: PageRequest<ContactId>,
    ) -> ServiceResult<Page<Contact, ContactId>> {
        self.authorize(actor, account, View::Contacts).await?;
        Ok(self.store.contacts_page(account, page).await?)
    }

    /// One contact (needs `contacts.manage`).
    pub async fn contact(&self, actor: &Actor, account: AccountId, contact: ContactId) -> ServiceResult<Contact> {
        let state = self.account(actor, account, View::Contacts).await?;
        state.contact(contact).cloned().ok_or_else(|| DomainError::ContactNotFound.into())
    }
}
