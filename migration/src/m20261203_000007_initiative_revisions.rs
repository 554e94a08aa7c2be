//! The history of published initiatives: one revision per change of what the public sees,
//! holding the initiative's published fields as they were after the change.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("initiative_revision")
                    .col(uuid("initiative_id"))
                    .col(integer("number"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string_len("role", 32))
                    .col(uuid_null("organisation_id"))
                    // Kept only while the account exists: deleting it forgets who wrote.
                    .col(uuid_null("author_id"))
                    .col(text_null("comment"))
                    // The published fields after the change, as JSON.
                    .col(text("snapshot"))
                    .primary_key(Index::create().col("initiative_id").col("number"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("initiative_revision", "initiative_id")
                            .to("initiative", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("initiative_revision", "organisation_id")
                            .to("organisation", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("initiative_revision", "author_id")
                            .to("app_user", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("initiative_revision").take())
            .await
    }
}
