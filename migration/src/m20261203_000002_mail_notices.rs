//! E-mail notices: what each account chose to be told, and the messages owed to accounts
//! (one per account and change, whatever the number of replicas), with where each stands.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No row: every notice on.
        manager
            .create_table(
                Table::create()
                    .table("notification_setting")
                    .col(uuid("user_id").primary_key())
                    .col(boolean("contribution_decisions"))
                    .col(boolean("new_submissions"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("notification_setting", "user_id")
                            .to("app_user", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("mail_notice")
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    .col(big_integer("sequence"))
                    .col(string_len("kind", 40))
                    .col(string_len("subject", 300))
                    .col(text("body"))
                    .col(string_len("status", 16))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(string_len_null("last_error", 500))
                    .foreign_key(
                        ForeignKey::create()
                            .from("mail_notice", "user_id")
                            .to("app_user", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        // One message per account and change, however many replicas owe it.
        manager
            .create_index(
                Index::create()
                    .name("mail_notice_once")
                    .table("mail_notice")
                    .col("user_id")
                    .col("sequence")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mail_notice_due")
                    .table("mail_notice")
                    .col("status")
                    .col("next_attempt_at")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["mail_notice", "notification_setting"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
