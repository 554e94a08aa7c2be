//! The initiative list: visibility, filters and orderings as one SQL query.

use entity::initiative;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbBackend, EntityTrait, ExprTrait, Order,
    QueryFilter, QueryOrder, Select, sea_query::Expr,
};

use super::{
    page::{Page, TotalCount, fetch_page},
    sql::{condition, descendants_or_self, placeholders},
};
use crate::{
    domain::{
        initiative_query::{InitiativeFilter, InitiativeOrder, InitiativeOrderField},
        page::PageRequest,
        visibility::ContributionScope,
    },
    error::AppResult,
};

/// The initiatives the scope lets the caller see.
pub fn visible(scope: &ContributionScope) -> Condition {
    Condition::all().add(initiative::Column::Status.is_in(scope.visible_statuses().iter().copied()))
}

/// The initiatives of `scope` that match `filter`, unordered.
pub fn select(
    backend: DbBackend,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
) -> Select<initiative::Entity> {
    let mut select = initiative::Entity::find().filter(visible(scope));
    if !filter.theme_ids.is_empty() {
        let themes = descendants_or_self("theme", "theme", "id", "parent_id", &filter.theme_ids);
        select = select.filter(condition(
            backend,
            &format!(
                "initiative.id IN (SELECT initiative_id FROM initiative_theme \
                 WHERE theme_id IN ({themes}))"
            ),
            filter.theme_ids.iter().copied(),
        ));
    }
    if !filter.territory_ids.is_empty() {
        let territories = descendants_or_self(
            "territory",
            "territory_parent",
            "child_id",
            "parent_id",
            &filter.territory_ids,
        );
        select = select.filter(condition(
            backend,
            &format!(
                "initiative.id IN (SELECT initiative_id FROM initiative_territory \
                 WHERE territory_id IN ({territories}))"
            ),
            filter.territory_ids.iter().copied(),
        ));
    }
    if !filter.organisation_ids.is_empty() {
        select = select.filter(condition(
            backend,
            &format!(
                "initiative.id IN (SELECT initiative_id FROM initiative_organisation \
                 WHERE organisation_id IN ({}))",
                placeholders(filter.organisation_ids.len())
            ),
            filter.organisation_ids.iter().copied(),
        ));
    }
    if !filter.audiences.is_empty() {
        select = select.filter(condition(
            backend,
            &format!(
                "initiative.id IN (SELECT initiative_id FROM initiative_audience \
                 WHERE audience IN ({}))",
                placeholders(filter.audiences.len())
            ),
            filter.audiences.iter().map(|audience| audience.as_str()),
        ));
    }
    if let Some(meeting_id) = filter.meeting_id {
        select = select.filter(condition(
            backend,
            "initiative.id IN (SELECT initiative_id FROM initiative_meeting WHERE meeting_id = ?)",
            [meeting_id],
        ));
    }
    if let Some(from) = filter.started.from {
        select = select.filter(initiative::Column::StartedOn.gte(from));
    }
    if let Some(to) = filter.started.to {
        select = select.filter(initiative::Column::StartedOn.lte(to));
    }
    select
}

/// Orders by the chosen field, empty values last on both backends, then by id so that
/// ties have one stable order and pages never overlap.
pub fn order(
    select: Select<initiative::Entity>,
    order: InitiativeOrder,
) -> Select<initiative::Entity> {
    let direction = if order.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let (column, nullable) = match order.field {
        InitiativeOrderField::PublishedAt => (initiative::Column::PublishedAt, true),
        InitiativeOrderField::Title => (initiative::Column::TitleSort, false),
        InitiativeOrderField::StartedOn => (initiative::Column::StartedOn, true),
    };
    let select = if nullable {
        select.order_by(Expr::col(column).is_null(), Order::Asc)
    } else {
        select
    };
    select
        .order_by(column, direction.clone())
        .order_by(initiative::Column::Id, direction)
}

/// One page of the initiatives matching `filter`.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &DatabaseConnection,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
    sort: InitiativeOrder,
    request: PageRequest,
) -> AppResult<(Page<initiative::Model>, TotalCount)> {
    let select = select(db.get_database_backend(), scope, filter);
    fetch_page(db, order(select, sort), request).await
}

/// The initiative with this slug, if the caller may see it.
#[tracing::instrument(skip(db))]
pub async fn by_slug(
    db: &DatabaseConnection,
    scope: &ContributionScope,
    slug: &str,
) -> AppResult<Option<initiative::Model>> {
    Ok(initiative::Entity::find()
        .filter(visible(scope))
        .filter(initiative::Column::Slug.eq(slug))
        .one(db)
        .await?)
}
