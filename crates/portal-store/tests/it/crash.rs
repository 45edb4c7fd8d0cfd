//! A child process writes in a loop and is killed with SIGKILL at random moments, 20 times.
//! After each kill the store opens, migrations are a no-op, every write the child reported
//! committed is there, and every aggregate loads whole (none half-written).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use portal_domain::Actor;
use portal_domain::ids::{AccountId, UserId};
use portal_domain::permission::Role;
use portal_domain::ports::{PageRequest, Store as _};
use portal_domain::service::{InviteOffer, Portal, Signup};
use portal_domain::values::{CompanyName, EmailAddress, PersonName};
use portal_store::SqlStore;
use portal_testkit::memory::{InsecureDigester, InsecureHasher, ManualClock, SequentialIds, SequentialTokens};

use crate::support;

const KILLS: usize = 20;

/// Not a test of its own: the child process body, run only when the parent sets `PORTAL_CRASH_URL`.
#[tokio::test]
#[ignore = "run as a child process by sqlite_survives_being_killed_mid_write"]
async fn writer_child() {
    let Ok(url) = std::env::var("PORTAL_CRASH_URL") else { return };
    let run: u64 = std::env::var("PORTAL_CRASH_RUN").ok().and_then(|r| r.parse().ok()).unwrap_or(0);
    let store = SqlStore::connect(&url).await.unwrap();
    // As a server starts: a no-op on a current schema.
    store.migrate().await.unwrap();
    // Ids and times unique to this run, so runs never collide.
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap().to_utc()
        + chrono::Duration::days(run as i64);
    let ids = SequentialIds::starting_after(run * 1_000_000);
    let tokens = SequentialTokens::prefixed(&format!("run{run}"));
    let portal = Portal::new(store, InsecureHasher::default(), InsecureDigester, tokens, ManualClock::new(start), ids);
    for i in 0.. {
        let signup = Signup {
            email: EmailAddress::parse(&format!("r{run}w{i}@crash.example")).unwrap(),
            name: PersonName::parse("Writer").unwrap(),
            password: "correct horse battery staple".into(),
            account_name: CompanyName::parse("Crash Co").unwrap(),
            company: None,
        };
        let (owner, account) = support::verified_signup(&portal, &format!("client {i}"), signup).await;
        println!("committed user {} account {}", owner.id(), account.id());
        let invite = InviteOffer {
            email: EmailAddress::parse(&format!("r{run}i{i}@crash.example")).unwrap(),
            name: None,
            permissions: Role::Billing.permissions(),
            role: None,
            access_ends_at: None,
        };
        let sent = portal.invite(&Actor::User(owner.id()), account.id(), invite).await.unwrap();
        println!("committed invite {} account {}", sent.id(), account.id());
    }
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_being_killed_mid_write() {
    let (store, url) = support::sqlite().await;
    drop(store);
    let mut seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
            | 1;
    eprintln!("crash test seed {seed}");
    let mut reported: Vec<(String, String)> = Vec::new();
    for run in 1..=KILLS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "crash::writer_child", "--nocapture", "--test-threads=1"])
            .env("PORTAL_CRASH_URL", &url)
            .env("PORTAL_CRASH_RUN", run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("committed ") && lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the first reported commit (start-up time varies with load), then kill it at a
        // random moment in the next 300 ms, in the middle of its writing.
        let first = lines_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("run {run}: the child never wrote"));
        std::thread::sleep(Duration::from_millis(xorshift(&mut seed) % 300));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        let lines: Vec<String> = std::iter::once(first).chain(lines_rx.try_iter()).collect();
        let mut this_run = Vec::new();
        for line in lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            this_run.push((words[1].to_owned(), words[2].to_owned()));
            this_run.push(("account".to_owned(), words[4].to_owned()));
        }

        let store = SqlStore::connect(&url).await.unwrap();
        assert_eq!(store.pending_migrations().await.unwrap(), 0, "run {run}: migrations not current");
        store.migrate().await.unwrap();
        // This run's reports, each loaded in full...
        for (kind, id) in &this_run {
            match kind.as_str() {
                "user" => assert!(
                    store.user(id.parse::<UserId>().unwrap()).await.unwrap().is_some(),
                    "run {run}: reported user {id} lost"
                ),
                "account" => assert!(
                    store.account(id.parse::<AccountId>().unwrap()).await.unwrap().is_some(),
                    "run {run}: reported account {id} lost"
                ),
                "invite" => {}
                other => panic!("unexpected report {other}"),
            }
        }
        // ...and every account reported by any run so far still listed.
        reported.extend(this_run);
        let mut listed = std::collections::HashSet::new();
        let mut next = None;
        loop {
            let page = store.accounts_page(PageRequest { after: next, limit: 500 }).await.unwrap();
            listed.extend(page.items.iter().map(|l| l.id.to_string()));
            next = page.next;
            if next.is_none() {
                break;
            }
        }
        for (kind, id) in &reported {
            assert!(kind != "account" || listed.contains(id), "run {run}: account {id} reported earlier is gone");
        }
        // Every account this run touched (its id range, in-flight writes included) loads whole:
        // restore re-checks its invariants and every row parses.
        let first = portal_domain::ports::IdSource::new_uuid(&SequentialIds::starting_after(run as u64 * 1_000_000));
        let mut after = Some(AccountId::from_uuid(uuid::Uuid::from_u128(first.as_u128() - 1)));
        let mut checked = 0;
        loop {
            let page = store.accounts_page(PageRequest { after, limit: 100 }).await.unwrap();
            for listing in &page.items {
                let account = store.account(listing.id).await.unwrap().unwrap();
                let history = store.account_history(listing.id).await.unwrap();
                assert_eq!(history.len() as u64, account.version(), "run {run}: account {} half-written", listing.id);
                checked += 1;
            }
            after = page.next;
            if after.is_none() {
                break;
            }
        }
        assert!(checked > 0, "run {run}: no account of this run to check");
    }
    eprintln!("crash test: {KILLS} kills, {} committed writes checked", reported.len() / 2);
}
