//! The SQL of e-mail notices: accounts' notification settings, who may be told of a
//! change, and the messages owed (queued, claimed by lease, recorded).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{enums::Role, mail_notice, notification_setting, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use super::sql::for_backend;
use crate::{
    domain::notification::{NoticeKind, NotificationSettings},
    error::AppResult,
};

/// The name of the e-mail consumer's row in `stream_consumer`.
pub const CONSUMER: &str = "mail";

/// Where a notice stands.
pub const PENDING: &str = "PENDING";
pub const SENT: &str = "SENT";
pub const FAILED: &str = "FAILED";
/// Not sent: the account was deactivated after the notice was queued.
pub const DROPPED: &str = "DROPPED";
/// Gathered for a digest, waiting for it to fall due.
pub const WAITING: &str = "WAITING";
/// Told in a digest: the account's last notice gathered became the digest.
pub const IN_DIGEST: &str = "IN_DIGEST";

fn settings_of_row(row: Option<notification_setting::Model>) -> NotificationSettings {
    row.map_or_else(NotificationSettings::default, |row| NotificationSettings {
        contribution_decisions: row.contribution_decisions,
        new_submissions: row.new_submissions,
        submission_digest: row.submission_digest,
    })
}

/// The notices the account `user_id` chose.
pub async fn settings(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<NotificationSettings> {
    Ok(settings_of_row(
        notification_setting::Entity::find_by_id(user_id)
            .one(db)
            .await?,
    ))
}

/// Saves the notices the account `user_id` chose.
pub async fn save_settings(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    settings: NotificationSettings,
    now: DateTime<Utc>,
) -> AppResult<()> {
    notification_setting::Entity::insert(notification_setting::ActiveModel {
        user_id: Set(user_id),
        contribution_decisions: Set(settings.contribution_decisions),
        new_submissions: Set(settings.new_submissions),
        submission_digest: Set(settings.submission_digest),
        updated_at: Set(now),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::column(notification_setting::Column::UserId)
            .update_columns([
                notification_setting::Column::ContributionDecisions,
                notification_setting::Column::NewSubmissions,
                notification_setting::Column::SubmissionDigest,
                notification_setting::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The active accounts that get notices of `kind`, among the partners of `organisation_id`
/// (decisions) or the moderators and admins (submissions), as each one chose, with what
/// each chose.
pub async fn recipients(
    db: &impl ConnectionTrait,
    kind: NoticeKind,
    organisation_id: Option<Uuid>,
) -> AppResult<Vec<(user::Model, NotificationSettings)>> {
    let mut select = user::Entity::find().filter(user::Column::IsActive.eq(true));
    select = match kind {
        NoticeKind::ContributionDecision => {
            let Some(organisation_id) = organisation_id else {
                return Ok(Vec::new());
            };
            select
                .filter(user::Column::Role.eq(Role::Partner))
                .filter(user::Column::OrganisationId.eq(organisation_id))
        }
        NoticeKind::NewSubmission => {
            select.filter(user::Column::Role.is_in([Role::Moderator, Role::Admin]))
        }
    };
    let accounts = select.order_by_asc(user::Column::Id).all(db).await?;
    let mut chosen: HashMap<Uuid, NotificationSettings> = HashMap::new();
    for chunk in accounts.chunks(500) {
        let rows = notification_setting::Entity::find()
            .filter(notification_setting::Column::UserId.is_in(chunk.iter().map(|a| a.id)))
            .all(db)
            .await?;
        chosen.extend(
            rows.into_iter()
                .map(|row| (row.user_id, settings_of_row(Some(row)))),
        );
    }
    Ok(accounts
        .into_iter()
        .map(|account| {
            let settings = chosen.get(&account.id).copied().unwrap_or_default();
            (account, settings)
        })
        .filter(|(account, settings)| settings.wants(account.role, kind))
        .collect())
}

/// What a queued notice holds.
pub struct NewNotice<'a> {
    pub user_id: Uuid,
    pub sequence: i64,
    pub kind: NoticeKind,
    pub subject: &'a str,
    pub body: &'a str,
    /// For a digest: gathered until then, then sent with the account's other notices
    /// gathered (see [`gather_digests`]).
    pub gathered_until: Option<DateTime<Utc>>,
}

/// Owes `notice` to its account, unless it is owed already for that change.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    notice: NewNotice<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    mail_notice::Entity::insert(mail_notice::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(notice.user_id),
        sequence: Set(notice.sequence),
        kind: Set(notice.kind.name().to_owned()),
        subject: Set(notice.subject.chars().take(300).collect()),
        body: Set(notice.body.to_owned()),
        status: Set(if notice.gathered_until.is_some() {
            WAITING
        } else {
            PENDING
        }
        .to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(notice.gathered_until.unwrap_or(now)),
        created_at: Set(now),
        sent_at: Set(None),
        last_error: Set(None),
    })
    .on_conflict_do_nothing_on([mail_notice::Column::UserId, mail_notice::Column::Sequence])
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Claims up to `limit` notices due by `now` until `lease`: no other replica takes them
/// meanwhile. A notice is claimed by moving its `next_attempt_at` from the value read to
/// the lease, so that of two replicas reading the same row only one moves it; on
/// PostgreSQL the rows another replica is claiming are skipped at once.
pub async fn claim_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<mail_notice::Model>> {
    let backend = db.get_database_backend();
    let due_sql = for_backend(
        backend,
        &format!(
            "SELECT id, next_attempt_at FROM mail_notice \
             WHERE status = ? AND next_attempt_at <= ? \
             ORDER BY next_attempt_at, sequence LIMIT {limit}{}",
            if backend == DbBackend::Postgres {
                " FOR UPDATE SKIP LOCKED"
            } else {
                ""
            },
        ),
    );
    let txn = db.begin().await?;
    let due = txn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            due_sql,
            [PENDING.into(), now.into()],
        ))
        .await?;
    let mut claimed = Vec::new();
    for row in due {
        let id: Uuid = row.try_get("", "id")?;
        let read: DateTime<Utc> = row.try_get("", "next_attempt_at")?;
        let moved = mail_notice::Entity::update_many()
            .col_expr(mail_notice::Column::NextAttemptAt, Expr::value(lease))
            .filter(mail_notice::Column::Id.eq(id))
            .filter(mail_notice::Column::Status.eq(PENDING))
            .filter(mail_notice::Column::NextAttemptAt.eq(read))
            .exec(&txn)
            .await?;
        if moved.rows_affected == 1 {
            claimed.push(id);
        }
    }
    txn.commit().await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mail_notice::Entity::find()
        .filter(mail_notice::Column::Id.is_in(claimed))
        .order_by_asc(mail_notice::Column::Sequence)
        .all(db)
        .await?)
}

/// Turns the notices gathered for each account whose digest fell due by `now` into one
/// pending notice: the account's last one gathered becomes the digest, its subject and body
/// written by `compose` from all of them (oldest first), and the others are marked
/// [`IN_DIGEST`]. A digest falls due when its first notice does; the later ones go with it.
/// One transaction per account, its gathered notices locked on PostgreSQL: of two replicas
/// gathering at once, the second finds nothing left.
pub async fn gather_digests(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    compose: impl Fn(&[mail_notice::Model]) -> (String, String),
) -> AppResult<()> {
    let accounts: Vec<Uuid> = mail_notice::Entity::find()
        .select_only()
        .column(mail_notice::Column::UserId)
        .filter(mail_notice::Column::Status.eq(WAITING))
        .filter(mail_notice::Column::NextAttemptAt.lte(now))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    for user_id in accounts {
        let txn = db.begin().await?;
        let mut select = mail_notice::Entity::find()
            .filter(mail_notice::Column::UserId.eq(user_id))
            .filter(mail_notice::Column::Status.eq(WAITING))
            .order_by_asc(mail_notice::Column::Sequence);
        if txn.get_database_backend() == DbBackend::Postgres {
            select = select.lock_exclusive();
        }
        let gathered = select.all(&txn).await?;
        let due = gathered.iter().any(|notice| notice.next_attempt_at <= now);
        let Some((digest, earlier)) = gathered.split_last().filter(|_| due) else {
            txn.commit().await?;
            continue;
        };
        let (subject, body) = compose(&gathered);
        mail_notice::Entity::update_many()
            .col_expr(mail_notice::Column::Status, Expr::value(IN_DIGEST))
            .filter(mail_notice::Column::Id.is_in(earlier.iter().map(|notice| notice.id)))
            .exec(&txn)
            .await?;
        mail_notice::Entity::update(mail_notice::ActiveModel {
            id: Set(digest.id),
            status: Set(PENDING.to_owned()),
            subject: Set(subject.chars().take(300).collect()),
            body: Set(body),
            next_attempt_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
    }
    Ok(())
}

/// When the next pending notice, or the next digest, is due, if any.
pub async fn next_due(db: &DatabaseConnection) -> AppResult<Option<DateTime<Utc>>> {
    Ok(mail_notice::Entity::find()
        .filter(mail_notice::Column::Status.is_in([PENDING, WAITING]))
        .order_by_asc(mail_notice::Column::NextAttemptAt)
        .one(db)
        .await?
        .map(|notice| notice.next_attempt_at))
}

/// Where a notice stands after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent(DateTime<Utc>),
    /// Tried again at this time, after this error.
    Retry(DateTime<Utc>, String),
    /// Given up, after this error.
    Failed(String),
    /// Not sent, for this reason.
    Dropped(String),
}

/// Records an attempt at `notice` and where it stands after it.
pub async fn record(
    db: &impl ConnectionTrait,
    notice: &mail_notice::Model,
    outcome: Outcome,
) -> AppResult<()> {
    let clip = |text: String| -> Option<String> { Some(text.chars().take(500).collect()) };
    let mut changed = mail_notice::ActiveModel {
        id: Set(notice.id),
        attempts: Set(notice.attempts + 1),
        ..Default::default()
    };
    match outcome {
        Outcome::Sent(at) => {
            changed.status = Set(SENT.to_owned());
            changed.sent_at = Set(Some(at));
            changed.last_error = Set(None);
        }
        Outcome::Retry(at, error) => {
            changed.next_attempt_at = Set(at);
            changed.last_error = Set(clip(error));
        }
        Outcome::Failed(error) => {
            changed.status = Set(FAILED.to_owned());
            changed.last_error = Set(clip(error));
        }
        Outcome::Dropped(reason) => {
            changed.status = Set(DROPPED.to_owned());
            changed.attempts = Set(notice.attempts);
            changed.last_error = Set(clip(reason));
        }
    }
    mail_notice::Entity::update(changed).exec(db).await?;
    Ok(())
}
