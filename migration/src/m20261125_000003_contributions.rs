//! Contributions under moderation: when initiatives and experiences were submitted (the
//! moderation queue is served oldest first), and the changes partners propose to published
//! initiatives, kept apart until a moderator approves them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for table in ["initiative", "experience"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(timestamp_with_time_zone_null("submitted_at"))
                        .take(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_status_submitted_at"))
                        .table(table)
                        .col("status")
                        .col("submitted_at")
                        .take(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("change_proposal")
                    .col(pk_uuid("id"))
                    .col(uuid("initiative_id"))
                    .col(uuid_null("organisation_id"))
                    .col(uuid_null("author_id"))
                    .col(string_len("status", 32))
                    // The proposed values, as JSON: only the fields the proposal changes.
                    .col(text("changes"))
                    // The initiative's version the proposal was made against.
                    .col(integer("base_version"))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone_null("submitted_at"))
                    .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                    .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_change_proposal_initiative_id")
                            .from("change_proposal", "initiative_id")
                            .to("initiative", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_change_proposal_organisation_id")
                            .from("change_proposal", "organisation_id")
                            .to("organisation", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_change_proposal_author_id")
                            .from("change_proposal", "author_id")
                            .to("app_user", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        for (name, columns) in [
            ("idx_change_proposal_initiative_id", &["initiative_id"][..]),
            (
                "idx_change_proposal_status_submitted_at",
                &["status", "submitted_at"][..],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table("change_proposal");
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.take()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("change_proposal").take())
            .await?;
        for table in ["initiative", "experience"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_status_submitted_at"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("submitted_at")
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
