//! Account security: one-time tokens (verification, reset, email change, second-factor tickets,
//! end-session links) stored only as digests; where each session and user event came from, and
//! when a session's holder last gave their password.

use sea_orm_migration::prelude::*;

use super::columns::*;

transactional!(|m| {
    m.create_table(
        Table::create()
            .table("user_tokens")
            .col(text("digest").primary_key())
            .col(uuid("user_id"))
            .col(text("purpose"))
            .col(text("binding"))
            .col(time("created_at"))
            .col(time("expires_at"))
            .col(time_null("used_at"))
            .foreign_key(&mut fk(("user_tokens", "user_id"), ("users", "id")))
            .take(),
    )
    .await?;
    m.create_index(
        Index::create().name("user_tokens_by_user").table("user_tokens").col("user_id").col("purpose").take(),
    )
    .await?;
    m.create_index(Index::create().name("user_tokens_expiry").table("user_tokens").col("expires_at").take()).await?;
    // One column per statement: SQLite adds one at a time.
    for column in [text_default("client_address"), text_default("user_agent"), time_null("authenticated_at")] {
        m.alter_table(Table::alter().table("sessions").add_column(column).take()).await?;
    }
    for column in [text_null("client_address"), text_null("user_agent")] {
        m.alter_table(Table::alter().table("user_events").add_column(column).take()).await?;
    }
    Ok(())
});
