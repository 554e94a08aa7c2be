//! Initiatives on the map: the places derived from territories, kept in step with them,
//! and the clusters of a map view counted in one grouped query.

use std::collections::{HashMap, HashSet};

use entity::{initiative, initiative_territory, territory};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::initiatives;
use crate::{
    domain::{
        initiative_query::InitiativeFilter,
        place::{self, BoundingBox, Grid},
        visibility::ContributionScope,
    },
    error::AppResult,
};

/// Ids read or written per statement.
const CHUNK: usize = 500;

/// Derives again the place of each of these initiatives whose writer gave none, from the
/// points of its territories as they are now. Only the rows whose place moves are written.
#[tracing::instrument(skip_all, fields(initiatives = initiative_ids.len()))]
pub async fn refresh(db: &impl ConnectionTrait, initiative_ids: &[Uuid]) -> AppResult<()> {
    for chunk in initiative_ids.chunks(CHUNK) {
        let derived: Vec<(Uuid, Option<f64>, Option<f64>)> = initiative::Entity::find()
            .select_only()
            .column(initiative::Column::Id)
            .column(initiative::Column::Latitude)
            .column(initiative::Column::Longitude)
            .filter(initiative::Column::PlaceExplicit.eq(false))
            .filter(initiative::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        if derived.is_empty() {
            continue;
        }
        let links = initiative_territory::Entity::find()
            .filter(
                initiative_territory::Column::InitiativeId
                    .is_in(derived.iter().map(|(id, ..)| *id)),
            )
            .all(db)
            .await?;
        let territory_ids: HashSet<Uuid> = links.iter().map(|link| link.territory_id).collect();
        let mut territories = HashMap::new();
        let territory_ids: Vec<Uuid> = territory_ids.into_iter().collect();
        for ids in territory_ids.chunks(CHUNK) {
            for found in territory::Entity::find()
                .filter(territory::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await?
            {
                territories.insert(found.id, found);
            }
        }
        let mut points: HashMap<Uuid, Vec<_>> = HashMap::new();
        for link in &links {
            let Some(found) = territories.get(&link.territory_id) else {
                continue;
            };
            if let (Some(latitude), Some(longitude)) = (found.latitude, found.longitude) {
                points
                    .entry(link.initiative_id)
                    .or_default()
                    .push((found.kind, latitude, longitude));
            }
        }
        for (id, latitude, longitude) in derived {
            let place = place::derived(points.remove(&id).unwrap_or_default());
            let now = (
                place.map(|point| point.latitude()),
                place.map(|point| point.longitude()),
            );
            if now == (latitude, longitude) {
                continue;
            }
            initiative::Entity::update_many()
                .col_expr(initiative::Column::Latitude, Expr::value(now.0))
                .col_expr(initiative::Column::Longitude, Expr::value(now.1))
                .filter(initiative::Column::Id.eq(id))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Derives again the places of the initiatives on any of these territories: after their
/// points changed, or initiatives were moved to them.
#[tracing::instrument(skip_all, fields(territories = territory_ids.len()))]
pub async fn refresh_on_territories(
    db: &impl ConnectionTrait,
    territory_ids: &[Uuid],
) -> AppResult<()> {
    let mut initiative_ids = HashSet::new();
    for chunk in territory_ids.chunks(CHUNK) {
        let found: Vec<Uuid> = initiative_territory::Entity::find()
            .select_only()
            .column(initiative_territory::Column::InitiativeId)
            .filter(initiative_territory::Column::TerritoryId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        initiative_ids.extend(found);
    }
    let initiative_ids: Vec<Uuid> = initiative_ids.into_iter().collect();
    refresh(db, &initiative_ids).await
}

/// Derives again the place of every initiative: after loading a whole catalogue.
#[tracing::instrument(skip_all)]
pub async fn refresh_all(db: &impl ConnectionTrait) -> AppResult<()> {
    let ids: Vec<Uuid> = initiative::Entity::find()
        .select_only()
        .column(initiative::Column::Id)
        .filter(initiative::Column::PlaceExplicit.eq(false))
        .into_tuple()
        .all(db)
        .await?;
    refresh(db, &ids).await
}

/// The initiatives of one cell of a map's grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The cell's index along latitudes and longitudes, from -180° (see [`Grid`]).
    pub row: i64,
    pub column: i64,
    pub count: u64,
    /// The mean of the initiatives' points.
    pub latitude: f64,
    pub longitude: f64,
}

/// The visible initiatives matching `filter` inside `within`, counted per cell of `grid`,
/// in one grouped query. Without other criteria, for the public, it reads the index of
/// published places alone.
#[tracing::instrument(skip(db))]
pub async fn clusters(
    db: &impl ConnectionTrait,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
    within: &BoundingBox,
    grid: &Grid,
) -> AppResult<Vec<Cluster>> {
    let backend = db.get_database_backend();
    let filter = InitiativeFilter {
        within: Some(*within),
        ..filter.clone()
    };
    let index = |column: &str| {
        let cell = grid.cell;
        let expr = match backend {
            DbBackend::Postgres => {
                format!("CAST(FLOOR((initiative.{column} + 180) / {cell:?}) AS BIGINT)")
            }
            // Truncation is the floor here: the value is never negative.
            _ => format!("CAST((initiative.{column} + 180) / {cell:?} AS INTEGER)"),
        };
        Expr::cust(expr)
    };
    let found: Vec<(i64, i64, i64, f64, f64)> = initiatives::select(backend, scope, &filter)
        .select_only()
        .column_as(index("latitude"), "cell_row")
        .column_as(index("longitude"), "cell_column")
        .column_as(Expr::cust("COUNT(*)"), "total")
        .column_as(Expr::cust("AVG(initiative.latitude)"), "mean_latitude")
        .column_as(Expr::cust("AVG(initiative.longitude)"), "mean_longitude")
        .group_by(index("latitude"))
        .group_by(index("longitude"))
        .into_tuple()
        .all(db)
        .await?;
    let mut clusters: Vec<Cluster> = found
        .into_iter()
        .map(|(row, column, count, latitude, longitude)| Cluster {
            row,
            column,
            count: u64::try_from(count).unwrap_or_default(),
            latitude,
            longitude,
        })
        .collect();
    clusters.sort_by_key(|cluster| (std::cmp::Reverse(cluster.row), cluster.column));
    Ok(clusters)
}
