use sea_orm::entity::prelude::*;

/// An e-mail owed to an account about a change: its text as rendered when the change was
/// handed over, and where its sending stands.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_notice")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The account told; its address is read when the message is sent.
    pub user_id: Uuid,
    /// The change's place in the change stream.
    pub sequence: i64,
    /// `CONTRIBUTION_DECISION` or `NEW_SUBMISSION`.
    pub kind: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// `PENDING`, `SENT`, `FAILED` or `DROPPED` (the account was deactivated meanwhile).
    pub status: String,
    pub attempts: i32,
    /// When it is tried next (a pending notice), or was claimed until.
    pub next_attempt_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
