use sea_orm::entity::prelude::*;

/// A credential of a tool acting for one organisation. Revoked, never deleted: the audit
/// log names the keys that wrote.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The organisation it acts for.
    pub organisation_id: Uuid,
    pub name: String,
    /// What it may do: scope names, comma-separated (`READ_DRAFTS,CONTRIBUTE`).
    pub scopes: String,
    /// The hex SHA-256 of the whole key; the key itself is never stored.
    pub secret_hash: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// When it was last accepted, to the minute.
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
