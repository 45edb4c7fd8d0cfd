//! Checks of commits: what is written reads back, and a stale or clashing write conflicts and
//! writes nothing.

use super::*;

/// Committed states, events and users read back as written; unknown ids read as `None`.
pub async fn committed_state_reads_back<S: Store>(store: &S) -> Result<(), Failure> {
    let user = new_user(1, "Ann@Example.com")?;
    let account = new_account(1, uid(1))?;
    let expected_account = account.state.clone();
    let expected_user = user.state.clone();
    let status = user.state.status();
    store
        .commit(Changes { accounts: vec![account], users: vec![user], outbox: vec![], ..Changes::default() })
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
pub(super) async fn standing_agrees<S: Store>(store: &S, account: AccountId, user: UserId) -> Result<(), Failure> {
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
        .commit(Changes { accounts: vec![account], users: vec![owner], outbox: vec![], ..Changes::default() })
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
    let outcome = store
        .commit(Changes { accounts: vec![stale], users: vec![newcomer], outbox: vec![mail], ..Changes::default() })
        .await;
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
            ..Changes::default()
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
    let outcome = store
        .commit(Changes { accounts: vec![account], users: vec![twin], outbox: vec![], ..Changes::default() })
        .await;
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
        .commit(Changes {
            accounts: vec![account.clone()],
            users: vec![new_user(1, "o@example.com")?],
            outbox: vec![],
            ..Changes::default()
        })
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
