//! Where initiatives are on a map: a point rounded so that it never pinpoints a street
//! address, the point derived from territories, the box of a map view and the grid that
//! clusters it.

use entity::enums::TerritoryKind;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Thousandths of a degree: about 100 m of latitude, the precision every stored point is
/// rounded to. A finer point could find a house; this one finds a neighbourhood.
const PER_DEGREE: f64 = 1000.0;

/// A point on the map, rounded to 3 decimals. Held as whole thousandths of a degree, so
/// that it compares exactly and keeps its rounding through JSON (proposals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    latitude_thousandths: i32,
    longitude_thousandths: i32,
}

impl Point {
    /// A point given by a writer; `field` names the input in errors (`input.place`).
    pub fn parse(field: &str, latitude: f64, longitude: f64) -> Result<Self, AppError> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(AppError::bad_input(
                format!("{field}.latitude"),
                "must be from -90 to 90",
            ));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(AppError::bad_input(
                format!("{field}.longitude"),
                "must be from -180 to 180",
            ));
        }
        Ok(Self::rounded(latitude, longitude))
    }

    /// The point rounded to the stored precision; the values must be in range.
    fn rounded(latitude: f64, longitude: f64) -> Self {
        let thousandths = |degrees: f64| (degrees * PER_DEGREE).round() as i32;
        Self {
            latitude_thousandths: thousandths(latitude),
            longitude_thousandths: thousandths(longitude),
        }
    }

    pub fn latitude(&self) -> f64 {
        f64::from(self.latitude_thousandths) / PER_DEGREE
    }

    pub fn longitude(&self) -> f64 {
        f64::from(self.longitude_thousandths) / PER_DEGREE
    }
}

/// Smaller for more local kinds of territory.
pub fn locality(kind: TerritoryKind) -> u8 {
    match kind {
        TerritoryKind::PriorityNeighbourhood => 0,
        TerritoryKind::Municipality => 1,
        TerritoryKind::Intercommunality => 2,
        TerritoryKind::Other => 3,
        TerritoryKind::Department => 4,
        TerritoryKind::Region => 5,
    }
}

/// The place of an initiative from its territories' points (kind, latitude, longitude):
/// the mean of the points of its most local territories that have one. An action in two
/// municipalities sits between them; one in a municipality and its department sits in the
/// municipality. None when no territory has a point.
pub fn derived(points: impl IntoIterator<Item = (TerritoryKind, f64, f64)>) -> Option<Point> {
    let points: Vec<_> = points
        .into_iter()
        .filter(|(_, latitude, longitude)| {
            (-90.0..=90.0).contains(latitude) && (-180.0..=180.0).contains(longitude)
        })
        .collect();
    let most_local = points.iter().map(|(kind, ..)| locality(*kind)).min()?;
    let chosen: Vec<_> = points
        .iter()
        .filter(|(kind, ..)| locality(*kind) == most_local)
        .collect();
    let count = chosen.len() as f64;
    let latitude = chosen.iter().map(|(_, latitude, _)| latitude).sum::<f64>() / count;
    let longitude = chosen.iter().map(|(.., longitude)| longitude).sum::<f64>() / count;
    Some(Point::rounded(latitude, longitude))
}

/// The box of a map view. `west` greater than `east` is a box crossing the antimeridian
/// (from 170° to -170° is 20° wide, around 180°).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

// Every value is checked finite when parsed, so equality is reflexive.
impl Eq for BoundingBox {}

impl BoundingBox {
    /// A box from its sides; `field` names the input in errors (`filter.within`).
    pub fn parse(
        field: &str,
        south: f64,
        west: f64,
        north: f64,
        east: f64,
    ) -> Result<Self, AppError> {
        for (side, value) in [("south", south), ("north", north)] {
            if !value.is_finite() || !(-90.0..=90.0).contains(&value) {
                return Err(AppError::bad_input(
                    format!("{field}.{side}"),
                    "must be from -90 to 90",
                ));
            }
        }
        for (side, value) in [("west", west), ("east", east)] {
            if !value.is_finite() || !(-180.0..=180.0).contains(&value) {
                return Err(AppError::bad_input(
                    format!("{field}.{side}"),
                    "must be from -180 to 180",
                ));
            }
        }
        if south > north {
            return Err(AppError::bad_input(
                format!("{field}.north"),
                format!("{north} is south of the box's south side ({south})"),
            ));
        }
        Ok(Self {
            south,
            west,
            north,
            east,
        })
    }

    /// Whether the box goes over 180° of longitude.
    pub fn crosses_antimeridian(&self) -> bool {
        self.west > self.east
    }

    /// The longitude spans of the box: one, or two on each side of the antimeridian.
    pub fn longitude_spans(&self) -> Vec<(f64, f64)> {
        if self.crosses_antimeridian() {
            vec![(self.west, 180.0), (-180.0, self.east)]
        } else {
            vec![(self.west, self.east)]
        }
    }
}

/// The most zoomed-in grid: cells of 360 / 2^20 degrees, about 4 m.
pub const MAX_ZOOM: i32 = 20;

/// The most cells one box may cover: a screen's worth of clusters, and a bound on the rows
/// one request groups.
pub const MAX_CELLS: u64 = 4096;

/// The grid of a zoom level: square cells of `360 / 2^zoom` degrees, counted from -180° on
/// both axes so that every cell of a zoom lies inside one cell of the zoom below.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    pub zoom: i32,
    pub cell: f64,
}

impl Grid {
    /// The grid of `zoom` over `within`; refused when the zoom is out of range
    /// (`zoom_field`) or the box covers more than [`MAX_CELLS`] cells (`within_field`).
    pub fn parse(
        zoom_field: &str,
        zoom: i32,
        within_field: &str,
        within: &BoundingBox,
    ) -> Result<Self, AppError> {
        if !(0..=MAX_ZOOM).contains(&zoom) {
            return Err(AppError::bad_input(
                zoom_field,
                format!("must be from 0 to {MAX_ZOOM}"),
            ));
        }
        let grid = Self::at(zoom);
        let cells = grid.cells_in(within);
        if cells > MAX_CELLS {
            return Err(AppError::bad_input(
                within_field,
                format!(
                    "covers {cells} cells at zoom {zoom}, more than {MAX_CELLS}: zoom out or \
                     narrow the box"
                ),
            ));
        }
        Ok(grid)
    }

    /// The index of the cell holding `degrees` along one axis.
    pub fn index(&self, degrees: f64) -> i64 {
        ((degrees + 180.0) / self.cell).floor() as i64
    }

    /// Where the cell of `index` starts along one axis, in degrees.
    pub fn start(&self, index: i64) -> f64 {
        index as f64 * self.cell - 180.0
    }

    /// How many cells the box covers.
    fn cells_in(&self, within: &BoundingBox) -> u64 {
        let cells = self.cells(within);
        let span = |(from, to): (i64, i64)| (to - from + 1).max(0) as u64;
        let columns: u64 = cells.columns.iter().copied().map(span).sum();
        span(cells.rows).saturating_mul(columns)
    }

    /// The grid at `zoom`, which must be from 0 to [`MAX_ZOOM`].
    pub fn at(zoom: i32) -> Self {
        debug_assert!((0..=MAX_ZOOM).contains(&zoom));
        Self {
            zoom,
            cell: 360.0 / f64::from(1u32 << zoom),
        }
    }

    /// The cells the box touches, even in part.
    pub fn cells(&self, within: &BoundingBox) -> Cells {
        Cells {
            rows: (self.index(within.south), self.index(within.north)),
            columns: within
                .longitude_spans()
                .into_iter()
                .map(|(west, east)| (self.index(west), self.index(east)))
                .collect(),
        }
    }

    /// The cells lying wholly inside the span from `from` to `to` (both included) along
    /// one axis, as (first, last); empty when `last < first`. A cell holds the points from
    /// its start up to, not including, the next cell's start.
    pub fn inside(&self, from: f64, to: f64) -> (i64, i64) {
        let first = self.index(from);
        let first = if self.start(first) < from {
            first + 1
        } else {
            first
        };
        // The cell of `to` ends after `to`: the cells before it are inside.
        (first, self.index(to) - 1)
    }
}

/// The cells of a grid a box touches: a range of rows, and one range of columns on each
/// side of the antimeridian it crosses. Both ends included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cells {
    pub rows: (i64, i64),
    pub columns: Vec<(i64, i64)>,
}

impl Cells {
    pub fn contains(&self, row: i64, column: i64) -> bool {
        let within = |(first, last): (i64, i64), index: i64| (first..=last).contains(&index);
        within(self.rows, row) && self.columns.iter().any(|&columns| within(columns, column))
    }

    /// The box these cells cover, edges included: its points are those of the cells, and
    /// those lying on the far edges (which belong to the next cells).
    pub fn bounds(&self, grid: &Grid) -> BoundingBox {
        let end = |last: i64, limit: f64| grid.start(last + 1).min(limit);
        let (first_columns, last_columns) = (
            self.columns.first().copied().unwrap_or_default(),
            self.columns.last().copied().unwrap_or_default(),
        );
        let (mut west, mut east) = (
            grid.start(first_columns.0).max(-180.0),
            end(last_columns.1, 180.0),
        );
        if self.columns.len() > 1 && west <= east {
            // The cells of the two sides of the antimeridian meet: every longitude.
            (west, east) = (-180.0, 180.0);
        }
        BoundingBox {
            south: grid.start(self.rows.0).max(-90.0),
            north: end(self.rows.1, 90.0),
            west,
            east,
        }
    }
}

/// The zoom of the grid whose cells keep the count and the sum of the points of the
/// published initiatives in them, in the writing transaction (table `map_cell`): cells of
/// about 0.088°, 10 km. A public map view at this zoom or below adds up kept cells instead
/// of reading every point. The migration that creates the table writes the same grid.
pub const KEPT_ZOOM: i32 = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_is_rounded_to_about_a_hundred_metres() {
        let point = Point::parse("input.place", 48.573_41, 7.752_19).unwrap();
        assert_eq!((point.latitude(), point.longitude()), (48.573, 7.752));
        let error = Point::parse("input.place", 91.0, 0.0).unwrap_err();
        assert_eq!(error.code(), "BAD_USER_INPUT");
        assert!(error.public_message().starts_with("input.place.latitude"));
    }

    #[test]
    fn the_derived_place_is_the_mean_of_the_most_local_points() {
        let place = derived([
            (TerritoryKind::Department, 48.5, 7.5),
            (TerritoryKind::Municipality, 48.0, 7.0),
            (TerritoryKind::Municipality, 49.0, 8.0),
        ])
        .unwrap();
        assert_eq!((place.latitude(), place.longitude()), (48.5, 7.5));
        assert_eq!(derived([]), None);
    }

    #[test]
    fn a_box_with_its_south_above_its_north_is_refused() {
        let error = BoundingBox::parse("filter.within", 50.0, 0.0, 40.0, 5.0).unwrap_err();
        assert!(error.public_message().starts_with("filter.within.north"));
        let wrapped = BoundingBox::parse("within", -20.0, 170.0, -10.0, -170.0).unwrap();
        assert!(wrapped.crosses_antimeridian());
    }

    #[test]
    fn a_grid_refuses_too_many_cells_and_out_of_range_zooms() {
        let france = BoundingBox::parse("within", 41.0, -5.5, 51.5, 10.0).unwrap();
        assert!(Grid::parse("zoom", 6, "within", &france).is_ok());
        assert!(Grid::parse("zoom", 12, "within", &france).is_err());
        assert!(Grid::parse("zoom", 21, "within", &france).is_err());
        assert!(Grid::parse("zoom", -1, "within", &france).is_err());
        let grid = Grid::parse("zoom", 1, "within", &france).unwrap();
        assert_eq!(grid.cell, 180.0);
        assert_eq!(grid.index(7.0), 1);
        assert_eq!(grid.start(1), 0.0);
    }

    #[test]
    fn the_cells_inside_a_span_are_those_it_covers_whole() {
        let grid = Grid::at(1);
        assert_eq!(grid.inside(-180.0, 180.0), (0, 1));
        assert_eq!(grid.inside(-179.0, 180.0), (1, 1));
        assert_eq!(grid.inside(0.0, 179.0), (1, 0), "no cell whole: empty");
        let cells = grid.cells(&BoundingBox::parse("within", -10.0, 170.0, 10.0, -170.0).unwrap());
        assert_eq!(cells.rows, (0, 1));
        assert_eq!(cells.columns, [(1, 2), (0, 0)]);
        assert!(cells.contains(1, 0) && !cells.contains(2, 0));
        let bounds = cells.bounds(&grid);
        assert_eq!(
            (bounds.west, bounds.east, bounds.north),
            (-180.0, 180.0, 90.0)
        );
    }
}
