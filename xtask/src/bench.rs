//! `cargo xtask bench`: the measured figures of `docs/performance.md`.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use portal_domain::ids::UserId;
use portal_domain::ports::{PageRequest, Store as _};

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
            let store = portal_store::Store::connect(&seeded.url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
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
        Ok(())
    }
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
