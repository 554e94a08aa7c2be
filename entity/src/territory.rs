use crate::enums::TerritoryKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "territory")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// The name folded for ordering (lower case, no accents), so both backends sort alike.
    pub sort_name: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub kind: TerritoryKind,
    pub official_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
