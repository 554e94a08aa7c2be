use sea_orm::entity::prelude::*;

/// One committed change of the catalogue, in the order of commits: the change stream's
/// outbox. Ids and kinds only, never personal data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_event")]
pub struct Model {
    /// Strictly increasing, in commit order.
    #[sea_orm(primary_key)]
    pub sequence: i64,
    pub occurred_at: DateTimeUtc,
    /// `INITIATIVE_PUBLISHED`, `REFERENCE_CHANGED`, ...
    pub kind: String,
    /// The kind of the subject, as in global ids: `Initiative`, `Theme`, ...
    pub subject_type: String,
    pub subject_id: Uuid,
    /// Who may see the change: `PUBLIC`, `ORGANISATION` (with `organisation_id`), `MODERATORS`.
    pub audience: String,
    pub organisation_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
