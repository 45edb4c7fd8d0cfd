//! The schema, as sea-orm-migration migrations (`mYYYYMMDD_NNNNNN_name`). Private to the store;
//! run by `SqlStore::migrate`. Re-running is a no-op; a database made by an older set upgrades in place.

use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261123_000002_shared_state;
mod m20261123_000003_operator_keys;
mod m20261123_000004_invites_by_email;
mod m20261202_000005_outbox_dead_letters;
mod m20261202_000006_spent_invite_links;

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
        ]
    }
}
