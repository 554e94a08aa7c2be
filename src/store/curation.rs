//! Writing reference data: slugs and their aliases, what references a row, moving those
//! references to another row (for a delete with a replacement, or a merge), and the audit
//! log. Every function takes the transaction of the change it is part of.

use chrono::Utc;
use entity::{
    enums::{ModerationAction, SubjectType},
    moderation_event, slug_alias,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, Statement, Value};
use uuid::Uuid;

use super::sql::for_backend;
use crate::error::AppResult;

/// The reference data whose rows have slugs, aliases and references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    Territory,
    Theme,
    Organisation,
    Professional,
    Meeting,
}

/// A column that points at a row of a reference table.
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    pub table: &'static str,
    pub column: &'static str,
    /// What a row of `table` is, for the CONFLICT message.
    pub label: &'static str,
    /// For a link table keyed by (`key`, `column`): the other key column, so that moving
    /// a reference never makes a duplicate row.
    pub key: Option<&'static str>,
}

const fn plain(table: &'static str, column: &'static str, label: &'static str) -> Reference {
    Reference {
        table,
        column,
        label,
        key: None,
    }
}

const fn link(
    table: &'static str,
    column: &'static str,
    label: &'static str,
    key: &'static str,
) -> Reference {
    Reference {
        table,
        column,
        label,
        key: Some(key),
    }
}

impl ReferenceKind {
    /// The table of the rows.
    pub fn table(self) -> &'static str {
        match self {
            Self::Territory => "territory",
            Self::Theme => "theme",
            Self::Organisation => "organisation",
            Self::Professional => "professional",
            Self::Meeting => "meeting",
        }
    }

    pub fn subject_type(self) -> SubjectType {
        match self {
            Self::Territory => SubjectType::Territory,
            Self::Theme => SubjectType::Theme,
            Self::Organisation => SubjectType::Organisation,
            Self::Professional => SubjectType::Professional,
            Self::Meeting => SubjectType::Meeting,
        }
    }

    /// Every column that points at a row of this kind and keeps it from being deleted.
    pub fn references(self) -> &'static [Reference] {
        match self {
            Self::Territory => TERRITORY_REFERENCES,
            Self::Theme => THEME_REFERENCES,
            Self::Organisation => ORGANISATION_REFERENCES,
            Self::Professional => PROFESSIONAL_REFERENCES,
            Self::Meeting => MEETING_REFERENCES,
        }
    }
}

const TERRITORY_REFERENCES: &[Reference] = &[
    link(
        "territory_parent",
        "parent_id",
        "contained territories",
        "child_id",
    ),
    plain("organisation", "territory_id", "organisations"),
    plain("position", "territory_id", "positions"),
    link(
        "initiative_territory",
        "territory_id",
        "initiatives",
        "initiative_id",
    ),
];

const THEME_REFERENCES: &[Reference] = &[
    plain("theme", "parent_id", "sub-themes"),
    link(
        "initiative_theme",
        "theme_id",
        "initiatives",
        "initiative_id",
    ),
];

const ORGANISATION_REFERENCES: &[Reference] = &[
    plain("app_user", "organisation_id", "accounts"),
    plain("position", "organisation_id", "positions"),
    plain("meeting", "organiser_id", "meetings organised"),
    plain("initiative", "organisation_id", "initiatives owned"),
    link(
        "initiative_organisation",
        "organisation_id",
        "initiatives involved in",
        "initiative_id",
    ),
    plain("experience", "organisation_id", "experiences"),
    plain("change_proposal", "organisation_id", "change proposals"),
    // A merged organisation's keys go on acting for the organisation it became.
    plain("api_key", "organisation_id", "API keys"),
];

const MEETING_REFERENCES: &[Reference] = &[link(
    "initiative_meeting",
    "meeting_id",
    "initiatives reported",
    "initiative_id",
)];

const PROFESSIONAL_REFERENCES: &[Reference] = &[
    plain("position", "professional_id", "positions"),
    plain(
        "meeting_participant",
        "professional_id",
        "meeting participations",
    ),
    link(
        "initiative_contact",
        "professional_id",
        "initiatives as contact",
        "initiative_id",
    ),
];

async fn execute<C: ConnectionTrait>(db: &C, sql: &str, values: Vec<Value>) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            for_backend(backend, sql),
            values,
        ))
        .await?;
    Ok(result.rows_affected())
}

async fn count<C: ConnectionTrait>(db: &C, sql: &str, values: Vec<Value>) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            for_backend(backend, sql),
            values,
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get_by_index::<i64>(0)?,
        None => 0,
    })
}

/// How many rows of each kind point at `id`: `(label, count)`, only the non-zero ones.
pub async fn references_to<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    id: Uuid,
) -> AppResult<Vec<(&'static str, i64)>> {
    let mut found = Vec::new();
    for reference in kind.references() {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE {} = ?",
            reference.table, reference.column
        );
        let n = count(db, &sql, vec![id.into()]).await?;
        if n > 0 {
            found.push((reference.label, n));
        }
    }
    Ok(found)
}

/// Points every reference to `from` at `to` instead. In a link table, a row that would
/// duplicate one `to` already has is dropped.
pub async fn move_references<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    from: Uuid,
    to: Uuid,
) -> AppResult<()> {
    for reference in kind.references() {
        let Reference {
            table, column, key, ..
        } = *reference;
        if let Some(key) = key {
            let sql = format!(
                "DELETE FROM {table} WHERE {column} = ? AND {key} IN \
                 (SELECT {key} FROM {table} WHERE {column} = ?)"
            );
            execute(db, &sql, vec![from.into(), to.into()]).await?;
        }
        let sql = format!("UPDATE {table} SET {column} = ? WHERE {column} = ?");
        execute(db, &sql, vec![to.into(), from.into()]).await?;
    }
    Ok(())
}

/// Deletes the row `id` of `kind` (rows that depend on it go by their foreign keys).
pub async fn delete<C: ConnectionTrait>(db: &C, kind: ReferenceKind, id: Uuid) -> AppResult<()> {
    let sql = format!("DELETE FROM {} WHERE id = ?", kind.table());
    execute(db, &sql, vec![id.into()]).await?;
    Ok(())
}

/// Whether `slug` is free for the row `id` of `kind`: no other row has it, and it is no
/// alias of another row.
async fn slug_is_free<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    slug: &str,
    id: Uuid,
) -> AppResult<bool> {
    let sql = format!(
        "SELECT COUNT(*) FROM {} WHERE slug = ? AND id <> ?",
        kind.table()
    );
    if count(db, &sql, vec![slug.into(), id.into()]).await? > 0 {
        return Ok(false);
    }
    let alias = slug_alias::Entity::find()
        .filter(slug_alias::Column::Kind.eq(kind.table()))
        .filter(slug_alias::Column::Slug.eq(slug))
        .one(db)
        .await?;
    Ok(alias.is_none_or(|alias| alias.target_id == id))
}

/// A unique slug for the row `id` from `base`: `base`, else `base-2`, `base-3`…
pub async fn unique_slug<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    base: &str,
    id: Uuid,
) -> AppResult<String> {
    let mut candidate = base.to_owned();
    let mut n = 2;
    while !slug_is_free(db, kind, &candidate, id).await? {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

/// Gives the row `id` a new slug, keeping `old` as an alias that resolves to it; an alias
/// that the new slug reclaims is removed.
pub async fn keep_old_slug<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    id: Uuid,
    old: &str,
    new: &str,
) -> AppResult<()> {
    if old == new {
        return Ok(());
    }
    slug_alias::Entity::delete_many()
        .filter(slug_alias::Column::Kind.eq(kind.table()))
        .filter(slug_alias::Column::Slug.eq(new))
        .exec(db)
        .await?;
    add_alias(db, kind, old, id).await
}

pub async fn add_alias<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    slug: &str,
    target: Uuid,
) -> AppResult<()> {
    slug_alias::Entity::insert(slug_alias::ActiveModel {
        kind: Set(kind.table().to_owned()),
        slug: Set(slug.to_owned()),
        target_id: Set(target),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Makes the aliases of `from` resolve to `to` (after a merge or a replacement).
pub async fn move_aliases<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    from: Uuid,
    to: Uuid,
) -> AppResult<()> {
    execute(
        db,
        "UPDATE slug_alias SET target_id = ? WHERE kind = ? AND target_id = ?",
        vec![to.into(), kind.table().into(), from.into()],
    )
    .await?;
    Ok(())
}

/// Removes the aliases of a deleted or erased row.
pub async fn forget_aliases<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    id: Uuid,
) -> AppResult<Vec<String>> {
    let aliases = slug_alias::Entity::find()
        .filter(slug_alias::Column::Kind.eq(kind.table()))
        .filter(slug_alias::Column::TargetId.eq(id))
        .all(db)
        .await?;
    slug_alias::Entity::delete_many()
        .filter(slug_alias::Column::Kind.eq(kind.table()))
        .filter(slug_alias::Column::TargetId.eq(id))
        .exec(db)
        .await?;
    Ok(aliases.into_iter().map(|alias| alias.slug).collect())
}

/// The row an old slug now stands for.
pub async fn alias_target<C: ConnectionTrait>(
    db: &C,
    kind: ReferenceKind,
    slug: &str,
) -> AppResult<Option<Uuid>> {
    Ok(slug_alias::Entity::find()
        .filter(slug_alias::Column::Kind.eq(kind.table()))
        .filter(slug_alias::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(|alias| alias.target_id))
}

/// Appends an event to the audit log. `comment` must hold no personal data.
pub async fn log_event<C: ConnectionTrait>(
    db: &C,
    subject_type: SubjectType,
    subject_id: Uuid,
    actor_id: Uuid,
    action: ModerationAction,
    comment: Option<String>,
) -> AppResult<()> {
    moderation_event::Entity::insert(moderation_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        subject_type: Set(subject_type),
        subject_id: Set(subject_id),
        actor_id: Set(Some(actor_id)),
        api_key_id: Set(None),
        action: Set(action),
        from_status: Set(None),
        to_status: Set(None),
        comment: Set(comment),
        related_id: Set(None),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The ids of `root` and of every territory contained in it, at any depth.
pub async fn territory_and_descendants<C: ConnectionTrait>(
    db: &C,
    root: Uuid,
) -> AppResult<Vec<Uuid>> {
    let backend = db.get_database_backend();
    let sql = super::sql::descendants_or_self(
        "territory",
        "territory_parent",
        "child_id",
        "parent_id",
        &[root],
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            for_backend(backend, &sql),
            [root.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get_by_index::<Uuid>(0)?))
        .collect()
}
