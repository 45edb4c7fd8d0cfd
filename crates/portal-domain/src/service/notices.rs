//! Notices: who would receive one and why, recording one (operator) with an email per
//! recipient, and the record of who received which.

use super::run::Outcome;
use super::{Portal, ServiceResult};
use crate::account::{Account, AccountChange, AccountCommand, View};
use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::{AccountId, NoticeId, UserId};
use crate::notification::NotificationCategory;
use crate::ports::{Message, NoticeRecord, OutgoingEmail, Page, PageRequest, PasswordHasher, SessionStore, Store};
use crate::routing::{MemberAddress, MemberDirectory, Recipient, route};
use crate::user::UserStatus;
use crate::values::CompanyName;

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// The members' addresses and preferences, for routing.
    async fn directory(&self, account: &Account) -> ServiceResult<MemberDirectory> {
        let ids: Vec<UserId> = account.members().iter().map(|m| m.user()).collect();
        let users = self.store.users(&ids).await?;
        Ok(MemberDirectory::new(users.into_iter().map(|u| MemberAddress {
            user: u.id(),
            email: u.email().clone(),
            preferences: u.preferences(),
            disabled: u.status() == UserStatus::Disabled,
        })))
    }

    /// Who would receive a notice of `category` now, and why (needs `notices.view`).
    pub async fn notice_recipients(
        &self,
        actor: &Actor,
        id: AccountId,
        category: NotificationCategory,
    ) -> ServiceResult<Vec<Recipient>> {
        let account = self.account(actor, id, View::Notices).await?;
        let directory = self.directory(&account).await?;
        Ok(route(&account, &directory, category, self.clock.now()))
    }

    /// Records a notice from the provider (operator) and queues one email per recipient.
    pub async fn send_notice(
        &self,
        id: AccountId,
        category: NotificationCategory,
        subject: CompanyName,
    ) -> ServiceResult<(NoticeId, Vec<Recipient>)> {
        let notice = NoticeId::from_uuid(self.ids.new_uuid());
        let account = self.store.account(id).await?.ok_or(DomainError::AccountNotFound)?;
        let directory = self.directory(&account).await?;
        let (_, recipients) = self
            .run_account_unchecked(id, |account, now| {
                let command = AccountCommand::RecordNotice {
                    notice,
                    category,
                    subject: subject.clone(),
                    directory: directory.clone(),
                };
                let events = account.decide(&Actor::Operator, command, now)?;
                let recipients = events
                    .iter()
                    .find_map(|e| match &e.change {
                        AccountChange::NoticeRecorded { recipients, .. } => Some(recipients.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                let outbox = recipients
                    .iter()
                    .map(|r| OutgoingEmail {
                        to: r.email.clone(),
                        message: Message::Notice {
                            account: id,
                            notice,
                            category,
                            subject: subject.clone(),
                            reason: r.reason,
                        },
                    })
                    .collect();
                Ok(Outcome { events, outbox, value: recipients })
            })
            .await?;
        Ok((notice, recipients))
    }

    /// A page of the notices sent to the account, each with who received it and why (needs `notices.view`).
    pub async fn notices(
        &self,
        actor: &Actor,
        account: AccountId,
        page: PageRequest<NoticeId>,
    ) -> ServiceResult<Page<NoticeRecord, NoticeId>> {
        self.authorize(actor, account, View::Notices).await?;
        Ok(self.store.notices_page(account, page).await?)
    }
}
