//! The moderation queue: initiatives, experiences and change proposals in the requested
//! states, oldest submission first, as one list over the three tables.

use std::sync::Arc;

use entity::enums::{ModerationStatus, SubjectType};
use futures_util::FutureExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};
use uuid::Uuid;

use super::{
    page::{Page, TotalCount},
    sql::{for_backend, placeholders},
};
use crate::{domain::page::PageRequest, error::AppResult};

/// The kinds of contributions the queue holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueuedKind {
    Initiative,
    Experience,
    ChangeProposal,
}

/// One entry of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueEntry {
    pub kind: QueuedKind,
    pub id: Uuid,
}

/// The SQL selecting the entries, and its values.
fn entries_sql(kinds: &[SubjectType], statuses: &[ModerationStatus]) -> (String, Vec<Value>) {
    let sql = format!(
        "SELECT kind, id, submitted_at FROM (\
             SELECT 'INITIATIVE' AS kind, id, status, submitted_at FROM initiative \
             UNION ALL SELECT 'EXPERIENCE', id, status, submitted_at FROM experience \
             UNION ALL SELECT 'CHANGE_PROPOSAL', id, status, submitted_at FROM change_proposal\
         ) queue WHERE kind IN ({}) AND status IN ({})",
        placeholders(kinds.len()),
        placeholders(statuses.len()),
    );
    let values = kinds
        .iter()
        .map(|kind| Value::from(kind.as_str()))
        .chain(statuses.iter().map(|status| Value::from(status.as_str())))
        .collect();
    (sql, values)
}

async fn count(
    db: &DatabaseConnection,
    kinds: &[SubjectType],
    statuses: &[ModerationStatus],
) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let (sql, values) = entries_sql(kinds, statuses);
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            for_backend(
                backend,
                &format!("SELECT COUNT(*) AS total FROM ({sql}) entries"),
            ),
            values,
        ))
        .await?;
    let total: i64 = match row {
        Some(row) => row.try_get("", "total")?,
        None => 0,
    };
    Ok(u64::try_from(total).unwrap_or_default())
}

/// One page of the queue: never submitted last, then by submission time and id.
#[tracing::instrument(skip(db))]
pub async fn page(
    db: &DatabaseConnection,
    kinds: &[SubjectType],
    statuses: &[ModerationStatus],
    request: PageRequest,
) -> AppResult<(Page<QueueEntry>, TotalCount)> {
    let backend = db.get_database_backend();
    let total = if request.needs_total() {
        Some(count(db, kinds, statuses).await?)
    } else {
        None
    };
    let window = request.window(total);
    let (sql, mut values) = entries_sql(kinds, statuses);
    values.push(Value::from((window.limit + 1) as i64));
    values.push(Value::from(window.offset as i64));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            for_backend(
                backend,
                &format!(
                    "{sql} ORDER BY (submitted_at IS NULL) ASC, submitted_at ASC, id ASC \
                     LIMIT ? OFFSET ?"
                ),
            ),
            values,
        ))
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get("", "kind")?;
        let kind = match kind.as_str() {
            "INITIATIVE" => QueuedKind::Initiative,
            "EXPERIENCE" => QueuedKind::Experience,
            _ => QueuedKind::ChangeProposal,
        };
        entries.push(QueueEntry {
            kind,
            id: row.try_get("", "id")?,
        });
    }
    let found_extra_row = entries.len() as u64 > window.limit;
    entries.truncate(window.limit as usize);
    let page = Page {
        rows: entries,
        offset: window.offset,
        has_next_page: request.has_next_page(found_extra_row),
        has_previous_page: window.offset > 0,
    };
    let db = db.clone();
    let kinds: Arc<[SubjectType]> = kinds.into();
    let statuses: Arc<[ModerationStatus]> = statuses.into();
    let total = TotalCount::new(total, move || {
        let db = db.clone();
        let kinds = kinds.clone();
        let statuses = statuses.clone();
        async move { count(&db, &kinds, &statuses).await }.boxed()
    });
    Ok((page, total))
}
