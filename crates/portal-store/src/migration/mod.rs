//! The schema, as sea-orm-migration migrations (`mYYYYMMDD_NNNNNN_name`). Private to the store;
//! run by `Store::migrate`. Re-running is a no-op; a database made by an older set upgrades in place.

use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261123_000002_shared_state;

pub(crate) struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261123_000001_initial::Migration), Box::new(m20261123_000002_shared_state::Migration)]
    }
}
