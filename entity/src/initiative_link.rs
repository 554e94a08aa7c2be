use crate::enums::InitiativeLinkKind;
use sea_orm::entity::prelude::*;

/// A directed link from one initiative to another.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "initiative_link")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub from_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub to_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: InitiativeLinkKind,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
