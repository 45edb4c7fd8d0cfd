//! Invites found by the invited address, for "my invites".

use sea_orm_migration::prelude::*;

transactional!(|m| {
    m.create_index(Index::create().name("invites_by_email").table("invites").col("email_key").col("id").take()).await
});
