//! The schema, as sea-orm-migration migrations (`mYYYYMMDD_NNNNNN_name`). Private to the store;
//! run by `SqlStore::migrate`. Re-running is a no-op; a database made by an older set upgrades in place.

use sea_orm_migration::prelude::*;

/// A migration run in a transaction on every backend (SQLite has transactional DDL too): a
/// process killed mid-migration leaves the old schema, never half of the new one.
/// `transactional!(|m| { ... })`, with `m: &SchemaManager`; the migration's name is its file's.
macro_rules! transactional {
    (|$m:ident| $body:block) => {
        #[derive(DeriveMigrationName)]
        pub(crate) struct Migration;

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            fn use_transaction(&self) -> Option<bool> {
                Some(true)
            }

            async fn up(&self, $m: &SchemaManager) -> Result<(), DbErr> $body
        }
    };
}

mod m20261123_000001_initial;
mod m20261123_000002_shared_state;
mod m20261123_000003_operator_keys;
mod m20261123_000004_invites_by_email;
mod m20261202_000005_outbox_dead_letters;
mod m20261202_000006_spent_invite_links;
mod m20261203_000007_account_security;
mod m20261203_000008_second_factor;
mod m20261203_000009_open_invites;

pub(crate) struct Migrator;

/// Column constructors the migrations share. Each only names a type and nullability, so changing
/// one would be a schema change: add a new function instead.
mod columns {
    use sea_orm_migration::prelude::*;

    pub(super) fn col(name: &'static str) -> ColumnDef {
        ColumnDef::new(name)
    }

    pub(super) fn uuid(name: &'static str) -> ColumnDef {
        col(name).uuid().not_null().take()
    }
    pub(super) fn uuid_null(name: &'static str) -> ColumnDef {
        col(name).uuid().null().take()
    }
    pub(super) fn text(name: &'static str) -> ColumnDef {
        col(name).text().not_null().take()
    }
    pub(super) fn text_null(name: &'static str) -> ColumnDef {
        col(name).text().null().take()
    }
    /// Text that rows made before the column existed read as empty.
    pub(super) fn text_default(name: &'static str) -> ColumnDef {
        col(name).text().not_null().default("").take()
    }
    pub(super) fn time(name: &'static str) -> ColumnDef {
        col(name).timestamp_with_time_zone().not_null().take()
    }
    pub(super) fn time_null(name: &'static str) -> ColumnDef {
        col(name).timestamp_with_time_zone().null().take()
    }
    pub(super) fn int(name: &'static str) -> ColumnDef {
        col(name).integer().not_null().take()
    }
    pub(super) fn small(name: &'static str) -> ColumnDef {
        col(name).small_integer().not_null().take()
    }
    pub(super) fn big(name: &'static str) -> ColumnDef {
        col(name).big_integer().not_null().take()
    }
    pub(super) fn big_null(name: &'static str) -> ColumnDef {
        col(name).big_integer().null().take()
    }
    /// A foreign key whose parent row cannot be deleted while it is referenced.
    pub(super) fn fk(
        from: (&'static str, &'static str),
        to: (&'static str, &'static str),
    ) -> ForeignKeyCreateStatement {
        ForeignKey::create().from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Restrict).take()
    }
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261123_000002_shared_state::Migration),
            Box::new(m20261123_000003_operator_keys::Migration),
            Box::new(m20261123_000004_invites_by_email::Migration),
            Box::new(m20261202_000005_outbox_dead_letters::Migration),
            Box::new(m20261202_000006_spent_invite_links::Migration),
            Box::new(m20261203_000007_account_security::Migration),
            Box::new(m20261203_000008_second_factor::Migration),
            Box::new(m20261203_000009_open_invites::Migration),
        ]
    }
}
