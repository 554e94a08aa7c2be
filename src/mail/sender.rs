//! Sending queued notices through SMTP: each message built with its headers (From, To,
//! Subject, Date, a Message-ID that is the same at every attempt), sent, and its outcome
//! recorded.

use chrono::Utc;
use entity::{mail_notice, user};
use lettre::{
    Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use sea_orm::{DatabaseConnection, EntityTrait};

use super::MailSettings;
use crate::{
    domain::{
        notification::{NoticeKind, NotificationSettings},
        retry::next_retry,
    },
    error::{AppError, AppResult},
    store::{self, mail_notices::Outcome},
};

/// The SMTP client of a replica, and who its messages are from.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A client of the server of `settings.smtp_url`; an error when the URL cannot be read.
    pub fn new(settings: &MailSettings) -> Result<Self, lettre::transport::smtp::Error> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)?
            .timeout(Some(settings.timeout))
            .build();
        Ok(Self {
            transport,
            from: settings.from.clone(),
        })
    }
}

/// Sends every message due, a few at a time.
pub async fn send_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    settings: &MailSettings,
) -> AppResult<()> {
    loop {
        let now = Utc::now();
        // Long enough for every message claimed, each bounded by `longest_send`.
        let lease = now
            + chrono::Duration::from_std(longest_send(settings) * super::CLAIMED_AT_ONCE as u32)
                .unwrap_or_default()
            + chrono::Duration::seconds(30);
        let claimed =
            store::mail_notices::claim_due(db, now, lease, super::CLAIMED_AT_ONCE).await?;
        if claimed.is_empty() {
            return Ok(());
        }
        for notice in claimed {
            let outcome = attempt(db, mailer, settings, &notice).await?;
            if !matches!(outcome, Outcome::Sent(_)) {
                tracing::warn!(notice = %notice.id, ?outcome, "an e-mail notice was not sent");
            }
            store::mail_notices::record(db, &notice, outcome).await?;
        }
    }
}

/// The longest one message may take to send, whatever the server does: each SMTP command
/// is bounded by the timeout, and a stuck exchange as a whole too.
fn longest_send(settings: &MailSettings) -> std::time::Duration {
    settings.timeout * 3
}

/// One attempt at a notice: where it stands after it.
async fn attempt(
    db: &DatabaseConnection,
    mailer: &Mailer,
    settings: &MailSettings,
    notice: &mail_notice::Model,
) -> AppResult<Outcome> {
    let Some(account) = user::Entity::find_by_id(notice.user_id).one(db).await? else {
        return Ok(Outcome::Dropped("the account is gone".to_owned()));
    };
    if !account.is_active {
        return Ok(Outcome::Dropped("the account is deactivated".to_owned()));
    }
    if !still_wanted(db, &account, notice).await? {
        return Ok(Outcome::Dropped(
            "the account turned this notice off".to_owned(),
        ));
    }
    let message = match message(mailer, &account, notice) {
        Ok(message) => message,
        Err(error) => return Ok(Outcome::Failed(error)),
    };
    let sent = tokio::time::timeout(longest_send(settings), mailer.transport.send(message)).await;
    Ok(match sent {
        Ok(Ok(_)) => Outcome::Sent(Utc::now()),
        Ok(Err(error)) if error.is_permanent() => Outcome::Failed(error.to_string()),
        Ok(Err(error)) => again_or_failed(notice, settings, error.to_string()),
        Err(_) => again_or_failed(
            notice,
            settings,
            "the SMTP server did not take the message within 3 × SMTP_TIMEOUT_SECS".to_owned(),
        ),
    })
}

/// A message not taken for now: tried again on the schedule, or failed past it.
fn again_or_failed(notice: &mail_notice::Model, settings: &MailSettings, error: String) -> Outcome {
    let attempts = usize::try_from(notice.attempts).unwrap_or(0) + 1;
    match next_retry(attempts, &settings.retry_delays) {
        Some(delay) => Outcome::Retry(
            Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default(),
            error,
        ),
        None => Outcome::Failed(format!(
            "not taken after {attempts} attempts; last: {error}"
        )),
    }
}

/// Whether the account still wants notices of this kind (it may have turned them off
/// since the notice was queued).
async fn still_wanted(
    db: &DatabaseConnection,
    account: &user::Model,
    notice: &mail_notice::Model,
) -> AppResult<bool> {
    let kind = match notice.kind.as_str() {
        "CONTRIBUTION_DECISION" => NoticeKind::ContributionDecision,
        "NEW_SUBMISSION" => NoticeKind::NewSubmission,
        other => {
            return Err(AppError::internal(format!(
                "an e-mail notice of unknown kind `{other}`"
            )));
        }
    };
    let settings: NotificationSettings = store::mail_notices::settings(db, account.id).await?;
    Ok(settings.wants(account.role, kind))
}

/// The message of a notice to `account`, or why it cannot be written.
fn message(
    mailer: &Mailer,
    account: &user::Model,
    notice: &mail_notice::Model,
) -> Result<Message, String> {
    let address: Address = account
        .email
        .parse()
        .map_err(|error| format!("the account's e-mail address cannot be used: {error}"))?;
    let to = Mailbox::new(Some(account.display_name.clone()), address);
    // The same at every attempt, so that a server that took it once may drop a repeat.
    let message_id = format!(
        "<notice-{}@{}>",
        notice.id.simple(),
        mailer.from.email.domain()
    );
    Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(notice.subject.clone())
        .message_id(Some(message_id))
        .date_now()
        .header(ContentType::TEXT_PLAIN)
        .body(notice.body.clone())
        .map_err(|error| format!("the message cannot be written: {error}"))
}
