//! The map: where initiatives are, and how many there are per cell of a map view.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use super::{context::ContextExt, initiative::InitiativeFilter};
use crate::{
    domain::place::{self, Grid},
    error::AppError,
    store,
};

/// A point on the map, in degrees (WGS 84), rounded to 3 decimals (about 100 m).
#[derive(SimpleObject, Clone, Copy)]
pub struct Point {
    /// From -90 (south) to 90 (north).
    pub latitude: f64,
    /// From -180 (west) to 180 (east).
    pub longitude: f64,
    /// For an initiative's place: true when its writer gave the point, false when it is
    /// the point of its territories. Null for the mean point of a cluster.
    pub explicit: Option<bool>,
}

/// The box of a map view, in degrees. `west` greater than `east` is a box crossing the
/// antimeridian (180°); `south` greater than `north` is BAD_USER_INPUT.
#[derive(InputObject, Clone, Copy)]
pub struct BoundingBox {
    /// The southern edge, from -90 to 90.
    pub south: f64,
    /// The western edge, from -180 to 180.
    pub west: f64,
    /// The northern edge, from -90 to 90, not south of `south`.
    pub north: f64,
    /// The eastern edge, from -180 to 180.
    pub east: f64,
}

impl BoundingBox {
    /// The box, checked; errors name `field`'s sides (`filter.within.north`).
    pub fn parse(self, field: &str) -> Result<place::BoundingBox, AppError> {
        place::BoundingBox::parse(field, self.south, self.west, self.north, self.east)
    }
}

/// The edges of a cell of the map's grid, in degrees.
#[derive(SimpleObject, Clone, Copy)]
pub struct Bounds {
    /// The southern edge.
    pub south: f64,
    /// The western edge.
    pub west: f64,
    /// The northern edge.
    pub north: f64,
    /// The eastern edge.
    pub east: f64,
}

/// The initiatives of one cell of the map's grid.
#[derive(SimpleObject, Clone)]
pub struct InitiativeCluster {
    /// How many initiatives the caller may see are in the cell (and match the filter).
    pub count: i32,
    /// The mean of their points: where to draw the cluster.
    pub point: Point,
    /// The cell.
    pub bounds: Bounds,
}

#[derive(Default)]
pub struct MapQuery;

#[Object]
impl MapQuery {
    /// The initiatives of a map view counted per cell of a grid, for drawing clusters where
    /// they are dense. The cells are squares of `360 / 2^zoom` degrees counted from -180°
    /// (zoom 6: 5.625°, zoom 10: about 0.35°), so each cell of a zoom lies in one cell of
    /// the zoom below; every cell the box touches, even in part, is counted whole (a
    /// cluster keeps its count as the view pans), and only cells holding initiatives are
    /// returned, north to south then west to east. Only initiatives the caller may see and
    /// that have a place are counted. A zoom outside 0 to 20, or a box covering more than 4,096 cells, is
    /// BAD_USER_INPUT. List the initiatives of a cell with `initiatives(filter: {within})`
    /// and the cell's `bounds`.
    async fn initiative_clusters(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The grid: cells of 360 / 2^zoom degrees, zoom from 0 to 20.")] zoom: i32,
        #[graphql(desc = "The map view.")] within: BoundingBox,
        #[graphql(desc = "Criteria the counted initiatives must meet (not `within`).")]
        filter: Option<InitiativeFilter>,
    ) -> Result<Vec<InitiativeCluster>> {
        let within = within.parse("within")?;
        let grid = Grid::parse("zoom", zoom, "within", &within)?;
        let filter = filter.unwrap_or_default().parse()?;
        if filter.within.is_some() {
            return Err(AppError::bad_input(
                "filter.within",
                "the box of the clusters is `within`: leave it out of the filter",
            )
            .into());
        }
        let state = ctx.state()?;
        let found =
            store::places::clusters(&state.db, &state.scope, &filter, &within, &grid).await?;
        Ok(found
            .into_iter()
            .map(|cluster| {
                let clamp = |latitude: f64| latitude.clamp(-90.0, 90.0);
                InitiativeCluster {
                    count: i32::try_from(cluster.count).unwrap_or(i32::MAX),
                    point: Point {
                        latitude: cluster.latitude,
                        longitude: cluster.longitude,
                        explicit: None,
                    },
                    bounds: Bounds {
                        south: clamp(grid.start(cluster.row)),
                        north: clamp(grid.start(cluster.row + 1)),
                        west: grid.start(cluster.column),
                        east: grid.start(cluster.column + 1).min(180.0),
                    },
                }
            })
            .collect())
    }
}
