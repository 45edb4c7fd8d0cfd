//! An account's open invites, which the Users page lists on every view: an index of the
//! pending ones only, so the accepted, declined and cancelled ones are never read for it.

use sea_orm_migration::prelude::*;

transactional!(|m| {
    m.create_index(
        Index::create()
            .name("invites_open")
            .table("invites")
            .col("account_id")
            .col("id")
            .and_where(Expr::col("state").eq("pending"))
            .take(),
    )
    .await
});
