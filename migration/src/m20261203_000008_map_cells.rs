//! The published initiatives counted per cell of the map's grid at zoom 12 (cells of
//! 360 / 4096 = 0.087890625°, about 10 km), with the sums of their points in thousandths
//! of a degree (the precision places are rounded to, so sums stay exact whatever is added
//! and taken away). A public map view adds up these cells instead of reading every point.
//!
//! Triggers keep the cells in the transaction that writes an initiative, whatever writes
//! it: publication, withdrawal, a moved place, a merge, an import. A cell left empty stays,
//! with a count of zero, so that a publication never races a deletion of its cell.
//!
//! A second index on the places, longitude first, lets the thin strips of a box along its
//! west and east edges be read from the index alone, as the strips along its south and
//! north edges are from the latitude-first one.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The cell size in degrees at zoom 12, exact in binary.
const CELL: &str = "0.087890625";

/// The cell (row, column) of the point of `row` (`NEW` or `OLD`) and the point in
/// thousandths, as SQL expressions.
fn cell(backend: DbBackend, row: &str) -> [String; 4] {
    let index = |column: &str| match backend {
        DbBackend::Postgres => format!("CAST(FLOOR(({row}.{column} + 180) / {CELL}) AS BIGINT)"),
        // Truncation is the floor here: the value is never negative.
        _ => format!("CAST(({row}.{column} + 180) / {CELL} AS INTEGER)"),
    };
    let thousandths = |column: &str| format!("CAST(ROUND({row}.{column} * 1000) AS BIGINT)");
    [
        index("latitude"),
        index("longitude"),
        thousandths("latitude"),
        thousandths("longitude"),
    ]
}

/// Whether `row` counts on the map: published, with a place.
fn counted(row: &str) -> String {
    format!(
        "{row}.status = 'PUBLISHED' AND {row}.latitude IS NOT NULL \
         AND {row}.longitude IS NOT NULL"
    )
}

/// Takes `row`'s point out of its cell.
fn take_away(backend: DbBackend, row: &str) -> String {
    let [cell_row, cell_column, latitude, longitude] = cell(backend, row);
    format!(
        "UPDATE map_cell SET initiatives = initiatives - 1, \
         latitude_sum = latitude_sum - {latitude}, longitude_sum = longitude_sum - {longitude} \
         WHERE cell_row = {cell_row} AND cell_column = {cell_column}"
    )
}

/// The fill of the cells from the initiatives as they are.
fn fill(backend: DbBackend) -> String {
    let [cell_row, cell_column, latitude, longitude] = cell(backend, "initiative");
    format!(
        "INSERT INTO map_cell (cell_row, cell_column, initiatives, latitude_sum, longitude_sum) \
         SELECT {cell_row}, {cell_column}, COUNT(*), CAST(SUM({latitude}) AS BIGINT), \
         CAST(SUM({longitude}) AS BIGINT) FROM initiative WHERE {counted} \
         GROUP BY {cell_row}, {cell_column}",
        counted = counted("initiative")
    )
}

const CREATE: &str = "CREATE TABLE map_cell (\
     cell_row BIGINT NOT NULL, \
     cell_column BIGINT NOT NULL, \
     initiatives BIGINT NOT NULL, \
     latitude_sum BIGINT NOT NULL, \
     longitude_sum BIGINT NOT NULL, \
     PRIMARY KEY (cell_row, cell_column))";

const INDEX: &str = "CREATE INDEX idx_initiative_place_by_longitude ON initiative \
     (status, longitude, latitude)";

fn postgres_up() -> Vec<String> {
    let backend = DbBackend::Postgres;
    let [cell_row, cell_column, latitude, longitude] = cell(backend, "NEW");
    vec![
        CREATE.to_owned(),
        fill(backend),
        format!(
            "CREATE FUNCTION map_cell_counts() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN \
                 IF TG_OP <> 'INSERT' THEN \
                     IF {old_counted} THEN {take_away}; END IF; \
                 END IF; \
                 IF TG_OP <> 'DELETE' THEN \
                     IF {new_counted} THEN \
                         INSERT INTO map_cell \
                             (cell_row, cell_column, initiatives, latitude_sum, longitude_sum) \
                         VALUES ({cell_row}, {cell_column}, 1, {latitude}, {longitude}) \
                         ON CONFLICT (cell_row, cell_column) DO UPDATE SET \
                             initiatives = map_cell.initiatives + 1, \
                             latitude_sum = map_cell.latitude_sum + EXCLUDED.latitude_sum, \
                             longitude_sum = map_cell.longitude_sum + EXCLUDED.longitude_sum; \
                     END IF; \
                 END IF; \
                 RETURN NULL; \
             END $$",
            old_counted = counted("OLD"),
            new_counted = counted("NEW"),
            take_away = take_away(backend, "OLD"),
        ),
        "CREATE TRIGGER map_cell_on_insert_or_delete AFTER INSERT OR DELETE ON initiative \
         FOR EACH ROW EXECUTE FUNCTION map_cell_counts()"
            .to_owned(),
        "CREATE TRIGGER map_cell_on_update AFTER UPDATE OF status, latitude, longitude \
         ON initiative FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status \
         OR OLD.latitude IS DISTINCT FROM NEW.latitude \
         OR OLD.longitude IS DISTINCT FROM NEW.longitude) \
         EXECUTE FUNCTION map_cell_counts()"
            .to_owned(),
        INDEX.to_owned(),
    ]
}

fn sqlite_up() -> Vec<String> {
    let backend = DbBackend::Sqlite;
    let [cell_row, cell_column, latitude, longitude] = cell(backend, "NEW");
    let add = format!(
        "INSERT OR IGNORE INTO map_cell \
             (cell_row, cell_column, initiatives, latitude_sum, longitude_sum) \
         VALUES ({cell_row}, {cell_column}, 0, 0, 0); \
         UPDATE map_cell SET initiatives = initiatives + 1, \
             latitude_sum = latitude_sum + {latitude}, \
             longitude_sum = longitude_sum + {longitude} \
         WHERE cell_row = {cell_row} AND cell_column = {cell_column};"
    );
    let take_away = take_away(backend, "OLD");
    let (old_counted, new_counted) = (counted("OLD"), counted("NEW"));
    let changed = "UPDATE OF status, latitude, longitude ON initiative";
    vec![
        CREATE.to_owned(),
        fill(backend),
        format!(
            "CREATE TRIGGER map_cell_on_insert AFTER INSERT ON initiative \
             WHEN {new_counted} BEGIN {add} END"
        ),
        format!(
            "CREATE TRIGGER map_cell_on_delete AFTER DELETE ON initiative \
             WHEN {old_counted} BEGIN {take_away}; END"
        ),
        // Two triggers for an update: what they do adds up in either order.
        format!(
            "CREATE TRIGGER map_cell_on_update_from AFTER {changed} \
             WHEN {old_counted} BEGIN {take_away}; END"
        ),
        format!(
            "CREATE TRIGGER map_cell_on_update_to AFTER {changed} \
             WHEN {new_counted} BEGIN {add} END"
        ),
        INDEX.to_owned(),
    ]
}

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX idx_initiative_place_by_longitude",
    "DROP TRIGGER map_cell_on_update ON initiative",
    "DROP TRIGGER map_cell_on_insert_or_delete ON initiative",
    "DROP FUNCTION map_cell_counts()",
    "DROP TABLE map_cell",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP INDEX idx_initiative_place_by_longitude",
    "DROP TRIGGER map_cell_on_update_to",
    "DROP TRIGGER map_cell_on_update_from",
    "DROP TRIGGER map_cell_on_delete",
    "DROP TRIGGER map_cell_on_insert",
    "DROP TABLE map_cell",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
