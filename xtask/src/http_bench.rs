//! The HTTP figures: the release server on SQLite under `wrk` (Debian's package), 64 connections.
//! Target: an authenticated page of 50 members at >= 20% of `/healthz`'s rate, 0 errors, p99 < 20 ms.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use portal_domain::Actor;
use portal_domain::permission::Role;
use portal_domain::service::{InviteRequest, Signup};
use portal_domain::values::{CompanyName, EmailAddress, PersonName};

use crate::project_root;

const PASSWORD: &str = "correct horse battery staple";
const MEMBERS: usize = 160;

struct Wrk {
    requests_per_sec: f64,
    p99_ms: f64,
    errors: u64,
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
    Ok(Wrk { requests_per_sec: rps, p99_ms: p99, errors: non_2xx + socket })
}

pub(crate) async fn run(quick: bool) -> Result<()> {
    let dir = project_root().join("target").join("bench").join("http");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("portal.db").display());

    // Seed through the real use cases: an owner and 160 members. The members are the login load's
    // users: each signs in at most 10 times in a run (the per-email limit), and a 10-second run
    // at 100 logins/s needs 100 of them.
    let portal = portal::portal_for(&url).await?;
    let signup = Signup {
        email: EmailAddress::parse("owner@bench.example")?,
        name: PersonName::parse("Owner")?,
        password: PASSWORD.into(),
        account_name: CompanyName::parse("Bench Co")?,
        company: None,
    };
    let (owner, account) = portal.signup(signup).await?;
    for n in 0..MEMBERS {
        let email = EmailAddress::parse(&format!("member{n}@bench.example"))?;
        let request = InviteRequest {
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
        .claim_outbox(chrono::Utc::now(), 2 * MEMBERS as u32, Duration::from_secs(60))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for (n, mail) in queued.iter().enumerate() {
        if let portal_domain::ports::Message::Invite { token, .. } = &mail.email.message {
            portal.accept_invite_as_new_user(token, PersonName::parse(&format!("Member {n}"))?, PASSWORD).await?;
        }
    }
    let members = portal
        .members(&Actor::User(owner.id()), account.id(), portal_domain::ports::PageRequest { after: None, limit: 200 })
        .await?;
    if members.items.len() < MEMBERS + 1 {
        bail!("seeding made {} members, not {}", members.items.len(), MEMBERS + 1);
    }
    // Login load needs users: each signs in at most 10 times in the run (the per-email limit).
    let login_users: Vec<String> = (0..MEMBERS).map(|n| format!("member{n}@bench.example")).collect();
    let (_, session) = portal.sign_in("owner@bench.example", PASSWORD).await?;
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
        let health = wrk(&format!("{base}/api/v1/healthz"), None, seconds);
        let members = wrk(&members_url, Some(&auth), seconds);
        match (health, members) {
            (Ok(h), Ok(m)) => pairs.push((h, m)),
            (Err(e), _) | (_, Err(e)) => {
                let _ = server.kill();
                return Err(e);
            }
        }
    }
    // The raw rate is taken before and after the login load, and averaged, for the same reason.
    let raw_seconds = if quick { 2.0 } else { 5.0 };
    let raw_before = crate::login_bench::raw_argon2_rate(raw_seconds);
    let logins = crate::login_bench::run(
        port,
        &login_users,
        PASSWORD,
        &format!("/api/v1/accounts/{}/users?limit=50", account.id()),
        &format!("Authorization: Bearer {}\r\n", session.token),
        if quick { 3 } else { 10 },
    )
    .await;
    let raw_after = crate::login_bench::raw_argon2_rate(raw_seconds);
    let _ = server.kill();
    let _ = server.wait();
    let (raw_before, raw_after, (logins_per_sec, read_p99, login_failures)) = (raw_before?, raw_after?, logins?);
    let raw = (raw_before + raw_after) / 2.0;
    eprintln!(
        "{:<6} {:>14} {:>14} {:>10} {:>8} {:>7}",
        "round", "healthz req/s", "members req/s", "share", "p99", "errors"
    );
    let mut shares = Vec::new();
    for (n, (h, m)) in pairs.iter().enumerate() {
        let share = m.requests_per_sec / h.requests_per_sec;
        shares.push(share);
        eprintln!(
            "{:<6} {:>14.0} {:>14.0} {:>9.1}% {:>6.2}ms {:>7}",
            n + 1,
            h.requests_per_sec,
            m.requests_per_sec,
            share * 100.0,
            m.p99_ms,
            h.errors + m.errors
        );
    }
    shares.sort_by(f64::total_cmp);
    let median_share = shares[shares.len() / 2];
    let worst_p99 = pairs.iter().map(|(_, m)| m.p99_ms).fold(0.0, f64::max);
    let errors: u64 = pairs.iter().map(|(h, m)| h.errors + m.errors).sum();
    eprintln!("{:<44} {:>10.1}", "raw Argon2id hashes/s (all cores, before/after)", raw);
    eprintln!("  (before {raw_before:.1}, after {raw_after:.1})");
    eprintln!("{:<44} {:>10.1} {:>9} {:>7}", "POST /auth/login (8 at a time)", logins_per_sec, "", login_failures);
    eprintln!(
        "logins at {:.0}% of the raw Argon2id rate (target >= 90%); members page p99 during the login load {:.2} ms",
        logins_per_sec / raw * 100.0,
        read_p99
    );
    eprintln!(
        "members page at {:.0}% of healthz (median of {rounds} rounds; target >= 20%), worst p99 {:.2} ms (target < 20 ms), errors {} (target 0)",
        median_share * 100.0,
        worst_p99,
        errors
    );
    Ok(())
}
