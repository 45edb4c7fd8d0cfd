//! The HTTP figures: the release server on SQLite under `wrk` (Debian's package), 64 connections.
//! Targets: an authenticated page of 50 members at >= 20% of `/healthz`'s rate, 0 errors, p99 < 20 ms;
//! the client area's Users page at >= 70% of the JSON page's rate, under 60 kB of HTML.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use portal::adapters::{Argon2Hasher, RandomTokens, Sha256Digester, UuidV7};
use portal_domain::Actor;
use portal_domain::limits::{INVITES_PER_MEMBER, RATE_WINDOW};
use portal_domain::permission::Role;
use portal_domain::service::{InviteOffer, Portal, Signup};
use portal_domain::values::{CompanyName, EmailAddress, PersonName};
use portal_testkit::memory::ManualClock;

use crate::project_root;

const PASSWORD: &str = "correct horse battery staple";
/// Seeded members: the login load's users, a fifth of them per login round. Each signs in at
/// most 10 times (the per-email limit): a 5-second round at 150 logins/s needs 75 of them.
const MEMBERS: usize = 400;
/// Login rounds, each between two measures of the raw Argon2id rate.
const LOGIN_ROUNDS: usize = 5;

struct Wrk {
    requests_per_sec: f64,
    requests: u64,
    p99_ms: f64,
    errors: u64,
    /// The server's CPU seconds during the run.
    server_cpu: Option<f64>,
}

impl Wrk {
    /// The server's CPU time per request, in µs.
    fn cpu_us(&self) -> Option<f64> {
        self.server_cpu.map(|s| s * 1e6 / self.requests.max(1) as f64)
    }
}

fn parse_ms(v: &str) -> Option<f64> {
    let v = v.trim();
    if let Some(x) = v.strip_suffix("us") {
        x.parse::<f64>().ok().map(|x| x / 1000.0)
    } else if let Some(x) = v.strip_suffix("ms") {
        x.parse().ok()
    } else if let Some(x) = v.strip_suffix('s') {
        x.parse::<f64>().ok().map(|x| x * 1000.0)
    } else {
        None
    }
}

fn wrk(url: &str, header: Option<&str>, seconds: u32) -> Result<Wrk> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency", "--timeout", "5s"]);
    if let Some(h) = header {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output().context("running wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .context("wrk: no Requests/sec")?;
    let p99 = text.lines().find_map(|l| l.trim().strip_prefix("99%")).and_then(parse_ms).context("wrk: no 99% line")?;
    let non_2xx: u64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let socket: u64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Socket errors:"))
        .map(|v| v.split(',').filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    let requests = text
        .lines()
        .find_map(|l| l.trim().split_once(" requests in ").map(|(n, _)| n.trim().parse::<u64>()))
        .context("wrk: no request count")??;
    Ok(Wrk { requests_per_sec: rps, requests, p99_ms: p99, errors: non_2xx + socket, server_cpu: None })
}

pub(crate) async fn run(quick: bool) -> Result<()> {
    let dir = project_root().join("target").join("bench").join("http");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("portal.db").display());

    // Seed through the real use cases: an owner and its members. The owner may send
    // INVITES_PER_MEMBER invites per window, so the seeding clock starts in the past and moves
    // one window on after each batch, as the invites would have gone out over hours.
    let windows = MEMBERS.div_ceil(INVITES_PER_MEMBER as usize) as i32 + 1;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now() - RATE_WINDOW * windows));
    let store = portal::open_store(&url).await?;
    let hasher = tokio::task::spawn_blocking(Argon2Hasher::owasp).await??;
    let portal = Portal::new(store, hasher, Sha256Digester, RandomTokens, clock.clone(), UuidV7);
    let signup = Signup {
        email: EmailAddress::parse("owner@bench.example")?,
        name: PersonName::parse("Owner")?,
        password: PASSWORD.into(),
        account_name: CompanyName::parse("Bench Co")?,
        company: None,
    };
    let seed = portal_domain::values::ClientInfo::new("seed", None);
    let portal_domain::service::SignedUp::Registered { user: owner, account } = portal.signup(&seed, signup).await?
    else {
        anyhow::bail!("the bench database already has its owner");
    };
    // The owner verifies their address from the link in the queued mail, as a person would.
    let queued = portal
        .store()
        .claim_outbox(portal.now(), 10, Duration::from_secs(60))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for mail in &queued {
        if let portal_domain::ports::Message::VerifyEmail { token, .. } = &mail.email.message {
            portal.verify_email(&seed, token).await?;
        }
    }
    for n in 0..MEMBERS {
        if n > 0 && n % INVITES_PER_MEMBER as usize == 0 {
            clock.advance(RATE_WINDOW);
        }
        let email = EmailAddress::parse(&format!("member{n}@bench.example"))?;
        let request = InviteOffer {
            email,
            name: None,
            permissions: Role::Billing.permissions(),
            role: None,
            access_ends_at: None,
        };
        portal.invite(&Actor::User(owner.id()), account.id(), request).await?;
    }
    // Accept each invite with the token from its queued email, as an invitee would from the link.
    let queued = portal
        .store()
        .claim_outbox(portal.now(), 2 * MEMBERS as u32, Duration::from_secs(60))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for (n, mail) in queued.iter().enumerate() {
        if let portal_domain::ports::Message::Invite { token, .. } = &mail.email.message {
            portal
                .accept_invite_as_new_user(&seed, token, PersonName::parse(&format!("Member {n}"))?, PASSWORD)
                .await?;
        }
    }
    let mut seeded = 0;
    let mut after = None;
    loop {
        let page = portal
            .members(&Actor::User(owner.id()), account.id(), portal_domain::ports::PageRequest { after, limit: 200 })
            .await?;
        seeded += page.items.len();
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    if seeded != MEMBERS + 1 {
        bail!("seeding made {seeded} members, not {}", MEMBERS + 1);
    }
    let login_users: Vec<String> = (0..MEMBERS).map(|n| format!("member{n}@bench.example")).collect();
    // The load's session starts at the real time the server will judge it by.
    clock.advance(chrono::Utc::now() - portal.now());
    let Ok((_, session)) = portal.sign_in(&seed, "owner@bench.example", PASSWORD).await?.into_session() else {
        bail!("the bench owner has no second factor, yet was asked for one");
    };
    drop(portal);

    let port = 18_000 + (std::process::id() % 1000) as u16;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(project_root().join("target").join("release").join("portal"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &url, "--mail-dir"])
        .arg(dir.join("mail"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting target/release/portal")?;
    let mut up = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !up {
        let _ = server.kill();
        bail!("the server did not start");
    }
    let seconds = if quick { 3 } else { 10 };
    // Rounds alternate the two routes, so drift on this shared machine (it moves either rate by
    // up to a third over a minute, measured) falls on both sides of each ratio alike.
    let rounds = 3;
    let auth = format!("Authorization: Bearer {}", session.token);
    let members_url = format!("{base}/api/v1/accounts/{}/users?limit=50", account.id());
    let mut pairs = Vec::new();
    for _ in 0..rounds {
        let health = with_cpu(server.id(), || wrk(&format!("{base}/api/v1/healthz"), None, seconds));
        let members = with_cpu(server.id(), || wrk(&members_url, Some(&auth), seconds));
        match (health, members) {
            (Ok(h), Ok(m)) => pairs.push((h, m)),
            (Err(e), _) | (_, Err(e)) => {
                let _ = server.kill();
                return Err(e);
            }
        }
    }
    // The client area's Users page against the JSON page of the same members (50, the page's
    // size: a page of 200 rows would pass the 60 kB a page may weigh), alternating likewise.
    let cookie = format!("Cookie: portal_session={}", session.token);
    let users_page = format!("{base}/accounts/{}/users", account.id());
    let page_bytes = page_weight(&users_page, &session.token);
    if page_bytes == 0 {
        let _ = server.kill();
        bail!("the Users page did not answer with its members (signed out?): its rate would mean nothing");
    }
    let mut page_pairs = Vec::new();
    for _ in 0..rounds {
        let json = with_cpu(server.id(), || wrk(&members_url, Some(&auth), seconds));
        let html = with_cpu(server.id(), || wrk(&users_page, Some(&cookie), seconds));
        match (json, html) {
            (Ok(j), Ok(h)) => page_pairs.push((j, h)),
            (Err(e), _) | (_, Err(e)) => {
                let _ = server.kill();
                return Err(e);
            }
        }
    }
    // Logins alternate with the raw Argon2id rate for the same reason: raw, login, raw, …, raw;
    // each login round is held against the mean of the raw rates either side of it.
    let logins = login_rounds(port, server.id(), quick, &login_users, &account.id().to_string(), &session.token).await;
    let _ = server.kill();
    let _ = server.wait();
    let (raws, logins) = logins?;
    // The server's CPU time per request does not depend on how much of the machine others take
    // in the moment: the steadier figure to compare builds by.
    let cpu = |w: &Wrk| w.cpu_us().map_or_else(|| "-".to_owned(), |us| format!("{us:.0}µs"));
    eprintln!(
        "{:<6} {:>14} {:>14} {:>10} {:>8} {:>7} {:>12} {:>12}",
        "round", "healthz req/s", "members req/s", "share", "p99", "errors", "healthz cpu", "members cpu"
    );
    let mut shares = Vec::new();
    for (n, (h, m)) in pairs.iter().enumerate() {
        let share = m.requests_per_sec / h.requests_per_sec;
        shares.push(share);
        eprintln!(
            "{:<6} {:>14.0} {:>14.0} {:>9.1}% {:>6.2}ms {:>7} {:>12} {:>12}",
            n + 1,
            h.requests_per_sec,
            m.requests_per_sec,
            share * 100.0,
            m.p99_ms,
            h.errors + m.errors,
            cpu(h),
            cpu(m)
        );
    }
    shares.sort_by(f64::total_cmp);
    let median_share = shares[shares.len() / 2];
    eprintln!(
        "{:<6} {:>14} {:>14} {:>10} {:>8} {:>7} {:>12} {:>12}",
        "round", "json req/s", "page req/s", "share", "p99", "errors", "json cpu", "page cpu"
    );
    let mut page_shares = Vec::new();
    for (n, (j, h)) in page_pairs.iter().enumerate() {
        let share = h.requests_per_sec / j.requests_per_sec;
        page_shares.push(share);
        eprintln!(
            "{:<6} {:>14.0} {:>14.0} {:>9.1}% {:>6.2}ms {:>7} {:>12} {:>12}",
            n + 1,
            j.requests_per_sec,
            h.requests_per_sec,
            share * 100.0,
            h.p99_ms,
            j.errors + h.errors,
            cpu(j),
            cpu(h)
        );
    }
    page_shares.sort_by(f64::total_cmp);
    let page_errors: u64 = page_pairs.iter().map(|(j, h)| j.errors + h.errors).sum();
    eprintln!(
        "Users page (50 of {} members, {page_bytes} bytes of HTML; target < 60 kB) at {:.0}% of the JSON page's rate \
         (median of {rounds} rounds; target >= 70%), errors {page_errors} (target 0)",
        MEMBERS + 1,
        page_shares[page_shares.len() / 2] * 100.0,
    );
    let worst_p99 = pairs.iter().map(|(_, m)| m.p99_ms).fold(0.0, f64::max);
    let errors: u64 = pairs.iter().map(|(h, m)| h.errors + m.errors).sum();
    eprintln!(
        "{:<6} {:>14} {:>14} {:>10} {:>12} {:>9} {:>16}",
        "round", "raw hashes/s", "logins/s", "share", "read p99", "failures", "server cpu/login"
    );
    let mut login_shares = Vec::new();
    for (n, login) in logins.iter().enumerate() {
        let raw = (raws[n] + raws[n + 1]) / 2.0;
        let share = login.per_sec / raw;
        login_shares.push(share);
        // CPU per login over the whole round: the hash, the request, its writes, and the reads
        // made meanwhile.
        let per_login = login.server_cpu.map_or_else(
            || "-".to_owned(),
            |s| format!("{:.1}ms", s * 1000.0 / (login.per_sec * login.seconds).max(1.0)),
        );
        eprintln!(
            "{:<6} {:>14.1} {:>14.1} {:>9.1}% {:>10.2}ms {:>9} {:>16}",
            n + 1,
            raw,
            login.per_sec,
            share * 100.0,
            login.read_p99_ms,
            login.failures,
            per_login
        );
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as f64;
    let mut sorted_raws = raws.clone();
    sorted_raws.sort_by(f64::total_cmp);
    let median_raw = sorted_raws[sorted_raws.len() / 2];
    eprintln!(
        "raw Argon2id CPU per hash: {:.1}ms ({cores} threads at the median raw rate)",
        cores * 1000.0 / median_raw
    );
    eprintln!(
        "raw Argon2id rates, in order: {}",
        raws.iter().map(|r| format!("{r:.1}")).collect::<Vec<_>>().join(", ")
    );
    login_shares.sort_by(f64::total_cmp);
    let worst_read_p99 = logins.iter().map(|l| l.read_p99_ms).fold(0.0, f64::max);
    let failures: u64 = logins.iter().map(|l| l.failures).sum();
    eprintln!(
        "logins at {:.0}% of the raw Argon2id rate (median of {LOGIN_ROUNDS} rounds; target >= 90%), {failures} failed; \
         members page p99 during the login load {worst_read_p99:.2} ms",
        login_shares[login_shares.len() / 2] * 100.0,
    );
    eprintln!(
        "members page at {:.0}% of healthz (median of {rounds} rounds; target >= 20%), worst p99 {:.2} ms (target < 20 ms), errors {} (target 0)",
        median_share * 100.0,
        worst_p99,
        errors
    );
    Ok(())
}

/// The raw Argon2id rate before, between and after [`LOGIN_ROUNDS`] login rounds, and the rounds.
async fn login_rounds(
    port: u16,
    server: u32,
    quick: bool,
    users: &[String],
    account: &str,
    token: &str,
) -> Result<(Vec<f64>, Vec<crate::login_bench::Logins>)> {
    let raw_seconds = if quick { 1.5 } else { 3.0 };
    let login_seconds = if quick { 2 } else { 5 };
    let per_round = users.len() / LOGIN_ROUNDS;
    let read_path = format!("/api/v1/accounts/{account}/users?limit=50");
    let read_auth = format!("Authorization: Bearer {token}\r\n");
    let mut raws = vec![crate::login_bench::raw_argon2_rate(raw_seconds)?];
    let mut logins = Vec::new();
    for round in 0..LOGIN_ROUNDS {
        // Each round its own users and client addresses: the per-email and per-client limits
        // count over 15 minutes, across rounds.
        let users = &users[round * per_round..(round + 1) * per_round];
        let run = crate::login_bench::LoginRun { port, users, password: PASSWORD, round, seconds: login_seconds };
        let before = cpu_seconds(server);
        let mut login = run.run(&read_path, &read_auth).await?;
        login.server_cpu = before.zip(cpu_seconds(server)).map(|(b, a)| a - b);
        logins.push(login);
        raws.push(crate::login_bench::raw_argon2_rate(raw_seconds)?);
    }
    Ok((raws, logins))
}

/// The CPU time (user and system) process `pid` has used, in seconds; `None` off Linux.
fn cpu_seconds(pid: u32) -> Option<f64> {
    crate::cpu::cpu_times(&pid.to_string()).map(|(user, system)| user + system)
}

/// Runs `f` and notes the server's CPU seconds meanwhile in its result.
fn with_cpu(server: u32, f: impl FnOnce() -> Result<Wrk>) -> Result<Wrk> {
    let before = cpu_seconds(server);
    let mut out = f()?;
    out.server_cpu = before.zip(cpu_seconds(server)).map(|(b, a)| a - b);
    Ok(out)
}

/// The bytes of HTML the Users page sends (one request, with the session cookie); 0 unless it
/// is the page itself (not a redirect to sign in).
fn page_weight(url: &str, token: &str) -> usize {
    let out = Command::new("curl").args(["-s", "-H", &format!("Cookie: portal_session={token}"), url]).output();
    match out {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains("<caption>Members of") => o.stdout.len(),
        _ => 0,
    }
}
