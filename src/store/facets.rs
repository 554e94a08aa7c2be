//! The kept facets: the published initiatives per (theme, territory) pair they answer,
//! with their public sort key, kept by triggers in the writing transaction (see the
//! migration `m20261203_000010_initiative_facets`). The nil id stands for "any".
//!
//! A public list on a theme and a territory reads the first rows of one index range
//! instead of walking both hierarchies and joining every link, and its count is the
//! length of that range: the cost follows the page, not the catalogue.

use entity::initiative;
use sea_orm::{
    ConnectionTrait, DbBackend, ExprTrait, Order, QueryOrder, QueryTrait, Select, Statement, Value,
    sea_query::{Condition, Expr, JoinType},
};
use uuid::Uuid;

use super::sql::for_backend;
use crate::{
    domain::{
        initiative_query::{Facet, InitiativeFilter},
        visibility::ContributionScope,
    },
    error::AppResult,
};

const FACETS: &str = "initiative_facet";

/// The facet whose kept rows answer `filter` for `scope`: only the public's lists, which
/// see nothing but published initiatives, as the rows hold.
pub fn answering(scope: &ContributionScope, filter: &InitiativeFilter) -> Option<Facet> {
    if *scope == ContributionScope::PublishedOnly {
        filter.facet()
    } else {
        None
    }
}

/// The ids the rows of `facet` are kept under.
fn keys(facet: Facet) -> (Uuid, Uuid) {
    (
        facet.theme.unwrap_or_else(Uuid::nil),
        facet.territory.unwrap_or_else(Uuid::nil),
    )
}

/// `select` limited to the initiatives of `facet`, joined to its kept rows.
pub fn join(mut select: Select<initiative::Entity>, facet: Facet) -> Select<initiative::Entity> {
    let (theme, territory) = keys(facet);
    QueryTrait::query(&mut select).join(
        JoinType::InnerJoin,
        FACETS,
        Condition::all()
            .add(
                Expr::col((FACETS, "initiative_id"))
                    .equals((initiative::Entity, initiative::Column::Id)),
            )
            .add(Expr::col((FACETS, "theme_id")).eq(theme))
            .add(Expr::col((FACETS, "territory_id")).eq(territory)),
    );
    select
}

/// `select` (joined by [`join`]) in the public order, newest publication first (or last
/// when not `descending`), read from the kept rows so that a page stops at its last row.
pub fn in_public_order(
    select: Select<initiative::Entity>,
    descending: bool,
) -> Select<initiative::Entity> {
    let direction = if descending { Order::Desc } else { Order::Asc };
    select
        .order_by(Expr::col((FACETS, "published_at")).is_null(), Order::Asc)
        .order_by(Expr::col((FACETS, "published_at")), direction.clone())
        .order_by(Expr::col((FACETS, "initiative_id")), direction)
}

/// The ids of the initiatives of `facet`, as SQL with its values.
pub fn ids(backend: DbBackend, facet: Facet) -> (String, Vec<Value>) {
    let (theme, territory) = keys(facet);
    (
        for_backend(
            backend,
            "SELECT initiative_id AS id FROM initiative_facet WHERE theme_id = ? AND territory_id = ?",
        ),
        vec![theme.into(), territory.into()],
    )
}

/// How many published initiatives answer `facet`: the length of its range.
pub async fn count(db: &impl ConnectionTrait, facet: Facet) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let (theme, territory) = keys(facet);
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            for_backend(
                backend,
                "SELECT COUNT(*) AS total FROM initiative_facet \
                 WHERE theme_id = ? AND territory_id = ?",
            ),
            [theme.into(), territory.into()],
        ))
        .await?;
    let total: i64 = match row {
        Some(row) => row.try_get("", "total")?,
        None => 0,
    };
    Ok(u64::try_from(total).unwrap_or_default())
}

/// The territory (nil for the whole catalogue) whose kept dashboard counts answer a
/// dashboard of `scope` with `filter`: the public's, with no criterion or a territory
/// alone.
pub fn tallied(scope: &ContributionScope, filter: &InitiativeFilter) -> Option<Uuid> {
    if *scope != ContributionScope::PublishedOnly {
        return None;
    }
    if *filter == InitiativeFilter::default() {
        return Some(Uuid::nil());
    }
    match filter.facet() {
        Some(Facet {
            theme: None,
            territory: Some(territory),
        }) if filter.facet_alone() => Some(territory),
        _ => None,
    }
}

/// What a dashboard counts by: the `dimension` of its kept counts.
#[derive(Debug, Clone, Copy)]
pub enum Tally {
    Total,
    Month,
    Audience,
    OrganisationKind,
    /// Top-level themes, by id.
    Theme,
    /// Territories of this kind, by id.
    Territory(&'static str),
}

/// The kept counts of `territory`'s dashboard by `tally`, those above zero: each key as
/// text (months, audiences, kinds) or as an id (themes, territories), with its count.
pub async fn tally(
    db: &impl ConnectionTrait,
    territory: Uuid,
    tally: Tally,
) -> AppResult<Vec<(String, Uuid, u64)>> {
    let backend = db.get_database_backend();
    let (dimension, kind) = match tally {
        Tally::Total => ("total", None),
        Tally::Month => ("month", None),
        Tally::Audience => ("audience", None),
        Tally::OrganisationKind => ("organisation_kind", None),
        Tally::Theme => ("theme", None),
        Tally::Territory(kind) => ("territory", Some(kind)),
    };
    let mut values: Vec<Value> = vec![territory.into(), dimension.into()];
    let of_kind = match kind {
        Some(kind) => {
            values.push(kind.into());
            " AND d.key_id IN (SELECT id FROM territory WHERE kind = ?)"
        }
        None => "",
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            for_backend(
                backend,
                &format!(
                    "SELECT d.key_text AS key_text, d.key_id AS key_id, \
                     d.initiatives AS initiatives FROM dashboard_tally d \
                     WHERE d.territory_id = ? AND d.dimension = ?{of_kind} \
                     AND d.initiatives > 0"
                ),
            ),
            values,
        ))
        .await?;
    rows.iter()
        .map(|row| {
            let count: i64 = row.try_get("", "initiatives")?;
            Ok((
                row.try_get("", "key_text")?,
                row.try_get("", "key_id")?,
                u64::try_from(count).unwrap_or_default(),
            ))
        })
        .collect()
}
