//! Checks of the counters' read and of the purge: reading windows writes nothing, and a purge
//! removes only what can no longer matter.

use chrono::Duration;

use super::{Failure, aid, decided, err, invite, new_account, new_user, session, t0, uid};
use portal_domain::account::{AccountCommand, INVITE_TTL};
use portal_domain::ids::InviteId;
use portal_domain::limits::Window;
use portal_domain::ports::{Changes, SessionStore, Store};
use portal_domain::values::TokenDigest;

/// [`SessionStore::rate_limit_windows`] answers each key's window in order and writes nothing.
pub async fn rate_limit_windows_read_without_writing<S: SessionStore>(store: &S) -> Result<(), Failure> {
    let window = Duration::seconds(60);
    for i in 0..2 {
        store.rate_limit_hit("k:a", t0() + Duration::seconds(i), window, 5).await.map_err(err("hit"))?;
    }
    let read = store.rate_limit_windows(&["k:none", "k:a"]).await.map_err(err("windows"))?;
    ensure!(read == [None, Some(Window { start: t0(), count: 2 })], "read {read:?}");
    let again = store.rate_limit_windows(&["k:none", "k:a"]).await.map_err(err("windows"))?;
    ensure!(again == read, "reading changed the counters: {again:?}");
    Ok(())
}

/// A purge removes lapsed windows and expired sessions, in batches, and nothing live.
pub async fn purge_leaves_live_rows_alone<S: Store + SessionStore>(store: &S) -> Result<(), Failure> {
    store
        .commit(Changes { users: vec![new_user(1, "ann@example.com")?], ..Changes::default() })
        .await
        .map_err(err("users"))?;
    let window = Duration::minutes(15);
    let idle = Duration::minutes(30);
    // At t0 + 1h: "old" windows and the first two sessions have lapsed; the rest are live.
    let now = t0() + Duration::hours(1);
    for key in ["old:1", "old:2", "old:3"] {
        store.rate_limit_hit(key, t0(), window, 5).await.map_err(err("hit"))?;
    }
    store.rate_limit_hit("live", now - Duration::minutes(1), window, 5).await.map_err(err("hit"))?;
    let sessions = [("gone-1", t0()), ("gone-2", t0()), ("live-1", now - Duration::minutes(5))];
    for (n, (token, at)) in sessions.iter().enumerate() {
        let n = u128::try_from(n).unwrap_or(0) + 1;
        store.create_session(&session(n, &TokenDigest::new(*token), uid(1), *at)).await.map_err(err("session"))?;
    }
    let first = store.purge_expired(now, window, 2).await.map_err(err("purge"))?;
    ensure!(first == 4, "a batch of 2 removed {first} rows, not 2 windows and 2 sessions");
    let second = store.purge_expired(now, window, 2).await.map_err(err("purge"))?;
    ensure!(second == 1, "the second batch removed {second} rows, not the last lapsed window");
    ensure!(store.purge_expired(now, window, 2).await.map_err(err("purge"))? == 0, "a third purge found more");
    let windows = store.rate_limit_windows(&["old:1", "old:2", "old:3", "live"]).await.map_err(err("windows"))?;
    ensure!(windows[..3].iter().all(Option::is_none), "a lapsed window survived: {windows:?}");
    ensure!(windows[3].is_some_and(|w| w.count == 1), "the live window was purged: {windows:?}");
    let live = store.use_session(&TokenDigest::new("live-1"), now, idle).await.map_err(err("use"))?;
    ensure!(live.is_some(), "the live session was purged");
    Ok(())
}

/// A purge forgets the token of a settled invite once its link has expired, and no other: a
/// settled invite whose link still runs answers "already settled", a pending one stays usable.
pub async fn purge_forgets_only_spent_invite_links<S: Store + SessionStore>(store: &S) -> Result<(), Failure> {
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
    let mut state = account.state;
    for (n, to) in [(7, "spent"), (8, "pending")] {
        let invited = decided(&state, uid(1), invite(n, &format!("{to}@example.com"), to, None)?, t0())?;
        state = invited.state.clone();
        store.commit(Changes { accounts: vec![invited], ..Changes::default() }).await.map_err(err("invite"))?;
    }
    let cancel = AccountCommand::CancelInvite { invite: InviteId::from_uuid(uuid::Uuid::from_u128(7)) };
    let cancelled = decided(&state, uid(1), cancel, t0() + Duration::minutes(1))?;
    store.commit(Changes { accounts: vec![cancelled], ..Changes::default() }).await.map_err(err("cancel"))?;
    let found =
        async |token: &str| store.account_by_invite_token(&TokenDigest::new(token)).await.map_err(err("lookup"));
    let window = Duration::minutes(15);

    // Settled, but the link has not expired yet: kept.
    let early = store.purge_expired(t0() + Duration::hours(1), window, 10).await.map_err(err("purge"))?;
    ensure!(early == 0, "a purge before the links expired removed {early} rows");
    ensure!(found("spent").await? == Some(aid(1)), "a settled invite's live link was forgotten");

    let late = t0() + INVITE_TTL + Duration::hours(1);
    let purged = store.purge_expired(late, window, 10).await.map_err(err("purge"))?;
    ensure!(purged == 1, "the purge after expiry removed {purged} rows, not the one spent link");
    ensure!(found("spent").await?.is_none(), "the spent link is still found");
    ensure!(found("pending").await? == Some(aid(1)), "a pending invite's link was forgotten");
    let read = store.account(aid(1)).await.map_err(err("read"))?.ok_or("the account is gone")?;
    let spent = read.invite(InviteId::from_uuid(uuid::Uuid::from_u128(7))).ok_or("the spent invite is gone")?;
    ensure!(spent.token().is_none(), "the spent invite still carries a token: {:?}", spent.token());
    ensure!(store.purge_expired(late, window, 10).await.map_err(err("purge"))? == 0, "a second purge found more");
    Ok(())
}
