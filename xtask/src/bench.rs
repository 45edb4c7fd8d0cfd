//! `cargo xtask bench`: the measured figures of `docs/performance.md`.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use portal_domain::ids::UserId;
use portal_domain::ports::{PageRequest, Store as _};

use crate::cpu::cpu_times;
use crate::{bulk, project_root, run};

/// Runs the benchmarks; `--quick` takes fewer samples (for a smoke run).
pub(crate) struct Bench {
    quick: bool,
}

/// The member-page latency at 1,000,000 users may be at most this many times that at 10,000.
const MAX_SCALE_RATIO: f64 = 1.3;

impl Bench {
    pub(crate) fn parse(args: &[String]) -> Result<Self> {
        let mut quick = false;
        for arg in args {
            match arg.as_str() {
                "--quick" => quick = true,
                other => bail!("unknown bench flag {other:?}"),
            }
        }
        Ok(Self { quick })
    }

    pub(crate) fn run(self) -> Result<()> {
        // Domain hot paths: a permission check and notice routing at 1,000 members and 1,000 contacts.
        // Targets: check < 20 ns, routing < 200 µs.
        let mut args = vec!["bench", "-p", "portal-domain", "--bench", "domain"];
        if self.quick {
            args.extend(["--", "--sample-count", "20"]);
        }
        run("cargo", &args)?;
        // The store figures need optimised SQLite and sqlx: run that part from a release build.
        let mut args = vec!["run", "--release", "--quiet", "-p", "xtask", "--", "bench-store"];
        if self.quick {
            args.push("--quick");
        }
        run("cargo", &args)?;
        // HTTP: the release server under wrk.
        run("cargo", &["build", "--release", "--quiet", "-p", "portal"])?;
        let mut args = vec!["run", "--release", "--quiet", "-p", "xtask", "--", "bench-http"];
        if self.quick {
            args.push("--quick");
        }
        run("cargo", &args)
    }

    /// The HTTP part, in this (release) process: seeds, starts the server, runs wrk.
    pub(crate) fn run_http(self) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        runtime.block_on(crate::http_bench::run(self.quick))
    }

    /// The store part, in this (release) process.
    pub(crate) fn run_store(self) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        runtime.block_on(self.store())
    }

    /// A page of 50 members, and the per-request access check, at 10,000 and 1,000,000 users.
    async fn store(&self) -> Result<()> {
        let dir = project_root().join("target").join("bench");
        std::fs::create_dir_all(&dir)?;
        let sizes: [u64; 2] = if self.quick { [10_000, 100_000] } else { [10_000, 1_000_000] };
        let mut dbs = Vec::new();
        for users in sizes {
            let started = Instant::now();
            let seeded = bulk::seed(&dir.join(format!("users-{users}.db")), users, 1_000).await?;
            eprintln!("seeded {users} users (+ their accounts and memberships) in {:.1?}", started.elapsed());
            let store = portal_store::SqlStore::connect(&seeded.url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            dbs.push((users, store, seeded.account, seeded.members));
        }
        let iterations = if self.quick { 500 } else { 5_000 };
        let mut pages: Vec<Vec<Duration>> = vec![Vec::new(); dbs.len()];
        let mut checks: Vec<Vec<Duration>> = vec![Vec::new(); dbs.len()];
        let mut rng = 0x2545_F491_4F6C_DD1D_u64;
        // Interleaved, so drift on a shared machine hits both sizes alike; the first 10% warm up.
        for i in 0..iterations + iterations / 10 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            for (k, (_, store, account, members)) in dbs.iter().enumerate() {
                let after: Option<UserId> = members.get((rng % members.len() as u64) as usize).copied();
                let t = Instant::now();
                let page = store
                    .members_page(*account, PageRequest { after, limit: 50 })
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let page_time = t.elapsed();
                let member = page.items.first().map(|m| m.user()).unwrap_or(members[0]);
                let t = Instant::now();
                let access = store.access(*account, member).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                let check_time = t.elapsed();
                if access.is_none() {
                    bail!("no access row for a member");
                }
                if i >= iterations / 10 {
                    pages[k].push(page_time);
                    checks[k].push(check_time);
                }
            }
        }
        let stats = |v: &mut Vec<Duration>| {
            v.sort();
            let at = |q: f64| v[((v.len() as f64 - 1.0) * q) as usize];
            (at(0.5), at(0.95), at(0.99))
        };
        println_table(&dbs.iter().map(|d| d.0).collect::<Vec<_>>(), &mut pages, &mut checks, stats);
        let small = stats(&mut pages[0]).0.as_secs_f64();
        let large = stats(&mut pages[1]).0.as_secs_f64();
        let ratio = large / small;
        eprintln!(
            "members page median ratio {}:{} users = {ratio:.2} (target <= {MAX_SCALE_RATIO})",
            sizes[1], sizes[0]
        );
        if ratio > MAX_SCALE_RATIO {
            bail!("a members page at {} users is {ratio:.2}x slower than at {}", sizes[1], sizes[0]);
        }
        sign_in_cost(&dir, if self.quick { 100 } else { 300 }).await
    }
}

/// A password check that costs nothing, to see what a sign-in costs apart from Argon2.
struct FreeHasher(portal_domain::values::PasswordHash);

impl portal_domain::ports::PasswordHasher for FreeHasher {
    async fn hash(
        &self,
        _: &portal_domain::values::Password,
    ) -> Result<portal_domain::values::PasswordHash, portal_domain::ports::HashError> {
        Ok(self.0.clone())
    }

    async fn verify(&self, _: &str, _: &portal_domain::values::PasswordHash) -> bool {
        true
    }

    fn decoy(&self) -> &portal_domain::values::PasswordHash {
        &self.0
    }
}

/// The CPU a sign-in costs the server apart from hashing (its rate-limit counters, the user's
/// row, the session and last-login commit, the account picker), on a SQLite file: what a login
/// adds to the Argon2id check it is held against.
async fn sign_in_cost(dir: &std::path::Path, users: usize) -> Result<()> {
    use portal::adapters::{RandomTokens, Sha256Digester, SystemClock, UuidV7};
    use portal_domain::service::{Portal, Signup};
    use portal_domain::values::{CompanyName, EmailAddress, PasswordHash, PersonName};

    let path = dir.join("sign-in.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = portal::open_store(&format!("sqlite://{}?mode=rwc", path.display())).await?;
    let hasher = FreeHasher(PasswordHash::new("not a hash"));
    let portal = Portal::new(store, hasher, Sha256Digester, RandomTokens, SystemClock, UuidV7);
    let email = |n: usize| format!("user{n}@bench.example");
    // One client per user: each signs up once and in three times, within every limit, and the
    // limits' counters are part of what a sign-in costs.
    let client = |n: usize| portal_domain::values::ClientInfo::new(&format!("client-{n}"), None);
    for n in 0..users {
        let signup = Signup {
            email: EmailAddress::parse(&email(n))?,
            name: PersonName::parse("User")?,
            password: "correct horse battery staple".into(),
            account_name: CompanyName::parse("Co")?,
            company: None,
        };
        portal.signup(&client(n), signup).await?;
    }
    let rounds = 3;
    eprintln!("{:<34} {:>10} {:>10} {:>10}", "sign-in without Argon2 (SQLite)", "user CPU", "sys CPU", "wall");
    for round in 0..rounds {
        let (before, started) = (cpu_times("self"), Instant::now());
        for n in 0..users {
            portal.sign_in(&client(n), &email(n), "correct horse battery staple").await?;
        }
        let wall = started.elapsed().as_secs_f64() * 1e6 / users as f64;
        let per = |f: fn((f64, f64)) -> f64| {
            before
                .zip(cpu_times("self"))
                .map_or_else(|| "-".to_owned(), |(b, a)| format!("{:.0}µs", (f(a) - f(b)) * 1e6 / users as f64))
        };
        eprintln!(
            "{:<34} {:>10} {:>10} {:>10}",
            format!("round {} ({users} sign-ins)", round + 1),
            per(|c| c.0),
            per(|c| c.1),
            format!("{wall:.0}µs")
        );
    }
    Ok(())
}

fn println_table(
    sizes: &[u64],
    pages: &mut [Vec<Duration>],
    checks: &mut [Vec<Duration>],
    stats: impl Fn(&mut Vec<Duration>) -> (Duration, Duration, Duration),
) {
    eprintln!("{:<34} {:>10} {:>10} {:>10}", "store (SQLite)", "median", "p95", "p99");
    for (k, users) in sizes.iter().enumerate() {
        let (m, p95, p99) = stats(&mut pages[k]);
        eprintln!("{:<34} {:>10.1?} {:>10.1?} {:>10.1?}", format!("members page (50) at {users} users"), m, p95, p99);
        let (m, p95, p99) = stats(&mut checks[k]);
        eprintln!("{:<34} {:>10.1?} {:>10.1?} {:>10.1?}", format!("access check at {users} users"), m, p95, p99);
    }
}
