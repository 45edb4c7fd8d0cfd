//! Checks of the session store: sessions expire and end, counters count per window, operator
//! keys are found by digest.

use super::*;

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
    totp_steps_only_move_forward(&fresh().await).await.map_err(|e| format!("totp_steps_only_move_forward: {e}"))?;
    known_clients_are_remembered_and_forgotten(&fresh().await)
        .await
        .map_err(|e| format!("known_clients_are_remembered_and_forgotten: {e}"))?;
    Ok(())
}

/// A user's last TOTP step moves only forward, one step at a time is accepted once, another
/// user's step is apart, and saving the user (from a state read before) never moves it back.
pub async fn totp_steps_only_move_forward<S: Store + portal_domain::ports::SessionStore>(
    store: &S,
) -> Result<(), Failure> {
    let ann = new_user(1, "ann@steps.example")?;
    let bob = new_user(2, "bob@steps.example")?;
    let read_before = ann.state.clone();
    store.commit(Changes { users: vec![ann, bob], ..Changes::default() }).await.map_err(err("commit"))?;
    let step = 59_000_000;
    ensure!(store.advance_totp_step(uid(1), step).await.map_err(err("advance"))?, "the first step was refused");
    ensure!(!store.advance_totp_step(uid(1), step).await.map_err(err("advance"))?, "a step was accepted twice");
    ensure!(!store.advance_totp_step(uid(1), step - 1).await.map_err(err("advance"))?, "an older step was accepted");
    ensure!(store.advance_totp_step(uid(2), step).await.map_err(err("advance"))?, "another user's step was refused");
    // A profile change saved from the state read before the step was recorded.
    let events = read_before
        .decide(
            &Actor::User(uid(1)),
            portal_domain::UserCommand::UpdateProfile {
                name: Some(PersonName::parse("Ann Again").map_err(|e| e.to_string())?),
                phone: None,
            },
            t0(),
        )
        .map_err(|e| e.to_string())?;
    let mut next = read_before.clone();
    events.iter().for_each(|e| next.apply(e));
    let save = Saved { state: next, expected_version: read_before.version(), events };
    store.commit(Changes { users: vec![save], ..Changes::default() }).await.map_err(err("save the user"))?;
    ensure!(!store.advance_totp_step(uid(1), step).await.map_err(err("advance"))?, "a user's save moved the step back");
    ensure!(store.advance_totp_step(uid(1), step + 1).await.map_err(err("advance"))?, "the next step was refused");
    ensure!(
        !store.advance_totp_step(uid(3), step).await.map_err(err("advance"))?,
        "an unknown user's step was accepted"
    );
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
    store.create_session(&session(1, &token, ann, t0())).await.map_err(err("create"))?;
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
    store.create_session(&session(2, &busy, ann, t0())).await.map_err(err("create"))?;
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
    store.create_session(&session(3, &a1, ann, t0())).await.map_err(err("create"))?;
    store.create_session(&session(4, &b1, bob, t0())).await.map_err(err("create"))?;
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
    store.create_login_session(&session(6, &login, bob, at)).await.map_err(err("login"))?;
    ensure!(
        store.use_session(&login, at, idle).await.map_err(err("use"))? == Some((sid(6), bob)),
        "a login session does not work"
    );
    let user = store.user(bob).await.map_err(err("user"))?.ok_or("bob")?;
    ensure!(user.last_login_at() == Some(at), "last login {:?}, not {at}", user.last_login_at());
    let b2 = TokenDigest::new("b2");
    store.create_session(&session(5, &b2, bob, t0())).await.map_err(err("create"))?;
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

/// A client is remembered per user with the time it was last noted, and purged once unseen for
/// [`KNOWN_CLIENT_FOR`](portal_domain::credentials::KNOWN_CLIENT_FOR).
pub async fn known_clients_are_remembered_and_forgotten<S: Store + portal_domain::ports::SessionStore>(
    store: &S,
) -> Result<(), Failure> {
    let window = portal_domain::credentials::KNOWN_CLIENT_FOR;
    store
        .commit(Changes {
            users: vec![new_user(1, "ann@clients.example")?, new_user(2, "bob@clients.example")?],
            ..Changes::default()
        })
        .await
        .map_err(err("commit"))?;
    let laptop = TokenDigest::new("client-laptop");
    ensure!(store.note_client(uid(1), &laptop, t0()).await.map_err(err("note"))?.is_none(), "a new client was known");
    let later = t0() + Duration::days(3);
    let seen = store.note_client(uid(1), &laptop, later).await.map_err(err("note"))?;
    ensure!(seen == Some(t0()), "the client was last seen {seen:?}, not at {}", t0());
    ensure!(
        store.note_client(uid(2), &laptop, later).await.map_err(err("note"))?.is_none(),
        "one user's client was another's"
    );
    store
        .purge_expired(later + window - Duration::seconds(1), Duration::minutes(15), 100)
        .await
        .map_err(err("purge"))?;
    let kept = store.note_client(uid(1), &laptop, later + window).await.map_err(err("note"))?;
    ensure!(kept == Some(later), "a client seen within the window was forgotten: {kept:?}");
    store
        .purge_expired(later + window * 2 + Duration::seconds(1), Duration::minutes(15), 100)
        .await
        .map_err(err("purge"))?;
    let gone = store.note_client(uid(1), &laptop, later + window * 3).await.map_err(err("note"))?;
    ensure!(gone.is_none(), "a client unseen past the window was kept: {gone:?}");
    Ok(())
}
