//! API keys: the credentials of the network's other tools (a partner's website, an import
//! script), each acting for one organisation within its scopes. Only a digest of each key
//! is stored. The audit log records which key wrote an entry.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("api_key")
                    .col(uuid("id").primary_key())
                    .col(uuid("organisation_id"))
                    .col(string_len("name", 80))
                    // Scope names, comma-separated.
                    .col(string_len("scopes", 100))
                    // The hex SHA-256 of the whole key.
                    .col(string_len("secret_hash", 64))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(uuid_null("revoked_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_key_organisation_id")
                            .from("api_key", "organisation_id")
                            .to("organisation", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_key_created_by")
                            .from("api_key", "created_by")
                            .to("app_user", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_key_revoked_by")
                            .from("api_key", "revoked_by")
                            .to("app_user", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .take(),
            )
            .await?;
        // A name tells one key of an organisation from its others, in the audit log too.
        manager
            .create_index(
                Index::create()
                    .name("api_key_organisation_name")
                    .table("api_key")
                    .col("organisation_id")
                    .col("name")
                    .unique()
                    .take(),
            )
            .await?;
        // Keys are revoked, never deleted: the column needs no foreign key to stay true.
        manager
            .alter_table(
                Table::alter()
                    .table("moderation_event")
                    .add_column(uuid_null("api_key_id"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("moderation_event")
                    .drop_column("api_key_id")
                    .take(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("api_key").take())
            .await
    }
}
