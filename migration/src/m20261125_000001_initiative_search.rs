//! The full-text index of initiatives. Its terms are computed by the application (French
//! folding and stemming, `src/domain/search.rs`), so both engines index the same terms:
//!
//! - PostgreSQL: `initiative_search`, one row per initiative with its title terms, its body
//!   terms and a `tsvector` built from them, under a GIN index;
//! - SQLite: the FTS5 table `initiative_search` (title, body), whose rowid is the `id` of
//!   `initiative_search_entry`, the row that ties it to its initiative. Its tokenizer only
//!   splits on spaces the terms it is given, which are already folded.
//!
//! The application fills the index for initiatives it finds without an entry when it starts,
//! so a database migrated with initiatives in it is indexed at once.
//!
//! An index on initiative (status, id) lets a search join its matches to the visible
//! initiatives by index (only) lookups, instead of reading the whole table to count them.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE initiative_search (\
         initiative_id uuid PRIMARY KEY REFERENCES initiative (id) ON DELETE CASCADE, \
         title text NOT NULL, \
         body text NOT NULL, \
         document tsvector NOT NULL\
     )",
    "CREATE INDEX idx_initiative_search_document ON initiative_search USING GIN (document)",
];

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE initiative_search USING fts5(\
         title, body, tokenize = 'unicode61 remove_diacritics 0'\
     )",
    // Deleting an initiative deletes its entry (foreign key), and the entry its indexed text.
    "CREATE TRIGGER initiative_search_entry_deleted AFTER DELETE ON initiative_search_entry \
     BEGIN DELETE FROM initiative_search WHERE rowid = old.id; END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_initiative_status_id")
                    .table("initiative")
                    .col("status")
                    .col("id")
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for sql in POSTGRES_UP {
                    db.execute_unprepared(sql).await?;
                }
            }
            _ => {
                manager
                    .create_table(
                        Table::create()
                            .table("initiative_search_entry")
                            .col(integer("id").primary_key())
                            .col(uuid_uniq("initiative_id"))
                            .foreign_key(
                                ForeignKey::create()
                                    .name("fk_initiative_search_entry_initiative_id")
                                    .from("initiative_search_entry", "initiative_id")
                                    .to("initiative", "id")
                                    .on_delete(ForeignKeyAction::Cascade),
                            )
                            .take(),
                    )
                    .await?;
                for sql in SQLITE_UP {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_initiative_status_id")
                    .table("initiative")
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP TABLE initiative_search")
                    .await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER initiative_search_entry_deleted")
                    .await?;
                db.execute_unprepared("DROP TABLE initiative_search")
                    .await?;
                db.execute_unprepared("DROP TABLE initiative_search_entry")
                    .await?;
            }
        }
        Ok(())
    }
}
