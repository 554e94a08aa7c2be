//! Who sees what: the one place that decides it.

use entity::enums::{ContactVisibility, ModerationStatus};
use uuid::Uuid;

use super::{access::Capability, caller::Caller};

/// Which contributions (initiatives, experiences) a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContributionScope {
    /// Only what moderators published: the public.
    PublishedOnly,
    /// What was published, and everything of this organisation in any state: its partners.
    PublishedAndOrganisation(Uuid),
    /// Everything in every state: moderators and admins.
    Everything,
}

impl ContributionScope {
    pub fn for_caller(caller: &Caller) -> Self {
        if caller.can(Capability::SeeAllContributions) {
            return Self::Everything;
        }
        // A partner's organisation, or an API key's.
        match caller.organisation_id() {
            Some(own) if caller.can(Capability::SeeOwnOrganisationContributions) => {
                Self::PublishedAndOrganisation(own)
            }
            _ => Self::PublishedOnly,
        }
    }

    /// Whether a contribution in `status`, owned by `organisation_id`, is visible.
    pub fn allows(&self, status: ModerationStatus, organisation_id: Option<Uuid>) -> bool {
        match self {
            Self::PublishedOnly => status == ModerationStatus::Published,
            Self::PublishedAndOrganisation(own) => {
                status == ModerationStatus::Published || organisation_id == Some(*own)
            }
            Self::Everything => true,
        }
    }
}

/// Which accounts a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountScope {
    /// None: the public.
    Nobody,
    /// Its own.
    Own(Uuid),
    /// Every account: admins.
    Everyone,
}

impl AccountScope {
    pub fn for_caller(caller: &Caller) -> Self {
        match caller.account() {
            None => Self::Nobody,
            // Moderators see who wrote what they review.
            Some(_)
                if caller.can(Capability::ManageAccounts) || caller.can(Capability::Moderate) =>
            {
                Self::Everyone
            }
            Some(account) => Self::Own(account.id),
        }
    }
}

/// Whether the caller may read the e-mail and phone of a person whose account (if any) is
/// `person_account`: PUBLIC to all, MEMBERS to any signed-in account (not to an API key: a
/// tool is no member), PRIVATE to moderators, admins and the person.
pub fn may_see_contact_details(
    caller: &Caller,
    visibility: ContactVisibility,
    person_account: Option<Uuid>,
) -> bool {
    match visibility {
        ContactVisibility::Public => true,
        ContactVisibility::Members => caller.account().is_some(),
        ContactVisibility::Private => {
            caller.can(Capability::SeeAllContactDetails)
                || person_account.is_some_and(|id| caller.is(id))
        }
    }
}

#[cfg(test)]
mod tests {
    use entity::enums::Role;

    use super::*;
    use crate::domain::caller::Account;

    const HIDDEN: [ModerationStatus; 5] = [
        ModerationStatus::Draft,
        ModerationStatus::Submitted,
        ModerationStatus::ChangesRequested,
        ModerationStatus::Rejected,
        ModerationStatus::Archived,
    ];

    fn account(role: Role, organisation_id: Option<Uuid>) -> Caller {
        Caller::Account(Account {
            id: Uuid::now_v7(),
            role,
            organisation_id,
        })
    }

    #[test]
    fn the_public_sees_only_published_contributions() {
        let scope = ContributionScope::for_caller(&Caller::Anonymous);
        assert!(scope.allows(ModerationStatus::Published, None));
        for status in HIDDEN {
            assert!(!scope.allows(status, None), "{status:?} must be hidden");
        }
    }

    #[test]
    fn partners_see_their_organisations_work_in_every_state_and_no_one_elses() {
        let own = Uuid::now_v7();
        let other = Uuid::now_v7();
        let scope = ContributionScope::for_caller(&account(Role::Partner, Some(own)));
        for status in HIDDEN {
            assert!(scope.allows(status, Some(own)));
            assert!(!scope.allows(status, Some(other)));
        }
        assert!(scope.allows(ModerationStatus::Published, Some(other)));
    }

    #[test]
    fn moderators_and_admins_see_everything() {
        for role in [Role::Moderator, Role::Admin] {
            let scope = ContributionScope::for_caller(&account(role, None));
            assert_eq!(scope, ContributionScope::Everything);
        }
    }

    #[test]
    fn contact_details_follow_the_persons_choice() {
        let anonymous = Caller::Anonymous;
        let partner = account(Role::Partner, Some(Uuid::now_v7()));
        let moderator = account(Role::Moderator, None);
        let person = account(Role::Partner, Some(Uuid::now_v7()));
        let person_id = person.account().map(|account| account.id);
        let sees =
            |caller: &Caller, visibility| may_see_contact_details(caller, visibility, person_id);
        assert!(sees(&anonymous, ContactVisibility::Public));
        assert!(!sees(&anonymous, ContactVisibility::Members));
        assert!(!sees(&anonymous, ContactVisibility::Private));
        assert!(sees(&partner, ContactVisibility::Members));
        assert!(!sees(&partner, ContactVisibility::Private));
        assert!(sees(&moderator, ContactVisibility::Private));
        assert!(sees(&person, ContactVisibility::Private));
    }
}
