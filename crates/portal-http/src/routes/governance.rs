//! Notices and governance: who receives a notice and why, the notices sent, the audit trail
//! and the access review.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use portal_domain::Actor;
use portal_domain::account::Target;
use portal_domain::ids::{AccountId, ContactId, NoticeId, UserId};
use portal_domain::notification::NotificationCategory;
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::Portal;
use portal_domain::values::CompanyName;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::*;
use crate::page::listed;
use crate::security::BearerAuth;
use crate::tags::ApiTags;
use crate::wire::{Text, max};

/// One recipient of a notice, and why.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecipientResponse {
    /// Where it goes.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// `member`, `contact` or `primary_email`.
    #[oai(validator(max_length = 64))]
    pub kind: String,
    /// The member's user id or the contact's id.
    pub id: Option<Uuid>,
    /// Why they receive it: `security_notice`, `holds_permission`, `all_members`,
    /// `subscribed_contact`, `owner_fallback`, `primary_email_fallback`.
    #[oai(validator(max_length = 64))]
    pub reason: String,
    /// The permission that qualified them, for `holds_permission`.
    #[oai(validator(max_length = 32))]
    pub permission: Option<String>,
}

impl From<&portal_domain::routing::Recipient> for RecipientResponse {
    fn from(r: &portal_domain::routing::Recipient) -> Self {
        use portal_domain::routing::{Reason, RecipientKind};
        let (kind, id) = match r.kind {
            RecipientKind::Member(u) => ("member", Some(u.as_uuid())),
            RecipientKind::Contact(c) => ("contact", Some(c.as_uuid())),
            RecipientKind::PrimaryEmail => ("primary_email", None),
        };
        Self {
            email: r.email.to_string(),
            kind: kind.to_owned(),
            id,
            reason: r.reason.key().to_owned(),
            permission: match r.reason {
                Reason::HoldsPermission(p) => Some(p.key().to_owned()),
                _ => None,
            },
        }
    }
}

/// A notice as sent.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NoticeResponse {
    /// Notice id.
    pub id: Uuid,
    /// Category key.
    #[oai(validator(max_length = 32))]
    pub category: String,
    /// Subject.
    #[oai(validator(max_length = 200))]
    pub subject: String,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// Who received it, and why.
    pub recipients: Vec<RecipientResponse>,
}

listed!(NoticeResponse, NoticePage, "A page of notices.", "Newest first.");

/// One entry of the audit trail.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEventResponse {
    /// Position in the account's history (1 is the opening).
    pub seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `user:<id>`, `operator` or `invite_holder`.
    #[oai(validator(max_length = 64))]
    pub actor: String,
    /// What kind of change, e.g. `invite.accepted`.
    #[oai(validator(max_length = 64))]
    pub kind: String,
    /// What it is about: `account`, `member:<id>`, `invite:<id>`, `contact:<id>`, `notice:<id>`.
    #[oai(validator(max_length = 64))]
    pub target: String,
    /// What changed; absent when its values are withheld from you (see `withheld`).
    pub change: Option<serde_json::Value>,
    /// The fields whose values you may not read (a profile's without `account.profile.manage`,
    /// a contact's without `contacts.manage`); empty when `change` shows them.
    #[oai(validator(max_length = 32))]
    pub withheld: Vec<String>,
}

fn strip_tokens(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("token");
            map.values_mut().for_each(strip_tokens);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_tokens),
        _ => {}
    }
}

impl From<&portal_domain::account::AuditEntry> for AuditEventResponse {
    fn from(e: &portal_domain::account::AuditEntry) -> Self {
        use portal_domain::account::Target;
        let mut change = e.change().and_then(|c| serde_json::to_value(c).ok());
        // Token digests mean nothing to a reader of the trail.
        if let Some(change) = &mut change {
            strip_tokens(change);
        }
        Self {
            seq: e.seq(),
            at: e.at(),
            actor: match e.actor() {
                portal_domain::Actor::User(u) => format!("user:{u}"),
                portal_domain::Actor::Operator => "operator".into(),
                portal_domain::Actor::InviteHolder => "invite_holder".into(),
            },
            kind: e.kind().to_owned(),
            target: match e.target() {
                Target::Account => "account".into(),
                Target::Member(u) => format!("member:{u}"),
                Target::Invite(i) => format!("invite:{i}"),
                Target::Contact(c) => format!("contact:{c}"),
                Target::Notice(n) => format!("notice:{n}"),
            },
            change,
            withheld: e.withheld().iter().map(|f| (*f).to_owned()).collect(),
        }
    }
}

listed!(AuditEventResponse, AuditPage, "A page of the audit trail.", "Newest first.");

/// What to look at for one member.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewFlagsResponse {
    /// No activity for 90 days.
    pub stale: bool,
    /// Access ends within 14 days.
    pub expiring: bool,
    /// Access has ended.
    pub ended: bool,
    /// Holds a sensitive permission.
    pub sensitive: bool,
}

/// One member in the access review.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewedMemberResponse {
    /// User id.
    pub user_id: Uuid,
    /// Whether they own the account.
    pub is_owner: bool,
    /// Their permissions.
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<String>,
    /// The sensitive ones among them.
    #[oai(validator(max_length = 32))]
    pub sensitive_permissions: Vec<String>,
    /// Role label.
    #[oai(validator(max_length = 50))]
    pub role: Option<String>,
    /// Who invited them.
    pub invited_by: Option<Uuid>,
    /// Who last set their permissions.
    pub granted_by: Option<Uuid>,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// Last activity.
    pub last_active_at: Option<DateTime<Utc>>,
    /// When access ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// What to look at.
    pub flags: ReviewFlagsResponse,
}

/// An open invite in the access review.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReviewedInviteResponse {
    /// Invite id.
    pub id: Uuid,
    /// To whom.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// With what.
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<String>,
    /// Who sent it.
    pub invited_by: Uuid,
    /// `pending` or `expired`.
    #[oai(validator(max_length = 16))]
    pub status: String,
    /// When the link expires.
    pub expires_at: DateTime<Utc>,
}

/// The access review of an account.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccessReviewResponse {
    /// When it was computed.
    pub at: DateTime<Utc>,
    /// Every member, owner first.
    pub members: Vec<ReviewedMemberResponse>,
    /// Invites still open.
    pub pending_invites: Vec<ReviewedInviteResponse>,
    /// Contacts.
    pub contacts: Vec<ContactSummary>,
    /// Who recorded the last review.
    pub last_review_by: Option<Uuid>,
    /// When.
    pub last_review_at: Option<DateTime<Utc>>,
}

/// A contact in the access review.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ContactSummary {
    /// Contact id.
    pub id: Uuid,
    /// Name.
    #[oai(validator(max_length = 100))]
    pub name: String,
    /// Email.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// Categories received.
    #[oai(validator(max_length = 32))]
    pub categories: Vec<String>,
}

fn keys(p: portal_domain::permission::PermissionSet) -> Vec<String> {
    p.keys().into_iter().map(str::to_owned).collect()
}

impl From<&portal_domain::review::AccessReview> for AccessReviewResponse {
    fn from(r: &portal_domain::review::AccessReview) -> Self {
        Self {
            at: r.at,
            members: r
                .members
                .iter()
                .map(|m| ReviewedMemberResponse {
                    user_id: m.user.as_uuid(),
                    is_owner: m.is_owner,
                    permissions: keys(m.permissions),
                    sensitive_permissions: keys(m.sensitive_permissions),
                    role: m.role.as_ref().map(ToString::to_string),
                    invited_by: m.invited_by.map(|u| u.as_uuid()),
                    granted_by: m.granted_by.map(|u| u.as_uuid()),
                    joined_at: m.joined_at,
                    last_active_at: m.last_active_at,
                    ends_at: m.ends_at,
                    flags: ReviewFlagsResponse {
                        stale: m.flags.stale,
                        expiring: m.flags.expiring,
                        ended: m.flags.ended,
                        sensitive: m.flags.sensitive,
                    },
                })
                .collect(),
            pending_invites: r
                .pending_invites
                .iter()
                .map(|i| ReviewedInviteResponse {
                    id: i.invite.as_uuid(),
                    email: i.email.to_string(),
                    permissions: keys(i.permissions),
                    invited_by: i.invited_by.as_uuid(),
                    status: i.status.key().to_owned(),
                    expires_at: i.expires_at,
                })
                .collect(),
            contacts: r
                .contacts
                .iter()
                .map(|c| ContactSummary {
                    id: c.contact.as_uuid(),
                    name: c.name.to_string(),
                    email: c.email.to_string(),
                    categories: c.categories.keys().into_iter().map(str::to_owned).collect(),
                })
                .collect(),
            last_review_by: r.last_review.as_ref().map(|l| l.by.as_uuid()),
            last_review_at: r.last_review.as_ref().map(|l| l.at),
        }
    }
}

/// A completed access review: who was confirmed, who is removed.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecordReviewRequest {
    /// Members whose access was confirmed as it is.
    pub confirmed: Vec<Uuid>,
    /// Members to remove (each under the usual rules).
    pub removed: Vec<Uuid>,
}

/// A notice to send.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SendNoticeRequest {
    /// Category key.
    pub category: Text<{ max::KEY }>,
    /// Subject line.
    pub subject: Text<{ max::COMPANY }>,
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
    ) -> ApiResult<crate::routes::NoticeCreated> {
        crate::routes::operator(&self.portal, &auth).await?;
        let category = field("category", NotificationCategory::from_key(&body.0.category))?;
        let subject = field("subject", CompanyName::parse(&body.0.subject))?;
        let (notice, recipients) =
            self.portal.send_notice(AccountId::from_uuid(id.0), category, subject.clone()).await?;
        Ok(crate::routes::NoticeCreated::Created(Json(NoticeResponse {
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
        let page = NoticePage::of(page, |n| NoticeResponse {
            id: n.id.as_uuid(),
            category: n.category.key().to_owned(),
            subject: n.subject.to_string(),
            at: n.at,
            recipients: n.recipients.iter().map(RecipientResponse::from).collect(),
        });
        Ok(NoticePageOk::Ok(Json(page)))
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
        Ok(AuditPageOk::Ok(Json(AuditPage::of(page, |e| AuditEventResponse::from(&e)))))
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
