use crate::enums::RevisionRole;
use sea_orm::entity::prelude::*;

/// One revision of a published initiative: its published fields after a change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "initiative_revision")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub initiative_id: Uuid,
    /// 1, 2, ... per initiative, in the order the changes were made.
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i32,
    pub created_at: DateTimeUtc,
    pub role: RevisionRole,
    pub organisation_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    pub comment: Option<String>,
    /// `domain::revision::Snapshot` as JSON.
    pub snapshot: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
