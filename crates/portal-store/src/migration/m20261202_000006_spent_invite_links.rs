//! A settled invite's token digest may be forgotten once its link has expired (housekeeping
//! purges spent links), so `invites.token_digest` becomes nullable. PostgreSQL drops the
//! constraint in place; SQLite cannot, so the table is rebuilt with the same rows and indexes.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::columns::*;

/// The columns of `invites` in their stored order, `token_digest` now nullable.
fn invites_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(uuid("id").primary_key())
        .col(uuid("account_id"))
        .col(text("email"))
        .col(text("email_key"))
        .col(text_null("name"))
        .col(int("permissions"))
        .col(text_null("role"))
        .col(time_null("access_ends_at"))
        .col(uuid("invited_by"))
        .col(time("created_at"))
        .col(time("expires_at"))
        .col(int("sent_count"))
        .col(time("last_sent_at"))
        .col(text("state"))
        .col(uuid_null("state_by"))
        .col(time_null("state_at"))
        .col(text_null("token_digest"))
        .col(big("version"))
        .foreign_key(&mut fk((name, "account_id"), ("accounts", "id")))
        .foreign_key(&mut fk((name, "invited_by"), ("users", "id")))
        .take()
}

transactional!(|m| {
    let db = m.get_connection();
    if m.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ALTER TABLE invites ALTER COLUMN token_digest DROP NOT NULL").await?;
        return Ok(());
    }
    // SQLite's documented way to change a column: a new table, the rows copied in the same
    // column order, the old one dropped (nothing references invites), the new one renamed.
    m.create_table(invites_table("invites_rebuilt")).await?;
    db.execute_unprepared("INSERT INTO invites_rebuilt SELECT * FROM invites").await?;
    m.drop_table(Table::drop().table("invites").take()).await?;
    m.rename_table(Table::rename().table("invites_rebuilt", "invites").take()).await?;
    m.create_index(Index::create().name("invites_account").table("invites").col("account_id").col("id").take()).await?;
    m.create_index(Index::create().name("invites_token").table("invites").col("token_digest").unique().take()).await?;
    m.create_index(
        Index::create()
            .name("invites_one_pending")
            .table("invites")
            .col("account_id")
            .col("email_key")
            .unique()
            .and_where(Expr::col("state").eq("pending"))
            .take(),
    )
    .await?;
    m.create_index(Index::create().name("invites_by_email").table("invites").col("email_key").col("id").take()).await
});
