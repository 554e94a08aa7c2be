use crate::enums::ModerationStatus;
use sea_orm::entity::prelude::*;

/// A partner's account (*retour d'expérience*) of doing or adapting a published initiative.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "experience")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub initiative_id: Uuid,
    pub author_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub status: ModerationStatus,
    /// When it was last submitted for moderation.
    pub submitted_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
