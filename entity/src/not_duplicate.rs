use sea_orm::entity::prelude::*;

/// Two initiatives decided not to be the same action: neither is suggested as a look-alike
/// of the other any more. The pair is stored in order, `low_id < high_id`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "not_duplicate")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub low_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub high_id: Uuid,
    /// The account that decided, when a person did.
    pub decided_by: Option<Uuid>,
    /// The API key that decided, when a tool did.
    pub decided_by_key: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
