//! E-mail notices as an account chooses them. The rules are in `domain::notification`,
//! the sending in `mail`.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::Utc;
use entity::enums::Role;
use sea_orm::TransactionTrait;

use super::context::ContextExt;
use crate::{
    domain::{
        access::Capability,
        notification::{self, SettingsChanges},
    },
    store,
};

/// Which e-mail notices an account gets. Every one is on until the account turns it off.
/// E-mails are sent only where the server's operator set up an SMTP server.
#[derive(SimpleObject)]
pub struct NotificationSettings {
    /// An e-mail at each moderator's decision on a contribution of my organisation:
    /// approved, rejected (with the reason) or sent back for changes (with the comment).
    contribution_decisions: bool,
    /// An e-mail at each contribution submitted for moderation. Moderators and admins
    /// only: null for partners, who are never told of them.
    new_submissions: Option<bool>,
    /// New submissions gathered in one e-mail a day (after `MAIL_DIGEST_HOURS` from the
    /// first one) rather than one e-mail each; off until turned on. Moderators and admins
    /// only: null for partners.
    submission_digest: Option<bool>,
}

impl NotificationSettings {
    pub fn of(settings: notification::NotificationSettings, role: Role) -> Self {
        let moderates = Capability::Moderate.is_granted_to(role);
        Self {
            contribution_decisions: settings.contribution_decisions,
            new_submissions: moderates.then_some(settings.new_submissions),
            submission_digest: moderates.then_some(settings.submission_digest),
        }
    }
}

/// The notices to turn on or off; those left out stay as they are.
#[derive(InputObject)]
pub struct UpdateMyNotificationSettingsInput {
    /// E-mails at moderators' decisions on my organisation's contributions.
    contribution_decisions: Option<bool>,
    /// E-mails at each new submission. Moderators and admins only (BAD_USER_INPUT for a
    /// partner).
    new_submissions: Option<bool>,
    /// New submissions in one e-mail a day rather than one each. Moderators and admins
    /// only (BAD_USER_INPUT for a partner).
    submission_digest: Option<bool>,
}

/// The signed-in account's settings, as saved.
#[derive(SimpleObject)]
pub struct UpdateMyNotificationSettingsPayload {
    /// Which e-mail notices the account gets now.
    notification_settings: NotificationSettings,
}

#[derive(Default)]
pub struct NotificationMutation;

/// Choosing one's e-mail notices.
#[Object]
impl NotificationMutation {
    /// Turns the signed-in account's e-mail notices on or off.
    async fn update_my_notification_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The notices to turn on or off.")]
        input: UpdateMyNotificationSettingsInput,
    ) -> Result<UpdateMyNotificationSettingsPayload> {
        let state = ctx.state()?;
        let account = state.caller.require_account()?;
        let changes = SettingsChanges {
            contribution_decisions: input.contribution_decisions,
            new_submissions: input.new_submissions,
            submission_digest: input.submission_digest,
        };
        let txn = state.db.begin().await?;
        let settings = store::mail_notices::settings(&txn, account.id)
            .await?
            .changed(account.role, changes)?;
        store::mail_notices::save_settings(&txn, account.id, settings, Utc::now()).await?;
        txn.commit().await?;
        Ok(UpdateMyNotificationSettingsPayload {
            notification_settings: NotificationSettings::of(settings, account.role),
        })
    }
}
