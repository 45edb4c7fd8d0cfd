//! The store conformance suite: every sentence of the [`Store`] contract, as a check any
//! storage adapter's test runs against its own store.
//!
//! ```ignore
//! assert_eq!(portal_testkit::conformance::check_store(async || MyStore::fresh().await).await, Ok(()));
//! ```

use chrono::{DateTime, Duration, TimeZone, Utc};

use portal_domain::account::{
    Account, AccountCommand, AccountEvent, EditMember, InviteMember, NewContact, Profile, Target, open_account,
};
use portal_domain::actor::Actor;
use portal_domain::ids::{AccountId, ContactId, InviteId, NoticeId, UserId};
use portal_domain::permission::{Permission, PermissionSet, Role};
use portal_domain::ports::{Changes, CommitError, Message, OutgoingEmail, PageRequest, Saved, Store};
use portal_domain::user::{Registration, User, register_user};
use portal_domain::values::{CompanyName, EmailAddress, PasswordHash, PersonName, TokenDigest};

/// A check failed: which one, and what it saw.
pub type Failure = String;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

mod housekeeping;
pub use housekeeping::{
    purge_forgets_only_spent_invite_links, purge_leaves_live_rows_alone, rate_limit_windows_read_without_writing,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn uid(n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n))
}

fn aid(n: u128) -> AccountId {
    AccountId::from_uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_9000_0000_0000_0000 | n))
}

fn email(s: &str) -> Result<EmailAddress, Failure> {
    EmailAddress::parse(s).map_err(|e| format!("fixture email {s}: {e}"))
}

fn new_user(n: u128, address: &str) -> Result<Saved<User, portal_domain::user::UserEvent>, Failure> {
    let event = register_user(
        Registration {
            id: uid(n),
            email: email(address)?,
            name: PersonName::parse("Fixture User").map_err(|e| e.to_string())?,
            password: PasswordHash::new("fixture-hash"),
            email_verified: true,
        },
        t0(),
    );
    let state = User::from_registered(&event).ok_or("registration")?;
    Ok(Saved { state, expected_version: 0, events: vec![event] })
}

fn new_account(n: u128, owner: UserId) -> Result<Saved<Account, AccountEvent>, Failure> {
    let profile = Profile {
        display_name: CompanyName::parse(&format!("Account {n}")).map_err(|e| e.to_string())?,
        company: None,
        primary_email: email("owner@example.com")?,
        phone: None,
        address: None,
        tax_id: None,
    };
    let event = open_account(aid(n), owner, profile, t0());
    let state = Account::from_opened(&event).ok_or("opening")?;
    Ok(Saved { state, expected_version: 0, events: vec![event] })
}

/// Decides `command` on `account` as `actor` and returns the save for it.
fn decided(
    account: &Account,
    actor: UserId,
    command: AccountCommand,
    at: DateTime<Utc>,
) -> Result<Saved<Account, AccountEvent>, Failure> {
    let events =
        account.decide(&Actor::User(actor), command, at).map_err(|e| format!("fixture command refused: {e}"))?;
    let mut state = account.clone();
    for e in &events {
        state.apply(e);
    }
    Ok(Saved { state, expected_version: account.version(), events })
}

fn invite(id: u128, to: &str, token: &str, existing_user: Option<UserId>) -> Result<AccountCommand, Failure> {
    Ok(AccountCommand::Invite(InviteMember {
        id: InviteId::from_uuid(uuid::Uuid::from_u128(id)),
        email: email(to)?,
        name: None,
        permissions: Role::Billing.permissions(),
        role: None,
        access_ends_at: None,
        token: TokenDigest::new(token),
        existing_user,
    }))
}

fn err<E: std::fmt::Display>(context: &str) -> impl FnOnce(E) -> Failure + '_ {
    move |e| format!("{context}: {e}")
}

/// Runs every check, each on a fresh store from `fresh`. `Ok` when the store keeps the contract.
pub async fn check_store<S: Store>(fresh: impl AsyncFn() -> S) -> Result<(), Failure> {
    committed_state_reads_back(&fresh().await).await.map_err(|e| format!("committed_state_reads_back: {e}"))?;
    stale_version_conflicts_and_writes_nothing(&fresh().await)
        .await
        .map_err(|e| format!("stale_version_conflicts_and_writes_nothing: {e}"))?;
    creating_an_existing_aggregate_conflicts(&fresh().await)
        .await
        .map_err(|e| format!("creating_an_existing_aggregate_conflicts: {e}"))?;
    taken_email_is_refused_case_insensitively(&fresh().await)
        .await
        .map_err(|e| format!("taken_email_is_refused_case_insensitively: {e}"))?;
    resent_invite_token_replaces_the_old_one(&fresh().await)
        .await
        .map_err(|e| format!("resent_invite_token_replaces_the_old_one: {e}"))?;
    accounts_of_a_user_page_in_order(&fresh().await)
        .await
        .map_err(|e| format!("accounts_of_a_user_page_in_order: {e}"))?;
    events_page_newest_first(&fresh().await).await.map_err(|e| format!("events_page_newest_first: {e}"))?;
    activity_does_not_change_versions(&fresh().await)
        .await
        .map_err(|e| format!("activity_does_not_change_versions: {e}"))?;
    lists_page_by_key(&fresh().await).await.map_err(|e| format!("lists_page_by_key: {e}"))?;
    Ok(())
}

/// Committed states, events and users read back as written; unknown ids read as `None`.
pub async fn committed_state_reads_back<S: Store>(store: &S) -> Result<(), Failure> {
    let user = new_user(1, "Ann@Example.com")?;
    let account = new_account(1, uid(1))?;
    let expected_account = account.state.clone();
    let expected_user = user.state.clone();
    let status = user.state.status();
    store
        .commit(Changes { accounts: vec![account], users: vec![user], outbox: vec![] })
        .await
        .map_err(err("commit"))?;
    ensure!(store.account(aid(1)).await.map_err(err("account"))? == Some(expected_account), "account differs");
    ensure!(store.user(uid(1)).await.map_err(err("user"))? == Some(expected_user.clone()), "user differs");
    let by_email = store.user_by_email(&email("ann@EXAMPLE.com")?).await.map_err(err("user_by_email"))?;
    ensure!(by_email == Some(expected_user), "user_by_email is not case-insensitive");
    ensure!(store.account(aid(99)).await.map_err(err("account"))?.is_none(), "unknown account found");
    ensure!(store.user(uid(99)).await.map_err(err("user"))?.is_none(), "unknown user found");
    let users = store.users(&[uid(1), uid(99)]).await.map_err(err("users"))?;
    ensure!(users.len() == 1 && users[0].id() == uid(1), "users() returned {} users", users.len());
    let history = store.account_history(aid(1)).await.map_err(err("history"))?;
    ensure!(history.len() == 1, "history has {} events", history.len());
    let user_events = store.user_events(uid(1)).await.map_err(err("user_events"))?;
    ensure!(user_events.len() == 1, "user history has {} events", user_events.len());
    ensure!(
        store.user_status(uid(1)).await.map_err(err("status"))? == Some(status),
        "a user's status does not read back"
    );
    ensure!(store.user_status(uid(99)).await.map_err(err("status"))?.is_none(), "an unknown user has a status");
    // Disabled by the operator: the status alone says so at once.
    let ann = store.user(uid(1)).await.map_err(err("user"))?.ok_or("ann")?;
    let events =
        ann.decide(&Actor::Operator, portal_domain::user::UserCommand::Disable, t0()).map_err(|e| e.to_string())?;
    let mut disabled = ann.clone();
    events.iter().for_each(|e| disabled.apply(e));
    let saved = Saved { state: disabled, expected_version: ann.version(), events };
    store.commit(Changes { users: vec![saved], ..Changes::default() }).await.map_err(err("disable"))?;
    ensure!(
        store.user_status(uid(1)).await.map_err(err("status"))? == Some(portal_domain::user::UserStatus::Disabled),
        "a disabled user's status reads as active"
    );
    let standing = store.standing(aid(1), uid(1)).await.map_err(err("standing"))?;
    ensure!(
        standing.as_ref().map(|(status, access)| (*status, access.as_ref().map(|a| a.is_owner)))
            == Some((portal_domain::user::UserStatus::Disabled, Some(true))),
        "a disabled owner's standing: {standing:?}"
    );
    Ok(())
}

/// [`Store::standing`] answers what [`Store::user_status`] and [`Store::access`] answer.
async fn standing_agrees<S: Store>(store: &S, account: AccountId, user: UserId) -> Result<(), Failure> {
    let standing = store.standing(account, user).await.map_err(err("standing"))?;
    let expected = match store.user_status(user).await.map_err(err("status"))? {
        None => None,
        Some(status) => Some((status, store.access(account, user).await.map_err(err("access"))?)),
    };
    ensure!(standing == expected, "standing of {user} in {account}: {standing:?}, not {expected:?}");
    Ok(())
}

/// A save stating a stale version gets `Conflict` and writes nothing: no state, event or email.
pub async fn stale_version_conflicts_and_writes_nothing<S: Store>(store: &S) -> Result<(), Failure> {
    let owner = new_user(1, "owner@example.com")?;
    let account = new_account(1, uid(1))?;
    let opened = account.state.clone();
    store
        .commit(Changes { accounts: vec![account], users: vec![owner], outbox: vec![] })
        .await
        .map_err(err("setup"))?;

    let first = decided(&opened, uid(1), invite(1, "a@example.com", "t1", None)?, t0())?;
    store.commit(Changes { accounts: vec![first], ..Changes::default() }).await.map_err(err("first edit"))?;
    let after_first = store.account(aid(1)).await.map_err(err("read"))?.ok_or("account vanished")?;

    // Decided on the version before the first edit: stale.
    let stale = decided(&opened, uid(1), invite(2, "b@example.com", "t2", None)?, t0())?;
    let newcomer = new_user(2, "newcomer@example.com")?;
    let mail = OutgoingEmail {
        to: email("b@example.com")?,
        message: Message::Invite {
            account: aid(1),
            account_name: opened.profile().display_name.clone(),
            inviter: PersonName::parse("Owner").map_err(|e| e.to_string())?,
            invite: InviteId::from_uuid(uuid::Uuid::from_u128(2)),
            token: "t2".into(),
            expires_at: t0(),
        },
    };
    let outcome = store.commit(Changes { accounts: vec![stale], users: vec![newcomer], outbox: vec![mail] }).await;
    ensure!(matches!(outcome, Err(CommitError::Conflict)), "expected Conflict, got {outcome:?}");
    ensure!(
        store.account(aid(1)).await.map_err(err("read"))? == Some(after_first),
        "a refused commit changed the account"
    );
    ensure!(store.user(uid(2)).await.map_err(err("read"))?.is_none(), "a refused commit created a user");
    ensure!(store.account_history(aid(1)).await.map_err(err("history"))?.len() == 2, "a refused commit wrote events");
    let token = store.account_by_invite_token(&TokenDigest::new("t2")).await.map_err(err("token"))?;
    ensure!(token.is_none(), "a refused commit indexed an invite token");
    Ok(())
}

/// Saving a new aggregate (expected version 0) over an existing one conflicts.
pub async fn creating_an_existing_aggregate_conflicts<S: Store>(store: &S) -> Result<(), Failure> {
    store
        .commit(Changes {
            accounts: vec![new_account(1, uid(1))?],
            users: vec![new_user(1, "a@example.com")?],
            outbox: vec![],
        })
        .await
        .map_err(err("setup"))?;
    let again = store.commit(Changes { accounts: vec![new_account(1, uid(1))?], ..Changes::default() }).await;
    ensure!(matches!(again, Err(CommitError::Conflict)), "account created twice: {again:?}");
    let again = store.commit(Changes { users: vec![new_user(1, "other@example.com")?], ..Changes::default() }).await;
    ensure!(matches!(again, Err(CommitError::Conflict)), "user created twice: {again:?}");
    Ok(())
}

/// A new user whose email another user has, in any case, gets `EmailTaken`; nothing is written.
pub async fn taken_email_is_refused_case_insensitively<S: Store>(store: &S) -> Result<(), Failure> {
    store
        .commit(Changes { users: vec![new_user(1, "Finance@Example.com")?], ..Changes::default() })
        .await
        .map_err(err("setup"))?;
    let twin = new_user(2, "finance@example.COM")?;
    let account = new_account(2, uid(2))?;
    let outcome = store.commit(Changes { accounts: vec![account], users: vec![twin], outbox: vec![] }).await;
    ensure!(matches!(outcome, Err(CommitError::EmailTaken)), "expected EmailTaken, got {outcome:?}");
    ensure!(store.user(uid(2)).await.map_err(err("read"))?.is_none(), "the twin was stored");
    ensure!(store.account(aid(2)).await.map_err(err("read"))?.is_none(), "the twin's account was stored");
    // Two new users with one email in one batch.
    let pair =
        Changes { users: vec![new_user(3, "x@example.com")?, new_user(4, "X@example.com")?], ..Changes::default() };
    ensure!(matches!(store.commit(pair).await, Err(CommitError::EmailTaken)), "a batch stored one email twice");
    Ok(())
}

/// After a re-send, the old token digest finds nothing and the new one finds the account.
pub async fn resent_invite_token_replaces_the_old_one<S: Store>(store: &S) -> Result<(), Failure> {
    let account = new_account(1, uid(1))?;
    store
        .commit(Changes { accounts: vec![account.clone()], users: vec![new_user(1, "o@example.com")?], outbox: vec![] })
        .await
        .map_err(err("setup"))?;
    let invited = decided(&account.state, uid(1), invite(7, "guest@example.com", "old", None)?, t0())?;
    let state = invited.state.clone();
    store.commit(Changes { accounts: vec![invited], ..Changes::default() }).await.map_err(err("invite"))?;
    ensure!(
        store.account_by_invite_token(&TokenDigest::new("old")).await.map_err(err("lookup"))? == Some(aid(1)),
        "new token not found"
    );
    let command = AccountCommand::ResendInvite {
        invite: InviteId::from_uuid(uuid::Uuid::from_u128(7)),
        token: TokenDigest::new("new"),
    };
    let resent = decided(&state, uid(1), command, t0() + Duration::hours(1))?;
    store.commit(Changes { accounts: vec![resent], ..Changes::default() }).await.map_err(err("resend"))?;
    ensure!(
        store.account_by_invite_token(&TokenDigest::new("old")).await.map_err(err("lookup"))?.is_none(),
        "the old token still works"
    );
    ensure!(
        store.account_by_invite_token(&TokenDigest::new("new")).await.map_err(err("lookup"))? == Some(aid(1)),
        "the new token is not found"
    );
    Ok(())
}

/// A user's accounts come by account id, a page at a time; a removed member's account is gone from the list.
pub async fn accounts_of_a_user_page_in_order<S: Store>(store: &S) -> Result<(), Failure> {
    store
        .commit(Changes {
            users: vec![new_user(1, "owner@example.com")?, new_user(2, "member@example.com")?],
            ..Changes::default()
        })
        .await
        .map_err(err("setup"))?;
    for n in [3, 1, 2] {
        store
            .commit(Changes { accounts: vec![new_account(n, uid(1))?], ..Changes::default() })
            .await
            .map_err(err("open"))?;
    }
    let first = store.accounts_of(uid(1), PageRequest { after: None, limit: 2 }).await.map_err(err("page 1"))?;
    ensure!(first.items == vec![aid(1), aid(2)], "first page {:?}", first.items);
    ensure!(first.next == Some(aid(2)), "first page next {:?}", first.next);
    let second = store.accounts_of(uid(1), PageRequest { after: first.next, limit: 2 }).await.map_err(err("page 2"))?;
    ensure!(
        second.items == vec![aid(3)] && second.next.is_none(),
        "second page {:?} next {:?}",
        second.items,
        second.next
    );

    // The same pages with the owner's standing in each account and its display name.
    let listed = store.memberships_of(uid(1), PageRequest { after: None, limit: 2 }).await.map_err(err("listing 1"))?;
    let rest =
        store.memberships_of(uid(1), PageRequest { after: listed.next, limit: 2 }).await.map_err(err("listing 2"))?;
    ensure!(listed.next == first.next && rest.next.is_none(), "listings page as {:?}, {:?}", listed.next, rest.next);
    for listing in listed.items.iter().chain(&rest.items) {
        let account = store.account(listing.account).await.map_err(err("read"))?.ok_or("listed account")?;
        let access = store.access(listing.account, uid(1)).await.map_err(err("access"))?;
        ensure!(
            Some(&listing.access) == access.as_ref() && listing.display_name == account.profile().display_name,
            "listing of {} differs from its account",
            listing.account
        );
    }
    let ids: Vec<AccountId> = listed.items.iter().chain(&rest.items).map(|l| l.account).collect();
    ensure!(ids == vec![aid(1), aid(2), aid(3)], "listings in order {ids:?}");

    // User 2 joins account 2 by invite, then is removed.
    let account = store.account(aid(2)).await.map_err(err("read"))?.ok_or("account 2")?;
    let invited = decided(&account, uid(1), invite(9, "member@example.com", "tok", Some(uid(2)))?, t0())?;
    let state = invited.state.clone();
    store.commit(Changes { accounts: vec![invited], ..Changes::default() }).await.map_err(err("invite"))?;
    let accept = AccountCommand::AcceptInvite {
        token: TokenDigest::new("tok"),
        email: email("member@example.com")?,
        email_verified: true,
    };
    let events = state.decide(&Actor::User(uid(2)), accept, t0()).map_err(err("accept"))?;
    let mut joined = state.clone();
    for e in &events {
        joined.apply(e);
    }
    store
        .commit(Changes {
            accounts: vec![Saved { state: joined.clone(), expected_version: state.version(), events }],
            ..Changes::default()
        })
        .await
        .map_err(err("accept"))?;
    let member_of =
        store.accounts_of(uid(2), PageRequest { after: None, limit: 10 }).await.map_err(err("member page"))?;
    ensure!(member_of.items == vec![aid(2)], "member's accounts {:?}", member_of.items);
    let edit = AccountCommand::EditMember(EditMember {
        user: uid(2),
        permissions: Some(PermissionSet::of(&[Permission::BillingView])),
        role: None,
        ends_at: None,
    });
    let edited = decided(&joined, uid(1), edit, t0())?;
    let edited_state = edited.state.clone();
    store.commit(Changes { accounts: vec![edited], ..Changes::default() }).await.map_err(err("edit"))?;
    let removed = decided(&edited_state, uid(1), AccountCommand::RemoveMember { user: uid(2) }, t0())?;
    store.commit(Changes { accounts: vec![removed], ..Changes::default() }).await.map_err(err("remove"))?;
    let member_of =
        store.accounts_of(uid(2), PageRequest { after: None, limit: 10 }).await.map_err(err("member page"))?;
    ensure!(member_of.items.is_empty(), "a removed member still lists {:?}", member_of.items);
    Ok(())
}

/// Events come newest first with their sequence numbers, a page at a time below a cursor.
pub async fn events_page_newest_first<S: Store>(store: &S) -> Result<(), Failure> {
    let account = new_account(1, uid(1))?;
    let mut state = account.state.clone();
    store
        .commit(Changes { accounts: vec![account], users: vec![new_user(1, "o@example.com")?], outbox: vec![] })
        .await
        .map_err(err("setup"))?;
    for n in 0..4u128 {
        let saved = decided(
            &state,
            uid(1),
            invite(100 + n, &format!("p{n}@example.com"), &format!("tok{n}"), None)?,
            t0() + Duration::minutes(n as i64),
        )?;
        state = saved.state.clone();
        store.commit(Changes { accounts: vec![saved], ..Changes::default() }).await.map_err(err("invite"))?;
    }
    let first = store.account_events(aid(1), PageRequest { after: None, limit: 2 }).await.map_err(err("page 1"))?;
    let seqs: Vec<u64> = first.items.iter().map(|e| e.seq).collect();
    ensure!(seqs == vec![5, 4], "first page seqs {seqs:?}");
    ensure!(first.next == Some(4), "first page next {:?}", first.next);
    let second =
        store.account_events(aid(1), PageRequest { after: first.next, limit: 10 }).await.map_err(err("page 2"))?;
    let seqs: Vec<u64> = second.items.iter().map(|e| e.seq).collect();
    ensure!(seqs == vec![3, 2, 1], "second page seqs {seqs:?}");
    ensure!(second.next.is_none(), "second page next {:?}", second.next);
    ensure!(
        second.items.last().map(|e| e.event.change.kind()) == Some("account.opened"),
        "the oldest event is not the opening"
    );
    let history = store.account_history(aid(1)).await.map_err(err("history"))?;
    ensure!(
        history.len() == 5 && Account::replay(&history) == Some(state),
        "replaying the history does not give the state"
    );
    Ok(())
}

/// Recording activity or a login changes no version.
pub async fn activity_does_not_change_versions<S: Store>(store: &S) -> Result<(), Failure> {
    store
        .commit(Changes {
            accounts: vec![new_account(1, uid(1))?],
            users: vec![new_user(1, "o@example.com")?],
            outbox: vec![],
        })
        .await
        .map_err(err("setup"))?;
    let later = t0() + Duration::days(3);
    store.record_activity(aid(1), uid(1), later).await.map_err(err("activity"))?;
    store.record_login(uid(1), later).await.map_err(err("login"))?;
    let account = store.account(aid(1)).await.map_err(err("read"))?.ok_or("account")?;
    ensure!(account.version() == 1, "activity bumped the account to version {}", account.version());
    ensure!(account.member(uid(1)).and_then(|m| m.last_active_at()) == Some(later), "activity not recorded");
    let user = store.user(uid(1)).await.map_err(err("read"))?.ok_or("user")?;
    ensure!(user.version() == 1, "a login bumped the user to version {}", user.version());
    ensure!(user.last_login_at() == Some(later), "login not recorded");
    Ok(())
}

/// Members, invites and contacts page by id; notices and events newest first; the operator's
/// account list by id; `access` reads one member's standing.
pub async fn lists_page_by_key<S: Store>(store: &S) -> Result<(), Failure> {
    let users: Vec<_> = (1..=5).map(|n| new_user(n, &format!("u{n}@example.com"))).collect::<Result<_, _>>()?;
    store.commit(Changes { users, ..Changes::default() }).await.map_err(err("users"))?;
    store
        .commit(Changes { accounts: vec![new_account(1, uid(1))?, new_account(2, uid(2))?], ..Changes::default() })
        .await
        .map_err(err("accounts"))?;
    let mut state = store.account(aid(1)).await.map_err(err("read"))?.ok_or("account 1")?;
    let save = |saved: Saved<Account, AccountEvent>, state: &mut Account| {
        *state = saved.state.clone();
        saved
    };
    for n in 2..=5u128 {
        let token = format!("join{n}");
        let invited =
            decided(&state, uid(1), invite(200 + n, &format!("u{n}@example.com"), &token, Some(uid(n)))?, t0())?;
        let invited = save(invited, &mut state);
        store.commit(Changes { accounts: vec![invited], ..Changes::default() }).await.map_err(err("invite"))?;
        let accept = AccountCommand::AcceptInvite {
            token: TokenDigest::new(token),
            email: email(&format!("u{n}@example.com"))?,
            email_verified: true,
        };
        let accepted = decided(&state, uid(n), accept, t0())?;
        let accepted = save(accepted, &mut state);
        store.commit(Changes { accounts: vec![accepted], ..Changes::default() }).await.map_err(err("accept"))?;
    }
    for n in 0..2u128 {
        let open = decided(
            &state,
            uid(1),
            invite(300 + n, &format!("open{n}@example.com"), &format!("open{n}"), None)?,
            t0(),
        )?;
        let open = save(open, &mut state);
        store.commit(Changes { accounts: vec![open], ..Changes::default() }).await.map_err(err("open invite"))?;
    }
    for n in 0..3u128 {
        let contact = AccountCommand::AddContact(NewContact {
            id: ContactId::from_uuid(uuid::Uuid::from_u128(400 + n)),
            name: PersonName::parse("Contact").map_err(|e| e.to_string())?,
            email: email(&format!("c{n}@example.com"))?,
            phone: None,
            company: None,
            categories: portal_domain::notification::CategorySet::ALL,
        });
        let added = decided(&state, uid(1), contact, t0())?;
        let added = save(added, &mut state);
        store.commit(Changes { accounts: vec![added], ..Changes::default() }).await.map_err(err("contact"))?;
    }
    for n in 0..2u128 {
        let notice = AccountCommand::RecordNotice {
            notice: NoticeId::from_uuid(uuid::Uuid::from_u128(500 + n)),
            category: portal_domain::notification::NotificationCategory::Billing,
            subject: CompanyName::parse("Invoice").map_err(|e| e.to_string())?,
            directory: portal_domain::routing::MemberDirectory::default(),
        };
        let events = state.decide(&Actor::Operator, notice, t0()).map_err(err("notice"))?;
        let mut next = state.clone();
        for e in &events {
            next.apply(e);
        }
        let saved = Saved { state: next.clone(), expected_version: state.version(), events };
        state = next;
        store.commit(Changes { accounts: vec![saved], ..Changes::default() }).await.map_err(err("notice"))?;
    }

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.members_page(aid(1), PageRequest { after, limit: 2 }).await.map_err(err("members"))?;
        ensure!(page.items.len() <= 2, "a members page of {} rows", page.items.len());
        seen.extend(page.items.iter().map(|m| m.user()));
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    ensure!(seen == (1..=5).map(uid).collect::<Vec<_>>(), "members paged as {seen:?}");
    // The same pages with who each member is: the memberships of `members_page`, each with its
    // user's email and name.
    let mut after = None;
    loop {
        let request = PageRequest { after, limit: 2 };
        let rows = store.member_rows_page(aid(1), request).await.map_err(err("member rows"))?;
        let page = store.members_page(aid(1), request).await.map_err(err("members"))?;
        ensure!(rows.next == page.next, "member rows page on to {:?}, members to {:?}", rows.next, page.next);
        ensure!(
            rows.items.iter().map(|r| &r.membership).eq(page.items.iter()),
            "member rows hold other memberships than the members page"
        );
        for row in &rows.items {
            let user = store.user(row.membership.user()).await.map_err(err("user"))?;
            let user = user.ok_or_else(|| format!("member {} has no user", row.membership.user()))?;
            ensure!(
                &row.email == user.email() && &row.name == user.name(),
                "member row {} names {} <{}>, the user is {} <{}>",
                row.membership.user(),
                row.name,
                row.email,
                user.name(),
                user.email()
            );
        }
        after = rows.next;
        if after.is_none() {
            break;
        }
    }
    let invites = store.invites_page(aid(1), PageRequest { after: None, limit: 4 }).await.map_err(err("invites"))?;
    let rest =
        store.invites_page(aid(1), PageRequest { after: invites.next, limit: 4 }).await.map_err(err("invites"))?;
    let ids: Vec<u128> = invites.items.iter().chain(&rest.items).map(|i| i.id().as_uuid().as_u128()).collect();
    ensure!(ids == vec![202, 203, 204, 205, 300, 301], "invites paged as {ids:?}");
    ensure!(rest.next.is_none(), "invites: a next page after the last");
    let contacts =
        store.contacts_page(aid(1), PageRequest { after: None, limit: 10 }).await.map_err(err("contacts"))?;
    ensure!(contacts.items.len() == 3 && contacts.next.is_none(), "{} contacts", contacts.items.len());
    let notices = store.notices_page(aid(1), PageRequest { after: None, limit: 1 }).await.map_err(err("notices"))?;
    ensure!(notices.items.len() == 1 && notices.items[0].id.as_uuid().as_u128() == 501, "newest notice first");
    ensure!(!notices.items[0].recipients.is_empty(), "a notice without its recipients");
    let older =
        store.notices_page(aid(1), PageRequest { after: notices.next, limit: 5 }).await.map_err(err("notices"))?;
    ensure!(
        older.items.len() == 1 && older.items[0].id.as_uuid().as_u128() == 500 && older.next.is_none(),
        "older notices"
    );
    let listing = store.accounts_page(PageRequest { after: None, limit: 1 }).await.map_err(err("accounts"))?;
    ensure!(
        listing.items.len() == 1 && listing.items[0].id == aid(1) && listing.next == Some(aid(1)),
        "first account page"
    );
    let listing = store.accounts_page(PageRequest { after: listing.next, limit: 5 }).await.map_err(err("accounts"))?;
    ensure!(
        listing.items.len() == 1 && listing.items[0].id == aid(2) && listing.items[0].owner == uid(2),
        "second account page"
    );

    let owner = store.access(aid(1), uid(1)).await.map_err(err("access"))?.ok_or("no access for the owner")?;
    ensure!(owner.is_owner && owner.membership.permissions() == PermissionSet::ALL, "the owner's access");
    let member = store.access(aid(1), uid(3)).await.map_err(err("access"))?.ok_or("no access for a member")?;
    ensure!(!member.is_owner && member.membership.permissions() == Role::Billing.permissions(), "a member's access");
    ensure!(member.owner == uid(1) && owner.owner == uid(1), "access names the wrong owner");
    ensure!(store.access(aid(1), uid(99)).await.map_err(err("access"))?.is_none(), "access for a stranger");
    ensure!(store.access(aid(99), uid(1)).await.map_err(err("access"))?.is_none(), "access to a missing account");
    // The owner, a member, a member of the other account only, no such user, no such account.
    for (account, user) in [(aid(1), uid(1)), (aid(1), uid(3)), (aid(2), uid(3)), (aid(1), uid(99)), (aid(99), uid(1))]
    {
        standing_agrees(store, account, user).await?;
    }
    ensure!(
        store.standing(aid(1), uid(3)).await.map_err(err("standing"))?.is_some_and(|(_, a)| a.is_some()),
        "a member has no standing"
    );
    ensure!(
        store.standing(aid(2), uid(3)).await.map_err(err("standing"))?.is_some_and(|(_, a)| a.is_none()),
        "a member of another account has access"
    );
    ensure!(store.standing(aid(1), uid(99)).await.map_err(err("standing"))?.is_none(), "no such user has a standing");

    let waiting = store.open_invites_for(&email("OPEN1@example.com")?, 10).await.map_err(err("open invites"))?;
    ensure!(
        waiting.len() == 1 && waiting[0].0 == aid(1) && waiting[0].1.id().as_uuid().as_u128() == 301,
        "open invites for open1: {waiting:?}"
    );
    let answered = store.open_invites_for(&email("u3@example.com")?, 10).await.map_err(err("open invites"))?;
    ensure!(answered.is_empty(), "an accepted invite is listed as open");

    let about = store
        .target_events(aid(1), Target::Member(uid(3)), PageRequest { after: None, limit: 10 })
        .await
        .map_err(err("target"))?;
    let kinds: Vec<&str> = about.items.iter().map(|e| e.event.change.kind()).collect();
    ensure!(kinds == vec!["invite.accepted"], "events about member 3: {kinds:?}");
    Ok(())
}

/// Runs every [`SessionStore`](portal_domain::ports::SessionStore) check, each on a fresh store.
pub async fn check_session_store<S: Store + portal_domain::ports::SessionStore>(
    fresh: impl AsyncFn() -> S,
) -> Result<(), Failure> {
    sessions_expire_and_revoke(&fresh().await).await.map_err(|e| format!("sessions_expire_and_revoke: {e}"))?;
    rate_limits_count_per_window(&fresh().await).await.map_err(|e| format!("rate_limits_count_per_window: {e}"))?;
    operator_keys_are_found_by_digest(&fresh().await)
        .await
        .map_err(|e| format!("operator_keys_are_found_by_digest: {e}"))?;
    rate_limit_windows_read_without_writing(&fresh().await)
        .await
        .map_err(|e| format!("rate_limit_windows_read_without_writing: {e}"))?;
    purge_leaves_live_rows_alone(&fresh().await).await.map_err(|e| format!("purge_leaves_live_rows_alone: {e}"))?;
    purge_forgets_only_spent_invite_links(&fresh().await)
        .await
        .map_err(|e| format!("purge_forgets_only_spent_invite_links: {e}"))?;
    Ok(())
}

/// A session lives `idle` past its last use and never past its absolute expiry; once expired it
/// stays gone; users end only their own sessions.
pub async fn sessions_expire_and_revoke<S: Store + portal_domain::ports::SessionStore>(
    store: &S,
) -> Result<(), Failure> {
    use portal_domain::ids::SessionId;
    let (ann, bob) = (uid(1), uid(2));
    store
        .commit(Changes {
            users: vec![new_user(1, "ann@example.com")?, new_user(2, "bob@example.com")?],
            ..Changes::default()
        })
        .await
        .map_err(err("users"))?;
    let idle = Duration::minutes(30);
    let absolute = Duration::hours(12);
    let sid = |n: u128| SessionId::from_uuid(uuid::Uuid::from_u128(n));
    let token = TokenDigest::new("session-1");
    store.create_session(sid(1), &token, ann, t0(), idle, absolute).await.map_err(err("create"))?;
    let used = store.use_session(&token, t0() + Duration::minutes(20), idle).await.map_err(err("use"))?;
    ensure!(used == Some((sid(1), ann)), "a fresh session: {used:?}");
    let with_user =
        store.session_user(&token, t0() + Duration::minutes(20), idle).await.map_err(err("session user"))?;
    ensure!(
        with_user.as_ref().map(|(s, u)| (*s, u.id())) == Some((sid(1), ann)),
        "a fresh session's user: {with_user:?}"
    );
    let holder = store.session_holder(&token, t0() + Duration::minutes(20), idle).await.map_err(err("holder"))?;
    ensure!(
        holder == Some((sid(1), ann, portal_domain::user::UserStatus::Active)),
        "a fresh session's holder: {holder:?}"
    );
    ensure!(
        store.use_session(&token, t0() + Duration::minutes(45), idle).await.map_err(err("use"))?.is_some(),
        "use did not extend the idle expiry"
    );
    ensure!(
        store.use_session(&token, t0() + Duration::minutes(80), idle).await.map_err(err("use"))?.is_none(),
        "an idle session lived on"
    );
    ensure!(
        store.use_session(&token, t0() + Duration::minutes(81), idle).await.map_err(err("use"))?.is_none(),
        "an expired session came back"
    );
    ensure!(
        store.session_user(&token, t0() + Duration::minutes(82), idle).await.map_err(err("use"))?.is_none(),
        "an expired session has a user"
    );
    ensure!(
        store.session_holder(&token, t0() + Duration::minutes(83), idle).await.map_err(err("holder"))?.is_none(),
        "an expired session has a holder"
    );

    let busy = TokenDigest::new("session-2");
    store.create_session(sid(2), &busy, ann, t0(), idle, absolute).await.map_err(err("create"))?;
    let mut at = t0();
    while at + Duration::minutes(20) < t0() + absolute {
        at += Duration::minutes(20);
        ensure!(
            store.use_session(&busy, at, idle).await.map_err(err("use"))?.is_some(),
            "an active session ended at {at}"
        );
    }
    ensure!(
        store.use_session(&busy, t0() + absolute, idle).await.map_err(err("use"))?.is_none(),
        "a session outlived its absolute expiry"
    );

    let (a1, b1) = (TokenDigest::new("a1"), TokenDigest::new("b1"));
    store.create_session(sid(3), &a1, ann, t0(), idle, absolute).await.map_err(err("create"))?;
    store.create_session(sid(4), &b1, bob, t0(), idle, absolute).await.map_err(err("create"))?;
    let listed = store.sessions_of(ann, t0()).await.map_err(err("list"))?;
    ensure!(
        listed.iter().all(|s| s.user == ann) && listed.iter().any(|s| s.id == sid(3)),
        "ann's sessions: {listed:?}"
    );
    ensure!(!store.end_session_by_id(ann, sid(4)).await.map_err(err("end"))?, "ended someone else's session");
    ensure!(store.use_session(&b1, t0(), idle).await.map_err(err("use"))?.is_some(), "bob's session was ended by ann");
    ensure!(store.end_session_by_id(ann, sid(3)).await.map_err(err("end"))?, "could not end one's own session");
    ensure!(store.use_session(&a1, t0(), idle).await.map_err(err("use"))?.is_none(), "an ended session still works");
    store.end_session(&b1).await.map_err(err("logout"))?;
    ensure!(
        store.use_session(&b1, t0(), idle).await.map_err(err("use"))?.is_none(),
        "a logged-out session still works"
    );
    // A login session: a session like any other, and the user's last login recorded.
    let login = TokenDigest::new("login-1");
    let at = t0() + Duration::minutes(3);
    store.create_login_session(sid(6), &login, bob, at, idle, absolute).await.map_err(err("login"))?;
    ensure!(
        store.use_session(&login, at, idle).await.map_err(err("use"))? == Some((sid(6), bob)),
        "a login session does not work"
    );
    let user = store.user(bob).await.map_err(err("user"))?.ok_or("bob")?;
    ensure!(user.last_login_at() == Some(at), "last login {:?}, not {at}", user.last_login_at());
    let b2 = TokenDigest::new("b2");
    store.create_session(sid(5), &b2, bob, t0(), idle, absolute).await.map_err(err("create"))?;
    store.end_sessions_of(bob).await.map_err(err("end all"))?;
    ensure!(store.use_session(&b2, t0(), idle).await.map_err(err("use"))?.is_none(), "a session survived ending all");
    Ok(())
}

/// A fixed window admits `max` hits per key, then refuses until the window passes.
pub async fn rate_limits_count_per_window<S: portal_domain::ports::SessionStore>(store: &S) -> Result<(), Failure> {
    let window = Duration::seconds(60);
    for i in 0..3 {
        ensure!(
            store.rate_limit_hit("login:1.2.3.4", t0() + Duration::seconds(i), window, 3).await.map_err(err("hit"))?,
            "hit {i} refused"
        );
    }
    ensure!(
        !store.rate_limit_hit("login:1.2.3.4", t0() + Duration::seconds(10), window, 3).await.map_err(err("hit"))?,
        "a fourth hit admitted"
    );
    ensure!(store.rate_limit_hit("login:5.6.7.8", t0(), window, 3).await.map_err(err("hit"))?, "keys are not separate");
    ensure!(
        store.rate_limit_hit("login:1.2.3.4", t0() + Duration::seconds(61), window, 3).await.map_err(err("hit"))?,
        "the window never reset"
    );
    // Several keys at once: every one counted, admitted only while all are within their max.
    let both = [("login:9.9.9.9", 5), ("login:email:ann", 2)];
    for i in 0..2 {
        ensure!(store.rate_limit_hits(&both, t0(), window).await.map_err(err("hits"))?, "joint hit {i} refused");
    }
    ensure!(!store.rate_limit_hits(&both, t0(), window).await.map_err(err("hits"))?, "a third joint hit admitted");
    // The first key counted all three: two more reach its max of 5, a third exceeds it.
    ensure!(store.rate_limit_hit("login:9.9.9.9", t0(), window, 5).await.map_err(err("hit"))?, "fourth hit refused");
    ensure!(store.rate_limit_hit("login:9.9.9.9", t0(), window, 5).await.map_err(err("hit"))?, "fifth hit refused");
    ensure!(!store.rate_limit_hit("login:9.9.9.9", t0(), window, 5).await.map_err(err("hit"))?, "a sixth hit admitted");
    // Joint hits reset each key's window on its own: the first key's has passed, the second's
    // (started later) has not.
    let later = [("login:1.1.1.1", 1), ("login:email:bob", 2)];
    ensure!(store.rate_limit_hit("login:1.1.1.1", t0(), window, 1).await.map_err(err("hit"))?, "first hit refused");
    ensure!(
        store.rate_limit_hit("login:email:bob", t0() + Duration::seconds(30), window, 2).await.map_err(err("hit"))?,
        "bob's first hit refused"
    );
    ensure!(
        store.rate_limit_hits(&later, t0() + Duration::seconds(61), window).await.map_err(err("hits"))?,
        "a joint hit after one window passed refused"
    );
    ensure!(
        !store.rate_limit_hits(&later, t0() + Duration::seconds(62), window).await.map_err(err("hits"))?,
        "a second joint hit inside both windows admitted"
    );
    // A key named twice counts twice.
    let twice = [("login:twice", 5), ("login:twice", 5)];
    ensure!(store.rate_limit_hits(&twice, t0(), window).await.map_err(err("hits"))?, "a doubled hit refused");
    ensure!(
        !store.rate_limit_hit("login:twice", t0(), window, 2).await.map_err(err("hit"))?,
        "a key named twice counted once"
    );
    Ok(())
}

/// An operator key is found by its digest, and nothing else is.
pub async fn operator_keys_are_found_by_digest<S: portal_domain::ports::SessionStore>(
    store: &S,
) -> Result<(), Failure> {
    store
        .create_operator_key(uuid::Uuid::from_u128(1), &TokenDigest::new("op-1"), "ci", t0())
        .await
        .map_err(err("create"))?;
    ensure!(store.operator_key_exists(&TokenDigest::new("op-1")).await.map_err(err("find"))?, "the key was not found");
    ensure!(
        !store.operator_key_exists(&TokenDigest::new("op-2")).await.map_err(err("find"))?,
        "an unknown key was found"
    );
    Ok(())
}
