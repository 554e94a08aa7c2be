use sea_orm::entity::prelude::*;

/// A former slug of a territory, theme, organisation or professional, so that links made
/// before a rename or a merge keep resolving to the object (or to the one it was merged
/// into).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "slug_alias")]
pub struct Model {
    /// The table of the object: `territory`, `theme`, `organisation`, `professional`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub slug: String,
    pub target_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
