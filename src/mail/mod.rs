//! E-mail notices: partners told of the decisions on their organisation's contributions,
//! moderators and admins of new submissions, as each account chose.
//!
//! A consumer of the change stream, as webhooks are, with the same durability:
//!
//! - **Handing over.** Each replica reads the stream from the consumer's position (its row
//!   of `stream_consumer`, locked while it is read on PostgreSQL; SQLite has one writer).
//!   In the transaction that moves the position, each `CONTRIBUTION_SUBMITTED` and
//!   `CONTRIBUTION_DECIDED` change becomes one queued message per active account that may
//!   and wants to be told of it, its French text rendered then ([`messages`]). A message is
//!   unique per account and change: however many replicas run, each is owed once.
//! - **Sending.** A replica claims due messages for a lease
//!   ([`store::mail_notices::claim_due`]) and sends them through the SMTP server of
//!   `SMTP_URL` ([`sender`]). A message the server cannot take for now (a 4xx answer, no
//!   connection, a timeout) is tried again on the schedule of
//!   [`RETRY_DELAYS`](crate::domain::notification::RETRY_DELAYS), then has failed; a
//!   message it refuses (5xx) has failed at once. The last error is kept with it.
//! - **Digests.** A moderator who chose a digest gets each new submission queued as an
//!   entry that waits (`WAITING`) for `MAIL_DIGEST_HOURS` from the first one; then, in one
//!   transaction, the entries gathered become one message
//!   ([`store::mail_notices::gather_digests`]), sent as any other.
//!
//! The account's address is read when the message is sent, and an account deactivated, or
//! that turned that notice off, in the meantime is not sent it.
//!
//! Off when `SMTP_URL` is unset: then this consumer does not run and nothing is queued.

pub mod messages;
pub mod sender;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{
    change_proposal,
    enums::{ModerationAction, SubjectType},
    experience, initiative, moderation_event, organisation,
};
use lettre::message::Mailbox;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use tokio::task::JoinHandle;
use uuid::Uuid;

use self::messages::{Contribution, ContributionKind, Rendered};
use crate::{
    domain::notification::{DIGEST_PERIOD, Decision, NoticeKind, RETRY_DELAYS},
    error::AppResult,
    events::{
        Audience, ChangeKind, ChangeStream, Committed,
        consumer::{self, Consumer, Pace},
        outbox,
    },
    store::{
        self,
        mail_notices::{CONSUMER, NewNotice},
    },
};

/// How e-mail notices are sent.
#[derive(Clone)]
pub struct MailSettings {
    /// The SMTP server, as lettre reads it (`SMTP_URL`): `smtp://host:port` (no TLS),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host`.
    pub smtp_url: String,
    /// Who the messages are from (`MAIL_FROM`).
    pub from: Mailbox,
    /// The public site, for links to the contributions (`PUBLIC_SITE_URL`).
    pub site_url: Option<String>,
    /// How long one SMTP command may take (`SMTP_TIMEOUT_SECS`).
    pub timeout: Duration,
    /// When a message not taken is tried again, after each failure.
    pub retry_delays: Vec<Duration>,
    /// The longest a replica sleeps when nothing is due and the stream says nothing.
    pub poll: Duration,
    /// How long the new submissions of a moderator who chose a digest are gathered, from
    /// the first (`MAIL_DIGEST_HOURS`).
    pub digest_period: Duration,
}

impl MailSettings {
    /// Sending through `smtp_url` as `from`, with the default timeout and retries.
    pub fn new(smtp_url: String, from: Mailbox) -> Self {
        Self {
            smtp_url,
            from,
            site_url: None,
            timeout: Duration::from_secs(30),
            retry_delays: RETRY_DELAYS.to_vec(),
            poll: Duration::from_secs(60),
            digest_period: DIGEST_PERIOD,
        }
    }
}

impl std::fmt::Debug for MailSettings {
    /// The SMTP URL may hold a password: it never reaches a log line.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MailSettings")
            .field("smtp_url", &"***")
            .field("from", &self.from.to_string())
            .field("site_url", &self.site_url)
            .field("timeout", &self.timeout)
            .field("retry_delays", &self.retry_delays)
            .field("poll", &self.poll)
            .field("digest_period", &self.digest_period)
            .finish()
    }
}

/// Changes handed over at most per transaction.
const HANDOVER_PAGE: u64 = 200;

/// Messages claimed at once by a replica.
const CLAIMED_AT_ONCE: u64 = 8;

/// Hands changes over and sends messages until the task is aborted (see
/// [`consumer::run`]).
pub fn start(
    db: DatabaseConnection,
    changes: ChangeStream,
    settings: Arc<MailSettings>,
) -> JoinHandle<()> {
    let mailer = match sender::Mailer::new(&settings) {
        Ok(mailer) => mailer,
        Err(error) => {
            tracing::error!(%error, "SMTP_URL cannot be used: no e-mail is sent");
            return tokio::spawn(async {});
        }
    };
    let pace = Pace {
        poll: settings.poll,
        wake: None,
    };
    consumer::run(
        Notices {
            db,
            mailer,
            settings,
        },
        changes,
        pace,
    )
}

/// E-mail notices as a consumer of the change stream.
struct Notices {
    db: DatabaseConnection,
    mailer: sender::Mailer,
    settings: Arc<MailSettings>,
}

impl Consumer for Notices {
    fn name(&self) -> &'static str {
        "e-mail notices"
    }

    async fn hand_over(&self) -> AppResult<()> {
        hand_over(&self.db, &self.settings).await
    }

    async fn send_due(&self) -> AppResult<()> {
        store::mail_notices::gather_digests(&self.db, Utc::now(), |gathered| {
            let entries: Vec<Rendered> = gathered
                .iter()
                .map(|notice| Rendered {
                    subject: notice.subject.clone(),
                    body: notice.body.clone(),
                })
                .collect();
            let digest = messages::digest(&entries);
            (digest.subject, digest.body)
        })
        .await?;
        sender::send_due(&self.db, &self.mailer, &self.settings).await
    }

    async fn next_due(&self) -> AppResult<Option<DateTime<Utc>>> {
        store::mail_notices::next_due(&self.db).await
    }
}

/// Queues the messages owed for every change after the consumer's position.
async fn hand_over(db: &DatabaseConnection, settings: &MailSettings) -> AppResult<()> {
    loop {
        let txn = db.begin().await?;
        let start = outbox::last_sequence(&txn).await?;
        let position = store::stream_consumers::lock_position(&txn, CONSUMER, start).await?;
        let page = outbox::read_after(&txn, position, HANDOVER_PAGE).await?;
        let Some(last) = page.position else {
            txn.commit().await?;
            return Ok(());
        };
        let now = Utc::now();
        for change in &page.changes {
            for owed in notices_of(&txn, change, settings).await? {
                let gathered_until = owed.gathered.then(|| {
                    now + chrono::Duration::from_std(settings.digest_period).unwrap_or_default()
                });
                store::mail_notices::enqueue(
                    &txn,
                    NewNotice {
                        user_id: owed.user_id,
                        sequence: change.sequence,
                        kind: owed.kind,
                        subject: &owed.message.subject,
                        body: &owed.message.body,
                        gathered_until,
                    },
                    now,
                )
                .await?;
            }
        }
        store::stream_consumers::set_position(&txn, CONSUMER, last).await?;
        txn.commit().await?;
    }
}

/// A message a change owes an account.
struct Owed {
    user_id: Uuid,
    kind: NoticeKind,
    /// The message, or for a digest the submission's entry in it.
    message: Rendered,
    /// Gathered for the account's digest.
    gathered: bool,
}

/// The messages a change owes, to whom.
async fn notices_of(
    db: &impl ConnectionTrait,
    change: &Committed,
    settings: &MailSettings,
) -> AppResult<Vec<Owed>> {
    let kind = match change.kind {
        ChangeKind::ContributionSubmitted => NoticeKind::NewSubmission,
        ChangeKind::ContributionDecided => NoticeKind::ContributionDecision,
        _ => return Ok(Vec::new()),
    };
    let Some(contribution) = contribution(db, change).await? else {
        return Ok(Vec::new());
    };
    let link = messages::link(settings.site_url.as_deref(), &contribution);
    let entry = messages::digest_entry(&contribution, link.clone());
    let (message, organisation_id) = match kind {
        NoticeKind::NewSubmission => (messages::submission(&contribution, link), None),
        NoticeKind::ContributionDecision => {
            // Partners are told of their own organisation's contributions only.
            let Audience::Organisation(organisation_id) = change.audience else {
                return Ok(Vec::new());
            };
            let Some(event) = last_event(db, change, DECISIONS).await? else {
                return Ok(Vec::new());
            };
            let Some(decision) = Decision::of(event.action, event.comment.as_deref()) else {
                return Ok(Vec::new());
            };
            (
                messages::decision(&contribution, &decision, link),
                Some(organisation_id),
            )
        }
    };
    // Whoever made the change is not told of it.
    let actor = match kind {
        NoticeKind::NewSubmission => last_event(db, change, &[ModerationAction::Submit])
            .await?
            .and_then(|event| event.actor_id),
        NoticeKind::ContributionDecision => None,
    };
    Ok(store::mail_notices::recipients(db, kind, organisation_id)
        .await?
        .into_iter()
        .filter(|(account, _)| Some(account.id) != actor)
        .map(|(account, chosen)| {
            let gathered =
                kind == NoticeKind::NewSubmission && chosen.gathers_submissions(account.role);
            Owed {
                user_id: account.id,
                kind,
                message: if gathered {
                    entry.clone()
                } else {
                    message.clone()
                },
                gathered,
            }
        })
        .collect())
}

/// The audit-log actions of a moderator's decision.
const DECISIONS: &[ModerationAction] = &[
    ModerationAction::Approve,
    ModerationAction::Reject,
    ModerationAction::RequestChanges,
    ModerationAction::Archive,
    ModerationAction::Restore,
];

/// The contribution a change is about, as notices name it; `None` for another subject or
/// one gone since.
async fn contribution(
    db: &impl ConnectionTrait,
    change: &Committed,
) -> AppResult<Option<Contribution>> {
    let id = change.subject_id;
    let found = match change.subject_type.as_str() {
        "Initiative" => initiative::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|found| {
                (
                    ContributionKind::Initiative,
                    found.title,
                    found.organisation_id,
                )
            }),
        "Experience" => experience::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|found| {
                (
                    ContributionKind::Experience,
                    found.title,
                    found.organisation_id,
                )
            }),
        "ChangeProposal" => {
            let Some(proposal) = change_proposal::Entity::find_by_id(id).one(db).await? else {
                return Ok(None);
            };
            initiative::Entity::find_by_id(proposal.initiative_id)
                .one(db)
                .await?
                .map(|of| {
                    (
                        ContributionKind::ChangeProposal,
                        of.title,
                        proposal.organisation_id,
                    )
                })
        }
        _ => None,
    };
    let Some((kind, title, organisation_id)) = found else {
        return Ok(None);
    };
    let organisation = match organisation_id {
        Some(organisation_id) => organisation::Entity::find_by_id(organisation_id)
            .one(db)
            .await?
            .map(|found| found.name),
        None => None,
    };
    Ok(Some(Contribution {
        kind,
        id,
        title,
        organisation,
    }))
}

/// The audit-log entry of the change: the last one of `actions` on its subject up to when
/// it was committed (written in the same transaction, at the same instant).
async fn last_event(
    db: &impl ConnectionTrait,
    change: &Committed,
    actions: &[ModerationAction],
) -> AppResult<Option<moderation_event::Model>> {
    let subject_type = match change.subject_type.as_str() {
        "Initiative" => SubjectType::Initiative,
        "Experience" => SubjectType::Experience,
        "ChangeProposal" => SubjectType::ChangeProposal,
        _ => return Ok(None),
    };
    let until: DateTime<Utc> = change.occurred_at;
    Ok(moderation_event::Entity::find()
        .filter(moderation_event::Column::SubjectType.eq(subject_type))
        .filter(moderation_event::Column::SubjectId.eq(change.subject_id))
        .filter(moderation_event::Column::Action.is_in(actions.iter().copied()))
        .filter(moderation_event::Column::CreatedAt.lte(until))
        .order_by_desc(moderation_event::Column::CreatedAt)
        .one(db)
        .await?)
}
