//! Logins per second against the raw Argon2id rate of the same parameters, with the p99 of
//! concurrent reads. The sign-in limits (per email, per client address) stay as they are: the
//! load comes from many users over many loopback source addresses (127.0.0.N), within the limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

/// Raw Argon2id hashes per second with the server's parameters, one thread per core, each
/// hashing in memory it reuses: the algorithm's own rate. (`hash_password` allocates and zeroes
/// 19 MiB per hash; measured on this machine, glibc's handling of that made its rate fall from
/// 78 to 47-58 hashes/s after the first seconds, while the reused-memory rate held at 70-84. The
/// server reuses its memory too, so this is the rate it can be held to.)
pub(crate) fn raw_argon2_rate(seconds: f64) -> Result<f64> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let done = done.clone();
            std::thread::spawn(move || -> Result<()> {
                let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
                let mut memory = vec![Block::default(); params.block_count()];
                let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
                let mut out = [0u8; 32];
                while Instant::now() < deadline {
                    argon
                        .hash_password_into_with_memory(
                            b"correct horse battery staple",
                            b"sixteen byte salt",
                            &mut out,
                            &mut memory[..],
                        )
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    for t in threads {
        t.join().map_err(|_| anyhow::anyhow!("hash thread panicked"))??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / seconds)
}

/// One HTTP/1.1 request from a given loopback source address; returns the status code.
async fn request(
    source: std::net::Ipv4Addr,
    port: u16,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> Result<u16> {
    let socket = TcpSocket::new_v4()?;
    socket.bind((source, 0).into())?;
    let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("no status line")
}

/// One round of logins: `users` signing in with `password`, 8 at a time, for `seconds`.
pub(crate) struct LoginRun<'a> {
    pub(crate) port: u16,
    pub(crate) users: &'a [String],
    pub(crate) password: &'a str,
    /// Which round this is: each round signs in from its own client addresses.
    pub(crate) round: usize,
    pub(crate) seconds: u64,
}

/// What a round measured.
pub(crate) struct Logins {
    pub(crate) per_sec: f64,
    pub(crate) seconds: f64,
    /// The server's CPU seconds during the round, when known.
    pub(crate) server_cpu: Option<f64>,
    /// The p99 of the reads made meanwhile.
    pub(crate) read_p99_ms: f64,
    pub(crate) failures: u64,
}

impl LoginRun<'_> {
    /// Logins/s, each login from its own address and user, and the p99 of reads (`read_path`
    /// with `read_auth`) made meanwhile.
    pub(crate) async fn run(&self, read_path: &str, read_auth: &str) -> Result<Logins> {
        let (port, seconds, round) = (self.port, self.seconds, self.round);
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let ok = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let concurrency = 8;
        let mut tasks = Vec::new();
        for worker in 0..concurrency {
            let (ok, failed) = (ok.clone(), failed.clone());
            let users: Vec<String> = self.users.iter().skip(worker).step_by(concurrency).cloned().collect();
            let password = self.password.to_owned();
            tasks.push(tokio::spawn(async move {
                // Each user signs in at most 10 times (the per-email limit); each address 50 times.
                let mut n = 0usize;
                while Instant::now() < deadline {
                    let user = &users[(n / 10) % users.len()];
                    let slot = worker * 16 + n / 50;
                    let source =
                        std::net::Ipv4Addr::new(127, (round * 8 + slot / 250 + 1) as u8, 0, (slot % 250 + 2) as u8);
                    let body = format!("{{\"email\":\"{user}\",\"password\":\"{password}\"}}");
                    let status = request(
                        source,
                        port,
                        "POST",
                        "/api/v1/auth/login",
                        "Content-Type: application/json\r\n",
                        &body,
                    )
                    .await;
                    // A login still in flight at the deadline counts neither way.
                    if Instant::now() > deadline {
                        break;
                    }
                    match status {
                        Ok(200) => ok.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                    n += 1;
                }
            }));
        }
        // Reads meanwhile, one at a time, for their latency.
        let mut latencies = Vec::new();
        while Instant::now() < deadline {
            let t = Instant::now();
            let status = request(std::net::Ipv4Addr::new(127, 0, 0, 1), port, "GET", read_path, read_auth, "").await?;
            if status != 200 {
                bail!("a read during the login load answered {status}");
            }
            latencies.push(t.elapsed());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for t in tasks {
            t.await?;
        }
        latencies.sort();
        let p99 =
            latencies.get(((latencies.len() as f64 - 1.0) * 0.99) as usize).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        Ok(Logins {
            per_sec: ok.load(Ordering::Relaxed) as f64 / seconds as f64,
            seconds: seconds as f64,
            server_cpu: None,
            read_p99_ms: p99,
            failures: failed.load(Ordering::Relaxed),
        })
    }
}
