//! Failed logins, so that guessing passwords is throttled per account and per client
//! address across every replica of the API (they share the database, not their memory).
//! A subject is `account:<hash of the e-mail>` or `address:<ip>`: no e-mail is stored here.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("login_failure")
                    .col(pk_uuid("id"))
                    .col(string_len("subject", 80))
                    .col(timestamp_with_time_zone("failed_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_failure_subject_failed_at")
                    .table("login_failure")
                    .col("subject")
                    .col("failed_at")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("login_failure").take())
            .await
    }
}
