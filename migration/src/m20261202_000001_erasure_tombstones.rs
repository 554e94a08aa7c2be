//! Tombstones of erased people: what a loader (the demo seed, a future import) must not
//! bring back. A row holds a keyed digest of an identifier the person had in a loader's
//! data (a slug, an official identifier), never the identifier itself nor any name, e-mail
//! or phone; `key_check` tells which key made the digest.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("erasure_tombstone")
                    .col(string_len("kind", 32))
                    .col(string_len("digest", 64))
                    .col(string_len("key_check", 16))
                    .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                    .primary_key(Index::create().col("kind").col("digest"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("erasure_tombstone").take())
            .await
    }
}
