//! The second factor: each user's sealed TOTP secret and the last time step accepted (advanced
//! only by a conditional update, so a code works once), and the clients each user signed in
//! from (for the new-device notice).

use sea_orm_migration::prelude::*;

use super::columns::*;

transactional!(|m| {
    // One column per statement: SQLite adds one at a time.
    for column in [text_null("mfa_secret"), big_null("mfa_last_step")] {
        m.alter_table(Table::alter().table("users").add_column(column).take()).await?;
    }
    m.create_table(
        Table::create()
            .table("user_clients")
            .col(uuid("user_id"))
            .col(text("client_key"))
            .col(time("last_seen_at"))
            .primary_key(Index::create().col("user_id").col("client_key"))
            .foreign_key(&mut fk(("user_clients", "user_id"), ("users", "id")))
            .take(),
    )
    .await?;
    m.create_index(Index::create().name("user_clients_seen").table("user_clients").col("last_seen_at").take()).await?;
    Ok(())
});
