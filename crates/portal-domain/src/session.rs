//! The session rules, decided once for every store: a session ends at its idle or absolute
//! expiry, whichever comes first; a use extends the idle expiry, never past the absolute one,
//! and at most once per [`SESSION_TOUCH_RESOLUTION`].

use chrono::{DateTime, Duration, Utc};

/// Sessions are extended at most this often: a write per request would serialise every read
/// behind the database's single writer for no gain a person could notice.
pub const SESSION_TOUCH_RESOLUTION: Duration = Duration::minutes(1);

/// The times that decide a session's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it was last extended.
    pub last_seen_at: DateTime<Utc>,
    /// When it ends unless used again.
    pub idle_expires_at: DateTime<Utc>,
    /// When it ends however active.
    pub absolute_expires_at: DateTime<Utc>,
}

/// What one use of a session at a given time does to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionUse {
    /// It had ended: the store deletes it and the use is refused.
    Ended,
    /// It is live and was extended recently: nothing to write.
    Live,
    /// It is live; write these times.
    Extended(SessionTimes),
}

impl SessionTimes {
    /// A session started at `now`, living `idle` past each use and `absolute` in all.
    pub fn start(now: DateTime<Utc>, idle: Duration, absolute: Duration) -> Self {
        let absolute_expires_at = now + absolute;
        Self {
            created_at: now,
            last_seen_at: now,
            idle_expires_at: (now + idle).min(absolute_expires_at),
            absolute_expires_at,
        }
    }

    /// Whether it has ended at `now`.
    pub fn ended(&self, now: DateTime<Utc>) -> bool {
        now >= self.idle_expires_at || now >= self.absolute_expires_at
    }

    /// A use at `now`, extending by `idle`.
    pub fn used(&self, now: DateTime<Utc>, idle: Duration) -> SessionUse {
        if self.ended(now) {
            return SessionUse::Ended;
        }
        if now - self.last_seen_at < SESSION_TOUCH_RESOLUTION {
            return SessionUse::Live;
        }
        let idle_expires_at = (now + idle).min(self.absolute_expires_at);
        SessionUse::Extended(Self { last_seen_at: now, idle_expires_at, ..*self })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(minutes)
    }

    fn seen(s: SessionTimes, at: i64, idle_until: i64) -> SessionTimes {
        SessionTimes { last_seen_at: t(at), idle_expires_at: t(idle_until), ..s }
    }

    /// ASVS 5.0 V7.1.1, V7.3.1, V7.3.2.
    #[test]
    fn a_session_lives_idle_past_each_use_and_never_past_its_absolute_expiry() {
        let (idle, absolute) = (Duration::minutes(30), Duration::minutes(90));
        let s = SessionTimes::start(t(0), idle, absolute);
        assert_eq!((s.idle_expires_at, s.absolute_expires_at), (t(30), t(90)));
        assert_eq!(s.used(t(0), idle), SessionUse::Live, "extended at most once a minute");
        assert_eq!(s.used(t(20), idle), SessionUse::Extended(seen(s, 20, 50)));
        assert_eq!(seen(s, 45, 75).used(t(70), idle), SessionUse::Extended(seen(s, 70, 90)), "capped");
        assert_eq!(seen(s, 70, 90).used(t(90), idle), SessionUse::Ended, "the absolute expiry holds");
        assert_eq!(seen(s, 20, 50).used(t(50), idle), SessionUse::Ended, "the idle expiry is exclusive");
        assert!(SessionTimes::start(t(0), Duration::minutes(60), Duration::minutes(10)).idle_expires_at == t(10));
    }
}
