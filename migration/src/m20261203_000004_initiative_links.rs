//! Links between initiatives: one inspired another, is the same action elsewhere, comes
//! after it, or is a local piece of it. Directed, typed, at most one per pair and kind.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("initiative_link")
                    .col(uuid("from_id"))
                    .col(uuid("to_id"))
                    .col(string_len("kind", 32))
                    .col(string_len_null("note", 500))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("from_id").col("to_id").col("kind"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("initiative_link", "from_id")
                            .to("initiative", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("initiative_link", "to_id")
                            .to("initiative", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        // Links are read from both ends: `linkedFrom`, variants, the `linkedTo` filter.
        manager
            .create_index(
                Index::create()
                    .name("initiative_link_to")
                    .table("initiative_link")
                    .col("to_id")
                    .col("kind")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("initiative_link").take())
            .await
    }
}
