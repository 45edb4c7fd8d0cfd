//! Configuration: flags, each with a `PORTAL_*` variable; the defaults need nothing.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The portal server.
#[derive(Debug, Parser)]
#[command(name = "portal", version, about = "Accounts, users, contacts and permissions of a customer portal")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The binary's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations, serve the API and deliver queued email.
    Serve(Box<ServeSettings>),
    /// Run pending migrations and exit.
    Migrate(DatabaseSettings),
    /// The provider's operator tools.
    #[command(subcommand)]
    Operator(OperatorCommand),
}

/// `portal operator …`.
#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Create an operator key for the admin API (printed once; stored only as a digest).
    CreateKey {
        /// The database.
        #[command(flatten)]
        database: DatabaseSettings,
        /// What the key is for.
        #[arg(long, default_value = "operator")]
        label: String,
    },
    /// Make a current member the owner of an account whose owner has gone.
    ReassignOwner {
        /// The database.
        #[command(flatten)]
        database: DatabaseSettings,
        /// The account id.
        #[arg(long)]
        account: uuid::Uuid,
        /// The new owner's user id.
        #[arg(long)]
        user: uuid::Uuid,
        /// End the previous owner's membership too.
        #[arg(long)]
        remove_previous: bool,
    },
    /// Disable a user everywhere.
    DisableUser {
        /// The database.
        #[command(flatten)]
        database: DatabaseSettings,
        /// The user id.
        #[arg(long)]
        user: uuid::Uuid,
    },
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// `sqlite://FILE?mode=rwc` (the default, in the working directory) or `postgres://…`.
    #[arg(long, env = "PORTAL_DATABASE_URL", default_value = "sqlite://portal.db?mode=rwc")]
    pub database_url: String,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// `portal serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, env = "PORTAL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The URL people reach the portal at; links in emails start with it.
    #[arg(long, env = "PORTAL_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
    pub public_url: String,
    /// Write outgoing email as .eml files into this folder (the default transport).
    #[arg(long, env = "PORTAL_MAIL_DIR", default_value = "mail")]
    pub mail_dir: PathBuf,
    /// Send outgoing email through this SMTP relay instead: `smtp://[user[:password]@]host[:port]`
    /// (STARTTLS required, port 587), `smtps://…` (implicit TLS, port 465), or
    /// `smtp://127.0.0.1:25?tls=none` (plain text, loopback only).
    #[arg(long, env = "PORTAL_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The SMTP password, from a file (instead of in the URL).
    #[arg(long, env = "PORTAL_SMTP_PASSWORD_FILE")]
    pub smtp_password_file: Option<PathBuf>,
    /// Certificates (PEM) to trust for the relay besides the built-in (Mozilla) roots.
    #[arg(long, env = "PORTAL_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// The sender of outgoing email.
    #[arg(long, env = "PORTAL_MAIL_FROM", default_value = "portal@localhost")]
    pub mail_from: String,
    /// Log format.
    #[arg(long, env = "PORTAL_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Refuse request bodies larger than this many bytes (413).
    #[arg(long, env = "PORTAL_MAX_BODY_BYTES", default_value_t = portal_http::transport::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// A proxy (CIDR, repeatable) whose `Forwarded` / `X-Forwarded-For` headers name the client;
    /// from any other peer they are ignored.
    #[arg(long = "trusted-proxy", env = "PORTAL_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Serve `/metrics`, `/healthz` and `/readyz` on this address too (off when not given; never
    /// on the public listener's port).
    #[arg(long, env = "PORTAL_MANAGEMENT_LISTEN")]
    pub management_listen: Option<SocketAddr>,
    /// The server's secret key (64 hex digits), which seals two-factor secrets. When not given,
    /// `portal-secret.key` beside the SQLite database, made on first start (mode 0600); with
    /// PostgreSQL it must be given.
    #[arg(long, env = "PORTAL_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
}
