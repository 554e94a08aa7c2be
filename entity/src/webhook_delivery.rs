use sea_orm::entity::prelude::*;

/// A change owed to an endpoint: its body as signed, and where its delivery stands.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The change's place in the change stream.
    pub sequence: i64,
    pub kind: String,
    /// The JSON body sent, the same at every attempt.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// `PENDING`, `DELIVERED` or `FAILED`.
    pub status: String,
    pub attempts: i32,
    /// When it is tried next (a pending delivery), or was claimed until.
    pub next_attempt_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
