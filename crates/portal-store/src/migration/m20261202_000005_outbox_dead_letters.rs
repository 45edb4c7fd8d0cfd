//! Dead letters: an email that failed too often, or whose row no longer reads, stops being
//! retried; `dead_at` says when, and its token is blanked.

use sea_orm_migration::prelude::*;

use super::columns::time_null;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("outbox").add_column(time_null("dead_at")).take()).await
    }
}
