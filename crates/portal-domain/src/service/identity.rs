//! Identity and sessions: sign-up, the one sign-in path, bearer sessions, sign-out, and the
//! signed-in user's own profile and preferences.

use chrono::{DateTime, Utc};

use super::mfa::SignIn;
use super::{AuthError, AuthResult, Portal, ServiceError, ServiceResult};
use crate::account::{Account, AccountSummary};
use crate::actor::Actor;
use crate::credentials::{Revocation, TokenPurpose};
use crate::error::DomainError;
use crate::ids::{SessionId, UserId};
use crate::limits::{
    LOGIN_ATTEMPTS_PER_CLIENT, LOGIN_FAILURES_PER_EMAIL, LOGIN_FAILURES_PER_PAIR, RATE_WINDOW as WINDOW,
    SIGNUPS_PER_CLIENT, SignInKeys,
};
use crate::notification::NotificationPreferences;
use crate::ports::{
    Changes, Message, OutgoingEmail, PageRequest, PasswordHasher, Saved, SessionStart, SessionStore, Store,
};
use crate::session::SessionTimes;
use crate::user::{Registration, User, UserCommand, UserStatus, register_user};
use crate::values::{ClientInfo, CompanyName, EmailAddress, Password, PasswordHash, PersonName, PhoneNumber};

pub use crate::limits::RATE_WINDOW;
/// Failed sign-ins allowed per email address from one client ([`crate::limits`]).
pub const LOGIN_ATTEMPTS: u32 = crate::limits::LOGIN_FAILURES_PER_PAIR;
/// Activity is recorded at most this often per member and account (the review counts days).
pub const ACTIVITY_RESOLUTION: chrono::Duration = chrono::Duration::minutes(5);
/// A session ends after this long without a request.
pub const SESSION_IDLE: chrono::Duration = chrono::Duration::minutes(30);
/// A session ends this long after sign-in, however active.
pub const SESSION_ABSOLUTE: chrono::Duration = chrono::Duration::hours(12);

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

/// What a successful sign-in returns.
#[derive(Debug, Clone)]
pub struct Login {
    /// The user.
    pub user: User,
    /// Their accounts, for the account picker.
    pub accounts: Vec<AccountSummary>,
}

/// A new session: the token goes to the client once; only its digest is stored.
#[derive(Clone)]
pub struct NewSession {
    /// The session's public id.
    pub id: SessionId,
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

/// What a sign-up did; the API answers both alike.
// Made once per sign-up and matched at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum SignedUp {
    /// A new registration (or one that took over a lapsed unverified one): a verification link
    /// went to the address.
    Registered {
        /// The user, not yet verified.
        user: User,
        /// Their first account.
        account: Account,
    },
    /// The address has an account: a mail went to it saying so.
    AddressHeld,
}

/// A new user, signed in: from an invite link.
#[derive(Debug, Clone)]
pub struct Joined {
    /// The user and their accounts.
    pub login: Login,
    /// The account they own (sign-up) or joined (invite).
    pub account: Account,
    /// Their first session.
    pub session: NewSession,
}

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// Signs up from a client (within the per-client sign-up limit), answering alike whether or
    /// not the address is free: a free address gets a user, their first account (which they
    /// own) and a verification link; an unverified registration older than
    /// [`UNVERIFIED_HOLD`](crate::credentials::UNVERIFIED_HOLD) is taken over the same way; a held
    /// address gets a "you already have an account" mail with a reset link. Nobody is signed in:
    /// the answer must not differ. The password is hashed on every path, so the time does not
    /// differ either.
    pub async fn signup(&self, client: &ClientInfo, signup: Signup) -> AuthResult<SignedUp> {
        self.within_limit(self.signup_key(client.address()).as_str(), SIGNUPS_PER_CLIENT).await?;
        let password = Password::parse(&signup.password, &signup.email)?;
        let hash = self.hasher.hash(&password).await?;
        match self.store.user_by_email(&signup.email).await? {
            None => match self.register(client, &signup, &hash).await {
                Err(ServiceError::Domain(DomainError::EmailTaken)) => self.address_held(&signup.email).await,
                done => Ok(done?),
            },
            Some(held) if held.may_be_taken_over(false, self.clock.now()) => {
                let (user, account) = self.take_over_registration(client, &signup, &held, &hash).await?;
                Ok(SignedUp::Registered { user, account })
            }
            Some(_) => self.address_held(&signup.email).await,
        }
    }

    /// A new user and their first account, with the verification link, in one commit.
    async fn register(&self, client: &ClientInfo, signup: &Signup, hash: &PasswordHash) -> ServiceResult<SignedUp> {
        let now = self.clock.now();
        let user_id = UserId::from_uuid(self.ids.new_uuid());
        let registration = Registration {
            id: user_id,
            email: signup.email.clone(),
            name: signup.name.clone(),
            password: hash.clone(),
            email_verified: false,
        };
        let user_event = register_user(registration, now).from_client(client);
        let user = User::from_registered(&user_event).ok_or(ServiceError::Internal("registration event"))?;
        let (account, opened) =
            self.opened(user_id, signup.account_name.clone(), signup.company.clone(), signup.email.clone(), now)?;
        let (token, outbox) = self.verification_link(&user, now);
        self.store
            .commit(
                Changes {
                    accounts: vec![opened],
                    users: vec![Saved { state: user.clone(), expected_version: 0, events: vec![user_event] }],
                    outbox: vec![outbox],
                    ..Changes::default()
                }
                .issuing(token),
            )
            .await?;
        Ok(SignedUp::Registered { user, account })
    }

    /// An unverified registration past its hold, taken over by a new one of its address: the old
    /// holder's sessions and links end, the new registrant gets the account they asked for and a
    /// verification link.
    async fn take_over_registration(
        &self,
        client: &ClientInfo,
        signup: &Signup,
        held: &User,
        hash: &PasswordHash,
    ) -> AuthResult<(User, Account)> {
        let now = self.clock.now();
        let command = UserCommand::TakeOver { name: signup.name.clone(), password: hash.clone(), proven: false };
        let events: Vec<_> = super::security::made_from(held.decide(&Actor::User(held.id()), command, now)?, client);
        let (user, save) = super::run::saved(held, events);
        let (account, opened) =
            self.opened(user.id(), signup.account_name.clone(), signup.company.clone(), signup.email.clone(), now)?;
        let (token, outbox) = self.verification_link(&user, now);
        let mut accounts = self.abandoned_accounts(held, now).await?;
        accounts.push(opened);
        self.store
            .commit(
                Changes {
                    accounts,
                    users: vec![save],
                    outbox: vec![outbox],
                    revocations: vec![Revocation::taken_over(user.id())],
                    ..Changes::default()
                }
                .issuing(token),
            )
            .await
            .map_err(ServiceError::from)?;
        Ok((user, account))
    }

    /// The accounts an unverified registration being taken over owns, closed: whoever proves
    /// the address gets a clean login, not what the one who held it set up.
    pub(super) async fn abandoned_accounts(
        &self,
        held: &User,
        now: DateTime<Utc>,
    ) -> ServiceResult<Vec<Saved<Account, crate::account::AccountEvent>>> {
        let mut closed = Vec::new();
        let mut after = None;
        loop {
            let page = self.store.accounts_of(held.id(), PageRequest { after, limit: 100 }).await?;
            for id in &page.items {
                let Some(account) = self.store.account(*id).await? else { continue };
                if account.owner() == held.id() {
                    let events = account.decide(&Actor::User(held.id()), crate::account::AccountCommand::Close, now)?;
                    closed.push(super::run::saved(&account, events).1);
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(closed),
            }
        }
    }

    /// The answer to a sign-up of a held address: a mail to it saying so, with a reset link
    /// while the address has reset mails left this hour.
    async fn address_held(&self, email: &EmailAddress) -> AuthResult<SignedUp> {
        let Some(user) = self.store.user_by_email(email).await? else { return Ok(SignedUp::AddressHeld) };
        let now = self.clock.now();
        let (tokens, reset_token) = match self.reset_mail_allowed(email).await? {
            true => {
                let (token, raw) = self.issue(&user, TokenPurpose::PasswordReset, now);
                (vec![token], Some(raw))
            }
            false => (vec![], None),
        };
        let expires_at = now + TokenPurpose::PasswordReset.lifetime();
        let outbox = vec![OutgoingEmail {
            to: user.email().clone(),
            message: Message::AccountExists { reset_token, expires_at },
        }];
        let changes = tokens.into_iter().fold(Changes { outbox, ..Changes::default() }, Changes::issuing);
        self.store.commit(changes).await.map_err(ServiceError::from)?;
        Ok(SignedUp::AddressHeld)
    }

    /// Signs in from a client (its network address, as the transport determined it): the one
    /// sign-in path. Refused before any password is hashed when the client has made too many
    /// attempts or this email has failed too often from this client or from everywhere; then
    /// the password is checked and the attempt counted: for the client always, for the email
    /// only when it failed. Then a session starts and the login is recorded (one write).
    /// With the second factor on, no session starts yet: the answer is a ticket for
    /// [`Portal::sign_in_second_factor`].
    pub async fn sign_in(&self, client: &ClientInfo, email: &str, password: &str) -> AuthResult<SignIn> {
        let keys = SignInKeys::new(&*self.digester, client.address(), email);
        let (client_key, pair, address) = (keys.client.as_str(), keys.pair.as_str(), keys.email.as_str());
        let all = [
            (client_key, LOGIN_ATTEMPTS_PER_CLIENT),
            (pair, LOGIN_FAILURES_PER_PAIR),
            (address, LOGIN_FAILURES_PER_EMAIL),
        ];
        self.check_limits(&all).await?;
        let checked = self.check_password(email, password).await;
        // A success counts for the client alone (its key is first); a failure for all three.
        let counted = if checked.is_ok() { &all[..1] } else { &all[..] };
        // The verdict was given before the hash; this only counts.
        self.store.rate_limit_hits(counted, self.clock.now(), WINDOW).await?;
        let user = checked?;
        if user.mfa().is_on() {
            return Ok(SignIn::SecondFactor(self.mfa_ticket(&user).await?));
        }
        let (login, session) = self.signed_in(client, user).await?;
        Ok(SignIn::Session(login, session))
    }

    /// The active user with this email and password; the same hashing work whether or not the
    /// email exists.
    async fn check_password(&self, email: &str, password: &str) -> AuthResult<User> {
        let user = match EmailAddress::parse(email) {
            Ok(email) => self.store.user_by_email(&email).await?,
            Err(_) => None,
        };
        let hash = user.as_ref().map_or(self.hasher.decoy(), User::password_hash);
        let matches = self.hasher.verify(password, hash).await;
        let Some(user) = user.filter(|_| matches) else {
            return Err(AuthError::InvalidCredentials);
        };
        user.ensure_active()?;
        Ok(user)
    }

    /// Starts the session of a user whose password was just checked, and records the login.
    pub(super) async fn signed_in(&self, client: &ClientInfo, user: User) -> AuthResult<(Login, NewSession)> {
        let accounts = self.account_summaries(user.id(), PageRequest { after: None, limit: 200 }).await?.items;
        self.start_login(client, user, accounts).await
    }

    /// Signs in a user just made, whose one account is `account` (no need to read it back).
    pub(super) async fn joined(&self, client: &ClientInfo, user: User, account: Account) -> AuthResult<Joined> {
        let accounts = account.summary_for(user.id(), self.clock.now()).into_iter().collect();
        let (login, session) = self.start_login(client, user, accounts).await?;
        Ok(Joined { login, account, session })
    }

    /// Starts a session for `user`, whose accounts are `accounts`, and records the login (one
    /// write).
    async fn start_login(
        &self,
        client: &ClientInfo,
        mut user: User,
        accounts: Vec<AccountSummary>,
    ) -> AuthResult<(Login, NewSession)> {
        let now = self.clock.now();
        let token = self.tokens.generate();
        let id = SessionId::from_uuid(self.ids.new_uuid());
        let times = SessionTimes::start(now, SESSION_IDLE, SESSION_ABSOLUTE);
        let start =
            SessionStart { id, token: self.digester.digest(&token), user: user.id(), times, client: client.clone() };
        self.store.create_login_session(&start).await?;
        self.tell_of_new_client(client, &user, id, now).await?;
        user.touch_login(now);
        Ok((Login { user, accounts }, NewSession { id, token, expires_at: now + SESSION_ABSOLUTE }))
    }

    /// The active user behind a bearer token (rule 7: re-read on every request; a disabled
    /// user's sessions are ended). `InvalidCredentials` for anything else.
    pub async fn authenticate(&self, token: &str) -> AuthResult<(SessionId, User)> {
        let digest = self.digester.digest(token);
        let Some((session, user)) = self.store.session_user(&digest, self.clock.now(), SESSION_IDLE).await? else {
            return Err(AuthError::InvalidCredentials);
        };
        self.refuse_disabled(user.id(), user.status()).await?;
        Ok((session, user))
    }

    /// [`Portal::authenticate`] when the caller needs only the user's id: the session and the
    /// user's status from one read, not the whole user.
    pub async fn authenticate_id(&self, token: &str) -> AuthResult<(SessionId, UserId)> {
        let digest = self.digester.digest(token);
        let Some((session, user, status)) = self.store.session_holder(&digest, self.clock.now(), SESSION_IDLE).await?
        else {
            return Err(AuthError::InvalidCredentials);
        };
        self.refuse_disabled(user, status).await?;
        Ok((session, user))
    }

    /// A disabled user's sessions end at their next use (rule 7).
    async fn refuse_disabled(&self, user: UserId, status: UserStatus) -> AuthResult<()> {
        if status == UserStatus::Disabled {
            self.store.end_sessions_of(user).await?;
            return Err(AuthError::InvalidCredentials);
        }
        Ok(())
    }

    /// Ends the session of a bearer token (logout).
    pub async fn sign_out(&self, token: &str) -> ServiceResult<()> {
        Ok(self.store.end_session(&self.digester.digest(token)).await?)
    }

    /// Changes the signed-in user's name or phone.
    pub async fn update_me(
        &self,
        user: UserId,
        name: Option<PersonName>,
        phone: Option<Option<PhoneNumber>>,
        if_match: Option<u64>,
    ) -> ServiceResult<User> {
        self.run_user(user, Actor::User(user), if_match, User::version, UserCommand::UpdateProfile { name, phone })
            .await
    }

    /// Replaces the signed-in user's notification preferences.
    pub async fn set_preferences(
        &self,
        user: UserId,
        preferences: NotificationPreferences,
        if_match: Option<u64>,
    ) -> ServiceResult<User> {
        let command = UserCommand::SetPreferences(preferences);
        self.run_user(user, Actor::User(user), if_match, User::preferences_version, command).await
    }
}
