//! Governance: the access review, the audit trail (each entry as its reader may see it), and
//! who held which access at an instant.

use chrono::{DateTime, Utc};

use super::{Portal, ServiceResult};
use crate::account::{AccountCommand, AuditEntry, Target, View};
use crate::actor::Actor;
use crate::ids::{AccountId, UserId};
use crate::permission::PermissionSet;
use crate::ports::{Page, PageRequest, PasswordHasher, SessionStore, Store};
use crate::review::{AccessReview, access_review};

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// The access review of the account now (needs `audit.view`).
    pub async fn access_review(&self, actor: &Actor, id: AccountId) -> ServiceResult<AccessReview> {
        let account = self.account(actor, id, View::Audit).await?;
        Ok(access_review(&account, self.clock.now()))
    }

    /// Records a completed access review, removing the members it names (needs `users.manage`).
    pub async fn record_access_review(
        &self,
        actor: &Actor,
        id: AccountId,
        confirmed: Vec<UserId>,
        removed: Vec<UserId>,
    ) -> ServiceResult<AccessReview> {
        let account = self.simple(actor, id, AccountCommand::RecordAccessReview { confirmed, removed }).await?;
        Ok(access_review(&account, self.clock.now()))
    }

    /// The account's audit trail, newest first (needs `audit.view`). Each entry shows its
    /// values only to who may read them elsewhere ([`AuditEntry`]).
    pub async fn audit_events(
        &self,
        actor: &Actor,
        id: AccountId,
        page: PageRequest<u64>,
    ) -> ServiceResult<Page<AuditEntry, u64>> {
        let (_, reader) = self.admit_to(actor, id, View::Audit).await?;
        let page = self.store.account_events(id, page).await?;
        Ok(Page { items: page.items.into_iter().map(|e| AuditEntry::for_reader(e, reader)).collect(), next: page.next })
    }

    /// The account's events about one target, newest first (needs `audit.view`).
    pub async fn target_events(
        &self,
        actor: &Actor,
        id: AccountId,
        target: Target,
        page: PageRequest<u64>,
    ) -> ServiceResult<Page<AuditEntry, u64>> {
        let (_, reader) = self.admit_to(actor, id, View::Audit).await?;
        let page = self.store.target_events(id, target, page).await?;
        Ok(Page { items: page.items.into_iter().map(|e| AuditEntry::for_reader(e, reader)).collect(), next: page.next })
    }

    /// Who held which permissions in the account at `instant`, from its events (needs `audit.view`).
    pub async fn access_at(
        &self,
        actor: &Actor,
        id: AccountId,
        instant: DateTime<Utc>,
    ) -> ServiceResult<Vec<(UserId, PermissionSet)>> {
        self.account(actor, id, View::Audit).await?;
        let history = self.store.account_history(id).await?;
        Ok(crate::review::access_at(&history, instant))
    }
}
