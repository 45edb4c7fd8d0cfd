//! The use cases: load, decide, save. No rule is written here; each is in a `decide` or a value.

mod limited;

use chrono::{DateTime, Utc};

use crate::account::{
    Account, AccountCommand, AccountEvent, AuditEntry, Contact, ContactPatch, EditMember, Invite, InviteMember,
    InviteStatus, Membership, NewContact, Profile, ProfilePatch, View, open_account,
};
use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use crate::notification::{CategorySet, NotificationCategory, NotificationPreferences};
use crate::permission::PermissionSet;
use crate::ports::{
    Changes, Clock, CommitError, IdSource, Message, OutgoingEmail, Page, PageRequest, PasswordHasher, Saved, Store,
    StoreError, TokenDigester, TokenGenerator,
};
use crate::review::{AccessReview, access_review};
use crate::routing::{MemberAddress, MemberDirectory, Recipient, route};
use crate::user::{Registration, User, UserCommand, UserEvent, UserStatus, register_user};
use crate::values::{
    CompanyName, EmailAddress, Password, PasswordError, PersonName, PhoneNumber, RoleLabel, TokenDigest,
};

/// How often a command is decided again after losing a race (a version conflict) before giving up.
pub const MAX_ATTEMPTS: usize = 5;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A rule refused it.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The new password does not meet the policy.
    #[error("password {0}")]
    Password(#[from] PasswordError),
    /// The email or password is wrong (never says which).
    #[error("the email or password is wrong")]
    InvalidCredentials,
    /// The resource changed since the version the caller stated (`If-Match`).
    #[error("the resource changed since you read it")]
    PreconditionFailed {
        /// Its current version.
        current: u64,
    },
    /// Other writers kept winning the race; try again.
    #[error("the data kept changing; try again")]
    Conflict,
    /// Too many attempts in a short time; try again after the wait it names.
    #[error("too many attempts; try again in {} seconds", .0.seconds())]
    RateLimited(crate::limits::RetryAfter),
    /// Infrastructure failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CommitError> for ServiceError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Conflict => Self::Conflict,
            CommitError::EmailTaken => Self::Domain(DomainError::EmailTaken),
            CommitError::Store(e) => Self::Store(e),
        }
    }
}

/// Shorthand for a use case's result.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// A new customer: their login and their first account.
#[derive(Debug, Clone)]
pub struct Signup {
    /// Login email; also the account's primary email.
    pub email: EmailAddress,
    /// Their name.
    pub name: PersonName,
    /// The password as typed; checked against the policy here.
    pub password: String,
    /// The account's display name.
    pub account_name: CompanyName,
    /// The company, if any.
    pub company: Option<CompanyName>,
}

/// An invite as asked for by a member.
#[derive(Debug, Clone)]
pub struct InviteRequest {
    /// Who.
    pub email: EmailAddress,
    /// Their name, for the greeting.
    pub name: Option<PersonName>,
    /// With which permissions (a role's preset, possibly adjusted).
    pub permissions: PermissionSet,
    /// With which role label.
    pub role: Option<RoleLabel>,
    /// Until when, for time-limited access.
    pub access_ends_at: Option<DateTime<Utc>>,
}

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

/// One account as its member sees it in the account picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// The account.
    pub id: AccountId,
    /// Its display name.
    pub display_name: CompanyName,
    /// Whether the member owns it.
    pub is_owner: bool,
    /// The member's permissions there.
    pub permissions: PermissionSet,
    /// The member's role label there.
    pub role: Option<RoleLabel>,
    /// Whether the account is closed.
    pub closed: bool,
}

/// What a successful login returns.
#[derive(Debug, Clone)]
pub struct Login {
    /// The user.
    pub user: User,
    /// Their accounts, for the account picker.
    pub accounts: Vec<AccountSummary>,
}

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

/// A member and who they are, for lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// The membership.
    pub membership: Membership,
    /// The member's login email.
    pub email: EmailAddress,
    /// The member's name.
    pub name: PersonName,
    /// Whether they own the account.
    pub is_owner: bool,
}

/// The use cases over the ports.
pub struct Portal<S, H> {
    store: S,
    hasher: H,
    digester: Box<dyn TokenDigester>,
    tokens: Box<dyn TokenGenerator>,
    clock: Box<dyn Clock>,
    ids: Box<dyn IdSource>,
}

impl<S, H> std::fmt::Debug for Portal<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portal").finish_non_exhaustive()
    }
}

struct Outcome<T> {
    events: Vec<AccountEvent>,
    outbox: Vec<OutgoingEmail>,
    value: T,
}

impl<S: Store, H: PasswordHasher> Portal<S, H> {
    /// Wires the use cases to their ports.
    pub fn new(
        store: S,
        hasher: H,
        digester: impl TokenDigester + 'static,
        tokens: impl TokenGenerator + 'static,
        clock: impl Clock + 'static,
        ids: impl IdSource + 'static,
    ) -> Self {
        Self {
            store,
            hasher,
            digester: Box::new(digester),
            tokens: Box::new(tokens),
            clock: Box::new(clock),
            ids: Box::new(ids),
        }
    }

    /// The store, for reads the use cases do not wrap.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The current time by the configured clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The digest of a token, as stored.
    pub fn digest(&self, token: &str) -> TokenDigest {
        self.digester.digest(token)
    }

    // ---- identity ---------------------------------------------------------------------------

    /// Creates a user and their first account, which they own.
    pub async fn signup(&self, signup: Signup) -> ServiceResult<(User, Account)> {
        let password = Password::parse(&signup.password, &signup.email)?;
        if self.store.user_by_email(&signup.email).await?.is_some() {
            return Err(DomainError::EmailTaken.into());
        }
        let hash = self.hasher.hash(&password).await?;
        let now = self.clock.now();
        let user_id = UserId::from_uuid(self.ids.new_uuid());
        let user_event = register_user(
            Registration {
                id: user_id,
                email: signup.email.clone(),
                name: signup.name,
                password: hash,
                email_verified: false,
            },
            now,
        );
        let user = User::from_registered(&user_event).ok_or_else(|| StoreError::new("registration event"))?;
        let profile = Profile {
            display_name: signup.account_name,
            company: signup.company,
            primary_email: signup.email,
            phone: None,
            address: None,
            tax_id: None,
        };
        let opened = open_account(AccountId::from_uuid(self.ids.new_uuid()), user_id, profile, now);
        let account = Account::from_opened(&opened).ok_or_else(|| StoreError::new("opening event"))?;
        self.store
            .commit(Changes {
                accounts: vec![Saved { state: account.clone(), expected_version: 0, events: vec![opened] }],
                users: vec![Saved { state: user.clone(), expected_version: 0, events: vec![user_event] }],
                outbox: vec![],
            })
            .await?;
        Ok((user, account))
    }

    /// Checks an email and password. Does the same hashing work whether or not the email exists.
    pub async fn login(&self, email: &str, password: &str) -> ServiceResult<Login> {
        let mut user = self.check_password(email, password).await?;
        let now = self.clock.now();
        self.store.record_login(user.id(), now).await?;
        user.touch_login(now);
        self.login_of(user).await
    }

    async fn login_of(&self, user: User) -> ServiceResult<Login> {
        let accounts = self.account_summaries(user.id(), PageRequest { after: None, limit: 200 }).await?.items;
        Ok(Login { user, accounts })
    }

    /// The active user with this email and password; the same hashing work whether or not the
    /// email exists.
    pub(crate) async fn check_password(&self, email: &str, password: &str) -> ServiceResult<User> {
        let user = match EmailAddress::parse(email) {
            Ok(email) => self.store.user_by_email(&email).await?,
            Err(_) => None,
        };
        let hash = user.as_ref().map_or(self.hasher.decoy(), User::password_hash);
        let matches = self.hasher.verify(password, hash).await;
        let Some(user) = user.filter(|_| matches) else {
            return Err(ServiceError::InvalidCredentials);
        };
        user.ensure_active()?;
        Ok(user)
    }

    /// The acting user, if active (rule 7: a disabled user can do nothing).
    pub async fn active_user(&self, user: UserId) -> ServiceResult<User> {
        let user = self.store.user(user).await?.ok_or(DomainError::UserNotFound)?;
        user.ensure_active()?;
        Ok(user)
    }

    async fn check_actor(&self, actor: &Actor) -> ServiceResult<()> {
        if let Actor::User(user) = actor {
            // The status alone: this runs on every request.
            admit(self.store.user_status(*user).await?)?;
        }
        Ok(())
    }

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
            .filter(|listing| listing.access.membership.is_active(now))
            .map(|listing| AccountSummary {
                id: listing.account,
                display_name: listing.display_name,
                is_owner: listing.access.owner == user,
                permissions: listing.access.membership.permissions(),
                role: listing.access.membership.role().cloned(),
                closed: listing.access.account_status == crate::account::AccountStatus::Closed,
            })
            .collect();
        Ok(Page { items, next: page.next })
    }

    /// Changes the signed-in user's name or phone.
    pub async fn update_me(
        &self,
        user: UserId,
        name: Option<PersonName>,
        phone: Option<Option<PhoneNumber>>,
        if_match: Option<u64>,
    ) -> ServiceResult<User> {
        self.run_user(user, Actor::User(user), if_match, |u| u.version(), UserCommand::UpdateProfile { name, phone })
            .await
    }

    /// Replaces the signed-in user's notification preferences.
    pub async fn set_preferences(
        &self,
        user: UserId,
        preferences: NotificationPreferences,
        if_match: Option<u64>,
    ) -> ServiceResult<User> {
        self.run_user(
            user,
            Actor::User(user),
            if_match,
            User::preferences_version,
            UserCommand::SetPreferences(preferences),
        )
        .await
    }

    /// Disables a user everywhere (operator). Takes effect on their next request.
    pub async fn disable_user(&self, user: UserId) -> ServiceResult<User> {
        self.run_user(user, Actor::Operator, None, User::version, UserCommand::Disable).await
    }

    async fn run_user(
        &self,
        id: UserId,
        actor: Actor,
        if_match: Option<u64>,
        version_of: impl Fn(&User) -> u64,
        command: UserCommand,
    ) -> ServiceResult<User> {
        for _ in 0..MAX_ATTEMPTS {
            let user = self.store.user(id).await?.ok_or(DomainError::UserNotFound)?;
            if let Some(expected) = if_match
                && version_of(&user) != expected
            {
                return Err(ServiceError::PreconditionFailed { current: version_of(&user) });
            }
            let events = user.decide(&actor, command.clone(), self.clock.now())?;
            if events.is_empty() {
                return Ok(user);
            }
            let mut next = user.clone();
            for e in &events {
                next.apply(e);
            }
            let saved: Saved<User, UserEvent> = Saved { state: next.clone(), expected_version: user.version(), events };
            match self.store.commit(Changes { users: vec![saved], ..Changes::default() }).await {
                Ok(()) => return Ok(next),
                Err(CommitError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict)
    }

    // ---- accounts ---------------------------------------------------------------------------

    /// Opens another account owned by the signed-in user.
    pub async fn create_account(
        &self,
        user: UserId,
        display_name: CompanyName,
        company: Option<CompanyName>,
    ) -> ServiceResult<Account> {
        let owner = self.active_user(user).await?;
        let profile = Profile {
            display_name,
            company,
            primary_email: owner.email().clone(),
            phone: None,
            address: None,
            tax_id: None,
        };
        let opened = open_account(AccountId::from_uuid(self.ids.new_uuid()), user, profile, self.clock.now());
        let account = Account::from_opened(&opened).ok_or_else(|| StoreError::new("opening event"))?;
        self.store
            .commit(Changes {
                accounts: vec![Saved { state: account.clone(), expected_version: 0, events: vec![opened] }],
                ..Changes::default()
            })
            .await?;
        Ok(account)
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
                let events = account.decide(actor, AccountCommand::UpdateProfile(patch.clone()), now)?;
                Ok(Outcome { events, outbox: vec![], value: () })
            })
            .await?;
        Ok(account)
    }

    /// Hands ownership to another member (owner only).
    pub async fn transfer_ownership(&self, actor: &Actor, id: AccountId, to: UserId) -> ServiceResult<Account> {
        self.simple(actor, id, AccountCommand::TransferOwnership { to }).await
    }

    /// Names a new owner for an account whose owner has gone (operator).
    pub async fn reassign_owner(&self, id: AccountId, to: UserId, remove_previous: bool) -> ServiceResult<Account> {
        self.simple(&Actor::Operator, id, AccountCommand::ReassignOwner { to, remove_previous }).await
    }

    /// Closes the account (owner only).
    pub async fn close_account(&self, actor: &Actor, id: AccountId) -> ServiceResult<Account> {
        self.simple(actor, id, AccountCommand::Close).await
    }

    // ---- members and invites -----------------------------------------------------------------

    /// Invites someone; the email with the link goes through the outbox.
    pub async fn invite(&self, actor: &Actor, id: AccountId, request: InviteRequest) -> ServiceResult<Invite> {
        let existing_user = self.store.user_by_email(&request.email).await?.map(|u| u.id());
        let inviter = self.inviter_name(actor).await?;
        let invite_id = InviteId::from_uuid(self.ids.new_uuid());
        let (account, ()) = self
            .run_account(actor, id, |account, now| {
                let token = self.tokens.generate();
                let command = AccountCommand::Invite(InviteMember {
                    id: invite_id,
                    email: request.email.clone(),
                    name: request.name.clone(),
                    permissions: request.permissions,
                    role: request.role.clone(),
                    access_ends_at: request.access_ends_at,
                    token: self.digester.digest(&token),
                    existing_user,
                });
                let events = account.decide(actor, command, now)?;
                let outbox = vec![invite_email(account, &request.email, &inviter, invite_id, token, now)];
                Ok(Outcome { events, outbox, value: () })
            })
            .await?;
        account.invite(invite_id).cloned().ok_or_else(|| StoreError::new("invite missing after commit").into())
    }

    /// Sends an open invite again with a new link; the old link stops working.
    pub async fn resend_invite(&self, actor: &Actor, id: AccountId, invite: InviteId) -> ServiceResult<Invite> {
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
        account.invite(invite).cloned().ok_or_else(|| StoreError::new("invite missing after commit").into())
    }

    /// Cancels an open invite; its link stops working.
    pub async fn cancel_invite(&self, actor: &Actor, id: AccountId, invite: InviteId) -> ServiceResult<Account> {
        self.simple(actor, id, AccountCommand::CancelInvite { invite }).await
    }

    async fn inviter_name(&self, actor: &Actor) -> ServiceResult<PersonName> {
        match actor {
            Actor::User(u) => Ok(self.active_user(*u).await?.name().clone()),
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
        let status = invite.status(self.clock.now());
        if !matches!(status, InviteStatus::Pending | InviteStatus::Expired) {
            return Err(DomainError::InviteNotPending(status).into());
        }
        let inviter = self.store.user(invite.invited_by()).await?.map(|u| u.name().clone());
        let user_exists = self.store.user_by_email(invite.email()).await?.is_some();
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

    /// Accepts an invite as the signed-in user. The link was mailed to the invited address, so a
    /// user whose login email is that address proves it by holding the link.
    pub async fn accept_invite(&self, user: UserId, token: &str) -> ServiceResult<Account> {
        let (digest, id) = self.account_by_token(token).await?;
        let accepting = self.active_user(user).await?;
        let actor = Actor::User(user);
        let (account, ()) = self
            .run_account_unchecked(id, |account, now| {
                let proven_by_link = account.invite_by_token(&digest).is_some_and(|i| i.email() == accepting.email());
                let command = AccountCommand::AcceptInvite {
                    token: digest.clone(),
                    email: accepting.email().clone(),
                    email_verified: accepting.email_verified() || proven_by_link,
                };
                let events = account.decide(&actor, command, now)?;
                Ok(Outcome { events, outbox: vec![], value: () })
            })
            .await?;
        if !accepting.email_verified() {
            // Best effort: the acceptance stands even if this races with another change to the user.
            let _ = self.run_user(user, actor, None, User::version, UserCommand::VerifyEmail).await;
        }
        Ok(account)
    }

    /// Signs up through an invite link and accepts it: the new user's email is the invite's, and
    /// it is verified because the link was mailed there.
    pub async fn accept_invite_as_new_user(
        &self,
        token: &str,
        name: PersonName,
        password: &str,
    ) -> ServiceResult<(User, Account)> {
        let (digest, id) = self.account_by_token(token).await?;
        let account = self.store.account(id).await?.ok_or(DomainError::InviteNotFound)?;
        let email = account.invite_by_token(&digest).ok_or(DomainError::InviteNotFound)?.email().clone();
        let password = Password::parse(password, &email)?;
        if self.store.user_by_email(&email).await?.is_some() {
            return Err(DomainError::EmailTaken.into());
        }
        let hash = self.hasher.hash(&password).await?;
        let user_id = UserId::from_uuid(self.ids.new_uuid());
        for _ in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let registered = register_user(
                Registration {
                    id: user_id,
                    email: email.clone(),
                    name: name.clone(),
                    password: hash.clone(),
                    email_verified: true,
                },
                now,
            );
            let user = User::from_registered(&registered).ok_or_else(|| StoreError::new("registration event"))?;
            let account = self.store.account(id).await?.ok_or(DomainError::InviteNotFound)?;
            let command =
                AccountCommand::AcceptInvite { token: digest.clone(), email: email.clone(), email_verified: true };
            let events = account.decide(&Actor::User(user_id), command, now)?;
            let next = applied(&account, &events);
            let changes = Changes {
                accounts: vec![Saved { state: next.clone(), expected_version: account.version(), events }],
                users: vec![Saved { state: user.clone(), expected_version: 0, events: vec![registered] }],
                outbox: vec![],
            };
            match self.store.commit(changes).await {
                Ok(()) => return Ok((user, next)),
                Err(CommitError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict)
    }

    /// Declines an invite, as whoever holds the link.
    pub async fn decline_invite(&self, token: &str) -> ServiceResult<()> {
        let (digest, id) = self.account_by_token(token).await?;
        self.run_account_unchecked(id, |account, now| {
            let events =
                account.decide(&Actor::InviteHolder, AccountCommand::DeclineInvite { token: digest.clone() }, now)?;
            Ok(Outcome { events, outbox: vec![], value: () })
        })
        .await?;
        Ok(())
    }

    /// Changes another member's access. `if_match` is the membership's version.
    pub async fn edit_member(
        &self,
        actor: &Actor,
        id: AccountId,
        edit: EditMember,
        if_match: Option<u64>,
    ) -> ServiceResult<Membership> {
        let user = edit.user;
        let (account, ()) = self
            .run_account(actor, id, |account, now| {
                if let Some(m) = account.member(user) {
                    precondition(if_match, m.version())?;
                }
                let events = account.decide(actor, AccountCommand::EditMember(edit.clone()), now)?;
                Ok(Outcome { events, outbox: vec![], value: () })
            })
            .await?;
        account.member(user).cloned().ok_or_else(|| DomainError::MemberNotFound.into())
    }

    /// Removes another member; they can do nothing in the account from their next request.
    pub async fn remove_member(&self, actor: &Actor, id: AccountId, user: UserId) -> ServiceResult<Account> {
        self.simple(actor, id, AccountCommand::RemoveMember { user }).await
    }

    /// Leaves an account.
    pub async fn leave(&self, actor: &Actor, id: AccountId) -> ServiceResult<Account> {
        self.simple(actor, id, AccountCommand::Leave).await
    }

    // ---- contacts ----------------------------------------------------------------------------

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
                let events =
                    account.decide(actor, AccountCommand::EditContact { contact, patch: patch.clone() }, now)?;
                Ok(Outcome { events, outbox: vec![], value: () })
            })
            .await?;
        account.contact(contact).cloned().ok_or_else(|| DomainError::ContactNotFound.into())
    }

    /// Removes a contact.
    pub async fn remove_contact(&self, actor: &Actor, id: AccountId, contact: ContactId) -> ServiceResult<Account> {
        self.simple(actor, id, AccountCommand::RemoveContact { contact }).await
    }

    // ---- notices -----------------------------------------------------------------------------

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
                        crate::account::AccountChange::NoticeRecorded { recipients, .. } => Some(recipients.clone()),
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

    // ---- governance --------------------------------------------------------------------------

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
        target: crate::account::Target,
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

    // ---- lists ------------------------------------------------------------------------------

    /// Whether `actor` may read `view` of an account, from one indexed read (rule 2 and rule 7,
    /// re-checked on every request). Returns the account's owner.
    pub async fn authorize(&self, actor: &Actor, account: AccountId, view: View) -> ServiceResult<UserId> {
        Ok(self.admit_to(actor, account, view).await?.0)
    }

    /// [`Portal::authorize`], with the permissions the actor holds there (the operator: all).
    async fn admit_to(&self, actor: &Actor, account: AccountId, view: View) -> ServiceResult<(UserId, PermissionSet)> {
        match actor {
            Actor::User(user) => {
                let now = self.clock.now();
                // The actor's status and membership from one read: this runs on every request.
                let standing = self.store.standing(account, *user).await?;
                admit(standing.as_ref().map(|(status, _)| *status))?;
                let access = standing.and_then(|(_, access)| access);
                crate::account::Access::authorize_view(access.as_ref(), view, now)?;
                let access = access.ok_or(DomainError::AccountNotFound)?;
                if access.membership.last_active_at().is_none_or(|last| now - last >= ACTIVITY_RESOLUTION) {
                    self.store.record_activity(account, *user, now).await?;
                }
                Ok((access.owner, access.membership.permissions()))
            }
            Actor::Operator => {
                let owner = self.store.account(account).await?.ok_or(DomainError::AccountNotFound)?.owner();
                Ok((owner, PermissionSet::ALL))
            }
            Actor::InviteHolder => Err(DomainError::AccountNotFound.into()),
        }
    }

    async fn member_views(&self, owner: UserId, memberships: Vec<Membership>) -> ServiceResult<Vec<MemberView>> {
        let ids: Vec<UserId> = memberships.iter().map(Membership::user).collect();
        let users: std::collections::HashMap<UserId, User> =
            self.store.users(&ids).await?.into_iter().map(|u| (u.id(), u)).collect();
        memberships
            .into_iter()
            .map(|m| {
                let user =
                    users.get(&m.user()).ok_or_else(|| StoreError::corrupt("memberships", m.user(), "no such user"))?;
                Ok(MemberView {
                    is_owner: m.user() == owner,
                    email: user.email().clone(),
                    name: user.name().clone(),
                    membership: m,
                })
            })
            .collect()
    }

    /// A page of the account's members with who they are (needs `users.manage`).
    pub async fn members(
        &self,
        actor: &Actor,
        account: AccountId,
        page: PageRequest<UserId>,
    ) -> ServiceResult<Page<MemberView, UserId>> {
        let owner = self.authorize(actor, account, View::Members).await?;
        let page = self.store.member_rows_page(account, page).await?;
        let items = page
            .items
            .into_iter()
            .map(|row| MemberView {
                is_owner: row.membership.user() == owner,
                email: row.email,
                name: row.name,
                membership: row.membership,
            })
            .collect();
        Ok(Page { items, next: page.next })
    }

    /// One member (needs `users.manage`, or be that member).
    pub async fn member(&self, actor: &Actor, account: AccountId, user: UserId) -> ServiceResult<MemberView> {
        let view = if actor.user() == Some(user) { View::Summary } else { View::Members };
        let owner = self.authorize(actor, account, view).await?;
        let access = self.store.access(account, user).await?.ok_or(DomainError::MemberNotFound)?;
        self.member_views(owner, vec![access.membership]).await?.pop().ok_or_else(|| DomainError::MemberNotFound.into())
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

    /// A page of the notices sent to the account, each with who received it and why (needs `notices.view`).
    pub async fn notices(
        &self,
        actor: &Actor,
        account: AccountId,
        page: PageRequest<crate::ids::NoticeId>,
    ) -> ServiceResult<Page<crate::ports::NoticeRecord, crate::ids::NoticeId>> {
        self.authorize(actor, account, View::Notices).await?;
        Ok(self.store.notices_page(account, page).await?)
    }

    /// The invites waiting for the signed-in user's email, with each account's name.
    pub async fn my_invites(&self, user: UserId) -> ServiceResult<Vec<(AccountId, CompanyName, Invite)>> {
        let me = self.active_user(user).await?;
        let found = self.store.open_invites_for(me.email(), 100).await?;
        let mut out = Vec::with_capacity(found.len());
        for (account, invite) in found {
            if let Some(state) = self.store.account(account).await? {
                out.push((account, state.profile().display_name.clone(), invite));
            }
        }
        Ok(out)
    }

    /// Every account, by id (the operator's list).
    pub async fn admin_accounts(
        &self,
        page: PageRequest<AccountId>,
    ) -> ServiceResult<Page<crate::ports::AccountListing, AccountId>> {
        Ok(self.store.accounts_page(page).await?)
    }

    // ---- the load-decide-save loop ------------------------------------------------------------

    async fn simple(&self, actor: &Actor, id: AccountId, command: AccountCommand) -> ServiceResult<Account> {
        let (account, ()) = self
            .run_account(actor, id, |account, now| {
                let events = account.decide(actor, command.clone(), now)?;
                Ok(Outcome { events, outbox: vec![], value: () })
            })
            .await?;
        Ok(account)
    }

    async fn run_account<T>(
        &self,
        actor: &Actor,
        id: AccountId,
        decide: impl Fn(&Account, DateTime<Utc>) -> ServiceResult<Outcome<T>>,
    ) -> ServiceResult<(Account, T)> {
        self.check_actor(actor).await?;
        self.run_account_unchecked(id, decide).await
    }

    /// Loads, decides and commits, deciding again on a lost race: the rules are checked against
    /// the state the change is written over, never a stale one.
    async fn run_account_unchecked<T>(
        &self,
        id: AccountId,
        decide: impl Fn(&Account, DateTime<Utc>) -> ServiceResult<Outcome<T>>,
    ) -> ServiceResult<(Account, T)> {
        for _ in 0..MAX_ATTEMPTS {
            let account = self.store.account(id).await?.ok_or(DomainError::AccountNotFound)?;
            let Outcome { events, outbox, value } = decide(&account, self.clock.now())?;
            if events.is_empty() {
                return Ok((account, value));
            }
            let next = applied(&account, &events);
            let saved = Saved { state: next.clone(), expected_version: account.version(), events };
            match self.store.commit(Changes { accounts: vec![saved], users: vec![], outbox }).await {
                Ok(()) => return Ok((next, value)),
                Err(CommitError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict)
    }
}

fn applied(account: &Account, events: &[AccountEvent]) -> Account {
    let mut next = account.clone();
    for e in events {
        next.apply(e);
    }
    next
}

/// Whether a user of this status may act (rule 7: a disabled user can do nothing).
fn admit(status: Option<UserStatus>) -> ServiceResult<()> {
    match status {
        Some(UserStatus::Active) => Ok(()),
        Some(UserStatus::Disabled) => Err(DomainError::UserDisabled.into()),
        None => Err(DomainError::UserNotFound.into()),
    }
}

fn precondition(if_match: Option<u64>, current: u64) -> ServiceResult<()> {
    match if_match {
        Some(expected) if expected != current => Err(ServiceError::PreconditionFailed { current }),
        _ => Ok(()),
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

/// A session ends after this long without a request.
pub const SESSION_IDLE: chrono::Duration = chrono::Duration::minutes(30);
/// A session ends this long after sign-in, however active.
pub const SESSION_ABSOLUTE: chrono::Duration = chrono::Duration::hours(12);

/// A new session: the token goes to the client once; only its digest is stored.
#[derive(Clone)]
pub struct NewSession {
    /// The session's public id.
    pub id: crate::ids::SessionId,
    /// The bearer token. Never logged, never stored.
    pub token: String,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession").field("id", &self.id).field("token", &"<redacted>").finish()
    }
}

pub use crate::limits::RATE_WINDOW;
/// Failed sign-ins allowed per email address from one client ([`crate::limits`]).
pub const LOGIN_ATTEMPTS: u32 = crate::limits::LOGIN_FAILURES_PER_PAIR;
/// Activity is recorded at most this often per member and account (the review counts days).
pub const ACTIVITY_RESOLUTION: chrono::Duration = chrono::Duration::minutes(5);

impl<S: Store + crate::ports::SessionStore, H: PasswordHasher> Portal<S, H> {
    /// Signs in: checks the password, then starts a session and records the login (one write).
    pub async fn sign_in(&self, email: &str, password: &str) -> ServiceResult<(Login, NewSession)> {
        let user = self.check_password(email, password).await?;
        self.signed_in(user).await
    }

    /// Starts the session of a user whose password was just checked, and records the login.
    async fn signed_in(&self, mut user: User) -> ServiceResult<(Login, NewSession)> {
        let now = self.clock.now();
        let token = self.tokens.generate();
        let id = crate::ids::SessionId::from_uuid(self.ids.new_uuid());
        let digest = self.digester.digest(&token);
        self.store.create_login_session(id, &digest, user.id(), now, SESSION_IDLE, SESSION_ABSOLUTE).await?;
        user.touch_login(now);
        let session = NewSession { id, token, expires_at: now + SESSION_ABSOLUTE };
        Ok((self.login_of(user).await?, session))
    }

    /// Starts a session for `user`.
    pub async fn start_session(&self, user: UserId) -> ServiceResult<NewSession> {
        let now = self.clock.now();
        let token = self.tokens.generate();
        let id = crate::ids::SessionId::from_uuid(self.ids.new_uuid());
        self.store.create_session(id, &self.digester.digest(&token), user, now, SESSION_IDLE, SESSION_ABSOLUTE).await?;
        Ok(NewSession { id, token, expires_at: now + SESSION_ABSOLUTE })
    }

    /// The active user behind a bearer token (rule 7: re-read on every request; a disabled
    /// user's sessions are ended). `InvalidCredentials` for anything else.
    pub async fn authenticate(&self, token: &str) -> ServiceResult<(crate::ids::SessionId, User)> {
        let digest = self.digester.digest(token);
        let Some((session, user)) = self.store.session_user(&digest, self.clock.now(), SESSION_IDLE).await? else {
            return Err(ServiceError::InvalidCredentials);
        };
        self.refuse_disabled(user.id(), user.status()).await?;
        Ok((session, user))
    }

    /// [`Portal::authenticate`] when the caller needs only the user's id: the session and the
    /// user's status from one read, not the whole user.
    pub async fn authenticate_id(&self, token: &str) -> ServiceResult<(crate::ids::SessionId, UserId)> {
        let digest = self.digester.digest(token);
        let Some((session, user, status)) = self.store.session_holder(&digest, self.clock.now(), SESSION_IDLE).await?
        else {
            return Err(ServiceError::InvalidCredentials);
        };
        self.refuse_disabled(user, status).await?;
        Ok((session, user))
    }

    /// A disabled user's sessions end at their next use (rule 7).
    async fn refuse_disabled(&self, user: UserId, status: UserStatus) -> ServiceResult<()> {
        if status == UserStatus::Disabled {
            self.store.end_sessions_of(user).await?;
            return Err(ServiceError::InvalidCredentials);
        }
        Ok(())
    }

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
    pub async fn authenticate_operator(&self, key: &str) -> ServiceResult<()> {
        if self.store.operator_key_exists(&self.digester.digest(key)).await? {
            Ok(())
        } else {
            Err(ServiceError::InvalidCredentials)
        }
    }

    /// Ends the session of a bearer token (logout).
    pub async fn sign_out(&self, token: &str) -> ServiceResult<()> {
        Ok(self.store.end_session(&self.digester.digest(token)).await?)
    }
}
