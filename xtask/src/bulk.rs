//! A fast bulk loader for benchmark databases: schema by the real migrations, rows by batched
//! multi-row inserts in one transaction, encoded exactly as the store writes them (the store's
//! own reads re-parse them, so a bad row would fail the benchmark).

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use portal_domain::ids::{AccountId, UserId};
use portal_domain::permission::Role;
use sea_orm::{ConnectionTrait, Database, Statement, Value};

/// What a seeded database holds for the benchmark to read.
pub(crate) struct Seeded {
    pub(crate) url: String,
    pub(crate) account: AccountId,
    pub(crate) members: Vec<UserId>,
}

fn user_id(n: u64) -> UserId {
    // v7-shaped: a millisecond timestamp in the high bits, the counter in the low bits.
    UserId::from_uuid(uuid::Uuid::from_u128(
        (0x0190_0000_0000_u128 + u128::from(n)) << 80 | 0x7000 << 64 | 0x8000 << 48 | u128::from(n),
    ))
}

fn account_id(n: u64) -> AccountId {
    AccountId::from_uuid(uuid::Uuid::from_u128(
        (0x0191_0000_0000_u128 + u128::from(n)) << 80 | 0x7000 << 64 | 0x8000 << 48 | u128::from(n),
    ))
}

fn placeholders(rows: usize, cols: usize) -> String {
    let row = format!("({})", vec!["?"; cols].join(", "));
    vec![row; rows].join(", ")
}

async fn insert(
    db: &sea_orm::DatabaseConnection,
    table: &str,
    columns: &str,
    cols: usize,
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    for chunk in rows.chunks(500) {
        let sql = format!("INSERT INTO {table} ({columns}) VALUES {}", placeholders(chunk.len(), cols));
        let values: Vec<Value> = chunk.iter().flatten().cloned().collect();
        db.execute_raw(Statement::from_sql_and_values(sea_orm::DbBackend::Sqlite, sql, values))
            .await
            .with_context(|| format!("insert into {table}"))?;
    }
    Ok(())
}

/// Creates `path` with `users` users, each owning an account, and one account with `members`
/// members on top (the one the benchmark pages through).
pub(crate) async fn seed(path: &Path, users: u64, members: u64) -> Result<Seeded> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let store = portal_store::SqlStore::connect(&url).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    store.migrate().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(store);

    let db = Database::connect(&url).await?;
    db.execute_unprepared("PRAGMA synchronous = OFF").await?;
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")?.to_utc();
    let batch = 50_000u64;
    let mut start = 0;
    while start < users {
        let end = (start + batch).min(users);
        db.execute_unprepared("BEGIN").await?;
        let mut user_rows = Vec::new();
        let mut account_rows = Vec::new();
        let mut owner_rows = Vec::new();
        for n in start..end {
            let id = user_id(n);
            let email = format!("user{n}@bench.example");
            user_rows.push(vec![
                Value::from(id.as_uuid()),
                Value::from(email.clone()),
                Value::from(email.clone()),
                Value::from("Bench User"),
                Value::from("bench-hash"),
                Value::from("off"),
                Value::from(""),
                Value::from(0i16),
                Value::from(1i64),
                Value::from("active"),
                Value::from(at),
                Value::from(1i64),
            ]);
            let account = account_id(n);
            account_rows.push(vec![
                Value::from(account.as_uuid()),
                Value::from("Bench Co"),
                Value::from(email),
                Value::from("active"),
                Value::from(id.as_uuid()),
                Value::from(at),
                Value::from(1i64),
            ]);
            owner_rows.push(vec![
                Value::from(account.as_uuid()),
                Value::from(id.as_uuid()),
                Value::from(true),
                Value::from(i32::from(portal_domain::permission::PermissionSet::ALL.bits())),
                Value::from(at),
                Value::from(1i64),
            ]);
        }
        insert(&db, "users", "id, email, email_key, name, password_hash, mfa, recovery_codes, opted_out, preferences_version, status, created_at, version", 12, user_rows).await?;
        insert(
            &db,
            "accounts",
            "id, display_name, primary_email, status, owner_id, created_at, version",
            7,
            account_rows,
        )
        .await?;
        insert(&db, "memberships", "account_id, user_id, is_owner, permissions, joined_at, version", 6, owner_rows)
            .await?;
        db.execute_unprepared("COMMIT").await?;
        start = end;
    }
    // The benchmarked account is user 0's; users 1..=members join it.
    let account = account_id(0);
    let member_ids: Vec<UserId> = (1..=members.min(users.saturating_sub(1))).map(user_id).collect();
    db.execute_unprepared("BEGIN").await?;
    let rows = member_ids
        .iter()
        .map(|u| {
            vec![
                Value::from(account.as_uuid()),
                Value::from(u.as_uuid()),
                Value::from(false),
                Value::from(i32::from(Role::Billing.permissions().bits())),
                Value::from(at),
                Value::from(1i64),
            ]
        })
        .collect();
    insert(&db, "memberships", "account_id, user_id, is_owner, permissions, joined_at, version", 6, rows).await?;
    db.execute_unprepared("COMMIT").await?;
    db.execute_unprepared("ANALYZE").await?;
    db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    Ok(Seeded { url, account, members: member_ids })
}
