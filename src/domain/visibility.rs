//! Who sees what (DESIGN.md, "Who sees what"): the one place that decides it.

use entity::enums::{ContactVisibility, ModerationStatus};

use super::caller::Caller;

/// Which contributions (initiatives, experiences) a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContributionScope {
    /// Only what moderators published.
    PublishedOnly,
}

impl ContributionScope {
    pub fn for_caller(caller: &Caller) -> Self {
        match caller {
            Caller::Anonymous => Self::PublishedOnly,
        }
    }

    /// The statuses visible to everyone in this scope.
    pub fn visible_statuses(&self) -> &'static [ModerationStatus] {
        match self {
            Self::PublishedOnly => &[ModerationStatus::Published],
        }
    }

    pub fn allows(&self, status: ModerationStatus) -> bool {
        self.visible_statuses().contains(&status)
    }
}

/// Whether the caller may read a professional's e-mail and phone.
pub fn may_see_contact_details(caller: &Caller, visibility: ContactVisibility) -> bool {
    match caller {
        Caller::Anonymous => visibility == ContactVisibility::Public,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_sees_only_published_contributions() {
        let scope = ContributionScope::for_caller(&Caller::Anonymous);
        assert!(scope.allows(ModerationStatus::Published));
        for status in [
            ModerationStatus::Draft,
            ModerationStatus::Submitted,
            ModerationStatus::ChangesRequested,
            ModerationStatus::Rejected,
            ModerationStatus::Archived,
        ] {
            assert!(!scope.allows(status), "{status:?} must be hidden");
        }
    }

    #[test]
    fn the_public_sees_only_public_contact_details() {
        assert!(may_see_contact_details(
            &Caller::Anonymous,
            ContactVisibility::Public
        ));
        assert!(!may_see_contact_details(
            &Caller::Anonymous,
            ContactVisibility::Members
        ));
        assert!(!may_see_contact_details(
            &Caller::Anonymous,
            ContactVisibility::Private
        ));
    }
}
