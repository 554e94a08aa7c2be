//! Initiatives on the map: the places derived from territories, kept in step with them,
//! the clusters of a map view and the count of a box, from the cells kept per zoom-12
//! cell where they answer.

use std::collections::{HashMap, HashSet};

use entity::{enums::ModerationStatus, initiative, initiative_territory, territory};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement,
    sea_query::Expr,
};
use uuid::Uuid;

use super::initiatives;
use crate::{
    domain::{
        initiative_query::InitiativeFilter,
        place::{self, BoundingBox, Cells, Grid, KEPT_ZOOM},
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

/// A cell's count and the sums of its points, in thousandths of a degree.
type CellSums = (i64, i64, i64, i64, i64);

impl Cluster {
    fn from_sums((row, column, count, latitude, longitude): CellSums) -> Self {
        // The same arithmetic whether the sums were kept or just added up.
        let mean = |sum: i64| sum as f64 / count as f64 / 1000.0;
        Self {
            row,
            column,
            count: u64::try_from(count).unwrap_or_default(),
            latitude: mean(latitude),
            longitude: mean(longitude),
        }
    }
}

/// Whether the kept cells answer for this caller and filter: they count the published
/// initiatives, with no other criterion than a box.
fn kept_cells_answer(scope: &ContributionScope, filter: &InitiativeFilter) -> bool {
    *scope == ContributionScope::PublishedOnly
        && *filter
            == InitiativeFilter {
                within: filter.within,
                ..InitiativeFilter::default()
            }
}

/// The visible initiatives matching `filter` in every cell of `grid` that `within` touches,
/// even in part: a cell's count does not change as the view pans. For the public with no
/// other criteria, up to [`KEPT_ZOOM`], the kept cells are added up; otherwise the points
/// are read and grouped.
#[tracing::instrument(skip(db))]
pub async fn clusters(
    db: &impl ConnectionTrait,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
    within: &BoundingBox,
    grid: &Grid,
) -> AppResult<Vec<Cluster>> {
    let cells = grid.cells(within);
    let sums = if grid.zoom <= KEPT_ZOOM && kept_cells_answer(scope, filter) {
        kept_clusters(db, grid, &cells).await?
    } else {
        counted_clusters(db, scope, filter, grid, &cells).await?
    };
    let mut clusters: Vec<Cluster> = sums
        .into_iter()
        .filter(|(row, column, count, ..)| *count > 0 && cells.contains(*row, *column))
        .map(Cluster::from_sums)
        .collect();
    clusters.sort_by_key(|cluster| (std::cmp::Reverse(cluster.row), cluster.column));
    Ok(clusters)
}

/// The kept cells of [`KEPT_ZOOM`] inside `cells` of the coarser `grid`, added up per cell
/// of `grid` (each holds a square of 2^(12 - zoom) kept cells on a side). The indexes are
/// whole numbers computed from parsed bounds, written into the statement as numbers.
async fn kept_clusters(
    db: &impl ConnectionTrait,
    grid: &Grid,
    cells: &Cells,
) -> AppResult<Vec<CellSums>> {
    let per_cell = 1i64 << (KEPT_ZOOM - grid.zoom);
    let kept = |(first, last): (i64, i64)| (first * per_cell, (last + 1) * per_cell - 1);
    let (first_row, last_row) = kept(cells.rows);
    let columns = cells
        .columns
        .iter()
        .map(|&columns| {
            let (first, last) = kept(columns);
            format!("cell_column BETWEEN {first} AND {last}")
        })
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "SELECT cell_row / {per_cell} AS grid_row, cell_column / {per_cell} AS grid_column, \
         CAST(SUM(initiatives) AS BIGINT) AS total, \
         CAST(SUM(latitude_sum) AS BIGINT) AS latitude_sum, \
         CAST(SUM(longitude_sum) AS BIGINT) AS longitude_sum \
         FROM map_cell WHERE initiatives > 0 AND cell_row BETWEEN {first_row} AND {last_row} \
         AND ({columns}) GROUP BY cell_row / {per_cell}, cell_column / {per_cell}"
    );
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("", "grid_row")?,
                row.try_get("", "grid_column")?,
                row.try_get("", "total")?,
                row.try_get("", "latitude_sum")?,
                row.try_get("", "longitude_sum")?,
            ))
        })
        .collect()
}

/// The visible initiatives matching `filter` in `cells`, read and grouped in one query.
async fn counted_clusters(
    db: &impl ConnectionTrait,
    scope: &ContributionScope,
    filter: &InitiativeFilter,
    grid: &Grid,
    cells: &Cells,
) -> AppResult<Vec<CellSums>> {
    let backend = db.get_database_backend();
    let filter = InitiativeFilter {
        within: Some(cells.bounds(grid)),
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
    let sum = |column: &str| {
        Expr::cust(format!(
            "CAST(SUM(CAST(ROUND(initiative.{column} * 1000) AS BIGINT)) AS BIGINT)"
        ))
    };
    Ok(initiatives::select(backend, scope, &filter)
        .select_only()
        .column_as(index("latitude"), "cell_row")
        .column_as(index("longitude"), "cell_column")
        .column_as(Expr::cust("COUNT(*)"), "total")
        .column_as(sum("latitude"), "latitude_sum")
        .column_as(sum("longitude"), "longitude_sum")
        .group_by(index("latitude"))
        .group_by(index("longitude"))
        .into_tuple()
        .all(db)
        .await?)
}

/// How many published initiatives are inside `within`, edges included: the kept cells
/// lying wholly inside it, and the points of the thin strips between those cells and its
/// edges, in one statement. The public's count of a map view, without reading every point.
#[tracing::instrument(skip(db))]
pub async fn published_inside(db: &impl ConnectionTrait, within: &BoundingBox) -> AppResult<u64> {
    let kept = Grid::at(KEPT_ZOOM);
    let published = ModerationStatus::Published.as_str();
    let points = |latitudes: String, longitudes: String| {
        format!(
            "(SELECT COUNT(*) FROM initiative WHERE status = '{published}' \
             AND {latitudes} AND {longitudes})"
        )
    };
    let between =
        |column: &str, low: f64, high: f64| format!("{column} BETWEEN {low:?} AND {high:?}");
    let from_up_to =
        |column: &str, low: f64, high: f64| format!("{column} >= {low:?} AND {column} < {high:?}");
    let (south, north) = (within.south, within.north);
    let mut parts = Vec::new();
    for (west, east) in within.longitude_spans() {
        let rows = kept.inside(south, north);
        let columns = kept.inside(west, east);
        if rows.0 > rows.1 || columns.0 > columns.1 {
            parts.push(points(
                between("latitude", south, north),
                between("longitude", west, east),
            ));
            continue;
        }
        let (inner_south, inner_north) = (kept.start(rows.0), kept.start(rows.1 + 1));
        let (inner_west, inner_east) = (kept.start(columns.0), kept.start(columns.1 + 1));
        parts.push(format!(
            "(SELECT COALESCE(SUM(initiatives), 0) FROM map_cell \
             WHERE cell_row BETWEEN {} AND {} AND cell_column BETWEEN {} AND {})",
            rows.0, rows.1, columns.0, columns.1
        ));
        let middle = from_up_to("latitude", inner_south, inner_north);
        parts.extend([
            points(
                from_up_to("latitude", south, inner_south),
                between("longitude", west, east),
            ),
            points(
                format!("latitude >= {inner_north:?} AND latitude <= {north:?}"),
                between("longitude", west, east),
            ),
            points(middle.clone(), from_up_to("longitude", west, inner_west)),
            points(
                middle,
                format!("longitude >= {inner_east:?} AND longitude <= {east:?}"),
            ),
        ]);
    }
    let sql = format!("SELECT CAST({} AS BIGINT) AS total", parts.join(" + "));
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    let total: i64 = match row {
        Some(row) => row.try_get("", "total")?,
        None => 0,
    };
    Ok(u64::try_from(total).unwrap_or_default())
}

/// Whether [`published_inside`] counts `filter` for this caller.
pub fn counts_inside(scope: &ContributionScope, filter: &InitiativeFilter) -> Option<BoundingBox> {
    filter.within.filter(|_| kept_cells_answer(scope, filter))
}
