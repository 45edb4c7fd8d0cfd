//! The in-memory store's sessions, counters and operator keys.

use super::*;

impl SessionStore for MemoryStore {
    async fn create_session(&self, session: &SessionStart) -> Result<(), StoreError> {
        let stored = MemorySession {
            id: session.id,
            user: session.user,
            times: session.times,
            client: session.client.clone(),
            authenticated_at: session.times.created_at,
        };
        self.lock()?.sessions.insert(session.token.clone(), stored);
        Ok(())
    }

    async fn use_session(
        &self,
        token: &TokenDigest,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<(SessionId, UserId)>, StoreError> {
        let mut inner = self.lock()?;
        let Some(s) = inner.sessions.get_mut(token) else { return Ok(None) };
        match s.times.used(now, idle) {
            SessionUse::Ended => {
                inner.sessions.remove(token);
                Ok(None)
            }
            SessionUse::Live => Ok(Some((s.id, s.user))),
            SessionUse::Extended(next) => {
                s.times = next;
                Ok(Some((s.id, s.user)))
            }
        }
    }

    async fn end_session(&self, token: &TokenDigest) -> Result<(), StoreError> {
        self.lock()?.sessions.remove(token);
        Ok(())
    }

    async fn end_session_by_id(&self, user: UserId, id: SessionId) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let before = inner.sessions.len();
        inner.sessions.retain(|_, s| !(s.user == user && s.id == id));
        Ok(inner.sessions.len() < before)
    }

    async fn end_sessions_of(&self, user: UserId) -> Result<u64, StoreError> {
        let mut inner = self.lock()?;
        let before = inner.sessions.len();
        inner.sessions.retain(|_, s| s.user != user);
        Ok((before - inner.sessions.len()) as u64)
    }

    async fn sessions_of(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<SessionInfo>, StoreError> {
        let inner = self.lock()?;
        let mut out: Vec<SessionInfo> =
            inner.sessions.values().filter(|s| s.user == user && !s.times.ended(now)).map(info).collect();
        out.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        Ok(out)
    }

    async fn advance_totp_step(&self, user: UserId, step: u64) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        if !inner.users.contains_key(&user) {
            return Ok(false);
        }
        let last = inner.totp_steps.entry(user).or_insert(0);
        // Step 0 is 1970's first half-minute: no code of today's clock is at or before it.
        if step > *last {
            *last = step;
            return Ok(true);
        }
        Ok(false)
    }

    async fn note_client(
        &self,
        user: UserId,
        key: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.lock()?.clients.insert((user, key.clone()), now))
    }

    async fn reauthenticated(&self, id: SessionId, at: DateTime<Utc>) -> Result<(), StoreError> {
        for s in self.lock()?.sessions.values_mut().filter(|s| s.id == id) {
            s.authenticated_at = at;
        }
        Ok(())
    }

    async fn token(&self, digest: &TokenDigest) -> Result<Option<portal_domain::credentials::UserToken>, StoreError> {
        Ok(self.lock()?.tokens.get(digest).filter(|t| !t.used).map(|t| t.token.clone()))
    }

    async fn create_operator_key(
        &self,
        _id: Uuid,
        token: &TokenDigest,
        label: &str,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock()?.operator_keys.insert(token.clone(), label.to_owned());
        Ok(())
    }

    async fn operator_key_exists(&self, token: &TokenDigest) -> Result<bool, StoreError> {
        Ok(self.lock()?.operator_keys.contains_key(token))
    }

    async fn rate_limit_hit(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window: Duration,
        max: u32,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let lapsed = portal_domain::limits::Window::lapsed_at(now, window);
        let counter = inner.counters.entry(key.to_owned()).or_insert(lapsed);
        *counter = counter.hit(now, window);
        Ok(counter.count <= max)
    }

    async fn rate_limit_windows(
        &self,
        keys: &[&str],
    ) -> Result<Vec<Option<portal_domain::limits::Window>>, StoreError> {
        let inner = self.lock()?;
        Ok(keys.iter().map(|k| inner.counters.get(*k).copied()).collect())
    }

    async fn purge_expired(&self, now: DateTime<Utc>, window: Duration, batch: u32) -> Result<u64, StoreError> {
        let mut inner = self.lock()?;
        let batch = batch as usize;
        let lapsed: Vec<String> =
            inner.counters.iter().filter(|(_, w)| w.lapsed(now, window)).map(|(k, _)| k.clone()).take(batch).collect();
        let ended: Vec<TokenDigest> =
            inner.sessions.iter().filter(|(_, s)| s.times.ended(now)).map(|(k, _)| k.clone()).take(batch).collect();
        let expired: Vec<TokenDigest> = inner
            .tokens
            .iter()
            .filter(|(_, t)| t.token.expires_at <= now)
            .map(|(k, _)| k.clone())
            .take(batch)
            .collect();
        let cutoff = now - portal_domain::credentials::KNOWN_CLIENT_FOR;
        let forgotten: Vec<(UserId, TokenDigest)> =
            inner.clients.iter().filter(|(_, seen)| **seen <= cutoff).map(|(k, _)| k.clone()).take(batch).collect();
        for k in &forgotten {
            inner.clients.remove(k);
        }
        let mut gone = lapsed.len() + ended.len() + expired.len() + forgotten.len();
        for k in &expired {
            inner.tokens.remove(k);
        }
        for k in &lapsed {
            inner.counters.remove(k);
        }
        for k in &ended {
            inner.sessions.remove(k);
        }
        let mut links = 0;
        for account in inner.accounts.values_mut() {
            links += account.forget_spent_links(now, batch - links).len();
        }
        if links > 0 {
            // The forgotten tokens leave the index too: a spent link finds nothing.
            let Inner { accounts, invite_tokens, .. } = &mut *inner;
            invite_tokens.retain(|token, id| accounts.get(id).is_some_and(|a| a.invite_by_token(token).is_some()));
        }
        gone += links;
        Ok(gone as u64)
    }
}

fn info(s: &MemorySession) -> SessionInfo {
    SessionInfo {
        id: s.id,
        user: s.user,
        created_at: s.times.created_at,
        last_seen_at: s.times.last_seen_at,
        absolute_expires_at: s.times.absolute_expires_at,
        client: s.client.clone(),
        authenticated_at: s.authenticated_at,
    }
}
