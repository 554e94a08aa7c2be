//! Failed logins per subject (an account or a client address), for the throttle.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::login_failure;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::error::AppResult;

/// The failures of each of `subjects` since `since`.
pub async fn since(
    db: &impl ConnectionTrait,
    subjects: &[&str],
    since: DateTime<Utc>,
) -> AppResult<HashMap<String, Vec<DateTime<Utc>>>> {
    let rows = login_failure::Entity::find()
        .filter(login_failure::Column::Subject.is_in(subjects.iter().copied()))
        .filter(login_failure::Column::FailedAt.gt(since))
        .all(db)
        .await?;
    let mut failures: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for row in rows {
        failures.entry(row.subject).or_default().push(row.failed_at);
    }
    Ok(failures)
}

/// Records one failure for each of `subjects`, and forgets those that left the window.
pub async fn record(
    db: &impl ConnectionTrait,
    subjects: &[&str],
    at: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> AppResult<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::FailedAt.lte(forget_before))
        .exec(db)
        .await?;
    login_failure::Entity::insert_many(subjects.iter().map(|subject| login_failure::ActiveModel {
        id: Set(Uuid::now_v7()),
        subject: Set((*subject).to_owned()),
        failed_at: Set(at),
    }))
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
