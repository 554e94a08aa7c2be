//! Where an initiative is on a map: a point derived from its territories, or one its
//! writer gave (`place_explicit`), rounded so that it never pinpoints a street address.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds only one column per ALTER TABLE.
        for column in [
            double_null("latitude"),
            double_null("longitude"),
            boolean("place_explicit").default(false).take(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table("initiative")
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        // The initiatives already there get the place of their territories: the mean of the
        // points of their most local territories having one (the rule the application
        // applies on every later change).
        let locality = "CASE t.kind WHEN 'PRIORITY_NEIGHBOURHOOD' THEN 0 \
             WHEN 'MUNICIPALITY' THEN 1 WHEN 'INTERCOMMUNALITY' THEN 2 WHEN 'OTHER' THEN 3 \
             WHEN 'DEPARTMENT' THEN 4 ELSE 5 END";
        let placed = "FROM initiative_territory it JOIN territory t ON t.id = it.territory_id \
             WHERE it.initiative_id = initiative.id \
             AND t.latitude IS NOT NULL AND t.longitude IS NOT NULL";
        let mean = |column: &str| {
            format!(
                "(SELECT ROUND(AVG(t.{column}) * 1000) / 1000 {placed} \
                 AND {locality} = (SELECT MIN({locality}) {placed}))"
            )
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE initiative SET latitude = {}, longitude = {}",
                mean("latitude"),
                mean("longitude")
            ))
            .await?;
        // The map reads the published points inside a box, or counts them per cell: the
        // status first, then the coordinates, so both read the index alone (an index-only
        // scan on PostgreSQL, a covering index on SQLite) without touching the rows.
        manager
            .create_index(
                Index::create()
                    .name("idx_initiative_place")
                    .table("initiative")
                    .col("status")
                    .col("latitude")
                    .col("longitude")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_initiative_place")
                    .table("initiative")
                    .to_owned(),
            )
            .await?;
        for column in ["place_explicit", "longitude", "latitude"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("initiative")
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
