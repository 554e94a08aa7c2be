//! Duplicates in the catalogue: the pairs decided not to be the same action, and merging an
//! initiative into the one kept. Every writing function takes the transaction of the
//! change it is part of.

use chrono::{DateTime, Utc};
use entity::{enums::ModerationStatus, experience, initiative, not_duplicate, slug_alias};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect, Set, Statement,
    Value,
};
use uuid::Uuid;

use super::{initiative_links, initiatives::INITIATIVE_ALIASES, places, search, sql::for_backend};
use crate::{
    domain::duplicate::Pair,
    error::{AppError, AppResult},
};

/// The decision on `pair`, if one was taken.
pub async fn decision(
    db: &impl ConnectionTrait,
    pair: Pair,
) -> AppResult<Option<not_duplicate::Model>> {
    Ok(not_duplicate::Entity::find_by_id((pair.low, pair.high))
        .one(db)
        .await?)
}

/// Records that the two initiatives of `pair` are not the same action, decided by the
/// account `user_id` or the API key `key_id`.
#[tracing::instrument(skip(db))]
pub async fn mark_not_duplicate(
    db: &impl ConnectionTrait,
    pair: Pair,
    user_id: Option<Uuid>,
    key_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<not_duplicate::Model> {
    let row = not_duplicate::Model {
        low_id: pair.low,
        high_id: pair.high,
        decided_by: user_id,
        decided_by_key: key_id,
        created_at: now,
    };
    not_duplicate::Entity::insert(not_duplicate::ActiveModel {
        low_id: Set(row.low_id),
        high_id: Set(row.high_id),
        decided_by: Set(row.decided_by),
        decided_by_key: Set(row.decided_by_key),
        created_at: Set(row.created_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(row)
}

/// The initiatives decided not to be duplicates of `id`.
pub async fn not_duplicates_of(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<Uuid>> {
    let pairs = not_duplicate::Entity::find()
        .filter(
            not_duplicate::Column::LowId
                .eq(id)
                .or(not_duplicate::Column::HighId.eq(id)),
        )
        .all(db)
        .await?;
    Ok(pairs
        .into_iter()
        .map(|pair| {
            if pair.low_id == id {
                pair.high_id
            } else {
                pair.low_id
            }
        })
        .collect())
}

/// What a merge changed besides the two initiatives.
#[derive(Debug)]
pub struct Merged {
    /// The kept initiative as stored now.
    pub kept: initiative::Model,
    /// The experiences moved to it, as they were.
    pub experiences: Vec<experience::Model>,
    /// The other initiatives whose links now lead to (or come from) the kept one.
    pub relinked: Vec<Uuid>,
}

/// The tables that tie an initiative to something else, keyed by (`initiative_id`, the
/// column): a merge gives the kept initiative the union of both.
const TIES: &[(&str, &str)] = &[
    ("initiative_contact", "professional_id"),
    ("initiative_theme", "theme_id"),
    ("initiative_territory", "territory_id"),
    ("initiative_audience", "audience"),
    ("initiative_meeting", "meeting_id"),
    ("initiative_organisation", "organisation_id"),
];

async fn execute(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> AppResult<()> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        for_backend(backend, sql),
        values,
    ))
    .await?;
    Ok(())
}

/// Merges `duplicate` into `kept`, in the caller's transaction: the kept initiative takes
/// the duplicate's experiences, links (those that would join it to itself, repeat one it
/// has or close a cycle are dropped), contacts, themes, territories, audiences, meetings
/// and organisations (a tie it has already keeps its own role); its own texts and status
/// stay. The duplicate is deleted, with its change proposals and its pairs decided not
/// duplicates; its slug and former slugs resolve to the kept initiative from now on.
/// The kept initiative's version goes up by one.
#[tracing::instrument(skip_all, fields(kept = %kept.id, duplicate = %duplicate.id))]
pub async fn merge_initiatives(
    txn: &impl ConnectionTrait,
    kept: &initiative::Model,
    duplicate: &initiative::Model,
    now: DateTime<Utc>,
) -> AppResult<Merged> {
    let (kept_id, duplicate_id) = (kept.id, duplicate.id);
    let experiences = experience::Entity::find()
        .filter(experience::Column::InitiativeId.eq(duplicate_id))
        .all(txn)
        .await?;
    experience::Entity::update_many()
        .col_expr(experience::Column::InitiativeId, kept_id.into())
        .filter(experience::Column::InitiativeId.eq(duplicate_id))
        .exec(txn)
        .await?;
    for (table, column) in TIES {
        execute(
            txn,
            &format!(
                "DELETE FROM {table} WHERE initiative_id = ? AND {column} IN \
                 (SELECT {column} FROM {table} WHERE initiative_id = ?)"
            ),
            vec![duplicate_id.into(), kept_id.into()],
        )
        .await?;
        execute(
            txn,
            &format!("UPDATE {table} SET initiative_id = ? WHERE initiative_id = ?"),
            vec![kept_id.into(), duplicate_id.into()],
        )
        .await?;
    }
    let relinked = initiative_links::move_links(txn, duplicate_id, kept_id).await?;
    slug_alias::Entity::update_many()
        .col_expr(slug_alias::Column::TargetId, kept_id.into())
        .filter(slug_alias::Column::Kind.eq(INITIATIVE_ALIASES))
        .filter(slug_alias::Column::TargetId.eq(duplicate_id))
        .exec(txn)
        .await?;
    initiative::Entity::delete_by_id(duplicate_id)
        .exec(txn)
        .await?;
    slug_alias::Entity::insert(slug_alias::ActiveModel {
        kind: Set(INITIATIVE_ALIASES.to_owned()),
        slug: Set(duplicate.slug.clone()),
        target_id: Set(kept_id),
        created_at: Set(now),
    })
    .exec_without_returning(txn)
    .await?;
    // Removes the duplicate's search entries (SQLite's are not tied to it by a key), and
    // indexes the kept one with the themes and territories it took.
    search::index_initiative(txn, duplicate_id).await?;
    search::index_initiative(txn, kept_id).await?;
    // Its place follows the territories it took, unless its writer gave one.
    places::refresh(txn, &[kept_id]).await?;
    let updated = initiative::Entity::update_many()
        .col_expr(initiative::Column::Version, (kept.version + 1).into())
        .col_expr(initiative::Column::UpdatedAt, now.into())
        .filter(initiative::Column::Id.eq(kept_id))
        .filter(initiative::Column::Version.eq(kept.version))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::Conflict(
            "keptId: it was changed while merging: try again".to_owned(),
        ));
    }
    let kept = initiative::Entity::find_by_id(kept_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("the kept initiative is missing"))?;
    Ok(Merged {
        kept,
        experiences,
        relinked,
    })
}

/// The published initiatives among `ids`.
pub async fn published_among(db: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(initiative::Entity::find()
        .select_only()
        .column(initiative::Column::Id)
        .filter(initiative::Column::Id.is_in(ids.iter().copied()))
        .filter(initiative::Column::Status.eq(ModerationStatus::Published))
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}
