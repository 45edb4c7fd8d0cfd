//! Fresh databases for tests.

use std::sync::atomic::{AtomicU64, Ordering};

use portal_store::SqlStore;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

static NEXT: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

static CLEAN: std::sync::Once = std::sync::Once::new();

/// A migrated store on a new SQLite file under the target directory, and its URL. Files from
/// earlier runs (older than an hour) are removed on the first call.
pub async fn sqlite() -> (SqlStore, String) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("portal-store-tests");
    std::fs::create_dir_all(&dir).unwrap();
    CLEAN.call_once(|| {
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < hour_ago) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    });
    let url = format!("sqlite://{}?mode=rwc", dir.join(format!("{}.db", unique("t"))).display());
    let store = SqlStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    (store, url)
}

/// The PostgreSQL server to test against, if any. Without `PORTAL_TEST_POSTGRES_URL` the
/// PostgreSQL tests print that they were skipped, unless `PORTAL_REQUIRE_POSTGRES=1`, under
/// which a missing server fails the run.
pub fn postgres_url() -> Option<String> {
    match std::env::var("PORTAL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("PORTAL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "PORTAL_REQUIRE_POSTGRES=1 but PORTAL_TEST_POSTGRES_URL is not set"
            );
            eprintln!("skipped: PostgreSQL tests need PORTAL_TEST_POSTGRES_URL");
            None
        }
    }
}

/// A migrated store on a new PostgreSQL database, and its URL.
pub async fn postgres(base: &str) -> (SqlStore, String) {
    let (store, url) = postgres_unmigrated(base).await;
    store.migrate().await.unwrap();
    (store, url)
}

/// A store on a new, empty PostgreSQL database, and its URL.
pub async fn postgres_unmigrated(base: &str) -> (SqlStore, String) {
    let name = unique("portal_t");
    let admin: DatabaseConnection = Database::connect(base).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let _ = admin.close().await;
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let url = format!("{prefix}/{name}");
    let store = SqlStore::connect(&url).await.unwrap();
    (store, url)
}

/// A raw connection to the same database, for poking at rows the adapter never would.
pub async fn raw(url: &str) -> DatabaseConnection {
    Database::connect(url).await.unwrap()
}

/// The use cases over a store, with deterministic ids, tokens and a clock at [`t0`].
pub type TestPortal = portal_domain::service::Portal<SqlStore, portal_testkit::memory::InsecureHasher>;

/// The instant the test clocks start at.
pub fn t0() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap().to_utc()
}

/// A portal over `store` whose ids, tokens and emails are distinct from any other portal's
/// built with another `run`.
pub fn portal(store: SqlStore, run: u64) -> TestPortal {
    use portal_testkit::memory::{InsecureDigester, InsecureHasher, ManualClock, SequentialIds, SequentialTokens};
    portal_domain::service::Portal::new(
        store,
        InsecureHasher::default(),
        InsecureDigester,
        SequentialTokens::prefixed(&format!("run{run}")),
        ManualClock::new(t0()),
        SequentialIds::starting_after(run * 1_000_000),
    )
}

/// Signs someone up with their own account and confirms their address through the mailed
/// link, as they would: the mails queued so far are delivered (claimed and marked sent).
pub async fn signup(
    portal: &TestPortal,
    address: &str,
    account: &str,
) -> (portal_domain::User, portal_domain::Account) {
    use portal_domain::service::Signup;
    use portal_domain::values::{CompanyName, EmailAddress, PersonName};
    let signup = Signup {
        email: EmailAddress::parse(address).unwrap(),
        name: PersonName::parse("Someone").unwrap(),
        password: "correct horse battery staple".into(),
        account_name: CompanyName::parse(account).unwrap(),
        company: None,
    };
    verified_signup(portal, &format!("client of {address}"), signup).await
}

/// Signs up from `client` and follows the verification link from the delivered mail.
pub async fn verified_signup(
    portal: &TestPortal,
    client: &str,
    signup: portal_domain::service::Signup,
) -> (portal_domain::User, portal_domain::Account) {
    use portal_domain::ports::Store as _;
    use portal_domain::service::SignedUp;
    let client = portal_testkit::memory::client_at(client);
    let address = signup.email.clone();
    let SignedUp::Registered { user, account } = portal.signup(&client, signup).await.unwrap() else {
        panic!("{address} was already registered")
    };
    let token = deliver(portal)
        .await
        .into_iter()
        .rev()
        .find_map(|m| match m.message {
            portal_domain::ports::Message::VerifyEmail { token, .. } if m.to == address => Some(token),
            _ => None,
        })
        .expect("a verification mail");
    portal.verify_email(&client, &token).await.unwrap();
    (portal.store().user(user.id()).await.unwrap().unwrap(), account)
}

/// Delivers every mail due: claims it and marks it sent, returning what was sent.
pub async fn deliver(portal: &TestPortal) -> Vec<portal_domain::ports::OutgoingEmail> {
    let store = portal.store();
    let claimed = store.claim_outbox(portal.now(), 1000, std::time::Duration::from_secs(60)).await.unwrap();
    for queued in &claimed {
        store.outbox_sent(queued, portal.now()).await.unwrap();
    }
    claimed.into_iter().map(|q| q.email).collect()
}
