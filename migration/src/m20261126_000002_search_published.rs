//! Whether each indexed initiative is published, on its index entry, so that a public search
//! reads only the entries of published initiatives: finding the status of every match
//! through the initiative table took three quarters of a broad search's time on PostgreSQL.
//!
//! Triggers keep the flag: an entry takes its initiative's status when written, and a change
//! of status reaches the entry in the same statement, whatever writes it. Queries still
//! check the initiative's own status: the flag only narrows the matches.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE initiative_search ADD COLUMN published boolean NOT NULL DEFAULT false",
    "UPDATE initiative_search SET published = true FROM initiative \
     WHERE initiative.id = initiative_search.initiative_id AND initiative.status = 'PUBLISHED'",
    "CREATE INDEX idx_initiative_search_published ON initiative_search \
     USING GIN (document) WHERE published",
    "CREATE FUNCTION initiative_search_takes_status() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
         NEW.published := EXISTS (SELECT 1 FROM initiative \
             WHERE initiative.id = NEW.initiative_id AND initiative.status = 'PUBLISHED'); \
         RETURN NEW; \
     END $$",
    "CREATE TRIGGER initiative_search_takes_status BEFORE INSERT OR UPDATE ON initiative_search \
     FOR EACH ROW EXECUTE FUNCTION initiative_search_takes_status()",
    "CREATE FUNCTION initiative_status_reaches_search() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
         UPDATE initiative_search SET published = (NEW.status = 'PUBLISHED') \
             WHERE initiative_id = NEW.id; \
         RETURN NULL; \
     END $$",
    "CREATE TRIGGER initiative_status_reaches_search AFTER UPDATE OF status ON initiative \
     FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) \
     EXECUTE FUNCTION initiative_status_reaches_search()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER initiative_status_reaches_search ON initiative",
    "DROP FUNCTION initiative_status_reaches_search()",
    "DROP TRIGGER initiative_search_takes_status ON initiative_search",
    "DROP FUNCTION initiative_search_takes_status()",
    "DROP INDEX idx_initiative_search_published",
    "ALTER TABLE initiative_search DROP COLUMN published",
];

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE initiative_search_entry ADD COLUMN published boolean NOT NULL DEFAULT false",
    "UPDATE initiative_search_entry SET published = EXISTS (SELECT 1 FROM initiative \
     WHERE initiative.id = initiative_search_entry.initiative_id \
     AND initiative.status = 'PUBLISHED')",
    "CREATE TRIGGER initiative_search_entry_takes_status AFTER INSERT ON initiative_search_entry \
     BEGIN \
         UPDATE initiative_search_entry SET published = EXISTS (SELECT 1 FROM initiative \
             WHERE initiative.id = NEW.initiative_id AND initiative.status = 'PUBLISHED') \
             WHERE id = NEW.id; \
     END",
    "CREATE TRIGGER initiative_status_reaches_search AFTER UPDATE OF status ON initiative \
     BEGIN \
         UPDATE initiative_search_entry SET published = (NEW.status = 'PUBLISHED') \
             WHERE initiative_id = NEW.id; \
     END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER initiative_status_reaches_search",
    "DROP TRIGGER initiative_search_entry_takes_status",
    "ALTER TABLE initiative_search_entry DROP COLUMN published",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }
}

async fn run(manager: &SchemaManager<'_>, postgres: &[&str], sqlite: &[&str]) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        DbBackend::Postgres => postgres,
        _ => sqlite,
    };
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}
