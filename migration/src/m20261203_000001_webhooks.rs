//! Webhooks: the endpoints admins register, the deliveries owed to them (one per endpoint
//! and change, whatever the number of replicas), each attempt made, and where each
//! consumer of the change stream stands in it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("stream_consumer")
                    .col(string_len("name", 40).primary_key())
                    .col(big_integer("position"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook")
                    .col(uuid("id").primary_key())
                    .col(string_len("url", 2000))
                    .col(string_len_null("description", 500))
                    // Kind names, comma-separated.
                    .col(string_len("events", 1000))
                    // Initiatives' themes and territories it is narrowed to: UUIDs,
                    // comma-separated; empty for every one.
                    .col(text("theme_ids"))
                    .col(text("territory_ids"))
                    .col(string_len("secret", 100))
                    .col(boolean("enabled"))
                    .col(string_len_null("disabled_reason", 500))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_delivery")
                    .col(uuid("id").primary_key())
                    .col(uuid("webhook_id"))
                    .col(big_integer("sequence"))
                    .col(string_len("kind", 40))
                    .col(text("payload"))
                    .col(string_len("status", 16))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("webhook_delivery", "webhook_id")
                            .to("webhook", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        // One delivery per endpoint and change, however many replicas enqueue it.
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_once")
                    .table("webhook_delivery")
                    .col("webhook_id")
                    .col("sequence")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_delivery_due")
                    .table("webhook_delivery")
                    .col("status")
                    .col("next_attempt_at")
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_attempt")
                    .col(big_pk_auto("id"))
                    .col(uuid("delivery_id"))
                    .col(timestamp_with_time_zone("attempted_at"))
                    .col(integer_null("status_code"))
                    .col(integer("duration_ms"))
                    .col(string_len_null("error", 500))
                    .col(string_len_null("response_excerpt", 500))
                    .foreign_key(
                        ForeignKey::create()
                            .from("webhook_attempt", "delivery_id")
                            .to("webhook_delivery", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_attempt_delivery")
                    .table("webhook_attempt")
                    .col("delivery_id")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "webhook_attempt",
            "webhook_delivery",
            "webhook",
            "stream_consumer",
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
