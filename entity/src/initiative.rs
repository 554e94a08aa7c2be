use crate::enums::ModerationStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "initiative")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    /// The title folded for ordering (lower case, no accents), so both backends sort alike.
    pub title_sort: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub summary: String,
    pub description: Option<String>,
    pub started_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub context: Option<String>,
    pub outcomes: Option<String>,
    pub continuation: Option<String>,
    pub status: ModerationStatus,
    /// The organisation that owns the contribution (the submitting partner's).
    pub organisation_id: Option<Uuid>,
    pub submitted_by: Option<Uuid>,
    /// When it was last submitted for moderation.
    pub submitted_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub version: i32,
    /// Where it is on a map, rounded to 3 decimals: the writer's point when
    /// `place_explicit`, else derived from its territories' points (null when none has one).
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Whether the writer gave the point, rather than it coming from the territories.
    pub place_explicit: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
