use crate::enums::ModerationStatus;
use sea_orm::entity::prelude::*;

/// A change a partner proposes to a published initiative. The initiative stays as it is
/// until a moderator approves the proposal, which then applies `changes` to it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_proposal")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub initiative_id: Uuid,
    pub organisation_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    pub status: ModerationStatus,
    /// The proposed values as JSON, only for the fields the proposal changes.
    pub changes: String,
    /// The initiative's version the proposal was made against.
    pub base_version: i32,
    pub version: i32,
    pub submitted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
