use sea_orm::entity::prelude::*;

/// An endpoint admins registered to be told of public changes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// The kinds of change it is told of, comma-separated (`INITIATIVE_PUBLISHED,…`).
    pub events: String,
    /// Changes of initiatives (and their experiences) are told only when the initiative has
    /// one of these themes (or a sub-theme): UUIDs, comma-separated; empty for any.
    #[sea_orm(column_type = "Text")]
    pub theme_ids: String,
    /// The same, for territories (or a territory they contain).
    #[sea_orm(column_type = "Text")]
    pub territory_ids: String,
    /// `whsec_` and the base64 of the signing key (Standard Webhooks).
    pub secret: String,
    pub enabled: bool,
    /// Why deliveries stopped, when they did.
    pub disabled_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
