use sea_orm::entity::prelude::*;

/// What is left of an erased person for loaders to consult: a keyed digest of one
/// identifier they had in a loader's data (their demo slug, a former slug), so that no
/// seed or import brings them back. Holds no name, e-mail or phone.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "erasure_tombstone")]
pub struct Model {
    /// What was erased: `professional`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// HMAC-SHA256 of the identifier under the erasure key, in hexadecimal.
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    /// Names the key the digest was made with, without revealing it.
    pub key_check: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
