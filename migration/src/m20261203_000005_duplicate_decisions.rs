//! Duplicates decided once: pairs of initiatives a moderator or a partner decided are not
//! the same action (so they are no longer suggested as look-alikes of each other), and the
//! other initiative an audit entry is about (the pair's other half, the initiative merged
//! away). An initiative's former slugs go in `slug_alias` under the kind `initiative`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("not_duplicate")
                    // The pair is stored once, in order (`low_id < high_id`), so that (a, b)
                    // and (b, a) are the same row.
                    .col(uuid("low_id"))
                    .col(uuid("high_id"))
                    .col(uuid_null("decided_by"))
                    .col(uuid_null("decided_by_key"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("low_id").col("high_id"))
                    .check(Expr::col("low_id").lt(Expr::col("high_id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from("not_duplicate", "low_id")
                            .to("initiative", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("not_duplicate", "high_id")
                            .to("initiative", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("not_duplicate", "decided_by")
                            .to("app_user", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        // The pairs are read from both ends: those of the initiative being edited.
        manager
            .create_index(
                Index::create()
                    .name("idx_not_duplicate_high_id")
                    .table("not_duplicate")
                    .col("high_id")
                    .take(),
            )
            .await?;
        // No foreign key: the related initiative may be deleted (merged away) while the
        // audit log, append-only, keeps its entries.
        manager
            .alter_table(
                Table::alter()
                    .table("moderation_event")
                    .add_column(uuid_null("related_id"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("moderation_event")
                    .drop_column("related_id")
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("not_duplicate").take())
            .await
    }
}
