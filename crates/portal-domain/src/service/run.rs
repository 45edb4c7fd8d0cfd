//! The one loop every change runs through: load, decide against what is stored now, commit;
//! on a lost race (a version conflict) decide again, so a rule is never checked against a stale
//! state, and give up after [`MAX_ATTEMPTS`].

use chrono::{DateTime, Utc};

use super::{Portal, ServiceError, ServiceResult};
use crate::account::{Account, AccountCommand, AccountEvent};
use crate::actor::Actor;
use crate::error::DomainError;
use crate::ids::{AccountId, UserId};
use crate::ports::{Changes, CommitError, OutgoingEmail, PasswordHasher, Saved, SessionStore, Store};
use crate::user::{User, UserCommand, UserEvent};

/// How often a command is decided again after losing a race (a version conflict) before giving up.
pub const MAX_ATTEMPTS: usize = 5;

/// What one attempt decided: what to write, and what to answer once it is written. Empty
/// changes are not committed.
pub(super) struct Decided<T> {
    pub(super) changes: Changes,
    pub(super) value: T,
}

/// What a decision on one account gives: its events, the emails they cause, and a value.
pub(super) struct Outcome<T> {
    pub(super) events: Vec<AccountEvent>,
    pub(super) outbox: Vec<OutgoingEmail>,
    pub(super) value: T,
}

impl<T> Outcome<T> {
    /// Events alone.
    pub(super) fn events(events: Vec<AccountEvent>, value: T) -> Self {
        Self { events, outbox: vec![], value }
    }
}

/// An aggregate that changes by folding its events and is saved at a version.
pub(super) trait Folds: Clone {
    type Event;
    fn fold(&mut self, event: &Self::Event);
    fn version(&self) -> u64;
}

impl Folds for Account {
    type Event = AccountEvent;
    fn fold(&mut self, event: &AccountEvent) {
        self.apply(event);
    }
    fn version(&self) -> u64 {
        Account::version(self)
    }
}

impl Folds for User {
    type Event = UserEvent;
    fn fold(&mut self, event: &UserEvent) {
        self.apply(event);
    }
    fn version(&self) -> u64 {
        User::version(self)
    }
}

/// `current` with `events` folded in, and the save that writes it over `current`'s version.
pub(super) fn saved<A: Folds>(current: &A, events: Vec<A::Event>) -> (A, Saved<A, A::Event>) {
    let mut next = current.clone();
    for e in &events {
        next.fold(e);
    }
    let save = Saved { state: next.clone(), expected_version: current.version(), events };
    (next, save)
}

/// `If-Match`: the caller's version, when given, must be the current one.
pub(super) fn precondition(if_match: Option<u64>, current: u64) -> ServiceResult<()> {
    match if_match {
        Some(expected) if expected != current => Err(ServiceError::PreconditionFailed { current }),
        _ => Ok(()),
    }
}

impl<S: Store + SessionStore, H: PasswordHasher> Portal<S, H> {
    /// The loop: each attempt loads and decides at the clock's time; its changes are committed,
    /// and a lost race means deciding again over the state that won.
    ///
    /// `attempt` returns a future that holds only what it was handed (references copied in),
    /// not a borrow of the closure: that keeps every use case's future `Send`.
    pub(super) async fn run<T, F>(&self, attempt: impl Fn(DateTime<Utc>) -> F) -> ServiceResult<T>
    where
        F: Future<Output = ServiceResult<Decided<T>>>,
    {
        for _ in 0..MAX_ATTEMPTS {
            let Decided { changes, value } = attempt(self.clock.now()).await?;
            if changes.is_empty() {
                return Ok(value);
            }
            match self.store.commit(changes).await {
                Ok(()) => return Ok(value),
                Err(CommitError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict)
    }

    /// Decides on account `id` as `actor`, who must be able to act at all (rule 7).
    pub(super) async fn run_account<T>(
        &self,
        actor: &Actor,
        id: AccountId,
        decide: impl Fn(&Account, DateTime<Utc>) -> ServiceResult<Outcome<T>>,
    ) -> ServiceResult<(Account, T)> {
        self.check_actor(actor).await?;
        self.run_account_unchecked(id, decide).await
    }

    /// Decides on account `id` for a caller who is not a user acting in it (the holder of an
    /// invite link, the operator): the decision itself says who may.
    pub(super) async fn run_account_unchecked<T>(
        &self,
        id: AccountId,
        decide: impl Fn(&Account, DateTime<Utc>) -> ServiceResult<Outcome<T>>,
    ) -> ServiceResult<(Account, T)> {
        let decide = &decide;
        self.run(|now| async move {
            let account = self.store.account(id).await?.ok_or(DomainError::AccountNotFound)?;
            let Outcome { events, outbox, value } = decide(&account, now)?;
            if events.is_empty() {
                return Ok(Decided { changes: Changes::default(), value: (account, value) });
            }
            let (next, save) = saved(&account, events);
            Ok(Decided {
                changes: Changes { accounts: vec![save], outbox, ..Changes::default() },
                value: (next, value),
            })
        })
        .await
    }

    /// One command on account `id`, as `actor`.
    pub(super) async fn simple(&self, actor: &Actor, id: AccountId, command: AccountCommand) -> ServiceResult<Account> {
        let (account, ()) = self
            .run_account(actor, id, |account, now| {
                Ok(Outcome::events(account.decide(actor, command.clone(), now)?, ()))
            })
            .await?;
        Ok(account)
    }

    /// One command on user `id`, as `actor`; `if_match` is checked against `version_of`.
    pub(super) async fn run_user(
        &self,
        id: UserId,
        actor: Actor,
        if_match: Option<u64>,
        version_of: impl Fn(&User) -> u64,
        command: UserCommand,
    ) -> ServiceResult<User> {
        let (actor, version_of, command) = (&actor, &version_of, &command);
        self.run(|now| async move {
            let user = self.store.user(id).await?.ok_or(DomainError::UserNotFound)?;
            precondition(if_match, version_of(&user))?;
            let events = user.decide(actor, command.clone(), now)?;
            let (next, save) = saved(&user, events);
            Ok(Decided { changes: Changes { users: vec![save], ..Changes::default() }, value: next })
        })
        .await
    }
}
