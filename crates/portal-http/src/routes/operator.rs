//! The provider's operator: every account, naming a new owner, disabling a user.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use portal_domain::account::AccountStatus;
use portal_domain::ids::{AccountId, UserId};
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::{AuthError, Portal};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::*;
use crate::page::listed;
use crate::routes::*;
use crate::security::OperatorAuth;
use crate::tags::ApiTags;

/// One account in the operator's list.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccountListingResponse {
    /// Account id.
    pub id: Uuid,
    /// Display name.
    #[oai(validator(max_length = 200))]
    pub display_name: String,
    /// Owner's user id.
    pub owner_id: Uuid,
    /// `active` or `closed`.
    #[oai(validator(max_length = 16))]
    pub status: String,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
}

listed!(AccountListingResponse, AccountListingPage, "A page of accounts.", "By id.");

/// Whom the operator makes owner.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReassignOwnerRequest {
    /// A current member's user id.
    pub user_id: Uuid,
    /// Whether the previous owner's membership ends too.
    #[oai(default)]
    pub remove_previous: bool,
}

/// The operator's operations.
pub struct OperatorApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
}

debug_as_name!(OperatorApi);

/// A notice as sent.
#[derive(Debug, ApiResponse)]
pub enum NoticeCreated {
    /// Recorded; one email per recipient is queued.
    #[oai(status = 201)]
    Created(Json<NoticeResponse>),
}

/// A page of accounts.
#[derive(Debug, ApiResponse)]
pub enum AccountListingOk {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<AccountListingPage>),
}

pub(crate) async fn operator<S: Store + SessionStore, H: PasswordHasher>(
    portal: &Portal<S, H>,
    auth: &OperatorAuth,
) -> ApiResult<()> {
    match portal.authenticate_operator(&auth.0.key).await {
        Ok(()) => Ok(()),
        Err(AuthError::InvalidCredentials) => Err(ApiError::unauthorized()),
        Err(e) => Err(e.into()),
    }
}

#[OpenApi(tag = "ApiTags::Operator")]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> OperatorApi<S, H> {
    /// Every account, by id.
    #[oai(path = "/admin/accounts", method = "get")]
    async fn accounts(
        &self,
        auth: OperatorAuth,
        cursor: Query<Option<String>>,
        limit: Query<Option<crate::wire::PageLimit>>,
    ) -> ApiResult<AccountListingOk> {
        operator(&self.portal, &auth).await?;
        let request = page_request::<AccountId>(cursor.0.as_deref(), limit.0)?;
        let page = self.portal.admin_accounts(request).await?;
        let page = AccountListingPage::of(page, |l| AccountListingResponse {
            id: l.id.as_uuid(),
            display_name: l.display_name.to_string(),
            owner_id: l.owner.as_uuid(),
            status: match l.status {
                AccountStatus::Active => "active",
                AccountStatus::Closed => "closed",
            }
            .to_owned(),
            created_at: l.created_at,
        });
        Ok(AccountListingOk::Ok(Json(page)))
    }

    /// Name a new owner for an account whose owner has gone (a current member).
    #[oai(path = "/admin/accounts/:id/owner", method = "post")]
    async fn reassign_owner(
        &self,
        auth: OperatorAuth,
        id: Path<uuid::Uuid>,
        body: Json<ReassignOwnerRequest>,
    ) -> ApiResult<AccountOk> {
        operator(&self.portal, &auth).await?;
        let account = self
            .portal
            .reassign_owner(AccountId::from_uuid(id.0), UserId::from_uuid(body.0.user_id), body.0.remove_previous)
            .await?;
        Ok(AccountOk::Ok(Json(AccountResponse::from(&account)), etag(account.version())))
    }

    /// Disable a user everywhere; their sessions end at their next request.
    #[oai(path = "/admin/users/:id/disable", method = "post")]
    async fn disable(&self, auth: OperatorAuth, id: Path<uuid::Uuid>) -> ApiResult<NoContent> {
        operator(&self.portal, &auth).await?;
        self.portal.disable_user(UserId::from_uuid(id.0)).await?;
        Ok(NoContent::Done)
    }

    /// Turn a user's two-factor authentication off (they lost their app and their recovery
    /// codes, and proved who they are another way). Recorded in their history; they are told.
    #[oai(path = "/admin/users/:id/mfa/reset", method = "post")]
    async fn reset_mfa(&self, auth: OperatorAuth, id: Path<uuid::Uuid>) -> ApiResult<NoContent> {
        operator(&self.portal, &auth).await?;
        self.portal.reset_mfa(UserId::from_uuid(id.0)).await?;
        Ok(NoContent::Done)
    }
}
