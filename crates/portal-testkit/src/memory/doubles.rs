//! Deterministic doubles for the other ports: a clock that moves when told, sequential ids and
//! tokens, a reversible digester and hasher, and a portal wired to them.

use super::*;

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// Deterministic UUID v7s: a fixed millisecond base plus a counter, so runs repeat exactly.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl SequentialIds {
    /// A sequence whose first id is number `first + 1`, so separate runs never collide.
    pub fn starting_after(first: u64) -> Self {
        Self(AtomicU64::new(first))
    }
}

impl IdSource for SequentialIds {
    fn new_uuid(&self) -> Uuid {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        let mut tail = [0u8; 10];
        tail[2..].copy_from_slice(&n.to_be_bytes());
        // 2026-01-01T00:00:00Z in ms, plus n, keeps ids ordered like real v7 ids.
        uuid::Builder::from_unix_timestamp_millis(1_767_225_600_000 + n, &tail).into_uuid()
    }
}

/// Deterministic tokens `token-1`, `token-2`, ... Guessable: tests only.
#[derive(Debug, Default)]
pub struct SequentialTokens {
    next: AtomicU64,
    prefix: String,
}

impl SequentialTokens {
    /// Tokens `{prefix}-1`, `{prefix}-2`, ..., so separate runs never collide.
    pub fn prefixed(prefix: &str) -> Self {
        Self { next: AtomicU64::new(0), prefix: prefix.to_owned() }
    }
}

impl TokenGenerator for SequentialTokens {
    fn generate(&self) -> String {
        let prefix = if self.prefix.is_empty() { "token" } else { &self.prefix };
        format!("{prefix}-{}", self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn recovery_code(&self) -> String {
        // The prefix and the counter, spread over the alphabet: distinct, well formed, guessable.
        let mut n = fnv(&self.generate());
        (0..24)
            .map(|_| {
                let c = portal_domain::mfa::RECOVERY_ALPHABET[(n % 32) as usize] as char;
                n = (n / 32) ^ n.rotate_left(17);
                c
            })
            .collect()
    }
}

/// FNV-1a: a fixed, dependency-free mixing for the doubles (no security meant).
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// A second factor with RFC 6238's shape (30-second steps, six digits, one step of skew) but a
/// toy code function, so tests compute codes without a crypto crate: [`FakeTotp::code`].
/// "Sealed" secrets are the secret behind a prefix. Guessable: tests only.
#[derive(Debug, Default)]
pub struct FakeTotp {
    next: AtomicU64,
}

impl FakeTotp {
    /// The code of `secret` (as enrolment showed it) at `at`.
    pub fn code(secret: &str, at: DateTime<Utc>) -> String {
        Self::code_of_step(secret, step_of(at))
    }

    fn code_of_step(secret: &str, step: u64) -> String {
        format!("{:06}", fnv(&format!("{secret}/{step}")) % 1_000_000)
    }
}

/// The 30-second step of `at`.
fn step_of(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap_or(0) / 30
}

impl portal_domain::ports::SecondFactor for FakeTotp {
    fn enrol(
        &self,
        _user: UserId,
        label: &portal_domain::values::EmailAddress,
    ) -> Result<portal_domain::ports::Enrolment, portal_domain::ports::HashError> {
        let secret = format!("SECRET{}", self.next.fetch_add(1, Ordering::Relaxed) + 1);
        Ok(portal_domain::ports::Enrolment {
            sealed: portal_domain::values::SealedSecret::new(format!("sealed:{secret}")),
            uri: format!("otpauth://totp/portal:{}?secret={secret}&issuer=portal", label.as_str()),
            qr_svg: "<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_owned(),
            secret,
        })
    }

    fn check(
        &self,
        _user: UserId,
        sealed: &portal_domain::values::SealedSecret,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, portal_domain::ports::HashError> {
        let secret = sealed
            .as_str()
            .strip_prefix("sealed:")
            .ok_or_else(|| portal_domain::ports::HashError::new("not sealed by FakeTotp"))?;
        let now = step_of(now);
        Ok([now.saturating_sub(1), now, now + 1].into_iter().find(|s| Self::code_of_step(secret, *s) == code))
    }
}

/// A "digest" that only prefixes the token. Reversible: tests only.
#[derive(Debug, Default, Clone, Copy)]
pub struct InsecureDigester;

impl TokenDigester for InsecureDigester {
    fn digest(&self, token: &str) -> TokenDigest {
        TokenDigest::new(format!("digest:{token}"))
    }
}

/// A "hasher" that stores the password behind a prefix. Reversible: tests only.
#[derive(Debug)]
pub struct InsecureHasher {
    decoy: PasswordHash,
}

impl Default for InsecureHasher {
    fn default() -> Self {
        Self { decoy: PasswordHash::new("insecure:\u{0}no one's password") }
    }
}

impl PasswordHasher for InsecureHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, portal_domain::ports::HashError> {
        Ok(PasswordHash::new(format!("insecure:{}", password.expose())))
    }

    async fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        hash.as_str().strip_prefix("insecure:") == Some(password)
    }

    fn decoy(&self) -> &PasswordHash {
        &self.decoy
    }
}

/// The in-memory [`Portal`](portal_domain::service::Portal) with deterministic doubles, for tests and examples.
pub type MemoryPortal = portal_domain::service::Portal<MemoryStore, InsecureHasher>;

/// A [`MemoryPortal`] whose clock starts at `now`; the returned clock moves it.
pub fn memory_portal(now: DateTime<Utc>) -> (MemoryPortal, std::sync::Arc<ManualClock>) {
    deterministic_portal(MemoryStore::new(), now)
}

/// A [`Portal`](portal_domain::service::Portal) over `store` with the deterministic doubles and
/// a clock that starts at `now` (the returned clock moves it): the same doubles for every store
/// a test compares.
pub fn deterministic_portal<S: portal_domain::ports::Store + portal_domain::ports::SessionStore>(
    store: S,
    now: DateTime<Utc>,
) -> (portal_domain::service::Portal<S, InsecureHasher>, std::sync::Arc<ManualClock>) {
    let clock = std::sync::Arc::new(ManualClock::new(now));
    let portal = portal_domain::service::Portal::new(
        store,
        InsecureHasher::default(),
        InsecureDigester,
        SequentialTokens::default(),
        clock.clone(),
        SequentialIds::default(),
    )
    .with_second_factor(FakeTotp::default());
    (portal, clock)
}

/// Signs up from `client` and follows the verification link from the queued mail, as the
/// person would: the verified user and their first account.
///
/// # Panics
/// When the address was taken or the sign-up fails: a test's setup went wrong.
#[allow(clippy::expect_used, clippy::panic)]
pub async fn verified_signup(
    portal: &MemoryPortal,
    client: &portal_domain::values::ClientInfo,
    signup: portal_domain::service::Signup,
) -> (portal_domain::user::User, portal_domain::account::Account) {
    use portal_domain::ports::Store as _;
    let address = signup.email.as_str().to_owned();
    let signed_up = portal.signup(client, signup).await.expect("sign-up");
    let portal_domain::service::SignedUp::Registered { user, account } = signed_up else {
        panic!("{address} was already registered")
    };
    let token = portal.store().link_token_for(&address).expect("a verification mail");
    portal.verify_email(client, &token).await.expect("verification");
    (portal.store().user(user.id()).await.expect("read").expect("the user"), account)
}

/// A test request's origin: `address`, and no user agent.
pub fn client_at(address: &str) -> portal_domain::values::ClientInfo {
    portal_domain::values::ClientInfo::new(address, None)
}

/// Drives a future to completion on the calling thread, with no runtime: enough for the
/// in-memory store, whose futures never wait. A future that does wait is polled again after a
/// yield, so it still completes once it is woken by its own progress.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}
