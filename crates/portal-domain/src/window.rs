//! A fixed-window counter: when a window lapses and what one more hit does. A leaf of the model:
//! the limits decide with it, the session port stores it.

use chrono::{DateTime, Duration, Utc};

/// A counter as the store holds it: when its window opened and the hits it has seen since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// When the window opened (its first hit).
    pub start: DateTime<Utc>,
    /// Hits counted in it.
    pub count: u32,
}

impl Window {
    /// The latest start of a window that has lapsed at `now`: a store counting in one
    /// statement (SQL) compares its windows' starts with this, as [`Window::lapsed`] does.
    pub fn cutoff(now: DateTime<Utc>, window: Duration) -> DateTime<Utc> {
        now - window
    }

    /// A window that has already lapsed at `now` (what a key never hit counts as).
    pub fn lapsed_at(now: DateTime<Utc>, window: Duration) -> Self {
        Self { start: Self::cutoff(now, window), count: 0 }
    }

    /// Whether the window has lapsed at `now`: the next hit opens a new one.
    pub fn lapsed(&self, now: DateTime<Utc>, window: Duration) -> bool {
        self.start <= Self::cutoff(now, window)
    }

    /// The window after one more hit at `now`.
    #[must_use]
    pub fn hit(self, now: DateTime<Utc>, window: Duration) -> Self {
        if self.lapsed(now, window) {
            Self { start: now, count: 1 }
        } else {
            Self { count: self.count.saturating_add(1), ..self }
        }
    }

    /// The hits that still count at `now`.
    pub fn live_count(&self, now: DateTime<Utc>, window: Duration) -> u32 {
        if self.lapsed(now, window) { 0 } else { self.count }
    }
}
