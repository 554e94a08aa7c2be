//! The schema of Communs as an ordered list of migrations. A migration is never edited once
//! it has landed: a change is a new migration. Every migration runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20260101_000001_create_catalogue;
mod m20261125_000001_initiative_search;
mod m20261125_000002_login_failures;
mod m20261125_000003_contributions;
mod m20261125_000004_slug_aliases;
mod m20261126_000001_public_order;
mod m20261126_000002_search_published;
mod m20261202_000001_erasure_tombstones;
mod m20261202_000002_change_events;
mod m20261203_000001_webhooks;
mod m20261203_000002_mail_notices;
mod m20261203_000003_api_keys;
mod m20261203_000004_initiative_links;
mod m20261203_000005_duplicate_decisions;
mod m20261203_000006_initiative_places;
mod m20261203_000007_initiative_revisions;
mod m20261203_000008_map_cells;
mod m20261203_000009_submission_digest;
mod m20261203_000010_initiative_facets;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_create_catalogue::Migration),
            Box::new(m20261125_000001_initiative_search::Migration),
            Box::new(m20261125_000002_login_failures::Migration),
            Box::new(m20261125_000003_contributions::Migration),
            Box::new(m20261125_000004_slug_aliases::Migration),
            Box::new(m20261126_000001_public_order::Migration),
            Box::new(m20261126_000002_search_published::Migration),
            Box::new(m20261202_000001_erasure_tombstones::Migration),
            Box::new(m20261202_000002_change_events::Migration),
            Box::new(m20261203_000001_webhooks::Migration),
            Box::new(m20261203_000002_mail_notices::Migration),
            Box::new(m20261203_000003_api_keys::Migration),
            Box::new(m20261203_000004_initiative_links::Migration),
            Box::new(m20261203_000005_duplicate_decisions::Migration),
            Box::new(m20261203_000006_initiative_places::Migration),
            Box::new(m20261203_000007_initiative_revisions::Migration),
            Box::new(m20261203_000008_map_cells::Migration),
            Box::new(m20261203_000009_submission_digest::Migration),
            Box::new(m20261203_000010_initiative_facets::Migration),
        ]
    }
}
