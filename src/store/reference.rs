//! Reference data: territories, themes, organisations, professionals and meetings.

use entity::{enums::TerritoryKind, meeting, organisation, professional, territory, theme};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, Order, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{
    curation::{ReferenceKind, alias_target},
    page::{Page, TotalCount, fetch_page},
    sql::{condition, descendants_or_self},
};
use crate::{
    domain::{page::PageRequest, text::sort_key},
    error::AppResult,
};

/// What a territory list may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct TerritoryFilter {
    pub kinds: Vec<TerritoryKind>,
    /// Only territories contained (at any depth) in this one.
    pub within: Option<Uuid>,
    /// A case-insensitive part of the name.
    pub name_contains: Option<String>,
}

/// `LIKE` pattern matching `text` anywhere in a folded name (see `sort_key`): case and
/// accents ignored on both backends, wildcards in `text` taken literally.
fn contains_pattern(text: &str) -> String {
    let escaped = sort_key(text.trim())
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[tracing::instrument(skip(db))]
pub async fn territories(
    db: &DatabaseConnection,
    filter: &TerritoryFilter,
    request: PageRequest,
) -> AppResult<(Page<territory::Model>, TotalCount)> {
    let mut select = territory::Entity::find();
    if !filter.kinds.is_empty() {
        select = select.filter(territory::Column::Kind.is_in(filter.kinds.iter().copied()));
    }
    if let Some(within) = filter.within {
        let contained = descendants_or_self(
            "territory",
            "territory_parent",
            "child_id",
            "parent_id",
            &[within],
        );
        select = select.filter(condition(
            db.get_database_backend(),
            &format!("territory.id IN ({contained}) AND territory.id <> ?"),
            [within, within],
        ));
    }
    if let Some(text) = &filter.name_contains {
        select = select.filter(condition(
            db.get_database_backend(),
            "territory.sort_name LIKE ? ESCAPE '\\'",
            [contains_pattern(text)],
        ));
    }
    let select = select
        .order_by(territory::Column::SortName, Order::Asc)
        .order_by(territory::Column::Id, Order::Asc);
    fetch_page(db, select, request).await
}

#[tracing::instrument(skip(db))]
/// The territories with this official code: one per kind at most (codes are unique per
/// kind), but a region and a department may share one (44 is Grand Est and Loire-Atlantique).
pub async fn territories_by_code(
    db: &DatabaseConnection,
    kind: Option<TerritoryKind>,
    code: &str,
) -> AppResult<Vec<territory::Model>> {
    let mut select = territory::Entity::find().filter(territory::Column::OfficialCode.eq(code));
    if let Some(kind) = kind {
        select = select.filter(territory::Column::Kind.eq(kind));
    }
    Ok(select.all(db).await?)
}

#[tracing::instrument(skip(db))]
pub async fn top_level_themes(db: &DatabaseConnection) -> AppResult<Vec<theme::Model>> {
    Ok(theme::Entity::find()
        .filter(theme::Column::ParentId.is_null())
        .order_by(theme::Column::Position, Order::Asc)
        .order_by(theme::Column::SortName, Order::Asc)
        .all(db)
        .await?)
}

/// What an organisation list may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct OrganisationFilter {
    pub kinds: Vec<entity::enums::OrganisationKind>,
    pub name_contains: Option<String>,
}

#[tracing::instrument(skip(db))]
pub async fn organisations(
    db: &DatabaseConnection,
    filter: &OrganisationFilter,
    request: PageRequest,
) -> AppResult<(Page<organisation::Model>, TotalCount)> {
    let mut select = organisation::Entity::find();
    if !filter.kinds.is_empty() {
        select = select.filter(organisation::Column::Kind.is_in(filter.kinds.iter().copied()));
    }
    if let Some(text) = &filter.name_contains {
        select = select.filter(condition(
            db.get_database_backend(),
            "organisation.sort_name LIKE ? ESCAPE '\\'",
            [contains_pattern(text)],
        ));
    }
    let select = select
        .order_by(organisation::Column::SortName, Order::Asc)
        .order_by(organisation::Column::Id, Order::Asc);
    fetch_page(db, select, request).await
}

/// Professionals by family then given name. No filter on contact details: what a caller may
/// not read must not be searchable either.
#[tracing::instrument(skip(db))]
pub async fn professionals(
    db: &DatabaseConnection,
    request: PageRequest,
) -> AppResult<(Page<professional::Model>, TotalCount)> {
    let select = professional::Entity::find()
        .order_by(professional::Column::SortName, Order::Asc)
        .order_by(professional::Column::Id, Order::Asc);
    fetch_page(db, select, request).await
}

#[tracing::instrument(skip(db))]
pub async fn meetings(
    db: &DatabaseConnection,
    request: PageRequest,
) -> AppResult<(Page<meeting::Model>, TotalCount)> {
    let select = meeting::Entity::find()
        .order_by(meeting::Column::HeldOn, Order::Desc)
        .order_by(meeting::Column::Id, Order::Desc);
    fetch_page(db, select, request).await
}

/// Looks a row up by its unique slug; with a kind, a former slug (renamed or merged) also
/// finds the row it now stands for.
macro_rules! by_slug {
    ($name:ident, $module:ident) => {
        #[tracing::instrument(skip(db))]
        pub async fn $name(
            db: &DatabaseConnection,
            slug: &str,
        ) -> AppResult<Option<$module::Model>> {
            Ok($module::Entity::find()
                .filter($module::Column::Slug.eq(slug))
                .one(db)
                .await?)
        }
    };
    ($name:ident, $module:ident, $kind:ident) => {
        #[tracing::instrument(skip(db))]
        pub async fn $name(
            db: &DatabaseConnection,
            slug: &str,
        ) -> AppResult<Option<$module::Model>> {
            let found = $module::Entity::find()
                .filter($module::Column::Slug.eq(slug))
                .one(db)
                .await?;
            if found.is_some() {
                return Ok(found);
            }
            match alias_target(db, ReferenceKind::$kind, slug).await? {
                Some(id) => Ok($module::Entity::find_by_id(id).one(db).await?),
                None => Ok(None),
            }
        }
    };
}

by_slug!(meeting_by_slug, meeting, Meeting);
by_slug!(territory_by_slug, territory, Territory);
by_slug!(theme_by_slug, theme, Theme);
by_slug!(organisation_by_slug, organisation, Organisation);
by_slug!(professional_by_slug, professional, Professional);

/// The id of the organisation named by `reference`: its slug, global id or UUID.
pub async fn organisation_id(db: &DatabaseConnection, reference: &str) -> AppResult<Option<Uuid>> {
    let uuid = reference
        .strip_prefix("Organisation:")
        .unwrap_or(reference)
        .parse::<Uuid>();
    let found = match uuid {
        Ok(id) => organisation::Entity::find_by_id(id).one(db).await?,
        Err(_) => organisation_by_slug(db, reference).await?,
    };
    Ok(found.map(|organisation| organisation.id))
}
