//! The moderation state machine: which transitions exist, who makes them, and what each
//! one needs.
//!
//! ```text
//! DRAFT --submit--> SUBMITTED --approve--> PUBLISHED --archive--> ARCHIVED
//!                   SUBMITTED --request changes--> CHANGES_REQUESTED --resubmit--> SUBMITTED
//!                   SUBMITTED --reject--> REJECTED                 ARCHIVED --restore--> PUBLISHED
//! ```

use entity::enums::{ModerationAction, ModerationStatus};

use crate::error::AppError;

/// What a moderator decides about a submitted or published contribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    RequestChanges,
    Archive,
    Restore,
}

impl Decision {
    /// The status the decision leads to from `from`, or INVALID_TRANSITION.
    pub fn apply(self, from: ModerationStatus) -> Result<ModerationStatus, AppError> {
        use ModerationStatus::*;
        let to = match (self, from) {
            (Self::Approve, Submitted) => Published,
            (Self::Reject, Submitted) => Rejected,
            (Self::RequestChanges, Submitted) => ChangesRequested,
            (Self::Archive, Published) => Archived,
            (Self::Restore, Archived) => Published,
            _ => {
                return Err(AppError::InvalidTransition(format!(
                    "cannot {} a contribution that is {}",
                    self.verb(),
                    from.as_str()
                )));
            }
        };
        Ok(to)
    }

    /// Rejections and requests for changes tell the authors why.
    pub fn needs_comment(self) -> bool {
        matches!(self, Self::Reject | Self::RequestChanges)
    }

    pub fn action(self) -> ModerationAction {
        match self {
            Self::Approve => ModerationAction::Approve,
            Self::Reject => ModerationAction::Reject,
            Self::RequestChanges => ModerationAction::RequestChanges,
            Self::Archive => ModerationAction::Archive,
            Self::Restore => ModerationAction::Restore,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::RequestChanges => "request changes to",
            Self::Archive => "archive",
            Self::Restore => "restore",
        }
    }
}

/// Authors submit a draft, or resubmit after a request for changes.
pub fn submit(from: ModerationStatus) -> Result<ModerationStatus, AppError> {
    match from {
        ModerationStatus::Draft | ModerationStatus::ChangesRequested => {
            Ok(ModerationStatus::Submitted)
        }
        other => Err(AppError::InvalidTransition(format!(
            "only a draft or a contribution sent back for changes can be submitted; this one \
             is {}",
            other.as_str()
        ))),
    }
}

/// Authors edit only while the contribution is theirs to write.
pub fn authors_may_edit(status: ModerationStatus) -> Result<(), AppError> {
    match status {
        ModerationStatus::Draft | ModerationStatus::ChangesRequested => Ok(()),
        ModerationStatus::Published => Err(AppError::InvalidTransition(
            "a published initiative is changed by proposing a change (`proposeInitiativeChange`)"
                .to_owned(),
        )),
        other => Err(AppError::InvalidTransition(format!(
            "authors can edit a draft or a contribution sent back for changes; this one is {}",
            other.as_str()
        ))),
    }
}

/// A moderator's comment, required for some decisions, at most 5,000 characters.
pub fn comment(decision: Decision, comment: Option<&str>) -> Result<Option<String>, AppError> {
    let comment = comment.map(str::trim).filter(|text| !text.is_empty());
    if decision.needs_comment() && comment.is_none() {
        return Err(AppError::bad_input(
            "input.comment",
            match decision {
                Decision::Reject => "a rejection needs a reason for the authors",
                _ => "say what the authors should change",
            },
        ));
    }
    if comment.is_some_and(|text| text.chars().count() > 5000) {
        return Err(AppError::bad_input(
            "input.comment",
            "must be at most 5000 characters",
        ));
    }
    Ok(comment.map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ModerationStatus::*;

    const ALL: [ModerationStatus; 6] = [
        Draft,
        Submitted,
        ChangesRequested,
        Published,
        Rejected,
        Archived,
    ];

    #[test]
    fn only_the_transitions_of_the_design_exist() {
        let allowed = [
            (Decision::Approve, Submitted, Published),
            (Decision::Reject, Submitted, Rejected),
            (Decision::RequestChanges, Submitted, ChangesRequested),
            (Decision::Archive, Published, Archived),
            (Decision::Restore, Archived, Published),
        ];
        for decision in [
            Decision::Approve,
            Decision::Reject,
            Decision::RequestChanges,
            Decision::Archive,
            Decision::Restore,
        ] {
            for from in ALL {
                let expected = allowed
                    .iter()
                    .find(|(d, f, _)| *d == decision && *f == from)
                    .map(|(_, _, to)| *to);
                match (decision.apply(from), expected) {
                    (Ok(to), Some(expected)) => assert_eq!(to, expected),
                    (Err(AppError::InvalidTransition(_)), None) => {}
                    (result, _) => panic!("{decision:?} from {from:?}: {result:?}"),
                }
            }
        }
    }

    #[test]
    fn authors_submit_drafts_and_resubmit_after_changes() {
        assert_eq!(submit(Draft).unwrap(), Submitted);
        assert_eq!(submit(ChangesRequested).unwrap(), Submitted);
        for from in [Submitted, Published, Rejected, Archived] {
            assert!(submit(from).is_err());
        }
    }

    #[test]
    fn rejections_and_requests_for_changes_need_a_comment() {
        assert!(comment(Decision::Reject, None).is_err());
        assert!(comment(Decision::RequestChanges, Some("  ")).is_err());
        assert_eq!(comment(Decision::Approve, None).unwrap(), None);
        assert_eq!(
            comment(Decision::Reject, Some(" Hors sujet "))
                .unwrap()
                .as_deref(),
            Some("Hors sujet")
        );
    }
}
