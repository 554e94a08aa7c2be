//! The revisions of published initiatives: snapshots taken inside the transaction that
//! changes what the public sees, numbered per initiative.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    enums::ModerationStatus, initiative, initiative_audience, initiative_meeting,
    initiative_organisation, initiative_revision, initiative_territory, initiative_theme, user,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    Statement,
};
use uuid::Uuid;

use super::{
    curation::ReferenceKind,
    page::TotalCount,
    sql::{for_backend, placeholders},
};
use crate::{
    domain::{
        page::Window,
        revision::{Reviser, Snapshot},
    },
    error::{AppError, AppResult},
};

/// The published fields of the initiative `id` as the transaction sees them now.
pub async fn snapshot(db: &impl ConnectionTrait, row: &initiative::Model) -> AppResult<Snapshot> {
    let id = row.id;
    let themes = initiative_theme::Entity::find()
        .filter(initiative_theme::Column::InitiativeId.eq(id))
        .all(db)
        .await?;
    let territories = initiative_territory::Entity::find()
        .filter(initiative_territory::Column::InitiativeId.eq(id))
        .all(db)
        .await?;
    let organisations = initiative_organisation::Entity::find()
        .filter(initiative_organisation::Column::InitiativeId.eq(id))
        .all(db)
        .await?;
    let audiences = initiative_audience::Entity::find()
        .filter(initiative_audience::Column::InitiativeId.eq(id))
        .all(db)
        .await?;
    let meetings = initiative_meeting::Entity::find()
        .filter(initiative_meeting::Column::InitiativeId.eq(id))
        .all(db)
        .await?;
    Ok(Snapshot {
        title: row.title.clone(),
        summary: row.summary.clone(),
        description: row.description.clone(),
        context: row.context.clone(),
        outcomes: row.outcomes.clone(),
        continuation: row.continuation.clone(),
        started_on: row.started_on,
        ended_on: row.ended_on,
        theme_ids: themes.into_iter().map(|row| row.theme_id).collect(),
        territory_ids: territories
            .into_iter()
            .map(|row| row.territory_id)
            .collect(),
        organisations: organisations
            .into_iter()
            .map(|row| (row.organisation_id, row.role))
            .collect(),
        audiences: audiences.into_iter().map(|row| row.audience).collect(),
        meeting_ids: meetings.into_iter().map(|row| row.meeting_id).collect(),
        place: row
            .latitude
            .zip(row.longitude)
            .filter(|_| row.place_explicit)
            .map(|(latitude, longitude)| format!("{latitude}, {longitude}")),
    }
    .normalised())
}

async fn latest(
    db: &impl ConnectionTrait,
    initiative_id: Uuid,
) -> AppResult<Option<initiative_revision::Model>> {
    Ok(initiative_revision::Entity::find()
        .filter(initiative_revision::Column::InitiativeId.eq(initiative_id))
        .order_by_desc(initiative_revision::Column::Number)
        .one(db)
        .await?)
}

/// Before a published initiative changes: when it has no history yet (published before
/// revisions were kept, imported, loaded with the demo), keeps its state as revision 1, so
/// that the change that follows has something to be compared with.
#[tracing::instrument(skip_all, fields(initiative_id = %row.id))]
pub async fn keep_baseline(db: &impl ConnectionTrait, row: &initiative::Model) -> AppResult<()> {
    if row.status != ModerationStatus::Published || latest(db, row.id).await?.is_some() {
        return Ok(());
    }
    let at = row.published_at.unwrap_or(row.updated_at);
    insert(
        db,
        row.id,
        1,
        &Reviser::BASELINE,
        None,
        &snapshot(db, row).await?,
        at,
    )
    .await
}

/// After a change of the initiative `id`: keeps its published fields as the next revision,
/// unless they are what the last revision holds already (a change of contacts or links
/// only, a publication of what was published before). Does nothing for an initiative that
/// is not published.
#[tracing::instrument(skip_all, fields(initiative_id = %id))]
pub async fn record(
    db: &impl ConnectionTrait,
    id: Uuid,
    reviser: &Reviser,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let row = initiative::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the revised initiative is missing"))?;
    if row.status != ModerationStatus::Published {
        return Ok(());
    }
    let now_state = snapshot(db, &row).await?;
    let number = match latest(db, id).await? {
        Some(last) => {
            if Snapshot::from_json(&last.snapshot).ok().as_ref() == Some(&now_state) {
                return Ok(());
            }
            last.number + 1
        }
        None => 1,
    };
    insert(db, id, number, reviser, comment, &now_state, now).await
}

async fn insert(
    db: &impl ConnectionTrait,
    initiative_id: Uuid,
    number: i32,
    reviser: &Reviser,
    comment: Option<&str>,
    snapshot: &Snapshot,
    at: DateTime<Utc>,
) -> AppResult<()> {
    initiative_revision::Entity::insert(initiative_revision::ActiveModel {
        initiative_id: Set(initiative_id),
        number: Set(number),
        created_at: Set(at),
        role: Set(reviser.role),
        organisation_id: Set(reviser.organisation_id),
        author_id: Set(reviser.author_id),
        comment: Set(comment.map(str::to_owned)),
        snapshot: Set(snapshot.to_json()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Who wrote a change: the account `author_id` (with its role as it is now) for
/// `organisation_id`, or a tool when no account wrote it.
pub async fn writer(
    db: &impl ConnectionTrait,
    author_id: Option<Uuid>,
    organisation_id: Option<Uuid>,
) -> AppResult<Reviser> {
    let role = match author_id {
        Some(id) => user::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|account| account.role),
        None => None,
    };
    Ok(Reviser::writer(author_id, role, organisation_id))
}

/// The published initiatives that refer to the reference row `id` of `kind` in a field
/// their revisions keep (themes, territories, organisations, meetings).
pub async fn published_referring_to(
    db: &impl ConnectionTrait,
    kind: ReferenceKind,
    id: Uuid,
) -> AppResult<Vec<initiative::Model>> {
    let backend = db.get_database_backend();
    let mut found = Vec::new();
    for reference in kind.references() {
        // Contacts are people, not part of a revision.
        if reference.key != Some("initiative_id") || reference.table == "initiative_contact" {
            continue;
        }
        let sql = format!(
            "SELECT DISTINCT initiative_id FROM {} WHERE {} = ?",
            reference.table, reference.column
        );
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                for_backend(backend, &sql),
                vec![id.into()],
            ))
            .await?;
        for row in rows {
            found.push(row.try_get_by_index::<Uuid>(0)?);
        }
    }
    found.sort();
    found.dedup();
    Ok(initiative::Entity::find()
        .filter(initiative::Column::Id.is_in(found))
        .filter(initiative::Column::Status.eq(ModerationStatus::Published))
        .all(db)
        .await?)
}

/// Counts the revisions of `initiative_id` when asked, unless the count is `known`.
pub fn total(db: &DatabaseConnection, initiative_id: Uuid, known: Option<u64>) -> TotalCount {
    let select = initiative_revision::Entity::find()
        .filter(initiative_revision::Column::InitiativeId.eq(initiative_id));
    TotalCount::of(db, &select, known)
}

/// For each of these initiatives, its revisions in `window`, newest first, with one more
/// row after the window when there is one, in one query: the history of every initiative
/// of a list.
pub async fn pages_per_initiative(
    db: &DatabaseConnection,
    initiative_ids: &[Uuid],
    window: Window,
) -> AppResult<HashMap<Uuid, Vec<initiative_revision::Model>>> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT * FROM (\
             SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.initiative_id ORDER BY r.number DESC) \
                 AS rank \
             FROM initiative_revision r WHERE r.initiative_id IN ({})\
         ) ranked WHERE rank > ? AND rank <= ? ORDER BY initiative_id, rank",
        placeholders(initiative_ids.len())
    );
    let mut values: Vec<sea_orm::Value> = initiative_ids.iter().map(|id| (*id).into()).collect();
    values.push((window.offset as i64).into());
    values.push(((window.offset + window.limit + 1) as i64).into());
    let rows = initiative_revision::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            for_backend(backend, &sql),
            values,
        ))
        .all(db)
        .await?;
    let mut pages: HashMap<Uuid, Vec<initiative_revision::Model>> = HashMap::new();
    for row in rows {
        pages.entry(row.initiative_id).or_default().push(row);
    }
    Ok(pages)
}

/// The revisions `numbers` of `initiative_id` that exist.
pub async fn numbered(
    db: &DatabaseConnection,
    initiative_id: Uuid,
    numbers: &[i32],
) -> AppResult<Vec<initiative_revision::Model>> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    Ok(initiative_revision::Entity::find()
        .filter(initiative_revision::Column::InitiativeId.eq(initiative_id))
        .filter(initiative_revision::Column::Number.is_in(numbers.iter().copied()))
        .all(db)
        .await?)
}
