//! The composition root: wires the store, the adapters, the use cases, the HTTP API and the
//! outbox worker. `main.rs` only reads configuration and runs.

mod account_mail;
pub mod adapters;
pub mod mail;
pub mod second_factor;
pub mod settings;
pub mod smtp;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use poem::listener::{Acceptor, Listener, TcpListener};
use portal_domain::service::Portal;
use portal_store::SqlStore;
use tokio::sync::watch;

use crate::adapters::{Argon2Hasher, RandomTokens, Sha256Digester, SystemClock, UuidV7};
use crate::settings::ServeSettings;

/// The use cases as the server runs them.
pub type ServerPortal = Portal<SqlStore, Argon2Hasher>;

/// Ready when the database answers and its schema is current.
#[derive(Debug)]
struct StoreReadiness(SqlStore);

impl portal_http::Readiness for StoreReadiness {
    fn ready(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            self.0.ping().await.map_err(|e| e.to_string())?;
            match self.0.pending_migrations().await.map_err(|e| e.to_string())? {
                0 => Ok(()),
                n => Err(format!("{n} migrations pending")),
            }
        })
    }

    fn gauges(&self) -> Pin<Box<dyn Future<Output = String> + Send + '_>> {
        Box::pin(async move {
            match (self.0.outbox_depth().await, self.0.outbox_dead().await) {
                (Ok(depth), Ok(dead)) => format!(
                    "# HELP portal_outbox_depth Emails not yet sent.\n# TYPE portal_outbox_depth gauge\nportal_outbox_depth {depth}\n\
                     # HELP portal_outbox_dead Emails given up on (failed too often, or unreadable).\n\
                     # TYPE portal_outbox_dead gauge\nportal_outbox_dead {dead}\n"
                ),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(error = %e, "outbox gauges");
                    String::new()
                }
            }
        })
    }
}

/// Connects and applies pending migrations.
pub async fn open_store(url: &str) -> anyhow::Result<SqlStore> {
    let store = SqlStore::connect(url).await.with_context(|| "opening the database")?;
    store.migrate().await.with_context(|| "running migrations")?;
    Ok(store)
}

/// The use cases over a database, with the production adapters (for the operator commands).
pub async fn portal_for(url: &str) -> anyhow::Result<ServerPortal> {
    let store = open_store(url).await?;
    let hasher = tokio::task::spawn_blocking(Argon2Hasher::owasp).await??;
    Ok(Portal::new(store, hasher, Sha256Digester, RandomTokens, SystemClock, UuidV7))
}

/// `portal operator create-key`: a new operator key, shown once.
pub async fn create_operator_key(url: &str, label: &str) -> anyhow::Result<String> {
    Ok(portal_for(url).await?.create_operator_key(label).await?)
}

/// The server's secret key: from `--secret-key-file`, or beside the SQLite database (made on
/// first start, which the log says; never the key itself).
fn secret_key(settings: &ServeSettings) -> anyhow::Result<second_factor::SecretKey> {
    let path = match &settings.secret_key_file {
        Some(path) => path.clone(),
        None => second_factor::default_key_path(&settings.database.database_url).context(
            "PORTAL_SECRET_KEY_FILE (--secret-key-file) must name the secret key file when the database is not a SQLite file",
        )?,
    };
    let (key, created) = second_factor::SecretKey::load_or_create(&path)?;
    if created {
        tracing::info!(path = %path.display(), "created a new secret key file (mode 0600); back it up with the database");
    }
    Ok(key)
}

/// A built server, listening, not yet serving.
pub struct Application {
    port: u16,
    acceptor: poem::listener::TcpAcceptor,
    management: Option<(u16, poem::listener::TcpAcceptor)>,
    store: SqlStore,
    settings: ServeSettings,
    key: second_factor::SecretKey,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish_non_exhaustive()
    }
}

impl Application {
    /// Opens the database (migrating it), binds the listener.
    pub async fn build(settings: ServeSettings) -> anyhow::Result<Self> {
        let store = open_store(&settings.database.database_url).await?;
        let key = secret_key(&settings)?;
        let acceptor = TcpListener::bind(settings.listen)
            .into_acceptor()
            .await
            .with_context(|| format!("listening on {}", settings.listen))?;
        let management = match settings.management_listen {
            Some(addr) => {
                let acceptor = TcpListener::bind(addr)
                    .into_acceptor()
                    .await
                    .with_context(|| format!("listening on {addr} (management)"))?;
                Some((port_of(&acceptor), acceptor))
            }
            None => None,
        };
        Ok(Self { port: port_of(&acceptor), acceptor, management, store, settings, key })
    }

    /// The port it listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The management listener's port, when there is one.
    pub fn management_port(&self) -> Option<u16> {
        self.management.as_ref().map(|(port, _)| *port)
    }

    /// Serves until `shutdown` resolves, then stops accepting, finishes in-flight requests (up
    /// to 10 s) and stops the outbox worker, leaving unsent email queued.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { acceptor, management, store, settings, port, key } = self;
        let hasher = tokio::task::spawn_blocking(Argon2Hasher::owasp).await??;
        let portal: Arc<ServerPortal> = Arc::new(
            Portal::new(store.clone(), hasher, Sha256Digester, RandomTokens, SystemClock, UuidV7)
                .with_second_factor(second_factor::Totp::new(&key)),
        );
        let transport = match &settings.smtp_url {
            Some(url) => mail::Transport::smtp(&smtp::SmtpSettings {
                url: url.clone(),
                password_file: settings.smtp_password_file.clone(),
                ca_file: settings.smtp_ca_file.clone(),
            })
            .with_context(|| "PORTAL_SMTP_URL")?,
            None => mail::Transport::folder(settings.mail_dir.clone())?,
        };
        let from = settings.mail_from.parse().with_context(|| "PORTAL_MAIL_FROM is not an address")?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = tokio::spawn(supervise_worker(
            store.clone(),
            transport,
            from,
            Arc::from(settings.public_url.as_str()),
            stop_rx.clone(),
        ));
        let housekeeping = tokio::spawn(housekeeping(store.clone(), stop_rx.clone()));
        let http = portal_http::HttpSettings {
            max_body_bytes: settings.max_body_bytes,
            trusted_proxies: settings.trusted_proxies.clone(),
            page_key: Some(key.derive("csrf")),
            secure_cookies: settings.public_url.starts_with("https://"),
        };
        let (app, management_app) = portal_http::apps(portal, Arc::new(StoreReadiness(store)), http);
        let management = management.map(|(port, acceptor)| {
            tracing::info!(port, "serving management");
            let mut stopped = stop_rx.clone();
            tokio::spawn(poem::Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
                management_app,
                async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                },
                Some(Duration::from_secs(1)),
            ))
        });
        tracing::info!(port, "serving");
        poem::Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(app, shutdown, Some(Duration::from_secs(10)))
            .await?;
        let _ = stop_tx.send(true);
        let _ = housekeeping.await;
        if let Some(management) = management {
            let _ = management.await;
        }
        let _ = worker.await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// How often expired rate-limit windows, sessions and spent invite links are purged, and how
/// many rows of each at most per statement (a purge never holds SQLite's one writer for long).
const PURGE_EVERY: Duration = Duration::from_secs(300);
const PURGE_BATCH: u32 = 1_000;

/// Deletes what can no longer matter, in bounded batches, until stopped. A failure is logged and
/// tried again next time: nothing depends on it but the database's size.
async fn housekeeping(store: SqlStore, mut stop: watch::Receiver<bool>) {
    use portal_domain::ports::SessionStore;
    loop {
        loop {
            let now = chrono::Utc::now();
            match store.purge_expired(now, portal_domain::limits::RATE_WINDOW, PURGE_BATCH).await {
                Ok(gone) if gone > 0 => tracing::debug!(gone, "purged expired rows"),
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "purging expired rows");
                    break;
                }
            }
            if *stop.borrow() {
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(PURGE_EVERY) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}

fn port_of(acceptor: &poem::listener::TcpAcceptor) -> u16 {
    acceptor.local_addr().first().and_then(|a| a.as_socket_addr().map(SocketAddr::port)).unwrap_or(0)
}

/// Runs the outbox worker, restarting it if it ever panics: a bug in one delivery must not stop
/// all email. Unsent mail is safe in the outbox either way.
async fn supervise_worker(
    store: SqlStore,
    transport: mail::Transport,
    from: lettre::message::Mailbox,
    public_url: Arc<str>,
    stop: watch::Receiver<bool>,
) {
    loop {
        let run = tokio::spawn(mail::run_worker(
            store.clone(),
            transport.clone(),
            from.clone(),
            public_url.clone(),
            stop.clone(),
        ));
        match run.await {
            Ok(()) => return,
            Err(e) if e.is_panic() => {
                tracing::error!("the outbox worker panicked; restarting it");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(_) => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
