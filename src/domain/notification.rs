//! The rules of e-mail notices, free of SMTP and SQL: the notices there are, who may get
//! which, what each account chose, and when a message that could not be sent is tried
//! again.

use std::time::Duration;

use entity::enums::{ModerationAction, Role};

use super::access::Capability;
use crate::error::{AppError, AppResult};

/// What an e-mail notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// A moderator's decision on a contribution of the account's organisation: told to the
    /// organisation's partners.
    ContributionDecision,
    /// A contribution submitted for moderation: told to moderators and admins.
    NewSubmission,
}

impl NoticeKind {
    /// The name stored with a queued message.
    pub fn name(self) -> &'static str {
        match self {
            Self::ContributionDecision => "CONTRIBUTION_DECISION",
            Self::NewSubmission => "NEW_SUBMISSION",
        }
    }
}

/// When a message the SMTP server could not take for now (a 4xx answer, no connection) is
/// tried again, after each failure: about 21 hours in all. Past the last, it has failed.
pub const RETRY_DELAYS: [Duration; 6] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(12 * 3600),
];

/// How long the new submissions told to a moderator who chose a digest are gathered, from
/// the first one, before they are sent in one message.
pub const DIGEST_PERIOD: Duration = Duration::from_secs(24 * 3600);

/// Which notices an account gets. Every one is on until the account turns it off; new
/// submissions come one message each until a moderator asks for a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationSettings {
    /// Decisions on the contributions of the account's organisation.
    pub contribution_decisions: bool,
    /// Each contribution submitted for moderation (moderators and admins).
    pub new_submissions: bool,
    /// New submissions gathered in one message a day rather than one message each.
    pub submission_digest: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            contribution_decisions: true,
            new_submissions: true,
            submission_digest: false,
        }
    }
}

/// What an account asks to change in its settings; `None` keeps a setting as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsChanges {
    pub contribution_decisions: Option<bool>,
    pub new_submissions: Option<bool>,
    pub submission_digest: Option<bool>,
}

impl NotificationSettings {
    /// Whether an account of `role` with these settings gets a notice of `kind`: new
    /// submissions go to those who moderate them only.
    pub fn wants(&self, role: Role, kind: NoticeKind) -> bool {
        match kind {
            NoticeKind::ContributionDecision => self.contribution_decisions,
            NoticeKind::NewSubmission => {
                Capability::Moderate.is_granted_to(role) && self.new_submissions
            }
        }
    }

    /// Whether an account of `role` with these settings gets the new submissions gathered
    /// in a digest rather than one message each.
    pub fn gathers_submissions(&self, role: Role) -> bool {
        self.wants(role, NoticeKind::NewSubmission) && self.submission_digest
    }

    /// These settings with `changes` applied by an account of `role`: a partner, never
    /// told of new submissions, cannot ask for them nor for their digest (BAD_USER_INPUT).
    pub fn changed(self, role: Role, changes: SettingsChanges) -> AppResult<Self> {
        if !Capability::Moderate.is_granted_to(role) {
            for (field, asked) in [
                ("input.newSubmissions", changes.new_submissions),
                ("input.submissionDigest", changes.submission_digest),
            ] {
                if asked.is_some() {
                    return Err(AppError::bad_input(
                        field,
                        "new submissions are told to moderators and admins only",
                    ));
                }
            }
        }
        Ok(Self {
            contribution_decisions: changes
                .contribution_decisions
                .unwrap_or(self.contribution_decisions),
            new_submissions: changes.new_submissions.unwrap_or(self.new_submissions),
            submission_digest: changes.submission_digest.unwrap_or(self.submission_digest),
        })
    }
}

/// A moderator's decision as its authors are told of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approved,
    /// Rejected, with the moderator's reason.
    Rejected {
        reason: String,
    },
    /// Sent back to its authors, with what to change.
    ChangesRequested {
        comment: String,
    },
}

impl Decision {
    /// The decision an audit-log `action` records, if its authors are told of it: archiving
    /// and restoring a published contribution are not.
    pub fn of(action: ModerationAction, comment: Option<&str>) -> Option<Self> {
        let comment = comment.unwrap_or_default().trim().to_owned();
        match action {
            ModerationAction::Approve => Some(Self::Approved),
            ModerationAction::Reject => Some(Self::Rejected { reason: comment }),
            ModerationAction::RequestChanges => Some(Self::ChangesRequested { comment }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_is_on_until_turned_off() {
        let settings = NotificationSettings::default();
        assert!(settings.wants(Role::Partner, NoticeKind::ContributionDecision));
        assert!(settings.wants(Role::Moderator, NoticeKind::NewSubmission));
        assert!(settings.wants(Role::Admin, NoticeKind::NewSubmission));
        let off = settings
            .changed(
                Role::Moderator,
                SettingsChanges {
                    new_submissions: Some(false),
                    ..SettingsChanges::default()
                },
            )
            .unwrap();
        assert!(!off.wants(Role::Moderator, NoticeKind::NewSubmission));
        assert!(off.wants(Role::Moderator, NoticeKind::ContributionDecision));
    }

    #[test]
    fn partners_are_never_told_of_new_submissions_nor_may_ask_for_them() {
        let settings = NotificationSettings::default();
        assert!(!settings.wants(Role::Partner, NoticeKind::NewSubmission));
        let asked = settings.changed(
            Role::Partner,
            SettingsChanges {
                new_submissions: Some(true),
                ..SettingsChanges::default()
            },
        );
        assert!(
            matches!(asked, Err(AppError::BadInput { field, .. }) if field == "input.newSubmissions")
        );
        let digest = settings.changed(
            Role::Partner,
            SettingsChanges {
                submission_digest: Some(true),
                ..SettingsChanges::default()
            },
        );
        assert!(
            matches!(digest, Err(AppError::BadInput { field, .. }) if field == "input.submissionDigest")
        );
    }

    #[test]
    fn a_moderator_who_asked_for_a_digest_gets_submissions_gathered_until_turned_off() {
        let digest = NotificationSettings::default()
            .changed(
                Role::Moderator,
                SettingsChanges {
                    submission_digest: Some(true),
                    ..SettingsChanges::default()
                },
            )
            .unwrap();
        assert!(digest.gathers_submissions(Role::Moderator));
        assert!(!NotificationSettings::default().gathers_submissions(Role::Moderator));
        let off = NotificationSettings {
            new_submissions: false,
            ..digest
        };
        assert!(!off.gathers_submissions(Role::Moderator));
    }

    #[test]
    fn archiving_and_restoring_are_not_told() {
        assert_eq!(
            Decision::of(ModerationAction::Reject, Some(" Hors sujet ")),
            Some(Decision::Rejected {
                reason: "Hors sujet".to_owned()
            })
        );
        assert_eq!(Decision::of(ModerationAction::Archive, None), None);
        assert_eq!(Decision::of(ModerationAction::Restore, None), None);
    }
}
