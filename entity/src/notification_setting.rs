use sea_orm::entity::prelude::*;

/// Which e-mail notices an account gets; an account without a row gets every one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_setting")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// Decisions on the contributions of the account's organisation.
    pub contribution_decisions: bool,
    /// New submissions to moderate (moderators and admins).
    pub new_submissions: bool,
    /// New submissions gathered in one message a day rather than one message each.
    pub submission_digest: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
