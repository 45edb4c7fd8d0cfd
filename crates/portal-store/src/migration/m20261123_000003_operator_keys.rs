//! Operator keys, stored only as digests.

use sea_orm_migration::prelude::*;

use super::columns::*;

transactional!(|m| {
    m.create_table(
        Table::create()
            .table("operator_keys")
            .col(uuid("id").primary_key())
            .col(text("token_digest"))
            .col(text("label"))
            .col(time("created_at"))
            .take(),
    )
    .await?;
    m.create_index(
        Index::create().name("operator_keys_digest").table("operator_keys").col("token_digest").unique().take(),
    )
    .await
});
