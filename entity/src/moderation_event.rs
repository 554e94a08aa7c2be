use crate::enums::{ModerationAction, ModerationStatus, SubjectType};
use sea_orm::entity::prelude::*;

/// The append-only audit log of contributions: rows are inserted, never updated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "moderation_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_type: SubjectType,
    pub subject_id: Uuid,
    pub actor_id: Option<Uuid>,
    /// The API key the actor wrote with, when a tool wrote.
    pub api_key_id: Option<Uuid>,
    pub action: ModerationAction,
    pub from_status: Option<ModerationStatus>,
    pub to_status: Option<ModerationStatus>,
    pub comment: Option<String>,
    /// The other initiative the event is about: the other half of a pair decided not
    /// duplicates, the initiative merged into the subject.
    pub related_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
