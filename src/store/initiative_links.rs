//! Links between initiatives: checked against the catalogue, written with the rest of an
//! initiative's fields, and followed from both ends.

use std::collections::{HashMap, HashSet};

use async_graphql::dataloader::Loader;
use chrono::{DateTime, Utc};
use entity::{enums::InitiativeLinkKind, initiative, initiative_link};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, ExprTrait,
    QueryFilter, QuerySelect, Set, Statement, Value,
};
use uuid::Uuid;

use super::{
    initiatives::{visible, visible_sql},
    sql::{for_backend, placeholders},
};
use crate::{
    domain::{
        initiative_link::{LinkChange, check_not_to_itself, forbids_cycles},
        visibility::ContributionScope,
    },
    error::{AppError, AppResult},
};

/// Checks the links `own` (None for an initiative not written yet) is to hold: each
/// target is an initiative the scope lets the writer see, none is `own`, a variant is not
/// said twice (once from each end), and no continuation or part comes back to `own`.
/// `field` names the list in errors.
#[tracing::instrument(skip(db, links))]
pub async fn check(
    db: &impl ConnectionTrait,
    own: Option<Uuid>,
    links: &[LinkChange],
    field: &str,
    scope: &ContributionScope,
) -> AppResult<()> {
    if links.is_empty() {
        return Ok(());
    }
    if let Some(own) = own {
        check_not_to_itself(field, own, links)?;
    }
    let targets: HashSet<Uuid> = links.iter().map(|link| link.target_id).collect();
    let seen: HashSet<Uuid> = initiative::Entity::find()
        .select_only()
        .column(initiative::Column::Id)
        .filter(visible(scope))
        .filter(initiative::Column::Id.is_in(targets.iter().copied()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    if let Some(index) = links
        .iter()
        .position(|link| !seen.contains(&link.target_id))
    {
        return Err(AppError::bad_input(
            format!("{field}[{index}].targetId"),
            "names an initiative that does not exist",
        ));
    }
    let Some(own) = own else {
        // Nothing links to an initiative not written yet: no cycle can close on it.
        return Ok(());
    };
    let variants_of_own: HashSet<Uuid> = initiative_link::Entity::find()
        .select_only()
        .column(initiative_link::Column::FromId)
        .filter(initiative_link::Column::ToId.eq(own))
        .filter(initiative_link::Column::Kind.eq(InitiativeLinkKind::VariantOf))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    if let Some(index) = links.iter().position(|link| {
        link.kind == InitiativeLinkKind::VariantOf && variants_of_own.contains(&link.target_id)
    }) {
        return Err(AppError::bad_input(
            format!("{field}[{index}]"),
            "that initiative already names this one as VARIANT_OF: one link says it",
        ));
    }
    if links.iter().any(|link| forbids_cycles(link.kind)) {
        serialise_ordering_links(db).await?;
    }
    for (index, link) in links.iter().enumerate() {
        if forbids_cycles(link.kind) && reaches(db, link.kind, link.target_id, own).await? {
            return Err(AppError::bad_input(
                format!("{field}[{index}]"),
                format!(
                    "would close a cycle: that initiative already leads back to this one \
                     through {} links",
                    link.kind.as_str()
                ),
            ));
        }
    }
    Ok(())
}

/// On PostgreSQL, two transactions could each add half of a cycle, both checking before
/// either writes: the writers of continuations and parts take turns until they commit.
/// (SQLite has one writer at a time.)
async fn serialise_ordering_links(db: &impl ConnectionTrait) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext('initiative_link ordering'))",
        ))
        .await?;
    }
    Ok(())
}

/// Whether following links of `kind` from `start` reaches `goal`. `UNION` stops the walk
/// on rows already reached.
async fn reaches(
    db: &impl ConnectionTrait,
    kind: InitiativeLinkKind,
    start: Uuid,
    goal: Uuid,
) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let sql = "WITH RECURSIVE reached(id) AS (\
                   SELECT id FROM initiative WHERE id = ? \
                   UNION SELECT l.to_id FROM initiative_link l JOIN reached r ON l.from_id = r.id \
                   WHERE l.kind = ?\
               ) SELECT COUNT(*) AS found FROM reached WHERE id = ?";
    let statement = Statement::from_sql_and_values(
        backend,
        for_backend(backend, sql),
        [
            Value::from(start),
            Value::from(kind.as_str()),
            Value::from(goal),
        ],
    );
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| AppError::internal("a count returned no row"))?;
    let found: i64 = row.try_get("", "found")?;
    Ok(found > 0)
}

/// Replaces the links `id` holds with `links`.
pub async fn replace(
    db: &impl ConnectionTrait,
    id: Uuid,
    links: &[LinkChange],
    now: DateTime<Utc>,
) -> AppResult<()> {
    initiative_link::Entity::delete_many()
        .filter(initiative_link::Column::FromId.eq(id))
        .exec(db)
        .await?;
    if links.is_empty() {
        return Ok(());
    }
    initiative_link::Entity::insert_many(links.iter().map(|link| initiative_link::ActiveModel {
        from_id: Set(id),
        to_id: Set(link.target_id),
        kind: Set(link.kind),
        note: Set(link.note.clone()),
        created_at: Set(now),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The variants of each initiative: the initiatives reached from it through `VARIANT_OF`
/// links in either direction, at any distance, passing only through initiatives the scope
/// lets the caller see (a draft's links tell the public nothing).
pub struct VariantsOf {
    pub db: DatabaseConnection,
    pub scope: ContributionScope,
}

impl Loader<Uuid> for VariantsOf {
    type Value = Vec<Uuid>;
    type Error = AppError;

    async fn load(&self, roots: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, AppError> {
        let backend = self.db.get_database_backend();
        let (seen, seen_values) = visible_sql(&self.scope, "i");
        let (root_seen, root_values) = visible_sql(&self.scope, "initiative");
        let sql = format!(
            "WITH RECURSIVE reached(root, id) AS (\
                 SELECT id, id FROM initiative WHERE id IN ({roots}) AND {root_seen} \
                 UNION SELECT r.root, i.id FROM reached r \
                 JOIN initiative_link l ON l.kind = ? AND (l.from_id = r.id OR l.to_id = r.id) \
                 JOIN initiative i \
                   ON i.id = CASE WHEN l.from_id = r.id THEN l.to_id ELSE l.from_id END \
                 WHERE {seen}\
             ) SELECT reached.root, reached.id FROM reached \
             JOIN initiative ON initiative.id = reached.id \
             WHERE reached.id <> reached.root \
             ORDER BY initiative.title_sort, initiative.id",
            roots = placeholders(roots.len()),
        );
        let values = roots
            .iter()
            .map(|root| Value::from(*root))
            .chain(root_values)
            .chain([Value::from(InitiativeLinkKind::VariantOf.as_str())])
            .chain(seen_values);
        let statement = Statement::from_sql_and_values(backend, for_backend(backend, &sql), values);
        let mut variants: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for row in self.db.query_all_raw(statement).await? {
            let root: Uuid = row.try_get("", "root")?;
            let id: Uuid = row.try_get("", "id")?;
            variants.entry(root).or_default().push(id);
        }
        Ok(variants)
    }
}

/// Moves the links of `from` (held and received) to `to`, for a merge: a link that would
/// join `to` to itself, one `to` already has (or, for a variant, its reverse), and a
/// continuation or part that would close a cycle are dropped. Returns the other
/// initiatives whose links changed.
#[tracing::instrument(skip(db))]
pub async fn move_links(db: &impl ConnectionTrait, from: Uuid, to: Uuid) -> AppResult<Vec<Uuid>> {
    let moved = initiative_link::Entity::find()
        .filter(
            initiative_link::Column::FromId
                .eq(from)
                .or(initiative_link::Column::ToId.eq(from)),
        )
        .all(db)
        .await?;
    // Out of the graph first: a walk for cycles must see `to` where `from` was, never both.
    initiative_link::Entity::delete_many()
        .filter(
            initiative_link::Column::FromId
                .eq(from)
                .or(initiative_link::Column::ToId.eq(from)),
        )
        .exec(db)
        .await?;
    if moved.iter().any(|link| forbids_cycles(link.kind)) {
        serialise_ordering_links(db).await?;
    }
    let mut others = Vec::new();
    for link in moved {
        let source = if link.from_id == from {
            to
        } else {
            link.from_id
        };
        let target = if link.to_id == from { to } else { link.to_id };
        if source == target || holds(db, source, target, link.kind).await? {
            continue;
        }
        if link.kind == InitiativeLinkKind::VariantOf
            && holds(db, target, source, InitiativeLinkKind::VariantOf).await?
        {
            continue;
        }
        if forbids_cycles(link.kind) && reaches(db, link.kind, target, source).await? {
            continue;
        }
        initiative_link::Entity::insert(initiative_link::ActiveModel {
            from_id: Set(source),
            to_id: Set(target),
            kind: Set(link.kind),
            note: Set(link.note),
            created_at: Set(link.created_at),
        })
        .exec_without_returning(db)
        .await?;
        let other = if source == to { target } else { source };
        if !others.contains(&other) {
            others.push(other);
        }
    }
    Ok(others)
}

/// Whether the link `from` → `to` of `kind` exists.
async fn holds(
    db: &impl ConnectionTrait,
    from: Uuid,
    to: Uuid,
    kind: InitiativeLinkKind,
) -> AppResult<bool> {
    Ok(initiative_link::Entity::find_by_id((from, to, kind))
        .one(db)
        .await?
        .is_some())
}
