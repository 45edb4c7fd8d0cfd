//! Invites: sending and re-sending (within the per-member limit), cancelling, and answering a
//! link: preview, accept (signed in, or as a new user) and decline; the lists of invites.

use chrono::{DateTime, Utc};

use super::identity::Joined;
use super::run::{Decided, Outcome, saved};
use super::{AuthResult, Portal, ServiceError, ServiceResult};
use crate::account::{Account, AccountCommand, AccountSummary, Invite, InviteMember, InviteOffer, InviteStatus, View};
use crate::actor::Actor;
use crate::credentials::Revocation;
use crate::error::DomainError;
use crate::ids::{AccountId, InviteId, UserId};
use crate::limits::INVITES_PER_MEMBER;
use crate::permission::PermissionSet;
use crate::ports::{Changes, Message, OutgoingEmail, Page, PageRequest, PasswordHasher, Saved, SessionStore, Store};
use crate::user::{Registration, User, UserCommand, register_user};
use crate::values::{ClientInfo, CompanyName, EmailAddress, Password, PersonName, RoleLabel, TokenDigest};

/// What the holder of an invite link may see before answering it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitePreview {
    /// The account.
    pub account: AccountId,
    /// Its display name.
    pub account_name: CompanyName,
    /// Who invited.
    pub inviter: Option<PersonName>,
    /// The invited address.
    pub email: EmailAddress,
    /// The permissions offered.
    pub permissions: PermissionSet,
    /// The role label offered.
    pub role: Option<RoleLabel>,
    /// When the link expires.
    pub expires_at: DateTime<Utc>,
    /// Pending or expired (anything else is not found).
    pub status: InviteStatus,
    /// Whether a user with this email exists (so the page offers sign-in rather than sign-up).
    pub user_exists: bool,
}

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// Invites someone, within the per-member invite limit; the email with the link goes
    /// through the outbox.
    pub async fn invite(&self, actor: &Actor, id: AccountId, request: InviteOffer) -> ServiceResult<Invite> {
        self.count_invite(actor).await?;
        let existing_user = self.store.user_by_email(&request.email).await?.map(|u| u.id());
        let inviter = self.inviter_name(actor).await?;
        let invite_id = InviteId::from_uuid(self.ids.new_uuid());
        let (account, ()) = self
            .run_account(actor, id, |account, now| {
                let token = self.tokens.generate();
                let command = AccountCommand::Invite(InviteMember {
                    id: invite_id,
                    offer: request.clone(),
                    token: self.digester.digest(&token),
                    existing_user,
                });
                let events = account.decide(actor, command, now)?;
                let outbox = vec![invite_email(account, &request.email, &inviter, invite_id, token, now)];
                Ok(Outcome { events, outbox, value: () })
            })
            .await?;
        account.invite(invite_id).cloned().ok_or(ServiceError::Internal("invite missing after commit"))
    }

    /// Sends an open invite again with a new link, within the same per-member limit as
    /// sending; the old link stops working.
    pub async fn resend_invite(&self, actor: &Actor, id: AccountId, invite: InviteId) -> ServiceResult<Invite> {
        self.count_invite(actor).await?;
        let inviter = self.inviter_name(actor).await?;
        let (account, ()) = self
            .run_account(actor, id, |account, now| {
                let token = self.tokens.generate();
                let command = AccountCommand::ResendInvite { invite, token: self.digester.digest(&token) };
                let events = account.decide(actor, command, now)?;
                let email = account.invite(invite).map(|i| i.email().clone()).ok_or(DomainError::InviteNotFound)?;
                let outbox = vec![invite_email(account, &email, &inviter, invite, token, now)];
                Ok(Outcome { events, outbox, value: () })
            })
            .await?;
        account.invite(invite).cloned().ok_or(ServiceError::Internal("invite missing after commit"))
    }

    /// Counts one invite or re-send by a user against [`INVITES_PER_MEMBER`].
    async fn count_invite(&self, actor: &Actor) -> ServiceResult<()> {
        match actor.user() {
            Some(user) => self.within_limit(self.invite_key(user).as_str(), INVITES_PER_MEMBER).await,
            None => Ok(()),
        }
    }

    /// Cancels an open invite; its link stops working.
    pub async fn cancel_invite(&self, actor: &Actor, id: AccountId, invite: InviteId) -> ServiceResult<Account> {
        self.simple(actor, id, AccountCommand::CancelInvite { invite }).await
    }

    async fn inviter_name(&self, actor: &Actor) -> ServiceResult<PersonName> {
        match actor {
            Actor::User(u) => {
                let inviter = self.active_user(*u).await?;
                inviter.ensure_verified()?;
                Ok(inviter.name().clone())
            }
            _ => Err(DomainError::AccountNotFound.into()),
        }
    }

    async fn account_by_token(&self, token: &str) -> ServiceResult<(TokenDigest, AccountId)> {
        let digest = self.digester.digest(token);
        let account = self.store.account_by_invite_token(&digest).await?.ok_or(DomainError::InviteNotFound)?;
        Ok((digest, account))
    }

    /// What an invite link offers, for the page that answers it.
    pub async fn preview_invite(&self, token: &str) -> ServiceResult<InvitePreview> {
        let (digest, id) = self.account_by_token(token).await?;
        let account = self.store.account(id).await?.ok_or(DomainError::InviteNotFound)?;
        let invite = account.invite_by_token(&digest).ok_or(DomainError::InviteNotFound)?;
        let status = invite.previewable(self.clock.now())?;
        let inviter = self.store.user(invite.invited_by()).await?.map(|u| u.name().clone());
        // A registration the link's holder may take over is not one to sign in to.
        let now = self.clock.now();
        let user_exists =
            self.store.user_by_email(invite.email()).await?.is_some_and(|u| !u.may_be_taken_over(true, now));
        Ok(InvitePreview {
            account: id,
            account_name: account.profile().display_name.clone(),
            inviter,
            email: invite.email().clone(),
            permissions: invite.permissions(),
            role: invite.role().cloned(),
            expires_at: invite.expires_at(),
            status,
            user_exists,
        })
    }

    /// Accepts an invite as the signed-in user ([`Invite::proven_by_link`]: holding the link
    /// proves the invited address) and returns the joined account as the picker shows it.
    pub async fn accept_invite(&self, user: UserId, token: &str) -> ServiceResult<AccountSummary> {
        let (digest, id) = self.account_by_token(token).await?;
        let accepting = self.active_user(user).await?;
        let actor = Actor::User(user);
        let (account, ()) = self
            .run_account_unchecked(id, |account, now| {
                let proven = account.invite_by_token(&digest).is_some_and(|i| i.proven_by_link(accepting.email()));
                let command = AccountCommand::AcceptInvite {
                    token: digest.clone(),
                    email: accepting.email().clone(),
                    email_verified: accepting.email_verified() || proven,
                };
                Ok(Outcome::events(account.decide(&actor, command, now)?, ()))
            })
            .await?;
        if !accepting.email_verified() {
            // Best effort: the acceptance stands even if this races with another change to the user.
            let _ = self.run_user(user, actor, None, User::version, UserCommand::VerifyEmail).await;
        }
        account.summary_for(user, self.clock.now()).ok_or_else(|| DomainError::AccountNotFound.into())
    }

    /// Signs up through an invite link, accepts it and signs in: the new user's email is the
    /// invite's, and it is verified because the link was mailed there. An unverified
    /// registration of that address is taken over: the invitee proved the address, its holder
    /// never did, so the holder's password, sessions and links stop working.
    pub async fn accept_invite_as_new_user(
        &self,
        client: &ClientInfo,
        token: &str,
        name: PersonName,
        password: &str,
    ) -> AuthResult<Joined> {
        let (digest, id) = self.account_by_token(token).await?;
        let account = self.store.account(id).await?.ok_or(DomainError::InviteNotFound)?;
        let email = account.invite_by_token(&digest).ok_or(DomainError::InviteNotFound)?.email().clone();
        let password = Password::parse(password, &email)?;
        if let Some(held) = self.store.user_by_email(&email).await?
            && !held.may_be_taken_over(true, self.clock.now())
        {
            return Err(DomainError::EmailTaken.into());
        }
        let hash = self.hasher.hash(&password).await?;
        let fresh_id = UserId::from_uuid(self.ids.new_uuid());
        let (email, name, hash, digest) = (&email, &name, &hash, &digest);
        let (user, account) = self
            .run(|now| async move {
                let (user, user_save, revocations, mut accounts) = match self.store.user_by_email(email).await? {
                    None => {
                        let registration = Registration {
                            id: fresh_id,
                            email: email.clone(),
                            name: name.clone(),
                            password: hash.clone(),
                            email_verified: true,
                        };
                        let registered = register_user(registration, now).from_client(client);
                        let user =
                            User::from_registered(&registered).ok_or(ServiceError::Internal("registration event"))?;
                        let save = Saved { state: user.clone(), expected_version: 0, events: vec![registered] };
                        (user, save, vec![], vec![])
                    }
                    Some(held) => {
                        let command =
                            UserCommand::TakeOver { name: name.clone(), password: hash.clone(), proven: true };
                        let events =
                            super::security::made_from(held.decide(&Actor::InviteHolder, command, now)?, client);
                        let (user, save) = saved(&held, events);
                        let abandoned = self.abandoned_accounts(&held, now).await?;
                        (user, save, vec![Revocation::taken_over(held.id())], abandoned)
                    }
                };
                let account = self.store.account(id).await?.ok_or(DomainError::InviteNotFound)?;
                let command =
                    AccountCommand::AcceptInvite { token: digest.clone(), email: email.clone(), email_verified: true };
                let (next, save) = saved(&account, account.decide(&Actor::User(user.id()), command, now)?);
                accounts.push(save);
                let changes = Changes { accounts, users: vec![user_save], revocations, ..Changes::default() };
                Ok(Decided { changes, value: (user, next) })
            })
            .await?;
        self.joined(client, user, account).await
    }

    /// Declines an invite, as whoever holds the link.
    pub async fn decline_invite(&self, token: &str) -> ServiceResult<()> {
        let (digest, id) = self.account_by_token(token).await?;
        self.run_account_unchecked(id, |account, now| {
            let command = AccountCommand::DeclineInvite { token: digest.clone() };
            Ok(Outcome::events(account.decide(&Actor::InviteHolder, command, now)?, ()))
        })
        .await?;
        Ok(())
    }

    /// A page of the account's invites, any state (needs `users.manage`).
    pub async fn invites(
        &self,
        actor: &Actor,
        account: AccountId,
        page: PageRequest<InviteId>,
    ) -> ServiceResult<Page<Invite, InviteId>> {
        self.authorize(actor, account, View::Invites).await?;
        Ok(self.store.invites_page(account, page).await?)
    }

    /// The account's open invites (pending or expired), at most `limit` (needs `users.manage`).
    pub async fn open_invites(&self, actor: &Actor, account: AccountId, limit: usize) -> ServiceResult<Vec<Invite>> {
        self.authorize(actor, account, View::Invites).await?;
        Ok(self.store.open_invites_of(account, limit).await?)
    }

    /// The invites waiting for the signed-in user's email, with each account's name.
    pub async fn my_invites(&self, user: UserId) -> ServiceResult<Vec<(AccountId, CompanyName, Invite)>> {
        let me = self.active_user(user).await?;
        if me.ensure_verified().is_err() {
            return Ok(Vec::new());
        }
        let found = self.store.open_invites_for(me.email(), 100).await?;
        let mut out = Vec::with_capacity(found.len());
        for (account, invite) in found {
            if let Some(state) = self.store.account(account).await? {
                out.push((account, state.profile().display_name.clone(), invite));
            }
        }
        Ok(out)
    }
}

fn invite_email(
    account: &Account,
    to: &EmailAddress,
    inviter: &PersonName,
    invite: InviteId,
    token: String,
    now: DateTime<Utc>,
) -> OutgoingEmail {
    OutgoingEmail {
        to: to.clone(),
        message: Message::Invite {
            account: account.id(),
            account_name: account.profile().display_name.clone(),
            inviter: inviter.clone(),
            invite,
            token,
            expires_at: now + crate::account::INVITE_TTL,
        },
    }
}
