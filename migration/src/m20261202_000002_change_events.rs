//! The change stream's outbox: one row per committed change, appended by the transaction
//! that makes the change. `sequence` only grows (AUTOINCREMENT on SQLite, so that pruning
//! the newest rows never lets a number come back); rows hold ids and kinds, never
//! personal data.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("change_event")
                    .col(big_pk_auto("sequence"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .col(string_len("kind", 40))
                    .col(string_len("subject_type", 32))
                    .col(uuid("subject_id"))
                    .col(string_len("audience", 16))
                    .col(uuid_null("organisation_id"))
                    .take(),
            )
            .await?;
        // Pruning by age.
        manager
            .create_index(
                Index::create()
                    .name("change_event_occurred_at")
                    .table("change_event")
                    .col("occurred_at")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("change_event").take())
            .await
    }
}
