use crate::enums::ContactVisibility;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "professional")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    /// The name folded for ordering (lower case, no accents), so both backends sort alike.
    pub sort_name: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub contact_visibility: ContactVisibility,
    pub user_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
