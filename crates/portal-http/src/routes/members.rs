//! Members of an account: the list, one member, editing access, removing, leaving, handing
//! over ownership, closing.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use portal_domain::Actor;
use portal_domain::ids::UserId;
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::{Portal, Proof};
use uuid::Uuid;

use crate::body::{Streamed, WriteJson, json};
use crate::error::{ApiError, ApiResult};
use crate::extract::*;
use crate::page::listed;
use crate::routes::*;
use crate::security::BearerAuth;
use crate::tags::ApiTags;
use crate::wire::{Text, max};

/// A member of an account.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberResponse {
    /// The member's user id.
    pub user_id: Uuid,
    /// Their login email.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// Their name.
    #[oai(validator(max_length = 100))]
    pub name: String,
    /// Whether they own the account.
    pub is_owner: bool,
    /// What they may do.
    // The catalogue's own keys, not copies: a page of 50 members held 750 of them.
    #[oai(read_only)]
    #[oai(validator(max_length = 32))]
    pub permissions: Vec<&'static str>,
    /// Their role label.
    #[oai(validator(max_length = 50))]
    pub role: Option<String>,
    /// Who invited them.
    pub invited_by: Option<Uuid>,
    /// Who last set their permissions.
    pub granted_by: Option<Uuid>,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// When their access ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// Their last activity.
    pub last_active_at: Option<DateTime<Utc>>,
    /// The membership's version (the `ETag`).
    pub version: u64,
}

impl From<&portal_domain::service::MemberView> for MemberResponse {
    fn from(v: &portal_domain::service::MemberView) -> Self {
        let m = &v.membership;
        Self {
            user_id: m.user().as_uuid(),
            email: v.email.to_string(),
            name: v.name.to_string(),
            is_owner: v.is_owner,
            permissions: m.permissions().keys(),
            role: m.role().map(ToString::to_string),
            invited_by: m.invited_by().map(|u| u.as_uuid()),
            granted_by: m.granted_by().map(|u| u.as_uuid()),
            joined_at: m.joined_at(),
            ends_at: m.ends_at(),
            last_active_at: m.last_active_at(),
            version: m.version(),
        }
    }
}

listed!(MemberResponse, MemberPage, "A page of members.", "The members, by user id.");

/// A page of members as sent: the domain's views written as a [`MemberPage`], without first
/// copying each into a [`MemberResponse`] (a string per field and per permission).
#[derive(Debug)]
pub struct MemberViews(pub portal_domain::ports::Page<portal_domain::service::MemberView, portal_domain::ids::UserId>);

impl WriteJson for MemberViews {
    fn size_hint(&self) -> usize {
        // A member with every permission writes about 700 bytes.
        64 + 720 * self.0.items.len()
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        // Members mostly share a few permission sets: the last one written is copied from the
        // output rather than written key by key.
        let mut last_permissions: Option<(portal_domain::permission::PermissionSet, std::ops::Range<usize>)> = None;
        out.extend_from_slice(b"{\"items\":[");
        for (i, v) in self.0.items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let m = &v.membership;
            out.push(b'{');
            json::key!(out, first, "user_id");
            json::uuid(out, &m.user().as_uuid());
            json::key!(out, "email");
            json::text(out, v.email.as_str());
            json::key!(out, "name");
            json::text(out, v.name.as_str());
            json::key!(out, "is_owner");
            json::boolean(out, v.is_owner);
            json::key!(out, "permissions");
            let permissions = m.permissions();
            match &last_permissions {
                Some((set, written)) if *set == permissions => out.extend_from_within(written.clone()),
                _ => {
                    let start = out.len();
                    out.push(b'[');
                    for (i, p) in permissions.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        json::plain(out, p.key());
                    }
                    out.push(b']');
                    last_permissions = Some((permissions, start..out.len()));
                }
            }
            json::opt_field!(out, "role", m.role(), |out, r| json::text(out, r.as_str()));
            json::opt_field!(out, "invited_by", m.invited_by().map(|u| u.as_uuid()).as_ref(), json::uuid);
            json::opt_field!(out, "granted_by", m.granted_by().map(|u| u.as_uuid()).as_ref(), json::uuid);
            json::key!(out, "joined_at");
            json::time(out, &m.joined_at());
            json::opt_field!(out, "ends_at", m.ends_at().as_ref(), json::time);
            json::opt_field!(out, "last_active_at", m.last_active_at().as_ref(), json::time);
            json::key!(out, "version");
            json::number(out, m.version());
            out.push(b'}');
        }
        out.push(b']');
        json::opt_field!(out, "next_cursor", self.0.next.map(|u| u.to_string()).as_ref(), |out, c| json::text(out, c));
        out.push(b'}');
    }
}

/// Changes to a member's access; absent fields stay, `null` clears.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UpdateMemberRequest {
    /// The new permission keys (replacing the old).
    pub permissions: Option<Vec<Text<{ max::KEY }>>>,
    /// The new role label, or `null`.
    pub role: MaybeUndefined<Text<{ max::ROLE }>>,
    /// When their access ends (RFC 3339, at most 10 years ahead), or `null` for no end.
    pub ends_at: MaybeUndefined<crate::wire::InstantText>,
}

impl UpdateMemberRequest {
    pub(crate) fn try_into_domain(
        self,
        user: portal_domain::ids::UserId,
    ) -> Result<portal_domain::account::EditMember, ApiError> {
        Ok(portal_domain::account::EditMember {
            user,
            permissions: self
                .permissions
                .map(|keys| {
                    field("permissions", portal_domain::permission::PermissionSet::from_keys(keys.iter().map(|k| &**k)))
                })
                .transpose()?,
            role: clearable("role", &self.role, portal_domain::values::RoleLabel::parse)?,
            ends_at: match self.ends_at {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(t) => Some(Some(t.parse("ends_at")?)),
            },
        })
    }
}

/// Whom to hand ownership to.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TransferRequest {
    /// A current member's user id.
    pub user_id: Uuid,
    /// Your password, unless you signed in or re-authenticated in the last 10 minutes.
    pub password: Option<Text<{ max::PASSWORD }>>,
    /// With two-factor authentication on: a code, likewise.
    pub code: Option<Text<{ max::CODE }>>,
}

/// An account's members.
pub struct UsersApi<S, H> {
    pub(crate) portal: Arc<Portal<S, H>>,
    /// Whose forwarding headers name the client.
    pub(crate) trusted_proxies: Arc<[ipnet::IpNet]>,
}

debug_as_name!(UsersApi);

/// A page of members.
#[derive(Debug, ApiResponse)]
pub enum MemberPageOk {
    /// The page.
    #[oai(status = 200)]
    Ok(Streamed<MemberPage, MemberViews>),
}

/// One member, with the membership's version.
#[derive(Debug, ApiResponse)]
pub enum MemberOk {
    /// The member.
    #[oai(status = 200)]
    Ok(Json<MemberResponse>, #[oai(header = "ETag")] String),
}

#[OpenApi(prefix_path = "/accounts", tag = "ApiTags::Users")]
impl<S: Store + SessionStore + 'static, H: PasswordHasher + 'static> UsersApi<S, H> {
    /// The account's members (needs `users.manage`).
    #[oai(path = "/:id/users", method = "get")]
    async fn list(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        cursor: Query<Option<String>>,
        limit: Query<Option<crate::wire::PageLimit>>,
    ) -> ApiResult<MemberPageOk> {
        let me = caller(&self.portal, &auth).await?;
        let request = page_request::<UserId>(cursor.0.as_deref(), limit.0)?;
        let page = self.portal.members(&Actor::User(me), account(&id), request).await?;
        Ok(MemberPageOk::Ok(Streamed::new(MemberViews(page))))
    }

    /// One member (needs `users.manage`, or be that member).
    #[oai(path = "/:id/users/:user_id", method = "get")]
    async fn get(&self, auth: BearerAuth, id: Path<uuid::Uuid>, user_id: Path<uuid::Uuid>) -> ApiResult<MemberOk> {
        let me = caller(&self.portal, &auth).await?;
        let member = self.portal.member(&Actor::User(me), account(&id), UserId::from_uuid(user_id.0)).await?;
        Ok(MemberOk::Ok(Json(MemberResponse::from(&member)), etag(member.membership.version())))
    }

    /// Change another member's permissions, role label or end date (needs `users.manage`; you
    /// grant only what you hold). Send `If-Match` with the member's `ETag`.
    #[oai(path = "/:id/users/:user_id", method = "patch")]
    async fn patch(
        &self,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        user_id: Path<uuid::Uuid>,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        body: Json<UpdateMemberRequest>,
    ) -> ApiResult<MemberOk> {
        let me = caller(&self.portal, &auth).await?;
        let expected = if_match(version.0.as_deref())?;
        let user = UserId::from_uuid(user_id.0);
        let edit = body.0.try_into_domain(user)?;
        let actor = Actor::User(me);
        let member = self.portal.edit_member(&actor, account(&id), edit, expected).await?;
        Ok(MemberOk::Ok(Json(MemberResponse::from(&member)), etag(member.membership.version())))
    }

    /// Remove a member; they can do nothing in the account from their next request.
    #[oai(path = "/:id/users/:user_id", method = "delete")]
    async fn remove(&self, auth: BearerAuth, id: Path<uuid::Uuid>, user_id: Path<uuid::Uuid>) -> ApiResult<NoContent> {
        let me = caller(&self.portal, &auth).await?;
        self.portal.remove_member(&Actor::User(me), account(&id), UserId::from_uuid(user_id.0)).await?;
        Ok(NoContent::Done)
    }

    /// Leave the account (not as its owner: transfer ownership first).
    #[oai(path = "/:id/leave", method = "post")]
    async fn leave(&self, auth: BearerAuth, id: Path<uuid::Uuid>) -> ApiResult<NoContent> {
        let me = caller(&self.portal, &auth).await?;
        self.portal.leave(&Actor::User(me), account(&id)).await?;
        Ok(NoContent::Done)
    }

    /// Hand ownership to another current member (owner only).
    #[oai(path = "/:id/transfer-ownership", method = "post")]
    async fn transfer(
        &self,
        req: &poem::Request,
        auth: BearerAuth,
        id: Path<uuid::Uuid>,
        body: Json<TransferRequest>,
    ) -> ApiResult<AccountOk> {
        let (session, me) = caller_session(&self.portal, &auth).await?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        let proof = Proof { password: body.0.password.as_deref(), code: body.0.code.as_deref() };
        let confirmed = self.portal.confirm_sensitive(&client, session, me, proof).await?;
        let account =
            self.portal.transfer_ownership(&confirmed, account(&id), UserId::from_uuid(body.0.user_id)).await?;
        Ok(AccountOk::Ok(Json(AccountResponse::from(&account)), etag(account.version())))
    }

    /// Close the account (owner only); it stays readable, nothing changes in it any more. Needs
    /// a sign-in or re-authentication (`POST /me/reauthenticate`) in the last 10 minutes.
    #[oai(path = "/:id/close", method = "post")]
    async fn close(&self, req: &poem::Request, auth: BearerAuth, id: Path<uuid::Uuid>) -> ApiResult<AccountOk> {
        let (session, me) = caller_session(&self.portal, &auth).await?;
        let client = crate::client::client_info(req, &self.trusted_proxies);
        let confirmed = self.portal.confirm_sensitive(&client, session, me, Proof::default()).await?;
        let account = self.portal.close_account(&confirmed, account(&id)).await?;
        Ok(AccountOk::Ok(Json(AccountResponse::from(&account)), etag(account.version())))
    }
}
