use crate::enums::ParticipantRole;
use sea_orm::entity::prelude::*;

/// A professional's presence at a meeting, with the job title they had then. The
/// professional may be erased later; the row stays as an anonymous trace.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting_participant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub professional_id: Option<Uuid>,
    pub role: ParticipantRole,
    pub job_title: Option<String>,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
