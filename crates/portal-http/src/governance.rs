//! Contacts, notices and governance: who receives what, who received what and why, who has
//! access and who approved it.

use std::sync::Arc;

use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use portal_domain::Actor;
use portal_domain::account::Target;
use portal_domain::ids::{AccountId, ContactId, NoticeId, UserId};
use portal_domain::notification::NotificationCategory;
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::Portal;
use portal_domain::values::CompanyName;

use crate::api::{NoContent, caller, etag, if_match, page_request};
use crate::dto::*;
use crate::error::ApiResult;
use crate::security::BearerAuth;
use crate::tags::ApiTags;

macro_rules! debug_as_name {
    ($name:ident) => {
        impl<S, H> std::fmt::Debug for $name<S, H> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }
    };
}

fn account(id: &Path<uuid::Uuid>) -> AccountId {
    AccountId::from_uuid(id.0)
}

/// Contacts.
pub struct ContactsApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
}
debug_as_name!(ContactsApi);

/// A page of contacts.
#[derive(Debug, ApiResponse)]
pub enum ContactPageOk {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<ContactPage>),
}

/// A contact, with its version.
#[derive(Debug, ApiResponse)]
pub enum ContactOk {
    /// The contact.
    #[oai(status = 200)]
    Ok(Json<ContactResponse>, #[oai(header = "ETag")] String),
}

/// A new contact.
#[derive(Debug, ApiResponse)]
pub enum ContactCreated {
    /// Added.
    #[oai(status = 201)]
    Created(Json<ContactResponse>, #[oai(header = "ETag")] String),
}

#[OpenApi(prefix_path = "/accounts", tag = "ApiTags::Contacts")]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> ContactsApi<S, H> {
    /// The account's contacts (needs `contacts.manage`).
    #[oai(path = "/:id/contacts", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        cursor: Query<Option<String>>,
        limit: Query<Option<crate::wire::PageLimit>>,
    ) -> ApiResult<ContactPageOk> {
        let me = caller(&self.portal, &auth).await?;
        let request = page_request::<ContactId>(cursor.0.as_deref(), limit.0)?;
        let page = self.portal.contacts(&Actor::User(me), account(&id), request).await?;
        Ok(ContactPageOk::Ok(Json(ContactPage {
            items: page.items.iter().map(ContactResponse::from).collect(),
            next_cursor: page.next.map(|c| c.to_string()),
        })))
    }

    /// Add a contact and choose the notices it receives (needs `contacts.manage`).
    #[oai(path = "/:id/contacts", method = "post")]
    async fn create(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        body: Json<CreateContactRequest>,
    ) -> ApiResult<ContactCreated> {
        let me = caller(&self.portal, &auth).await?;
        let contact = self.portal.add_contact(&Actor::User(me), account(&id), body.0.try_into_domain()?).await?;
        Ok(ContactCreated::Created(Json(ContactResponse::from(&contact)), etag(contact.version())))
    }

    /// One contact (needs `contacts.manage`).
    #[oai(path = "/:id/contacts/:contact_id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<uuid::Uuid>, contact_id: Path<uuid::Uuid>) -> ApiResult<ContactOk> {
        let me = caller(&self.portal, &auth).await?;
        let contact = self.portal.contact(&Actor::User(me), account(&id), ContactId::from_uuid(contact_id.0)).await?;
        Ok(ContactOk::Ok(Json(ContactResponse::from(&contact)), etag(contact.version())))
    }

    /// Change a contact (needs `contacts.manage`). Send `If-Match` with its `ETag`.
    #[oai(path = "/:id/contacts/:contact_id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        contact_id: Path<uuid::Uuid>,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        body: Json<UpdateContactRequest>,
    ) -> ApiResult<ContactOk> {
        let me = caller(&self.portal, &auth).await?;
        let expected = if_match(version.0.as_deref())?;
        let patch = body.0.try_into_domain()?;
        let contact = self
            .portal
            .edit_contact(&Actor::User(me), account(&id), ContactId::from_uuid(contact_id.0), patch, expected)
            .await?;
        Ok(ContactOk::Ok(Json(ContactResponse::from(&contact)), etag(contact.version())))
    }

    /// Remove a contact (needs `contacts.manage`).
    #[oai(path = "/:id/contacts/:contact_id", method = "delete")]
    async fn remove(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        contact_id: Path<uuid::Uuid>,
    ) -> ApiResult<NoContent> {
        let me = caller(&self.portal, &auth).await?;
        self.portal.remove_contact(&Actor::User(me), account(&id), ContactId::from_uuid(contact_id.0)).await?;
        Ok(NoContent::Done)
    }
}

/// Notices and governance.
pub struct GovernanceApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
}
debug_as_name!(GovernanceApi);

/// Recipients of a notice.
#[derive(Debug, ApiResponse)]
pub enum RecipientsOk {
    /// Each recipient once, with the reason.
    #[oai(status = 200)]
    Ok(Json<Vec<RecipientResponse>>),
}

/// A page of notices.
#[derive(Debug, ApiResponse)]
pub enum NoticePageOk {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<NoticePage>),
}

/// A page of the audit trail.
#[derive(Debug, ApiResponse)]
pub enum AuditPageOk {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<AuditPage>),
}

/// The access review.
#[derive(Debug, ApiResponse)]
pub enum ReviewOk {
    /// The review as of now.
    #[oai(status = 200)]
    Ok(Json<AccessReviewResponse>),
}

#[OpenApi(prefix_path = "/accounts")]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> GovernanceApi<S, H> {
    /// Who would receive a notice of this category now, and why (needs `notices.view`).
    #[oai(path = "/:id/notices/recipients", method = "get", tag = "ApiTags::Notices")]
    async fn recipients(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        category: Query<String>,
    ) -> ApiResult<RecipientsOk> {
        let me = caller(&self.portal, &auth).await?;
        let category = field("category", NotificationCategory::from_key(&category.0))?;
        let recipients = self.portal.notice_recipients(&Actor::User(me), account(&id), category).await?;
        Ok(RecipientsOk::Ok(Json(recipients.iter().map(RecipientResponse::from).collect())))
    }

    /// Send a notice to an account (operator only): routed to the members and contacts it concerns (the owner
    /// when nobody else), one email each, recorded with every recipient's reason.
    #[oai(path = "/:id/notices", method = "post", tag = "ApiTags::Notices")]
    async fn send_notice(
        &self,
        auth: crate::security::OperatorAuth,
        id: Path<uuid::Uuid>,
        body: Json<SendNoticeRequest>,
    ) -> ApiResult<crate::operator::NoticeCreated> {
        crate::operator::operator(&self.portal, &auth).await?;
        let category = field("category", NotificationCategory::from_key(&body.0.category))?;
        let subject = field("subject", CompanyName::parse(&body.0.subject))?;
        let (notice, recipients) =
            self.portal.send_notice(AccountId::from_uuid(id.0), category, subject.clone()).await?;
        Ok(crate::operator::NoticeCreated::Created(Json(NoticeResponse {
            id: notice.as_uuid(),
            category: category.key().to_owned(),
            subject: subject.to_string(),
            at: self.portal.now(),
            recipients: recipients.iter().map(RecipientResponse::from).collect(),
        })))
    }

    /// The notices sent to the account: who received what, and why (needs `notices.view`).
    #[oai(path = "/:id/notices", method = "get", tag = "ApiTags::Notices")]
    async fn notices(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        cursor: Query<Option<String>>,
        limit: Query<Option<crate::wire::PageLimit>>,
    ) -> ApiResult<NoticePageOk> {
        let me = caller(&self.portal, &auth).await?;
        let request = page_request::<NoticeId>(cursor.0.as_deref(), limit.0)?;
        let page = self.portal.notices(&Actor::User(me), account(&id), request).await?;
        let items = page
            .items
            .iter()
            .map(|n| NoticeResponse {
                id: n.id.as_uuid(),
                category: n.category.key().to_owned(),
                subject: n.subject.to_string(),
                at: n.at,
                recipients: n.recipients.iter().map(RecipientResponse::from).collect(),
            })
            .collect();
        Ok(NoticePageOk::Ok(Json(NoticePage { items, next_cursor: page.next.map(|n| n.to_string()) })))
    }

    /// The audit trail, newest first: who did what to whom, when (needs `audit.view`). Filter
    /// by `target` (`member:<id>`, `invite:<id>`, `contact:<id>`, `account`).
    #[oai(path = "/:id/audit-events", method = "get", tag = "ApiTags::Governance")]
    async fn audit(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        target: Query<Option<String>>,
        cursor: Query<Option<String>>,
        limit: Query<Option<crate::wire::PageLimit>>,
    ) -> ApiResult<AuditPageOk> {
        let me = caller(&self.portal, &auth).await?;
        let request = page_request::<u64>(cursor.0.as_deref(), limit.0)?;
        let actor = Actor::User(me);
        let page = match target.0.as_deref() {
            None => self.portal.audit_events(&actor, account(&id), request).await?,
            Some(t) => {
                self.portal.target_events(&actor, account(&id), field("target", parse_target(t))?, request).await?
            }
        };
        Ok(AuditPageOk::Ok(Json(AuditPage {
            items: page.items.iter().map(AuditEventResponse::from).collect(),
            next_cursor: page.next.map(|s| s.to_string()),
        })))
    }

    /// The access review: every member with their permissions (sensitive ones flagged), who
    /// invited them, last activity, end date and flags; open invites; contacts (needs `audit.view`).
    #[oai(path = "/:id/access-review", method = "get", tag = "ApiTags::Governance")]
    async fn review(&self, auth: BearerAuth, id: Path<uuid::Uuid>) -> ApiResult<ReviewOk> {
        let me = caller(&self.portal, &auth).await?;
        let review = self.portal.access_review(&Actor::User(me), account(&id)).await?;
        Ok(ReviewOk::Ok(Json(AccessReviewResponse::from(&review))))
    }

    /// Record a completed access review, removing the members it names (needs `users.manage`).
    #[oai(path = "/:id/access-review", method = "post", tag = "ApiTags::Governance")]
    async fn record_review(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        body: Json<RecordReviewRequest>,
    ) -> ApiResult<ReviewOk> {
        let me = caller(&self.portal, &auth).await?;
        let confirmed = body.0.confirmed.into_iter().map(UserId::from_uuid).collect();
        let removed = body.0.removed.into_iter().map(UserId::from_uuid).collect();
        let review = self.portal.record_access_review(&Actor::User(me), account(&id), confirmed, removed).await?;
        Ok(ReviewOk::Ok(Json(AccessReviewResponse::from(&review))))
    }
}

fn parse_target(raw: &str) -> Result<Target, String> {
    let bad = || format!("{raw:?} is not a target (account, member:<id>, invite:<id>, contact:<id>, notice:<id>)");
    if raw == "account" {
        return Ok(Target::Account);
    }
    let (kind, id) = raw.split_once(':').ok_or_else(bad)?;
    let uuid = uuid::Uuid::parse_str(id).map_err(|_| bad())?;
    match kind {
        "member" => Ok(Target::Member(UserId::from_uuid(uuid))),
        "invite" => Ok(Target::Invite(portal_domain::ids::InviteId::from_uuid(uuid))),
        "contact" => Ok(Target::Contact(ContactId::from_uuid(uuid))),
        "notice" => Ok(Target::Notice(NoticeId::from_uuid(uuid))),
        _ => Err(bad()),
    }
}
