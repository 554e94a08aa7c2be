use sea_orm::entity::prelude::*;

/// One attempt at a delivery: what the endpoint answered, and how long it took.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempt")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub delivery_id: Uuid,
    pub attempted_at: DateTimeUtc,
    /// The HTTP status answered; none when no answer came.
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    /// Why no answer came, or why it was refused.
    pub error: Option<String>,
    /// The start of the answer's body, for whoever looks into a failure.
    pub response_excerpt: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
