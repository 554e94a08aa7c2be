//! Failed logins per subject (an account or a client address), for the throttle.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::login_failure;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::error::AppResult;

/// The failures of each of `subjects` since `since`, but those of `except`.
pub async fn since(
    db: &impl ConnectionTrait,
    subjects: &[&str],
    since: DateTime<Utc>,
    except: &[Uuid],
) -> AppResult<HashMap<String, Vec<DateTime<Utc>>>> {
    let rows = login_failure::Entity::find()
        .filter(login_failure::Column::Subject.is_in(subjects.iter().copied()))
        .filter(login_failure::Column::FailedAt.gt(since))
        .filter(login_failure::Column::Id.is_not_in(except.iter().copied()))
        .all(db)
        .await?;
    let mut failures: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for row in rows {
        failures.entry(row.subject).or_default().push(row.failed_at);
    }
    Ok(failures)
}

/// Records one attempt for each of `subjects`, counted as a failure until [`forget_rows`]
/// removes it, and forgets the failures that left the window. The ids of the new rows.
pub async fn record(
    db: &impl ConnectionTrait,
    subjects: &[&str],
    at: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> AppResult<Vec<Uuid>> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::FailedAt.lte(forget_before))
        .exec(db)
        .await?;
    let rows: Vec<(Uuid, &str)> = subjects.iter().map(|s| (Uuid::now_v7(), *s)).collect();
    login_failure::Entity::insert_many(rows.iter().map(|(id, subject)| {
        login_failure::ActiveModel {
            id: Set(*id),
            subject: Set((*subject).to_owned()),
            failed_at: Set(at),
        }
    }))
    .exec(db)
    .await?;
    Ok(rows.into_iter().map(|(id, _)| id).collect())
}

/// Removes the rows `ids` (an attempt that was refused, or that succeeded).
pub async fn forget_rows(db: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the failures of `subject` (after a successful login).
pub async fn forget(db: &impl ConnectionTrait, subject: &str) -> AppResult<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Subject.eq(subject))
        .exec(db)
        .await?;
    Ok(())
}
