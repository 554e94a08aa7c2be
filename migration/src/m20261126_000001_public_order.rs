//! The index of the public order: the list every visitor sees first is the published
//! initiatives, most recently published first, empty dates last, ties by id. The index holds
//! exactly that sort key behind the status, so a page is read from the index in order
//! instead of sorting every published initiative on each request.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // An expression index, which the schema builder does not write; the same SQL runs on
        // SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_initiative_public_order ON initiative \
                 (status, (published_at IS NULL), published_at DESC, id DESC)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_initiative_public_order")
                    .table("initiative")
                    .to_owned(),
            )
            .await
    }
}
