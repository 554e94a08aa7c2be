//! Former slugs: renaming or merging a territory, theme, organisation or professional
//! gives it a new slug, and the old one keeps resolving through this table. No foreign key
//! on `target_id`, which points into one of several tables (named by `kind`); the rows of
//! a deleted object are removed with it by the code that deletes it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("slug_alias")
                    .col(string_len("kind", 32))
                    .col(string("slug"))
                    .col(uuid("target_id"))
                    .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                    .primary_key(Index::create().col("kind").col("slug"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_slug_alias_target_id")
                    .table("slug_alias")
                    .col("target_id")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("slug_alias").take())
            .await
    }
}
