//! An online copy of the embedded SQLite database, for backups.
//!
//! `VACUUM INTO` writes a consistent, compacted copy while the server keeps serving: it reads
//! within one transaction, so the copy is the database as it was at one instant, never half
//! of a write. PostgreSQL has its own tools for the same (`pg_dump`), which know more than
//! Communs could (roles, extensions, parallel restores): `docs/operations.md` gives both
//! procedures.

use std::path::Path;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

use crate::error::{AppError, AppResult};

/// Writes a copy of the SQLite database to `file`, which must not exist yet.
#[tracing::instrument(skip(db))]
pub async fn copy_sqlite(db: &DatabaseConnection, file: &Path) -> AppResult<()> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Err(AppError::BadInput {
            field: "backup".to_owned(),
            message: "the database is PostgreSQL: back it up with pg_dump \
                      (see docs/operations.md, Backups)"
                .to_owned(),
        });
    }
    if file.exists() {
        return Err(AppError::Conflict(format!(
            "{} exists already: name a new file",
            file.display()
        )));
    }
    let target = file.to_str().ok_or_else(|| AppError::BadInput {
        field: "file".to_owned(),
        message: "the path is not valid UTF-8".to_owned(),
    })?;
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        "VACUUM INTO ?",
        [target.into()],
    ))
    .await?;
    Ok(())
}
