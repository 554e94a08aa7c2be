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
