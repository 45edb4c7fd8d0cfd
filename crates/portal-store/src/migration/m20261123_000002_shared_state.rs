//! The tables the server processes share: the outbox, sessions and rate-limit counters. A
//! database made by the first migration alone upgrades to this in place.

use sea_orm_migration::prelude::*;

use super::columns::*;

transactional!(|m| {
    m.create_table(
        Table::create()
            .table("outbox")
            .col(col("id").big_integer().not_null().auto_increment().primary_key())
            .col(time("created_at"))
            .col(text("recipient"))
            .col(text("payload"))
            .col(int("attempts"))
            .col(time("next_attempt_at"))
            .col(time_null("claimed_until"))
            .col(time_null("sent_at"))
            .col(text_null("last_error"))
            .take(),
    )
    .await?;
    m.create_index(Index::create().name("outbox_due").table("outbox").col("sent_at").col("next_attempt_at").take())
        .await?;

    m.create_table(
        Table::create()
            .table("sessions")
            .col(text("token_digest").primary_key())
            .col(uuid("id"))
            .col(uuid("user_id"))
            .col(time("created_at"))
            .col(time("last_seen_at"))
            .col(time("idle_expires_at"))
            .col(time("absolute_expires_at"))
            .foreign_key(
                &mut ForeignKey::create()
                    .from("sessions", "user_id")
                    .to("users", "id")
                    .on_delete(ForeignKeyAction::Restrict)
                    .take(),
            )
            .take(),
    )
    .await?;
    m.create_index(Index::create().name("sessions_by_user").table("sessions").col("user_id").col("id").take()).await?;
    m.create_index(Index::create().name("sessions_id").table("sessions").col("id").unique().take()).await?;

    m.create_table(
        Table::create()
            .table("rate_limits")
            .col(text("key").primary_key())
            .col(time("window_start"))
            .col(int("count"))
            .take(),
    )
    .await?;

    Ok(())
});
